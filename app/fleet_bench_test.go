package app_test

import (
	"bufio"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lanyard/lanyard/app"
	"github.com/lanyard/lanyard/core/link"
	"github.com/lanyard/lanyard/internal/benchtable"
)

// BenchmarkFleet: the real console (`lanyard serve`) and a simulated
// fleet (`lanyard-agent simulate`, niced, as its agents would be on other
// machines) on this machine's loopback, every agent from its own address,
// with SSL. In order: the fleet's entries imported with keys; the console
// idle without links; the first link of the unpinned fleet; memory and
// CPU per idle link once the links settled; kill -9 of the console and
// the relink storm; the records that storm wrote; the console stopped
// while it holds the fleet. The baselines, measured in the same run: an
// export of the same entries, the console without links, and bare
// crypto/tls 1.3 connections (their handshake rate, and their memory in
// a process that holds only them).
//
// The full form measures a fleet of 10,000 and then one of 19,000 (the
// sizes DESIGN §7 sets targets for); the quick form one of 1,000;
// BENCH_FLEET=N one of N. Only the 50,000 links are projected (from the
// measured memory and CPU per link, links-projected); a run that does not
// measure 19,000 projects its 19,000 figures linearly from a fleet of
// 5,000 or more, and names them so (-19k-projected).
func BenchmarkFleet(b *testing.B) {
	sizes := benchtable.Pick([]int{1000}, []int{10000, 19000})
	if os.Getenv("BENCH_FLEET") != "" {
		sizes = []int{benchtable.FleetSize(b)}
	}
	if _, err := app.RaiseFileLimit(); err != nil {
		b.Fatal(err)
	}
	var figs []benchtable.Figure
	for i, n := range sizes {
		// Each fleet dials from addresses of its own.
		figs = append(figs, benchFleet(b, n, fmt.Sprintf("127.%d.0.1", 3+2*i), !slices.Contains(sizes, 19000))...)
	}
	benchtable.Report(b, figs...)
}

// benchFleet measures a fleet of n and returns its figures, with the
// 19,000 ones projected from it when project is set.
func benchFleet(b *testing.B, n int, sourceBase string, project bool) []benchtable.Figure {
	benchtable.Settle()
	// Idle CPU is measured over whole heartbeats: the links of a storm
	// ping in a bunch once a heartbeat, so a window of 1.33 heartbeats
	// counted one bunch or two depending on where it fell (0.45 and
	// 0.6 %/1k in two quiet runs of the same build). Two heartbeats (30 s)
	// are also three of the console's 10 s health checks.
	idleWindow := benchtable.Pick(time.Duration(1), 2) * link.DefaultHeartbeat
	within := time.Duration(60+n/100) * time.Second

	tlsRate, tlsRSS := bareTLS(b, n)

	r := newFleetRig(b, n, sourceBase)
	file := r.entries()
	imported := r.importEntries(file)
	began := time.Now()
	mustRun(b, "", r.consoleBin, "slave", "export", "--with-keys", "--data-dir", r.dir, file+".out.csv")
	exported := time.Since(began)

	// The console alone: its memory and CPU without links, and its stop.
	empty := r.startConsole()
	rss0 := rssOf(b, empty.cmd.Process.Pid)
	cpu0 := cpuOver(b, empty.cmd.Process.Pid, idleWindow)
	stop0 := empty.stop()

	// The first link of the unpinned fleet, all at once.
	c := r.startConsole()
	sim := r.startFleet()
	defer sim.stop() // before the next fleet starts
	sim.waitFor("the fleet started", within, func(l simLine) bool { return l.Started })
	zero := time.Now()
	c.waitLinked(n, within)
	firstLink := time.Since(zero)
	sim.waitFor("every agent linked", within, func(l simLine) bool { return l.Linked == n })

	// Settled: the console returned the storm's memory (n ≥ 500).
	if n >= 500 {
		c.waitMessage("links settled", within)
	}
	rss1 := rssOf(b, c.cmd.Process.Pid)
	cpu1 := cpuOver(b, c.cmd.Process.Pid, idleWindow)

	// Power cut: kill -9, start again, every slave comes back by itself.
	c.kill()
	c = r.startConsole()
	relink := c.waitLinked(n, within, 99, 100)
	stormEnd := c.started.Add(relink[1])
	sim.waitFor("every agent linked again", within, func(l simLine) bool { return l.Linked == n && l.Links == n })
	if n >= 500 {
		c.waitMessage("links settled", within)
	}
	stop1 := c.stop()
	records := recordsBetween(b, r, c.started, stormEnd.Add(time.Second))
	stormSeconds := relink[1].Seconds() + 1

	perLinkKiB := float64(rss1-rss0) / float64(n) / 1024
	// All the console's CPU with the links, per 1,000: its own idle work
	// (the baseline, without links) is counted in, not taken out.
	cpuPer1k := cpu1 / (float64(n) / 1000)
	bareHandshakes := func(links int) float64 { return float64(links) / tlsRate }
	seconds := func(d time.Duration) float64 { return d.Seconds() }
	scale19k := 19000 / float64(n)
	projected := projectLinks(perLinkKiB, cpuPer1k)

	fleet := func(name string) string { return fmt.Sprintf("%s-%dk", name, n/1000) }
	fig := func(name string, v float64, unit string, base float64, target benchtable.Target) benchtable.Figure {
		return benchtable.Figure{Name: name, Value: v, Unit: unit, Baseline: base, Target: target}
	}
	p99, all := relinkTargets(n)
	figs := []benchtable.Figure{
		fig(fleet("links-held"), float64(n), "links", float64(n), benchtable.RatioAtLeast(1)),
		fig(fleet("links-projected"), projected, "links", float64(n), benchtable.AtLeast(50000, "")),
		fig(fleet("import-with-keys"), seconds(imported), "s", seconds(exported), benchtable.AtMost(10/scale19k, "s")),
		fig(fleet("first-link-unpinned"), seconds(firstLink), "s", bareHandshakes(n), benchtable.AtMost(30, "s")),
		fig(fleet("console-idle-rss"), perLinkKiB, "KiB/link", tlsRSS/1024, benchtable.RatioAtMost(1.15)),
		fig(fleet("console-idle-cpu"), cpuPer1k, "%core/1k-links", cpu0, benchtable.AtMost(0.5, "%")),
		fig(fleet("relink-after-kill9-p99"), seconds(relink[0]), "s", bareHandshakes(n), p99),
		fig(fleet("relink-after-kill9-all"), seconds(relink[1]), "s", bareHandshakes(n), all),
		// One record per slave linked, one counted record per second of the
		// storm, and the one the console writes when it starts listening
		// (it starts whether or not a storm follows).
		fig(fleet("log-records-per-storm"), float64(records), "records", float64(n), benchtable.BaselinePlus(stormSeconds+1, "")),
		fig(fleet("console-stop-holding"), seconds(stop1), "s", seconds(stop0), benchtable.AtMost(2, "s")),
	}
	// A small fleet's times are mostly fixed delays (the first redial after
	// a second): projected from 5,000 agents and more only.
	if project && n >= 5000 {
		figs = append(figs,
			fig("import-with-keys-19k-projected", seconds(imported)*scale19k, "s", seconds(exported)*scale19k, benchtable.AtMost(10, "s")),
			fig("first-link-unpinned-19k-projected", seconds(firstLink)*scale19k, "s", bareHandshakes(19000), benchtable.AtMost(30, "s")),
			fig("relink-after-kill9-all-19k-projected", seconds(relink[1])*scale19k, "s", bareHandshakes(19000), benchtable.AtMost(30, "s")))
	}
	return figs
}

// relinkTargets are DESIGN §7's for the relink of a fleet of n: 99 %
// within 10 s and all within 15 s up to 10,000 (and at sizes in between,
// measured while iterating); all within 30 s at 19,000 and above, where
// the 99 % has no target of its own and is shown for comparison.
func relinkTargets(n int) (p99, all benchtable.Target) {
	if n >= 19000 {
		return benchtable.Target{}, benchtable.AtMost(30, "s")
	}
	return benchtable.AtMost(10, "s"), benchtable.AtMost(15, "s")
}

// projectLinks is how many idle links this machine could hold, by its
// memory (half of it for the console) and by one core's CPU (half of it
// for idle links), whichever is fewer.
func projectLinks(perLinkKiB, cpuPer1k float64) float64 {
	memKiB := float64(memTotalKiB()) / 2
	byMemory, byCPU := memKiB/max(perLinkKiB, 0.001), 50/max(cpuPer1k, 0.0001)*1000
	return min(byMemory, byCPU)
}

func memTotalKiB() int64 {
	b, _ := os.ReadFile("/proc/meminfo")
	for line := range strings.Lines(string(b)) {
		var kib int64
		if _, err := fmt.Sscanf(line, "MemTotal: %d kB", &kib); err == nil {
			return kib
		}
	}
	return 0
}

// rssOf is a process's resident anonymous memory in bytes.
func rssOf(tb testing.TB, pid int) int64 {
	tb.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		tb.Fatal(err)
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, "RssAnon:"); ok {
			if kib, err := strconv.ParseInt(strings.Fields(rest)[0], 10, 64); err == nil {
				return kib << 10
			}
		}
	}
	tb.Fatalf("no RssAnon for process %d", pid)
	return 0
}

// cpuOver is the share of one core (in %) a process used over window.
func cpuOver(tb testing.TB, pid int, window time.Duration) float64 {
	tb.Helper()
	ticks := func() float64 {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			tb.Fatal(err)
		}
		s := string(b)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:]) // from field 3, state
		u, _ := strconv.ParseFloat(f[11], 64)                    // field 14, utime
		k, _ := strconv.ParseFloat(f[12], 64)                    // field 15, stime
		return u + k
	}
	began, t0 := time.Now(), ticks()
	<-time.After(window)                                            // the window itself is the measurement
	return (ticks() - t0) / 100 / time.Since(began).Seconds() * 100 // USER_HZ is 100
}

// recordsBetween counts the console's connection-log records in [from, to].
func recordsBetween(tb testing.TB, r *fleetRig, from, to time.Time) int {
	tb.Helper()
	out := mustRun(tb, "", r.consoleBin, "log", "--json", "--data-dir", r.dir)
	n := 0
	for line := range strings.Lines(out) {
		var rec struct {
			Time time.Time `json:"time"`
		}
		if json.Unmarshal([]byte(line), &rec) == nil && !rec.Time.Before(from) && !rec.Time.After(to) {
			n++
		}
	}
	return n
}

// bareTLS is the baseline of bare crypto/tls 1.3: n connections dialed
// from 8 goroutines here to a child process that holds only them, idle in
// Read; it returns their handshakes per second and the child's resident
// memory per connection (bytes), after a GC that returned free memory.
func bareTLS(b *testing.B, n int) (rate, perConn float64) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestBareTLSHolderChild$", "-test.v")
	cmd.Env = append(os.Environ(), envTLSHolder+"="+strconv.Itoa(n))
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { _ = stdin.Close(); _ = cmd.Wait() }()
	lines := bufio.NewScanner(stdout)
	expect := func(prefix string) string {
		for lines.Scan() {
			if rest, ok := strings.CutPrefix(lines.Text(), prefix); ok {
				return rest
			}
		}
		b.Fatalf("the bare TLS child ended before %q", prefix)
		return ""
	}
	addr := expect("addr ")
	rss0, _ := strconv.ParseFloat(expect("rss "), 64)

	conns := make([]*tls.Conn, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	var failed atomic.Value
	cfg := &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS13} // a baseline: no identity to check
	began := time.Now()
	for range 8 {
		wg.Go(func() {
			for i := next.Add(1) - 1; i < int64(n); i = next.Add(1) - 1 {
				c, err := tls.Dial("tcp", addr, cfg)
				if err != nil {
					failed.Store(err)
					return
				}
				conns[i] = c
			}
		})
	}
	wg.Wait()
	took := time.Since(began)
	defer func() {
		for _, c := range conns {
			if c != nil {
				_ = c.Close()
			}
		}
	}()
	if err, _ := failed.Load().(error); err != nil {
		b.Fatalf("bare TLS: %v", err)
	}
	rss1, _ := strconv.ParseFloat(expect("held "), 64)
	return float64(n) / took.Seconds(), (rss1 - rss0) / float64(n)
}

const envTLSHolder = "LANYARD_BENCH_TLS_HOLDER"

// TestBareTLSHolderChild is not a test: it is BenchmarkFleet's baseline
// process and skips itself unless started as one. It listens with TLS 1.3,
// prints its address and its memory, takes LANYARD_BENCH_TLS_HOLDER
// connections, each idle in Read on the goroutine that did its handshake,
// prints its memory again and holds them until its stdin closes.
func TestBareTLSHolderChild(t *testing.T) {
	n, err := strconv.Atoi(os.Getenv(envTLSHolder))
	if err != nil {
		t.Skip("BenchmarkFleet's child process")
	}
	if _, err := app.RaiseFileLimit(); err != nil {
		t.Fatal(err)
	}
	certPEM, keyPEM, err := link.NewCertificate("bare tls")
	if err != nil {
		t.Fatal(err)
	}
	cert, _, err := link.LoadCertificate(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS13})
	if err != nil {
		t.Fatal(err)
	}
	rss := func() int64 {
		runtime.GC()
		debug.FreeOSMemory()
		return rssOf(t, os.Getpid())
	}
	fmt.Printf("addr %s\nrss %d\n", ln.Addr(), rss())
	var wg sync.WaitGroup
	held := make(chan struct{}, n)
	var conns []*tls.Conn
	for range n {
		c, err := ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		tc := c.(*tls.Conn)
		conns = append(conns, tc)
		wg.Go(func() {
			if tc.Handshake() != nil {
				return
			}
			held <- struct{}{}
			var buf [1]byte
			for {
				if _, err := tc.Read(buf[:]); err != nil {
					return
				}
			}
		})
	}
	for range n {
		<-held
	}
	fmt.Printf("held %d\n", rss())
	_, _ = bufio.NewReader(os.Stdin).ReadByte() // until the benchmark is done
	_ = ln.Close()
	for _, c := range conns {
		_ = c.Close()
	}
	wg.Wait()
}
