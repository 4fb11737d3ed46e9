package link

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lanyard/lanyard/core/wire"
	"github.com/lanyard/lanyard/core/wire/pb"
)

// pingCounter is a plain-TCP proxy that reads the Lanyard frames going
// from the dialer to the acceptor and counts the pings among them.
type pingCounter struct {
	ln    net.Listener
	pings atomic.Int64
	wg    sync.WaitGroup
}

func newPingCounter(t *testing.T, target string) *pingCounter {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &pingCounter{ln: ln}
	p.wg.Go(func() {
		in, err := ln.Accept()
		if err != nil {
			return
		}
		out, err := net.Dial("tcp", target)
		if err != nil {
			_ = in.Close()
			return
		}
		p.wg.Go(func() { _, _ = io.Copy(in, out); _ = in.Close() })
		defer out.Close()
		magic := make([]byte, len(wire.Magic))
		if _, err := io.ReadFull(in, magic); err != nil {
			return
		}
		_, _ = out.Write(magic)
		for {
			f, err := wire.ReadFrame(in, wire.MaxFrame)
			if err != nil {
				return
			}
			if f.Kind == wire.KindPing {
				p.pings.Add(1)
			}
			if _, err := out.Write(wire.AppendFrame(nil, f)); err != nil {
				return
			}
		}
	})
	t.Cleanup(func() { _ = ln.Close(); p.wg.Wait() })
	return p
}

func TestOnlyTheAgentPingsAndTheConsoleLearnsTheRoundTrip(t *testing.T) {
	opts := Options{Heartbeat: 50 * time.Millisecond, DeadAfter: 400 * time.Millisecond}
	srv := startServer(t, newIdentity(t, pb.Role_ROLE_AGENT), opts,
		&agentAuth{name: "FS01", key: key(t, "FS01", "pw"), management: true}, nil)
	proxy := newPingCounter(t, srv.addr())
	d := &Dialer{Identity: newIdentity(t, pb.Role_ROLE_MASTER)}
	console, err := d.Dial(context.Background(), Target{Address: proxy.ln.Addr().String(), Name: "FS01", Key: key(t, "FS01", "pw"), KDF: testKDF})
	if err != nil {
		t.Fatal(err)
	}
	agentSide := srv.nextLink(t)
	consoleRec, agentRec := newRecorder("console"), newRecorder("FS01")
	console.Start(consoleRec, nil)
	agentSide.Start(agentRec, nil)
	defer func() {
		closeLink(console)
		<-agentRec.closed
	}()

	// The agent pings; its second ping carries the round trip its first
	// measured, which the console keeps.
	deadline := time.Now().Add(5 * time.Second)
	for (console.RTT() == 0 || agentSide.RTT() == 0) && time.Now().Before(deadline) {
		select {
		case e := <-consoleRec.closed:
			t.Fatalf("healthy link closed: %v", e)
		case <-time.After(20 * time.Millisecond):
		}
	}
	if agentSide.RTT() == 0 || console.RTT() == 0 {
		t.Fatalf("round trip: agent %s, console %s; want both measured", agentSide.RTT(), console.RTT())
	}
	// Ten heartbeats later the link is still up, and the console has sent
	// no ping at all.
	select {
	case e := <-consoleRec.closed:
		t.Fatalf("healthy link closed: %v", e)
	case e := <-agentRec.closed:
		t.Fatalf("healthy link closed on the agent's side: %v", e)
	case <-time.After(10 * opts.Heartbeat):
	}
	if n := proxy.pings.Load(); n != 0 {
		t.Errorf("the console sent %d pings; only the agent should ping", n)
	}
}

func TestALinkKeepsTheFingerprintButNotTheParsedCertificate(t *testing.T) {
	if !peerCertsFound {
		t.Fatal("crypto/tls no longer keeps peerCertificates as []*x509.Certificate: update tlsmem.go for this Go version")
	}
	srv := startServer(t, newIdentity(t, pb.Role_ROLE_MASTER), Options{SSL: true}, newBenchAuth(t), nil)
	agentID := newIdentity(t, pb.Role_ROLE_AGENT)
	d := &Dialer{Identity: agentID, Options: Options{SSL: true}}
	agent, err := d.Dial(context.Background(), Target{Address: srv.addr(), Name: benchName, Key: key(t, benchName, benchPassword), KDF: testKDF})
	if err != nil {
		t.Fatal(err)
	}
	defer closeLink(agent)
	console := srv.nextLink(t)
	defer closeLink(console)
	for _, l := range []*Link{agent, console} {
		tc, ok := l.conn.(*tls.Conn)
		if !ok {
			t.Fatalf("%s: the link's connection is %T, want *tls.Conn", l, l.conn)
		}
		if n := len(tc.ConnectionState().PeerCertificates); n != 0 {
			t.Errorf("%s keeps %d parsed peer certificates", l, n)
		}
	}
	if got := console.Peer().Fingerprint; got != agentID.Fingerprint {
		t.Errorf("console sees fingerprint %q, want the agent's %q", got, agentID.Fingerprint)
	}
}
