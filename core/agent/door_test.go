package agent_test

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/lanyard/lanyard/core/agent"
	"github.com/lanyard/lanyard/core/auth"
	"github.com/lanyard/lanyard/core/link"
	"github.com/lanyard/lanyard/core/store"
	"github.com/lanyard/lanyard/core/wire"
	"github.com/lanyard/lanyard/core/wire/pb"
	"github.com/lanyard/lanyard/internal/testkit"
)

// The agent's side of issue 9: expected fingerprints, trusting a new
// certificate, hurrying a dialer, and consoles it knows.

// countingConsole is a console listening for agents that counts the
// hellos that reach it: a dialer that stops at a pin never sends one.
func countingConsole(t *testing.T, addr string) (*consoleListener, *atomic.Int32) {
	t.Helper()
	var hellos atomic.Int32
	c := listenAsConsoleOn(t, addr, true, countingAuth{consoleAuth{key: keyFor(t, slaveName, password)}, &hellos})
	return c, &hellos
}

type countingAuth struct {
	consoleAuth
	hellos *atomic.Int32
}

func (c countingAuth) Admit(h *pb.Hello, r netip.AddrPort, fp string) (link.Admission, error) {
	c.hellos.Add(1)
	return c.consoleAuth.Admit(h, r, fp)
}

func TestAGivenFingerprintChecksTheFirstContactAndTrustFixesAMismatch(t *testing.T) {
	cons, hellos := countingConsole(t, "127.0.0.1:0")
	addr := cons.Addr().String()
	wrong := "SHA256:" + strings.Repeat("ab", 32)
	db := initializedDB(t)
	mustInit(t, db, agent.InitOptions{Masters: []string{addr + "=" + wrong}})
	if ms := masters(t, db); ms[0].PinnedCert != strings.Repeat("ab", 32) {
		t.Fatalf("init stored %+v", ms)
	}
	a := newAgentWith(t, db, func(c *agent.Config) { c.RedialInitial, c.RedialMax = time.Minute, time.Minute })
	mark := a.watch.Mark()
	if err := a.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	e := a.watch.WaitEvent(t, mark, string(wire.CodeCertChanged), addr)
	if !strings.Contains(e.Message, "lanyard-agent masters trust "+addr) {
		t.Errorf("cert_changed says %q; want the agent's own fix", e.Message)
	}
	if n := hellos.Load(); n != 0 {
		t.Fatalf("the agent sent %d hellos to a console whose certificate is not the one given", n)
	}

	// The right fingerprint, given with masters trust, links at once
	// (the dialer's next try would be a minute away).
	changes, err := a.TrustMaster(addr + "=" + link.FormatFingerprint(cons.id.Fingerprint))
	if err != nil {
		t.Fatal(err)
	}
	wantChanges(t, changes, "must present the certificate SHA256:"+cons.id.Fingerprint)
	linkedMaster(t, cons)
	if st := masterStatus(t, a.Snapshot(), addr); st.Fingerprint != cons.id.Fingerprint || st.State != agent.MasterConnected {
		t.Errorf("after trust: %+v", st)
	}
}

func TestMastersTrustAcceptsTheNextCertificateAfterAReinstall(t *testing.T) {
	cons, _ := countingConsole(t, "127.0.0.1:0")
	addr := cons.Addr().String()
	db := initializedDB(t)
	mustInit(t, db, agent.InitOptions{Masters: []string{addr}})
	if err := db.UpdateMaster(addr, func(m *store.Master) error { m.PinnedCert = strings.Repeat("cd", 32); return nil }); err != nil {
		t.Fatal(err)
	}
	a := newAgentWith(t, db, func(c *agent.Config) { c.RedialInitial, c.RedialMax = time.Minute, time.Minute })
	mark := a.watch.Mark()
	if err := a.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	a.watch.WaitEvent(t, mark, string(wire.CodeCertChanged), addr)
	changes, err := a.TrustMaster(addr)
	if err != nil {
		t.Fatal(err)
	}
	wantChanges(t, changes, "will be trusted with the certificate it presents next")
	linkedMaster(t, cons)
	if ms := masters(t, db); ms[0].PinnedCert != cons.id.Fingerprint {
		t.Errorf("the new certificate was not pinned: %+v", ms)
	}
	// Unknown addresses are the user's mistake.
	if _, err := a.TrustMaster("127.0.0.1:1"); !agent.IsUsage(err) {
		t.Errorf("trust of a master not in the list: %v", err)
	}
}

func TestMastersRetryAndASettingsChangeDialAtOnce(t *testing.T) {
	for _, tc := range []struct {
		name string
		kick func(t *testing.T, a *runningAgent, addr string)
	}{
		{"masters retry", func(t *testing.T, a *runningAgent, addr string) {
			changes, err := a.RetryMasters(addr)
			if err != nil {
				t.Fatal(err)
			}
			wantChanges(t, changes, addr+": dialing now")
		}},
		{"a settings change", func(t *testing.T, a *runningAgent, _ string) {
			if _, err := a.SetListen(freeAddr(t)); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr := freeAddr(t) // nothing listens there yet
			db := initializedDB(t)
			mustInit(t, db, agent.InitOptions{Listen: ptr("127.0.0.1:0"), Masters: []string{addr}})
			a := newAgentWith(t, db, func(c *agent.Config) { c.RedialInitial, c.RedialMax = time.Minute, time.Minute })
			mark := a.watch.Mark()
			if err := a.Start(context.Background()); err != nil {
				t.Fatal(err)
			}
			a.watch.WaitEvent(t, mark, string(wire.CodeDialFailed), addr)
			cons, _ := countingConsole(t, addr)
			start := time.Now()
			tc.kick(t, a, addr)
			linkedMaster(t, cons)
			if took := time.Since(start); took > 10*time.Second {
				t.Errorf("linked %s after the kick; the backoff was a minute", took)
			}
		})
	}
}

func TestMastersRetryOfAStoppedAgentSaysToStartIt(t *testing.T) {
	db := initializedDB(t)
	mustInit(t, db, agent.InitOptions{Masters: []string{"127.0.0.1:1"}})
	_, err := agent.ApplyOffline(db, agent.ControlRequest{Op: agent.OpMastersRetry})
	if err == nil || !strings.Contains(err.Error(), "lanyard-agent start") {
		t.Fatalf("retry offline: %v", err)
	}
	r, err := agent.ApplyOffline(db, agent.ControlRequest{Op: agent.OpMastersTrust, Value: "127.0.0.1:1=SHA256:" + strings.Repeat("0f", 32)})
	if err != nil {
		t.Fatal(err)
	}
	if ms := masters(t, db); ms[0].PinnedCert != strings.Repeat("0f", 32) || r.Status.Masters[0].Fingerprint != ms[0].PinnedCert {
		t.Fatalf("trust offline stored %+v, status %+v", ms, r.Status.Masters)
	}
}

// A console that has linked before is not locked out by strangers guessing
// the agent's name from other addresses, even after the agent restarts
// (its limiter then remembers nothing): the agent knows its certificate.
func TestAKnownConsoleIsNotLockedOutByStrangersAfterARestart(t *testing.T) {
	db := initializedDB(t)
	mustInit(t, db, agent.InitOptions{Listen: ptr("127.0.0.1:0"), SSL: ptr(true)})
	first := newAgent(t, db)
	if err := first.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	known := newConsole(t)
	known.link(t, first, true)
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}

	a := newAgent(t, db) // a fresh limiter, with the defaults
	if err := a.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	wrong := keyFor(t, slaveName, "not-the-password")
	for _, src := range []string{"127.0.0.2", "127.0.0.3"} {
		stranger := &link.Dialer{Identity: testkit.Identity(t, nil, pb.Role_ROLE_MASTER), Options: link.Options{SSL: true},
			LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}}
		for i := 0; ; i++ {
			_, err := stranger.Dial(context.Background(), link.Target{Address: a.ListenAddr(), Name: slaveName, Key: wrong, KDF: auth.DefaultKDF})
			if link.CodeOf(err) == wire.CodeRateLimited {
				break
			}
			if link.CodeOf(err) != wire.CodeAuthFailed || i > 2*auth.DefaultIPBurst {
				t.Fatalf("junk proof %d from %s: %v", i, src, err)
			}
		}
	}
	// The name's count is spent: a console never seen here waits …
	_, err := newConsole(t).dial(t, a.ListenAddr(), true, slaveName, keyFor(t, slaveName, password))
	var le *link.Error
	if !errors.As(err, &le) || le.Code != wire.CodeRateLimited || !strings.Contains(le.Reason, "for the name") {
		t.Fatalf("a stranger with the right password: %v; want rate_limited for the name", err)
	}
	// … and the console that linked before links at once.
	known.link(t, a, true)
}

// Close waits for every link's reader, request handlers and heartbeats:
// once it returns, none of them runs, and goleak finds nothing.
func TestCloseJoinsEveryLinksGoroutines(t *testing.T) {
	cons := listenAsConsole(t, false)
	db := initializedDB(t)
	mustInit(t, db, agent.InitOptions{Listen: ptr("127.0.0.1:0"), SSL: ptr(false), Masters: []string{cons.Addr().String()}})
	before := goleak.IgnoreCurrent() // the store's writer runs until the test ends
	a := newAgentWith(t, db, func(c *agent.Config) { c.Heartbeat = 50 * time.Millisecond })
	if err := a.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	dialed := cons.next(t) // the agent's link to its master
	accepted, err := newConsole(t).dial(t, a.ListenAddr(), false, slaveName, keyFor(t, slaveName, password))
	if err != nil {
		t.Fatal(err)
	}
	var consoles sync.WaitGroup
	var asked sync.WaitGroup
	for _, l := range []*link.Link{dialed, accepted} {
		l.Start(newHandler(), &consoles)
		for range 16 { // requests in flight when the agent closes
			asked.Go(func() { _, _ = status(t, l) })
		}
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	// No goroutine is left inside one of the agent's link callbacks (a request
	// handler, or a reader or heartbeat delivering to it or closing).
	if g := testkit.Goroutines("core/link.(*Link)", "core/agent.(*Agent)"); len(g) > 0 {
		t.Fatalf("after Close, %d of the agent's link goroutines still run:\n%s", len(g), strings.Join(g, "\n\n"))
	}
	asked.Wait()
	dialed.CloseWith(&link.Error{Code: wire.CodeNormal})
	accepted.CloseWith(&link.Error{Code: wire.CodeNormal})
	consoles.Wait()
	_ = cons.Close()
	goleak.VerifyNone(t, before)
}
