package fleetsim

import (
	"bufio"
	"cmp"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/lanyard/lanyard/core/master"
	"github.com/lanyard/lanyard/internal/benchtable"
	"github.com/lanyard/lanyard/internal/testkit"
)

// BenchmarkCommandsOverAFleet: a real console (core/master) in this
// process, linked with SSL to a simulated fleet in a child process (the
// real `lanyard-agent simulate`), every agent from its own loopback
// address. Two figures, each against plain TCP echo over connections to
// a child process, measured in the same run, so that both cross the same
// process boundary and neither shares its process with the other side:
//
//   - one command (a status request) sent to every slave at once, until
//     the last answer, vs one 64-byte echo on every connection at once;
//   - request round trips at 1,000 requests a second spread over every
//     link (p50 and p99), vs echoes at the same pace over pacedEchoes
//     echo connections, in blocks that take turns with the requests'.
//
// The fleet has BENCH_FLEET agents: 10,000 by default (DESIGN §7's
// targets are for 10,000 links), 1,000 in the quick form. The fan-out's
// echo connections are closed before the fleet starts: one process may
// open 20,000 files here.
func BenchmarkCommandsOverAFleet(b *testing.B) {
	n := benchtable.FleetSize(b)
	paced := benchtable.Pick(3000, 10000) // requests at 1,000/s
	bin := testkit.AgentBinary(b)
	benchtable.Settle()

	// The fan-out's baseline first: echo over n connections to a child
	// process.
	echo := startEchoes(b, n)
	fanOut(b, n, echo.once) // warm up: every connection used once
	base := fanOut(b, n, echo.once)
	echo.close()
	pacedEcho := startEchoes(b, min(n, pacedEchoes))

	// The console here, the fleet in a child process.
	seed := []byte("bench seed")
	rows, err := Entries(Config{Count: n, Seed: seed, Master: "x:1"})
	if err != nil {
		b.Fatal(err)
	}
	m := console(b, rows, true, true)
	within := time.Duration(60+n/100) * time.Second
	startSimulate(b, bin, "--count", strconv.Itoa(n), "--master", m.ListenAddr(), "--seed", string(seed),
		"--source-base", "127.5.0.1", "--ssl", "on", "--duration", (within + 10*time.Minute).String())
	waitLinkedWithin(b, m, n, within)
	names := make([]string, n)
	for i := range names {
		names[i] = Name(DefaultNamePrefix, i)
	}
	ctx := context.Background()
	status := func(i int) error {
		_, err := m.RemoteStatus(ctx, names[i])
		return err
	}
	fanOut(b, n, status) // warm up: every link used once
	took := fanOut(b, n, status)
	plain, lanyard := alternate(b, paced, pacedEcho, n, status)

	us := func(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
	pct := func(d []time.Duration, p int) time.Duration { return d[(len(d)*p+99)/100-1] }
	benchtable.Report(b,
		benchtable.Figure{Name: fmt.Sprintf("command-to-every-link-%dk", n/1000), Value: took.Seconds(), Unit: "s", Baseline: base.Seconds(), Target: benchtable.AtMost(1, "s")},
		benchtable.Figure{Name: "request-round-trip-1k-per-s-p50", Value: us(pct(lanyard, 50)), Unit: "us", Baseline: us(pct(plain, 50)), Target: benchtable.BaselinePlus(100, "us")},
		benchtable.Figure{Name: "request-round-trip-1k-per-s-p99", Value: us(pct(lanyard, 99)), Unit: "us", Baseline: us(pct(plain, 99)), Target: benchtable.AtMost(1000, "us")},
	)
}

// waitLinkedWithin waits until n slaves of the console are connected.
func waitLinkedWithin(tb testing.TB, m *master.Master, n int, within time.Duration) {
	tb.Helper()
	deadline := time.Now().Add(within)
	for m.Linked() < n {
		if time.Now().After(deadline) {
			tb.Fatalf("%d of %d slaves linked within %s", m.Linked(), n, within)
		}
		time.Sleep(50 * time.Millisecond) // polling a count; the deadline bounds it
	}
}

// startSimulate runs `lanyard-agent simulate --json` with args until the
// benchmark ends (or its --duration), passing its warnings through.
func startSimulate(b *testing.B, bin string, args ...string) {
	b.Helper()
	cmd := exec.Command(bin, append([]string{"simulate", "--json"}, args...)...)
	cmd.Stdout = io.Discard // progress lines; the console counts its links
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	b.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	})
}

// fanOut runs fn(i) for every i at once and returns when the last ended.
func fanOut(b *testing.B, n int, fn func(int) error) time.Duration {
	b.Helper()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	began := time.Now()
	for i := range n {
		wg.Go(func() {
			if err := fn(i); err != nil {
				mu.Lock()
				first = cmp.Or(first, err)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	took := time.Since(began)
	if first != nil {
		b.Fatal(first)
	}
	return took
}

// pacedEchoes is how many echo connections the paced baseline uses. They
// stay open beside the fleet's links, so that blocks of echoes and of
// requests can take turns, and one process may open 20,000 files here.
const pacedEchoes = 2000

// alternate paces total echoes over echo and total requests (status) over
// the fleet's links, at 1,000 a second, in ten blocks of each that take
// turns: whatever else the machine does meanwhile falls on both alike. It
// returns the times of each, sorted.
func alternate(b *testing.B, total int, echo *echoes, links int, status func(int) error) (plain, lanyard []time.Duration) {
	b.Helper()
	const blocks = 10
	per := total / blocks
	fanOut(b, len(echo.conns), echo.once) // warm up: every connection used once
	for k := range blocks {
		plain = append(plain, pace(b, per, k*per, len(echo.conns), echo.once)...)
		lanyard = append(lanyard, pace(b, per, k*per, links, status)...)
	}
	slices.Sort(plain)
	slices.Sort(lanyard)
	return plain, lanyard
}

// pace runs total calls of fn, one every millisecond, on link (first+i)
// mod n in turn, and returns each call's time, sorted.
func pace(b *testing.B, total, first, n int, fn func(int) error) []time.Duration {
	b.Helper()
	times := make([]time.Duration, total)
	errs := make(chan error, total)
	var wg sync.WaitGroup
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for i := range total {
		<-tick.C
		wg.Go(func() {
			began := time.Now()
			if err := fn((first + i) % n); err != nil {
				errs <- err
				return
			}
			times[i] = time.Since(began)
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		b.Fatal(err)
	}
	slices.Sort(times)
	return times
}

// echoes is n plain TCP connections to an echo server in a child process.
type echoes struct {
	conns []net.Conn
	mu    []sync.Mutex
	stop  func()
}

func (e *echoes) once(i int) error {
	e.mu[i].Lock()
	defer e.mu[i].Unlock()
	var msg [64]byte
	if _, err := e.conns[i].Write(msg[:]); err != nil {
		return err
	}
	_, err := io.ReadFull(e.conns[i], msg[:])
	return err
}

// close closes the connections and ends the child. Idempotent.
func (e *echoes) close() {
	for _, c := range e.conns {
		_ = c.Close()
	}
	e.conns = nil
	e.stop()
}

const envEchoChild = "LANYARD_BENCH_ECHO_CHILD"

// startEchoes starts this test binary again as the echo server
// (TestEchoServerChild) and opens n connections to it.
func startEchoes(b *testing.B, n int) *echoes {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestEchoServerChild$")
	cmd.Env = append(os.Environ(), envEchoChild+"=1")
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	e := &echoes{mu: make([]sync.Mutex, n)}
	var once sync.Once
	e.stop = func() { once.Do(func() { _ = stdin.Close(); _ = cmd.Wait() }) }
	b.Cleanup(e.close)
	var addr string
	lines := bufio.NewScanner(stdout)
	for addr == "" && lines.Scan() {
		addr, _ = strings.CutPrefix(lines.Text(), "addr ")
	}
	if addr == "" {
		b.Fatal("the echo server's process ended before it said where it listens")
	}
	go func() { _, _ = io.Copy(io.Discard, stdout) }()
	for range n {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			b.Fatal(err)
		}
		e.conns = append(e.conns, c)
	}
	return e
}

// TestEchoServerChild is not a test: it is BenchmarkCommandsOverAFleet's
// baseline process and skips itself unless started as one. It prints
// where it listens, echoes 64-byte messages on every connection, each on
// its own goroutine (as a link's reader is), and stops when its stdin
// closes.
func TestEchoServerChild(t *testing.T) {
	if os.Getenv(envEchoChild) == "" {
		t.Skip("BenchmarkCommandsOverAFleet's child process")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("addr %s\n", ln.Addr())
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		served []net.Conn
	)
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			served = append(served, c)
			mu.Unlock()
			wg.Go(func() {
				var buf [64]byte
				for {
					if _, err := io.ReadFull(c, buf[:]); err != nil {
						return
					}
					if _, err := c.Write(buf[:]); err != nil {
						return
					}
				}
			})
		}
	})
	_, _ = io.Copy(io.Discard, os.Stdin) // until the benchmark is done
	_ = ln.Close()
	mu.Lock()
	for _, c := range served {
		_ = c.Close()
	}
	mu.Unlock()
	wg.Wait()
}
