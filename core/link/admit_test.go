package link

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/cenkalti/backoff/v5"

	"github.com/lanyard/lanyard/core/wire"
	"github.com/lanyard/lanyard/core/wire/pb"
)

// stalledConn passes writes through and never delivers a read, until the
// test ends: a TLS client on it sends its ClientHello and then hangs, so
// the listener's handshake holds its slot until its deadline.
type stalledConn struct {
	net.Conn
	release chan struct{}
}

func (c *stalledConn) Read([]byte) (int, error) {
	<-c.release
	return 0, net.ErrClosed
}

// holdSlot opens a TLS handshake from src that takes the listener's slot
// and never finishes.
func holdSlot(t *testing.T, src, addr string) {
	t.Helper()
	raw, err := dialFrom(src, addr)
	if err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = tls.Client(&stalledConn{Conn: raw, release: release}, &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS13}).Handshake() //nolint:gosec // a test peer
	}()
	t.Cleanup(func() { close(release); _ = raw.Close(); <-done })
}

func TestAConnectionThatHasSentNothingHoldsNoHandshakeSlot(t *testing.T) {
	srv := startServer(t, newIdentity(t, pb.Role_ROLE_MASTER),
		Options{SSL: true, MaxHandshakes: 1, HelloTimeout: 5 * time.Second}, newBenchAuth(t), nil)
	idle, err := dialFrom("127.0.0.2", srv.addr())
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	agents := benchDialer(t, true, srv.addr())
	start := time.Now()
	l, err := agents.Dial(context.Background())
	if err != nil {
		t.Fatalf("a real agent beside an idle connection: %v", err)
	}
	defer closeLink(l)
	closeLink(srv.nextLink(t))
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("the real agent waited %s: the idle connection held the only slot", took)
	}
}

func TestAHandshakeThatFindsNoSlotIsToldPlainlyWhenToComeBack(t *testing.T) {
	for _, ssl := range []bool{true, false} {
		t.Run("ssl "+sslWord(ssl), func(t *testing.T) {
			srv := startServer(t, newIdentity(t, pb.Role_ROLE_MASTER),
				Options{SSL: ssl, MaxHandshakes: 1, SlotWait: 50 * time.Millisecond, HandshakeTimeout: 5 * time.Second}, newBenchAuth(t), nil)
			if ssl {
				holdSlot(t, "127.0.0.2", srv.addr())
			} else {
				// A plain hello takes the slot; no proof follows.
				c, err := dialFrom("127.0.0.2", srv.addr())
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				payload, _ := marshalHello(t)
				if _, err := c.Write(payload); err != nil {
					t.Fatal(err)
				}
			}
			waitSlotsTaken(t, srv.Listener, 1)
			_, err := benchDialer(t, ssl, srv.addr()).Dial(context.Background())
			e := wantCode(t, err, wire.CodeRateLimited)
			if !e.Remote || e.RetryAfter < minRetry || e.RetryAfter > maxRetry || !strings.Contains(e.Reason, "busy") {
				t.Errorf("refusal = %+v; want the console's word that it is busy, with a retry after 1–10 s", e)
			}
			r := srv.nextRefusal(t, 5*time.Second)
			if !r.Busy || r.Err.Code != wire.CodeRateLimited || !errors.Is(r.Err, ErrBusy) {
				t.Errorf("the listener reported %+v, want a refusal for load", r)
			}
			// Turned away for load is no failure of the address: more
			// times than its failure budget, and it is not held back.
			agents := benchDialer(t, ssl, srv.addr())
			d := Dialer{Identity: agents.id, Options: Options{SSL: ssl}, LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.3")}}
			for range 12 {
				if _, err := d.Dial(context.Background(), agents.target); CodeOf(err) != wire.CodeRateLimited {
					t.Fatalf("dial while the slot is held: %v, want rate_limited", err)
				}
				srv.nextRefusal(t, 5*time.Second)
			}
			if err := srv.cfg.Limiter.CheckSource(netip.MustParseAddr("127.0.0.3")); err != nil {
				t.Errorf("an address turned away for load is held back: %v", err)
			}
		})
	}
}

func marshalHello(t *testing.T) ([]byte, error) {
	t.Helper()
	_, frame, err := marshalFrame(wire.KindHello, newHello(newIdentity(t, pb.Role_ROLE_AGENT), benchName, testKDF, false))
	return append([]byte(wire.Magic), frame...), err
}

func TestABusyPeersRetryAfterIsTakenAsGivenAndTheBackoffDoesNotGrow(t *testing.T) {
	b := backoff.NewExponentialBackOff()
	b.InitialInterval, b.RandomizationFactor, b.Multiplier = time.Second, 0, 2
	b.Reset()
	busy := &Error{Code: wire.CodeRateLimited, RetryAfter: 7 * time.Second}
	for range 3 {
		if got := nextWait(b, busy, time.Second); got != 7*time.Second {
			t.Fatalf("wait after a busy refusal = %s, want the 7s asked for", got)
		}
	}
	if got := nextWait(b, &Error{Code: wire.CodeRateLimited, RetryAfter: time.Millisecond}, time.Second); got != time.Second {
		t.Errorf("a retry-after below the floor gave %s, want 1s", got)
	}
	if got := nextWait(b, &Error{Code: wire.CodeDialFailed}, time.Second); got != time.Second {
		t.Errorf("the first ordinary failure after three busy refusals waited %s, want the backoff's first 1s", got)
	}
	if got := nextWait(b, &Error{Code: wire.CodeTimeout, RetryAfter: 9 * time.Second}, time.Second); got != 9*time.Second {
		t.Errorf("another code's longer retry-after gave %s, want 9s", got)
	}
}

func TestTheRetryAfterSpreadsWithTheBacklog(t *testing.T) {
	var m loadMeter
	for range 10 {
		m.granted()
	}
	longest := time.Duration(0)
	for range 200 {
		d := m.refused()
		if d < minRetry || d > maxRetry {
			t.Fatalf("retry-after %s outside %s–%s", d, minRetry, maxRetry)
		}
		longest = max(longest, d)
	}
	// 200 turned away at 10 served a second: spread over many seconds.
	if longest < 5*time.Second {
		t.Errorf("200 refusals at 10 handshakes a second spread over %s at most; want a spread of several seconds", longest)
	}
}

// waitSlotsTaken waits until n of the listener's handshake slots are held.
func waitSlotsTaken(t *testing.T, l *Listener, n int) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); len(l.sem) < n; {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d handshake slots taken after 5s", len(l.sem), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
