package link

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/lanyard/lanyard/core/auth"
	"github.com/lanyard/lanyard/core/wire"
	"github.com/lanyard/lanyard/core/wire/pb"
)

// The door: what a stranger can do to a listener before it authenticates.
// These tests dial from several addresses of 127.0.0.0/8, which Linux
// routes to loopback without configuration.

// dialFrom opens a TCP connection to addr from the loopback address src.
func dialFrom(src, addr string) (net.Conn, error) {
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: 5 * time.Second}
	return d.Dial("tcp", addr)
}

// quietServer is a listener whose refusals are counted, not queued: a test
// that makes a thousand of them must not block the listener on a channel.
type quietServer struct {
	*Listener
	links   chan *Link
	refused atomic.Int64
	mu      sync.Mutex
	codes   map[wire.Code]int
}

func startQuietServer(t *testing.T, id *Identity, opts Options, a Authenticator, lim *auth.Limiter) *quietServer {
	t.Helper()
	s := &quietServer{links: make(chan *Link, 8), codes: map[wire.Code]int{}}
	ln, err := Listen(ListenConfig{
		Address: "127.0.0.1:0", Identity: id, Options: opts, Auth: a, Limiter: lim,
		OnLink: func(l *Link) { s.links <- l },
		OnRefused: func(r Refusal) {
			s.refused.Add(1)
			s.mu.Lock()
			s.codes[r.Err.Code]++
			s.mu.Unlock()
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	s.Listener = ln
	t.Cleanup(func() { _ = ln.Close() })
	return s
}

func (s *quietServer) count(code wire.Code) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.codes[code]
}

// openFDs counts this process's open file descriptors.
func openFDs(t *testing.T) int {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd:", err)
	}
	return len(fds)
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, within)
		}
		runtime.Gosched()
		time.Sleep(10 * time.Millisecond) // polling interval, not synchronisation
	}
}

// readUntilClosed reads c until the peer closes it; false if it is still
// open at the deadline.
func readUntilClosed(c net.Conn, deadline time.Time) bool {
	_ = c.SetReadDeadline(deadline)
	_, err := io.Copy(io.Discard, c)
	var ne net.Error
	return !(errors.As(err, &ne) && ne.Timeout())
}

func TestOneAddressCannotBlockEveryHandshake(t *testing.T) {
	baseFDs, baseGoroutines := openFDs(t), runtime.NumGoroutine()
	k := key(t, "FS01", "pw")
	srv := startQuietServer(t, newIdentity(t, pb.Role_ROLE_AGENT), Options{SSL: true},
		&agentAuth{name: "FS01", key: k, management: true}, nil)

	// 500 idle sockets from one address and 100 from each of five others:
	// more than every handshake slot, from fewer addresses than slots.
	opened := time.Now()
	var idle []net.Conn
	for i, n := range []int{500, 100, 100, 100, 100, 100} {
		src := []string{"127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5", "127.0.0.6", "127.0.0.7"}[i]
		for range n {
			c, err := dialFrom(src, srv.Addr().String())
			if err != nil {
				t.Fatalf("idle socket %d from %s: %v", len(idle), src, err)
			}
			idle = append(idle, c)
		}
	}
	defer func() {
		for _, c := range idle {
			_ = c.Close()
		}
	}()

	// A real console from a sixth address (127.0.0.1) links at once.
	d := &Dialer{Identity: newIdentity(t, pb.Role_ROLE_MASTER), Options: Options{SSL: true}}
	start := time.Now()
	l, err := d.Dial(context.Background(), Target{Address: srv.Addr().String(), Name: "FS01", Key: k, KDF: testKDF})
	if err != nil {
		t.Fatalf("the real console could not link past %d idle sockets: %v", len(idle), err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("the real console took %s to link; want under 2s", took)
	}
	closeLink(l)
	closeLink(<-srv.links)

	// Every idle socket is closed by the listener: those over their
	// address's share at once, those holding a slot at the hello deadline.
	for i, c := range idle {
		if !readUntilClosed(c, opened.Add(DefaultHelloTimeout+3*time.Second)) {
			t.Fatalf("idle socket %d is still open %s after it connected", i, time.Since(opened))
		}
	}
	if n := srv.count(wire.CodeTimeout); n < 6 || n > 6*DefaultMaxPerSource {
		t.Errorf("%d idle sockets timed out in a slot; want between 6 and %d (each address's share)", n, 6*DefaultMaxPerSource)
	}
	if n := srv.count(wire.CodeRateLimited); n < len(idle)-6*DefaultMaxPerSource {
		t.Errorf("only %d idle sockets were turned away at the door", n)
	}
	for _, c := range idle {
		_ = c.Close()
	}
	_ = srv.Close()
	eventually(t, 5*time.Second, "file descriptors back to baseline", func() bool { return openFDs(t) <= baseFDs })
	eventually(t, 5*time.Second, "goroutines back to baseline", func() bool { return runtime.NumGoroutine() <= baseGoroutines })
}

func TestAnAddressOverItsFailureLimitIsTurnedAwayBeforeItsHandshake(t *testing.T) {
	lim := auth.NewLimiter(auth.LimiterConfig{IPBurst: 1})
	srv := startServer(t, newIdentity(t, pb.Role_ROLE_AGENT), Options{SSL: true},
		&agentAuth{name: "FS01", key: key(t, "FS01", "right"), management: true}, lim)
	d := &Dialer{Identity: newIdentity(t, pb.Role_ROLE_MASTER), Options: Options{SSL: true}}
	target := Target{Address: srv.addr(), Name: "FS01", Key: key(t, "FS01", "wrong"), KDF: testKDF}
	_, err := d.Dial(context.Background(), target)
	wantCode(t, err, wire.CodeAuthFailed)
	srv.nextRefusal(t, 5*time.Second)

	// A socket that sends nothing is answered at once, in plain words,
	// without waiting for a hello it would never get a slot for.
	c := rawDial(t, srv.addr())
	start := time.Now()
	cl := readClose(t, c)
	if cl.Code != string(wire.CodeRateLimited) || cl.RetryAfterMs == 0 || !strings.Contains(cl.Reason, "127.0.0.1") {
		t.Errorf("close = %+v", cl)
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("turned away after %s; want at once", took)
	}
	r := srv.nextRefusal(t, 5*time.Second)
	if r.Err.Code != wire.CodeRateLimited || !strings.Contains(r.Err.Reason, "before its handshake") {
		t.Errorf("refusal: %v", r.Err)
	}

	// A TLS dialer reads the same plain refusal and names the real cause,
	// even with the right password.
	target.Key = key(t, "FS01", "right")
	_, err = d.Dial(context.Background(), target)
	e := wantCode(t, err, wire.CodeRateLimited)
	if !strings.Contains(e.Reason, `"too many failed attempts from 127.0.0.1`) || e.RetryAfter <= 0 {
		t.Errorf("dialer: %+v", e)
	}
	srv.nextRefusal(t, 5*time.Second)
}

// Garbage is a failure of its address: a source that sends it over and
// over is soon turned away at the door, before it costs a handshake,
// while another address is not.
func TestGarbageCountsAsAFailureForItsAddress(t *testing.T) {
	const burst = 3
	lim := auth.NewLimiter(auth.LimiterConfig{IPBurst: burst})
	srv := startServer(t, newIdentity(t, pb.Role_ROLE_AGENT), Options{SSL: false},
		&agentAuth{name: "FS01", key: key(t, "FS01", "right"), management: true}, lim)
	garbage := func(src string) Refusal {
		t.Helper()
		c, err := dialFrom(src, srv.addr())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_, _ = c.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
		return srv.nextRefusal(t, 5*time.Second)
	}
	for i := range burst {
		if r := garbage("127.0.0.7"); r.Err.Code != wire.CodeProtocolError {
			t.Fatalf("garbage %d: %v, want protocol_error", i, r.Err)
		}
	}
	r := garbage("127.0.0.7")
	if r.Err.Code != wire.CodeRateLimited || !strings.Contains(r.Err.Reason, "before its handshake") {
		t.Errorf("garbage after the burst: %v; want rate_limited before its handshake", r.Err)
	}
	if r := garbage("127.0.0.8"); r.Err.Code != wire.CodeProtocolError {
		t.Errorf("garbage from another address: %v; want protocol_error", r.Err)
	}
}

// A dialer that sends its TLS hello and goes (it gave up waiting) is said
// to have broken off the handshake, not to have failed it with an EOF.
func TestATLSHandshakeBrokenOffIsSaidSo(t *testing.T) {
	srv := startServer(t, newIdentity(t, pb.Role_ROLE_AGENT), Options{SSL: true},
		&agentAuth{name: "FS01", key: key(t, "FS01", "right"), management: true}, auth.NewLimiter(auth.LimiterConfig{}))
	c, err := net.Dial("tcp", srv.addr())
	if err != nil {
		t.Fatal(err)
	}
	hello := make(chan struct{})
	// A TLS client whose connection closes once its first flight is out.
	go func() {
		tc := tls.Client(&closeAfterWrite{Conn: c, wrote: hello}, &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS13}) //nolint:gosec // a test peer
		_ = tc.Handshake()
	}()
	<-hello
	r := srv.nextRefusal(t, 5*time.Second)
	if r.Err.Code != wire.CodeProtocolError || !strings.Contains(r.Err.Reason, "broke off the TLS handshake (it gave up waiting") {
		t.Errorf("a TLS handshake broken off: %v", r.Err)
	}
}

// closeAfterWrite closes its connection after the first write, and says so.
type closeAfterWrite struct {
	net.Conn
	wrote chan struct{}
	once  sync.Once
}

func (c *closeAfterWrite) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	c.once.Do(func() { _ = c.Conn.Close(); close(c.wrote) })
	return n, err
}

// Reserving a token when a handshake starts, not counting when it fails,
// is what bounds a burst of parallel guesses.
func TestABurstOfParallelWrongProofsChecksAtMostTheBurst(t *testing.T) {
	const burst, tries = 10, 60
	lim := auth.NewLimiter(auth.LimiterConfig{IPBurst: burst, NameBurst: 1000})
	srv := startQuietServer(t, newIdentity(t, pb.Role_ROLE_AGENT), Options{MaxPerSource: tries, MaxHandshakes: tries},
		&agentAuth{name: "FS01", key: key(t, "FS01", "right"), management: true}, lim)
	d := &Dialer{Identity: newIdentity(t, pb.Role_ROLE_MASTER)}
	target := Target{Address: srv.Addr().String(), Name: "FS01", Key: key(t, "FS01", "wrong"), KDF: testKDF}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range tries {
		wg.Go(func() {
			<-start
			_, err := d.Dial(context.Background(), target)
			if c := CodeOf(err); c != wire.CodeAuthFailed && c != wire.CodeRateLimited {
				t.Errorf("a wrong proof ended with %v", err)
			}
		})
	}
	close(start)
	wg.Wait()
	eventually(t, 5*time.Second, "every handshake reported", func() bool { return srv.refused.Load() == tries })
	if n := srv.count(wire.CodeAuthFailed); n > burst || n == 0 {
		t.Errorf("%d of %d parallel wrong proofs were checked; want at most the burst, %d", n, tries, burst)
	}
}

// A stranger guessing a slave's name from other addresses cannot lock out
// the console that has linked to it before. The full form runs for a
// minute (LANYARD_TEST_LONG=1, or `make test-long`); `make test` runs the
// same rates for three seconds.
func TestStrangersGuessingANameCannotLockOutItsConsole(t *testing.T) {
	attack := 3 * time.Second
	if os.Getenv("LANYARD_TEST_LONG") != "" {
		attack = time.Minute
	}
	k := key(t, "FS01", "right")
	srv := startQuietServer(t, newIdentity(t, pb.Role_ROLE_AGENT), Options{SSL: true},
		&agentAuth{name: "FS01", key: k, management: true}, nil) // the default limits
	console := &Dialer{Identity: newIdentity(t, pb.Role_ROLE_MASTER), Options: Options{SSL: true}}
	target := Target{Address: srv.Addr().String(), Name: "FS01", Key: k, KDF: testKDF}
	first, err := console.Dial(context.Background(), target)
	if err != nil {
		t.Fatal(err)
	}
	agentSide := <-srv.links
	first.Start(newRecorder("console"), nil)
	agentSide.Start(newRecorder("FS01"), nil)

	// 20 junk proofs a second from each of two addresses.
	ctx, cancel := context.WithTimeout(context.Background(), attack)
	defer cancel()
	var wg sync.WaitGroup
	var junk atomic.Int64
	for _, src := range []string{"127.0.0.2", "127.0.0.3"} {
		wg.Go(func() {
			tick := time.NewTicker(50 * time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-tick.C:
				}
				junkProof(t, src, srv.Addr().String())
				junk.Add(1)
			}
		})
	}
	// Meanwhile the console's link stays up, and a relink (the console
	// restarted) gets in at once.
	relinks := 0
	for ctx.Err() == nil {
		select {
		case <-first.Done():
			t.Fatalf("the console's link closed under the attack: %v", first.Err())
		case <-ctx.Done():
		case <-time.After(attack / 3):
			start := time.Now()
			l, err := console.Dial(context.Background(), target)
			if err != nil {
				t.Fatalf("the console could not relink after %d junk proofs: %v", junk.Load(), err)
			}
			if took := time.Since(start); took > time.Second {
				t.Errorf("relink took %s", took)
			}
			closeLink(l)
			closeLink(<-srv.links)
			relinks++
		}
	}
	wg.Wait()
	if relinks == 0 || srv.count(wire.CodeRateLimited) == 0 {
		t.Errorf("%d relinks, %d refusals: the attack did not reach the limit", relinks, srv.count(wire.CodeRateLimited))
	}
	closeLink(first)
}

// junkProof dials from src, sends a hello for FS01 and a proof made
// without the key, and waits for the answer.
func junkProof(t *testing.T, src, addr string) {
	c, err := dialFrom(src, addr)
	if err != nil {
		t.Errorf("junk dial: %v", err)
		return
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	stranger := newIdentity(t, pb.Role_ROLE_MASTER)
	tc := tls.Client(c, stranger.clientTLS())
	if tc.Handshake() != nil {
		return // turned away at the door, in plain words
	}
	hello := rawHello(t, nil)
	_, _ = tc.Write(append([]byte(wire.Magic), wire.AppendFrame(nil, wire.Frame{Kind: wire.KindHello, Payload: hello})...))
	if _, err := readMagic(tc); err != nil {
		return
	}
	if f, err := wire.ReadFrame(tc, wire.MaxPreAuthFrame); err != nil || f.Kind != wire.KindHello {
		return // refused: rate_limited
	}
	payload, _ := proto.Marshal(&pb.Proof{Mac: make([]byte, auth.MACSize)})
	_, _ = tc.Write(wire.AppendFrame(nil, wire.Frame{Kind: wire.KindProof, Payload: payload}))
	_, _ = io.Copy(io.Discard, tc)
}
