package link

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/lanyard/lanyard/core/wire"
	"github.com/lanyard/lanyard/core/wire/pb"
)

// Helpers for bench_test.go. Every benchmark talks to 127.0.0.1 only and
// leaves no goroutine, file or child process behind (TestMain runs goleak).

const (
	benchName     = "FS01"
	benchPassword = "bench-secret"
	// benchWorkers is how many dialers run at once in the handshake and
	// link-memory benchmarks.
	benchWorkers = 8
)

// benchAuth admits agents named benchName, like the console's table of
// inbound slaves: the benchmarks measure the console listening.
type benchAuth struct{ admission Admission }

func newBenchAuth(tb testing.TB) *benchAuth {
	return &benchAuth{Admission{Name: benchName, Key: key(tb, benchName, benchPassword), KDF: testKDF}}
}

func (a *benchAuth) Admit(h *pb.Hello, _ netip.AddrPort, _ string) (Admission, error) {
	if !strings.EqualFold(h.Name, benchName) {
		return Admission{}, Refuse(wire.CodeUnknownSlave, "no inbound slave named %q", h.Name)
	}
	return a.admission, nil
}

// benchHandler answers status requests and ignores events and closes.
// Unlike recorder it is safe to share among any number of links.
type benchHandler struct{}

func (h *benchHandler) HandleRequest(_ context.Context, _ *Link, method string, _ []byte) (proto.Message, error) {
	if method == wire.MethodStatus {
		return &pb.StatusResponse{Name: benchName, Hostname: "host-" + benchName}, nil
	}
	return nil, &RequestError{Code: wire.ErrUnknownMethod, Message: method}
}

func (h *benchHandler) HandleEvent(*Link, string, []byte) {}
func (h *benchHandler) HandleClose(*Link, *Error)         {}

// benchListener is a console listening for agents, with counters instead of
// the bounded channels of startServer.
type benchListener struct {
	*Listener
	refusals atomic.Int64
	firstErr atomic.Pointer[string]
}

// listenBench starts a console listener on 127.0.0.1; onLink receives every
// authenticated link. It is closed when the benchmark ends.
func listenBench(tb testing.TB, ssl bool, onLink func(*Link), onRefused func()) *benchListener {
	tb.Helper()
	s := &benchListener{}
	ln, err := Listen(ListenConfig{
		Address:  "127.0.0.1:0",
		Identity: newIdentity(tb, pb.Role_ROLE_MASTER),
		Options:  Options{SSL: ssl},
		Auth:     newBenchAuth(tb),
		OnLink:   onLink,
		OnRefused: func(r Refusal) {
			msg := fmt.Sprintf("listener refused %s: %v", r.Remote, r.Err)
			s.firstErr.CompareAndSwap(nil, &msg)
			s.refusals.Add(1)
			if onRefused != nil {
				onRefused()
			}
		},
	})
	if err != nil {
		tb.Fatal(err)
	}
	s.Listener = ln
	tb.Cleanup(func() { _ = ln.Close() })
	return s
}

func (s *benchListener) err() error {
	if p := s.firstErr.Load(); p != nil {
		return fmt.Errorf("%s (%d refusals)", *p, s.refusals.Load())
	}
	return nil
}

// benchAgents dials the console at an address as agents named benchName,
// each dial from the next of 254 source addresses (127.0.1.1 to
// 127.0.1.254): the listener lets one address have only MaxPerSource
// handshakes at once, as a real fleet has an address per server.
type benchAgents struct {
	id     *Identity
	ssl    bool
	target Target
	next   atomic.Uint32
}

func benchDialer(tb testing.TB, ssl bool, addr string) *benchAgents {
	tb.Helper()
	return &benchAgents{id: newIdentity(tb, pb.Role_ROLE_AGENT), ssl: ssl,
		target: Target{Address: addr, Name: benchName, Key: key(tb, benchName, benchPassword), KDF: testKDF}}
}

// Dial makes one link from the next source address.
func (a *benchAgents) Dial(ctx context.Context) (*Link, error) {
	n := a.next.Add(1)
	src := net.IPv4(127, 0, 1, byte(1+n%254))
	d := Dialer{Identity: a.id, Options: Options{SSL: a.ssl}, LocalAddr: &net.TCPAddr{IP: src}}
	return d.Dial(ctx, a.target)
}

// bareTLSConfigs are plain crypto/tls 1.3 configurations with cert, the
// same kind of self-signed ed25519 certificate Lanyard uses, and Go's
// default curve preferences: the baseline.
func bareTLSConfigs(cert tls.Certificate) (server, client *tls.Config) {
	server = &tls.Config{MinVersion: tls.VersionTLS13, Certificates: []tls.Certificate{cert}}
	client = &tls.Config{MinVersion: tls.VersionTLS13, InsecureSkipVerify: true} //nolint:gosec // self-signed, as in Lanyard
	return server, client
}

// runConcurrently calls fn total times from workers goroutines and returns
// the first error, after which the workers stop.
func runConcurrently(total, workers int, fn func() error) error {
	var (
		next  atomic.Int64
		wg    sync.WaitGroup
		once  sync.Once
		first error
		stop  atomic.Bool
	)
	for range workers {
		wg.Go(func() {
			for !stop.Load() && next.Add(1) <= int64(total) {
				if err := fn(); err != nil {
					once.Do(func() { first = err })
					stop.Store(true)
				}
			}
		})
	}
	wg.Wait()
	return first
}

// countdown closes its channel when it has been hit target times.
type countdown struct {
	mu     sync.Mutex
	left   int
	reach  chan struct{}
	closed bool
}

func (c *countdown) arm(target int) <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.left, c.reach, c.closed = target, make(chan struct{}), false
	if target <= 0 {
		close(c.reach)
		c.closed = true
	}
	return c.reach
}

func (c *countdown) hit() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.left--
	if c.left <= 0 && !c.closed && c.reach != nil {
		close(c.reach)
		c.closed = true
	}
}

// waitFor waits for ch, failing after within.
func waitFor(tb testing.TB, ch <-chan struct{}, within time.Duration, what string, errf func() error) {
	tb.Helper()
	select {
	case <-ch:
	case <-time.After(within):
		if errf != nil {
			if err := errf(); err != nil {
				tb.Fatalf("%s: not done within %s: %v", what, within, err)
			}
		}
		tb.Fatalf("%s: not done within %s", what, within)
	}
}

// percentile returns the p-th percentile of sorted durations, in µs.
func percentile(sorted []time.Duration, p int) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := len(sorted) * p / 100
	if i >= len(sorted) {
		i = len(sorted) - 1
	}
	return float64(sorted[i]) / float64(time.Microsecond)
}

func sortedCopy(d []time.Duration) []time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s
}

// ---------------------------------------------------------------------------
// BenchmarkIdleLinkMemory runs both ends of its connections in child
// processes (this test binary again, running TestBenchAcceptorChild and
// TestBenchDialerChild), so the accepting process holds only the accepting
// ends, and each measurement starts in a fresh runtime: nothing the Go
// runtime keeps after first use (goroutine and poll descriptors, heap
// bookkeeping) is charged to one variant and reused for free by the other.

const (
	envChild       = "LANYARD_BENCH_CHILD"          // "accept" or "dial"
	envMode        = "LANYARD_BENCH_MODE"           // "lanyard" or "tls"
	envAddr        = "LANYARD_BENCH_ADDR"           // where the dialer dials
	envLinks       = "LANYARD_BENCH_LINKS"          // how many connections
	envHeapProfile = "LANYARD_BENCH_HEAPPROFILE"    // acceptor writes file.<mode> when measured
	envProfileRate = "LANYARD_BENCH_MEMPROFILERATE" // runtime.MemProfileRate in the acceptor
	lineAddr       = "LANYARD-BENCH-ADDR"
	lineReady      = "LANYARD-BENCH-READY"
	lineResult     = "LANYARD-BENCH-RESULT"
	// childHoldLimit bounds how long a child holds its connections if its
	// parent never closes its stdin.
	childHoldLimit = 3 * time.Minute
)

// childSetup reads a child's environment, or skips the test when this
// process is not a child of the given kind.
func childSetup(t *testing.T, kind string) (mode string, n int) {
	t.Helper()
	if os.Getenv(envChild) != kind {
		t.Skip("helper process of BenchmarkIdleLinkMemory; runs only when started by it")
	}
	mode = os.Getenv(envMode)
	n, err := strconv.Atoi(os.Getenv(envLinks))
	if err != nil || n <= 0 || (mode != "lanyard" && mode != "tls") {
		t.Fatalf("bad child environment: %s=%q %s=%q", envMode, mode, envLinks, os.Getenv(envLinks))
	}
	return mode, n
}

// stdinClosed is closed when the parent closes this child's stdin (or dies).
func stdinClosed() <-chan struct{} {
	ch := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		close(ch)
	}()
	return ch
}

// idleAcceptor is the accepting side of BenchmarkIdleLinkMemory.
type idleAcceptor struct {
	addr     string
	accepted <-chan struct{} // closed when n connections are up
	err      func() error    // a failed handshake, if any
	stop     func()          // closes everything and waits
}

// acceptLanyard is a console listening for agents; every link is started,
// so it has its reader goroutine and its place in the liveness sweep.
func acceptLanyard(tb testing.TB, n int) *idleAcceptor {
	h := &benchHandler{}
	var (
		mu    sync.Mutex
		links []*Link
		up    countdown
	)
	accepted := up.arm(n)
	s := listenBench(tb, true, func(l *Link) {
		l.Start(h, nil)
		mu.Lock()
		links = append(links, l)
		mu.Unlock()
		up.hit()
	}, nil)
	return &idleAcceptor{addr: s.Addr().String(), accepted: accepted, err: s.err, stop: func() {
		_ = s.Close()
		mu.Lock()
		ls := links
		links = nil
		mu.Unlock()
		for _, l := range ls {
			closeLink(l)
			<-l.Done()
		}
	}}
}

// acceptBareTLS is tls.Listen where each connection's goroutine completes
// the handshake and then blocks in Read: a bare crypto/tls connection idle
// in Read.
func acceptBareTLS(tb testing.TB, n int) *idleAcceptor {
	serverCfg, _ := bareTLSConfigs(newIdentity(tb, pb.Role_ROLE_MASTER).Certificate)
	ln, err := tls.Listen("tcp", "127.0.0.1:0", serverCfg)
	if err != nil {
		tb.Fatal(err)
	}
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		conns    []net.Conn
		firstErr error
		up       countdown
	)
	accepted := up.arm(n)
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Go(func() {
				defer c.Close()
				tc := c.(*tls.Conn)
				_ = tc.SetDeadline(time.Now().Add(10 * time.Second))
				if err := tc.Handshake(); err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					return
				}
				_ = tc.SetDeadline(time.Time{})
				up.hit()
				var buf [1]byte
				for {
					if _, err := tc.Read(buf[:]); err != nil {
						return
					}
				}
			})
		}
	})
	return &idleAcceptor{
		addr:     ln.Addr().String(),
		accepted: accepted,
		err: func() error {
			mu.Lock()
			defer mu.Unlock()
			return firstErr
		},
		stop: func() {
			_ = ln.Close()
			mu.Lock()
			for _, c := range conns {
				_ = c.Close()
			}
			conns = nil
			mu.Unlock()
			wg.Wait()
		},
	}
}

// memSample is the process's memory at one moment, after a full GC that
// also returned free memory to the OS.
type memSample struct {
	heapInuse, stackInuse, rss uint64
	goroutines                 int
}

func sampleMemory() memSample {
	debug.FreeOSMemory() // a full GC; free pages go back, so RSS counts what is used
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return memSample{heapInuse: ms.HeapInuse, stackInuse: ms.StackInuse, rss: residentBytes(), goroutines: runtime.NumGoroutine()}
}

// residentBytes is the process's resident anonymous memory (Linux; 0
// elsewhere). File-backed pages are left out: code run for the first time
// is paged in once, not per connection.
func residentBytes() uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, "RssAnon:"); ok {
			f := strings.Fields(rest) // "1234 kB"
			if len(f) == 2 && f[1] == "kB" {
				if kb, err := strconv.ParseUint(f[0], 10, 64); err == nil {
					return kb << 10
				}
			}
		}
	}
	return 0
}

// sharedGoroutines is how many goroutines this process runs once for all
// its links rather than one per link: the console's liveness sweep
// (watch.go), while it watches any link.
func sharedGoroutines() int {
	consoleWatch.mu.Lock()
	defer consoleWatch.mu.Unlock()
	if consoleWatch.running {
		return 1
	}
	return 0
}

// TestBenchAcceptorChild is not a test: it is the accepting child process
// of BenchmarkIdleLinkMemory and skips itself unless started as one. It
// listens, prints its address, waits for LANYARD_BENCH_LINKS connections,
// prints what they cost, and holds them until its stdin closes.
func TestBenchAcceptorChild(t *testing.T) {
	mode, n := childSetup(t, "accept")
	if r, err := strconv.Atoi(os.Getenv(envProfileRate)); err == nil && r > 0 {
		runtime.MemProfileRate = r
	}
	released := stdinClosed()
	var acc *idleAcceptor
	if mode == "lanyard" {
		acc = acceptLanyard(t, n)
	} else {
		acc = acceptBareTLS(t, n)
	}
	defer acc.stop()

	before := sampleMemory()
	fmt.Printf("%s %s\n", lineAddr, acc.addr)
	select {
	case <-acc.accepted:
	case <-released:
		t.Fatal("released before all connections were up")
	case <-time.After(60 * time.Second):
		t.Fatalf("%d connections not up within 60s: %v", n, acc.err())
	}
	// Let the handshake goroutines end. The links' own goroutines are
	// counted: not the one sweep a console runs for all its links.
	after := sampleMemory()
	own := func() int { return after.goroutines - before.goroutines - sharedGoroutines() }
	for deadline := time.Now().Add(5 * time.Second); own() > n && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
		after = sampleMemory()
	}
	if path := os.Getenv(envHeapProfile); path != "" {
		if err := writeHeapProfile(path + "." + mode); err != nil {
			t.Error(err)
		}
	}
	fmt.Printf("%s heap=%d stack=%d rss=%d goroutines=%d\n", lineResult,
		int64(after.heapInuse)-int64(before.heapInuse), int64(after.stackInuse)-int64(before.stackInuse),
		int64(after.rss)-int64(before.rss), own())

	select {
	case <-released:
	case <-time.After(childHoldLimit):
		t.Fatalf("parent did not release the connections within %s", childHoldLimit)
	}
}

func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}

// TestBenchDialerChild is not a test: it is the dialing child process of
// BenchmarkIdleLinkMemory and skips itself unless started as one. It dials
// LANYARD_BENCH_LINKS connections to LANYARD_BENCH_ADDR (Lanyard links,
// started, or bare TLS connections), prints a ready line, holds them until
// its stdin closes, then closes them.
func TestBenchDialerChild(t *testing.T) {
	mode, n := childSetup(t, "dial")
	addr := os.Getenv(envAddr)
	released := stdinClosed()

	var (
		mu      sync.Mutex
		closers []func()
	)
	defer func() {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range closers {
			c()
		}
	}()

	var err error
	if mode == "lanyard" {
		agents := benchDialer(t, true, addr)
		h := &benchHandler{}
		err = runConcurrently(n, benchWorkers, func() error {
			l, err := agents.Dial(context.Background())
			if err != nil {
				return err
			}
			l.Start(h, nil)
			mu.Lock()
			closers = append(closers, func() { closeLink(l); <-l.Done() })
			mu.Unlock()
			return nil
		})
	} else {
		_, cfg := bareTLSConfigs(newIdentity(t, pb.Role_ROLE_AGENT).Certificate)
		err = runConcurrently(n, benchWorkers, func() error {
			raw, err := net.DialTimeout("tcp", addr, 10*time.Second)
			if err != nil {
				return err
			}
			c := tls.Client(raw, cfg)
			_ = c.SetDeadline(time.Now().Add(10 * time.Second))
			if err := c.Handshake(); err != nil {
				_ = raw.Close()
				return err
			}
			_ = c.SetDeadline(time.Time{})
			mu.Lock()
			closers = append(closers, func() { _ = c.Close() })
			mu.Unlock()
			return nil
		})
	}
	if err != nil {
		t.Fatalf("dialing %s: %v", addr, err)
	}
	fmt.Printf("%s %d\n", lineReady, n)

	select {
	case <-released:
	case <-time.After(childHoldLimit):
		t.Fatalf("parent did not release the connections within %s", childHoldLimit)
	}
}

// childProc is a running child test process. Its output is read only while
// waiting for a line, so no goroutine of this process serves it meanwhile.
type childProc struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	out    *os.File
	br     *bufio.Reader
	output strings.Builder // everything it printed, for error reports
	once   sync.Once
	err    error
}

// startChild runs test (one of the Test*Child functions) in a child process
// with env added to this process's environment. It is stopped when the
// benchmark ends, if not before.
func startChild(tb testing.TB, test string, env ...string) *childProc {
	tb.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+test+"$", "-test.count=1", "-test.timeout=5m")
	cmd.Env = append(os.Environ(), env...)
	r, w, err := os.Pipe()
	if err != nil {
		tb.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = w, w
	stdin, err := cmd.StdinPipe()
	if err != nil {
		_ = r.Close()
		_ = w.Close()
		tb.Fatal(err)
	}
	err = cmd.Start()
	_ = w.Close()
	if err != nil {
		_ = r.Close()
		tb.Fatal(err)
	}
	c := &childProc{cmd: cmd, stdin: stdin, out: r, br: bufio.NewReader(r)}
	tb.Cleanup(func() { _ = c.stop() })
	return c
}

// waitLine waits for a line starting with prefix and returns the rest.
func (c *childProc) waitLine(tb testing.TB, prefix string, within time.Duration) string {
	tb.Helper()
	_ = c.out.SetReadDeadline(time.Now().Add(within))
	for {
		line, err := c.br.ReadString('\n')
		c.output.WriteString(line)
		if rest, ok := strings.CutPrefix(line, prefix); ok && err == nil {
			return strings.TrimSpace(rest)
		}
		if err != nil {
			_ = c.stop()
			tb.Fatalf("child %s: no %s line (%v):\n%s", c.cmd.Args[1], prefix, err, c.output.String())
		}
	}
}

// stop closes the child's stdin, so it closes its connections and exits,
// and waits for it (killing it after 30 s). It reports a failed child.
func (c *childProc) stop() error {
	c.once.Do(func() {
		_ = c.stdin.Close()
		_ = c.out.SetReadDeadline(time.Now().Add(30 * time.Second))
		if _, err := io.Copy(&c.output, c.br); err != nil {
			_ = c.cmd.Process.Kill()
		}
		err := c.cmd.Wait()
		_ = c.out.Close()
		if err != nil {
			c.err = fmt.Errorf("child %s: %w:\n%s", c.cmd.Args[1], err, c.output.String())
		}
	})
	return c.err
}
