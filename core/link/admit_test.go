package link

import (
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cenkalti/backoff/v5"

	"github.com/lanyard/lanyard/core/auth"
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
				t.Errorf("refusal = %+v; want the console's word that it is busy, with a retry after %s–%s", e, minRetry, maxRetry)
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

// meterAt is a meter of slots whose slot is held for hold, as if it had
// served many handshakes.
func meterAt(slots int, hold time.Duration) *loadMeter {
	m := newLoadMeter(slots)
	for range 20 * holdWindow {
		m.released(hold)
	}
	return &m
}

func TestAStormTurnedAwayComesBackSpreadOverTheTimeItTakesToServe(t *testing.T) {
	// 32 slots, each held 32 ms: 1,000 handshakes a second.
	m := meterAt(32, 32*time.Millisecond)
	now := time.Now()
	perSecond := make(map[int]int)
	var longest time.Duration
	for range 5000 {
		d := m.refused(now)
		if d < minRetry {
			t.Fatalf("retry-after %s, under the %s floor", d, minRetry)
		}
		perSecond[int(d/time.Second)]++
		longest = max(longest, d)
	}
	// 5,000 at 1,000 a second: seconds 1 to 5 after now, 1,000 in each.
	if longest < 5900*time.Millisecond || longest > 6100*time.Millisecond {
		t.Errorf("the last of 5,000 comes back after %s; want about 6s (1s + 5,000 at 1,000/s)", longest)
	}
	for sec := 1; sec <= 5; sec++ {
		if n := perSecond[sec]; n < 950 || n > 1050 {
			t.Errorf("%d told to come back in second %d; want about 1,000 (the rate served)", n, sec)
		}
	}
}

func TestTheScheduleStartsAfreshOnceItsBacklogIsServed(t *testing.T) {
	m := meterAt(32, 32*time.Millisecond)
	now := time.Now()
	for range 2000 {
		m.refused(now)
	}
	later := now.Add(4 * time.Second) // the 2,000 were due by 3 s
	if d := m.refused(later); d < minRetry || d > minRetry+10*time.Millisecond {
		t.Errorf("the first turned away after the backlog was served waits %s; want the %s floor", d, minRetry)
	}
}

func TestASlowListenerSpreadsFurtherAndCapsTheWait(t *testing.T) {
	// 4 slots, each held half a second: 8 handshakes a second.
	m := meterAt(4, 500*time.Millisecond)
	now := time.Now()
	var capped int
	for range 400 {
		d := m.refused(now)
		if d > maxRetry {
			t.Fatalf("retry-after %s beyond the %s cap", d, maxRetry)
		}
		if d >= maxRetry-time.Second {
			capped++
		}
	}
	// 8 a second fill the 29 seconds below the cap with about 232; the
	// rest are told the cap, to be scheduled again when they return.
	if capped < 150 {
		t.Errorf("%d of 400 were told to come back at the cap; want the ~170 beyond what 30s serves", capped)
	}
}

func TestAListenerThatServedNoneYetAssumesAHandshakesTime(t *testing.T) {
	m := newLoadMeter(32)
	now := time.Now()
	for range 640 { // a second's worth at 32 slots × 50 ms
		m.refused(now)
	}
	if d := m.refused(now); d < minRetry+900*time.Millisecond || d > minRetry+1100*time.Millisecond {
		t.Errorf("the 641st turned away by a fresh listener waits %s; want about 2s", d)
	}
}

func TestAListenerCountsAsLoadedForAWhileAfterItTurnsOneAway(t *testing.T) {
	m := newLoadMeter(32)
	now := time.Now()
	if m.loaded(now) {
		t.Fatal("a listener that turned none away counts as loaded")
	}
	m.refused(now)
	if !m.loaded(now.Add(loadedFor - time.Millisecond)) {
		t.Errorf("not loaded %s after turning one away", loadedFor-time.Millisecond)
	}
	if m.loaded(now.Add(loadedFor)) {
		t.Errorf("still loaded %s after turning one away", loadedFor)
	}
}

func TestAPeerWhoseFirstBytesComeLateDuringAStormIsToldWhenToComeBack(t *testing.T) {
	srv := startServer(t, newIdentity(t, pb.Role_ROLE_MASTER),
		Options{SSL: true, MaxHandshakes: 1, SlotWait: 50 * time.Millisecond, HelloTimeout: 500 * time.Millisecond,
			HandshakeTimeout: 5 * time.Second}, newBenchAuth(t), nil)
	lateFrom := func(src string) Refusal {
		t.Helper()
		for {
			r := srv.nextRefusal(t, 5*time.Second)
			if strings.HasPrefix(r.Remote, src+":") {
				return r
			}
		}
	}

	// No storm: a socket that sends nothing is a stranger idling.
	idle, err := dialFrom("127.0.0.4", srv.addr())
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	if r := lateFrom("127.0.0.4"); r.Busy || r.Err.Code != wire.CodeTimeout {
		t.Errorf("an idle socket with no storm on: %+v; want a timeout held against its address", r)
	}

	// A storm: the slot is held and a dialer was turned away for load.
	holdSlot(t, "127.0.0.2", srv.addr())
	waitSlotsTaken(t, srv.Listener, 1)
	if _, err := benchDialer(t, true, srv.addr()).Dial(context.Background()); CodeOf(err) != wire.CodeRateLimited {
		t.Fatalf("dial while the slot is held: %v, want rate_limited", err)
	}
	late, err := dialFrom("127.0.0.3", srv.addr())
	if err != nil {
		t.Fatal(err)
	}
	defer late.Close()
	_ = late.SetDeadline(time.Now().Add(5 * time.Second))
	if m, err := readMagic(late); err != nil || string(m) != wire.Magic {
		t.Fatalf("the late peer read %q, %v; want the plain refusal", m, err)
	}
	f, err := wire.ReadFrame(late, wire.MaxPreAuthFrame)
	if err != nil || f.Kind != wire.KindClose {
		t.Fatalf("the late peer read %v, %v; want a close", f.Kind, err)
	}
	e := remoteClose(f.Payload, "console", MaxRetryAfterBeforeAuth)
	if e.Code != wire.CodeRateLimited || e.RetryAfter < minRetry {
		t.Errorf("the late peer was told %+v; want rate_limited with a retry-after of at least %s", e, minRetry)
	}
	if r := lateFrom("127.0.0.3"); !r.Busy || !errors.Is(r.Err, ErrBusy) {
		t.Errorf("the listener reported %+v; want a refusal for load", r)
	}
	if err := srv.cfg.Limiter.CheckSource(netip.MustParseAddr("127.0.0.3")); err != nil {
		t.Errorf("the late peer's address is held back: %v", err)
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

func TestADialGateLetsTheNextInOnceTheFirstFlightHasGone(t *testing.T) {
	g := NewDialGate(1)
	leave, err := g.enter(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := g.enter(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a second dial through a full gate of one: %v, want it held until its context ends", err)
	}
	leave()
	leave() // idempotent: the first read and the end of Dial both leave
	next, err := g.enter(context.Background())
	if err != nil {
		t.Fatalf("after the first left: %v", err)
	}
	next()

	// Real dials through a gate of one: each leaves it once its first
	// flight is out, so the next goes on, and none stays inside.
	srv := startServer(t, newIdentity(t, pb.Role_ROLE_MASTER), Options{SSL: true}, newBenchAuth(t), nil)
	agents := benchDialer(t, true, srv.addr())
	d := Dialer{Identity: agents.id, Options: Options{SSL: true}, Gate: g}
	for i := range 3 {
		l, err := d.Dial(context.Background(), agents.target)
		if err != nil {
			t.Fatalf("dial %d through the gate: %v", i+1, err)
		}
		closeLink(l)
		closeLink(srv.nextLink(t))
	}
	if len(g) != 0 {
		t.Errorf("%d dials still inside the gate after every dial returned", len(g))
	}
}

// firstReads keeps what the reads through it returned, in order.
type firstReads struct {
	net.Conn
	mu    sync.Mutex
	reads [][]byte
}

func (c *firstReads) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.mu.Lock()
	c.reads = append(c.reads, append([]byte(nil), p[:n]...))
	c.mu.Unlock()
	return n, err
}

// The listener's first read of a connection takes whatever has come: a
// TLS ClientHello, or a plain magic and hello, each sent in one write, is
// read in one system call, not a byte, a header and a body in three.
func TestTheFirstFlightIsReadInOneRead(t *testing.T) {
	for _, ssl := range []bool{true, false} {
		t.Run(sslWord(ssl), func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			l := handshakeListener(t, Options{SSL: ssl}, auth.LimiterConfig{})
			dialed := make(chan *Link, 1)
			go func() {
				d := &Dialer{Identity: newIdentity(t, pb.Role_ROLE_MASTER), Options: Options{SSL: ssl}}
				lnk, err := d.Dial(context.Background(), Target{Address: ln.Addr().String(), Name: "FS01", Key: key(t, "FS01", "pw"), KDF: testKDF})
				if err != nil {
					t.Error(err)
				}
				dialed <- lnk
			}()
			raw, err := ln.Accept()
			if err != nil {
				t.Fatal(err)
			}
			defer raw.Close() // the link closes it; this is for a handshake that failed
			conn := &firstReads{Conn: raw}
			lnk, _, err := l.handshake(conn, l.opts)
			if err != nil {
				t.Fatal(err)
			}
			closeLink(lnk)
			if d := <-dialed; d != nil {
				closeLink(d)
			}
			conn.mu.Lock()
			first := conn.reads[0]
			conn.mu.Unlock()
			switch {
			case ssl && (len(first) < 5 || len(first) != 5+int(binary.BigEndian.Uint16(first[3:5]))):
				t.Errorf("the first read took %d bytes; want the whole ClientHello record", len(first))
			case !ssl && (len(first) <= len(wire.Magic) || string(first[:len(wire.Magic)]) != wire.Magic):
				t.Errorf("the first read took %q; want the magic and the hello after it", first)
			}
		})
	}
}
