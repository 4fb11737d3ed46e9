package agent

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/sirupsen/logrus"
	"google.golang.org/protobuf/proto"

	"github.com/lanyard/lanyard/core/auth"
	"github.com/lanyard/lanyard/core/backup"
	"github.com/lanyard/lanyard/core/control"
	"github.com/lanyard/lanyard/core/link"
	"github.com/lanyard/lanyard/core/store"
	"github.com/lanyard/lanyard/core/wire"
	"github.com/lanyard/lanyard/core/wire/pb"
)

// Config is what an Agent is built from.
type Config struct {
	// DB keeps the agent's settings, masters, pins, connection log and
	// backup tasks. Nil runs the agent in memory, as the agents of a
	// simulated fleet do (lanyard-agent simulate): Settings and Masters are
	// then taken as given, pins and known consoles live as long as the
	// agent, the connection log goes to the Logger only, settings changes
	// are refused, and there are no backup tasks.
	DB *store.DB
	// Settings and Masters, with DB nil, are the agent's configuration.
	Settings Settings
	Masters  []store.Master
	// Probe reads the host's figures for status answers; nil makes one.
	// Agents in one process may share one.
	Probe *HostProbe

	Identity *link.Identity
	// DialFrom is the address to dial masters from; nil lets the system
	// choose. The agents of a simulated fleet each dial from their own.
	DialFrom net.Addr
	// DialGate, when set, is shared by the agents of a simulated fleet
	// (link.DialGate); nil for a real agent.
	DialGate link.DialGate
	Logger   logrus.FieldLogger
	Version  string
	// DataDir is the disk whose usage the status reports.
	DataDir string
	Limiter *auth.Limiter
	// ControlDir, when set, is the directory in which Start opens the
	// local control socket (ControlSocket) through which the command line
	// reconfigures the running agent. Usually the data directory.
	ControlDir string

	// Timing overrides for tests; zero values take the defaults.
	Heartbeat        time.Duration
	DeadAfter        time.Duration
	HandshakeTimeout time.Duration
	RedialInitial    time.Duration
	RedialMax        time.Duration
	// ControlTimeout bounds one control connection; default 30s.
	ControlTimeout time.Duration

	// LogFile is the agent's log file, which consoles may tail; "" when
	// it logs to no file.
	LogFile string
	// LogTailInterval is how often a console's log tail looks for new
	// lines; default logtail.DefaultInterval.
	LogTailInterval time.Duration
	// Engine runs its backups; nil makes one (TasksConfig.Engine).
	Engine *backup.Engine
	// WithoutMethods are request methods this agent acts as if it did not
	// know, as an older version would not (tests of the console's
	// "not supported" path).
	WithoutMethods []string
}

// Agent runs the slave's side of every link.
type Agent struct {
	cfg     Config
	log     logrus.FieldLogger
	started time.Time

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	// cfgMu serialises configuration changes (and Start and Close) so that
	// a change is persisted and applied as one step; it is taken before mu
	// and held across store writes and listener changes, never while
	// deriving a key.
	cfgMu sync.Mutex

	mu        sync.Mutex
	settings  Settings
	listener  *link.Listener
	listenErr string // why the configured address is not bound, if it is not
	// links maps every adopted link to the master whose dialer made it, or
	// to nil for a console that dialed in.
	links   map[*link.Link]*masterRun
	masters map[string]*masterRun // by masterKey of each one's first address
	// known is the certificates of consoles that have linked here
	// (knownconsoles.go): strangers' failures do not lock them out.
	known   map[string]bool
	control *control.Server
	tasks   *Tasks
	probe   *HostProbe
	closed  bool

	push pusher // events to every linked console (push.go)
	// refusals decides which consoles turned away before they
	// authenticated are recorded, and counts the rest.
	refusals *store.RefusalLog
}

// ErrNotInitialized means init has not been run.
var ErrNotInitialized = errors.New("the agent has no name or password yet: run `lanyard-agent init --name NAME --password-stdin` first")

// New builds an Agent; Start brings it to life.
func New(cfg Config) *Agent {
	log := cfg.Logger
	if log == nil {
		log = logrus.New()
	}
	if cfg.Limiter == nil {
		cfg.Limiter = auth.NewLimiter(auth.LimiterConfig{})
	}
	if cfg.Probe == nil {
		cfg.Probe = &HostProbe{}
	}
	a := &Agent{cfg: cfg, log: log, links: map[*link.Link]*masterRun{}, masters: map[string]*masterRun{},
		probe: cfg.Probe, tasks: NewTasks(TasksConfig{DB: cfg.DB, Logger: log, Engine: cfg.Engine, Schedule: cfg.DB != nil})}
	a.refusals = store.NewRefusalLog(a.write)
	return a
}

// inMemory reports whether the agent runs without a database (Config.DB).
func (a *Agent) inMemory() bool { return a.cfg.DB == nil }

// loadState is what Start reads: from the database, or as given.
func (a *Agent) loadState() (Settings, []store.Master, map[string]bool, error) {
	if a.inMemory() {
		return a.cfg.Settings, a.cfg.Masters, map[string]bool{}, nil
	}
	s, _, err := LoadSettings(a.cfg.DB)
	if err != nil {
		return Settings{}, nil, nil, err
	}
	masters, err := a.cfg.DB.Masters()
	if err != nil {
		return Settings{}, nil, nil, err
	}
	known, err := loadKnownConsoles(a.cfg.DB)
	if err != nil {
		return Settings{}, nil, nil, err
	}
	return s, masters, known, nil
}

// Start opens the control socket (when Config.ControlDir is set), listens
// (when set) and dials every master. It fails when the agent is not
// initialised or its port or control socket cannot be opened: a service
// that cannot do its one job should say so at once.
func (a *Agent) Start(ctx context.Context) error {
	s, masters, known, err := a.loadState()
	if err != nil {
		return err
	}
	if !s.Initialized() {
		return ErrNotInitialized
	}
	a.cfgMu.Lock()
	defer a.cfgMu.Unlock()
	if err := a.begin(ctx, s, masters, known); err != nil {
		return err
	}
	var cs *control.Server
	if a.cfg.ControlDir != "" {
		if cs, err = a.openControl(a.cfg.ControlDir); err != nil {
			a.undoStart(nil)
			return err
		}
	}
	if !s.Management {
		a.record("", string(wire.CodeManagementDisabled), store.SeverityWarning, "remote management is off: every console will be refused (lanyard-agent set management on)")
	}
	if err := a.startListening(s); err != nil {
		a.undoStart(cs)
		return err
	}
	// Backup tasks: interrupted runs recorded, missed ones caught up, the
	// schedule started, all before the control socket answers.
	if err := a.tasks.Start(a.ctx); err != nil {
		a.undoStart(cs)
		return fmt.Errorf("cannot start the backup tasks: %w", err)
	}
	a.goLive(s, cs)
	return nil
}

// begin takes on the state Start loaded and the agent's context, unless
// the agent is closed or started already.
func (a *Agent) begin(ctx context.Context, s Settings, masters []store.Master, known map[string]bool) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	switch {
	case a.closed:
		return errShuttingDown
	case a.ctx != nil:
		return errors.New("the agent is already started")
	}
	now := time.Now()
	a.started = now
	a.ctx, a.cancel = context.WithCancel(ctx)
	a.settings = s
	a.known = known
	for _, m := range masters {
		mr := newMasterRun(m, now)
		a.masters[mr.key()] = mr
	}
	return nil
}

// startListening listens for consoles at s.Listen, when set.
func (a *Agent) startListening(s Settings) error {
	if s.Listen == "" {
		return nil
	}
	ln, err := a.listen(s.Listen, s)
	if err != nil {
		return err
	}
	a.mu.Lock()
	a.listener = ln
	a.mu.Unlock()
	a.record("", store.KindListening, store.SeverityInfo, fmt.Sprintf("listening for consoles on %s %s", ln.Addr(), sslPhrase(s.SSL)))
	return nil
}

// undoStart closes what a failed Start opened: the listener, the control
// socket cs (nil when none) and the agent's context.
func (a *Agent) undoStart(cs *control.Server) {
	a.mu.Lock()
	ln := a.listener
	a.listener = nil
	a.mu.Unlock()
	if ln != nil {
		_ = ln.Close()
	}
	if cs != nil {
		cs.Close()
	}
	a.cancel()
}

// goLive is Start's last step: every linked console hears of the tasks'
// runs, every master is dialed (when management is on) and the control
// socket cs (nil when none) answers.
func (a *Agent) goLive(s Settings, cs *control.Server) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.startTaskPushLocked()
	if s.Management {
		for _, mr := range a.masters {
			a.startDialerLocked(mr)
		}
	}
	if cs != nil {
		a.control = cs
		a.serveControlLocked(cs)
	}
}

func sslPhrase(on bool) string {
	if on {
		return "with SSL"
	}
	return "without SSL"
}

// Tasks is the agent's backup tasks.
func (a *Agent) Tasks() *Tasks { return a.tasks }

// ListenAddr is the bound listen address, or "".
func (a *Agent) ListenAddr() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.listener == nil {
		return ""
	}
	return a.listener.Addr().String()
}

// Close ends every link with shutting_down, stops listening and dialing,
// removes the control socket and waits for every goroutine. Idempotent.
func (a *Agent) Close() error {
	a.cfgMu.Lock()
	a.mu.Lock()
	if a.closed || a.cancel == nil {
		a.closed = true
		a.mu.Unlock()
		a.cfgMu.Unlock()
		return nil
	}
	a.closed = true
	ln := a.listener
	a.listener = nil
	cs := a.control
	links := make([]*link.Link, 0, len(a.links))
	for l := range a.links {
		links = append(links, l)
	}
	a.mu.Unlock()
	// Released before waiting: a control request blocked on cfgMu must be
	// able to see closed and return, or Wait below would never end.
	a.cfgMu.Unlock()
	// Every console hears why first, before anything else stops and could
	// end a link for a reason of its own. A link adopted from here on is
	// refused with shutting_down too (adopt, adoptDialed see closed).
	for _, l := range links {
		l.CloseWith(&link.Error{Code: wire.CodeShuttingDown, Reason: "the agent is shutting down"})
	}
	if cs != nil {
		cs.Close()
	}
	if ln != nil {
		_ = ln.Close()
	}
	a.refusals.Close() // the listener is closed: write what it counted
	a.cancel()
	a.tasks.Close()
	a.wg.Wait()
	if a.inMemory() {
		return nil
	}
	return a.cfg.DB.Flush()
}

// optionsFor are the link options under settings s.
func (a *Agent) optionsFor(s Settings) link.Options {
	return link.Options{SSL: s.SSL, Heartbeat: cmp.Or(a.cfg.Heartbeat, s.Heartbeat()),
		DeadAfter: a.cfg.DeadAfter, HandshakeTimeout: a.cfg.HandshakeTimeout}
}

func (a *Agent) linkOptions() link.Options {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.optionsFor(a.settings)
}

// listen binds addr for consoles with the SSL and heartbeat of s. A port
// held by another program says how to find which.
func (a *Agent) listen(addr string, s Settings) (*link.Listener, error) {
	ln, err := link.Listen(link.ListenConfig{
		Address: addr, Identity: a.cfg.Identity, Options: a.optionsFor(s), Auth: a,
		Limiter: a.cfg.Limiter, OnLink: a.adopt, OnRefused: a.refused,
	})
	if errors.Is(err, syscall.EADDRINUSE) {
		_, port, _ := net.SplitHostPort(addr)
		err = fmt.Errorf("%w (lanyard-agent port-check %s names it)", err, port)
	}
	return ln, err
}

func reasonOf(err error) string {
	var e *link.Error
	if errors.As(err, &e) && e.Reason != "" {
		return e.Reason
	}
	return err.Error()
}

// Admit decides on a console dialing in (link.Authenticator).
func (a *Agent) Admit(h *pb.Hello, remote netip.AddrPort, fingerprint string) (link.Admission, error) {
	a.mu.Lock()
	s := a.settings
	a.mu.Unlock()
	if !s.Management {
		return link.Admission{}, link.Refuse(wire.CodeManagementDisabled,
			"console at %s refused: remote management is off (lanyard-agent set management on)", remote.Addr())
	}
	if !strings.EqualFold(h.Name, s.Name) {
		// The peer is told only that the name does not match (the
		// listener's generic words): an agent's name is not for strangers.
		return link.Admission{}, &link.Error{Code: wire.CodeNameMismatch,
			Reason: fmt.Sprintf("console at %s asked for %q, but this agent is named %q: fix the name in that console's entry", remote.Addr(), h.Name, s.Name)}
	}
	a.mu.Lock()
	known := fingerprint != "" && a.known[fingerprint]
	a.mu.Unlock()
	return link.Admission{Name: s.Name, Key: s.key(), KDF: s.kdf(), Pinned: known}, nil
}

// adopt takes on a link a console dialed in on.
func (a *Agent) adopt(l *link.Link) {
	a.mu.Lock()
	var refuse *link.Error
	switch {
	case a.closed:
		refuse = &link.Error{Code: wire.CodeShuttingDown, Reason: "the agent is shutting down"}
	case !a.settings.Management:
		// Admitted a moment before management was turned off.
		refuse = &link.Error{Code: wire.CodeManagementDisabled, Reason: managementOffReason}
	default:
		a.links[l] = nil
		// Started under mu, so that whoever closes it after seeing it in
		// links has HandleClose called. Start calls nothing back.
		l.Start(a, &a.wg) // Close waits for its reader and handlers
	}
	a.mu.Unlock()
	if refuse != nil {
		l.CloseWith(refuse)
		return
	}
	a.rememberConsole(l.Peer().Fingerprint)
	a.recordLinked(l)
}

func (a *Agent) recordLinked(l *link.Link) {
	p := l.Peer()
	dir := "accepted"
	if p.Dialed {
		dir = "dialed"
	}
	a.record(p.Remote, store.KindConnected, store.SeverityInfo, fmt.Sprintf("console linked (%s, %s, %s)", dir, sslPhrase(p.SSL), wire.Quote(p.Software)))
}

// recordLinkedVia is recordLinked for a console dialed at one of its
// several addresses: it says which one worked.
func (a *Agent) recordLinkedVia(l *link.Link, via string) {
	p := l.Peer()
	a.record(p.Remote, store.KindConnected, store.SeverityInfo, fmt.Sprintf("console linked (dialed at %s, %s, %s)", via, sslPhrase(p.SSL), wire.Quote(p.Software)))
}

// refused notes a console turned away before it authenticated: the
// refusal log records it, or counts it with its repeats (store.RefusalLog).
func (a *Agent) refused(r link.Refusal) {
	a.refusals.Note(store.Refusal{Event: store.Event{Slave: a.name(), Remote: r.Remote, Kind: string(r.Err.Code),
		Severity: store.SeverityWarning, Reason: r.Err.Reason}, Busy: r.Busy, RetryAfter: r.Err.RetryAfter})
}

// HandleRequest answers a console's request (manage.go).
func (a *Agent) HandleRequest(ctx context.Context, l *link.Link, method string, body []byte) (proto.Message, error) {
	return a.serve(ctx, l, method, body)
}

// HandleEvent ignores events: consoles send requests.
func (a *Agent) HandleEvent(*link.Link, string, []byte) {}

// HandleClose forgets a closed link and, for a link the agent dialed,
// notes the master's new state.
func (a *Agent) HandleClose(l *link.Link, err *link.Error) {
	a.push.forget(l)
	a.mu.Lock()
	mr, ok := a.links[l]
	delete(a.links, l)
	if ok && mr != nil && mr.link == l {
		mr.linkClosed(err)
	}
	a.mu.Unlock()
	a.record(l.Peer().Remote, store.KindDisconnected, store.SeverityInfo, fmt.Sprintf("console link closed (%s): %s", err.Code, err.Reason))
}

// Links is how many consoles are linked now.
func (a *Agent) Links() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.links)
}

func (a *Agent) record(remote, kind string, severity store.Severity, reason string) {
	a.write(store.Event{Slave: a.name(), Remote: remote, Kind: kind, Severity: severity, Reason: reason})
}

// write puts a record in the connection log, if the agent has one, and in
// the agent's log.
func (a *Agent) write(r store.Event) {
	if !a.inMemory() {
		a.cfg.DB.Record(r)
	}
	e := a.log.WithField("event", r.Kind)
	if r.Remote != "" {
		e = e.WithField("remote", r.Remote)
	}
	e.Log(r.Severity.Level(), r.Reason)
}

// name is the agent's name, for its records.
func (a *Agent) name() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.settings.Name
}
