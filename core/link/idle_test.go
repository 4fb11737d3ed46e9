package link

import (
	"bytes"
	"context"
	"crypto/tls"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

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
	for (console.rtt.Load() == 0 || agentSide.rtt.Load() == 0) && time.Now().Before(deadline) {
		select {
		case e := <-consoleRec.closed:
			t.Fatalf("healthy link closed: %v", e)
		case <-time.After(20 * time.Millisecond):
		}
	}
	if agentSide.rtt.Load() == 0 || console.rtt.Load() == 0 {
		t.Fatalf("round trip from the pings: agent %d ns, console %d ns; want both measured", agentSide.rtt.Load(), console.rtt.Load())
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

// tlsPair is a TLS 1.3 connection over loopback TCP between the two
// identities' configurations, with its handshake done.
func tlsPair(t *testing.T) (server, client *tls.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan *tls.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			accepted <- nil
			return
		}
		tc := tls.Server(c, newIdentity(t, pb.Role_ROLE_MASTER).serverTLS())
		if tc.Handshake() != nil {
			_ = tc.Close()
			tc = nil
		}
		accepted <- tc
	}()
	raw, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	client = tls.Client(raw, newIdentity(t, pb.Role_ROLE_AGENT).clientTLS())
	if err := client.Handshake(); err != nil {
		t.Fatal(err)
	}
	if server = <-accepted; server == nil {
		t.Fatal("the server's handshake failed")
	}
	t.Cleanup(func() { _ = server.Close(); _ = client.Close() })
	return server, client
}

// exchange sends msg from one end and checks that the other reads it whole.
func exchange(t *testing.T, from, to *tls.Conn, msg []byte) {
	t.Helper()
	errc := make(chan error, 1)
	go func() { _, err := from.Write(msg); errc <- err }()
	got := make([]byte, len(msg))
	if _, err := io.ReadFull(to, got); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if string(got) != string(msg) {
		t.Fatalf("read %d bytes that differ from the %d sent", len(got), len(msg))
	}
}

func TestReleasedHandshakeBuffersLeaveATLSConnectionWorking(t *testing.T) {
	if !rawInputFound || !handFound || !inputFound {
		t.Fatal("crypto/tls no longer keeps rawInput, hand and input as it did: update tlsmem.go for this Go version")
	}
	server, client := tlsPair(t)
	for _, c := range []*tls.Conn{server, client} {
		if !releaseHandshakeBuffers(c) {
			t.Fatal("the buffers of a connection with nothing unread were kept")
		}
		rawInput := (*bytes.Buffer)(unsafe.Add(unsafe.Pointer(c), rawInputOffset))
		hand := (*bytes.Buffer)(unsafe.Add(unsafe.Pointer(c), handOffset))
		if rawInput.Cap() != 0 || hand.Cap() != 0 {
			t.Fatalf("after release: rawInput holds %d bytes, hand %d; want none", rawInput.Cap(), hand.Cap())
		}
	}
	exchange(t, client, server, []byte("ping"))
	exchange(t, server, client, []byte("pong"))
	big := bytes.Repeat([]byte("0123456789abcdef"), 4<<10) // several full records
	exchange(t, client, server, big)
	exchange(t, server, client, big)
}

func TestHandshakeBuffersWithUnreadDataAreKept(t *testing.T) {
	server, client := tlsPair(t)
	exchange(t, client, server, []byte("h")) // a record read whole
	go func() { _, _ = client.Write([]byte("hello")) }()
	var first [1]byte
	if _, err := io.ReadFull(server, first[:]); err != nil {
		t.Fatal(err)
	}
	if releaseHandshakeBuffers(server) {
		t.Fatal("buffers released while 4 bytes of a record were unread")
	}
	rest := make([]byte, 4)
	if _, err := io.ReadFull(server, rest); err != nil {
		t.Fatal(err)
	}
	if got := string(first[:]) + string(rest); got != "hello" {
		t.Fatalf("read %q, want %q", got, "hello")
	}
}

func TestAnAcceptedLinkKeepsNoCopyOfTheClientHello(t *testing.T) {
	srv := startServer(t, newIdentity(t, pb.Role_ROLE_MASTER), Options{SSL: true}, newBenchAuth(t), nil)
	d := &Dialer{Identity: newIdentity(t, pb.Role_ROLE_AGENT), Options: Options{SSL: true}}
	agent, err := d.Dial(context.Background(), Target{Address: srv.addr(), Name: benchName, Key: key(t, benchName, benchPassword), KDF: testKDF})
	if err != nil {
		t.Fatal(err)
	}
	defer closeLink(agent)
	console := srv.nextLink(t)
	defer closeLink(console)
	held, ok := console.conn.(*tls.Conn).NetConn().(*heldConn)
	if !ok {
		t.Fatalf("the accepted link's TLS runs over %T, want *heldConn", console.conn.(*tls.Conn).NetConn())
	}
	if held.held != nil || held.holding {
		t.Errorf("the accepted link still holds %d bytes for its hello", cap(held.held))
	}
	sc, ok := held.Conn.(*sniffedConn)
	if !ok {
		t.Fatalf("the accepted link's held connection is over %T, want *sniffedConn", held.Conn)
	}
	if sc.head != nil {
		t.Errorf("the accepted link still holds %d bytes of the replayed ClientHello", cap(sc.head))
	}
}

// A link to a peer that stopped reading closes within about a second (the
// close frame's own deadline): its TLS connection is not closed through
// crypto/tls, which would wait up to five seconds more to send its
// close_notify. A console stopping with thousands of links has two.
func TestALinkToAPeerThatStoppedReadingClosesWithinASecondOrSo(t *testing.T) {
	server, _ := tlsPair(t) // the client end never reads
	l := newLink(server, Peer{Name: "FS01", Role: pb.Role_ROLE_AGENT, Remote: "FS01's address"}, time.Hour, time.Hour, 1)
	// Fill the socket buffers beneath TLS until not one more byte goes:
	// from then on every write to this peer waits for its deadline.
	raw := server.NetConn()
	for _, size := range []int{64 << 10, 1} {
		chunk := make([]byte, size)
		for {
			_ = raw.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
			if _, err := raw.Write(chunk); err != nil {
				break
			}
		}
	}
	began := time.Now()
	l.CloseWith(&Error{Code: wire.CodeShuttingDown, Reason: "the console is shutting down"})
	if took := time.Since(began); took > 2500*time.Millisecond {
		t.Errorf("closing a link to a peer that stopped reading took %s, want about a second", took.Round(time.Millisecond))
	}
}

func TestAPingsRoundTripIsReadAsProtobufWouldReadIt(t *testing.T) {
	marshal := func(m *pb.Ping) []byte {
		b, err := proto.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	withUnknown := protowire.AppendTag(marshal(&pb.Ping{SentUnixNano: 7, LastRttNanos: 1500}), 9, protowire.BytesType)
	withUnknown = protowire.AppendBytes(withUnknown, []byte("from a newer peer"))
	repeated := protowire.AppendVarint(protowire.AppendTag(marshal(&pb.Ping{LastRttNanos: 1}), 2, protowire.VarintType), 2)
	for _, c := range []struct {
		name    string
		payload []byte
	}{
		{"a round trip and a clock", marshal(&pb.Ping{SentUnixNano: time.Now().UnixNano(), LastRttNanos: 123456})},
		{"no round trip yet", marshal(&pb.Ping{SentUnixNano: 42})},
		{"an empty ping", nil},
		{"a field this version does not know", withUnknown},
		{"the field twice", repeated},
		{"a cut-off ping", marshal(&pb.Ping{SentUnixNano: 1 << 60, LastRttNanos: 1 << 40})[:5]},
	} {
		t.Run(c.name, func(t *testing.T) {
			var want pb.Ping
			if proto.Unmarshal(c.payload, &want) != nil {
				want.LastRttNanos = 0
			}
			if got := pingRTT(c.payload); got != want.LastRttNanos {
				t.Errorf("pingRTT = %d, proto.Unmarshal reads %d", got, want.LastRttNanos)
			}
		})
	}
}
