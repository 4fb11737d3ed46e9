package link

import (
	"bytes"
	"crypto/tls"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/lanyard/lanyard/core/auth"
	"github.com/lanyard/lanyard/core/wire"
	"github.com/lanyard/lanyard/core/wire/pb"
)

// FuzzAcceptorHandshake feeds arbitrary bytes to the acceptor's side of the
// handshake, as a stranger dialing in could. It must never panic, never
// authenticate without the key, and always return.
func FuzzAcceptorHandshake(f *testing.F) {
	hello, proof := seedHello(newIdentity(f, pb.Role_ROLE_MASTER), false)
	f.Add(hello(nil))
	f.Add(append(hello(nil), proof...))
	f.Add(hello(func(h *pb.Hello) { h.Name = "other" }))
	// An early proof without TLS: there is no session to bind it to, so
	// it proves nothing and the acceptor still asks for a proof.
	f.Add(hello(func(h *pb.Hello) { h.EarlyProof = make([]byte, auth.MACSize) }))
	f.Add(hello(func(h *pb.Hello) { h.VersionMin, h.VersionMax = 9, 9 }))
	f.Add([]byte("GET / HTTP/1.1\r\n\r\n"))
	f.Add([]byte{wire.TLSHandshakeByte, 3, 1, 0, 5})
	f.Add([]byte(wire.Magic))
	f.Add([]byte{})

	l := handshakeListener(f, Options{}, auth.LimiterConfig{IPBurst: 1 << 30, NameBurst: 1 << 30})
	f.Fuzz(func(t *testing.T, data []byte) {
		client, server := net.Pipe()
		done := make(chan struct{})
		go func() {
			defer close(done)
			_, _ = client.Write(data)
			// Hang up after sending: the acceptor must not wait for more.
			_ = client.Close()
		}()
		go func() { _, _ = io.Copy(io.Discard, client) }()
		mustNotLink(t, l, server, done, data)
	})
}

// mustNotLink runs the acceptor's side of a handshake on server, then
// waits for the sender of data to be done (done), and fails t if data
// made a link.
func mustNotLink(t *testing.T, l *Listener, server net.Conn, done <-chan struct{}, data []byte) {
	t.Helper()
	lnk, _, err := l.handshake(server, l.opts)
	_ = server.Close()
	<-done
	if err == nil {
		lnk.CloseWith(&Error{Code: wire.CodeNormal})
		t.Fatalf("a link was authenticated from fuzzed bytes %q", data)
	}
}

// seedHello makes the fuzz targets' seeds of a dialer's first bytes:
// hello is our magic and a hello frame from id for FS01 (saying SSL when
// ssl), changed first by mutate if given; proof is a proof frame of the
// right size, made without the key.
func seedHello(id *Identity, ssl bool) (hello func(mutate func(*pb.Hello)) []byte, proof []byte) {
	hello = func(mutate func(*pb.Hello)) []byte {
		h := newHello(id, "FS01", testKDF, ssl)
		if mutate != nil {
			mutate(h)
		}
		payload, _ := proto.Marshal(h)
		return append([]byte(wire.Magic), wire.AppendFrame(nil, wire.Frame{Kind: wire.KindHello, Payload: payload})...)
	}
	payload, _ := proto.Marshal(&pb.Proof{Mac: make([]byte, auth.MACSize)})
	return hello, wire.AppendFrame(nil, wire.Frame{Kind: wire.KindProof, Payload: payload})
}

// FuzzTLSAcceptorHandshake is FuzzAcceptorHandshake with SSL on: the
// bytes come inside a real TLS 1.3 session, after its handshake, as from a
// stranger with a certificate of its own, where a hello's early proof is
// taken (handshake.go). Whatever its early proof, its hello or what
// follows, the acceptor must never panic, never link without the key, and
// always return.
func FuzzTLSAcceptorHandshake(f *testing.F) {
	dialer := newIdentity(f, pb.Role_ROLE_MASTER)
	hello, proof := seedHello(dialer, true)
	f.Add(hello(nil))
	f.Add(append(hello(nil), proof...))
	// An early proof of the right size but not made with the key and the
	// session's exporter, one cut short, and one too long.
	f.Add(hello(func(h *pb.Hello) { h.EarlyProof = bytes.Repeat([]byte{7}, auth.MACSize) }))
	f.Add(hello(func(h *pb.Hello) { h.EarlyProof = make([]byte, auth.MACSize/2) }))
	f.Add(hello(func(h *pb.Hello) { h.EarlyProof = make([]byte, 3*auth.MACSize) }))
	f.Add(append(hello(func(h *pb.Hello) { h.EarlyProof = make([]byte, auth.MACSize) }), proof...))
	f.Add(hello(func(h *pb.Hello) { h.Name = "other"; h.EarlyProof = make([]byte, auth.MACSize) }))
	f.Add([]byte(wire.Magic))
	f.Add([]byte{})

	l := handshakeListener(f, Options{SSL: true}, auth.LimiterConfig{IPBurst: 1 << 30, NameBurst: 1 << 30})
	clientTLS := &tls.Config{MinVersion: tls.VersionTLS13, Certificates: []tls.Certificate{dialer.Certificate},
		InsecureSkipVerify: true} //nolint:gosec // the acceptor's certificate is not what is tested
	f.Fuzz(func(t *testing.T, data []byte) {
		client, server := net.Pipe()
		done := make(chan struct{})
		go func() {
			defer close(done)
			defer client.Close()
			c := tls.Client(client, clientTLS)
			_ = c.SetDeadline(time.Now().Add(10 * time.Second))
			if c.Handshake() != nil {
				return
			}
			read := make(chan struct{})
			go func() { defer close(read); _, _ = io.Copy(io.Discard, c) }()
			_, _ = c.Write(data)
			// Done sending: the acceptor must not wait for more.
			_ = c.CloseWrite()
			<-read // until the acceptor hangs up
		}()
		mustNotLink(t, l, server, done, data)
	})
}

// dispatchSeeds are frames an authenticated peer could send: one of every
// kind, well formed and not, in the order a real peer might.
func dispatchSeeds() map[string][]byte {
	frame := func(kind wire.Kind, id uint64, msg proto.Message) []byte {
		var payload []byte
		if msg != nil {
			payload, _ = proto.Marshal(msg)
		}
		return wire.AppendFrame(nil, wire.Frame{Kind: kind, ID: id, Payload: payload})
	}
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	status, _ := proto.Marshal(&pb.StatusRequest{})
	return map[string][]byte{
		"ping-and-pong":       cat(frame(wire.KindPing, 1, &pb.Ping{SentUnixNano: 1}), frame(wire.KindPong, 2, &pb.Ping{SentUnixNano: -5})),
		"status-request":      frame(wire.KindRequest, 7, &pb.Request{Method: wire.MethodStatus, Body: status}),
		"blocked-then-cancel": cat(frame(wire.KindRequest, 8, &pb.Request{Method: "block"}), frame(wire.KindCancel, 8, nil)),
		"unknown-method":      frame(wire.KindRequest, 9, &pb.Request{Method: "no such method"}),
		"requests-past-bound": bytes.Repeat(frame(wire.KindRequest, 10, &pb.Request{Method: "block"}), 8),
		"event":               frame(wire.KindEvent, 0, &pb.Event{Type: wire.EventStatus, Body: []byte{0xff}}),
		"stray-response":      frame(wire.KindResponse, 999, &pb.Response{Error: "nobody asked"}),
		"stray-chunk":         cat(frame(wire.KindChunk, 999, nil), frame(wire.KindCredit, 999, nil)),
		"close":               frame(wire.KindClose, 0, &pb.Close{Code: "connected", Reason: "forged\nline", RetryAfterMs: 1 << 31}),
		"hello-after-auth":    frame(wire.KindHello, 0, &pb.Hello{}),
		"newer-kind":          wire.AppendFrame(nil, wire.Frame{Kind: 99, ID: 1, Payload: []byte("later")}),
		"malformed-request":   wire.AppendFrame(nil, wire.Frame{Kind: wire.KindRequest, ID: 3, Payload: []byte{0xff, 0xff}}),
		"malformed-event":     wire.AppendFrame(nil, wire.Frame{Kind: wire.KindEvent, Payload: []byte{0x0a, 0x7f}}),
		"oversize-length":     {0x7f, 0xff, 0xff, 0xff, byte(wire.KindRequest)},
		"short-length":        {0, 0, 0, 1, 0},
		"empty":               {},
	}
}

// FuzzPostAuthDispatch feeds arbitrary bytes to an authenticated link's
// frame dispatcher, as a peer could once it has logged in. It must never
// panic, must end when the peer hangs up, and must leave no goroutine
// running in the owner's group.
func FuzzPostAuthDispatch(f *testing.F) {
	for _, seed := range dispatchSeeds() {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		client, server := net.Pipe()
		l := newLink(server, Peer{Name: "FS01", Remote: "fuzz"}, time.Hour, 2*time.Hour, 4)
		var group sync.WaitGroup
		l.Start(newRecorder("FS01"), &group)
		var drain sync.WaitGroup
		drain.Go(func() { _, _ = io.Copy(io.Discard, client) })
		_, _ = client.Write(data)
		_ = client.Close()
		select {
		case <-l.Done():
		case <-time.After(10 * time.Second):
			t.Fatalf("the link did not close after the peer hung up; input %q", data)
		}
		group.Wait()
		drain.Wait()
	})
}

var updateSeeds = flag.Bool("update-seeds", false, "rewrite the committed fuzz seeds under testdata/fuzz")

// The committed seeds of FuzzPostAuthDispatch are what dispatchSeeds makes.
func TestDispatchSeedCorpus(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzPostAuthDispatch")
	for name, data := range dispatchSeeds() {
		path := filepath.Join(dir, name)
		want := []byte(fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", data))
		if *updateSeeds {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if got, err := os.ReadFile(path); err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s is missing or stale; run go test -run TestDispatchSeedCorpus -update-seeds (%v)", path, err)
		}
	}
}

// FuzzPingRTT: whatever a peer sends as a ping, pingRTT reads the round
// trip proto.Unmarshal would read, or 0 where it would fail.
func FuzzPingRTT(f *testing.F) {
	for _, p := range []*pb.Ping{{}, {SentUnixNano: 1}, {LastRttNanos: 2500}, {SentUnixNano: -1, LastRttNanos: -1}} {
		b, _ := proto.Marshal(p)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		var want pb.Ping
		if proto.Unmarshal(payload, &want) != nil {
			want.LastRttNanos = 0
		}
		if got := pingRTT(payload); got != want.LastRttNanos {
			t.Fatalf("pingRTT(%x) = %d, proto.Unmarshal reads %d", payload, got, want.LastRttNanos)
		}
	})
}
