package master

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/lanyard/lanyard/core/address"
	"github.com/lanyard/lanyard/core/agent"
	"github.com/lanyard/lanyard/core/auth"
	"github.com/lanyard/lanyard/core/backup"
	"github.com/lanyard/lanyard/core/human"
	"github.com/lanyard/lanyard/core/link"
	"github.com/lanyard/lanyard/core/store"
	"github.com/lanyard/lanyard/core/wire"
	"github.com/lanyard/lanyard/core/wire/pb"
)

// Remote management: the commands the console sends a linked agent, for
// the window and the command line alike. A command for a slave that is
// not linked is refused at once, in plain words, and never queued. A
// method the agent does not know is reported as not supported by its
// version. Every command that changes something or starts work on a slave
// is recorded in the audit (what, which slave, when, from where, the
// result); reads are not.

// ErrNotLinked: the slave has no link now, so nothing was sent.
var ErrNotLinked = errors.New("not connected")

// NotLinkedError says why a command was not sent.
type NotLinkedError struct {
	Slave  string
	State  State
	Reason string // plain words: why it is not linked and what to do
}

func (e *NotLinkedError) Error() string { return e.Reason }
func (e *NotLinkedError) Unwrap() error { return ErrNotLinked }

// ErrNotSupported: the agent's version does not know the method.
var ErrNotSupported = errors.New("not supported by this agent version")

// NotSupportedError names what is not supported and the agent's version.
type NotSupportedError struct {
	Slave, What, Version string
}

func (e *NotSupportedError) Error() string {
	return fmt.Sprintf("%s: %s is not supported by this agent version (%s): upgrade lanyard-agent on it", e.Slave, e.What, e.Version)
}
func (e *NotSupportedError) Unwrap() error { return ErrNotSupported }

// maxAgentText is where an agent's error message is cut when shown.
const maxAgentText = 400

// originKey carries where a command came from in its context.
type originKey struct{}

// WithOrigin marks commands sent with ctx as coming from origin (for the
// audit), e.g. "command line (uid 1000)". Without it they come from the
// window.
func WithOrigin(ctx context.Context, origin string) context.Context {
	return context.WithValue(ctx, originKey{}, origin)
}

func originOf(ctx context.Context) string {
	if o, ok := ctx.Value(originKey{}).(string); ok && o != "" {
		return o
	}
	return "window"
}

// linkFor is the slave's link, or why there is none.
func (m *Master) linkFor(name string) (*link.Link, string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.byName[strings.ToLower(name)]
	if s == nil {
		return nil, name, m.noSlaveLocked(name)
	}
	if s.link != nil {
		return s.link, s.entry.Name, nil
	}
	return nil, s.entry.Name, &NotLinkedError{Slave: s.entry.Name, State: s.state, Reason: notLinkedReason(s, time.Now())}
}

// notLinkedReason says why s is not linked at now, in the words a refused
// command shows. m.mu is held.
func notLinkedReason(s *slave, now time.Time) string {
	name := s.entry.Name
	seen := ", never linked to this console yet"
	if !s.seen.IsZero() {
		seen = ", last seen " + human.Ago(s.seen, now)
	}
	// A slave that refused this console (a wrong password, SSL that does
	// not match) is not offline: it answered.
	down := "offline"
	if s.state == StateError {
		down = "not linked"
	}
	switch {
	case s.state == StateDisabled:
		return name + " is disconnected (you disconnected it): Connect it first; nothing was sent"
	case wire.Code(s.lastCode) == wire.CodeManagementDisabled:
		return name + " does not accept remote management: it is turned off on the agent (run `lanyard-agent set management on` there); nothing was sent"
	case s.retrying:
		// A retry of a slave that is down: the failure is the news, not
		// the attempt, which the redialer makes every few seconds.
		return fmt.Sprintf("%s is %s (%s)%s, trying again now: nothing was sent", name, down, s.lastErr, seen)
	case s.state == StateConnecting:
		return name + " is connecting since " + s.changed.Format("15:04:05") + ", not connected yet: try again in a moment; nothing was sent"
	case s.lastErr != "":
		return fmt.Sprintf("%s is %s (%s)%s: nothing was sent", name, down, s.lastErr, seen)
	case s.entry.Direction == store.Inbound && s.seen.IsZero():
		return name + " is offline: it has never dialed in to this console; nothing was sent"
	case s.entry.Direction == store.Inbound:
		return name + " is offline: it has not dialed in to this console since " + human.Ago(s.seen, now) + "; nothing was sent"
	}
	return name + " is offline" + seen + ": nothing was sent"
}

// agentVersion is what the slave's agent says it is, for "not supported".
func (m *Master) agentVersion(name string, l *link.Link) string {
	m.mu.Lock()
	s := m.byName[strings.ToLower(name)]
	var st *pb.StatusResponse
	if s != nil {
		st = s.status
	}
	m.mu.Unlock()
	if st != nil && st.AgentVersion != "" {
		return st.AgentVersion
	}
	sw := l.Peer().Software
	if i := strings.LastIndexByte(sw, ' '); i >= 0 {
		sw = sw[i+1:]
	}
	if sw == "" {
		return "unknown"
	}
	return sw
}

// command is one request to a linked slave: what names it for the audit
// and in errors ("settings set: ssl on"), feature for "not supported"
// ("the agent's settings"); audit says whether it changes something, and
// so is recorded in the audit before it is sent, its answer put in that
// record; long that it may take minutes or hours (a restore), so that its
// answer is a record of its own, after the one that says it started.
type command struct {
	what    string
	feature string
	audit   bool
	long    bool
}

// unanswered is what the audit says, at the console's next start, of a
// command the console stopped before its answer came.
const unanswered = store.AuditFailed + "no answer recorded: the console stopped before it came, so the command may or may not have been carried out (the agent's log says)"

// run sends c to the slave through fn and explains what went wrong.
func (m *Master) run(ctx context.Context, name string, c command, fn func(l *link.Link) error) error {
	l, display, err := m.linkFor(name)
	if err != nil {
		if c.audit {
			m.audit(ctx, display, c.what, "", err)
		}
		return err
	}
	var sent store.AuditKey
	if c.audit {
		opening := store.AuditSent
		if c.long {
			opening = store.AuditStarted
		}
		sent = m.beginAudit(ctx, display, c.what, opening)
	}
	err = m.explain(display, c, l, fn(l))
	if c.audit {
		if c.long {
			sent = "" // its answer is a record of its own
		}
		m.audit(ctx, display, c.what, sent, err)
	}
	return err
}

// explain turns a request's failure into words for the user.
func (m *Master) explain(slave string, c command, l *link.Link, err error) error {
	if err == nil {
		return nil
	}
	var re *link.RequestError
	var le *link.Error
	switch {
	case errors.As(err, &re) && re.Code == wire.ErrUnknownMethod:
		return &NotSupportedError{Slave: slave, What: c.feature, Version: m.agentVersion(slave, l)}
	case errors.As(err, &re) && re.Code == wire.ErrBusy:
		return fmt.Errorf("%s is busy with other requests from this console: try again in a moment", slave)
	case errors.As(err, &re):
		return &AgentError{Slave: slave, Code: re.Code, Message: re.Message, Detail: re.Detail}
	case errors.As(err, &le):
		return &noAnswerError{fmt.Sprintf("the link to %s closed before it answered (%s): the command may or may not have been carried out", slave, le.Reason)}
	case errors.Is(err, context.DeadlineExceeded):
		return &noAnswerError{fmt.Sprintf("%s did not answer in time: the command may still be carried out", slave)}
	case errors.Is(err, context.Canceled):
		return &CancelledError{Slave: slave, Changes: c.audit}
	}
	return err
}

// ErrNoAnswer matches a command whose answer never came (the link
// closed, no answer in time, or it was given up here): whether the slave
// carried it out is not known, and a window says so rather than that
// nothing changed.
var ErrNoAnswer = errors.New("no answer came: the command may or may not have been carried out")

// noAnswerError is such a command's failure, in its own words.
type noAnswerError struct{ msg string }

func (e *noAnswerError) Error() string        { return e.msg }
func (e *noAnswerError) Is(target error) bool { return target == ErrNoAnswer }

// CancelledError is a request given up here before its slave answered:
// the words say so (not Go's "context canceled"), and errors.Is
// context.Canceled still holds for the callers that stay quiet about a
// cancel.
type CancelledError struct {
	Slave   string
	Changes bool // the command changes something (it is audited): it may have
}

func (e *CancelledError) Error() string {
	if !e.Changes {
		return "cancelled before " + e.Slave + " answered"
	}
	return "cancelled before " + e.Slave + " answered: the command may still be carried out"
}

func (e *CancelledError) Unwrap() error { return context.Canceled }

// Is makes errors.Is(err, ErrNoAnswer) true of a cancelled command that
// changes something.
func (e *CancelledError) Is(target error) bool { return target == ErrNoAnswer && e.Changes }

// AgentError is an agent's refusal or failure, in its own words, with
// the detail the agent sent for the codes that have one. Its words are
// shown as they are when plain, quoted and cut when not (wire.PlainUpTo):
// a refusal reads `FS01 answered: listen port "99999" is out of range`,
// not with every quote of its own escaped.
type AgentError struct {
	Slave, Code, Message string
	Detail               []byte
}

func (e *AgentError) Error() string {
	return fmt.Sprintf("%s answered: %s", e.Slave, wire.PlainUpTo(e.Message, maxAgentText))
}

// Unwrap lets errors.Is(err, agent.ErrConflict) find an edit refused
// because another console saved first, errors.Is(err, backup.ErrBusy) a
// run or deletion refused for a busy task, and errors.Is(err,
// backup.ErrExists) a restore refused over files already there.
func (e *AgentError) Unwrap() error {
	switch e.Code {
	case wire.ErrConflict:
		return agent.ErrConflict
	case wire.ErrTaskBusy:
		return backup.ErrBusy
	case wire.ErrFilesExist:
		if ex := filesExist(e.Detail); ex != nil {
			return ex
		}
		return backup.ErrExists
	}
	return nil
}

// Bounds of what a files_exist answer's detail may name: an agent names
// three files. Whoever shows them quotes and cuts them further.
const (
	maxExistingNamed = 10
	maxExistingPath  = 4096
)

// filesExist is the detail of a files_exist answer as the restore's
// *backup.ExistsError (errors.As finds the files it names), or nil for
// none (an older agent) or one that does not decode.
func filesExist(detail []byte) *backup.ExistsError {
	var fe pb.FilesExist
	if len(detail) == 0 || proto.Unmarshal(detail, &fe) != nil || fe.Count < 1 {
		return nil
	}
	ex := &backup.ExistsError{Count: int(min(fe.Count, math.MaxInt32))}
	for _, p := range fe.Paths[:min(len(fe.Paths), maxExistingNamed)] {
		if c, _ := human.Cut(p, maxExistingPath); c != "" {
			ex.Paths = append(ex.Paths, c)
		}
	}
	return ex
}

// Mistake reports whether the agent found the request itself wrong (bad
// input), rather than failing to carry it out.
func (e *AgentError) Mistake() bool {
	return e.Code == wire.ErrBadRequest || e.Code == wire.ErrFilesExist
}

// audit records one command's result: in the record sent names (the one
// made before it was sent), or in a record of its own for "".
func (m *Master) audit(ctx context.Context, slave, what string, sent store.AuditKey, err error) {
	result := store.AuditOK
	var nl *NotLinkedError
	switch {
	case errors.As(err, &nl):
		result = store.AuditRefused + nl.Reason
	case err != nil:
		result = store.AuditFailed + err.Error()
	}
	if sent == "" || m.endAudit(sent, slave, result) != nil {
		m.beginAudit(ctx, slave, what, result)
	}
	e := m.log.WithField("event", "command").WithField("slave", slave).WithField("origin", originOf(ctx))
	if err != nil {
		e.Warnf("%s: %s", what, result)
	} else {
		e.Infof("%s: done", what)
	}
}

// beginAudit writes one record of the audit, says so to subscribers, and
// returns its key ("" when it could not be written).
func (m *Master) beginAudit(ctx context.Context, slave, what, result string) store.AuditKey {
	k, err := m.cfg.DB.BeginAudit(store.AuditRecord{Slave: slave, Command: what, Result: result, Origin: originOf(ctx)})
	if err != nil {
		m.log.WithError(err).Warn("could not record a command in the audit")
		return ""
	}
	m.hub.publish(Event{Time: time.Now(), Kind: EventAudit, Slave: slave})
	return k
}

// endAudit puts result in the record k, and says so to subscribers.
func (m *Master) endAudit(k store.AuditKey, slave, result string) error {
	if err := m.cfg.DB.EndAudit(k, result); err != nil {
		return err
	}
	m.hub.publish(Event{Time: time.Now(), Kind: EventAudit, Slave: slave})
	return nil
}

// EventAudit: a command was recorded in the audit (Event.Slave names its
// slave); only subscribers see it.
const EventAudit = "audit"

// AuditFilter selects audit records.
type AuditFilter struct {
	Slave string // "" for every slave; case does not matter
	// Group: only the commands of the slaves in that group now (its
	// name in any case); "" for every group.
	Group string
	Since time.Time // those at or after it; zero for all
	Last  int       // the newest n; 0 for all
}

// Audit returns the recorded commands, oldest first. A group's members
// are the entries this console holds.
func (m *Master) Audit(f AuditFilter) ([]store.AuditRecord, error) {
	return readAudit(m.cfg.DB, f, func() (map[string]bool, error) {
		m.mu.Lock()
		defer m.mu.Unlock()
		return membersOf(func(yield func(store.Slave) bool) {
			for _, s := range m.slaves {
				if !yield(s.entry) {
					return
				}
			}
		}, f.Group), nil
	})
}

// ReadAudit is Audit on a console's database (no console running).
// With no console running, a command still "sent, no answer yet" got
// none: it reads as the console's next start will mark it.
func ReadAudit(db *store.DB, f AuditFilter) ([]store.AuditRecord, error) {
	recs, err := readAudit(db, f, func() (map[string]bool, error) {
		slaves, err := db.Slaves()
		if err != nil {
			return nil, err
		}
		return membersOf(slices.Values(slaves), f.Group), nil
	})
	for i := range recs {
		if recs[i].Result == store.AuditSent {
			recs[i].Result = unanswered
		}
	}
	return recs, err
}

// readAudit reads the audit f selects; members are f.Group's slaves.
func readAudit(db *store.DB, f AuditFilter, members func() (map[string]bool, error)) ([]store.AuditRecord, error) {
	q := store.AuditQuery{Since: f.Since, Limit: f.Last}
	if f.Group != "" {
		in, err := members()
		if err != nil {
			return nil, err
		}
		if len(in) == 0 {
			return nil, NoServerIn(f.Group)
		}
		q.Match = func(r store.AuditRecord) bool {
			return in[strings.ToLower(r.Slave)] && (f.Slave == "" || strings.EqualFold(r.Slave, f.Slave))
		}
	} else if f.Slave != "" {
		q.Match = func(r store.AuditRecord) bool { return strings.EqualFold(r.Slave, f.Slave) }
	}
	return db.Audit(q)
}

// ---- status ----

// StatusReport is a slave's fresh status and what the console measured.
type StatusReport struct {
	Slave  SlaveView
	Status *pb.StatusResponse
	// ClockSkew is how far the agent's clock is ahead of this console's
	// (negative: behind), corrected by half the round trip.
	ClockSkew time.Duration
	RTT       time.Duration
}

// RemoteStatus asks a linked slave for its status now (and keeps it as
// the slave's last known status).
func (m *Master) RemoteStatus(ctx context.Context, name string) (StatusReport, error) {
	var rep StatusReport
	err := m.run(ctx, name, command{what: "status", feature: "status"}, func(l *link.Link) error {
		var st pb.StatusResponse
		sent := time.Now()
		if err := l.Request(ctx, wire.MethodStatus, &pb.StatusRequest{}, &st); err != nil {
			return err
		}
		got := time.Now()
		rep.Status, rep.RTT = &st, got.Sub(sent)
		rep.ClockSkew = clockSkew(&st, sent, got)
		// One critical section keeps the answer and takes the view: a
		// console asking every slave at once takes its lock once per
		// answer, not twice, and the view shares the caller's copy of the
		// answer rather than cloning the fleet's again.
		m.mu.Lock()
		if s := m.byName[strings.ToLower(name)]; s != nil {
			if s.link == l {
				s.status = proto.Clone(&st).(*pb.StatusResponse)
				s.skew = rep.ClockSkew
				rep.Slave = s.viewWithStatus(&st)
			} else {
				rep.Slave = s.view()
			}
		}
		m.mu.Unlock()
		return nil
	})
	if err != nil {
		return rep, err
	}
	views := []SlaveView{rep.Slave}
	m.withBackup(views)
	rep.Slave = views[0]
	return rep, nil
}

// DescribeSkew says how far an agent's clock is from this console's, as
// the window and the command line show it: "2.3 s ahead of this
// console", "3 min 4 s behind this console".
func DescribeSkew(d time.Duration) string {
	abs := d
	if abs < 0 {
		abs = -abs
	}
	switch {
	case abs < time.Second:
		return "in step with this console (within a second)"
	case d > 0:
		return human.Took(abs) + " ahead of this console"
	}
	return human.Took(abs) + " behind this console"
}

// clockSkew is the agent's clock minus this console's at the moment the
// agent answered, taken as halfway between sending and receiving. Zero
// when the agent does not send its clock.
func clockSkew(st *pb.StatusResponse, sent, got time.Time) time.Duration {
	if st.TimeUnixNano == 0 {
		return 0
	}
	mid := sent.Add(got.Sub(sent) / 2)
	return time.Unix(0, st.TimeUnixNano).Sub(mid)
}

// ---- the agent's log ----

// LogQuery says which lines of an agent's log to read.
type LogQuery struct {
	Last     int       // the last n lines (0 with no Since and not All: none)
	All      bool      // the whole backlog
	Since    time.Time // or every line from then on
	MinLevel string    // "debug", "info", "warning", "error"; "" for all
	Follow   bool      // then new lines, until ctx ends
}

// AgentLog streams a slave's log to onLines: the backlog, then (Follow)
// new lines until ctx ends, when it returns ctx.Err(). onLines runs on
// the caller's goroutine; while it works, the agent waits (nothing piles
// up on either side).
func (m *Master) AgentLog(ctx context.Context, name string, q LogQuery, onLines func([]*pb.LogLine) error) error {
	req := &pb.LogTailRequest{Lines: uint32(max(q.Last, 0)), All: q.All, MinLevel: q.MinLevel, Follow: q.Follow}
	if !q.Since.IsZero() {
		req.SinceUnixNano = q.Since.UnixNano()
	}
	return m.run(ctx, name, command{what: "agent log", feature: "the agent's log"}, func(l *link.Link) error {
		err := l.Stream(ctx, wire.MethodLogTail, req, func(chunk []byte) error {
			var ll pb.LogLines
			if err := proto.Unmarshal(chunk, &ll); err != nil {
				return fmt.Errorf("a malformed part of %s's log: %w", name, err)
			}
			return onLines(ll.Lines)
		}, nil)
		if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
			return ctx.Err()
		}
		return err
	})
}

// ---- the agent's settings ----

// AgentSettings reads a slave's settings.
func (m *Master) AgentSettings(ctx context.Context, name string) (*pb.AgentSettings, error) {
	var out pb.AgentSettings
	err := m.run(ctx, name, command{what: "settings", feature: "the agent's settings"}, func(l *link.Link) error {
		return l.Request(ctx, wire.MethodSettingsGet, &pb.SettingsGetRequest{}, &out)
	})
	if err != nil {
		return nil, err
	}
	return plainSettings(&out), nil
}

// plainSettings makes the words of an agent's settings answer fit to
// show (wire.PlainUpTo): as they are when plain, quoted and cut when not.
func plainSettings(s *pb.AgentSettings) *pb.AgentSettings {
	if s == nil {
		return nil
	}
	plain(&s.Name, &s.Listen, &s.ListenAddr, &s.ListenError)
	for _, m := range s.Masters {
		plain(&m.Address, &m.State, &m.Remote, &m.LastError)
	}
	for _, c := range s.Consoles {
		plain(&c.Remote, &c.Master, &c.Software)
	}
	return s
}

// DescribeMaster is one of an agent's masters (a console it dials),
// from its settings, as the window and the command line show it, its
// moment seen at now: "office.example.net:16888 · connected since
// 14:03:07", "192.0.2.7:16888 · error since 2 Dec 2026 09:00: connection
// refused".
func DescribeMaster(m *pb.MasterInfo, now time.Time) string {
	line := m.Address + " · " + m.State
	if m.SinceUnixNano != 0 {
		line += " since " + human.Stamp(time.Unix(0, m.SinceUnixNano), now)
	}
	if m.LastError != "" && m.State != string(agent.MasterConnected) {
		line += ": " + m.LastError
	}
	return line
}

// DescribeConsole is one console linked to an agent now, from its
// settings, as the window and the command line show it, its moment
// seen at now: "10.0.0.9:50211 · dialed in · SSL on · since 14:03:07 ·
// round trip 0.4 ms · this console".
func DescribeConsole(c *pb.ConsoleInfo, now time.Time) string {
	how := "dialed in"
	switch c.Master {
	case "":
	case c.Remote:
		how = "dialed by the server"
	default:
		how = "dialed by the server as " + c.Master
	}
	parts := []string{c.Remote, how, "SSL " + human.OnOff(c.Ssl)}
	if c.SinceUnixNano != 0 {
		parts = append(parts, "since "+human.Stamp(time.Unix(0, c.SinceUnixNano), now))
	}
	if rtt := human.RoundTrip(human.FromMillis(c.RttMs)); rtt != "" { // an older agent's: none
		parts = append(parts, "round trip "+rtt)
	}
	if c.You {
		parts = append(parts, "this console")
	}
	return strings.Join(parts, " · ")
}

// SetAgentSettings changes a slave's settings as req says and returns
// what changed. A change that cuts this console's link (SSL, management
// off, removing this console from its masters) is answered first; the
// link then closes.
func (m *Master) SetAgentSettings(ctx context.Context, name string, req *pb.SettingsSetRequest) (*pb.SettingsSetResponse, error) {
	var out pb.SettingsSetResponse
	err := m.run(ctx, name, command{what: "settings set: " + DescribeSettingsChange(req), feature: "changing the agent's settings", audit: true},
		func(l *link.Link) error { return l.Request(ctx, wire.MethodSettingsSet, req, &out) })
	if err != nil {
		return nil, err
	}
	out.Changes = agentWords(out.Changes)
	plainSettings(out.Settings)
	return &out, nil
}

// plain makes each of an agent's words fit to show (wire.PlainUpTo).
func plain(ps ...*string) {
	for _, p := range ps {
		*p = wire.PlainUpTo(*p, maxAgentText)
	}
}

// agentWords are an agent's account of what it changed, each line as it
// is when plain and quoted when not (wire.PlainUpTo): the window and the
// command line show them.
func agentWords(lines []string) []string {
	for i, l := range lines {
		lines[i] = wire.PlainUpTo(l, maxAgentText)
	}
	return lines
}

// FollowAddress is where a console should dial an outbound slave it
// dials at entry once its agent, with the settings now, listens at next:
// entry's host at next's port, when entry dials the port the agent is
// bound to now (no router between forwards another port to it); "" when
// there is nothing to follow, or nothing to know it by.
func FollowAddress(entry string, now *pb.AgentSettings, next string) string {
	listening := now.GetListenAddr() // the port bound, when it was asked for any (":0")
	if listening == "" {
		listening = now.GetListen()
	}
	host, port := address.Split(entry)
	_, bound := address.Split(listening)
	_, then := address.Split(next)
	if next == "off" || port == "" || port != bound || then == "" || then == "0" || then == port {
		return ""
	}
	return address.Join(host, then)
}

// DescribeSettingsChange is a change in the words of the audit:
// "ssl on, listen :16888, masters add 10.0.0.2:16888".
func DescribeSettingsChange(req *pb.SettingsSetRequest) string {
	var parts []string
	if req.Listen != nil {
		parts = append(parts, "listen "+req.GetListen())
	}
	if req.Ssl != nil {
		parts = append(parts, "ssl "+human.OnOff(req.GetSsl()))
	}
	if req.Management != nil {
		parts = append(parts, "management "+human.OnOff(req.GetManagement()))
	}
	for _, a := range req.MastersAdd {
		parts = append(parts, "masters add "+a)
	}
	for _, r := range req.MastersRemove {
		parts = append(parts, "masters remove "+r)
	}
	if len(parts) == 0 {
		return "nothing"
	}
	return strings.Join(parts, ", ")
}

// ---- the password ----

// ErrPasswordNeedsSSL: a password change is refused over a plain link.
var ErrPasswordNeedsSSL = errors.New("a password change needs SSL: with SSL off the new key could be read on the network. Turn SSL on here and on the agent first, or run `lanyard-agent password set` on the server")

// ErrPasswordInDoubt: a password change was sent but its answer never
// came, so the agent may hold either password (ChangePassword).
var ErrPasswordInDoubt = errors.New("this console keeps the old and the new password until the next link, and then the one the agent has")

// ChangePassword gives a slave a new management password: the key is
// derived here (the password never leaves this process), kept in the
// entry as its next key, sent over the current SSL link, and, once the
// agent has it, made the entry's key. This console's link survives; every
// other console of that slave must be given the new password. If no answer
// comes (the link drops, this console stops), the entry keeps both keys
// and the next link settles which one the agent has (link/nextkey.go). pw
// is not kept; the caller zeroes it.
func (m *Master) ChangePassword(ctx context.Context, name string, pw []byte) ([]string, error) {
	var changes []string
	inDoubt := false
	c := command{what: "password set", feature: "changing the password from the console", audit: true}
	err := m.run(ctx, name, c, func(l *link.Link) error {
		if !l.Peer().SSL {
			return ErrPasswordNeedsSSL
		}
		if len(pw) == 0 {
			return errors.New("the new password is empty")
		}
		s, entry, done := m.changingKey(name)
		if s == nil {
			return &store.NoSlaveError{Name: name} // removed meanwhile
		}
		defer done()
		// Argon2id takes seconds on a loaded machine: the key is derived
		// holding no link, and sent over the slave's link as it is then
		// (one that dropped and came back meanwhile is as good).
		key, err := auth.DeriveKey(pw, entry.Name, auth.DefaultKDF)
		if err != nil {
			return err
		}
		defer clear(key[:])
		if l, _, err = m.linkFor(name); err != nil {
			return err
		}
		if !l.Peer().SSL {
			return ErrPasswordNeedsSSL
		}
		if ctx.Err() != nil {
			// Cancelled while the key was derived: nothing was sent.
			return errors.New("the password change was cancelled or timed out before it was sent: nothing changed")
		}
		next := link.Secret{Key: key, KDF: auth.DefaultKDF}
		if err := m.keepNextKey(entry.ID, &next); err != nil {
			return fmt.Errorf("the new password was not sent: this console could not keep it (%v)", err)
		}
		var resp pb.PasswordSetResponse
		err = l.Request(ctx, wire.MethodPasswordSet, &pb.PasswordSetRequest{Key: key[:], Kdf: auth.DefaultKDF.PB()}, &resp)
		var refused *link.RequestError
		switch {
		case err == nil:
			changes = agentWords(resp.Changes)
			return m.settleNextKey(entry.ID, key, true)
		case errors.As(err, &refused):
			// The agent answered: it kept its key.
			_ = m.settleNextKey(entry.ID, key, false)
		default:
			inDoubt = true
			if errors.Is(err, context.Canceled) {
				err = errors.New("cancelled before the agent answered")
			}
		}
		return err
	})
	if inDoubt {
		err = fmt.Errorf("%w; %w", err, ErrPasswordInDoubt)
	}
	return changes, err
}

// changingKey marks a password change of the slave called name under way,
// so that a link coming up meanwhile under the old key does not drop the
// next one; done ends it. It returns nil when there is no such slave.
func (m *Master) changingKey(name string) (s *slave, entry store.Slave, done func()) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s = m.byName[strings.ToLower(name)]
	if s == nil {
		return nil, store.Slave{}, nil
	}
	s.changingKey++
	return s, s.entry, func() {
		m.mu.Lock()
		s.changingKey--
		m.mu.Unlock()
	}
}

// keepNextKey saves next as the entry's next key, before the agent is
// sent it.
func (m *Master) keepNextKey(id string, next *link.Secret) error {
	return m.changeKeys(id, func(e *store.Slave) {
		e.NextKey, e.NextKDF = append([]byte(nil), next.Key[:]...), storeKDF(next.KDF)
	})
}

// settleNextKey makes the entry's next key its key (promote), or drops
// it, without relinking: the link it was settled on stays up. next is
// the key settled: one that a later change replaced is left alone.
func (m *Master) settleNextKey(id string, next auth.Key, promote bool) error {
	err := m.changeKeys(id, func(e *store.Slave) {
		if !bytes.Equal(e.NextKey, next[:]) {
			return
		}
		if promote {
			e.Key, e.KDF = e.NextKey, e.NextKDF
		}
		e.NextKey, e.NextKDF = nil, store.KDFParams{}
	})
	if err != nil && promote {
		return fmt.Errorf("the agent has the new password, but this console could not save it (%v): it keeps both until it links again", err)
	}
	return err
}

// changeKeys applies fn to entry id's keys in the store, then to the
// entry this console holds, without relinking, and tells subscribers.
func (m *Master) changeKeys(id string, fn func(*store.Slave)) error {
	if _, err := m.cfg.DB.UpdateSlave(id, func(e *store.Slave) error {
		fn(e)
		return nil
	}); err != nil {
		return err
	}
	m.mu.Lock()
	if s := m.slaves[id]; s != nil {
		fn(&s.entry)
	}
	m.mu.Unlock()
	m.publishState(id)
	return nil
}
