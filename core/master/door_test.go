package master

import (
	"context"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"go.uber.org/goleak"
	"google.golang.org/protobuf/proto"

	"github.com/lanyard/lanyard/core/auth"
	"github.com/lanyard/lanyard/core/link"
	"github.com/lanyard/lanyard/core/store"
	"github.com/lanyard/lanyard/core/wire"
	"github.com/lanyard/lanyard/core/wire/pb"
	"github.com/lanyard/lanyard/internal/testkit"
)

// The console's side of issue 9: pins everywhere, expected fingerprints,
// known slaves and SSL mismatches that name the slave.

// impostorAuth counts the hellos an impostor receives.
type impostorAuth struct{ hellos *atomic.Int32 }

func (a impostorAuth) Admit(h *pb.Hello, _ netip.AddrPort, _ string) (link.Admission, error) {
	a.hellos.Add(1)
	return link.Admission{Name: h.Name, KDF: auth.DefaultKDF}, nil
}

// startImpostor listens with SSL as an agent with its own certificate.
func startImpostor(t *testing.T) (string, *atomic.Int32) {
	t.Helper()
	var hellos atomic.Int32
	ln, err := link.Listen(link.ListenConfig{Address: "127.0.0.1:0", Identity: testkit.Identity(t, testkit.Store(t, "impostor", store.Options{}), pb.Role_ROLE_AGENT),
		Options: link.Options{SSL: true}, Auth: impostorAuth{&hellos},
		OnLink: func(l *link.Link) { l.CloseWith(&link.Error{Code: wire.CodeNormal}) }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	return ln.Addr().String(), &hellos
}

func TestAnExpectedFingerprintAndAPinKeepProofsFromAnImpostor(t *testing.T) {
	c := startConsole(t, true, nil)
	addr, hellos := startImpostor(t)
	expected := "SHA256:" + strings.Repeat("ab", 32)
	if _, err := c.AddSlave(SlaveSpec{Name: "FS01", Direction: store.Outbound, Address: addr,
		Password: []byte("pw"), Fingerprint: expected}); err != nil {
		t.Fatal(err)
	}
	v := c.waitState(t, "FS01", StateError)
	if v.LastCode != string(wire.CodeCertChanged) || !strings.Contains(v.LastError, "lanyard slave trust FS01") {
		t.Fatalf("first contact with the wrong certificate: %s: %s", v.LastCode, v.LastError)
	}
	if v.PinnedCert != strings.Repeat("ab", 32) {
		t.Errorf("the fingerprint given was not kept: %q", v.PinnedCert)
	}

	// Test connection with the password typed again checks the pin too.
	var steps []link.Step
	ok := c.TestConnection(context.Background(), SlaveSpec{Name: "FS01", Direction: store.Outbound, Address: addr,
		Password: []byte("pw")}, func(s link.Step) { steps = append(steps, s) })
	if ok || steps[len(steps)-1].Name != "SSL" || !strings.Contains(steps[len(steps)-1].Detail, "lanyard slave trust FS01") {
		t.Fatalf("test connection against an impostor: ok=%v %+v", ok, steps)
	}
	if n := hellos.Load(); n != 0 {
		t.Fatalf("the impostor received %d hellos", n)
	}

	// A malformed fingerprint is the user's mistake, in words.
	_, err := c.AddSlave(SlaveSpec{Name: "FS02", Direction: store.Outbound, Address: addr, Password: []byte("pw"), Fingerprint: "SHA256:12"})
	if err == nil || !strings.Contains(err.Error(), "64 hex digits") {
		t.Fatalf("a short fingerprint: %v", err)
	}
}

func TestASlavePresentingItsPinnedCertificateIsKnown(t *testing.T) {
	c := startConsole(t, true, nil)
	if _, err := c.AddSlave(SlaveSpec{Name: "FS01", Direction: store.Inbound, Password: []byte("pw"),
		Fingerprint: "SHA256:" + strings.Repeat("cd", 32)}); err != nil {
		t.Fatal(err)
	}
	remote := netip.MustParseAddrPort("192.0.2.1:0")
	for fp, want := range map[string]bool{strings.Repeat("cd", 32): true, strings.Repeat("ef", 32): false} {
		adm, _ := c.Admit(&pb.Hello{Name: "fs01"}, remote, fp)
		if adm.Pinned != want {
			t.Errorf("certificate %s…: Pinned = %v, want %v", fp[:4], adm.Pinned, want)
		}
	}
}

func TestAnInboundRefusalNamesTheSlaveWhereItCan(t *testing.T) {
	// An agent dials a TLS console for an inbound entry: its row says why
	// it was refused, naming it.
	for _, c := range []struct {
		name, slave, password string
		ssl                   bool // the agent's
		code                  wire.Code
		says                  []string
	}{
		{"a plain hello at a TLS console names the slave it claims", "FS04", "pw", false, wire.CodeSSLMismatch,
			[]string{"FS04, as it says, at 127.0.0.1:", "SSL is off there but on here"}},
		{"a wrong password shows on the row of the slave it was for", "FS06", "not-pw", true, wire.CodeAuthFailed,
			[]string{"wrong management password from 127.0.0.1:"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			con := startConsole(t, true, nil)
			if _, err := con.AddSlave(SlaveSpec{Name: c.slave, Direction: store.Inbound, Password: []byte("pw")}); err != nil {
				t.Fatal(err)
			}
			startAgent(t, c.slave, c.password, c.ssl, false, con.ListenAddr())
			v := con.waitState(t, c.slave, StateError)
			if v.LastCode != string(c.code) {
				t.Fatalf("the slave's row: %s: %s", v.LastCode, v.LastError)
			}
			for _, want := range c.says {
				if !strings.Contains(v.LastError, want) {
					t.Fatalf("the slave's row: %s: %s", v.LastCode, v.LastError)
				}
			}
		})
	}
	t.Run("a TLS connection at a plain console says it carries no name", func(t *testing.T) {
		c := startConsole(t, false, nil)
		startAgent(t, "FS05", "pw", true, false, c.ListenAddr())
		e := c.waitFor(t, "ssl_mismatch", func(e Event) bool { return e.Kind == string(wire.CodeSSLMismatch) })
		if e.Slave != "" || !strings.Contains(e.Reason, "carries no slave name") {
			t.Fatalf("event %+v", e)
		}
	})
}

// quietAgent is an agent's end that admits FS01 and hands its links over.
type quietAgent struct{ key auth.Key }

func (q quietAgent) Admit(h *pb.Hello, _ netip.AddrPort, _ string) (link.Admission, error) {
	return link.Admission{Name: "FS01", Key: q.key, KDF: auth.DefaultKDF}, nil
}

// Close waits for every link's reader and handlers: once it returns, none
// of them runs, and goleak finds nothing.
func TestCloseJoinsEveryLinksGoroutines(t *testing.T) {
	db := testkit.Store(t, "console", store.Options{})
	k, err := auth.DeriveKey([]byte("pw"), "FS01", auth.DefaultKDF)
	if err != nil {
		t.Fatal(err)
	}
	links := make(chan *link.Link, 1)
	ln, err := link.Listen(link.ListenConfig{Address: "127.0.0.1:0", Identity: testkit.Identity(t, testkit.Store(t, "agent", store.Options{}), pb.Role_ROLE_AGENT),
		Auth: quietAgent{k}, OnLink: func(l *link.Link) { links <- l }})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	before := goleak.IgnoreCurrent() // the stores' writers and the listener run until the test ends
	c := startConsole(t, false, db)
	if _, err := c.AddSlave(SlaveSpec{Name: "FS01", Direction: store.Outbound, Address: ln.Addr().String(), Password: []byte("pw")}); err != nil {
		t.Fatal(err)
	}
	agentSide := <-links
	var agents sync.WaitGroup
	agentSide.Start(quietHandler{}, &agents)
	c.waitState(t, "FS01", StateConnected)
	// The agent pushes status without pause: the console's reader is busy
	// delivering when the console closes.
	var pushing sync.WaitGroup
	pushing.Go(func() {
		for i := 0; i < 100_000 && agentSide.Notify(wire.EventStatus, &pb.StatusResponse{Name: "FS01", Hostname: "fs01"}) == nil; i++ {
		}
	})
	c.waitFor(t, "a pushed status", func(e Event) bool { return e.Slave == "FS01" && e.Kind == EventState })
	c.stop()
	// No goroutine is left inside one of the console's link callbacks.
	if g := testkit.Goroutines("core/link.(*Link)", "core/master.(*Master)"); len(g) > 0 {
		t.Fatalf("after Close, %d of the console's link goroutines still run:\n%s", len(g), strings.Join(g, "\n\n"))
	}
	agentSide.CloseWith(&link.Error{Code: wire.CodeNormal})
	pushing.Wait()
	agents.Wait()
	goleak.VerifyNone(t, before)
}

// quietHandler answers nothing.
type quietHandler struct{}

func (quietHandler) HandleRequest(context.Context, *link.Link, string, []byte) (proto.Message, error) {
	return nil, nil
}
func (quietHandler) HandleEvent(*link.Link, string, []byte) {}
func (quietHandler) HandleClose(*link.Link, *link.Error)    {}
