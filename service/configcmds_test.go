package service

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/lanyard/lanyard/core/agent"
)

// startAgentInProcess runs `run` in this process until the test ends and
// returns what it logs.
func startAgentInProcess(t *testing.T, dir string) *syncBuffer {
	t.Helper()
	stderr := &syncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		e := &env{ctx: ctx, stdin: strings.NewReader(""), stdout: &syncBuffer{}, stderr: stderr}
		done <- mainEnv(e, []string{"run", "--data-dir", dir})
	}()
	stderr.waitFor(t, "running", 15*time.Second)
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			t.Error("run did not stop")
		}
	})
	return stderr
}

func TestConfigCommandsReachTheRunningAgentOrTheDatabase(t *testing.T) {
	dir := initAgent(t, "--listen", "127.0.0.1:0")
	c := cli{t: t}

	// Stopped: the database is edited.
	if r := c.run("", "set", "ssl", "off", "--data-dir", dir); r.code != 0 || !strings.Contains(r.stdout, "saved; the agent uses it when it starts") {
		t.Fatalf("set ssl while stopped: %s", r)
	}

	startAgentInProcess(t, dir)
	cases := []struct {
		name  string
		stdin string
		args  []string
		code  int
		want  string
	}{
		{"ssl applies at once", "", []string{"set", "ssl", "on"}, 0, "applied to the running agent"},
		{"a master is added and dialed", "", []string{"masters", "add", "127.0.0.1:1"}, 0, "masters: added 127.0.0.1:1"},
		{"a duplicate master is a usage error", "", []string{"masters", "add", "127.0.0.1:1"}, 2, ""},
		{"the list shows each link's state", "", []string{"masters", "list"}, 0, "127.0.0.1:1"},
		{"a bad listen address is a usage error", "", []string{"set", "listen", "nonsense"}, 2, ""},
		{"a bad on/off is a usage error", "", []string{"set", "management", "maybe"}, 2, ""},
		{"an empty password is a usage error", "\n", []string{"password", "set"}, 2, ""},
		{"the password changes at once", testPassword + "-2\n", []string{"password", "set"}, 0, "applied to the running agent"},
		{"--password-stdin is taken, as init takes it", testPassword + "-3\n", []string{"password", "set", "--password-stdin"}, 0, "applied to the running agent"},
		{"a master's new certificate is trusted", "", []string{"masters", "trust", "127.0.0.1:1"}, 0, ""},
		{"a master is told which certificate to expect", "", []string{"masters", "trust", "127.0.0.1:1=SHA256:" + strings.Repeat("ab", 32)}, 0, "must present the certificate SHA256:abab"},
		{"the list shows the certificate expected", "", []string{"masters", "list"}, 0, "SHA256:abababababababab…"},
		{"a malformed fingerprint is a usage error", "", []string{"masters", "trust", "127.0.0.1:1=SHA256:nope"}, 2, ""},
		{"a master not in the list cannot be trusted", "", []string{"masters", "trust", "127.0.0.1:2"}, 2, ""},
		{"the dialers are hurried", "", []string{"masters", "retry"}, 0, "127.0.0.1:1: dialing now"},
		{"a master is removed", "", []string{"masters", "remove", "127.0.0.1:1"}, 0, "applied to the running agent"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := c.run(tc.stdin, append(tc.args, "--data-dir", dir)...)
			if r.code != tc.code || !strings.Contains(r.stdout, tc.want) {
				t.Fatalf("want exit %d and %q; got %s", tc.code, tc.want, r)
			}
			if strings.Contains(r.stdout+r.stderr, testPassword) {
				t.Error("a password was printed")
			}
		})
	}
	// The shell completes a console's address, with its link's state.
	if r := c.run("", "masters", "add", "127.0.0.1:3", "--data-dir", dir); r.code != 0 {
		t.Fatalf("masters add: %s", r)
	}
	if r := c.run("", "__complete", "--data-dir", dir, "masters", "remove", "127"); !strings.HasPrefix(r.stdout, "127.0.0.1:3\t") {
		t.Fatalf("completing a master: %s", r)
	}
	// init, too, reaches the running agent; renaming it does not.
	if r := c.run("", "init", "--data-dir", dir, "--listen", "127.0.0.1:0", "--management", "off"); r.code != 0 || !strings.Contains(r.stdout, "applied to the running agent") {
		t.Errorf("init while running: %s", r)
	}
	if r := c.run(testPassword+"\n", "init", "--data-dir", dir, "--name", "OTHER", "--password-stdin"); r.code != 2 || !strings.Contains(r.stderr, "to rename it") {
		t.Errorf("rename while running: %s", r)
	}
	if r := c.run("", "init", "--data-dir", dir, "--management", "on"); r.code != 0 {
		t.Errorf("init while running: %s", r)
	}
	r := c.run("", "status", "--data-dir", dir)
	if r.code != 0 || !strings.Contains(r.stdout, "ssl         on") || !strings.Contains(r.stdout, "certificate SHA256:") {
		t.Errorf("status of the running agent: %s", r)
	}
}

// An agent moved to another port tells of the consoles that dialed it at
// the old one: they stay linked, but need the new port in their entries.
func TestMovingTheListenerNamesTheConsolesThatDialedTheOldAddress(t *testing.T) {
	linked := []agent.ConsoleStatus{{Remote: "10.0.0.3:50211"}}
	for _, c := range []struct {
		name string
		st   agent.StatusSnapshot
		want string
	}{
		{"none linked", agent.StatusSnapshot{Name: "FS01", Listen: ":17000", ListenAddr: "[::]:17000"}, ""},
		{"one linked", agent.StatusSnapshot{Name: "FS01", Listen: ":17000", ListenAddr: "[::]:17000", Consoles: linked},
			"note: 1 console linked now dialed this agent at its old address: it stays linked, but reaches FS01 again only once its entry there has the new port (in that console: lanyard slave edit FS01 --address HOST:17000, or Edit Slave)"},
		{"two linked", agent.StatusSnapshot{Name: "FS01", Listen: ":17000", Consoles: append(linked, linked...)},
			"note: 2 consoles linked now dialed this agent at its old address: they stay linked, but reach FS01 again only once their entries there have the new port (in each: lanyard slave edit FS01 --address HOST:17000, or Edit Slave)"},
		{"listening off", agent.StatusSnapshot{Name: "FS01", Consoles: linked},
			"note: 1 console linked now dialed this agent at its old address: it stays linked, but cannot reach FS01 again once the link ends, as FS01 no longer listens"},
	} {
		if got := movedListenerNote(c.st); got != c.want {
			t.Errorf("%s:\n%q\nwant\n%q", c.name, got, c.want)
		}
	}
}
