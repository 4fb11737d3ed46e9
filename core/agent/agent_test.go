package agent_test

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lanyard/lanyard/core/agent"
	"github.com/lanyard/lanyard/core/auth"
	"github.com/lanyard/lanyard/core/link"
	"github.com/lanyard/lanyard/core/store"
	"github.com/lanyard/lanyard/core/wire"
	"github.com/lanyard/lanyard/core/wire/pb"
	"github.com/lanyard/lanyard/internal/testkit"
)

// sslModes runs a test over plain TCP and over TLS.
var sslModes = []struct {
	name string
	ssl  bool
}{{"without SSL", false}, {"with SSL", true}}

func TestAConsoleThatDialsInGetsTheStatus(t *testing.T) {
	for _, m := range sslModes {
		t.Run(m.name, func(t *testing.T) {
			a := startAgent(t, m.ssl, true)
			c := newConsole(t)
			l, _ := c.link(t, a, m.ssl)
			if p := l.Peer(); p.Name != slaveName || p.Role != pb.Role_ROLE_AGENT || p.SSL != m.ssl {
				t.Fatalf("peer = %+v; want agent %s, SSL %v", p, slaveName, m.ssl)
			}
			st, err := status(t, l)
			if err != nil {
				t.Fatal(err)
			}
			host, _ := os.Hostname()
			switch {
			case st.Name != slaveName:
				t.Errorf("name %q, want %q", st.Name, slaveName)
			case st.Hostname != host:
				t.Errorf("hostname %q, want %q", st.Hostname, host)
			case st.Os != runtime.GOOS || st.Arch != runtime.GOARCH:
				t.Errorf("os/arch %s/%s, want %s/%s", st.Os, st.Arch, runtime.GOOS, runtime.GOARCH)
			case st.AgentVersion != "test-1.2.3":
				t.Errorf("agent version %q, want test-1.2.3", st.AgentVersion)
			case st.MemoryTotal == 0 || st.MemoryUsed > st.MemoryTotal:
				t.Errorf("memory %d of %d", st.MemoryUsed, st.MemoryTotal)
			case st.DiskTotal == 0:
				t.Error("disk total is zero")
			case st.Ssl != m.ssl || !st.Management:
				t.Errorf("ssl %v management %v, want %v and true", st.Ssl, st.Management, m.ssl)
			}
			if n := a.Links(); n != 1 {
				t.Errorf("the agent counts %d links, want 1", n)
			}
			a.event(t, "connected")
		})
	}
}

func TestAConsoleMaySpellTheNameInAnotherCase(t *testing.T) {
	a := startAgent(t, false, true)
	// The name is lower-cased for the salt, so the key is the same.
	l, err := newConsole(t).dial(t, a.ListenAddr(), false, strings.ToLower(slaveName), keyFor(t, slaveName, password))
	if err != nil {
		t.Fatal(err)
	}
	if l.Peer().Name != slaveName {
		t.Fatalf("the agent states its name as %q, want %q", l.Peer().Name, slaveName)
	}
}

func TestAnUnknownMethodIsARequestError(t *testing.T) {
	a := startAgent(t, false, true)
	l, _ := newConsole(t).link(t, a, false)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := l.Request(ctx, "reboot-the-moon", nil, nil)
	var re *link.RequestError
	if !errors.As(err, &re) || re.Code != wire.ErrUnknownMethod {
		t.Fatalf("err = %v (%T), want a RequestError with code %s", err, err, wire.ErrUnknownMethod)
	}
	if !strings.Contains(re.Message, "reboot-the-moon") {
		t.Errorf("message %q does not name the method", re.Message)
	}
	// The link survives a request it could not answer.
	if _, err := status(t, l); err != nil {
		t.Fatalf("status after the unknown method: %v", err)
	}
}

func TestHandleRequestAnswersStatusAndRefusesTheRest(t *testing.T) {
	db := initializedDB(t)
	a := newAgent(t, db)
	ctx := context.Background()
	_, err := a.HandleRequest(ctx, nil, "nope", nil)
	var re *link.RequestError
	if !errors.As(err, &re) || re.Code != wire.ErrUnknownMethod {
		t.Fatalf("err = %v, want a RequestError with code %s", err, wire.ErrUnknownMethod)
	}
	msg, err := a.HandleRequest(ctx, nil, wire.MethodStatus, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := msg.(*pb.StatusResponse); !ok {
		t.Fatalf("status answered with a %T", msg)
	}
}

func TestConsolesAreRefusedWithAReason(t *testing.T) {
	wrongKey := auth.Key{1, 2, 3}
	cases := []struct {
		name       string
		management bool
		agentSSL   bool
		dialSSL    bool
		dialName   string
		key        func(t *testing.T) auth.Key
		code       wire.Code
		mention    []string // in the console's error
		hidden     []string // never in the console's error
		logged     []string // in the agent's connection log
	}{
		{name: "a console asking for another name is told it does not match, never the agent's name",
			management: true, dialName: "FS02", key: func(*testing.T) auth.Key { return wrongKey },
			code: wire.CodeNameMismatch, mention: []string{"not named FS02"}, hidden: []string{"FS01"}, logged: []string{`"FS01"`, `"FS02"`}},
		{name: "a console is refused while management is off",
			management: false, dialName: slaveName, key: func(t *testing.T) auth.Key { return keyFor(t, slaveName, password) },
			code: wire.CodeManagementDisabled, mention: []string{"management"}, logged: []string{"management is off"}},
		{name: "a console with the wrong password is refused",
			management: true, dialName: slaveName, key: func(*testing.T) auth.Key { return wrongKey },
			code: wire.CodeAuthFailed, mention: []string{"password"}, logged: []string{"password"}},
		{name: "a console without SSL is refused by an agent with SSL",
			management: true, agentSSL: true, dialName: slaveName, key: func(*testing.T) auth.Key { return wrongKey },
			code: wire.CodeSSLMismatch, mention: []string{"SSL"}, logged: []string{"SSL"}},
		{name: "a console with SSL is refused by an agent without SSL",
			management: true, dialSSL: true, dialName: slaveName, key: func(*testing.T) auth.Key { return wrongKey },
			code: wire.CodeSSLMismatch, mention: []string{"SSL"}, logged: []string{"SSL"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := startAgent(t, c.agentSSL, c.management)
			_, err := newConsole(t).dial(t, a.ListenAddr(), c.dialSSL, c.dialName, c.key(t))
			if link.CodeOf(err) != c.code {
				t.Fatalf("err = %v, want code %s", err, c.code)
			}
			for _, s := range c.mention {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("the console's error %q does not mention %s", err, s)
				}
			}
			for _, s := range c.hidden {
				if strings.Contains(err.Error(), s) {
					t.Errorf("the console's error %q tells it %s", err, s)
				}
			}
			e := a.event(t, string(c.code))
			for _, s := range c.logged {
				if !strings.Contains(e.Reason, s) {
					t.Errorf("the agent's log reason %q does not mention %s", e.Reason, s)
				}
			}
			if a.Links() != 0 {
				t.Errorf("the agent counts %d links after a refusal", a.Links())
			}
		})
	}
}

func TestStartingWithManagementOffWarns(t *testing.T) {
	a := startAgent(t, false, false)
	if !a.warned("remote management is off") {
		t.Fatal("no warning that management is off")
	}
	if e := a.event(t, "management_disabled"); e.Severity != store.SeverityWarning {
		t.Fatalf("the event is %s, want a warning", e.Severity)
	}
}

func TestAdmitChecksManagementThenName(t *testing.T) {
	remote := netip.MustParseAddrPort("192.0.2.7:0")
	cases := []struct {
		name       string
		management bool
		hello      string
		code       wire.Code
	}{
		{"its own name is admitted", true, slaveName, ""},
		{"its own name in other case is admitted", true, "fs01", ""},
		{"another name is a name mismatch", true, "FS02", wire.CodeNameMismatch},
		{"management off refuses even its own name", false, slaveName, wire.CodeManagementDisabled},
		{"management off is said before a name mismatch", false, "FS02", wire.CodeManagementDisabled},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := startAgent(t, false, c.management)
			adm, err := a.Admit(&pb.Hello{Name: c.hello}, remote, "")
			if link.CodeOf(err) != c.code {
				t.Fatalf("err = %v, want code %q", err, c.code)
			}
			if c.code != "" {
				if !strings.Contains(err.Error(), "192.0.2.7") {
					t.Errorf("error %q does not name the console's address", err)
				}
				return
			}
			if adm.Name != slaveName || adm.Key != keyFor(t, slaveName, password) || adm.KDF != auth.DefaultKDF {
				t.Fatalf("admission %q with KDF %s is not this agent's name and key", adm.Name, adm.KDF)
			}
		})
	}
}

func TestStartBeforeInitIsRefused(t *testing.T) {
	a := newAgent(t, openDB(t))
	if err := a.Start(context.Background()); !errors.Is(err, agent.ErrNotInitialized) {
		t.Fatalf("err = %v, want ErrNotInitialized", err)
	}
	if a.ListenAddr() != "" {
		t.Fatal("an agent that did not start is listening")
	}
	if err := a.Close(); err != nil {
		t.Fatalf("Close after a failed Start: %v", err)
	}
}

func TestStartOnAPortInUseSaysSo(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	db := initializedDB(t)
	mustInit(t, db, agent.InitOptions{Listen: ptr(taken.Addr().String())})
	a := newAgent(t, db)
	err = a.Start(context.Background())
	if err == nil {
		t.Fatal("Start succeeded on a port that is taken")
	}
	if !strings.Contains(err.Error(), "in use") || !strings.Contains(err.Error(), taken.Addr().String()) {
		t.Errorf("error %q does not say the port is in use", err)
	}
	if !errors.Is(err, syscall.EADDRINUSE) {
		t.Errorf("error %v does not wrap EADDRINUSE", err)
	}
	if err := a.Close(); err != nil {
		t.Fatalf("Close after a failed Start: %v", err)
	}
}

func TestCloseEndsEveryLinkWithShuttingDownOnce(t *testing.T) {
	for _, m := range sslModes {
		t.Run(m.name, func(t *testing.T) {
			a := startAgent(t, m.ssl, true)
			addr := a.ListenAddr()
			c := newConsole(t)
			_, h1 := c.link(t, a, m.ssl)
			_, h2 := c.link(t, a, m.ssl)
			if err := a.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			for i, h := range []*handler{h1, h2} {
				e := h.waitClosed(t)
				if e.Code != wire.CodeShuttingDown || !e.Remote {
					t.Errorf("link %d closed with %s (remote %v), want the agent's shutting_down", i+1, e.Code, e.Remote)
				}
			}
			if a.Links() != 0 {
				t.Errorf("%d links left after Close", a.Links())
			}
			for i := range 2 {
				if err := a.Close(); err != nil {
					t.Fatalf("Close call %d: %v", i+2, err)
				}
			}
			// The port is free again and nobody answers on it.
			if ln, err := net.Listen("tcp", addr); err != nil {
				t.Errorf("the listen port is still held after Close: %v", err)
			} else {
				_ = ln.Close()
			}
		})
	}
}

func TestCloseBeforeStartIsHarmless(t *testing.T) {
	a := newAgent(t, initializedDB(t))
	for range 2 {
		if err := a.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// consoleListener is a console listening for agents: it admits slaveName
// with the key derived from password.
type consoleListener struct {
	*link.Listener
	id    *link.Identity
	links chan *link.Link
}

type consoleAuth struct{ key auth.Key }

func (c consoleAuth) Admit(h *pb.Hello, _ netip.AddrPort, _ string) (link.Admission, error) {
	if !strings.EqualFold(h.Name, slaveName) {
		return link.Admission{}, link.Refuse(wire.CodeUnknownSlave, "unknown slave %q", h.Name)
	}
	return link.Admission{Name: slaveName, Key: c.key, KDF: auth.DefaultKDF}, nil
}

func listenAsConsole(t *testing.T, ssl bool) *consoleListener {
	t.Helper()
	return listenAsConsoleOn(t, "127.0.0.1:0", ssl, consoleAuth{key: keyFor(t, slaveName, password)})
}

// listenAsConsoleOn is listenAsConsole at addr, admitting through a.
func listenAsConsoleOn(t *testing.T, addr string, ssl bool, a link.Authenticator) *consoleListener {
	t.Helper()
	c := &consoleListener{id: testkit.Identity(t, nil, pb.Role_ROLE_MASTER), links: make(chan *link.Link, 4)}
	ln, err := link.Listen(link.ListenConfig{
		Address: addr, Identity: c.id, Options: link.Options{SSL: ssl}, Auth: a,
		OnLink: func(l *link.Link) { c.links <- l },
	})
	if err != nil {
		t.Fatal(err)
	}
	c.Listener = ln
	t.Cleanup(func() {
		_ = ln.Close()
		for {
			select {
			case l := <-c.links:
				l.CloseWith(&link.Error{Code: wire.CodeNormal, Reason: "test over"})
			default:
				return
			}
		}
	})
	return c
}

func (c *consoleListener) next(t *testing.T) *link.Link {
	t.Helper()
	select {
	case l := <-c.links:
		return l
	case <-time.After(10 * time.Second):
		t.Fatal("the agent did not link to the console within 10s")
	}
	return nil
}

func TestTheAgentDialsItsMasterAndPinsItsCertificate(t *testing.T) {
	for _, m := range sslModes {
		t.Run(m.name, func(t *testing.T) {
			cons := listenAsConsole(t, m.ssl)
			db := initializedDB(t)
			mustInit(t, db, agent.InitOptions{SSL: &m.ssl, Masters: []string{cons.Addr().String()}})
			a := newAgent(t, db)
			if err := a.Start(context.Background()); err != nil {
				t.Fatal(err)
			}
			if a.ListenAddr() != "" {
				t.Fatal("an agent set not to listen is listening")
			}
			l := cons.next(t)
			h := newHandler()
			l.Start(h, nil)
			if p := l.Peer(); p.Name != slaveName || p.Role != pb.Role_ROLE_AGENT || p.Dialed {
				t.Fatalf("peer = %+v; want agent %s that dialed in", p, slaveName)
			}
			// The agent answers requests on links it dialed too; an answer
			// also means it has adopted the link, after pinning.
			st, err := status(t, l)
			if err != nil {
				t.Fatal(err)
			}
			if st.Name != slaveName {
				t.Fatalf("status name %q", st.Name)
			}
			ms := masters(t, db)
			if len(ms) != 1 {
				t.Fatalf("masters = %+v", ms)
			}
			want := ""
			if m.ssl {
				want = cons.id.Fingerprint
			}
			if ms[0].PinnedCert != want {
				t.Fatalf("pinned %q, want %q", ms[0].PinnedCert, want)
			}
			if err := a.Close(); err != nil {
				t.Fatal(err)
			}
			if e := h.waitClosed(t); e.Code != wire.CodeShuttingDown {
				t.Fatalf("the console saw %s, want shutting_down", e.Code)
			}
		})
	}
}

func TestAnAgentWithManagementOffDialsNoMaster(t *testing.T) {
	cons := listenAsConsole(t, true)
	db := initializedDB(t)
	mustInit(t, db, agent.InitOptions{Management: ptr(false), Masters: []string{cons.Addr().String()}})
	a := newAgent(t, db)
	if err := a.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	// The first dial would be at once; give it ample time to show up.
	select {
	case <-cons.links:
		t.Fatal("an agent with management off linked to its master")
	case <-time.After(300 * time.Millisecond):
	}
	if !a.warned("remote management is off") {
		t.Fatal("no warning that management is off")
	}
}

func TestTheAgentRefusesAMasterWhoseCertificateChanged(t *testing.T) {
	cons := listenAsConsole(t, true)
	db := initializedDB(t)
	mustInit(t, db, agent.InitOptions{Masters: []string{cons.Addr().String()}})
	stale := strings.Repeat("ab", 32)
	if err := db.UpdateMaster(cons.Addr().String(), func(m *store.Master) error {
		m.PinnedCert = stale
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	a := newAgent(t, db)
	if err := a.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	e := a.event(t, string(wire.CodeCertChanged))
	if !strings.Contains(e.Reason, "certificate") || e.Remote != cons.Addr().String() {
		t.Fatalf("event %+v does not explain the changed certificate of %s", e, cons.Addr())
	}
	select {
	case <-cons.links:
		t.Fatal("the agent linked to a console whose certificate changed")
	default:
	}
	if ms := masters(t, db); ms[0].PinnedCert != stale {
		t.Fatalf("the pin was replaced with %q", ms[0].PinnedCert)
	}
}
