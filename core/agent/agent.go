package agent

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/sirupsen/logrus"
	"google.golang.org/protobuf/proto"

	"github.com/lanyard/lanyard/core/auth"
	"github.com/lanyard/lanyard/core/link"
	wire "github.com/lanyard/lanyard/core/proto"
	"github.com/lanyard/lanyard/core/proto/pb"
	"github.com/lanyard/lanyard/core/store"
)

// Config is what an Agent is built from.
type Config struct {
	DB       *store.DB
	Identity *link.Identity
	Logger   logrus.FieldLogger
	Version  string
	// DataDir is the disk whose usage the status reports.
	DataDir string
	Limiter *auth.Limiter

	// Timing overrides for tests; zero values take the defaults.
	Heartbeat        time.Duration
	DeadAfter        time.Duration
	HandshakeTimeout time.Duration
	RedialInitial    time.Duration
	RedialMax        time.Duration
}

// Agent runs the slave's side of every link.
type Agent struct {
	cfg     Config
	log     logrus.FieldLogger
	started time.Time

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu       sync.Mutex
	settings Settings
	listener *link.Listener
	links    map[*link.Link]struct{}
	closed   bool
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
	return &Agent{cfg: cfg, log: log, links: map[*link.Link]struct{}{}}
}

// Start listens (when set) and dials every master. It fails when the
// agent is not initialised or its port cannot be bound: a service that
// cannot do its one job should say so at once.
func (a *Agent) Start(ctx context.Context) error {
	s, _, err := LoadSettings(a.cfg.DB)
	if err != nil {
		return err
	}
	if !s.Initialized() {
		return ErrNotInitialized
	}
	masters, err := a.cfg.DB.Masters()
	if err != nil {
		return err
	}
	a.started = time.Now()
	a.ctx, a.cancel = context.WithCancel(ctx)
	a.mu.Lock()
	a.settings = s
	a.mu.Unlock()
	if !s.Management {
		a.record("", "management_disabled", "warning", "remote management is off: every console will be refused (lanyard-agent set management on)")
	}
	if s.Listen != "" {
		ln, err := link.Listen(link.ListenConfig{
			Address: s.Listen, Identity: a.cfg.Identity, Options: a.linkOptions(), Auth: a,
			Limiter: a.cfg.Limiter, OnLink: a.adopt, OnRefused: a.refused,
		})
		if err != nil {
			a.cancel()
			return err
		}
		a.mu.Lock()
		a.listener = ln
		a.mu.Unlock()
		a.record("", "listening", "info", fmt.Sprintf("listening for consoles on %s %s", ln.Addr(), sslPhrase(s.SSL)))
	}
	if s.Management {
		for _, m := range masters {
			a.startDialer(m.Address)
		}
	}
	return nil
}

func sslPhrase(on bool) string {
	if on {
		return "with SSL"
	}
	return "without SSL"
}

// ListenAddr is the bound listen address, or "".
func (a *Agent) ListenAddr() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.listener == nil {
		return ""
	}
	return a.listener.Addr().String()
}

// Close ends every link with shutting_down and stops. Idempotent.
func (a *Agent) Close() error {
	a.mu.Lock()
	if a.closed || a.cancel == nil {
		a.closed = true
		a.mu.Unlock()
		return nil
	}
	a.closed = true
	ln := a.listener
	links := make([]*link.Link, 0, len(a.links))
	for l := range a.links {
		links = append(links, l)
	}
	a.mu.Unlock()
	if ln != nil {
		_ = ln.Close()
	}
	a.cancel()
	for _, l := range links {
		l.CloseWith(&link.Error{Code: wire.CodeShuttingDown, Reason: "the agent is shutting down"})
	}
	a.wg.Wait()
	return a.cfg.DB.Flush()
}

func (a *Agent) linkOptions() link.Options {
	a.mu.Lock()
	defer a.mu.Unlock()
	return link.Options{SSL: a.settings.SSL, Heartbeat: cmp.Or(a.cfg.Heartbeat, a.settings.Heartbeat()),
		DeadAfter: a.cfg.DeadAfter, HandshakeTimeout: a.cfg.HandshakeTimeout}
}

func (a *Agent) startDialer(addr string) {
	r := &link.Redialer{
		Dial: func(ctx context.Context, t link.Target) (*link.Link, error) {
			d := &link.Dialer{Identity: a.cfg.Identity, Options: a.linkOptions()}
			return d.Dial(ctx, t)
		},
		Target: func() (link.Target, bool) {
			a.mu.Lock()
			s := a.settings
			a.mu.Unlock()
			pin := ""
			if ms, err := a.cfg.DB.Masters(); err == nil {
				for _, m := range ms {
					if strings.EqualFold(m.Address, addr) {
						pin = m.PinnedCert
					}
				}
			}
			return link.Target{Address: addr, Name: s.Name, Key: s.key(), KDF: s.kdf(), PinnedCert: pin}, s.Management
		},
		OnLink: func(l *link.Link) bool {
			if l.Peer().Fingerprint != "" {
				fp := l.Peer().Fingerprint
				_ = a.cfg.DB.UpdateMaster(addr, func(m *store.Master) error {
					if m.PinnedCert == "" {
						m.PinnedCert = fp
					}
					return nil
				})
			}
			a.adopt(l)
			return true
		},
		OnFailure: func(err error, retryIn time.Duration) {
			code := string(link.CodeOf(err))
			if code == "" {
				code = string(link.CodeDialFailed)
			}
			a.record(addr, code, "warning", fmt.Sprintf("%s (next try in %s)", reasonOf(err), retryIn.Round(time.Second)))
		},
		Initial: a.cfg.RedialInitial,
		Max:     a.cfg.RedialMax,
	}
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		r.Run(a.ctx)
	}()
}

func reasonOf(err error) string {
	var e *link.Error
	if errors.As(err, &e) && e.Reason != "" {
		return e.Reason
	}
	return err.Error()
}

// Admit decides on a console dialing in (link.Authenticator).
func (a *Agent) Admit(h *pb.Hello, remote netip.AddrPort, _ string) (link.Admission, error) {
	a.mu.Lock()
	s := a.settings
	a.mu.Unlock()
	if !s.Management {
		return link.Admission{}, link.Refuse(wire.CodeManagementDisabled,
			"console at %s refused: remote management is off (lanyard-agent set management on)", remote.Addr())
	}
	if !strings.EqualFold(h.Name, s.Name) {
		return link.Admission{}, &link.Error{Code: wire.CodeNameMismatch,
			Reason:     fmt.Sprintf("console at %s asked for %q, but this agent is named %q: fix the name in that console's entry", remote.Addr(), h.Name, s.Name),
			PeerReason: fmt.Sprintf("this agent is named %q, not %q", s.Name, h.Name)}
	}
	return link.Admission{Name: s.Name, Key: s.key(), KDF: s.kdf()}, nil
}

func (a *Agent) adopt(l *link.Link) {
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		l.CloseWith(&link.Error{Code: wire.CodeShuttingDown, Reason: "the agent is shutting down"})
		return
	}
	a.links[l] = struct{}{}
	a.mu.Unlock()
	l.Start(a)
	p := l.Peer()
	dir := "accepted"
	if p.Dialed {
		dir = "dialed"
	}
	a.record(p.Remote, "connected", "info", fmt.Sprintf("console linked (%s, %s, %s)", dir, sslPhrase(p.SSL), p.Software))
}

func (a *Agent) refused(r link.Refusal) {
	a.record(r.Remote, string(r.Err.Code), "warning", r.Err.Reason)
}

// HandleRequest answers a console's request.
func (a *Agent) HandleRequest(ctx context.Context, l *link.Link, method string, body []byte) (proto.Message, error) {
	switch method {
	case wire.MethodStatus:
		return a.status(ctx), nil
	}
	return nil, &link.RequestError{Code: wire.ErrUnknownMethod, Message: fmt.Sprintf("this agent does not know %q: upgrade it", method)}
}

// HandleEvent ignores events: consoles send requests.
func (a *Agent) HandleEvent(*link.Link, string, []byte) {}

// HandleClose forgets a closed link.
func (a *Agent) HandleClose(l *link.Link, err *link.Error) {
	a.mu.Lock()
	delete(a.links, l)
	a.mu.Unlock()
	a.record(l.Peer().Remote, "disconnected", "info", fmt.Sprintf("console link closed (%s): %s", err.Code, err.Reason))
}

// Links is how many consoles are linked now.
func (a *Agent) Links() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.links)
}

func (a *Agent) record(remote, kind, severity, reason string) {
	a.mu.Lock()
	name := a.settings.Name
	a.mu.Unlock()
	a.cfg.DB.Record(store.Event{Slave: name, Remote: remote, Kind: kind, Severity: severity, Reason: reason})
	e := a.log.WithField("event", kind)
	if remote != "" {
		e = e.WithField("remote", remote)
	}
	switch severity {
	case "error":
		e.Error(reason)
	case "warning":
		e.Warn(reason)
	default:
		e.Info(reason)
	}
}
