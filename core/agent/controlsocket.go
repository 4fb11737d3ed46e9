package agent

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/lanyard/lanyard/core/auth"
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
const MaxControlRequest = 64 << 10

// DefaultControlTimeout bounds one control connection, request to response.
const DefaultControlTimeout = 30 * time.Second

// maxControlResponse bounds what the client reads back (a status with
// thousands of masters fits).
const maxControlResponse = 16 << 20

// Control operations.
const (
	OpStatus        = "status"
	OpSetListen     = "set_listen"     // Value: host:port or off
	OpSetSSL        = "set_ssl"        // Value: on or off
	OpSetManagement = "set_management" // Value: on or off
	OpMastersList   = "masters_list"
	OpMastersAdd    = "masters_add"    // Value: host:port
	OpMastersRemove = "masters_remove" // Value: host:port
	OpPasswordSet   = "password_set"   // Password
)

var controlOps = []string{OpStatus, OpSetListen, OpSetSSL, OpSetManagement, OpMastersList, OpMastersAdd, OpMastersRemove, OpPasswordSet}

// ControlRequest is one request on the control socket, or to Configure.
type ControlRequest struct {
	Op    string `json:"op"`
	Value string `json:"value,omitempty"`
	// Password is password_set's new password. It travels only over the
	// local socket and is never logged; the agent zeroes its copies once
	// the key is derived.
	Password []byte `json:"password,omitempty"`
}

// ControlResponse is the agent's answer.
type ControlResponse struct {
	OK      bool            `json:"ok"`
	Changes []string        `json:"changes"`
	Status  *StatusSnapshot `json:"status,omitempty"`
	Error   string          `json:"error,omitempty"`
	// Usage: the request was wrong (exit code 2), not the agent.
	Usage bool `json:"usage,omitempty"`
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

type controlServer struct {
	a       *Agent
	ln      *net.UnixListener
	path    string
	file    os.FileInfo // the socket as created, so close removes only ours
	timeout time.Duration

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
	done   chan struct{}
	once   sync.Once
}

// openControl binds the control socket in dir (checked first), replacing
// a stale one left by a crash. Nothing is served until serveControlLocked.
func (a *Agent) openControl(dir string) (*controlServer, error) {
	path := ControlSocketPath(dir)
	if err := checkControlDir(dir); err != nil {
		return nil, err
	}
	if err := clearStaleSocket(path); err != nil {
		return nil, err
	}
	ln, err := listenControl(path)
	if err != nil {
		return nil, fmt.Errorf("cannot open the control socket %s: %w", path, err)
	}
	fi, err := os.Lstat(path)
	if err != nil {
		_ = ln.Close()
		return nil, fmt.Errorf("cannot open the control socket %s: %w", path, err)
	}
	timeout := a.cfg.ControlTimeout
	if timeout <= 0 {
		timeout = DefaultControlTimeout
	}
	return &controlServer{a: a, ln: ln, path: path, file: fi, timeout: timeout,
		conns: map[net.Conn]struct{}{}, done: make(chan struct{})}, nil
}

// serveControlLocked starts accepting; the agent's context or Close stops
// it. a.mu is held.
func (a *Agent) serveControlLocked(cs *controlServer) {
	a.wg.Add(2)
	go func() {
		defer a.wg.Done()
		cs.acceptLoop()
	}()
	go func() {
		defer a.wg.Done()
		select {
		case <-a.ctx.Done():
			cs.close()
		case <-cs.done:
		}
	}()
	a.log.WithField("event", "control").Infof("control socket at %s", cs.path)
}

// close stops accepting, ends the connections in progress and removes the
// socket file if it is still ours. Idempotent.
func (cs *controlServer) close() {
	cs.once.Do(func() {
		cs.mu.Lock()
		cs.closed = true
		for c := range cs.conns {
			_ = c.Close()
		}
		cs.mu.Unlock()
		close(cs.done)
		_ = cs.ln.Close()
		if fi, err := os.Lstat(cs.path); err == nil && os.SameFile(fi, cs.file) {
			_ = os.Remove(cs.path)
		}
	})
}

func (cs *controlServer) acceptLoop() {
	for {
		c, err := cs.ln.AcceptUnix()
		if err != nil {
			select {
			case <-cs.done:
				return
			default:
			}
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// Out of file descriptors and the like: wait, then go on.
			t := time.NewTimer(50 * time.Millisecond)
			select {
			case <-cs.done:
				t.Stop()
				return
			case <-t.C:
			}
			continue
		}
		cs.mu.Lock()
		if cs.closed {
			cs.mu.Unlock()
			_ = c.Close()
			return
		}
		cs.conns[c] = struct{}{}
		// The accept loop holds a count, so this Add never races Wait.
		cs.a.wg.Add(1)
		cs.mu.Unlock()
		go cs.handle(c)
	}
}

var errRequestTooLarge = fmt.Errorf("the request is larger than %d KiB", MaxControlRequest>>10)

func (cs *controlServer) handle(c *net.UnixConn) {
	defer func() {
		cs.mu.Lock()
		delete(cs.conns, c)
		cs.mu.Unlock()
		_ = c.Close()
		cs.a.wg.Done()
	}()
	// The request must arrive within the timeout; the answer gets its own
	// short deadline (reply), so a late request is still told why.
	_ = c.SetReadDeadline(time.Now().Add(cs.timeout))
	if err := peerAllowed(c); err != nil {
		cs.a.log.WithField("event", "control").Warnf("control socket: refused a request: %v", err)
		reply(c, ControlResponse{Error: err.Error()})
		return
	}
	buf := make([]byte, MaxControlRequest+1)
	defer clear(buf)
	n, err := readRequest(c, buf)
	switch {
	case n == 0 && errors.Is(err, io.EOF):
		return // a probe (DialControl) or a client that gave up
	case errors.Is(err, errRequestTooLarge):
		reply(c, ControlResponse{Error: err.Error()})
		return
	case err != nil:
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			err = fmt.Errorf("the request did not arrive within %s", cs.timeout)
		}
		reply(c, ControlResponse{Error: err.Error()})
		return
	}
	var req ControlRequest
	err = json.Unmarshal(buf[:n], &req)
	clear(buf[:n])
	defer clear(req.Password)
	if err != nil {
		reply(c, ControlResponse{Error: fmt.Sprintf("malformed control request: %v", err)})
		return
	}
	reply(c, cs.a.serveControl(req))
}

// readRequest reads one request, up to a newline or the end of the
// stream, into buf; a request that does not fit is refused.
func readRequest(c net.Conn, buf []byte) (int, error) {
	n := 0
	for {
		if n == len(buf) {
			return n, errRequestTooLarge
		}
		m, err := c.Read(buf[n:])
		if i := bytes.IndexByte(buf[n:n+m], '\n'); i >= 0 {
			return n + i, nil
		}
		n += m
		if errors.Is(err, io.EOF) {
			if n == 0 {
				return 0, io.EOF
			}
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

// replyTimeout bounds writing an answer to a client that stopped reading.
const replyTimeout = 5 * time.Second

func reply(c net.Conn, resp ControlResponse) {
	_ = c.SetWriteDeadline(time.Now().Add(replyTimeout))
	if resp.Changes == nil {
		resp.Changes = []string{}
	}
	b, err := json.Marshal(resp)
	if err != nil {
		b, _ = json.Marshal(ControlResponse{Error: "cannot encode the answer: " + err.Error(), Changes: []string{}})
	}
	_, _ = c.Write(append(b, '\n'))
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
	case OpPasswordSet:
		return a.SetPassword(req.Password)
	}
	return nil, unknownOp(req.Op)
}

func unknownOp(op string) error {
	return usagef("unknown control operation %q (known: %s)", op, strings.Join(controlOps, ", "))
}

// clearStaleSocket makes way for a new control socket at path: a socket
// nobody answers on is left from an agent that crashed and is removed; a
// socket that answers belongs to a running agent and is left alone.
func clearStaleSocket(path string) error {
	// A bind interrupted by a crash leaves its private directory behind.
	if entries, err := os.ReadDir(filepath.Dir(path)); err == nil {
		for _, e := range entries {
			if isBindDir(e) {
				_ = os.RemoveAll(filepath.Join(filepath.Dir(path), e.Name()))
			}
		}
	}
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("cannot check the control socket %s: %w", path, err)
	}
	if runtime.GOOS != "windows" && fi.Mode().Type() != fs.ModeSocket {
		return fmt.Errorf("%s is in the way of the control socket and is not a socket: move it aside", path)
	}
	if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
		_ = c.Close()
		return fmt.Errorf("another lanyard-agent already answers on %s: stop it first, or give this one another data directory", path)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("cannot remove the stale control socket %s: %w", path, err)
	}
	return nil
}

// bindDirPrefix names the private directory a socket is bound in before
// it is moved into place (control_unix.go).
const bindDirPrefix = ".lsock"

func isBindDir(e fs.DirEntry) bool {
	rest, ok := strings.CutPrefix(e.Name(), bindDirPrefix)
	if !ok || rest == "" || !e.IsDir() {
		return false
	}
	return strings.Trim(rest, "0123456789") == ""
}

// checkSocketPath refuses a path longer than a Unix socket address holds,
// in words rather than as "invalid argument".
func checkSocketPath(path string) error {
	limit := 104 // macOS and the BSDs, with the terminating NUL
	if runtime.GOOS == "linux" || runtime.GOOS == "android" || runtime.GOOS == "windows" {
		limit = 108
	}
	if len(path) >= limit {
		return fmt.Errorf("the path %s is too long for a socket (at most %d bytes): use a data directory with a shorter path", path, limit-1)
	}
	return nil
}

// ---- client ----

// ControlClient talks to the running agent over its control socket; each
// call is one connection.
type ControlClient struct {
	path    string
	timeout time.Duration
}

// DialControl checks that an agent answers on the control socket in
// dataDir. The error matches ErrNotRunning when none does; a user who may
// not use the socket gets a *ControlError saying so.
func DialControl(dataDir string) (*ControlClient, error) {
	path := ControlSocketPath(dataDir)
	c, err := dialControl(path)
	if err != nil {
		return nil, err
	}
	_ = c.Close()
	return &ControlClient{path: path, timeout: DefaultControlTimeout + 5*time.Second}, nil
}

func dialControl(path string) (*net.UnixConn, error) {
	c, err := net.DialTimeout("unix", path, 5*time.Second)
	if err == nil {
		return c.(*net.UnixConn), nil
	}
	if errors.Is(err, fs.ErrPermission) {
		return nil, &ControlError{Message: fmt.Sprintf("%s (cannot use %s)", permissionMessage, path), Err: err}
	}
	// Missing, refused (a socket left by an agent that stopped), or not a
	// socket at all: no agent to talk to. Falling back to the database is
	// safe, because a running agent holds its lock.
	return nil, &notRunningError{path: path, err: err}
}

// Do sends one request and returns the answer. A refusal is a
// *ControlError; its Usage says whether the request was at fault.
func (c *ControlClient) Do(req ControlRequest) (ControlResponse, error) {
	conn, err := dialControl(c.path)
	if err != nil {
		return ControlResponse{}, err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(c.timeout))
	msg := encodeRequest(req)
	_, werr := conn.Write(msg)
	clear(msg)
	if werr == nil {
		_ = conn.CloseWrite()
	}
	// Read even after a failed write: the agent may have answered (and
	// closed) before reading everything, to refuse.
	var resp ControlResponse
	if err := json.NewDecoder(io.LimitReader(conn, maxControlResponse)).Decode(&resp); err != nil {
		if werr != nil {
			err = werr
		}
		return ControlResponse{}, fmt.Errorf("no answer from the agent on %s: %w", c.path, err)
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
	b := make([]byte, 0, len(`{"op":,"value":,"password":""}`)+len(op)+len(val)+pwLen+1)
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
	return append(b, "}\n"...)
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
	db, err := store.Open(path, store.Options{Kind: "agent"})
	if errors.Is(err, store.ErrAlreadyRunning) {
		// It may have started between the two looks: ask it once more.
		if c, cerr := DialControl(dataDir); cerr == nil {
			return c.result(req)
		}
		who := "an agent is running with this data directory"
		var le *store.LockedError
		if errors.As(err, &le) && le.PID > 0 {
			who = fmt.Sprintf("an agent is running with this data directory (pid %d)", le.PID)
		}
		return Result{}, fmt.Errorf("%s but does not answer on its control socket %s, so the change cannot reach it: restart the agent (lanyard-agent restart), or stop it and run this command again: %w",
			who, ControlSocketPath(dataDir), err)
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
		var addr string
		if addr, err = parseMaster(req.Value); err == nil {
			if err = addMaster(db, addr); err == nil {
				changes = append(changes, "masters: added "+addr)
			}
		}
	case OpMastersRemove:
		var addr string
		if addr, err = parseMaster(req.Value); err == nil {
			if addr, err = removeMaster(db, addr); err == nil {
				changes = append(changes, "masters: removed "+addr)
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
			before, after, err = setKey(db, s.Name, key)
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
	st := StatusSnapshot{Name: s.Name, Listen: s.Listen, SSL: s.SSL, Management: s.Management,
		Masters: make([]MasterStatus, 0, len(ms)), Consoles: []ConsoleStatus{}}
	for _, m := range ms {
		st.Masters = append(st.Masters, MasterStatus{Address: m.Address, State: MasterOffline})
	}
	return st, nil
}
