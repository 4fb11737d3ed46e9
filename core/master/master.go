package master

import (
	"cmp"
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/lanyard/lanyard/core/auth"
	"github.com/lanyard/lanyard/core/health"
	"github.com/lanyard/lanyard/core/human"
	"github.com/lanyard/lanyard/core/link"
	"github.com/lanyard/lanyard/core/store"
	"github.com/lanyard/lanyard/core/wire"
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
	// AlertGrace, when set, is how long a task stays failed or overdue,
	// or a slave offline, before an alert says so; else the settings say.
	AlertGrace time.Duration
	// HealthTick is how often backup states are checked against the
	// clock (default 10 s).
	HealthTick time.Duration
	// LastSeenEvery is how often the linked slaves' last-seen times are
	// saved (default 5 min, lastseen.go).
	LastSeenEvery time.Duration
	// AliveEvery is how often the console notes itself running (default
	// 30 s, lastseen.go).
	AliveEvery time.Duration
}

// Master runs the console's side of every link.
type Master struct {
	cfg Config
	log logrus.FieldLogger
	hub fanout[Event]
	// tasks fans the agents' task events out (remote_tasks.go).
	tasks fanout[TaskEvent]
	// The fleet's backup health and its alerts (health.go).
	health      *health.Tracker
	healthSyncs healthSyncs
	alerts      fanout[health.Alert]
	// started is when Start ran; relinkUntil is how long after it the
	// slaves linked before may still be dialing in again (Relinking).
	// Both are set by Start, before anything reads them.
	started, relinkUntil time.Time

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	// pins saves pinned certificates and last-seen times in batches
	// (pins.go); it stops after every link has closed.
	pins        *pinWriter
	stopPins    context.CancelFunc
	pinsStopped chan struct{}

	// applyMu makes settings changes one at a time: two that overlapped
	// could each restart the listener and leave the wrong one bound.
	applyMu sync.Mutex

	mu        sync.Mutex
	settings  Settings
	slaves    map[string]*slave // by entry ID
	byName    map[string]*slave // by lower-case name
	listener  *link.Listener
	listenErr error
	closed    bool
	// stopping is set with closed by Close, which then notes the end of
	// every link it closes itself, all at once (linksEnded).
	stopping atomic.Bool

	stopCommits func() // ends the store's announcements of committed records
	// refusals decides which peers turned away before they authenticated
	// are recorded, and counts the rest.
	refusals *store.RefusalLog

	// daily is held while the day's summaries are being sent (mail.go);
	// dailyRetry is when a summary that failed is tried again, in Unix
	// nanoseconds (0: at once).
	daily      chan struct{}
	dailyRetry atomic.Int64
	// outbox sends the alert mail (alertmail.go); mailFailure is how
	// the last try went, when it failed (mail.go).
	outbox      alertOutbox
	mailFailure mailFailure
}

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
	m := &Master{cfg: cfg, log: log, slaves: map[string]*slave{}, byName: map[string]*slave{},
		pins: newPinWriter(cfg.DB, log), hub: newEventHub(), tasks: newTaskHub(), alerts: newAlertHub(),
		daily: make(chan struct{}, 1), outbox: newAlertOutbox(cfg.DB)}
	m.stopCommits = cfg.DB.OnCommit(m.committed)
	m.refusals = store.NewRefusalLog(m.write)
	return m
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
	m.closeUnanswered()
	m.ctx, m.cancel = context.WithCancel(ctx)
	pinCtx, stopPins := context.WithCancel(context.WithoutCancel(ctx))
	m.stopPins, m.pinsStopped = stopPins, make(chan struct{})
	go func() {
		defer close(m.pinsStopped)
		m.pins.run(pinCtx)
	}()
	if err := m.openHealth(settings); err != nil {
		m.cancel()
		return err
	}
	now := time.Now()
	m.started, m.relinkUntil = now, now.Add(link.LongestRedialWait(m.cfg.RedialMax))
	m.resumeLastSeen(entries, now)
	m.watchOutages(entries)
	m.mu.Lock()
	m.settings = settings
	for _, e := range entries {
		s := newSlave(e, now)
		m.slaves[e.ID] = s
		m.byName[strings.ToLower(e.Name)] = s
	}
	for _, s := range m.slaves {
		if s.entry.Direction == store.Outbound && !s.entry.Disabled {
			m.startDialerLocked(s)
		}
	}
	m.mu.Unlock()
	m.wg.Go(func() { m.refreshLastSeen(m.ctx) })
	m.restartListener()
	return nil
}

// closeUnanswered says in the audit that the commands a console stopped
// before their answers came had none.
func (m *Master) closeUnanswered() {
	n, err := m.cfg.DB.CloseUnansweredAudit(unanswered)
	switch {
	case err != nil:
		m.log.WithError(err).Warn("could not mark the commands left without an answer in the audit")
	case n > 0:
		m.log.WithField("event", "command").Warnf("%s sent before the console last stopped had no answer recorded: they may or may not have been carried out (the audit marks them)",
			human.Plural(n, "command", "commands"))
	}
}

// Close ends every link with shutting_down, stops listening and dialing,
// and flushes the log. Idempotent.
func (m *Master) Close() error {
	m.mu.Lock()
	if m.closed || m.cancel == nil {
		if !m.closed {
			m.stopCommits()
		}
		m.closed = true
		m.mu.Unlock()
		return nil
	}
	m.closed = true
	m.stopping.Store(true)
	ln := m.listener
	m.listener = nil
	var links []*link.Link
	for _, s := range m.slaves {
		if s.link != nil {
			links = append(links, s.link)
		}
	}
	m.mu.Unlock()
	// The door closes first: a slave told below that the console is
	// shutting down dials again within a second or two, and a console
	// holding thousands of links would otherwise spend its stop on their
	// handshakes, each refused at the end. A handshake that finishes
	// meanwhile is refused with shutting_down (the listener, or adopt,
	// which sees closed).
	if ln != nil {
		_ = ln.Close()
	}
	// Every linked slave hears why. Each link's end is in the connection
	// log; the console's log has one line for them all, not thousands.
	closeAll(links, &link.Error{Code: wire.CodeShuttingDown, Reason: "the console is shutting down"})
	m.linksEnded(links)
	if len(links) > 0 {
		m.log.WithFields(logrus.Fields{"event": store.KindDisconnected, "links": len(links)}).
			Info("every link closed: the console is shutting down (each slave's is in the connection log)")
	}
	m.refusals.Close() // the listener is closed: write what it counted
	m.cancel()
	m.wg.Wait()
	m.stopPins() // every link has closed: their last-seen times are queued
	<-m.pinsStopped
	if m.health != nil {
		_ = m.health.Close()
	}
	err := m.cfg.DB.Flush()
	m.stopCommits()
	return err
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
// listener is restarted and, when SSL changed, every link is remade. An
// address that cannot be listened on changes nothing: the console goes
// on listening where it did (as the agent does).
func (m *Master) ApplySettings(s Settings) error {
	m.applyMu.Lock()
	defer m.applyMu.Unlock()
	s, err := s.Normalized()
	if err != nil {
		return err
	}
	if err := m.canMoveListener(s); err != nil {
		return err
	}
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
	if m.health != nil {
		m.health.SetGrace(m.alertGrace(s))
	}
	m.record(recordArgs{kind: store.KindSettings, severity: store.SeverityInfo, reason: describeSettings(s)})
	if old.Listen != s.Listen || old.ListenAddress != s.ListenAddress || old.SSL != s.SSL || old.Heartbeat() != s.Heartbeat() {
		m.restartListener()
	}
	for _, l := range relink {
		l.CloseWith(&link.Error{Code: wire.CodeShuttingDown, Reason: "the console's settings changed; reconnecting"})
	}
	m.kickAll()
	return nil
}

// canMoveListener says whether the listener can move to s's address: nil
// when s does not listen, keeps the address listened on (or tried: the
// restart tries again), or needs the bound port (the restart lets it go
// first); else why the address cannot be listened on, and where the
// console listens meanwhile.
func (m *Master) canMoveListener(s Settings) error {
	m.mu.Lock()
	old, ln := m.settings, m.listener
	m.mu.Unlock()
	switch {
	case !s.Listen, old.Listen && old.ListenAddress == s.ListenAddress:
		return nil
	case ln != nil && link.SamePort(ln.Addr(), s.ListenAddress):
		return nil
	}
	err := link.CanListen(s.ListenAddress)
	if err == nil {
		return nil
	}
	if ln != nil {
		return fmt.Errorf("%w; nothing was changed, and the console still listens on %s", err, ln.Addr())
	}
	return fmt.Errorf("%w; nothing was changed", err)
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
		m.hub.publish(Event{Time: time.Now(), Kind: store.KindSettings})
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
		m.record(recordArgs{kind: store.KindListenFailed, severity: store.SeverityError, reason: err.Error()})
		return
	}
	ssl := "without SSL"
	if settings.SSL {
		ssl = "with SSL"
	}
	m.record(recordArgs{kind: store.KindListening, severity: store.SeverityInfo, reason: fmt.Sprintf("listening for inbound slaves on %s %s", ln.Addr(), ssl)})
}

func (m *Master) startDialerLocked(s *slave) {
	if m.closed || m.ctx == nil {
		return
	}
	ctx, cancel := context.WithCancel(m.ctx)
	s.stopDial = cancel
	s.kick = make(chan struct{}, 1)
	s.failedDial = false // a new entry or address: its first try shows as connecting
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
				KDF: authKDF(cur.entry.KDF), Next: entryNext(cur.entry), PinnedCert: cur.entry.PinnedCert, TrustFix: trustFix(cur.entry.Name)}, true
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
		s.kickDialer()
	}
}

// closeAll closes every link with why, several at a time: each close
// writes a frame and logs a record, and a console holding 10,000 links
// must still stop within two seconds.
func closeAll(links []*link.Link, why *link.Error) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(len(links), 4*runtime.GOMAXPROCS(0)) {
		wg.Go(func() {
			for i := next.Add(1) - 1; i < int64(len(links)); i = next.Add(1) - 1 {
				e := *why // each link keeps its own
				links[i].CloseWith(&e)
			}
		})
	}
	wg.Wait()
}
