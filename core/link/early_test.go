package link

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/lanyard/lanyard/core/auth"
	"github.com/lanyard/lanyard/core/wire"
	"github.com/lanyard/lanyard/core/wire/pb"
)

// turnConn counts a dialer's turns: each read after a write waits for the
// peer's answer, one round trip of the path.
type turnConn struct {
	net.Conn
	wrote bool
	turns int
}

func (c *turnConn) Write(p []byte) (int, error) {
	c.wrote = true
	return c.Conn.Write(p)
}

func (c *turnConn) Read(p []byte) (int, error) {
	if c.wrote {
		c.turns, c.wrote = c.turns+1, false
	}
	return c.Conn.Read(p)
}

// dialCountingTurns runs d's handshake with target over a TCP connection
// of its own and returns the link and the turns it took after connecting.
func dialCountingTurns(t *testing.T, d *Dialer, target Target) (*Link, int, error) {
	t.Helper()
	raw, err := net.Dial("tcp", target.Address)
	if err != nil {
		t.Fatal(err)
	}
	c := &turnConn{Conn: raw}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	l, err := d.handshake(ctx, c, target, d.Options.withDefaults(), false)
	if err != nil {
		_ = raw.Close()
	}
	return l, c.turns, err
}

// With SSL the dialer's proof goes with its hello, and the acceptor's hello
// and welcome answer both: after TLS's one round trip the link is up in
// one more, where it took two. Over the Internet that is a quarter of the
// time to link, TCP's connect included. A peer from before early proofs
// (an agent or a console not yet upgraded) still links, in the two; so
// does every link without SSL, whose proof needs the acceptor's nonce.
func TestWithSSLTheDialerProvesWithItsHelloAndSavesARoundTrip(t *testing.T) {
	for _, tt := range []struct {
		name          string
		ssl           bool
		olderDialer   bool
		olderAcceptor bool
		turns         int
	}{
		{name: "ssl", ssl: true, turns: 2},
		{name: "ssl, an acceptor from before early proofs", ssl: true, olderAcceptor: true, turns: 3},
		{name: "ssl, a dialer from before early proofs", ssl: true, olderDialer: true, turns: 3},
		{name: "plain", turns: 2},
	} {
		for _, inbound := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/%s", tt.name, variant{tt.ssl, inbound}), func(t *testing.T) {
				dialOpts, listenOpts := Options{SSL: tt.ssl}, Options{SSL: tt.ssl}
				dialOpts.earlyProofOff, listenOpts.earlyProofOff = tt.olderDialer, tt.olderAcceptor
				master, agent := newIdentity(t, pb.Role_ROLE_MASTER), newIdentity(t, pb.Role_ROLE_AGENT)
				k := key(t, "FS01", "secret")
				var srv *server
				d := &Dialer{Identity: master, Options: dialOpts}
				if inbound {
					srv = startServer(t, master, listenOpts, &slaveTable{name: "FS01", key: k}, nil)
					d.Identity = agent
				} else {
					srv = startServer(t, agent, listenOpts, &agentAuth{name: "FS01", key: k, management: true}, nil)
				}
				dialed, turns, err := dialCountingTurns(t, d, Target{Address: srv.addr(), Name: "FS01", Key: k, KDF: testKDF})
				if err != nil {
					t.Fatal(err)
				}
				accepted := srv.nextLink(t)
				closeLink(accepted)
				closeLink(dialed)
				if turns != tt.turns {
					t.Errorf("the dialer waited for the acceptor %d times after connecting, want %d", turns, tt.turns)
				}
				if got := dialed.Peer().SSL; got != tt.ssl {
					t.Errorf("the link's SSL is %v", got)
				}
			})
		}
	}
}

// An acceptor that says it took an early proof the dialer never sent is
// broken or not Lanyard: the dialer gives up rather than wait for a
// welcome that would prove nothing it asked for.
func TestADialerToldItsEarlyProofWasTakenWhenItSentNoneGivesUp(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	agentID := newIdentity(t, pb.Role_ROLE_AGENT) // here: t is not for the goroutine's calls
	served := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			served <- err
			return
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := readMagic(c); err != nil {
			served <- err
			return
		}
		if _, err := wire.ReadFrame(c, wire.MaxPreAuthFrame); err != nil {
			served <- err
			return
		}
		h := newHello(agentID, "FS01", testKDF, false)
		h.EarlyProofTaken = true
		payload, _ := proto.Marshal(h)
		_, err = c.Write(wire.AppendFrame([]byte(wire.Magic), wire.Frame{Kind: wire.KindHello, Payload: payload}))
		served <- err
	}()
	d := &Dialer{Identity: newIdentity(t, pb.Role_ROLE_MASTER)}
	_, err = d.Dial(context.Background(), Target{Address: ln.Addr().String(), Name: "FS01", Key: key(t, "FS01", "pw"), KDF: testKDF})
	e := wantCode(t, err, wire.CodeProtocolError)
	if !strings.Contains(e.Reason, "answered an early proof this side never sent") {
		t.Errorf("reason: %q", e.Reason)
	}
	if err := <-served; err != nil {
		t.Fatal(err)
	}
}

// Without TLS there is no session for an early proof to be bound to: one
// recorded on the wire could be replayed. The acceptor takes none, even a
// right one, and asks for a proof over its own fresh nonce.
func TestAPlainHelloIsNeverTakenOnItsEarlyProof(t *testing.T) {
	k := key(t, "FS01", "pw")
	srv := startServer(t, newIdentity(t, pb.Role_ROLE_AGENT), Options{},
		&agentAuth{name: "FS01", key: k, management: true}, nil)
	c := rawDial(t, srv.addr())
	plain := rawHello(t, nil)
	hello := auth.AppendEarlyProof(plain, auth.ProofMAC(k, pb.Role_ROLE_MASTER, auth.EarlyTranscript(plain, nil)))
	if _, err := c.Write(wire.AppendFrame([]byte(wire.Magic), wire.Frame{Kind: wire.KindHello, Payload: hello})); err != nil {
		t.Fatal(err)
	}
	if _, err := readMagic(c); err != nil {
		t.Fatal(err)
	}
	f, err := wire.ReadFrame(c, wire.MaxPreAuthFrame)
	if err != nil || f.Kind != wire.KindHello {
		t.Fatalf("no hello: %v %v", f.Kind, err)
	}
	answer, err := auth.ParseHello(f.Payload)
	if err != nil {
		t.Fatal(err)
	}
	if answer.EarlyProofTaken {
		t.Fatal("the acceptor took an early proof without TLS")
	}
	// It waits for the proof; none comes, and the dialer hangs up.
	_ = c.Close()
	srv.nextRefusal(t, 5*time.Second)
}
