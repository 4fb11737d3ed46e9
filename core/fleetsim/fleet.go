package fleetsim

import (
	"cmp"
	"context"
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"runtime"
	"sync"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/lanyard/lanyard/core/agent"
	"github.com/lanyard/lanyard/core/auth"
	"github.com/lanyard/lanyard/core/link"
	"github.com/lanyard/lanyard/core/slavefile"
	"github.com/lanyard/lanyard/core/store"
	"github.com/lanyard/lanyard/core/wire/pb"
)

// DefaultSourceBase is the first address agents dial from.
var DefaultSourceBase = netip.AddrFrom4([4]byte{127, 1, 0, 1})

// DefaultNamePrefix starts every simulated agent's name.
const DefaultNamePrefix = "sim"

// Config says which fleet to run.
type Config struct {
	// Count agents, numbered First to First+Count-1: a fleet spread over
	// several processes gives each process its share.
	Count, First int
	// NamePrefix names agent i NamePrefix and i+1 in five digits
	// ("sim00001"); default DefaultNamePrefix.
	NamePrefix string
	// Seed makes each agent's key (HMAC-SHA256(Seed, lower-case name)).
	Seed []byte
	// Master is the console every agent dials (host:port). Or:
	Master string
	// ListenBase: agent i listens at ListenBase's address plus i, at its
	// port, for a console that dials it.
	ListenBase netip.AddrPort
	// SourceBase: agent i dials from SourceBase plus i; default
	// DefaultSourceBase.
	SourceBase netip.Addr
	SSL        bool
	// Software is what the agents' hellos say they run.
	Software string
	Logger   logrus.FieldLogger

	// Timing overrides (tests); zero takes the defaults.
	Heartbeat     time.Duration
	RedialInitial time.Duration
	RedialMax     time.Duration
}

func (c *Config) defaults() error {
	if c.Count <= 0 {
		return errors.New("the fleet needs at least one agent (--count)")
	}
	if c.First < 0 {
		return errors.New("the first agent's number cannot be negative")
	}
	if (c.Master == "") == !c.ListenBase.IsValid() {
		return errors.New("give either the console to dial (--master HOST:PORT) or where to listen (--listen-base HOST:PORT), not both")
	}
	if c.NamePrefix == "" {
		c.NamePrefix = DefaultNamePrefix
	}
	if err := auth.ValidateName(Name(c.NamePrefix, c.First+c.Count-1)); err != nil {
		return fmt.Errorf("--name-prefix %q: %w", c.NamePrefix, err)
	}
	if len(c.Seed) == 0 {
		return errors.New("the fleet needs a seed for its keys")
	}
	if !c.SourceBase.IsValid() {
		c.SourceBase = DefaultSourceBase
	}
	for _, base := range []netip.Addr{c.SourceBase, c.ListenBase.Addr()} {
		if !base.IsValid() {
			continue
		}
		if last := addrPlus(base, c.First+c.Count-1); !base.Is4() || !last.IsLoopback() {
			return fmt.Errorf("%s plus %d agents leaves 127.0.0.0/8: the simulated fleet stays on loopback", base, c.First+c.Count)
		}
	}
	if c.Logger == nil {
		l := logrus.New()
		l.SetLevel(logrus.WarnLevel)
		c.Logger = l
	}
	if c.Software == "" {
		c.Software = "lanyard-agent simulated"
	}
	return nil
}

// Name is agent i's name.
func Name(prefix string, i int) string { return fmt.Sprintf("%s%05d", prefix, i+1) }

// Key is the key of the agent called name in the fleet of seed.
func Key(seed []byte, name string) auth.Key {
	m := hmac.New(sha256.New, seed)
	m.Write([]byte(auth.NormalizeName(name)))
	var k auth.Key
	copy(k[:], m.Sum(nil))
	return k
}

// addrPlus is a plus n, in IPv4.
func addrPlus(a netip.Addr, n int) netip.Addr {
	b := a.As4()
	v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	v += uint32(n)
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

// Entries is the console's import file for the fleet: inbound slaves for a
// fleet that dials, outbound ones at their addresses for one that listens;
// with keys, without fingerprints (the console pins each at its first link).
func Entries(c Config) ([]slavefile.Row, error) {
	if err := c.defaults(); err != nil {
		return nil, err
	}
	rows := make([]slavefile.Row, c.Count)
	for j := range rows {
		i := c.First + j
		name := Name(c.NamePrefix, i)
		r := slavefile.Row{Name: name, Direction: string(store.Inbound), Group: "simulated",
			Key: slavefile.FormatKey(Key(c.Seed, name), auth.DefaultKDF)}
		if c.ListenBase.IsValid() {
			r.Direction = string(store.Outbound)
			r.Address = netip.AddrPortFrom(addrPlus(c.ListenBase.Addr(), i), c.ListenBase.Port()).String()
		}
		rows[j] = r
	}
	return rows, nil
}

// DialsPerCore bounds, per core of the process, its agents that have
// connected and not yet sent their first flight (link.DialGate): each
// agent's handshake then goes as promptly as a real agent's on its own
// machine, while the fleet dials as fast as the process can make
// handshakes. The console is still met by a storm: every agent dials at
// once, and those beyond what it serves are turned away and come back.
const DialsPerCore = 16

// Fleet is a running simulated fleet.
type Fleet struct {
	cfg    Config
	agents []*agent.Agent
	once   sync.Once
}

// Start makes every agent's identity, then starts them all at once: a
// fleet that dials starts dialing at once, as servers do after a power
// cut. It stops them again if one cannot start (an address in use).
func Start(ctx context.Context, cfg Config) (*Fleet, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	ids, err := identities(cfg)
	if err != nil {
		return nil, err
	}
	f := &Fleet{cfg: cfg, agents: make([]*agent.Agent, cfg.Count)}
	probe := &agent.HostProbe{}
	limiter := auth.NewLimiter(auth.LimiterConfig{})
	gate := link.NewDialGate(DialsPerCore * runtime.GOMAXPROCS(0))
	for j := range f.agents {
		i := cfg.First + j
		name := Name(cfg.NamePrefix, i)
		k := Key(cfg.Seed, name)
		s := agent.Settings{Name: name, Key: k[:], SSL: cfg.SSL, Management: true,
			KDF: store.KDFParams(auth.DefaultKDF)}
		var masters []store.Master
		if cfg.ListenBase.IsValid() {
			s.Listen = netip.AddrPortFrom(addrPlus(cfg.ListenBase.Addr(), i), cfg.ListenBase.Port()).String()
		} else {
			masters = []store.Master{{Addresses: []string{cfg.Master}}}
		}
		f.agents[j] = agent.New(agent.Config{
			Settings: s, Masters: masters, Identity: ids[j], Probe: probe, Limiter: limiter,
			DialFrom: &net.TCPAddr{IP: addrPlus(cfg.SourceBase, i).AsSlice()}, DialGate: gate,
			Logger: cfg.Logger.WithField("agent", name), Version: cfg.Software,
			Heartbeat: cfg.Heartbeat, RedialInitial: cfg.RedialInitial, RedialMax: cfg.RedialMax,
		})
	}
	for j, a := range f.agents {
		if err := a.Start(ctx); err != nil {
			_ = f.Close()
			return nil, fmt.Errorf("agent %s: %w", Name(cfg.NamePrefix, cfg.First+j), err)
		}
	}
	return f, nil
}

// identities makes every agent's installation identity, on every core.
func identities(cfg Config) ([]*link.Identity, error) {
	ids := make([]*link.Identity, cfg.Count)
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	workers := runtime.GOMAXPROCS(0)
	for w := range workers {
		wg.Go(func() {
			for j := w; j < cfg.Count; j += workers {
				id, err := identity(cfg.Seed, Name(cfg.NamePrefix, cfg.First+j), cfg.Software)
				if err != nil {
					mu.Lock()
					first = cmp.Or(first, err)
					mu.Unlock()
					return
				}
				ids[j] = id
			}
		})
	}
	wg.Wait()
	return ids, first
}

// identityEpoch is when every simulated agent's certificate begins.
var identityEpoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// identity is the installation of the agent called name in the fleet of
// seed: its certificate and installation ID come from the seed and the
// name, so that a fleet started again, or on another machine, is the
// same installations to the consoles that pinned them.
func identity(seed []byte, name, software string) (*link.Identity, error) {
	certSeed, err := derive(seed, "certificate", name, ed25519.SeedSize)
	if err != nil {
		return nil, err
	}
	certPEM, keyPEM, err := link.CertificateFromSeed("lanyard agent "+name, certSeed, identityEpoch)
	if err != nil {
		return nil, err
	}
	install, err := derive(seed, "installation", name, 16)
	if err != nil {
		return nil, err
	}
	return link.NewIdentity(pb.Role_ROLE_AGENT, software, [16]byte(install), certPEM, keyPEM)
}

// derive is n bytes for one purpose of the agent called name (in any
// case) in the fleet of seed, by HKDF-SHA256. Key, older, is made its own
// way and stays so: the entries written by earlier runs keep working.
func derive(seed []byte, purpose, name string, n int) ([]byte, error) {
	return hkdf.Key(sha256.New, seed, nil, purpose+"\x00"+auth.NormalizeName(name), n)
}

// Count is how many agents are in the fleet.
func (f *Fleet) Count() int { return len(f.agents) }

// Linked is how many agents have a link to a console now.
func (f *Fleet) Linked() int {
	n := 0
	for _, a := range f.agents {
		if a.Links() > 0 {
			n++
		}
	}
	return n
}

// Links is how many links the agents hold now, all told: Linked when no
// agent holds two.
func (f *Fleet) Links() int {
	n := 0
	for _, a := range f.agents {
		n += a.Links()
	}
	return n
}

// Close closes every agent's links with shutting_down and stops them, all
// at once. Idempotent.
func (f *Fleet) Close() error {
	var errs []error
	f.once.Do(func() {
		var (
			wg sync.WaitGroup
			mu sync.Mutex
		)
		for _, a := range f.agents {
			if a == nil {
				continue
			}
			wg.Go(func() {
				if err := a.Close(); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			})
		}
		wg.Wait()
	})
	return errors.Join(errs...)
}
