package link

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
	"google.golang.org/protobuf/proto"

	"github.com/lanyard/lanyard/core/auth"
	"github.com/lanyard/lanyard/core/wire"
	"github.com/lanyard/lanyard/core/wire/pb"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// testKDF is cheap so the suite stays fast; the handshake does not care.
var testKDF = auth.KDFParams{Time: 1, MemoryKiB: 8 * 1024, Threads: 1}

var (
	keyOnce sync.Once
	keys    map[string]auth.Key
)

// key derives (once per test binary) the key for a name and password.
func key(t testing.TB, name, password string) auth.Key {
	t.Helper()
	keyOnce.Do(func() { keys = map[string]auth.Key{} })
	id := name + "\x00" + password
	if k, ok := keys[id]; ok {
		return k
	}
	k, err := auth.DeriveKey([]byte(password), name, testKDF)
	if err != nil {
		t.Fatal(err)
	}
	keys[id] = k
	return k
}

// newIdentity is a throwaway installation's identity (package testkit,
// which the other packages' tests use, imports this one).
func newIdentity(t testing.TB, role pb.Role) *Identity {
	t.Helper()
	id, err := NewThrowawayIdentity(role, "test")
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// handshakeListener is the listening side of an agent named FS01 with the
// password "pw", with one handshake slot and nothing accepting: a test
// hands its handshake a connection of its own (l.handshake).
func handshakeListener(tb testing.TB, opts Options, limits auth.LimiterConfig) *Listener {
	return &Listener{
		cfg: ListenConfig{Identity: newIdentity(tb, pb.Role_ROLE_AGENT),
			Auth:    &agentAuth{name: "FS01", key: key(tb, "FS01", "pw"), management: true},
			Limiter: auth.NewLimiter(limits)},
		opts: opts.withDefaults(),
		sem:  make(chan struct{}, 1),
		quit: make(chan struct{}),
	}
}

// agentAuth admits consoles to an agent named name, like core/agent does.
type agentAuth struct {
	name       string
	key        auth.Key
	management bool
	admitted   chan string
}

func (a *agentAuth) Admit(h *pb.Hello, _ netip.AddrPort, _ string) (Admission, error) {
	if a.admitted != nil {
		a.admitted <- h.Name
	}
	if !a.management {
		return Admission{}, Refuse(wire.CodeManagementDisabled, "management is off")
	}
	if !strings.EqualFold(h.Name, a.name) {
		return Admission{}, &Error{Code: wire.CodeNameMismatch, Reason: "asked for " + h.Name + ", this agent is " + a.name}
	}
	return Admission{Name: a.name, Key: a.key, KDF: testKDF}, nil
}

// recorder is a Handler that answers status requests and records the rest.
type recorder struct {
	name   string
	events chan string
	closed chan *Error
}

func newRecorder(name string) *recorder {
	return &recorder{name: name, events: make(chan string, 16), closed: make(chan *Error, 1)}
}

func (r *recorder) HandleRequest(ctx context.Context, _ *Link, method string, _ []byte) (proto.Message, error) {
	switch method {
	case wire.MethodStatus:
		return &pb.StatusResponse{Name: r.name, Hostname: "host-" + r.name}, nil
	case "block":
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return nil, &RequestError{Code: wire.ErrUnknownMethod, Message: method}
}

func (r *recorder) HandleEvent(_ *Link, typ string, _ []byte) { r.events <- typ }
func (r *recorder) HandleClose(_ *Link, err *Error)           { r.closed <- err }

// server is a listener under test with channels for what it produced.
type server struct {
	*Listener
	links    chan *Link
	refusals chan Refusal
}

func startServer(t *testing.T, id *Identity, opts Options, a Authenticator, lim *auth.Limiter) *server {
	t.Helper()
	s := &server{links: make(chan *Link, 8), refusals: make(chan Refusal, 64)}
	ln, err := Listen(ListenConfig{
		Address: "127.0.0.1:0", Identity: id, Options: opts, Auth: a, Limiter: lim,
		OnLink:    func(l *Link) { s.links <- l },
		OnRefused: func(r Refusal) { s.refusals <- r },
	})
	if err != nil {
		t.Fatal(err)
	}
	s.Listener = ln
	t.Cleanup(func() { _ = ln.Close() })
	return s
}

func (s *server) addr() string { return s.Addr().String() }

// nextLink waits for the listener to hand out a link.
func (s *server) nextLink(t *testing.T) *Link {
	t.Helper()
	select {
	case l := <-s.links:
		return l
	case r := <-s.refusals:
		t.Fatalf("listener refused instead: %v", r.Err)
	case <-time.After(5 * time.Second):
		t.Fatal("no link within 5s")
	}
	return nil
}

// nextRefusal waits for the listener to report a refusal.
func (s *server) nextRefusal(t *testing.T, within time.Duration) Refusal {
	t.Helper()
	select {
	case r := <-s.refusals:
		return r
	case l := <-s.links:
		l.CloseWith(&Error{Code: wire.CodeNormal})
		t.Fatal("listener accepted a link it should have refused")
	case <-time.After(within):
		t.Fatalf("no refusal within %s", within)
	}
	return Refusal{}
}

func closeLink(l *Link) {
	if l != nil {
		l.CloseWith(&Error{Code: wire.CodeNormal, Reason: "test over"})
	}
}

func wantCode(t *testing.T, err error, code wire.Code) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not a *link.Error", err, err)
	}
	if e.Code != code {
		t.Fatalf("code = %s (%v), want %s", e.Code, e, code)
	}
	return e
}

// rawDial opens a plain TCP connection for hand-written protocol tests.
func rawDial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	return c
}

// dialedPair is an agent's listener with opts (slave FS01, password "pw")
// and a console's link dialed to it, and the agent's side of that link;
// neither is started.
func dialedPair(t *testing.T, opts Options) (console, agentSide *Link) {
	t.Helper()
	srv := startServer(t, newIdentity(t, pb.Role_ROLE_AGENT), opts,
		&agentAuth{name: "FS01", key: key(t, "FS01", "pw"), management: true}, nil)
	d := &Dialer{Identity: newIdentity(t, pb.Role_ROLE_MASTER)}
	console, err := d.Dial(context.Background(), Target{Address: srv.addr(), Name: "FS01", Key: key(t, "FS01", "pw"), KDF: testKDF})
	if err != nil {
		t.Fatal(err)
	}
	return console, srv.nextLink(t)
}
