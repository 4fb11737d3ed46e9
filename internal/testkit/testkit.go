// Package testkit starts the real parts Lanyard's tests run against: a
// store in the test's temporary directory, an installation's identity,
// keys derived once per test binary, a logger that keeps what it logs, a
// log watch a test waits on for a line, a live agent on loopback, and the
// real lanyard-agent binary, built. Its subpackage mastertest starts a
// live console.
//
// It is an ordinary package, not a _test one, so that the tests of every
// package (core, ui, service, app) share it; it lives under internal/ so
// that nothing outside this module can import it. It imports neither
// core/master nor anything above it, so core/master's own tests can use it
// too.
package testkit

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
	"github.com/sirupsen/logrus/hooks/test"

	"github.com/lanyard/lanyard/app"
	"github.com/lanyard/lanyard/core/agent"
	"github.com/lanyard/lanyard/core/auth"
	"github.com/lanyard/lanyard/core/link"
	"github.com/lanyard/lanyard/core/slavefile"
	"github.com/lanyard/lanyard/core/store"
	"github.com/lanyard/lanyard/core/wire/pb"
)

// Link timing for tests: reconnects and dead peers happen within a test.
const (
	Heartbeat     = 200 * time.Millisecond
	DeadAfter     = 800 * time.Millisecond
	RedialInitial = 20 * time.Millisecond
	RedialMax     = 200 * time.Millisecond
)

// Store opens a fresh store of kind ("console" or "agent") in the test's
// temporary directory and closes it when the test ends. A zero
// opts.LogRetention keeps records for 50 years, so that records a test
// dates in the past are not pruned.
func Store(t testing.TB, kind string, opts store.Options) *store.DB {
	t.Helper()
	return StoreAt(t, filepath.Join(t.TempDir(), kind+".db"), kind, opts)
}

// StoreAt is Store on a file the test chose (to open it again).
func StoreAt(t testing.TB, path, kind string, opts store.Options) *store.DB {
	t.Helper()
	opts.Kind = kind
	if opts.LogRetention == 0 {
		opts.LogRetention = 50 * 365 * 24 * time.Hour
	}
	db, err := store.Open(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// Identity is the installation identity kept in db, made on first use, as
// the console and the agent make theirs (app.LoadIdentity), with a new
// boot ID. With db nil it is a throwaway installation's.
func Identity(t testing.TB, db *store.DB, role pb.Role) *link.Identity {
	t.Helper()
	var id *link.Identity
	var err error
	if db == nil {
		id, err = link.NewThrowawayIdentity(role, "test")
	} else {
		id, err = app.LoadIdentity(db, role)
	}
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// Logger discards what it logs but keeps it for assertions.
func Logger() (*logrus.Logger, *test.Hook) { return test.NewNullLogger() }

var (
	keysMu sync.Mutex
	keys   = map[string]auth.Key{}
)

// Key is the key derived from password for name with kdf, once per test
// binary: at auth.DefaultKDF a derivation costs a second or two under -race.
func Key(t testing.TB, name, password string, kdf auth.KDFParams) auth.Key {
	t.Helper()
	keysMu.Lock()
	defer keysMu.Unlock()
	id := auth.NormalizeName(name) + "\x00" + password + "\x00" + kdf.String()
	if k, ok := keys[id]; ok {
		return k
	}
	k, err := auth.DeriveKey([]byte(password), name, kdf)
	if err != nil {
		t.Fatal(err)
	}
	keys[id] = k
	return k
}

// AgentOptions describe a live agent. A database that was initialised
// before keeps its settings; otherwise the agent is initialised with Name
// and Password, listening on a loopback port when Listen is set, dialing
// Masters, with SSL as given.
type AgentOptions struct {
	Name, Password string
	SSL            bool
	Listen         bool
	Masters        []string
	Management     *bool              // nil: on
	DB             *store.DB          // nil: a fresh agent.db
	Logger         logrus.FieldLogger // nil: discarded
	// Tune changes the configuration before the agent starts.
	Tune func(*agent.Config)
}

// Agent starts a real agent in this process and closes it when the test
// ends.
func Agent(t testing.TB, o AgentOptions) *agent.Agent {
	t.Helper()
	db := o.DB
	if db == nil {
		db = Store(t, "agent", store.Options{})
	}
	if _, found, _ := agent.LoadSettings(db); !found {
		listen := "off"
		if o.Listen {
			listen = "127.0.0.1:0"
		}
		if _, _, err := agent.Init(db, agent.InitOptions{Name: o.Name, Password: []byte(o.Password), Listen: &listen,
			SSL: &o.SSL, Management: o.Management, Masters: o.Masters}); err != nil {
			t.Fatal(err)
		}
	}
	log := o.Logger
	if log == nil {
		log, _ = Logger()
	}
	cfg := agent.Config{DB: db, Identity: Identity(t, db, pb.Role_ROLE_AGENT), Logger: log, Version: "test",
		Heartbeat: Heartbeat, DeadAfter: DeadAfter, RedialInitial: RedialInitial, RedialMax: RedialMax}
	if o.Tune != nil {
		o.Tune(&cfg)
	}
	a := agent.New(cfg)
	if err := a.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Close() })
	return a
}

// ExportedKey is a key as another console exports it in a slave list file
// (core/slavefile), every byte b: distinct b, distinct keys.
func ExportedKey(b byte) string {
	var k auth.Key
	for i := range k {
		k[i] = b
	}
	return slavefile.FormatKey(k, auth.DefaultKDF)
}
