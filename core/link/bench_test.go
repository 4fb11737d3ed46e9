package link

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/lanyard/lanyard/core/wire"
	"github.com/lanyard/lanyard/core/wire/pb"

	"github.com/lanyard/lanyard/internal/benchtable"
)

// Benchmarks for DESIGN §7, run by `make bench`. Each measures its own
// baseline in the same run and prints its figures beside it, with their
// targets, through internal/benchtable. Each does a fixed amount of work
// whatever b.N is (the measurement runs once per call), all on 127.0.0.1.

// ---------------------------------------------------------------------------
// Handshakes per second: Lanyard TLS links vs bare crypto/tls 1.3.

// handshakeRig runs batches of handshakes against one listener and times
// each batch until both ends are done with every connection.
type handshakeRig struct {
	served countdown
	dial   func() error // one handshake, closed after, from the dialing side
	err    func() error // a failure on the listening side, if any
}

// run does n handshakes from benchWorkers dialers and returns how long they
// took, until the listening side had finished the last.
func (r *handshakeRig) run(b *testing.B, n int) time.Duration {
	b.Helper()
	done := r.served.arm(n)
	start := time.Now()
	if err := runConcurrently(n, benchWorkers, r.dial); err != nil {
		b.Fatal(err)
	}
	waitFor(b, done, 20*time.Second, "listening side of the handshakes", r.err)
	elapsed := time.Since(start)
	if err := r.err(); err != nil {
		b.Fatal(err)
	}
	return elapsed
}

// newLanyardHandshakeRig is a console listener and an agent dialer; every
// link is closed as soon as it is up, on both sides.
func newLanyardHandshakeRig(b *testing.B, ssl, resume bool) *handshakeRig {
	r := &handshakeRig{}
	s := listenBench(b, ssl, func(l *Link) {
		l.CloseWith(&Error{Code: wire.CodeNormal, Reason: "benchmark"})
		r.served.hit()
	}, r.served.hit)
	agents := benchDialer(b, ssl, s.Addr().String())
	if !resume {
		// Every dial a first contact: a full handshake, as the baseline's.
		agents.id.clientTLS().ClientSessionCache = nil
	}
	r.err = s.err
	r.dial = func() error {
		l, err := agents.Dial(context.Background())
		if err != nil {
			return err
		}
		closeLink(l)
		return nil
	}
	return r
}

// newBareTLSHandshakeRig is tls.Listen and tls.Client: Handshake, then
// Close. With mutual, the client presents a certificate too and the server
// requires one, as on a Lanyard link.
func newBareTLSHandshakeRig(b *testing.B, mutual bool) *handshakeRig {
	serverCfg, clientCfg := bareTLSConfigs(newIdentity(b, pb.Role_ROLE_MASTER).Certificate)
	if mutual {
		serverCfg.ClientAuth = tls.RequireAnyClientCert
		clientCfg.Certificates = []tls.Certificate{newIdentity(b, pb.Role_ROLE_AGENT).Certificate}
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", serverCfg)
	if err != nil {
		b.Fatal(err)
	}
	r := &handshakeRig{}
	var (
		wg       sync.WaitGroup
		errMu    sync.Mutex
		firstErr error
	)
	r.err = func() error {
		errMu.Lock()
		defer errMu.Unlock()
		return firstErr
	}
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer r.served.hit()
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(10 * time.Second))
				if err := c.(*tls.Conn).Handshake(); err != nil {
					errMu.Lock()
					if firstErr == nil {
						firstErr = fmt.Errorf("bare TLS server: %w", err)
					}
					errMu.Unlock()
				}
			})
		}
	})
	b.Cleanup(func() { _ = ln.Close(); wg.Wait() })
	addr := ln.Addr().String()
	r.dial = func() error {
		raw, err := net.DialTimeout("tcp", addr, 10*time.Second)
		if err != nil {
			return err
		}
		c := tls.Client(raw, clientCfg)
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		err = c.Handshake()
		_ = c.Close()
		return err
	}
	return r
}

// BenchmarkHandshakeRate: authenticated TLS links per second (TCP connect,
// TLS 1.3 with both certificates, Lanyard hello/proof/welcome, close), vs
// bare crypto/tls 1.3 handshakes with the same kind of certificate (server
// certificate only), both from 8 concurrent dialers, both ends in this
// process on 2 cores. The variants alternate in rounds so that all see the
// same machine. Target: ≥ 0.8×. Also reported, without a baseline: Lanyard
// with SSL off (plain-handshakes/s) and bare crypto/tls with a client
// certificate as Lanyard uses (mtls-handshakes/s), which tells how much of
// the gap is TLS client authentication and how much Lanyard's own exchange;
// and Lanyard relinking, its TLS session resumed (resumed-handshakes/s),
// what a fleet coming back after a restart of the console costs. The
// Lanyard figure itself is of full handshakes, as the baseline's are.
func BenchmarkHandshakeRate(b *testing.B) {
	const (
		rounds   = 4
		perRound = 400 // handshakes per variant per round
		warmUp   = 64
	)
	benchtable.Settle()
	lanyard := newLanyardHandshakeRig(b, true, false)
	plain := newLanyardHandshakeRig(b, false, false)
	bare := newBareTLSHandshakeRig(b, false)
	mutual := newBareTLSHandshakeRig(b, true)
	resumed := newLanyardHandshakeRig(b, true, true)
	rigs := []*handshakeRig{bare, lanyard, mutual, plain, resumed}
	for _, r := range rigs {
		r.run(b, warmUp)
	}

	took := make([]time.Duration, len(rigs))
	b.ResetTimer()
	for range rounds {
		for i, r := range rigs {
			took[i] += r.run(b, perRound)
		}
	}
	b.StopTimer()

	n := float64(rounds * perRound)
	rate := func(i int) float64 { return n / took[i].Seconds() }
	b.ReportMetric(rate(2), "mtls-handshakes/s")
	b.ReportMetric(rate(3), "plain-handshakes/s")
	b.ReportMetric(rate(4), "resumed-handshakes/s")
	benchtable.Report(b, benchtable.Figure{Name: "handshake-rate", Value: rate(1), Unit: "handshakes/s",
		Baseline: rate(0), Target: benchtable.RatioAtLeast(0.8)})
}

// ---------------------------------------------------------------------------
// Request round trip: Link.Request("status") vs a 64-byte TCP echo.

// BenchmarkRequestRoundTrip: p50 and p99 of sequential status requests from
// the console to an agent on an established TLS link, vs a 64-byte echo
// over plain TCP on loopback. The two alternate in blocks. Targets: p50 ≤
// echo + 100 µs, p99 ≤ 1 ms. x-baseline is the p50 ratio.
func BenchmarkRequestRoundTrip(b *testing.B) {
	const (
		blocks   = 20
		perBlock = 1000 // 20,000 of each
		warmUp   = 2000
	)
	benchtable.Settle()
	// The console listens, the agent dials in; the console asks.
	accepted := make(chan *Link, 1)
	h := &benchHandler{}
	s := listenBench(b, true, func(l *Link) { accepted <- l }, nil)
	agent, err := benchDialer(b, true, s.Addr().String()).Dial(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	var console *Link
	select {
	case console = <-accepted:
	case <-time.After(10 * time.Second):
		closeLink(agent)
		b.Fatalf("no link on the listening side: %v", s.err())
	}
	agent.Start(h, nil)
	console.Start(h, nil)
	b.Cleanup(func() {
		closeLink(console)
		closeLink(agent)
		<-console.Done()
		<-agent.Done()
	})

	echo, echoClose := startEcho(b)
	b.Cleanup(echoClose)

	ctx := context.Background()
	request := func() (time.Duration, error) {
		var st pb.StatusResponse
		start := time.Now()
		err := console.Request(ctx, wire.MethodStatus, &pb.StatusRequest{}, &st)
		return time.Since(start), err
	}
	var msg, reply [64]byte
	for i := range msg {
		msg[i] = byte(i)
	}
	echoOnce := func() (time.Duration, error) {
		start := time.Now()
		if _, err := echo.Write(msg[:]); err != nil {
			return 0, err
		}
		_, err := io.ReadFull(echo, reply[:])
		return time.Since(start), err
	}
	for range warmUp {
		if _, err := request(); err != nil {
			b.Fatal(err)
		}
		if _, err := echoOnce(); err != nil {
			b.Fatal(err)
		}
	}

	lanyard := make([]time.Duration, 0, blocks*perBlock)
	base := make([]time.Duration, 0, blocks*perBlock)
	b.ResetTimer()
	for range blocks {
		for range perBlock {
			d, err := echoOnce()
			if err != nil {
				b.Fatal(err)
			}
			base = append(base, d)
		}
		for range perBlock {
			d, err := request()
			if err != nil {
				b.Fatal(err)
			}
			lanyard = append(lanyard, d)
		}
	}
	b.StopTimer()

	lanyard, base = sortedCopy(lanyard), sortedCopy(base)
	p50, p99 := percentile(lanyard, 50), percentile(lanyard, 99)
	b50, b99 := percentile(base, 50), percentile(base, 99)
	benchtable.Report(b,
		benchtable.Figure{Name: "request-round-trip-p50", Value: p50, Unit: "us", Baseline: b50, Target: benchtable.BaselinePlus(100, "us")},
		benchtable.Figure{Name: "request-round-trip-p99", Value: p99, Unit: "us", Baseline: b99, Target: benchtable.AtMost(1000, "us")})
}

// startEcho starts a TCP server on loopback that echoes 64-byte messages,
// and returns a connection to it.
func startEcho(b *testing.B) (net.Conn, func()) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
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
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		_ = ln.Close()
		wg.Wait()
		b.Fatal(err)
	}
	return c, func() { _ = c.Close(); _ = ln.Close(); wg.Wait() }
}

// ---------------------------------------------------------------------------
// Memory per idle link on the console.

// idleLinks is how many idle connections the memory benchmark holds: enough
// to drown noise, far below the 20,000 files one process may open.
const idleLinks = 2000

// idleCost is what the accepting process spent per idle connection.
type idleCost struct {
	heap, stack, rss float64 // bytes
	goroutines       float64
}

// measureIdle runs an acceptor child and a dialer child for mode with n
// connections between them, and returns the acceptor's cost per connection.
func measureIdle(b *testing.B, mode string, n int) idleCost {
	b.Helper()
	common := []string{envMode + "=" + mode, envLinks + "=" + strconv.Itoa(n)}
	acceptor := startChild(b, "TestBenchAcceptorChild", append(common, envChild+"=accept")...)
	addr := acceptor.waitLine(b, lineAddr, 30*time.Second)
	dialer := startChild(b, "TestBenchDialerChild", append(common, envChild+"=dial", envAddr+"="+addr)...)
	dialer.waitLine(b, lineReady, 60*time.Second)
	result := acceptor.waitLine(b, lineResult, 60*time.Second)
	var heap, stack, rss, goroutines int64
	if _, err := fmt.Sscanf(result, "heap=%d stack=%d rss=%d goroutines=%d", &heap, &stack, &rss, &goroutines); err != nil {
		b.Fatalf("acceptor result %q: %v", result, err)
	}
	if err := dialer.stop(); err != nil {
		b.Error(err)
	}
	if err := acceptor.stop(); err != nil {
		b.Error(err)
	}
	per := func(v int64) float64 { return float64(v) / float64(n) }
	return idleCost{heap: per(heap), stack: per(stack), rss: per(rss), goroutines: per(goroutines)}
}

// BenchmarkIdleLinkMemory: the console's memory per idle authenticated TLS
// link (started, so with its reader goroutine and its place in the
// liveness sweep), vs a bare crypto/tls server connection idle in Read on
// the goroutine that did its handshake. Each side is measured in a fresh child process holding
// only the accepting ends; another child dials. KiB/link is heap in use
// plus goroutine stacks after a GC (also reported apart, as heap- and
// stack-KiB/link); rss-KiB/link is resident anonymous memory after free
// memory went back to the OS, so it also counts runtime structures off the
// heap such as poll descriptors (kernel socket buffers are in neither).
// goroutines/link should be 1: the link's reader (the console's one sweep
// over all its links for silence is not counted against any one link).
// Target (DESIGN §7): ≤ 1.15×.
//
// LANYARD_BENCH_HEAPPROFILE=file writes the acceptor's heap profile when it
// measures (file.lanyard and file.tls); LANYARD_BENCH_MEMPROFILERATE=1
// records every allocation in it.
func BenchmarkIdleLinkMemory(b *testing.B) {
	lanyard := measureIdle(b, "lanyard", idleLinks)
	bare := measureIdle(b, "tls", idleLinks)

	const kib = 1024
	fig := func(name, unit string, figure, base float64, target benchtable.Target) benchtable.Figure {
		return benchtable.Figure{Name: name, Value: figure, Unit: unit, Baseline: base, Target: target}
	}
	benchtable.Report(b,
		fig("idle-link-memory", "KiB/link", (lanyard.heap+lanyard.stack)/kib, (bare.heap+bare.stack)/kib, benchtable.RatioAtMost(1.15)),
		fig("idle-link-heap", "KiB/link", lanyard.heap/kib, bare.heap/kib, benchtable.Target{}),
		fig("idle-link-stack", "KiB/link", lanyard.stack/kib, bare.stack/kib, benchtable.Target{}),
		fig("idle-link-rss", "KiB/link", lanyard.rss/kib, bare.rss/kib, benchtable.RatioAtMost(1.15)),
		fig("idle-link-goroutines", "goroutines/link", lanyard.goroutines, bare.goroutines, benchtable.AtMost(1, "")))
}
