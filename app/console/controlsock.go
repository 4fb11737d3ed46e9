package console

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/lanyard/lanyard/app/cmdline"
	"github.com/lanyard/lanyard/core/agent"
	"github.com/lanyard/lanyard/core/control"
	"github.com/lanyard/lanyard/core/health"
	"github.com/lanyard/lanyard/core/master"
	"github.com/lanyard/lanyard/core/slavefile"
	"github.com/lanyard/lanyard/core/store"
	"github.com/lanyard/lanyard/core/wire/pb"
)

// The console's control socket: console.sock in its data directory,
// opened by the running console (window or `lanyard serve`) with the same
// owner-only rules as the agent's (core/control). The commands that
// manage a slave (status, agent-log, agent-settings, password, task…)
// reach the running console through it: it holds the links. One JSON
// request line; the answer is JSON lines, the last with "done": true.

// ControlSocket is the socket's file name in the console's data directory.
const ControlSocket = "console.sock"

// Control operations.
const (
	opStatus       = "status"
	opAgentLog     = "agent_log"
	opSettingsShow = "settings_show"
	opSettingsSet  = "settings_set"
	opPasswordSet  = "password_set"
	opAudit        = "audit"
	opConnLog      = "log"
	opSlaveList    = "slave_list"
	opSlaveExport  = "slave_export"
)

// ctlRequest is one request on the console's control socket.
type ctlRequest struct {
	Op    string `json:"op"`
	Slave string `json:"slave,omitempty"`

	// agent_log
	Lines  int       `json:"lines,omitempty"`
	All    bool      `json:"all,omitempty"`
	Since  time.Time `json:"since,omitzero"`
	Level  string    `json:"level,omitempty"`
	Follow bool      `json:"follow,omitempty"`

	// settings_set
	Listen        *string  `json:"listen,omitempty"`
	SSL           *bool    `json:"ssl,omitempty"`
	Management    *bool    `json:"management,omitempty"`
	MastersAdd    []string `json:"masters_add,omitempty"`
	MastersRemove []string `json:"masters_remove,omitempty"`
	// FollowListen: when the new listen port is one this console dials,
	// its entry follows it (agent-settings set --follow).
	FollowListen bool `json:"follow_listen,omitempty"`

	// password_set, and console_settings_set's SMTP password: travels
	// only over the owner-only socket and is zeroed once used.
	Password []byte `json:"password,omitempty"`

	// console_settings_set
	Edit *settingsEdit `json:"edit,omitempty"`

	// slave_export
	WithKeys bool `json:"with_keys,omitempty"`

	// slave_import: the file by its absolute path (the console reads it:
	// no password in it crosses the socket), and the options.
	File    string `json:"file,omitempty"`
	Format  string `json:"format,omitempty"`
	DryRun  bool   `json:"dry_run,omitempty"`
	SkipBad bool   `json:"skip_bad,omitempty"`
	Workers int    `json:"workers,omitempty"`

	// slave_add, slave_edit, slave_trust (the name in Slave, but for add)
	Entry *entryChange `json:"entry,omitempty"`

	// audit
	Last int `json:"last,omitempty"`

	// report_send: ok and running tasks are listed when they ran within
	// it (health.Report.Since)
	ReportSince time.Duration `json:"report_since,omitempty"`
	ReportGroup string        `json:"report_group,omitempty"` // report_send_group: the group

	// log (the connection log): Slave and Since filter it too.
	ErrorsOnly bool `json:"errors_only,omitempty"`

	// task_* (the agent's own operations and arguments, core/agent);
	// Stream asks for progress lines before the answer.
	Task   *agent.TaskArgs `json:"task,omitempty"`
	Stream bool            `json:"stream,omitempty"`

	// check: one group's servers only; task_copy: every other slave of
	// the group
	Group string `json:"group,omitempty"`

	// task_copy: the slaves named, whether a task of the same name is
	// replaced, and whether each runs it at once
	// group_rename: the group's new name (the old one in Group)
	NewGroup string `json:"new_group,omitempty"`

	To      []string `json:"to,omitempty"`
	Replace bool     `json:"replace,omitempty"`
	Run     bool     `json:"run,omitempty"`
	// task_copy: the destination on each slave ({server}: its name)
	CopyDest string `json:"copy_dest,omitempty"`

	// task_rerun: the states whose tasks run again (Group and Slave,
	// if set, the scope; DryRun only lists them)
	States []health.State `json:"states,omitempty"`
}

// ctlResponse is one answer line; the last has Done set.
type ctlResponse struct {
	Done  bool   `json:"done,omitempty"`
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty"`
	// Usage: the request was wrong (exit code 2), not the console or the
	// agent.
	Usage bool `json:"usage,omitempty"`

	Status   *statusJSON         `json:"status,omitempty"`
	Log      []logLineJSON       `json:"log,omitempty"`
	Settings *agentSettingsJSON  `json:"settings,omitempty"`
	Changes  []string            `json:"changes,omitempty"`
	Audit    []store.AuditRecord `json:"audit,omitempty"`
	Events   []logRecord         `json:"events,omitempty"` // a part of the connection log
	Task     *agent.TaskResult   `json:"task,omitempty"`
	Event    *agent.TaskEvent    `json:"event,omitempty"` // a progress line of a task stream
	Rows     []health.Row        `json:"rows,omitempty"`  // report: every task's backup health

	ConsoleSettings *settingsView   `json:"console_settings,omitempty"`
	Slaves          []slaveJSON     `json:"slaves,omitempty"`
	Export          []slavefile.Row `json:"export,omitempty"`
	ExportInDoubt   []string        `json:"export_in_doubt,omitempty"` // master.ExportRows
	Entry           *entryResult    `json:"entry,omitempty"`
	Import          *importResult   `json:"import,omitempty"`
	Progress        *importProgress `json:"progress,omitempty"` // a part of an import
	Check           *checkResult    `json:"check,omitempty"`
	Copies          []copyJSON      `json:"copies,omitempty"`        // task_copy: each slave's, or one as it ends
	SlaveChanges    []slaveChanges  `json:"slave_changes,omitempty"` // settings_set_group: the same
	Renamed         int             `json:"renamed,omitempty"`       // group_rename: the servers moved
	Reruns          []rerunJSON     `json:"reruns,omitempty"`        // task_rerun: each task's, or one as it starts
	Rerun           *rerunResult    `json:"rerun,omitempty"`         // task_rerun: what was left out
}

// ---- server ----

// openControl opens the console's control socket in dir, answering with
// m until the returned stop is called.
func openControl(dir string, m *master.Master, db *store.DB) (stop func(), err error) {
	s, err := control.Listen(control.Config{Dir: dir, File: ControlSocket, Owner: "lanyard console",
		Denied: "permission denied: run as root or as the console's user"})
	if err != nil {
		return nil, err
	}
	h := &ctlHandler{m: m, db: db}
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.Serve(h.serve)
	}()
	return func() { s.Close(); <-done }, nil
}

// ctlHandler answers control requests with the running console.
type ctlHandler struct {
	m  *master.Master
	db *store.DB
}

// origin is how commands from the control socket appear in the audit.
const origin = "command line"

func (h *ctlHandler) serve(ctx context.Context, line []byte, w *control.Writer) {
	var req ctlRequest
	err := json.Unmarshal(line, &req)
	defer clear(req.Password)
	if err != nil {
		_ = w.Send(ctlResponse{Done: true, Error: fmt.Sprintf("malformed control request: %v", err), Usage: true})
		return
	}
	ctx = master.WithOrigin(ctx, origin)
	resp := h.answer(ctx, &req, w)
	resp.Done = true
	if resp.Error == "" {
		resp.OK = true
	}
	_ = w.Send(resp)
}

// answer carries out req; streams send their parts through w.
func (h *ctlHandler) answer(ctx context.Context, req *ctlRequest, w *control.Writer) ctlResponse {
	if resp, ok := h.consoleWide(ctx, req, w); ok {
		return resp
	}
	if req.Op == opSettingsSetGroup { // a group's slaves
		return h.setGroupSettings(ctx, req, w)
	}
	if req.Op != opAudit && req.Op != opConnLog && req.Slave == "" {
		return ctlResponse{Error: "no slave named: give --slave NAME", Usage: true}
	}
	if req.Op == opTaskCopy {
		return h.taskCopy(ctx, req, w)
	}
	if strings.HasPrefix(req.Op, "task_") {
		return h.task(ctx, req, w)
	}
	return h.slaveOp(ctx, req, w)
}

// consoleWide answers the operations that name no slave to reach: the
// fleet's report, mail, the console's settings and its list of slaves.
// ok is false for any other operation.
func (h *ctlHandler) consoleWide(ctx context.Context, req *ctlRequest, w *control.Writer) (resp ctlResponse, ok bool) {
	switch req.Op {
	case opReport:
		rows := h.m.BackupRows()
		if rows == nil {
			rows = []health.Row{}
		}
		return ctlResponse{Rows: rows}, true
	case opReportSend, opReportSendGroup:
		return h.sendReport(ctx, req), true
	case opCheck:
		return h.check(req), true
	case opTestMail:
		msg, err := h.m.TestMail(ctx, nil, nil)
		if err != nil {
			return failure(err), true
		}
		return ctlResponse{Changes: []string{msg}}, true
	case opConsoleSettings, opConsoleSettingsSet, opSlaveList, opSlaveExport:
		return h.console(req), true
	case opSlaveAdd, opSlaveEdit, opSlaveRemove, opSlaveTrust, opSlaveConnect, opSlaveDisconnect, opSlaveMute:
		return h.entry(req), true
	case opSlaveImport:
		return h.importSlaves(ctx, req, w), true
	case opGroupRename:
		return h.renameGroup(req), true
	case opTaskRerun:
		return h.taskRerun(ctx, req, w), true
	}
	return ctlResponse{}, false
}

// entry adds, edits, removes or trusts a slave in the console's list.
func (h *ctlHandler) entry(req *ctlRequest) ctlResponse {
	var c entryChange
	if req.Entry != nil {
		c = *req.Entry
	}
	res, err := changeEntry(masterEntries{h.m, h.db}, req.Op, req.Slave, c, req.Password)
	if err != nil {
		err = asUsage(err)
		return ctlResponse{Error: err.Error(), Usage: cmdline.IsUsage(err)}
	}
	return ctlResponse{Entry: &res}
}

// importProgressEvery spaces the progress an import sends.
const importProgressEvery = 100 * time.Millisecond

// importSlaves imports the file the request names, as slave import does
// on the database, and links the new slaves at once. The progress goes
// to the client as it is made; the client hanging up (Ctrl+C) stops the
// key derivations, and nothing is added.
func (h *ctlHandler) importSlaves(ctx context.Context, req *ctlRequest, w *control.Writer) ctlResponse {
	w.Watch()
	f := slavefile.Format(req.Format)
	if !filepath.IsAbs(req.File) || (f != slavefile.CSV && f != slavefile.JSON) {
		return ctlResponse{Error: fmt.Sprintf("slave import needs a file by its absolute path and its format (csv or json), not %q (%q)", req.File, req.Format), Usage: true}
	}
	var last time.Time
	o := master.ImportOptions{DryRun: req.DryRun, SkipBad: req.SkipBad, Workers: req.Workers,
		Progress: func(done, total int) {
			if now := time.Now(); done == total || now.Sub(last) >= importProgressEvery {
				last = now
				_ = w.Send(ctlResponse{OK: true, Progress: &importProgress{Done: done, Total: total}})
			}
		}}
	res, err := importFile(ctx, req.File, f, o, func(ctx context.Context, rows []slavefile.Row, o master.ImportOptions) (master.ImportReport, error) {
		return h.m.ImportSlaves(ctx, rows, o, req.File)
	})
	if err != nil {
		return ctlResponse{Error: err.Error(), Usage: cmdline.IsUsage(err)}
	}
	return ctlResponse{Import: &res}
}

// slaveOp answers the operations about one slave: its status, log,
// settings and password through its link, and (for one slave or all)
// the audit trail and the connection log.
func (h *ctlHandler) slaveOp(ctx context.Context, req *ctlRequest, w *control.Writer) ctlResponse {
	switch req.Op {
	case opStatus:
		rep, err := h.m.RemoteStatus(ctx, req.Slave)
		if err != nil {
			return failure(err)
		}
		return ctlResponse{Status: statusOf(rep)}
	case opAgentLog:
		return h.agentLog(ctx, req, w)
	case opSettingsShow:
		s, err := h.m.AgentSettings(ctx, req.Slave)
		if err != nil {
			return failure(err)
		}
		return ctlResponse{Settings: settingsJSON(s)}
	case opSettingsSet:
		set := &pb.SettingsSetRequest{Listen: req.Listen, Ssl: req.SSL, Management: req.Management,
			MastersAdd: req.MastersAdd, MastersRemove: req.MastersRemove}
		v, known := h.m.Slave(req.Slave)
		var before *pb.AgentSettings
		if req.Listen != nil && known && v.Direction == store.Outbound {
			// Best effort: without it, nothing is followed.
			before, _ = h.m.AgentSettings(ctx, req.Slave)
		}
		resp, err := h.m.SetAgentSettings(ctx, req.Slave, set)
		if err != nil {
			return failure(err)
		}
		changes := nonNil(resp.Changes)
		if before != nil {
			if line := h.followListen(v, before, set.GetListen(), req.FollowListen); line != "" {
				changes = append(changes, line)
			}
		}
		return ctlResponse{Changes: changes, Settings: settingsJSON(resp.Settings)}
	case opPasswordSet:
		changes, err := h.m.ChangePassword(ctx, req.Slave, req.Password)
		if err != nil {
			return failure(err)
		}
		return ctlResponse{Changes: nonNil(changes)}
	case opAudit:
		recs, err := h.m.Audit(master.AuditFilter{Slave: req.Slave, Group: req.Group, Since: req.Since, Last: req.Last})
		if err != nil {
			return failure(err)
		}
		return ctlResponse{Audit: recs}
	case opConnLog:
		return h.connLog(req, w)
	}
	return ctlResponse{Error: fmt.Sprintf(unknownOp+" %q", req.Op), Usage: true}
}

// followListen is what becomes of this console's entry for the outbound
// slave v once its agent, with the settings before, moved to next: it
// follows when asked; else a warning says what to run. "" when the entry
// is not concerned (or dials a port a router forwards).
func (h *ctlHandler) followListen(v master.SlaveView, before *pb.AgentSettings, next string, follow bool) string {
	if next == "off" {
		return fmt.Sprintf("this console dials %s at %s, where it no longer listens: it will not reach %s once this link ends", v.Name, v.Address, v.Name)
	}
	to := master.FollowAddress(v.Address, before, next)
	switch {
	case to == "":
		return ""
	case !follow:
		return fmt.Sprintf("this console still dials %s at %s, and will not reach it there once this link ends: lanyard slave edit %s --address %s (--follow does it with the change)",
			v.Name, v.Address, v.Name, to)
	}
	if _, err := h.m.EditSlave(v.Name, v.DialedAt(to)); err != nil {
		return fmt.Sprintf("this console still dials %s at %s (%v): lanyard slave edit %s --address %s", v.Name, v.Address, err, v.Name, to)
	}
	return fmt.Sprintf("this console now dials %s at %s", v.Name, to)
}

// agentLog streams the agent's log lines, and (Follow) the new ones
// until the caller goes.
func (h *ctlHandler) agentLog(ctx context.Context, req *ctlRequest, w *control.Writer) ctlResponse {
	if req.Follow {
		w.Watch()
	}
	q := master.LogQuery{Last: req.Lines, All: req.All, Since: req.Since, MinLevel: req.Level, Follow: req.Follow}
	err := h.m.AgentLog(ctx, req.Slave, q, func(lines []*pb.LogLine) error {
		return w.Send(ctlResponse{OK: true, Log: logLinesJSON(lines)})
	})
	if err != nil && !errors.Is(err, context.Canceled) {
		return failure(err)
	}
	return ctlResponse{}
}

// connLog sends the console's connection log in parts.
func (h *ctlHandler) connLog(req *ctlRequest, w *control.Writer) ctlResponse {
	events, err := h.m.Events(store.EventFilter{Slave: req.Slave, Since: req.Since, ErrorsOnly: req.ErrorsOnly})
	if err != nil {
		return failure(err)
	}
	for len(events) > 0 {
		n := min(len(events), connLogPart)
		if err := w.Send(ctlResponse{OK: true, Events: logRecords(events[:n])}); err != nil {
			return failure(err)
		}
		events = events[n:]
	}
	return ctlResponse{}
}

// console answers the commands about the console itself, with the same
// functions the command line uses on the database when no console runs.
func (h *ctlHandler) console(req *ctlRequest) ctlResponse {
	var r ctlResponse
	var err error
	switch req.Op {
	case opConsoleSettingsSet:
		if req.Edit == nil {
			return ctlResponse{Error: "nothing to change", Usage: true}
		}
		password := string(req.Password)
		if err = applyEdit(masterHome{h.m}, *req.Edit, &password); err != nil {
			return ctlResponse{Error: err.Error(), Usage: cmdline.IsUsage(err)}
		}
		fallthrough
	case opConsoleSettings:
		var v settingsView
		v, err = viewOf(masterHome{h.m})
		if lerr := h.m.ListenError(); lerr != nil && v.Listen {
			v.ListenError = lerr.Error()
		}
		r.ConsoleSettings = &v
	case opSlaveList:
		r.Slaves, err = liveSlaveList(h.db, h.m)
	case opSlaveExport:
		r.Export, r.ExportInDoubt, err = master.ExportRows(h.db, req.WithKeys)
	}
	if err != nil {
		return failure(err)
	}
	return r
}

// unknownOp begins the answer to an operation this console does not know:
// a newer command line asks an older running console.
const unknownOp = "unknown control operation"

// connLogPart is how many connection-log records one answer line
// carries: the log holds up to 100,000, far more than one line should.
const connLogPart = 1000

// failure is an error answer; the agent finding the request wrong is a
// usage mistake.
func failure(err error) ctlResponse {
	var ae *master.AgentError
	return ctlResponse{Error: err.Error(), Usage: errors.As(err, &ae) && ae.Mistake()}
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// ---- client ----

// consoleClient talks to the running console.
type consoleClient struct {
	c *control.Client
}

// errNoConsole says, in one line, that the command needs a running
// console.
type errNoConsole struct{ dir string }

func (e errNoConsole) Error() string {
	return fmt.Sprintf("no console is running with the data directory %s: start it first (lanyard, or lanyard serve)", e.dir)
}

// dialConsole reaches the running console whose data directory is dir.
func dialConsole(dir string) (*consoleClient, error) {
	c, err := control.Dial(filepath.Join(dir, ControlSocket))
	var pe *control.PermissionError
	switch {
	case errors.Is(err, control.ErrNotRunning):
		return nil, errNoConsole{dir: dir}
	case errors.As(err, &pe):
		return nil, fmt.Errorf("permission denied: run as the console's user (cannot use %s)", pe.Path)
	case err != nil:
		return nil, err
	}
	return &consoleClient{c: c}, nil
}

// ctlError is the console's refusal; Usage marks a mistake in the request.
type ctlError struct {
	msg   string
	usage bool
}

func (e *ctlError) Error() string      { return e.msg }
func (e *ctlError) UsageMistake() bool { return e.usage }

// do sends req and hands every part (for a stream) to onPart, then
// returns the final answer. ctx ending hangs up, which stops a stream.
func (cc *consoleClient) do(ctx context.Context, req ctlRequest, onPart func(ctlResponse) error) (ctlResponse, error) {
	line := encodeCtlRequest(req)
	defer clear(line)
	var final *ctlResponse
	err := cc.c.Stream(ctx, line, func(b []byte) error {
		var r ctlResponse
		if err := json.Unmarshal(b, &r); err != nil {
			return fmt.Errorf("a malformed answer from the console: %w", err)
		}
		if r.Done {
			final = &r
			return nil
		}
		if onPart != nil {
			return onPart(r)
		}
		return nil
	})
	if err != nil {
		return ctlResponse{}, err
	}
	if final == nil {
		return ctlResponse{}, errors.New("the console closed the connection without answering (did it stop?)")
	}
	if !final.OK {
		if strings.HasPrefix(final.Error, unknownOp) {
			return *final, fmt.Errorf("the running console is older than this command and cannot answer %s: restart it (the window, or the service) so that the new version runs, then try again", req.Op)
		}
		return *final, &ctlError{msg: final.Error, usage: final.Usage}
	}
	return *final, nil
}

// encodeCtlRequest is the request as one JSON line. The password is
// written straight into the buffer the caller zeroes: encoding/json would
// leave copies of it in its pooled buffers.
func encodeCtlRequest(req ctlRequest) []byte {
	pw := req.Password
	req.Password = nil
	b, _ := json.Marshal(req)
	if len(pw) == 0 {
		return b
	}
	n := base64.StdEncoding.EncodedLen(len(pw))
	out := make([]byte, 0, len(b)+len(`,"password":""`)+n)
	out = append(out, b[:len(b)-1]...) // without the closing brace
	out = append(out, `,"password":"`...)
	start := len(out)
	out = out[:start+n]
	base64.StdEncoding.Encode(out[start:], pw)
	return append(out, `"}`...)
}
