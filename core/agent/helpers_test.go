package agent_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
	"github.com/sirupsen/logrus/hooks/test"
	"google.golang.org/protobuf/proto"

	"github.com/lanyard/lanyard/core/agent"
	"github.com/lanyard/lanyard/core/auth"
	"github.com/lanyard/lanyard/core/link"
	"github.com/lanyard/lanyard/core/store"
	"github.com/lanyard/lanyard/core/wire"
	"github.com/lanyard/lanyard/core/wire/pb"
	"github.com/lanyard/lanyard/internal/testkit"
)

// The agent every test sets up, unless it says otherwise.
const (
	slaveName = "FS01"
	password  = "pw-9f3c1e7a-never-on-disk"
)

// keyFor is the key of name and pw at the product's parameters, derived
// once per test binary.
func keyFor(t testing.TB, name, pw string) auth.Key {
	t.Helper()
	return testkit.Key(t, name, pw, auth.DefaultKDF)
}

// openDB opens a fresh agent database in the test's temporary directory.
func openDB(t *testing.T) *store.DB {
	t.Helper()
	return testkit.Store(t, "agent", store.Options{})
}

// The file of an agent after `init --name FS01 --password-stdin --listen
// off`, made once: Init derives the key each time it is given a password,
// so tests that need an initialised agent start from a copy of this file.
var (
	templateOnce sync.Once
	templateFile []byte
	templateErr  error
)

// initializedDB is a fresh database holding what a first Init with
// slaveName and password (listening off, no masters) writes.
func initializedDB(t *testing.T) *store.DB {
	t.Helper()
	templateOnce.Do(func() {
		dir, err := os.MkdirTemp("", "lanyard-agent-template-")
		if err != nil {
			templateErr = err
			return
		}
		defer os.RemoveAll(dir)
		path := filepath.Join(dir, "agent.db")
		db, err := store.Open(path, store.Options{Kind: "agent"})
		if err != nil {
			templateErr = err
			return
		}
		off := "off"
		_, _, err = agent.Init(db, agent.InitOptions{Name: slaveName, Password: []byte(password), Listen: &off})
		templateErr = errors.Join(err, db.Close())
		if templateErr == nil {
			templateFile, templateErr = os.ReadFile(path)
		}
	})
	if templateErr != nil {
		t.Fatalf("making the initialised database: %v", templateErr)
	}
	path := filepath.Join(t.TempDir(), "agent.db")
	if err := os.WriteFile(path, templateFile, 0o600); err != nil {
		t.Fatal(err)
	}
	return testkit.StoreAt(t, path, "agent", store.Options{})
}

// mustInit applies o, which must succeed.
func mustInit(t *testing.T, db *store.DB, o agent.InitOptions) agent.Settings {
	t.Helper()
	s, _, err := agent.Init(db, o)
	if err != nil {
		t.Fatalf("Init: %v", err)
	}
	return s
}

func ptr[T any](v T) *T { return &v }

// runningAgent is an Agent under test and what it wrote.
type runningAgent struct {
	*agent.Agent
	db    *store.DB
	log   *test.Hook
	watch *testkit.LogWatch
}

// newAgent builds an agent on db; start it with Start.
func newAgent(t *testing.T, db *store.DB) *runningAgent {
	t.Helper()
	return newAgentWith(t, db, nil)
}

// newAgentWith is newAgent with changes to the default test configuration.
func newAgentWith(t *testing.T, db *store.DB, configure func(*agent.Config)) *runningAgent {
	t.Helper()
	logger, hook := test.NewNullLogger()
	logger.SetLevel(logrus.DebugLevel)
	watch := testkit.NewLogWatch()
	logger.AddHook(watch)
	cfg := agent.Config{
		DB: db, Identity: testkit.Identity(t, db, pb.Role_ROLE_AGENT), Logger: logger,
		Version: "test-1.2.3", DataDir: t.TempDir(),
		RedialInitial: 20 * time.Millisecond, RedialMax: 200 * time.Millisecond,
	}
	if configure != nil {
		configure(&cfg)
	}
	a := agent.New(cfg)
	// Registered after the database's cleanup, so it runs before it.
	t.Cleanup(func() { _ = a.Close() })
	return &runningAgent{Agent: a, db: db, log: hook, watch: watch}
}

// startAgent is an initialised agent listening on loopback with the given
// SSL and management settings.
func startAgent(t *testing.T, ssl, management bool) *runningAgent {
	t.Helper()
	db := initializedDB(t)
	mustInit(t, db, agent.InitOptions{Listen: ptr("127.0.0.1:0"), SSL: &ssl, Management: &management})
	a := newAgent(t, db)
	if err := a.Start(context.Background()); err != nil {
		t.Fatalf("Start: %v", err)
	}
	if a.ListenAddr() == "" {
		t.Fatal("the agent is not listening")
	}
	return a
}

// warned reports whether the agent logged a warning containing text.
func (a *runningAgent) warned(text string) bool {
	for _, e := range a.log.AllEntries() {
		if e.Level == logrus.WarnLevel && strings.Contains(e.Message, text) {
			return true
		}
	}
	return false
}

// event waits for the agent's connection log to hold an event of kind.
// The agent logs every record as it queues it, so the test waits for the
// log line, then reads the durable record.
func (a *runningAgent) event(t *testing.T, kind string) store.Event {
	t.Helper()
	a.watch.Wait(t, 0, kind+" event", func(l testkit.Logged) bool { return l.Event == kind })
	if err := a.db.Flush(); err != nil {
		t.Fatal(err)
	}
	events, err := a.db.Events(store.EventFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range events {
		if e.Kind == kind {
			return e
		}
	}
	t.Fatalf("%q was logged but is not in the connection log: %+v", kind, events)
	return store.Event{}
}

// console is the console's end of the tests: an identity that dials agents
// or listens for them.
type console struct {
	id *link.Identity
}

func newConsole(t *testing.T) *console {
	return &console{id: testkit.Identity(t, nil, pb.Role_ROLE_MASTER)}
}

// dial links to the agent at addr as a console would, with an explicit key.
func (c *console) dial(t *testing.T, addr string, ssl bool, name string, key auth.Key) (*link.Link, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	d := link.Dialer{Identity: c.id, Options: link.Options{SSL: ssl}}
	l, err := d.Dial(ctx, link.Target{Address: addr, Name: name, Key: key, KDF: auth.DefaultKDF})
	if l != nil {
		t.Cleanup(func() { l.CloseWith(&link.Error{Code: wire.CodeNormal, Reason: "test over"}) })
	}
	return l, err
}

// link dials the agent with the right name and password, starts the link
// with a fresh handler and waits until the agent has taken the link on: the
// console's Dial returns as soon as the welcome arrives, a moment before
// the agent's listener hands the link over.
func (c *console) link(t *testing.T, a *runningAgent, ssl bool) (*link.Link, *handler) {
	t.Helper()
	l, err := c.dial(t, a.ListenAddr(), ssl, slaveName, keyFor(t, slaveName, password))
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	h := newHandler()
	l.Start(h, nil)
	// The agent answers only once it has adopted the link.
	if _, err := status(t, l); err != nil {
		t.Fatalf("first request on a new link: %v", err)
	}
	return l, h
}

// handler is the console's link.Handler: it answers no requests and
// records how the link closed.
type handler struct {
	closed chan *link.Error
}

func newHandler() *handler { return &handler{closed: make(chan *link.Error, 1)} }

func (h *handler) HandleRequest(context.Context, *link.Link, string, []byte) (proto.Message, error) {
	return nil, &link.RequestError{Code: wire.ErrUnknownMethod, Message: "consoles answer no requests"}
}
func (h *handler) HandleEvent(*link.Link, string, []byte)    {}
func (h *handler) HandleClose(_ *link.Link, err *link.Error) { h.closed <- err }

// waitClosed waits for the link's end as the console saw it.
func (h *handler) waitClosed(t *testing.T) *link.Error {
	t.Helper()
	select {
	case err := <-h.closed:
		return err
	case <-time.After(5 * time.Second):
		t.Fatal("the link did not close within 5s")
	}
	return nil
}

// status asks the agent at the other end of l for its status.
func status(t *testing.T, l *link.Link) (*pb.StatusResponse, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var resp pb.StatusResponse
	err := l.Request(ctx, wire.MethodStatus, &pb.StatusRequest{}, &resp)
	return &resp, err
}
