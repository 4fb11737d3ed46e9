package app_test

// A simulated fleet against the real console: `lanyard serve` and
// `lanyard-agent simulate`, both real binaries, on loopback. The kill -9
// test below and the fleet benchmark (fleet_bench_test.go) share it.

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/lanyard/lanyard/app"
	"github.com/lanyard/lanyard/core/human"
	"github.com/lanyard/lanyard/internal/benchtable"
)

// consoleRun is one run of `lanyard serve`, whose log is watched for the
// slaves it links.
type consoleRun struct {
	tb      testing.TB
	cmd     *exec.Cmd
	started time.Time
	mu      sync.Mutex
	changed chan struct{} // closed and replaced at every change
	linked  map[string]time.Time
	counts  map[string]int // log lines by event
	msgs    []string       // messages without an event, in order
	addr    string
	exited  chan struct{}
}

// fleetRig is a console data directory and the fleet that links to it.
type fleetRig struct {
	tb         testing.TB
	consoleBin string
	agentBin   string
	dir        string
	n          int
	seed       string
	sourceBase string
	port       int
	sim        *simRun
	// fileLimit, when set, is the open-file limit (soft and hard) the
	// simulated fleet runs under.
	fileLimit int
}

// newFleetRig makes a console listening with SSL on 127.0.0.1 and the
// import file of a fleet of n agents dialing it from sourceBase and up.
func newFleetRig(tb testing.TB, n int, sourceBase string) *fleetRig {
	tb.Helper()
	c, a := binaries(tb)
	r := &fleetRig{tb: tb, consoleBin: c, agentBin: a, dir: tb.TempDir(), n: n, seed: "fleet " + sourceBase, sourceBase: sourceBase}
	mustRun(tb, "", c, "settings", "set", "--data-dir", r.dir, "--listen", "127.0.0.1:0", "--ssl", "on")
	return r
}

// entries writes the fleet's import file (with keys) and returns its path.
func (r *fleetRig) entries() string {
	r.tb.Helper()
	file := filepath.Join(r.tb.TempDir(), "fleet.csv")
	mustRun(r.tb, "", r.agentBin, "simulate", "--count", strconv.Itoa(r.n), "--master", "127.0.0.1:1",
		"--seed", r.seed, "--entries-out", file, "--entries-only")
	return file
}

// importEntries runs `lanyard slave import` and returns how long it took.
func (r *fleetRig) importEntries(file string) time.Duration {
	r.tb.Helper()
	began := time.Now()
	out := mustRun(r.tb, "", r.consoleBin, "slave", "import", "--data-dir", r.dir, file)
	took := time.Since(began)
	if !strings.Contains(out, "added "+human.Count(r.n)+" of ") {
		r.tb.Fatalf("import of %d entries said:\n%s", r.n, out)
	}
	return took
}

// startConsole starts `lanyard serve`; after the first run, on the port
// the first run listened on, so that the fleet finds it again.
func (r *fleetRig) startConsole() *consoleRun {
	r.tb.Helper()
	if r.port != 0 {
		mustRun(r.tb, "", r.consoleBin, "settings", "set", "--data-dir", r.dir, "--listen", "127.0.0.1:"+strconv.Itoa(r.port))
	}
	c := &consoleRun{tb: r.tb, changed: make(chan struct{}), linked: map[string]time.Time{}, counts: map[string]int{}, exited: make(chan struct{})}
	c.cmd = exec.Command(r.consoleBin, "serve", "--data-dir", r.dir, "--log-json")
	c.cmd.Env = append(os.Environ(), "LANG=en_US.UTF-8")
	stderr, err := c.cmd.StderrPipe()
	if err != nil {
		r.tb.Fatal(err)
	}
	var log io.Reader = stderr
	if dir := os.Getenv("LANYARD_FLEET_LOG_DIR"); dir != "" {
		// A copy of each console run's log, to read after a slow run.
		f, err := os.Create(filepath.Join(dir, fmt.Sprintf("console-%s.log", time.Now().Format("150405.000"))))
		if err != nil {
			r.tb.Fatal(err)
		}
		r.tb.Cleanup(func() { _ = f.Close() })
		log = io.TeeReader(stderr, f)
	}
	c.started = time.Now()
	if err := c.cmd.Start(); err != nil {
		r.tb.Fatal(err)
	}
	go c.watch(log)
	r.tb.Cleanup(c.kill)
	c.waitFor("its listening address", 30*time.Second, func() bool { return c.addr != "" })
	if r.port == 0 {
		_, p, _ := net.SplitHostPort(c.addr)
		r.port, _ = strconv.Atoi(p)
	}
	return c
}

func (c *consoleRun) watch(stderr io.Reader) {
	defer close(c.exited)
	sc := bufio.NewScanner(stderr)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var l logLine
		if json.Unmarshal(sc.Bytes(), &l) != nil {
			continue
		}
		now := time.Now()
		c.mu.Lock()
		c.counts[l.Event]++
		switch {
		case l.Event == "connected":
			if _, ok := c.linked[l.Slave]; !ok {
				c.linked[l.Slave] = now
			}
		case l.Event == "listening" && c.addr == "":
			if m := addrRE.FindStringSubmatch(l.Msg); m != nil {
				c.addr = m[1]
			}
		case l.Event == "":
			c.msgs = append(c.msgs, l.Msg)
		}
		close(c.changed)
		c.changed = make(chan struct{})
		c.mu.Unlock()
	}
}

// waitFor waits until ok holds (checked under the lock at every log line).
func (c *consoleRun) waitFor(what string, within time.Duration, ok func() bool) {
	c.tb.Helper()
	deadline := time.NewTimer(within)
	defer deadline.Stop()
	for {
		c.mu.Lock()
		done, changed := ok(), c.changed
		c.mu.Unlock()
		if done {
			return
		}
		select {
		case <-changed:
		case <-c.exited:
			c.mu.Lock()
			done = ok()
			c.mu.Unlock()
			if !done {
				c.tb.Fatalf("the console exited before %s", what)
			}
			return
		case <-deadline.C:
			c.mu.Lock()
			n := len(c.linked)
			c.mu.Unlock()
			c.tb.Fatalf("the console showed no %s within %s (%d slaves linked)", what, within, n)
		}
	}
}

// waitLinked waits until n slaves have linked to this run and returns
// when the first p % of them, for each p asked, had (from the start).
func (c *consoleRun) waitLinked(n int, within time.Duration, percents ...int) []time.Duration {
	c.tb.Helper()
	c.waitFor(fmt.Sprintf("%d slaves linked", n), within, func() bool { return len(c.linked) >= n })
	c.mu.Lock()
	times := make([]time.Duration, 0, len(c.linked))
	for _, at := range c.linked {
		times = append(times, at.Sub(c.started))
	}
	c.mu.Unlock()
	return percentiles(times, percents...)
}

// waitMessage waits for a log line without an event that starts with prefix.
func (c *consoleRun) waitMessage(prefix string, within time.Duration) {
	c.tb.Helper()
	c.waitFor(fmt.Sprintf("%q", prefix), within, func() bool {
		for _, m := range c.msgs {
			if strings.HasPrefix(m, prefix) {
				return true
			}
		}
		return false
	})
}

func (c *consoleRun) count(event string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.counts[event]
}

// stop sends SIGTERM and returns how long the console took to exit.
func (c *consoleRun) stop() time.Duration {
	c.tb.Helper()
	began := time.Now()
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.exited:
	case <-time.After(30 * time.Second):
		c.tb.Fatal("the console did not stop within 30s of SIGTERM")
	}
	if err := c.cmd.Wait(); err != nil {
		c.tb.Errorf("the console exited with %v", err)
	}
	return time.Since(began)
}

// kill ends the console with SIGKILL, as a power cut would.
func (c *consoleRun) kill() {
	if c.cmd.ProcessState != nil {
		return
	}
	_ = c.cmd.Process.Kill()
	<-c.exited
	_ = c.cmd.Wait()
}

// simRun is a running `lanyard-agent simulate --json`.
type simRun struct {
	tb      testing.TB
	cmd     *exec.Cmd
	mu      sync.Mutex
	changed chan struct{}
	last    simLine
	exited  chan struct{}
}

// simLine is one of simulate's JSON progress lines.
type simLine struct {
	Agents    int  `json:"agents"`
	Linked    int  `json:"linked"`
	Links     int  `json:"links"`
	Processes int  `json:"processes"`
	Started   bool `json:"started"`
}

// startFleet starts the simulated fleet, niced (its agents would be on
// other machines), dialing the console at 127.0.0.1:port.
func (r *fleetRig) startFleet() *simRun {
	r.tb.Helper()
	s := &simRun{tb: r.tb, changed: make(chan struct{}), exited: make(chan struct{})}
	args := []string{"nice", "-n", "10", r.agentBin, "simulate", "--json", "--count", strconv.Itoa(r.n),
		"--master", "127.0.0.1:" + strconv.Itoa(r.port), "--seed", r.seed, "--source-base", r.sourceBase}
	if r.fileLimit > 0 {
		args = append([]string{"prlimit", fmt.Sprintf("--nofile=%d:%d", r.fileLimit, r.fileLimit)}, args...)
	}
	s.cmd = exec.Command(args[0], args[1:]...)
	s.cmd.Stderr = os.Stderr
	stdout, err := s.cmd.StdoutPipe()
	if err != nil {
		r.tb.Fatal(err)
	}
	if err := s.cmd.Start(); err != nil {
		r.tb.Fatal(err)
	}
	go func() {
		defer close(s.exited)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			var l simLine
			if json.Unmarshal(sc.Bytes(), &l) != nil || l.Agents == 0 {
				continue
			}
			s.mu.Lock()
			s.last = l
			close(s.changed)
			s.changed = make(chan struct{})
			s.mu.Unlock()
		}
	}()
	r.tb.Cleanup(s.stop)
	r.sim = s
	return s
}

// waitFor waits until ok holds for the latest progress line.
func (s *simRun) waitFor(what string, within time.Duration, ok func(simLine) bool) simLine {
	s.tb.Helper()
	deadline := time.NewTimer(within)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		l, changed := s.last, s.changed
		s.mu.Unlock()
		if ok(l) {
			return l
		}
		select {
		case <-changed:
		case <-s.exited:
			s.tb.Fatalf("the simulated fleet exited before %s (last: %+v)", what, l)
		case <-deadline.C:
			s.tb.Fatalf("the simulated fleet showed no %s within %s (last: %+v)", what, within, l)
		}
	}
}

func (s *simRun) stop() {
	if s.cmd.ProcessState != nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(30 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
	_ = s.cmd.Wait()
}

// percentiles of d, each the time by which p % of them were done.
func percentiles(d []time.Duration, ps ...int) []time.Duration {
	slices.Sort(d)
	out := make([]time.Duration, len(ps))
	for i, p := range ps {
		if len(d) == 0 {
			continue
		}
		k := (len(d)*p + 99) / 100
		out[i] = d[max(k, 1)-1]
	}
	return out
}

// TestKillingTheConsoleHoldingAFleetBringsEveryLinkBackOnce: the console
// holds a simulated fleet, is killed with SIGKILL and started again; every
// slave links again by itself, once, and the times are recorded. make
// test-fleet-kill runs it with LANYARD_FLEET_KILL (default 10,000) agents.
func TestKillingTheConsoleHoldingAFleetBringsEveryLinkBackOnce(t *testing.T) {
	n := benchtable.Count(t, "LANYARD_FLEET_KILL", 40)
	within := time.Duration(30+n/200) * time.Second
	r := newFleetRig(t, n, "127.4.0.1")
	r.importEntries(r.entries())
	first := r.startConsole()
	sim := r.startFleet()
	first.waitLinked(n, within)
	sim.waitFor("every agent linked", within, func(l simLine) bool { return l.Linked == n })

	first.kill()
	second := r.startConsole()
	times := second.waitLinked(n, within, 50, 99, 100)
	t.Logf("%d slaves linked again after a kill -9: half within %s, 99 %% within %s, all within %s",
		n, times[0].Round(10*time.Millisecond), times[1].Round(10*time.Millisecond), times[2].Round(10*time.Millisecond))
	l := sim.waitFor("every agent linked once", within, func(l simLine) bool { return l.Linked == n && l.Links == n })
	if l.Links != n {
		t.Errorf("the agents hold %d links for %d agents", l.Links, n)
	}
	if d := second.count("duplicate_link"); d != 0 {
		t.Errorf("the console refused %d duplicate links", d)
	}
	took := second.stop()
	t.Logf("the console stopped in %s holding %d links", took.Round(10*time.Millisecond), n)
	if took > 5*time.Second {
		t.Errorf("the console took %s to stop holding %d links", took, n)
	}
}

// A fleet larger than one process may hold (by its open-file limit) is
// spread over several processes by simulate itself, and every agent
// links, once.
func TestAFleetLargerThanOneProcessMayHoldIsSpreadOverProcesses(t *testing.T) {
	const n, within = 6, 60 * time.Second
	r := newFleetRig(t, n, "127.4.9.1")
	r.fileLimit = app.FilesReserved + 4 // four agents a process
	r.importEntries(r.entries())
	c := r.startConsole()
	sim := r.startFleet()
	c.waitLinked(n, within)
	l := sim.waitFor("every agent linked once", within, func(l simLine) bool { return l.Linked == n && l.Links == n })
	if l.Processes != 2 {
		t.Errorf("%d agents ran in %d processes, want 2 (four a process)", n, l.Processes)
	}
}
