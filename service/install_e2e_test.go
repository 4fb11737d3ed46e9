//go:build linux

package service

// The real install, on the machine running the test: only as root, and
// only when asked (LANYARD_TEST_INSTALL=1) or on CI (CI=true), because it
// installs, starts, stops and removes a system service. The service has a
// name of its own (lanyard-agent-test-PID), so a real lanyard-agent on the
// machine is left alone.

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lanyard/lanyard/app/cmdline"
	"github.com/lanyard/lanyard/internal/testkit"

	"golang.org/x/sys/unix"

	"github.com/lanyard/lanyard/app"
	"github.com/lanyard/lanyard/core/link"
	"github.com/lanyard/lanyard/core/wire"
	"github.com/lanyard/lanyard/core/wire/pb"
)

func TestInstallStartLinkStopUninstallLeavesNothingBehind(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("installs a real system service: needs root (CI runs as root)")
	}
	if os.Getenv("LANYARD_TEST_INSTALL") != "1" && os.Getenv("CI") != "true" {
		t.Skip("installs a real system service on this machine: set LANYARD_TEST_INSTALL=1 to run it (CI=true does too)")
	}
	begin := time.Now()
	bin := testkit.AgentBinary(t)
	t.Logf("built the agent: %s", time.Since(begin).Round(time.Millisecond))
	// An init script starts the agent in the background and exits; the
	// orphan goes to the nearest subreaper, else pid 1. In a container
	// whose pid 1 reaps nothing a stopped agent would stay a zombie: be
	// the subreaper and reap it, as an init would.
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		t.Logf("cannot become a subreaper (%v): a stopped agent may linger as a zombie", err)
	}
	name := fmt.Sprintf("lanyard-agent-test-%d", os.Getpid())
	data := t.TempDir()
	common := []string{"--data-dir", data, "--service-name", name}
	agent := func(args ...string) string {
		t.Helper()
		start := time.Now()
		out := mustRunBin(t, "", bin, append(args, common...)...)
		t.Logf("lanyard-agent %s (%s):\n%s", args[0], time.Since(start).Round(time.Millisecond), strings.TrimSpace(out))
		return out
	}
	step := time.Now()
	mustRunBin(t, testPassword+"\n", bin, append([]string{"init", "--name", "FS01", "--password-stdin", "--listen", "127.0.0.1:0", "--ssl", "on"}, common...)...)

	t.Logf("init: %s", time.Since(step).Round(time.Millisecond))
	pid := 0
	t.Cleanup(func() {
		// Whatever happened above, take the service away again.
		if out, err := runBin(t, "", bin, append([]string{"uninstall"}, common...)...); err == nil {
			t.Logf("cleanup uninstalled the service:\n%s", out)
		}
		_ = removeSysVLeftovers(name)
		if pid > 0 && syscall.Kill(pid, 0) == nil {
			_ = syscall.Kill(pid, syscall.SIGKILL)
			var ws syscall.WaitStatus
			_, _ = syscall.Wait4(pid, &ws, 0, nil)
		}
	})

	out := agent("install", "--no-firewall")
	if !strings.Contains(out, "run --data-dir "+data) {
		t.Errorf("install does not say what the service runs:\n%s", out)
	}
	st := statusOf(t, bin, common)
	t.Logf("service manager: %s", st.Platform)
	if st.State != StateStopped {
		t.Fatalf("after install the state is %q, want stopped", st.State)
	}
	unitFile := map[string]string{platformSysV: sysvScriptPath(name), platformSystemd: "/etc/systemd/system/" + name + ".service"}[st.Platform]
	if unitFile != "" {
		if _, err := os.Stat(unitFile); err != nil {
			t.Errorf("install wrote no %s: %v", unitFile, err)
		}
	}
	// A second install is refused, and says what to do instead.
	if out, err := runBin(t, "", bin, append([]string{"install", "--no-firewall"}, common...)...); exitCodeOf(err) != cmdline.ExitUsage || !strings.Contains(out, "already installed") {
		t.Errorf("a second install: %v\n%s", err, out)
	}

	agent("start")
	if st := statusOf(t, bin, common); st.State != StateRunning {
		t.Fatalf("after start the state is %q, want running", st.State)
	}
	pidText, err := os.ReadFile(filepath.Join(data, app.AgentDB+".pid"))
	if err != nil {
		t.Fatalf("the running agent wrote no pid file: %v", err)
	}
	if pid, err = strconv.Atoi(strings.TrimSpace(string(pidText))); err != nil {
		t.Fatalf("pid file %q: %v", pidText, err)
	}

	// Follow the agent's log, as a person would, until it listens.
	addr := followUntilListening(t, bin, common)

	step = time.Now()
	l := dialConsole(t, addr, "FS01", testPassword)
	l.Start(nopHandler{}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var status pb.StatusResponse
	if err := l.Request(ctx, wire.MethodStatus, nil, &status); err != nil {
		t.Fatalf("status over the link: %v", err)
	}
	if status.Name != "FS01" || status.AgentVersion == "" {
		t.Errorf("status over the link: %+v", &status)
	}

	t.Logf("a console linked and asked for the status: %s (most of it deriving the key)", time.Since(step).Round(time.Millisecond))
	agent("stop")
	select {
	case <-l.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the console's link stayed open after stop")
	}
	if code := link.CodeOf(l.Err()); code != wire.CodeShuttingDown {
		t.Errorf("the link closed with %v, want shutting_down", l.Err())
	}
	checkExited(t, pid)
	if st := statusOf(t, bin, common); st.State != StateStopped {
		t.Errorf("after stop the state is %q, want stopped", st.State)
	}

	out = agent("uninstall")
	if !strings.Contains(out, "Kept the data directory "+data) {
		t.Errorf("uninstall does not say the data directory is kept:\n%s", out)
	}
	if st := statusOf(t, bin, common); st.State != StateNotInstalled {
		t.Errorf("after uninstall the state is %q", st.State)
	}
	for _, p := range append(sysvLeftovers(name), sysvScriptPath(name), "/etc/systemd/system/"+name+".service") {
		if _, err := os.Lstat(p); err == nil {
			t.Errorf("uninstall left %s behind", p)
		}
	}
	if _, err := os.Stat(filepath.Join(data, app.AgentDB)); err != nil {
		t.Errorf("uninstall removed the data directory (it keeps it on purpose): %v", err)
	}
	t.Logf("init, install, start, link, stop, uninstall: %s", time.Since(begin).Round(time.Millisecond))
}

func statusOf(t *testing.T, bin string, common []string) StatusReport {
	t.Helper()
	out := mustRunBin(t, "", bin, append([]string{"status", "--json"}, common...)...)
	var r StatusReport
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("status --json: %v\n%s", err, out)
	}
	return r
}

func exitCodeOf(err error) int {
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}

var listeningRE = regexp.MustCompile(`listening for consoles on (127\.0\.0\.1:\d+)`)

// followUntilListening runs `logs -f` and returns the address from the
// agent's "listening" line.
func followUntilListening(t *testing.T, bin string, common []string) string {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"logs", "-f", "-n", "0"}, common...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	found := make(chan string, 1)
	scanned := make(chan struct{})
	go func() {
		defer close(scanned)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := listeningRE.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
		}
	}()
	defer func() {
		_ = cmd.Process.Kill()
		<-scanned
		_ = cmd.Wait()
	}()
	select {
	case addr := <-found:
		return addr
	case <-time.After(15 * time.Second):
		t.Fatal("the agent's log showed no listening line within 15s")
		return ""
	}
}

// checkExited checks that the agent's process is gone, reaping it if it
// was left to this test (the subreaper), and that it exited cleanly.
func checkExited(t *testing.T, pid int) {
	t.Helper()
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return // gone, reaped by its parent
	}
	fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
	if len(fields) == 0 || fields[0] != "Z" {
		t.Fatalf("the agent (pid %d) still runs after stop: %s", pid, stat)
	}
	var ws syscall.WaitStatus
	if got, err := syscall.Wait4(pid, &ws, 0, nil); err != nil || got != pid {
		t.Logf("the agent (pid %d) is a zombie of another parent (%v)", pid, err)
		return
	}
	if !ws.Exited() || ws.ExitStatus() != 0 {
		t.Errorf("the agent exited with %v, want a clean exit 0", ws)
	} else {
		t.Logf("reaped the agent (pid %d): exit 0", pid)
	}
}
