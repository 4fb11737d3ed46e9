package app_test

// End-to-end tests: the real `lanyard serve` and `lanyard-agent run`
// binaries, linked over loopback, observed through their JSON logs and the
// console's connection log.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	binDir    string
	buildErr  error

	// built are the directories this test binary built programs into, for
	// TestMain to remove: each holds some 50 MB.
	builtMu sync.Mutex
	built   []string
)

// builtInto notes a directory of built programs to remove at the end.
func builtInto(dir string) {
	builtMu.Lock()
	defer builtMu.Unlock()
	built = append(built, dir)
}

// removeBuilt removes what builtInto noted.
func removeBuilt() {
	builtMu.Lock()
	defer builtMu.Unlock()
	for _, dir := range built {
		_ = os.RemoveAll(dir)
	}
	built = nil
}

// binaries builds bin/lanyard and bin/lanyard-agent once per test run, or
// uses LANYARD_BIN_DIR when the Makefile has built them already.
func binaries(t testing.TB) (console, agent string) {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end tests build and run the real binaries")
	}
	buildOnce.Do(func() {
		if dir := os.Getenv("LANYARD_BIN_DIR"); dir != "" {
			binDir = dir
			return
		}
		binDir, buildErr = os.MkdirTemp("", "lanyard-e2e-bin-")
		if buildErr != nil {
			return
		}
		builtInto(binDir)
		for _, b := range []struct{ out, pkg string }{
			{"lanyard", "github.com/lanyard/lanyard"},
			{"lanyard-agent", "github.com/lanyard/lanyard/service/lanyard-agent"},
		} {
			cmd := exec.Command("go", "build", "-o", filepath.Join(binDir, b.out), b.pkg)
			if b.out == "lanyard-agent" {
				cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
			}
			if out, err := cmd.CombinedOutput(); err != nil {
				buildErr = fmt.Errorf("go build %s: %v\n%s", b.pkg, err, out)
				return
			}
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return filepath.Join(binDir, "lanyard"), filepath.Join(binDir, "lanyard-agent")
}

// logLine is one JSON line from logrus.
type logLine struct {
	Level  string `json:"level"`
	Msg    string `json:"msg"`
	Event  string `json:"event"`
	Slave  string `json:"slave"`
	Remote string `json:"remote"`
	Result string `json:"result"` // run_finished
}

// proc is a running binary whose JSON log lines can be awaited.
type proc struct {
	t     *testing.T
	name  string
	cmd   *exec.Cmd
	mu    sync.Mutex
	lines []logLine
	raw   []string
	more  chan struct{}
	done  chan struct{}
}

func start(t *testing.T, name, bin string, args ...string) *proc {
	t.Helper()
	return startEnv(t, name, nil, bin, args...)
}

// startEnv is start with more environment variables.
func startEnv(t *testing.T, name string, env []string, bin string, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(bin, append(args, "--log-json")...)
	cmd.Env = append(append(os.Environ(), "LANG=en_US.UTF-8"), env...)
	return startCmd(t, name, cmd)
}

// startCmd starts a prepared command whose arguments end with --log-json.
func startCmd(t *testing.T, name string, cmd *exec.Cmd) *proc {
	t.Helper()
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &proc{t: t, name: name, cmd: cmd, more: make(chan struct{}, 1), done: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(p.done)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			var l logLine
			text := sc.Text()
			p.mu.Lock()
			p.raw = append(p.raw, text)
			if json.Unmarshal([]byte(text), &l) == nil {
				p.lines = append(p.lines, l)
			}
			p.mu.Unlock()
			select {
			case p.more <- struct{}{}:
			default:
			}
		}
	}()
	t.Cleanup(func() { p.kill() })
	return p
}

// waitLog waits until a log line matches.
func (p *proc) waitLog(what string, ok func(logLine) bool, within time.Duration) logLine {
	p.t.Helper()
	return p.waitLogFrom(0, what, ok, within)
}

// mark is where the log is now: waitLogFrom(mark, …) looks only at what
// comes after.
func (p *proc) mark() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.lines)
}

// waitLogFrom waits until a log line from the from'th on matches.
func (p *proc) waitLogFrom(from int, what string, ok func(logLine) bool, within time.Duration) logLine {
	p.t.Helper()
	deadline := time.NewTimer(within)
	defer deadline.Stop()
	seen := from
	for {
		p.mu.Lock()
		lines := p.lines[seen:]
		seen = len(p.lines)
		p.mu.Unlock()
		for _, l := range lines {
			if ok(l) {
				return l
			}
		}
		select {
		case <-p.more:
		case <-p.done:
			p.mu.Lock()
			n := len(p.lines)
			p.mu.Unlock()
			if n == seen {
				p.t.Fatalf("%s exited before logging %s:\n%s", p.name, what, p.dump())
			}
		case <-deadline.C:
			p.t.Fatalf("%s logged no %s within %s:\n%s", p.name, what, within, p.dump())
		}
	}
}

func (p *proc) event(ev, slave string, within time.Duration) logLine {
	p.t.Helper()
	return p.eventFrom(0, ev, slave, within)
}

// eventFrom is event among the lines after a mark.
func (p *proc) eventFrom(from int, ev, slave string, within time.Duration) logLine {
	p.t.Helper()
	return p.waitLogFrom(from, ev+" "+slave, func(l logLine) bool {
		return l.Event == ev && (slave == "" || strings.EqualFold(l.Slave, slave))
	}, within)
}

func (p *proc) dump() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.raw, "\n")
}

var addrRE = regexp.MustCompile(`on (127\.0\.0\.1:\d+)`)

// listenAddr waits for the "listening on ADDR" line and returns ADDR.
func (p *proc) listenAddr() string {
	p.t.Helper()
	l := p.event("listening", "", 10*time.Second)
	m := addrRE.FindStringSubmatch(l.Msg)
	if m == nil {
		p.t.Fatalf("no address in %q", l.Msg)
	}
	return m[1]
}

// stop sends SIGTERM and waits for a clean exit.
func (p *proc) stop() {
	p.t.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		p.t.Fatalf("%s did not stop within 10s of SIGTERM", p.name)
	}
	if err := p.cmd.Wait(); err != nil {
		p.t.Errorf("%s exited with %v:\n%s", p.name, err, p.dump())
	}
}

func (p *proc) kill() {
	if p.cmd.ProcessState == nil {
		_ = p.cmd.Process.Kill()
		<-p.done
		_ = p.cmd.Wait()
	}
}

// run runs a CLI command to completion with stdin and returns its output.
func run(t testing.TB, stdin string, bin string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "LANG=en_US.UTF-8")
	cmd.Stdin = strings.NewReader(stdin)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

func mustRun(t testing.TB, stdin, bin string, args ...string) string {
	t.Helper()
	out, err := run(t, stdin, bin, args...)
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", filepath.Base(bin), args, err, out)
	}
	return out
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

// fleet is a console data dir with helpers for agents around it.
type fleet struct {
	t              *testing.T
	consoleBin     string
	agentBin       string
	consoleDir     string
	ssl            bool
	console        *proc
	consoleAddress string
}

func newFleet(t *testing.T, ssl bool) *fleet {
	c, a := binaries(t)
	f := &fleet{t: t, consoleBin: c, agentBin: a, consoleDir: t.TempDir(), ssl: ssl}
	mustRun(t, "", c, "settings", "set", "--data-dir", f.consoleDir, "--listen", "127.0.0.1:0", "--ssl", onOff(ssl))
	return f
}

func (f *fleet) startConsole() {
	f.console = start(f.t, "console", f.consoleBin, "serve", "--data-dir", f.consoleDir)
	f.consoleAddress = f.console.listenAddr()
}

// agent inits and runs an agent; listen "" means it dials the console.
func (f *fleet) agent(name, password string, ssl bool, listen bool, masters ...string) (*proc, string) {
	return f.agentEnv(nil, name, password, ssl, listen, masters...)
}

// agentEnv is agent with more environment variables for the agent.
func (f *fleet) agentEnv(env []string, name, password string, ssl bool, listen bool, masters ...string) (*proc, string) {
	dir := f.t.TempDir()
	args := []string{"init", "--data-dir", dir, "--name", name, "--password-stdin", "--ssl", onOff(ssl)}
	if listen {
		args = append(args, "--listen", "127.0.0.1:0")
	}
	for _, m := range masters {
		args = append(args, "--master", m)
	}
	mustRun(f.t, password+"\n", f.agentBin, args...)
	p := startEnv(f.t, name, env, f.agentBin, "run", "--data-dir", dir)
	addr := ""
	if listen {
		addr = p.listenAddr()
	}
	return p, addr
}

func (f *fleet) addSlave(name, password string, address string) {
	args := []string{"slave", "add", "--data-dir", f.consoleDir, "--name", name, "--password-stdin"}
	if address == "" {
		args = append(args, "--inbound")
	} else {
		args = append(args, "--address", address)
	}
	mustRun(f.t, password+"\n", f.consoleBin, args...)
}

// connlog reads the console's connection log after it stopped.
func (f *fleet) connlog() []map[string]any {
	out := mustRun(f.t, "", f.consoleBin, "log", "--json", "--data-dir", f.consoleDir)
	var records []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if line == "" || !strings.HasPrefix(line, "{") {
			continue
		}
		var r map[string]any
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			f.t.Fatalf("log --json line %q: %v", line, err)
		}
		records = append(records, r)
	}
	return records
}

func hasRecord(records []map[string]any, event, slave, direction string) bool {
	for _, r := range records {
		if r["event"] == event && strings.EqualFold(fmt.Sprint(r["slave"]), slave) && r["direction"] == direction {
			for _, k := range []string{"time", "remote", "reason"} {
				if fmt.Sprint(r[k]) == "" {
					return false
				}
			}
			return true
		}
	}
	return false
}
