package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/lanyard/lanyard/internal/freeport"

	"github.com/lanyard/lanyard/app/cmdline"

	"github.com/lanyard/lanyard/app"
)

func TestBadInputIsAUsageErrorThatChangesNothing(t *testing.T) {
	initialised := initAgent(t, "--listen", ":16888", "--master", "10.0.0.2:16888")
	before, err := settingsReport(initialised)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		stdin string
		args  []string
		say   string // part of the message
	}{
		{"a name with a space", testPassword, []string{"init", "--name", "FS 01", "--password-stdin"}, "FS 01"},
		{"a name with a slash", testPassword, []string{"init", "--name", "FS/01", "--password-stdin"}, ""},
		{"an empty password", "\n", []string{"init", "--name", "FS01", "--password-stdin"}, "empty"},
		{"no password at all", "", []string{"init", "--name", "FS01", "--password-stdin"}, "no password"},
		{"a listen port out of range", testPassword, []string{"init", "--listen", ":65536"}, "1 to 65535"},
		{"a listen address without a port", testPassword, []string{"init", "--listen", "10.0.0.4"}, "host:port"},
		{"a malformed master", testPassword, []string{"init", "--master", "console:1:2"}, "host:port"},
		{"a master port of zero", testPassword, []string{"init", "--master", "console:0"}, "1 to 65535"},
		{"a master given twice", testPassword, []string{"init", "--master", "c:1", "--master", "C:1"}, "twice"},
		{"ssl neither on nor off", testPassword, []string{"init", "--ssl", "maybe"}, "on or off"},
		{"an unknown flag", "", []string{"init", "--frobnicate"}, "unknown flag"},
		{"an unknown command", "", []string{"frobnicate"}, "unknown command"},
		{"an argument to a command that takes none", "", []string{"status", "now"}, "takes no arguments"},
		{"an unknown log level", "", []string{"status", "--log-level", "loud"}, "--log-level"},
		{"a service name with a space", "", []string{"status", "--service-name", "my agent"}, "service name"},
		{"port-check of port 0", "", []string{"port-check", "0"}, "1 to 65535"},
		{"port-check of port 65536", "", []string{"port-check", "65536"}, "1 to 65535"},
		{"port-check of a word", "", []string{"port-check", "http"}, "1 to 65535"},
		{"port-check of +80", "", []string{"port-check", "+80"}, "1 to 65535"},
		{"port-check without a port", "", []string{"port-check"}, "takes 1 argument"},
		{"logs at an unknown level", "", []string{"logs", "--level", "loud"}, "--level"},
		{"logs with a negative count", "", []string{"logs", "-n", "-1"}, "-n"},
		{"logs with a count that is not a number", "", []string{"logs", "-n", "ten"}, "invalid argument"},
		{"diagnose of a malformed address", "", []string{"diagnose", "host:1:2"}, "host:port"},
		{"diagnose with ssl neither on nor off", "", []string{"diagnose", "--ssl", "yes please", "host:1"}, "on or off"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stdin := tc.stdin
			if stdin != "" && !strings.HasSuffix(stdin, "\n") {
				stdin += "\n"
			}
			r := cli{t: t}.run(stdin, append(tc.args, "--data-dir", initialised)...)
			if r.code != cmdline.ExitUsage {
				t.Fatalf("want exit 2: %s", r)
			}
			if !strings.Contains(r.stderr, tc.say) {
				t.Errorf("the message lacks %q: %s", tc.say, r)
			}
			after, err := settingsReport(initialised)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(after) != fmt.Sprint(before) {
				t.Errorf("settings changed from %+v to %+v", before, after)
			}
		})
	}
}

func TestAFailedFirstInitWritesNothing(t *testing.T) {
	for _, args := range [][]string{
		{"init", "--name", "FS 01", "--password-stdin"},
		{"init", "--name", "FS01"},
		{"init", "--password-stdin"},
		{"init", "--name", "FS01", "--password-stdin", "--master", "a:1", "--master", "a:1"},
	} {
		dir := filepath.Join(t.TempDir(), "data")
		r := cli{t: t}.run(testPassword+"\n", append(args, "--data-dir", dir)...)
		if r.code != cmdline.ExitUsage {
			t.Errorf("%q: want exit 2: %s", args, r)
		}
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Errorf("%q left %s behind", args, dir)
		}
	}
}

func TestServiceCommandsNeedAdministratorRights(t *testing.T) {
	c := cli{t: t, privileged: func() bool { return false }}
	want := "needs root"
	if runtime.GOOS == "windows" {
		want = "Run as administrator"
	}
	for _, cmd := range []string{"install", "uninstall", "start", "stop", "restart"} {
		r := c.run("", cmd, "--data-dir", t.TempDir(), "--service-name", "lanyard-agent-unit")
		if r.code != cmdline.ExitUsage || !strings.Contains(r.stderr, want) {
			t.Errorf("%s without rights: %s", cmd, r)
		}
	}
}

// unitServiceName is a service that is never installed: the commands
// below only ask the service manager about it.
func unitServiceName() string { return fmt.Sprintf("lanyard-agent-unit-%d", os.Getpid()) }

func TestInstallRefusesAnAgentThatIsNotInitialised(t *testing.T) {
	c := cli{t: t, privileged: func() bool { return true }}
	dir := t.TempDir()
	r := c.run("", "install", "--data-dir", dir, "--service-name", unitServiceName())
	if r.code != cmdline.ExitUsage || !strings.Contains(r.stderr, "lanyard-agent init --name NAME --password-stdin") {
		t.Fatalf("install before init: %s", r)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("install before init wrote %v", entries)
	}
}

func TestControllingAServiceThatIsNotInstalledSaysSo(t *testing.T) {
	c := cli{t: t, privileged: func() bool { return true }}
	dir := initAgent(t)
	for _, cmd := range []string{"uninstall", "start", "stop", "restart"} {
		r := c.run("", cmd, "--data-dir", dir, "--service-name", unitServiceName())
		if r.code != cmdline.ExitUsage || !strings.Contains(r.stderr, "is not installed") {
			t.Errorf("%s of a service that is not installed: %s", cmd, r)
		}
	}
}

func TestStatusOfAFreshMachine(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	r := cli{t: t}.run("", "status", "--data-dir", dir, "--service-name", unitServiceName())
	if r.code != 0 {
		t.Fatal(r)
	}
	for _, want := range []string{"not installed", "not initialised"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("status lacks %q: %s", want, r)
		}
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Error("status created the data directory")
	}
	if strings.Contains(r.stdout, "backups") {
		t.Errorf("status of an agent not set up counts tasks: %s", r)
	}
}

func TestStatusJSONHasTheSettingsAndNeverTheKey(t *testing.T) {
	dir := initAgent(t, "--listen", ":16888", "--ssl", "off", "--master", "10.0.0.2:16888")
	r := cli{t: t}.run("", "status", "--json", "--data-dir", dir, "--service-name", unitServiceName())
	if r.code != 0 {
		t.Fatal(r)
	}
	var rep StatusReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("%v:\n%s", err, r.stdout)
	}
	if rep.State != StateNotInstalled || rep.Settings == nil || rep.Settings.Name != "FS01" || rep.Settings.Listen != ":16888" ||
		rep.Settings.SSL || !rep.Settings.Management || len(rep.Settings.Masters) != 1 {
		t.Errorf("status = %+v, settings %+v", rep, rep.Settings)
	}
	if rep.LogFile != filepath.Join(dir, "log", app.AgentLogFile) {
		t.Errorf("log file %q", rep.LogFile)
	}
	if strings.Contains(strings.ToLower(r.stdout), `"key"`) {
		t.Errorf("status shows a key:\n%s", r.stdout)
	}
	if rep.Backups != "no backup tasks" {
		t.Errorf("backups %q", rep.Backups)
	}
}

func TestPortCheckNamesTheProcessHoldingThePort(t *testing.T) {
	// A port below the ephemeral range: once closed, no connection of
	// another process takes it before the second check.
	addr, err := freeport.Addr()
	if err != nil {
		t.Skip(err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	r := cli{t: t}.run("", "port-check", fmt.Sprint(port))
	if r.code != cmdline.ExitError || !strings.Contains(r.stdout, fmt.Sprintf("pid %d", os.Getpid())) || !strings.Contains(r.stdout, "can be used instead") {
		t.Fatalf("port-check of a held port: %s", r)
	}
	_ = ln.Close()
	r = cli{t: t}.run("", "port-check", "--json", fmt.Sprint(port))
	var res struct{ Free bool }
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &res) != nil || !res.Free {
		t.Fatalf("port-check of a free port: %s", r)
	}
}

func TestRunInTheForegroundLogsToTheTerminalAndTheFileButNeverThePassword(t *testing.T) {
	dir := initAgent(t, "--listen", "127.0.0.1:0")
	var stderr syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		e := &env{ctx: ctx, stdin: strings.NewReader(""), stdout: &syncBuffer{}, stderr: &stderr}
		done <- mainEnv(e, []string{"run", "--data-dir", dir, "--log-json"})
	}()
	stderr.waitFor(t, "running", 15*time.Second)
	// A second run beside it is refused, said once, and leaves the
	// running agent's log alone.
	second := cli{t: t}.run("", "run", "--data-dir", dir, "--log-json")
	if second.code != cmdline.ExitError || strings.Count(second.stderr, "an agent is already running with this data directory") != 1 {
		t.Errorf("a second run: %s", second)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("run exited %d:\n%s", code, stderr.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("run did not stop when its context ended")
	}
	file, err := os.ReadFile(filepath.Join(dir, "log", app.AgentLogFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(file)), "\n") {
		var v map[string]any
		if err := json.Unmarshal([]byte(line), &v); err != nil {
			t.Errorf("--log-json wrote a line that is not JSON: %q", line)
		}
	}
	for _, want := range []string{"listening for consoles on 127.0.0.1:", "stopped"} {
		if !strings.Contains(string(file), want) {
			t.Errorf("the log file lacks %q:\n%s", want, file)
		}
	}
	if strings.Contains(string(file), testPassword) || strings.Contains(stderr.String(), testPassword) {
		t.Error("the password was logged")
	}
	if strings.Contains(string(file), "already running") {
		t.Errorf("the refused second run wrote to the running agent's log:\n%s", file)
	}
	if runtime.GOOS != "windows" {
		for path, want := range map[string]os.FileMode{
			filepath.Join(dir, "log"):                   0o700,
			filepath.Join(dir, "log", app.AgentLogFile): 0o600,
		} {
			if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != want {
				t.Errorf("%s: %v, want mode %v", path, err, want)
			}
		}
	}
}

func TestRunBeforeInitSaysWhatToDo(t *testing.T) {
	dir := t.TempDir()
	r := cli{t: t}.run("", "run", "--data-dir", dir)
	if r.code != cmdline.ExitError || !strings.Contains(r.stderr, "lanyard-agent init") {
		t.Fatalf("run before init: %s", r)
	}
	// Said once (the log file has it too), and nothing made for it.
	if n := strings.Count(r.stderr, "no name or password yet"); n != 1 {
		t.Errorf("the terminal was told %d times:\n%s", n, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, app.AgentDB)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a run before init made %s: %v", app.AgentDB, err)
	}
	logged, err := os.ReadFile(filepath.Join(dir, "log", app.AgentLogFile))
	if err != nil || !strings.Contains(string(logged), "the agent could not start") {
		t.Errorf("the log file: %v\n%s", err, logged)
	}
	// A new password is not asked for (nor judged) before that.
	r = cli{t: t}.run("pw\n", "password", "set", "--data-dir", dir)
	if r.code != cmdline.ExitError || !strings.HasPrefix(r.stderr, "lanyard-agent: the agent has no name or password yet") {
		t.Fatalf("password set before init: %s", r)
	}
}
