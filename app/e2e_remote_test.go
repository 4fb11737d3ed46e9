package app_test

import (
	"bufio"
	"encoding/json"
	"errors"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lanyard/lanyard/internal/freeport"
)

// runExit runs a CLI command and returns its output and exit code.
func runExit(t *testing.T, stdin, bin string, args ...string) (string, int) {
	t.Helper()
	out, err := run(t, stdin, bin, args...)
	var ee *exec.ExitError
	switch {
	case err == nil:
		return out, 0
	case errors.As(err, &ee):
		return out, ee.ExitCode()
	}
	t.Fatalf("%v: %v", args, err)
	return "", -1
}

// deadAddress is a loopback address nothing listens on.
func deadAddress(t *testing.T) string { return freeport.Closed(t) }

func TestTheConsoleCommandLineManagesSlavesThroughTheRunningConsole(t *testing.T) {
	f := newFleet(t, true)
	agent, addr := f.agent("FS01", "first-pw", true, true)
	f.addSlave("FS01", "first-pw", addr)
	f.addSlave("FS09", "pw", deadAddress(t))
	dd := []string{"--data-dir", f.consoleDir}
	cli := func(stdin string, args ...string) (string, int) {
		t.Helper()
		return runExit(t, stdin, f.consoleBin, append(args, dd...)...)
	}

	// Without a running console: one line, exit 1.
	out, code := cli("", "status", "FS01")
	if code != 1 || strings.Count(strings.TrimSpace(out), "\n") != 0 || !strings.Contains(out, "no console is running with the data directory") {
		t.Fatalf("status without a console: exit %d\n%s", code, out)
	}

	f.startConsole()
	f.console.event("connected", "FS01", 15*time.Second)

	// FS09, which nothing answers for, is offline, and the list says why
	// as the window's Overview does.
	f.console.event("dial_failed", "FS09", 15*time.Second)
	if out, code = cli("", "slave", "list"); code != 0 || !regexp.MustCompile(`(?m)^FS09 +offline \(unreachable\) +outbound `).MatchString(out) ||
		!regexp.MustCompile(`(?m)^FS09: nothing is listening on \S+: check that the program there is running`).MatchString(out) {
		t.Fatalf("slave list with FS09 unreachable: exit %d\n%s", code, out)
	}

	out, code = cli("", "status", "FS01", "--json")
	var st struct {
		Slave, State string
		ClockSkew    float64 `json:"clock_skew_ms"`
		Disks        []struct {
			Mountpoint string
			Total      uint64
		}
		Backups struct{ Line string }
	}
	if err := json.Unmarshal([]byte(out), &st); code != 0 || err != nil {
		t.Fatalf("status --json: exit %d, %v\n%s", code, err, out)
	}
	if st.State != "connected" || len(st.Disks) == 0 || st.Disks[0].Total == 0 || st.ClockSkew > 1000 || st.ClockSkew < -1000 ||
		st.Backups.Line != "no backup tasks" {
		t.Fatalf("status %+v", st)
	}
	if out, code = cli("", "status", "FS01"); code != 0 || !strings.Contains(out, "in step with this console") ||
		!strings.Contains(out, "Backups:     no backup tasks") {
		t.Fatalf("status: exit %d\n%s", code, out)
	}

	// The agent's log, its backlog then a live line.
	if out, code = cli("", "agent-log", "--slave", "fs01", "-n", "50"); code != 0 || !strings.Contains(out, "running") {
		t.Fatalf("agent-log: exit %d\n%s", code, out)
	}
	follow := exec.Command(f.consoleBin, "agent-log", "--slave", "FS01", "-f", "-n", "1", "--data-dir", f.consoleDir)
	stdout, err := follow.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := follow.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = follow.Process.Kill(); _ = follow.Wait() })
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	<-lines // the backlog's last line
	if out, code = cli("", "agent-settings", "set", "--slave", "FS01", "--master-add", "192.0.2.7:16888"); code != 0 ||
		!strings.Contains(out, "FS01: masters: added 192.0.2.7:16888") {
		t.Fatalf("agent-settings set: exit %d\n%s", code, out)
	}
	waitLine(t, lines, "master added: 192.0.2.7:16888")
	_ = follow.Process.Signal(syscall.SIGINT)
	if err := follow.Wait(); err != nil {
		t.Fatalf("agent-log -f after Ctrl+C: %v", err)
	}

	out, code = cli("", "agent-settings", "show", "--slave", "FS01", "--json")
	var s struct {
		Name     string
		SSL      bool
		Masters  []struct{ Address string }
		Consoles []struct {
			This bool    `json:"this_console"`
			RTT  float64 `json:"rtt_ms"`
		}
	}
	if err := json.Unmarshal([]byte(out), &s); code != 0 || err != nil || s.Name != "FS01" || !s.SSL ||
		len(s.Masters) != 1 || len(s.Consoles) != 1 || !s.Consoles[0].This || s.Consoles[0].RTT <= 0 {
		t.Fatalf("agent-settings show: exit %d, %v %+v\n%s", code, err, s, out)
	}
	if out, code = cli("", "agent-settings", "show", "--slave", "FS01"); code != 0 ||
		!regexp.MustCompile(`(?m)^Masters: +192\.0\.2\.7:16888 · [a-z]+ since \d\d:\d\d:\d\d`).MatchString(out) ||
		!regexp.MustCompile(`(?m)^Consoles linked: +\S+ · dialed in · SSL on · since \d\d:\d\d:\d\d · round trip [0-9.]+ ms · this console$`).MatchString(out) {
		t.Fatalf("agent-settings show: exit %d\n%s", code, out)
	}
	if out, code = cli("", "agent-settings", "set", "--slave", "FS01", "--listen", "not-an-address"); code != 2 {
		t.Fatalf("a bad listen address: exit %d, want 2\n%s", code, out)
	}
	// A new port for FS01, which this console dials at its old one: the
	// console follows it there, and links again.
	moved, err := freeport.Addr()
	if err != nil {
		t.Fatal(err)
	}
	mark := f.console.mark()
	if out, code = cli("", "agent-settings", "set", "--slave", "FS01", "--listen", moved, "--follow"); code != 0 ||
		!strings.Contains(out, "FS01: this console now dials FS01 at "+moved+"\n") {
		t.Fatalf("agent-settings set --listen --follow: exit %d\n%s", code, out)
	}
	f.console.waitLogFrom(mark, "FS01 linked at "+moved, func(l logLine) bool {
		return l.Event == "connected" && l.Slave == "FS01" && l.Remote == moved
	}, 15*time.Second)
	// A second console's address for every server of a group at once;
	// the settings that could end this console's link, one at a time.
	for _, n := range []string{"FS01", "FS09"} {
		if out, code = cli("", "slave", "edit", n, "--group", "Acme"); code != 0 {
			t.Fatalf("slave edit %s --group: exit %d\n%s", n, code, out)
		}
	}
	out, code = cli("", "agent-settings", "set", "--group", "acme", "--master-add", "192.0.2.8:16888")
	if code != 1 || !strings.Contains(out, "FS01: masters: added 192.0.2.8:16888\n") || !strings.Contains(out, "FS09: not changed: is offline") ||
		!strings.Contains(out, "Changed 1 of 2 slaves of acme.") {
		t.Fatalf("agent-settings set --group: exit %d\n%s", code, out)
	}
	if out, code = cli("", "group", "list"); code != 0 || !regexp.MustCompile(`(?m)^Acme +2 +1$`).MatchString(out) {
		t.Fatalf("group list through the console: exit %d\n%s", code, out)
	}
	if out, code = cli("", "group", "rename", "acme", "Acme Corp"); code != 0 || out != "group acme renamed to Acme Corp: 2 servers\n" {
		t.Fatalf("group rename through the console: exit %d\n%s", code, out)
	}
	f.console.waitLog("the rename", func(l logLine) bool { return strings.Contains(l.Msg, "group acme renamed to Acme Corp (2 slaves)") }, 5*time.Second)
	if out, code = cli("", "agent-settings", "set", "--group", "Acme Corp", "--ssl", "off"); code != 2 || !strings.Contains(out, "one server at a time") {
		t.Fatalf("--ssl with --group: exit %d\n%s", code, out)
	}
	if out, code = cli("", "agent-settings", "set", "--group", "Initech", "--master-add", "192.0.2.8:16888"); code != 2 ||
		!strings.Contains(out, `no server is in the group "Initech"`) {
		t.Fatalf("a group with no server: exit %d\n%s", code, out)
	}

	if out, code = cli("", "agent-settings", "show", "--slave", "FS09"); code != 1 || !strings.Contains(out, "FS09 is offline") ||
		!strings.Contains(out, "nothing was sent") {
		t.Fatalf("a command for an offline slave: exit %d\n%s", code, out)
	}

	// A new password: the link survives, and the console saved the key.
	if out, code = cli("second-pw\n", "password", "set", "--slave", "FS01", "--password-stdin"); code != 0 ||
		!strings.Contains(out, "FS01: password: changed") {
		t.Fatalf("password set: exit %d\n%s", code, out)
	}
	if out, code = cli("", "status", "FS01"); code != 0 {
		t.Fatalf("status after the password change: exit %d\n%s", code, out)
	}
	agent.waitLog("the password change", func(l logLine) bool { return strings.Contains(l.Msg, "console request password.set: done") }, 5*time.Second)

	out, code = cli("", "audit", "--json")
	if code != 0 {
		t.Fatalf("audit: exit %d\n%s", code, out)
	}
	for _, want := range []string{`"command":"settings set: masters add 192.0.2.7:16888","result":"ok","origin":"command line"`,
		`"command":"password set","result":"ok"`} {
		if !strings.Contains(out, want) {
			t.Errorf("audit lacks %s:\n%s", want, out)
		}
	}
	// FS09's one audited command is the group's change it was refused;
	// its settings show, a read, is not.
	if strings.Count(out, `"slave":"FS09"`) != 1 || !strings.Contains(out, `"slave":"FS09","command":"settings set: masters add 192.0.2.8:16888","result":"refused: FS09 is offline`) {
		t.Errorf("FS09's audit is not the refused change alone:\n%s", out)
	}

	// --since keeps what came at or after a time, given as a duration
	// back or as a time, in the audit and in the connection log alike.
	if out, code = cli("", "audit", "--since", "1h"); code != 0 || !strings.Contains(out, "password set: ok") {
		t.Fatalf("audit --since 1h: exit %d\n%s", code, out)
	}
	tomorrow := time.Now().AddDate(0, 0, 1).Format("2006-01-02")
	if out, code = cli("", "audit", "--since", tomorrow); code != 0 || out != "" {
		t.Fatalf("audit --since %s: exit %d\n%s", tomorrow, code, out)
	}
	if out, code = cli("", "audit", "--group", "Initech"); code != 1 || !strings.Contains(out, `no server is in the group "Initech"`) {
		t.Fatalf("audit --group of a group nobody is in: exit %d\n%s", code, out)
	}
	if out, code = cli("", "log", "--since", tomorrow); code != 0 || out != "" {
		t.Fatalf("log --since %s: exit %d\n%s", tomorrow, code, out)
	}
	if out, code = cli("", "log", "--since", "last week"); code != 2 || !strings.Contains(out, `--since "last week": give a duration`) {
		t.Fatalf("log --since \"last week\": exit %d\n%s", code, out)
	}

	// The connection log reads through the running console, which holds
	// the database, and from the database once it stopped.
	if out, code = cli("", "log", "--slave", "FS01", "--json"); code != 0 || !strings.Contains(out, `"event":"connected"`) {
		t.Fatalf("log while the console runs: exit %d\n%s", code, out)
	}
	if out, code = cli("", "log", "--errors"); code != 0 || !strings.Contains(out, "FS09") || strings.Contains(out, "connected:") {
		t.Fatalf("log --errors while the console runs: exit %d\n%s", code, out)
	}

	// After a restart the console links with the new password.
	f.console.stop()
	if out, code = cli("", "audit", "--slave", "FS01"); code != 0 || !strings.Contains(out, "password set: ok") {
		t.Fatalf("audit from the database: exit %d\n%s", code, out)
	}
	if out, code = cli("", "log", "--slave", "FS01"); code != 0 || !strings.Contains(out, "connected: ") {
		t.Fatalf("log from the database: exit %d\n%s", code, out)
	}
	f.startConsole()
	f.console.event("connected", "FS01", 15*time.Second)
}

func waitLine(t *testing.T, lines <-chan string, want string) {
	t.Helper()
	deadline := time.After(15 * time.Second)
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("the output ended before %q", want)
			}
			if strings.Contains(l, want) {
				return
			}
		case <-deadline:
			t.Fatalf("no line with %q within 15s", want)
		}
	}
}

func TestAnOlderAgentStaysManageableForWhatItKnows(t *testing.T) {
	f := newFleet(t, false)
	_, addr := f.agentEnv([]string{"LANYARD_AGENT_WITHOUT_METHODS=settings.get,settings.set,log.tail"}, "FS01", "pw", false, true)
	f.addSlave("FS01", "pw", addr)
	f.startConsole()
	f.console.event("connected", "FS01", 15*time.Second)
	out, code := runExit(t, "", f.consoleBin, "agent-settings", "show", "--slave", "FS01", "--data-dir", f.consoleDir)
	if code != 1 || !strings.Contains(out, "not supported by this agent version (") {
		t.Fatalf("settings from an agent without them: exit %d\n%s", code, out)
	}
	if out, code = runExit(t, "", f.consoleBin, "status", "FS01", "--data-dir", f.consoleDir); code != 0 {
		t.Fatalf("status from the same agent: exit %d\n%s", code, out)
	}
}
