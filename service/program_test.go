package service

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
	"google.golang.org/protobuf/proto"

	"github.com/lanyard/lanyard/app"
	"github.com/lanyard/lanyard/core/agent"
	"github.com/lanyard/lanyard/core/auth"
	"github.com/lanyard/lanyard/core/link"
	"github.com/lanyard/lanyard/core/wire"
	"github.com/lanyard/lanyard/core/wire/pb"
	"github.com/lanyard/lanyard/internal/testkit"
)

// fakeAgent's Start blocks until released or cancelled; Close records.
type fakeAgent struct {
	startErr   error
	release    chan struct{} // nil: Start returns at once
	started    chan struct{}
	closeBlock chan struct{} // nil: Close returns at once
	closed     chan struct{}
	closeOnce  sync.Once
}

func newFakeAgent() *fakeAgent {
	return &fakeAgent{started: make(chan struct{}), closed: make(chan struct{})}
}

func (f *fakeAgent) Start(ctx context.Context) error {
	close(f.started)
	if f.release != nil {
		select {
		case <-f.release:
		case <-ctx.Done():
		}
	}
	return f.startErr
}

func (f *fakeAgent) Close() error {
	if f.closeBlock != nil {
		<-f.closeBlock
	}
	f.closeOnce.Do(func() { close(f.closed) }) // idempotent, like agent.Close
	return nil
}

func TestStartReturnsBeforeTheAgentIsUp(t *testing.T) {
	f := newFakeAgent()
	f.release = make(chan struct{}) // the agent never finishes starting
	p := newProgram(f, nil)
	if err := p.Start(nil); err != nil {
		t.Fatal(err)
	}
	<-f.started
	if err := p.Start(nil); err == nil {
		t.Error("a second Start succeeded")
	}
	if err := p.Stop(nil); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	select {
	case <-f.closed:
	default:
		t.Error("Stop returned before closing the agent")
	}
	if err := p.Stop(nil); err != nil {
		t.Errorf("a second Stop: %v", err)
	}
}

func TestAnAgentThatCannotStartEndsTheRunWithItsError(t *testing.T) {
	f := newFakeAgent()
	f.startErr = errors.New("listen on :16888: the port is already in use")
	p := newProgram(f, nil)
	if err := p.Start(nil); err != nil {
		t.Fatalf("Start reported the failure itself (it must return at once): %v", err)
	}
	select {
	case <-p.Failed():
	case <-time.After(5 * time.Second):
		t.Fatal("Failed was not closed")
	}
	if err := p.Stop(nil); !errors.Is(err, f.startErr) {
		t.Errorf("Stop = %v, want the start error (so the process exits non-zero)", err)
	}
}

func TestStopGivesUpOnAnAgentThatDoesNotClose(t *testing.T) {
	f := newFakeAgent()
	f.closeBlock = make(chan struct{})
	p := newProgram(f, nil)
	p.stopTimeout = 50 * time.Millisecond
	if err := p.Start(nil); err != nil {
		t.Fatal(err)
	}
	begin := time.Now()
	err := p.Stop(nil)
	if err == nil || !strings.Contains(err.Error(), "did not stop within") {
		t.Errorf("Stop = %v, want a timeout", err)
	}
	if d := time.Since(begin); d > 5*time.Second {
		t.Errorf("Stop took %s", d)
	}
	close(f.closeBlock)
	<-f.closed
}

func TestStopBeforeStartDoesNothing(t *testing.T) {
	if err := newProgram(newFakeAgent(), nil).Stop(nil); err != nil {
		t.Fatal(err)
	}
}

// The program around the real core/agent: a console links to it on
// loopback, and Stop closes that link with shutting_down.
func TestStopClosesEveryConsoleLinkWithShuttingDown(t *testing.T) {
	dir := initAgent(t, "--listen", "127.0.0.1:0", "--ssl", "on")
	db, err := app.OpenStore(dir, "agent", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	id, err := app.LoadIdentity(db, pb.Role_ROLE_AGENT)
	if err != nil {
		t.Fatal(err)
	}
	quiet := logrus.New()
	quiet.SetOutput(io.Discard)
	a := agent.New(agent.Config{DB: db, Identity: id, Logger: quiet, Version: "test", DataDir: dir})
	p := newProgram(a, nil)
	up := make(chan struct{})
	p.onStarted = func() { close(up) }
	if err := p.Start(nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Stop(nil) })
	select {
	case <-up:
	case <-p.Failed():
		t.Fatalf("the agent failed: %v", p.Err())
	case <-time.After(10 * time.Second):
		t.Fatal("the agent did not start")
	}

	l := dialConsole(t, a.ListenAddr(), "FS01", testPassword)
	l.Start(nopHandler{}, nil)
	var st pb.StatusResponse
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := l.Request(ctx, wire.MethodStatus, nil, &st); err != nil {
		t.Fatalf("status request: %v", err)
	}
	if st.Name != "FS01" {
		t.Errorf("status name %q", st.Name)
	}

	if err := p.Stop(nil); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	select {
	case <-l.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the console's link stayed open after Stop")
	}
	if code := link.CodeOf(l.Err()); code != wire.CodeShuttingDown {
		t.Errorf("link closed with %v (%q), want shutting_down", l.Err(), code)
	}
}

// dialConsole links to an agent as a console would.
func dialConsole(t testing.TB, addr, name, password string) *link.Link {
	t.Helper()
	id := testkit.Identity(t, nil, pb.Role_ROLE_MASTER)
	key := testkit.Key(t, name, password, auth.DefaultKDF)
	d := &link.Dialer{Identity: id, Options: link.Options{SSL: true}}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	l, err := d.Dial(ctx, link.Target{Address: addr, Name: name, Key: key, KDF: auth.DefaultKDF})
	if err != nil {
		t.Fatalf("console dialing %s: %v", addr, err)
	}
	t.Cleanup(func() { _ = l.Close(wire.CodeShuttingDown, "test over") })
	return l
}

type nopHandler struct{}

func (nopHandler) HandleRequest(context.Context, *link.Link, string, []byte) (proto.Message, error) {
	return nil, &link.RequestError{Code: "unknown_method", Message: "a test console answers nothing"}
}
func (nopHandler) HandleEvent(*link.Link, string, []byte) {}
func (nopHandler) HandleClose(*link.Link, *link.Error)    {}
