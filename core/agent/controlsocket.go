package agent

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"

	"github.com/lanyard/lanyard/core/auth"
	"github.com/lanyard/lanyard/core/control"
	"github.com/lanyard/lanyard/core/store"
)

// The control channel: a Unix domain socket in the data directory through
// which the command line reaches the running agent (`lanyard-agent set
// ssl off` and the like). One JSON request per connection, one JSON
// response. Only the service's user and root may use it: the socket is
// owner-only in a directory others cannot write, and on Linux the peer's
// uid is checked too. When no agent answers, Configure edits the database
// directly with the same validation and messages.

// File names in the agent's data directory.
const (
	DBFile        = "agent.db"
	ControlSocket = "control.sock"
)

// MaxControlRequest bounds one request on the control socket.
const MaxControlRequest = control.MaxRequest

// DefaultControlTimeout bounds one control connection, request to response.
const DefaultControlTimeout = control.DefaultTimeout

// Control operations.
const (
	OpStatus        = "status"
	OpSetListen     = "set_listen"     // Value: host:port or off
	OpSetSSL        = "set_ssl"        // Value: on or off
	OpSetManagement = "set_management" // Value: on or off
	OpMastersList   = "masters_list"
	OpMastersAdd    = "masters_add"    // Value: host:port[,host:port…][=SHA256:…]
	OpMastersRemove = "masters_remove" // Value: host:port (any of the master's addresses)
	OpMastersTrust  = "masters_trust"  // Value: host:port, or host:port=SHA256:…
	OpMastersRetry  = "masters_retry"  // Value: host:port, or "" for every master
	OpPasswordSet   = "password_set"   // Password
)

var controlOps = []string{OpStatus, OpSetListen, OpSetSSL, OpSetManagement, OpMastersList, OpMastersAdd, OpMastersRemove,
	OpMastersTrust, OpMastersRetry, OpPasswordSet}

// ControlRequest is one request on the control socket, or to Configure.
type ControlRequest struct {
	Op    string `json:"op"`
	Value string `json:"value,omitempty"`
	// Password is password_set's new password. It travels only over the
	// local socket and is never logged; the agent zeroes its copies once
	// the key is derived.
	Password []byte `json:"password,omitempty"`
	// Task carries the arguments of the task_* operations (taskcontrol.go).
	Task *TaskArgs `json:"task,omitempty"`
	// Stream asks for progress: the agent sends any number of lines
	// carrying an Event before the final answer (the one without). An
	// agent that predates it ignores the field and answers in one line.
	Stream bool `json:"stream,omitempty"`
}

// ControlResponse is the agent's answer.
type ControlResponse struct {
	OK      bool            `json:"ok"`
	Changes []string        `json:"changes"`
	Status  *StatusSnapshot `json:"status,omitempty"`
	Error   string          `json:"error,omitempty"`
	// Usage: the request was wrong (exit code 2), not the agent.
	Usage bool `json:"usage,omitempty"`
	// Task is the answer to a task_* operation.
	Task *TaskResult `json:"task,omitempty"`
	// Event marks a progress line of a streamed answer.
	Event *TaskEvent `json:"event,omitempty"`
}

// Result is what a configuration command did: the changes in plain words
// (empty when there was nothing to change) and the state afterwards.
// Status.Running tells whether the running agent applied it, or only the
// database was changed (it takes effect when the agent starts).
type Result struct {
	Changes []string
	Status  StatusSnapshot
}

// ControlSocketPath is the control socket of the agent with this data
// directory.
func ControlSocketPath(dataDir string) string { return filepath.Join(dataDir, ControlSocket) }

// ErrNotRunning: no agent answers on the control socket (the socket is
// missing, or left behind by an agent that stopped).
var ErrNotRunning = errors.New("the agent is not running")

type notRunningError struct {
	path string
	err  error
}

func (e *notRunningError) Error() string {
	return fmt.Sprintf("%v (nothing answers on %s)", ErrNotRunning, e.path)
}
func (e *notRunningError) Unwrap() []error { return []error{ErrNotRunning, e.err} }

// permissionMessage is what a user who may not use the socket is told.
const permissionMessage = "permission denied: run as root or as the service's user"

// ---- server ----

// openControl binds the control socket in dir (checked first), replacing
// a stale one left by a crash. Nothing is served until serveControlLocked.
func (a *Agent) openControl(dir string) (*control.Server, error) {
	return control.Listen(control.Config{
		Dir: dir, File: ControlSocket, Owner: "lanyard-agent", Denied: permissionMessage,
		Timeout: a.cfg.ControlTimeout,
		OnRefused: func(err error) {
			a.log.WithField("event", "control").Warnf("control socket: refused a request: %v", err)
		},
	})
}

// serveControlLocked starts answering; the agent's context or Close stops
// it. a.mu is held.
func (a *Agent) serveControlLocked(cs *control.Server) {
	a.wg.Add(2)
	go func() {
		defer a.wg.Done()
		cs.Serve(a.handleControl)
	}()
	go func() {
		defer a.wg.Done()
		<-a.ctx.Done()
		cs.Close()
	}()
	a.log.WithField("event", "control").Infof("control socket at %s", cs.Path())
}

// handleControl answers one request line.
func (a *Agent) handleControl(ctx context.Context, line []byte, w *control.Writer) {
	var req ControlRequest
	err := json.Unmarshal(line, &req)
	defer clear(req.Password)
	if err != nil {
		reply(w, ControlResponse{Error: fmt.Sprintf("malformed control request: %v", err)})
		return
	}
	if isTaskOp(req.Op) {
		a.serveTask(ctx, req, w)
		return
	}
	reply(w, a.serveControl(req))
}

func reply(w *control.Writer, resp ControlResponse) {
	if resp.Changes == nil {
		resp.Changes = []string{}
	}
	if err := w.Send(resp); err != nil && !isNetError(err) {
		_ = w.Send(ControlResponse{Error: err.Error(), Changes: []string{}})
	}
}

// isNetError tells a client that went away from an answer that could not
// be encoded.
func isNetError(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, net.ErrClosed)
}

// serveControl carries out one request on the running agent.
func (a *Agent) serveControl(req ControlRequest) ControlResponse {
	changes, err := a.apply(req)
	if err != nil {
		return ControlResponse{Error: err.Error(), Usage: IsUsage(err)}
	}
	st := a.Snapshot()
	return ControlResponse{OK: true, Changes: changes, Status: &st}
}

func (a *Agent) apply(req ControlRequest) ([]string, error) {
	switch req.Op {
	case OpStatus, OpMastersList:
		return []string{}, nil
	case OpSetListen:
		return a.SetListen(req.Value)
	case OpSetSSL:
		on, err := parseOnOff("ssl", req.Value)
		if err != nil {
			return nil, err
		}
		return a.SetSSL(on)
	case OpSetManagement:
		on, err := parseOnOff("management", req.Value)
		if err != nil {
			return nil, err
		}
		return a.SetManagement(on)
	case OpMastersAdd:
		return a.AddMaster(req.Value)
	case OpMastersRemove:
		return a.RemoveMaster(req.Value)
	case OpMastersTrust:
		return a.TrustMaster(req.Value)
	case OpMastersRetry:
		return a.RetryMasters(req.Value)
	case OpPasswordSet:
		return a.SetPassword(req.Password)
	}
	return nil, unknownOp(req.Op)
}

func unknownOp(op string) error {
	return usagef("unknown control operation %q (known: %s)", op, strings.Join(controlOps, ", "))
}

// ---- client ----

// ControlClient talks to the running agent over its control socket; each
// call is one connection.
type ControlClient struct {
	c *control.Client
}

// DialControl checks that an agent answers on the control socket in
// dataDir. The error matches ErrNotRunning when none does; a user who may
// not use the socket gets a *ControlError saying so.
func DialControl(dataDir string) (*ControlClient, error) {
	c, err := control.Dial(ControlSocketPath(dataDir))
	if err != nil {
		return nil, controlDialError(err)
	}
	return &ControlClient{c: c}, nil
}

// controlDialError words a failed dial as the agent's command line does.
func controlDialError(err error) error {
	var pe *control.PermissionError
	if errors.As(err, &pe) {
		return &ControlError{Message: fmt.Sprintf("%s (cannot use %s)", permissionMessage, pe.Path), Err: err}
	}
	var nr *control.NotRunningError
	if errors.As(err, &nr) {
		// Missing, refused (a socket left by an agent that stopped), or
		// not a socket at all: no agent to talk to. Falling back to the
		// database is safe, because a running agent holds its lock.
		return &notRunningError{path: nr.Path, err: err}
	}
	return err
}

// Do sends one request and returns the answer. A refusal is a
// *ControlError; its Usage says whether the request was at fault.
func (c *ControlClient) Do(req ControlRequest) (ControlResponse, error) {
	msg := encodeRequest(req)
	line, err := c.c.Call(msg)
	clear(msg)
	if err != nil {
		return ControlResponse{}, controlDialError(err)
	}
	var resp ControlResponse
	if err := json.Unmarshal(line, &resp); err != nil {
		return ControlResponse{}, fmt.Errorf("no answer from the agent on %s: %w", c.c.Path, err)
	}
	if !resp.OK {
		return resp, &ControlError{Message: resp.Error, Usage: resp.Usage}
	}
	return resp, nil
}

// encodeRequest is the request as one JSON line, written straight into a
// buffer the caller zeroes: encoding/json would leave copies of the
// password in its pooled buffers.
func encodeRequest(req ControlRequest) []byte {
	op, _ := json.Marshal(req.Op)
	val, _ := json.Marshal(req.Value)
	pwLen := base64.StdEncoding.EncodedLen(len(req.Password))
	b := make([]byte, 0, len(`{"op":,"value":,"password":""}`)+len(op)+len(val)+pwLen)
	b = append(b, `{"op":`...)
	b = append(b, op...)
	b = append(b, `,"value":`...)
	b = append(b, val...)
	if len(req.Password) > 0 {
		b = append(b, `,"password":"`...)
		start := len(b)
		b = b[:start+pwLen]
		base64.StdEncoding.Encode(b[start:], req.Password)
		b = append(b, '"')
	}
	if req.Task != nil {
		args, _ := json.Marshal(req.Task)
		b = append(b, `,"task":`...)
		b = append(b, args...)
	}
	if req.Stream {
		b = append(b, `,"stream":true`...)
	}
	return append(b, '}')
}

func (c *ControlClient) result(req ControlRequest) (Result, error) {
	resp, err := c.Do(req)
	if err != nil {
		return Result{}, err
	}
	r := Result{Changes: resp.Changes}
	if resp.Status != nil {
		r.Status = *resp.Status
	}
	return r, nil
}

func (c *ControlClient) changes(op, value string) ([]string, error) {
	r, err := c.result(ControlRequest{Op: op, Value: value})
	return r.Changes, err
}

// Status is the running agent's state.
func (c *ControlClient) Status() (StatusSnapshot, error) {
	r, err := c.result(ControlRequest{Op: OpStatus})
	return r.Status, err
}

// Masters lists the masters with their link state.
func (c *ControlClient) Masters() ([]MasterStatus, error) {
	r, err := c.result(ControlRequest{Op: OpMastersList})
	return r.Status.Masters, err
}

// SetListen is Agent.SetListen on the running agent ("off" stops listening).
func (c *ControlClient) SetListen(addr string) ([]string, error) { return c.changes(OpSetListen, addr) }

// SetSSL is Agent.SetSSL on the running agent.
func (c *ControlClient) SetSSL(on bool) ([]string, error) { return c.changes(OpSetSSL, onOff(on)) }

// SetManagement is Agent.SetManagement on the running agent.
func (c *ControlClient) SetManagement(on bool) ([]string, error) {
	return c.changes(OpSetManagement, onOff(on))
}

// AddMaster is Agent.AddMaster on the running agent.
func (c *ControlClient) AddMaster(addr string) ([]string, error) {
	return c.changes(OpMastersAdd, addr)
}

// RemoveMaster is Agent.RemoveMaster on the running agent.
func (c *ControlClient) RemoveMaster(addr string) ([]string, error) {
	return c.changes(OpMastersRemove, addr)
}

// SetPassword is Agent.SetPassword on the running agent. pw is not kept;
// the caller should zero it.
func (c *ControlClient) SetPassword(pw []byte) ([]string, error) {
	r, err := c.result(ControlRequest{Op: OpPasswordSet, Password: pw})
	return r.Changes, err
}

// ---- either way ----

// Configure carries out req on the agent whose data directory is dataDir:
// through the control socket when the agent runs, else on its database
// directly (ApplyOffline). It never hangs on the database's lock: an agent
// that holds the lock but does not answer on its socket is reported as
// such. The caller zeroes req.Password.
func Configure(dataDir string, req ControlRequest) (Result, error) {
	c, err := DialControl(dataDir)
	if err == nil {
		return c.result(req)
	}
	if !errors.Is(err, ErrNotRunning) {
		return Result{}, err
	}
	path := filepath.Join(dataDir, DBFile)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		// Before init there is nothing to show or change; do not create
		// the database just to say so.
		switch req.Op {
		case OpStatus, OpMastersList:
			return Result{Changes: []string{}, Status: StatusSnapshot{Masters: []MasterStatus{}, Consoles: []ConsoleStatus{}}}, nil
		}
		if !isKnownOp(req.Op) {
			return Result{}, unknownOp(req.Op)
		}
		return Result{}, ErrNotInitialized
	}
	db, c, err := openOffline(dataDir)
	if c != nil {
		return c.result(req)
	}
	if err != nil {
		return Result{}, err
	}
	r, err := ApplyOffline(db, req)
	if cerr := db.Close(); err == nil && cerr != nil {
		return Result{}, cerr
	}
	return r, err
}

// openOffline opens the database of an agent that did not answer on its
// control socket. When the agent holds the database after all (it started
// between the two looks) and answers now, it returns a client for it
// instead; when it holds it but does not answer, an error that says what
// to do.
func openOffline(dataDir string) (*store.DB, *ControlClient, error) {
	db, err := store.Open(filepath.Join(dataDir, DBFile), store.Options{Kind: "agent"})
	if errors.Is(err, store.ErrAlreadyRunning) {
		if c, cerr := DialControl(dataDir); cerr == nil {
			return nil, c, nil
		}
		who := "an agent is running with this data directory"
		var le *store.LockedError
		if errors.As(err, &le) && le.PID > 0 {
			who = fmt.Sprintf("an agent is running with this data directory (pid %d)", le.PID)
		}
		return nil, nil, fmt.Errorf("%s but does not answer on its control socket %s, so the request cannot reach it: restart the agent (lanyard-agent restart), or stop it and run this command again: %w",
			who, ControlSocketPath(dataDir), err)
	}
	return db, nil, err
}

func isKnownOp(op string) bool {
	for _, o := range controlOps {
		if o == op {
			return true
		}
	}
	return false
}

// ApplyOffline carries out req on the database of an agent that is not
// running, with the same validation and messages as the running agent.
// The change takes effect when the agent starts. req.Password is not kept;
// the caller zeroes it.
func ApplyOffline(db *store.DB, req ControlRequest) (Result, error) {
	var changes []string
	var before, after Settings
	var err error
	switch req.Op {
	case OpStatus, OpMastersList:
	case OpSetListen:
		var addr string
		if addr, err = parseListen(req.Value); err == nil {
			before, after, err = setListen(db, addr)
		}
	case OpSetSSL:
		var on bool
		if on, err = parseOnOff("ssl", req.Value); err == nil {
			before, after, err = setSSL(db, on)
		}
	case OpSetManagement:
		var on bool
		if on, err = parseOnOff("management", req.Value); err == nil {
			before, after, err = setManagement(db, on)
		}
	case OpMastersAdd:
		var addrs []string
		var fp string
		if addrs, fp, err = ParseMasterSpec(req.Value); err == nil {
			if err = addMaster(db, addrs, fp); err == nil {
				changes = append(changes, "masters: added "+MasterSpec(addrs)+expecting(fp))
			}
		}
	case OpMastersTrust:
		var addrs []string
		var fp, change string
		if addrs, fp, err = ParseMasterSpec(req.Value); err == nil {
			if _, change, err = trustMaster(db, addrs[0], fp); err == nil && change != "" {
				changes = append(changes, change)
			}
		}
	case OpMastersRetry:
		err = errors.New("the agent is not running, so there is no dialer to hurry: start it (lanyard-agent start) and it dials its masters at once")
	case OpMastersRemove:
		var addrs []string
		if addrs, err = parseMasterAddrs(req.Value); err == nil {
			var m store.Master
			if m, err = removeMaster(db, addrs[0]); err == nil {
				changes = append(changes, "masters: removed "+m.Spec())
			}
		}
	case OpPasswordSet:
		if len(req.Password) == 0 {
			err = usage(errEmptyPassword)
			break
		}
		var s Settings
		if s, _, err = LoadSettings(db); err != nil {
			break
		}
		var key auth.Key
		if key, err = deriveFor(s.Name, req.Password); err == nil {
			before, after, err = setKey(db, s.Name, key, storeKDF())
			clear(key[:])
		}
	default:
		err = unknownOp(req.Op)
	}
	if err != nil {
		return Result{}, err
	}
	changes = append(changes, describe(before, after)...)
	if changes == nil {
		changes = []string{}
	}
	st, err := OfflineStatus(db)
	if err != nil {
		return Result{}, err
	}
	return Result{Changes: changes, Status: st}, nil
}

// OfflineStatus is the state of an agent that is not running, from its
// database: its settings, and every master offline. Before init, Name is
// empty.
func OfflineStatus(db *store.DB) (StatusSnapshot, error) {
	s, _, err := LoadSettings(db)
	if err != nil {
		return StatusSnapshot{}, err
	}
	ms, err := db.Masters()
	if err != nil {
		return StatusSnapshot{}, err
	}
	fp, err := Fingerprint(db)
	if err != nil {
		return StatusSnapshot{}, err
	}
	st := StatusSnapshot{Name: s.Name, Listen: s.Listen, SSL: s.SSL, Management: s.Management, Fingerprint: fp,
		Masters: make([]MasterStatus, 0, len(ms)), Consoles: []ConsoleStatus{}}
	for _, m := range ms {
		st.Masters = append(st.Masters, MasterStatus{Address: m.Spec(), Addresses: m.Addresses, State: MasterOffline,
			Fingerprint: m.PinnedCert, Preferred: m.LastGood})
	}
	return st, nil
}

// TrustMaster is Agent.TrustMaster on the running agent.
func (c *ControlClient) TrustMaster(spec string) ([]string, error) {
	return c.changes(OpMastersTrust, spec)
}
