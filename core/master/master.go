package master

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/sirupsen/logrus"
	"google.golang.org/protobuf/proto"

	"github.com/lanyard/lanyard/core/auth"
	"github.com/lanyard/lanyard/core/link"
	"github.com/lanyard/lanyard/core/store"
	"github.com/lanyard/lanyard/core/wire"
	"github.com/lanyard/lanyard/core/wire/pb"
)

// Config is what a Master is built from.
type Config struct {
	DB       *store.DB
	Identity *link.Identity
	Logger   logrus.FieldLogger
	// Limiter rate-limits failed inbound attempts; nil uses the defaults.
	Limiter *auth.Limiter

	// Timing overrides for tests; zero values take the defaults.
	Heartbeat        time.Duration
	DeadAfter        time.Duration
	HandshakeTimeout time.Duration
	RedialInitial    time.Duration
	RedialMax        time.Duration
}

// Master runs the console's side of every link.
type Master struct {
	cfg Config
	log logrus.FieldLogger
	hub hub

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu        sync.Mutex
	settings  Settings
	slaves    map[string]*slave // by entry ID
	byName    map[string]*slave // by lower-case name
	listener  *link.Listener
	listenErr error
	closed    bool
}

// slave is the runtime state of one entry. Guarded by Master.mu.
type slave struct {
	entry    store.Slave
	state    State
	changed  time.Time
	link     *link.Link
	lastCode string
	lastErr  string
	status   *pb.StatusResponse

	stopDial context.CancelFunc
	kick     chan struct{}

	// The last failure logged, to keep a slave that is down for a day from
	// writing the same line every minute.
	loggedFailure   string
	loggedFailureAt time.Time
}

// repeatQuiet is how long an identical failure is not logged again.
const repeatQuiet = 10 * time.Minute

// New builds a Master. Start brings it to life.
func New(cfg Config) *Master {
	log := cfg.Logger
	if log == nil {
		l := logrus.New()
		log = l
	}
	if cfg.Limiter == nil {
		cfg.Limiter = auth.NewLimiter(auth.LimiterConfig{})
	}
	return &Master{cfg: cfg, log: log, slaves: map[string]*slave{}, byName: map[string]*slave{}}
}

// Start loads the settings and entries, starts listening if set, and
// starts dialing every outbound slave. It returns once all is started; a
// listener that cannot bind is reported by ListenError and the log, not
// fatal, so outbound slaves still work.
func (m *Master) Start(ctx context.Context) error {
	settings, err := LoadSettings(m.cfg.DB)
	if err != nil {
		return err
	}
	entries, err := m.cfg.DB.Slaves()
	if err != nil {
		return err
	}
	m.ctx, m.cancel = context.WithCancel(ctx)
	m.mu.Lock()
	m.settings = settings
	now := time.Now()
	for _, e := range entries {
		s := &slave{entry: e, state: initialState(e), changed: now}
		m.slaves[e.ID] = s
		m.byName[strings.ToLower(e.Name)] = s
	}
	for _, s := range m.slaves {
		if s.entry.Direction == store.Outbound && !s.entry.Disabled {
			m.startDialerLocked(s)
		}
	}
	m.mu.Unlock()
	m.restartListener()
	return nil
}

// Close ends every link with shutting_down, stops listening and dialing,
// and flushes the log. Idempotent.
func (m *Master) Close() error {
	m.mu.Lock()
	if m.closed || m.cancel == nil {
		m.closed = true
		m.mu.Unlock()
		return nil
	}
	m.closed = true
	ln := m.listener
	m.listener = nil
	var links []*link.Link
	for _, s := range m.slaves {
		if s.link != nil {
			links = append(links, s.link)
		}
	}
	m.mu.Unlock()
	if ln != nil {
		_ = ln.Close()
	}
	m.cancel()
	for _, l := range links {
		l.CloseWith(&link.Error{Code: wire.CodeShuttingDown, Reason: "the console is shutting down"})
	}
	m.wg.Wait()
	return m.cfg.DB.Flush()
}

// Subscribe returns a stream of events. The channel is closed by the
// returned cancel function. A subscriber that falls behind receives an
// EventResync and should re-read Slaves.
func (m *Master) Subscribe(buffer int) (<-chan Event, func()) {
	return m.hub.subscribe(buffer)
}

func (m *Master) linkOptions() link.Options {
	m.mu.Lock()
	defer m.mu.Unlock()
	return link.Options{
		SSL:              m.settings.SSL,
		Heartbeat:        cmp.Or(m.cfg.Heartbeat, m.settings.Heartbeat()),
		DeadAfter:        m.cfg.DeadAfter,
		HandshakeTimeout: m.cfg.HandshakeTimeout,
	}
}

// Settings returns the settings in force.
func (m *Master) Settings() Settings {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.settings
}

// ListenAddr is the listener's bound address, or "" when not listening.
func (m *Master) ListenAddr() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.listener == nil {
		return ""
	}
	return m.listener.Addr().String()
}

// ListenError is why the listener could not start, or nil.
func (m *Master) ListenError() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.listenErr
}

// ApplySettings validates, saves and applies new settings at once: the
// listener is restarted and, when SSL changed, every link is remade.
func (m *Master) ApplySettings(s Settings) error {
	if err := SaveSettings(m.cfg.DB, s); err != nil {
		return err
	}
	m.mu.Lock()
	old := m.settings
	m.settings = s
	var relink []*link.Link
	if old.SSL != s.SSL || old.Heartbeat() != s.Heartbeat() {
		for _, sl := range m.slaves {
			if sl.link != nil {
				relink = append(relink, sl.link)
			}
		}
	}
	m.mu.Unlock()
	m.record(recordArgs{kind: EventSettings, severity: "info", reason: describeSettings(s)})
	if old.Listen != s.Listen || old.ListenAddress != s.ListenAddress || old.SSL != s.SSL || old.Heartbeat() != s.Heartbeat() {
		m.restartListener()
	}
	for _, l := range relink {
		l.CloseWith(&link.Error{Code: wire.CodeShuttingDown, Reason: "the console's settings changed; reconnecting"})
	}
	m.kickAll()
	return nil
}

func describeSettings(s Settings) string {
	ssl := "SSL off"
	if s.SSL {
		ssl = "SSL on"
	}
	if !s.Listen {
		return "settings applied: not listening for inbound slaves, " + ssl
	}
	return fmt.Sprintf("settings applied: listening on %s, %s", s.ListenAddress, ssl)
}

func (m *Master) restartListener() {
	m.mu.Lock()
	old := m.listener
	m.listener = nil
	settings := m.settings
	closed := m.closed
	m.mu.Unlock()
	if old != nil {
		_ = old.Close()
	}
	if closed || !settings.Listen {
		m.mu.Lock()
		m.listenErr = nil
		m.mu.Unlock()
		m.hub.publish(Event{Time: time.Now(), Kind: EventSettings})
		return
	}
	ln, err := link.Listen(link.ListenConfig{
		Address:   settings.ListenAddress,
		Identity:  m.cfg.Identity,
		Options:   m.linkOptions(),
		Auth:      m,
		Limiter:   m.cfg.Limiter,
		OnLink:    func(l *link.Link) { m.adopt(l, "") },
		OnRefused: m.refused,
	})
	m.mu.Lock()
	m.listenErr = err
	if err == nil {
		if m.closed {
			m.mu.Unlock()
			_ = ln.Close()
			return
		}
		m.listener = ln
	}
	m.mu.Unlock()
	if err != nil {
		m.record(recordArgs{kind: "listen_failed", severity: "error", reason: err.Error()})
		return
	}
	ssl := "without SSL"
	if settings.SSL {
		ssl = "with SSL"
	}
	m.record(recordArgs{kind: "listening", severity: "info", reason: fmt.Sprintf("listening for inbound slaves on %s %s", ln.Addr(), ssl)})
}

func (m *Master) startDialerLocked(s *slave) {
	if m.closed || m.ctx == nil {
		return
	}
	ctx, cancel := context.WithCancel(m.ctx)
	s.stopDial = cancel
	s.kick = make(chan struct{}, 1)
	id := s.entry.ID
	r := &link.Redialer{
		Dial: func(ctx context.Context, t link.Target) (*link.Link, error) {
			d := &link.Dialer{Identity: m.cfg.Identity, Options: m.linkOptions()}
			return d.Dial(ctx, t)
		},
		Target: func() (link.Target, bool) {
			m.mu.Lock()
			defer m.mu.Unlock()
			cur := m.slaves[id]
			if cur == nil || cur.entry.Direction != store.Outbound || ctx.Err() != nil {
				return link.Target{}, false
			}
			return link.Target{Address: cur.entry.Address, Name: cur.entry.Name, Key: entryKey(cur.entry),
				KDF: authKDF(cur.entry.KDF), PinnedCert: cur.entry.PinnedCert}, true
		},
		OnAttempt: func(int) { m.connecting(id) },
		OnLink:    func(l *link.Link) bool { return m.adopt(l, id) },
		OnFailure: func(err error, retryIn time.Duration) { m.dialFailed(id, err, retryIn) },
		Kick:      s.kick,
		Initial:   m.cfg.RedialInitial,
		Max:       m.cfg.RedialMax,
	}
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		r.Run(ctx)
	}()
}

func (m *Master) kickAll() {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, s := range m.slaves {
		if s.kick != nil {
			select {
			case s.kick <- struct{}{}:
			default:
			}
		}
	}
}

func initialState(e store.Slave) State {
	if e.Disabled {
		return StateDisabled
	}
	return StateOffline
}

// Connect enables a disconnected slave and, for an outbound one, dials now
// rather than after its backoff. An inbound slave is linked when it next
// dials in.
func (m *Master) Connect(name string) error {
	m.mu.Lock()
	s := m.byName[strings.ToLower(name)]
	if s == nil {
		m.mu.Unlock()
		return fmt.Errorf("no slave named %q", name)
	}
	wasDisabled := s.entry.Disabled
	id := s.entry.ID
	m.mu.Unlock()
	if wasDisabled {
		if _, err := m.cfg.DB.UpdateSlave(id, func(e *store.Slave) error { e.Disabled = false; return nil }); err != nil {
			return err
		}
	}
	m.mu.Lock()
	if s = m.slaves[id]; s == nil {
		m.mu.Unlock()
		return fmt.Errorf("no slave named %q", name)
	}
	s.entry.Disabled = false
	if s.state == StateDisabled {
		s.state, s.changed = StateOffline, time.Now()
	}
	if s.entry.Direction == store.Outbound && s.stopDial == nil {
		m.startDialerLocked(s)
	}
	if s.kick != nil {
		select {
		case s.kick <- struct{}{}:
		default:
		}
	}
	m.mu.Unlock()
	if wasDisabled {
		m.record(recordArgs{slave: s, kind: "enabled", severity: "info", reason: "connected by the user"})
	} else {
		m.publishState(id)
	}
	return nil
}

// Disconnect closes a slave's link and keeps it closed, across restarts,
// until Connect.
func (m *Master) Disconnect(name string) error {
	e, err := m.cfg.DB.SlaveByName(name)
	if err != nil {
		return err
	}
	if _, err := m.cfg.DB.UpdateSlave(e.ID, func(e *store.Slave) error { e.Disabled = true; return nil }); err != nil {
		return err
	}
	m.mu.Lock()
	s := m.slaves[e.ID]
	if s == nil {
		m.mu.Unlock()
		return nil
	}
	s.entry.Disabled = true
	if s.stopDial != nil {
		s.stopDial()
		s.stopDial, s.kick = nil, nil
	}
	l := s.link
	s.link = nil
	s.state, s.changed = StateDisabled, time.Now()
	m.mu.Unlock()
	if l != nil {
		l.CloseWith(&link.Error{Code: wire.CodeDisabled, Reason: "disconnected by the console's user"})
	}
	m.record(recordArgs{slave: s, kind: "disabled", severity: "info", reason: "disconnected by the user; it stays offline until Connect"})
	return nil
}

func (m *Master) connecting(id string) {
	m.mu.Lock()
	s := m.slaves[id]
	if s == nil || s.state == StateConnecting {
		m.mu.Unlock()
		return
	}
	s.state, s.changed = StateConnecting, time.Now()
	args := recordArgs{slave: s, kind: "connecting", severity: "info", remote: s.entry.Address,
		reason: "connecting to " + s.entry.Address}
	// Connecting after a failure is not news; the failure was.
	quiet := s.loggedFailure != "" && time.Since(s.loggedFailureAt) < repeatQuiet
	m.mu.Unlock()
	if quiet {
		m.publishState(id)
		return
	}
	m.record(args)
}

func (m *Master) dialFailed(id string, err error, retryIn time.Duration) {
	code := string(link.CodeOf(err))
	if code == "" {
		code = string(link.CodeDialFailed)
	}
	reason := err.Error()
	var le *link.Error
	if errors.As(err, &le) && le.Reason != "" {
		reason = le.Reason
	}
	m.mu.Lock()
	s := m.slaves[id]
	if s == nil {
		m.mu.Unlock()
		return
	}
	s.state, s.changed = stateFor(code), time.Now()
	s.lastCode, s.lastErr = code, reason
	key := code + "\x00" + reason
	quiet := key == s.loggedFailure && time.Since(s.loggedFailureAt) < repeatQuiet
	if !quiet {
		s.loggedFailure, s.loggedFailureAt = key, time.Now()
	}
	args := recordArgs{slave: s, kind: code, severity: severityFor(code), remote: s.entry.Address,
		reason: fmt.Sprintf("%s (next try in %s)", reason, retryIn.Round(time.Second))}
	m.mu.Unlock()
	if quiet {
		m.publishState(id)
		return
	}
	m.record(args)
}

// stateFor is the state a failure leaves a slave in: error when the user
// must fix something, offline when time may fix it.
func stateFor(code string) State {
	switch wire.Code(code) {
	case wire.CodeAuthFailed, wire.CodeSSLMismatch, wire.CodeCertChanged, wire.CodeVersionUnsupported,
		wire.CodeNameMismatch, wire.CodeManagementDisabled, wire.CodeWrongRole, wire.CodeUnknownSlave,
		wire.CodeProtocolError:
		return StateError
	}
	return StateOffline
}

func severityFor(code string) string {
	switch StateFor := stateFor(code); {
	case StateFor == StateError:
		return "error"
	case code == "connected", code == "connecting", code == string(wire.CodeShuttingDown), code == string(wire.CodeNormal):
		return "info"
	}
	return "warning"
}

// Admit decides on an agent dialing in (link.Authenticator).
func (m *Master) Admit(h *pb.Hello, remote netip.AddrPort, fingerprint string) (link.Admission, error) {
	m.mu.Lock()
	s := m.byName[strings.ToLower(h.Name)]
	var e store.Slave
	if s != nil {
		e = s.entry
	}
	m.mu.Unlock()
	from := remote.Addr().String()
	if s == nil {
		return link.Admission{}, &link.Error{Code: wire.CodeUnknownSlave, Reason: fmt.Sprintf(
			"unknown slave %q tried to connect from %s: if it is yours, add it as an inbound slave with the same password", h.Name, from)}
	}
	if e.Direction != store.Inbound {
		return link.Admission{}, &link.Error{Code: wire.CodeUnknownSlave, Reason: fmt.Sprintf(
			"%s dialed in from %s, but it is set up here as outbound (this console dials it at %s): change its entry to inbound, or remove this console from the agent's masters",
			e.Name, from, e.Address),
			PeerReason: fmt.Sprintf("this console dials %s itself (the entry is outbound); remove this console from the agent's masters", e.Name)}
	}
	if e.Disabled {
		return link.Admission{}, &link.Error{Code: wire.CodeDisabled,
			Reason:     fmt.Sprintf("%s dialed in from %s but is disconnected on this console (Connect to link it again)", e.Name, from),
			PeerReason: "this console's user has disconnected this server; it will be accepted again after Connect"}
	}
	if e.PinnedCert != "" && fingerprint != "" && fingerprint != e.PinnedCert {
		return link.Admission{}, &link.Error{Code: wire.CodeCertChanged, Reason: fmt.Sprintf(
			"the certificate of %s (from %s) changed (pinned %s, now %s): if the agent was reinstalled, trust the new certificate; otherwise something is impersonating it",
			e.Name, from, link.ShortFingerprint(e.PinnedCert), link.ShortFingerprint(fingerprint)),
			PeerReason: "this console does not trust your certificate: it changed since the first connection"}
	}
	return link.Admission{Name: e.Name, Key: entryKey(e), KDF: authKDF(e.KDF)}, nil
}

// refused logs a failed inbound handshake.
func (m *Master) refused(r link.Refusal) {
	m.mu.Lock()
	s := m.byName[strings.ToLower(r.Name)]
	m.mu.Unlock()
	code := string(r.Err.Code)
	m.record(recordArgs{slave: s, name: r.Name, direction: store.Inbound, kind: code,
		severity: severityFor(code), remote: r.Remote, reason: r.Err.Reason})
}

// duplicateVerdict is the one-link-per-slave rule, in one place: a new
// link replaces the current one when the current one is a ghost (the agent
// restarted, so its boot ID changed, or the link missed its heartbeats);
// otherwise the new link is refused.
func duplicateVerdict(cur, next *link.Link, now time.Time) (replace bool, why string) {
	if cur == nil {
		return true, ""
	}
	if cur.Peer().BootID != next.Peer().BootID {
		return true, "the agent restarted, so its old link is a ghost"
	}
	if silent := now.Sub(cur.LastReceived()); silent > cur.Heartbeat()*3/2 {
		return true, fmt.Sprintf("the old link missed its heartbeats (silent for %s)", silent.Round(time.Second))
	}
	return false, fmt.Sprintf("already linked to this console since %s from %s",
		cur.Since().Format(time.TimeOnly), cur.Peer().Remote)
}

// adopt takes a new authenticated link for a slave, applying the
// one-link-per-slave rule. id is the entry the dialer dialed, "" for an
// inbound link. It reports whether the link was kept.
func (m *Master) adopt(l *link.Link, id string) bool {
	m.mu.Lock()
	var s *slave
	if id != "" {
		s = m.slaves[id]
	} else {
		s = m.byName[strings.ToLower(l.Peer().Name)]
	}
	if m.closed || s == nil {
		m.mu.Unlock()
		l.CloseWith(&link.Error{Code: wire.CodeShuttingDown, Reason: "the console is shutting down or the entry was removed"})
		return false
	}
	replace, why := duplicateVerdict(s.link, l, time.Now())
	if !replace {
		args := recordArgs{slave: s, kind: string(wire.CodeDuplicateLink), severity: "warning", remote: l.Peer().Remote,
			reason: fmt.Sprintf("a second link from %s was refused: %s", l.Peer().Remote, why)}
		m.mu.Unlock()
		l.CloseWith(&link.Error{Code: wire.CodeDuplicateLink, Reason: s.entry.Name + " is " + why})
		m.record(args)
		return false
	}
	old := s.link
	s.link = l
	s.state, s.changed = StateConnected, time.Now()
	s.lastCode, s.lastErr = "", ""
	s.loggedFailure = ""
	s.status = nil
	p := l.Peer()
	var pin func(*store.Slave) error
	if (p.Fingerprint != "" && s.entry.PinnedCert != p.Fingerprint) || s.entry.PinnedInstallID != p.InstallID {
		pin = func(e *store.Slave) error {
			if p.Fingerprint != "" {
				e.PinnedCert = p.Fingerprint
			}
			e.PinnedInstallID = p.InstallID
			return nil
		}
		if p.Fingerprint != "" {
			s.entry.PinnedCert = p.Fingerprint
		}
		s.entry.PinnedInstallID = p.InstallID
	}
	entryID := s.entry.ID
	dir := "outbound"
	if !p.Dialed {
		dir = "inbound"
	}
	ssl := "without SSL"
	if p.SSL {
		ssl = "with SSL"
	}
	args := recordArgs{slave: s, kind: "connected", severity: "info", remote: p.Remote,
		reason: fmt.Sprintf("linked %s %s (%s)", dir, ssl, p.Software)}
	m.mu.Unlock()

	if old != nil {
		old.CloseWith(&link.Error{Code: wire.CodeDuplicateLink, Reason: "replaced by a new link: " + why})
		m.record(recordArgs{slave: s, kind: string(wire.CodeDuplicateLink), severity: "info", remote: old.Peer().Remote,
			reason: "old link replaced: " + why})
	}
	if pin != nil {
		if _, err := m.cfg.DB.UpdateSlave(entryID, pin); err != nil {
			m.log.WithError(err).Warn("could not save the pinned certificate")
		}
	}
	l.Start(m)
	m.record(args)
	m.wg.Add(1)
	go m.fetchStatus(entryID, l)
	return true
}

// fetchStatus asks a newly linked agent about its host.
func (m *Master) fetchStatus(id string, l *link.Link) {
	defer m.wg.Done()
	ctx, cancel := context.WithTimeout(m.ctx, 10*time.Second)
	defer cancel()
	var st pb.StatusResponse
	if err := l.Request(ctx, wire.MethodStatus, &pb.StatusRequest{}, &st); err != nil {
		return
	}
	m.mu.Lock()
	if s := m.slaves[id]; s != nil && s.link == l {
		s.status = &st
	}
	m.mu.Unlock()
	m.publishState(id)
}

// HandleRequest refuses requests: agents answer, they do not ask.
func (m *Master) HandleRequest(context.Context, *link.Link, string, []byte) (proto.Message, error) {
	return nil, &link.RequestError{Code: wire.ErrUnknownMethod, Message: "the console answers no requests"}
}

// HandleEvent receives an agent's pushed events.
func (m *Master) HandleEvent(l *link.Link, typ string, body []byte) {
	if typ == "status" {
		var st pb.StatusResponse
		if proto.Unmarshal(body, &st) != nil {
			return
		}
		m.mu.Lock()
		s := m.byName[strings.ToLower(l.Peer().Name)]
		if s == nil || s.link != l {
			m.mu.Unlock()
			return
		}
		s.status = &st
		id := s.entry.ID
		m.mu.Unlock()
		m.publishState(id)
	}
}

// HandleClose marks a slave offline when its current link ends.
func (m *Master) HandleClose(l *link.Link, err *link.Error) {
	m.mu.Lock()
	s := m.byName[strings.ToLower(l.Peer().Name)]
	if s == nil || s.link != l {
		m.mu.Unlock()
		return
	}
	s.link = nil
	code := string(err.Code)
	s.state, s.changed = StateOffline, time.Now()
	if stateFor(code) == StateError {
		s.state = StateError
	}
	if s.entry.Disabled {
		s.state = StateDisabled
	}
	s.lastCode, s.lastErr = code, err.Reason
	args := recordArgs{slave: s, kind: "disconnected", severity: severityFor(code), remote: l.Peer().Remote,
		reason: fmt.Sprintf("link closed (%s): %s", code, err.Reason)}
	m.mu.Unlock()
	m.record(args)
}

// SlaveView is a snapshot of one slave for display.
type SlaveView struct {
	ID, Name, Group string
	Direction       store.Direction
	Address         string
	State           State
	StateSince      time.Time
	LastCode        string
	LastError       string
	PinnedCert      string
	Notes           string

	// With a link:
	Remote         string
	SSL            bool
	RTT            time.Duration
	ConnectedSince time.Time
	Software       string
	Status         *pb.StatusResponse
}

func (s *slave) view() SlaveView {
	v := SlaveView{ID: s.entry.ID, Name: s.entry.Name, Group: s.entry.Group, Direction: s.entry.Direction,
		Address: s.entry.Address, State: s.state, StateSince: s.changed, LastCode: s.lastCode,
		LastError: s.lastErr, PinnedCert: s.entry.PinnedCert, Notes: s.entry.Notes}
	if l := s.link; l != nil {
		p := l.Peer()
		v.Remote, v.SSL, v.RTT, v.ConnectedSince, v.Software = p.Remote, p.SSL, l.RTT(), l.Since(), p.Software
	}
	if s.status != nil {
		v.Status = proto.Clone(s.status).(*pb.StatusResponse)
	}
	return v
}

// Slaves returns every slave, sorted by group then name.
func (m *Master) Slaves() []SlaveView {
	m.mu.Lock()
	out := make([]SlaveView, 0, len(m.slaves))
	for _, s := range m.slaves {
		out = append(out, s.view())
	}
	m.mu.Unlock()
	sort.Slice(out, func(i, j int) bool {
		if out[i].Group != out[j].Group {
			return out[i].Group < out[j].Group
		}
		return strings.ToLower(out[i].Name) < strings.ToLower(out[j].Name)
	})
	return out
}

// Slave returns one slave by name.
func (m *Master) Slave(name string) (SlaveView, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.byName[strings.ToLower(name)]
	if s == nil {
		return SlaveView{}, false
	}
	return s.view(), true
}

// Status asks a connected slave for its status now.
func (m *Master) Status(ctx context.Context, name string) (*pb.StatusResponse, error) {
	var st pb.StatusResponse
	if err := m.Request(ctx, name, wire.MethodStatus, &pb.StatusRequest{}, &st); err != nil {
		return nil, err
	}
	return &st, nil
}

// Request sends a request to a connected slave.
func (m *Master) Request(ctx context.Context, name, method string, req, resp proto.Message) error {
	m.mu.Lock()
	s := m.byName[strings.ToLower(name)]
	var l *link.Link
	if s != nil {
		l = s.link
	}
	m.mu.Unlock()
	if s == nil {
		return fmt.Errorf("no slave named %q", name)
	}
	if l == nil {
		return fmt.Errorf("%s is not connected", s.entry.Name)
	}
	return l.Request(ctx, method, req, resp)
}

// AddSlave stores a new entry and starts linking it.
func (m *Master) AddSlave(spec SlaveSpec) (SlaveView, error) {
	e, err := AddSlave(m.cfg.DB, spec)
	if err != nil {
		return SlaveView{}, err
	}
	m.mu.Lock()
	s := &slave{entry: e, state: initialState(e), changed: time.Now()}
	m.slaves[e.ID] = s
	m.byName[strings.ToLower(e.Name)] = s
	if e.Direction == store.Outbound {
		m.startDialerLocked(s)
	}
	v := s.view()
	m.mu.Unlock()
	m.record(recordArgs{slave: s, kind: EventAdded, severity: "info", reason: "slave added (" + string(e.Direction) + ")"})
	return v, nil
}

// EditSlave changes an entry and relinks it when what identifies the link
// changed.
func (m *Master) EditSlave(name string, spec SlaveSpec) (SlaveView, error) {
	e, err := EditSlave(m.cfg.DB, name, spec)
	if err != nil {
		return SlaveView{}, err
	}
	m.mu.Lock()
	s := m.slaves[e.ID]
	if s == nil {
		m.mu.Unlock()
		return SlaveView{}, fmt.Errorf("no slave named %q", name)
	}
	old := s.entry
	delete(m.byName, strings.ToLower(old.Name))
	s.entry = e
	m.byName[strings.ToLower(e.Name)] = s
	relink := old.Name != e.Name || old.Direction != e.Direction || old.Address != e.Address || string(old.Key) != string(e.Key)
	var l *link.Link
	if relink {
		l = s.link
		if s.stopDial != nil {
			s.stopDial()
			s.stopDial, s.kick = nil, nil
		}
		if e.Direction == store.Outbound && !e.Disabled {
			m.startDialerLocked(s)
		}
	}
	v := s.view()
	m.mu.Unlock()
	if l != nil {
		l.CloseWith(&link.Error{Code: wire.CodeNormal, Reason: "the entry was edited; relinking"})
	}
	m.record(recordArgs{slave: s, kind: EventState, severity: "info", reason: "slave edited"})
	return v, nil
}

// RemoveSlave deletes an entry and closes its link.
func (m *Master) RemoveSlave(name string) error {
	if err := m.cfg.DB.RemoveSlave(name); err != nil {
		return err
	}
	m.mu.Lock()
	s := m.byName[strings.ToLower(name)]
	if s == nil {
		m.mu.Unlock()
		return nil
	}
	delete(m.byName, strings.ToLower(name))
	delete(m.slaves, s.entry.ID)
	if s.stopDial != nil {
		s.stopDial()
	}
	l := s.link
	s.link = nil
	m.mu.Unlock()
	if l != nil {
		l.CloseWith(&link.Error{Code: wire.CodeRemoved, Reason: "this slave was removed from the console"})
	}
	m.record(recordArgs{slave: s, kind: EventRemoved, severity: "info", reason: "slave removed"})
	return nil
}

// TrustCertificate forgets a slave's pinned certificate so the next
// successful link pins the new one, and retries at once.
func (m *Master) TrustCertificate(name string) error {
	e, err := m.cfg.DB.SlaveByName(name)
	if err != nil {
		return err
	}
	if _, err := m.cfg.DB.UpdateSlave(e.ID, func(s *store.Slave) error { s.PinnedCert = ""; return nil }); err != nil {
		return err
	}
	m.mu.Lock()
	if s := m.slaves[e.ID]; s != nil {
		s.entry.PinnedCert = ""
		if s.kick != nil {
			select {
			case s.kick <- struct{}{}:
			default:
			}
		}
	}
	m.mu.Unlock()
	m.record(recordArgs{name: e.Name, kind: "trusted", severity: "info", reason: "the next certificate " + e.Name + " presents will be trusted"})
	return nil
}

func (m *Master) publishState(id string) {
	m.mu.Lock()
	s := m.slaves[id]
	if s == nil {
		m.mu.Unlock()
		return
	}
	e := Event{Time: time.Now(), Kind: EventState, SlaveID: id, Slave: s.entry.Name,
		Direction: s.entry.Direction, State: s.state}
	m.mu.Unlock()
	m.hub.publish(e)
}

type recordArgs struct {
	slave     *slave // nil for events not about a known entry
	name      string // the slave's name when slave is nil
	direction store.Direction
	kind      string
	severity  string
	remote    string
	reason    string
}

// record writes a connection-log record, logs it, and tells subscribers.
func (m *Master) record(a recordArgs) {
	e := Event{Time: time.Now(), Kind: a.kind, Slave: a.name, Direction: a.direction,
		Remote: a.remote, Severity: a.severity, Reason: a.reason}
	if a.slave != nil {
		m.mu.Lock()
		e.SlaveID, e.Slave, e.Direction, e.State = a.slave.entry.ID, a.slave.entry.Name, a.slave.entry.Direction, a.slave.state
		m.mu.Unlock()
	}
	m.cfg.DB.Record(store.Event{Time: e.Time, Slave: e.Slave, Direction: string(e.Direction), Remote: e.Remote,
		Kind: e.Kind, Severity: e.Severity, Reason: e.Reason})
	entry := m.log.WithFields(logrus.Fields{"event": e.Kind})
	if e.Slave != "" {
		entry = entry.WithField("slave", e.Slave)
	}
	if e.Remote != "" {
		entry = entry.WithField("remote", e.Remote)
	}
	switch e.Severity {
	case "error":
		entry.Error(e.Reason)
	case "warning":
		entry.Warn(e.Reason)
	default:
		entry.Info(e.Reason)
	}
	m.hub.publish(e)
}
