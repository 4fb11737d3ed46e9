package link

import (
	"bytes"
	"crypto/tls"
	"io"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lanyard/lanyard/core/wire"
	"github.com/lanyard/lanyard/core/wire/pb"
)

// A dial records what the listener answered until TLS is done, for
// tlsError: a plain listener's magic and close frame are kept, and a TLS
// answer, on every dial that succeeds, is not copied at all.
func TestARecordingKeepsOnlyAPlainAnswer(t *testing.T) {
	for _, tc := range []struct {
		name   string
		answer []byte
		kept   bool
	}{
		{"plain magic and a close frame", append([]byte(wire.Magic), wire.AppendFrame(nil, wire.Frame{Kind: wire.KindClose, Payload: []byte("x")})...), true},
		{"a TLS record", append([]byte{wire.TLSHandshakeByte, 3, 3, 0, 4}, "abcd"...), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ours, theirs := net.Pipe()
			defer ours.Close()
			go func() {
				_, _ = theirs.Write(tc.answer)
				_ = theirs.Close()
			}()
			rec := &recordingConn{Conn: ours}
			got, err := io.ReadAll(rec)
			if err != nil || !bytes.Equal(got, tc.answer) {
				t.Fatalf("read %q, %v through the recording; want %q", got, err, tc.answer)
			}
			head := rec.stop()
			if tc.kept && !bytes.Equal(head, tc.answer) {
				t.Errorf("recorded %q; want the whole plain answer %q", head, tc.answer)
			}
			if !tc.kept && len(head) != 0 {
				t.Errorf("recorded %d bytes of a TLS answer; want none", len(head))
			}
		})
	}
}

// writeCounter counts the writes that reach the connection beneath.
type writeCounter struct {
	net.Conn
	writes atomic.Int32
}

func (c *writeCounter) Write(p []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(p)
}

// The dialer holds its TLS Finished until its hello is written, and sends
// both at once; every read sends what is held first, so a handshake that
// needs a second ClientHello (the listener wants a key share the dialer did
// not send: a HelloRetryRequest) still completes.
func TestTheDialersFinishedGoesOutWithItsHello(t *testing.T) {
	serverCfg, clientCfg := bareTLSConfigs(newIdentity(t, pb.Role_ROLE_MASTER).Certificate)
	serverCfg.CurvePreferences = []tls.CurveID{tls.CurveP256} // not among crypto/tls's first key shares
	ln, err := tls.Listen("tcp", "127.0.0.1:0", serverCfg)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	got := make(chan []byte, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			got <- nil
			return
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		buf := make([]byte, 5)
		_, _ = io.ReadFull(c, buf)
		got <- buf
	}()

	raw, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	_ = raw.SetDeadline(time.Now().Add(10 * time.Second))
	counted := &writeCounter{Conn: raw}
	held := &heldConn{Conn: counted, holding: true}
	tc := tls.Client(held, clientCfg)
	if err := tc.Handshake(); err != nil {
		t.Fatalf("handshake through a held connection: %v", err)
	}
	if id := tc.ConnectionState().CurveID; id != tls.CurveP256 {
		t.Fatalf("key exchange %v; want P-256, after a HelloRetryRequest", id)
	}
	if _, err := tc.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	if err := held.release(); err != nil {
		t.Fatal(err)
	}
	if b := <-got; string(b) != "hello" {
		t.Fatalf("the listener read %q; want \"hello\"", b)
	}
	// Two ClientHellos, then the Finished and the hello together.
	if n := counted.writes.Load(); n != 3 {
		t.Errorf("%d writes reached the connection; want 3", n)
	}
	if _, err := tc.Write([]byte("after")); err != nil || counted.writes.Load() != 4 {
		t.Errorf("a write after release: %v, %d writes in all; want it sent at once, 4", err, counted.writes.Load())
	}
}
