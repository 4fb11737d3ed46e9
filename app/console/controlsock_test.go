package console

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
	"go.uber.org/goleak"

	"github.com/lanyard/lanyard/app"
	"github.com/lanyard/lanyard/app/cmdline"
	"github.com/lanyard/lanyard/core/control"
	"github.com/lanyard/lanyard/core/human"
	"github.com/lanyard/lanyard/core/master"
	"github.com/lanyard/lanyard/core/store"
	"github.com/lanyard/lanyard/core/wire/pb"
)

// The window's toolkit starts goroutines of its own when its packages
// load; they are there before any test and are not a test's leak.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m, goleak.IgnoreCurrent()) }

// A console from before an operation existed answers it as unknown: the
// command says the console is older and what to do, not "unknown control
// operation", and does not blame the command line.
func TestAnOlderRunningConsoleIsNamedAsSuch(t *testing.T) {
	dir := t.TempDir()
	s, err := control.Listen(control.Config{Dir: dir, File: ControlSocket, Owner: "lanyard console"})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.Serve(func(_ context.Context, _ []byte, w *control.Writer) {
			_ = w.Send(ctlResponse{Done: true, Error: unknownOp + ` "slave_list"`, Usage: true})
		})
	}()
	t.Cleanup(func() { s.Close(); <-done })

	var stdout, stderr bytes.Buffer
	code := Main([]string{"slave", "list", "--data-dir", dir}, strings.NewReader(""), &stdout, &stderr)
	if code != cmdline.ExitError || !strings.Contains(stderr.String(), "the running console is older than this command") ||
		strings.Contains(stderr.String(), unknownOp) {
		t.Errorf("exit %d, stderr %q", code, stderr.String())
	}
}

// consoleDir is a console data directory whose database setup filled,
// closed again for the command line to open.
func consoleDir(t *testing.T, setup func(db *store.DB) error) string {
	t.Helper()
	dir := t.TempDir()
	log := logrus.New()
	log.SetOutput(io.Discard)
	db, err := app.OpenStore(dir, "console", log)
	if err != nil {
		t.Fatal(err)
	}
	err = setup(db)
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// A slave whose password change from the console awaits the agent's
// answer is named by slave list (both forms) and by an export with keys,
// whose row holds the key from before the change.
func TestListAndExportNameASlaveWhosePasswordChangeIsInDoubt(t *testing.T) {
	dir := consoleDir(t, func(db *store.DB) error {
		e, err := master.AddSlave(db, master.SlaveSpec{Name: "FS01", Direction: store.Inbound, Password: []byte("pw")})
		if err != nil {
			return err
		}
		_, err = db.UpdateSlave(e.ID, func(e *store.Slave) error {
			e.NextKey, e.NextKDF = bytes.Repeat([]byte{7}, 32), e.KDF
			return nil
		})
		return err
	})
	run := func(args ...string) (string, string) {
		t.Helper()
		var stdout, stderr bytes.Buffer
		if code := Main(append(args, "--data-dir", dir), strings.NewReader(""), &stdout, &stderr); code != 0 {
			t.Fatalf("%s: exit %d\n%s%s", strings.Join(args, " "), code, &stdout, &stderr)
		}
		return stdout.String(), stderr.String()
	}
	if out, _ := run("slave", "list"); !strings.Contains(out, "FS01: a password change awaits its answer") {
		t.Errorf("slave list:\n%s", out)
	}
	if out, _ := run("slave", "list", "--json"); !strings.Contains(out, `"password_in_doubt":true`) {
		t.Errorf("slave list --json:\n%s", out)
	}
	if _, errOut := run("slave", "export", "--with-keys", "-"); !strings.Contains(errOut, "a password change to FS01 has not been answered yet") {
		t.Errorf("slave export --with-keys said:\n%s", errOut)
	}
}

// Without a running console, slave list says when each slave was last
// seen and the agent it ran then, from the database, and no state: only
// a running console knows it. A slave linked when the console was killed
// was there until the console was last noted running.
func TestSlaveListSaysWhenEachWasLastSeen(t *testing.T) {
	seen := time.Now().Add(-3 * time.Hour).Truncate(time.Second)
	running := seen.Add(2 * time.Hour)
	dir := consoleDir(t, func(db *store.DB) error {
		var ids []string
		for _, name := range []string{"FS01", "FS02", "FS03"} {
			e, err := master.AddSlave(db, master.SlaveSpec{Name: name, Direction: store.Inbound, Password: []byte("pw")})
			if err != nil {
				return err
			}
			ids = append(ids, e.ID)
		}
		if err := db.NoteRunning(running); err != nil {
			return err
		}
		return db.SavePins([]store.Pin{{ID: ids[0], LastSeen: seen, Software: "lanyard-agent 1.3.2"}, {ID: ids[2], LastSeen: seen, Linked: true}})
	})
	var stdout, stderr bytes.Buffer
	if code := Main([]string{"slave", "list", "--data-dir", dir}, strings.NewReader(""), &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d\n%s", code, &stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	want := []*regexp.Regexp{
		regexp.MustCompile(`^NAME +DIRECTION +ADDRESS +GROUP +LAST SEEN +AGENT +CERTIFICATE$`),
		regexp.MustCompile(`^FS01 +inbound +- +- +` + regexp.QuoteMeta(human.Ago(seen, time.Now())) + ` +1\.3\.2 +not pinned yet$`),
		regexp.MustCompile(`^FS02 +inbound +- +- +never +- +not pinned yet$`),
		regexp.MustCompile(`^FS03 +inbound +- +- +` + regexp.QuoteMeta(human.Ago(running, time.Now())) + ` +- +not pinned yet$`),
	}
	if len(lines) != len(want) {
		t.Fatalf("slave list:\n%s", &stdout)
	}
	for i, re := range want {
		if !re.MatchString(lines[i]) {
			t.Errorf("line %d %q does not match %s", i+1, lines[i], re)
		}
	}
	stdout.Reset()
	if code := Main([]string{"slave", "list", "--json", "--data-dir", dir}, strings.NewReader(""), &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d\n%s", code, &stderr)
	}
	var listed []slaveJSON
	if err := json.Unmarshal(stdout.Bytes(), &listed); err != nil || len(listed) != 3 || !listed[0].LastSeen.Equal(seen) || !listed[2].LastSeen.Equal(running) ||
		listed[0].Software != "lanyard-agent 1.3.2" || listed[1].Software != "" ||
		!listed[1].LastSeen.IsZero() || listed[0].State != "" || strings.Contains(stdout.String(), `"state"`) {
		t.Errorf("slave list --json: %v\n%s", err, &stdout)
	}
}

// Without a running console, slave disconnect and connect set the entry
// so: the console starts with it disconnected, or not.
func TestSlaveDisconnectAndConnectWithoutAConsole(t *testing.T) {
	dir := consoleDir(t, func(db *store.DB) error {
		_, err := master.AddSlave(db, master.SlaveSpec{Name: "FS01", Direction: store.Outbound, Address: "192.0.2.10:16888", Password: []byte("pw"), Group: "Acme"})
		if err == nil {
			_, err = master.AddSlave(db, master.SlaveSpec{Name: "FS02", Direction: store.Inbound, Password: []byte("pw"), Group: "acme"})
		}
		return err
	})
	run := cliIn(t, dir)
	disabled := func() bool {
		t.Helper()
		log := logrus.New()
		log.SetOutput(io.Discard)
		db, err := app.OpenStore(dir, "console", log)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		e, err := db.SlaveByName("fs01")
		if err != nil {
			t.Fatal(err)
		}
		return e.Disabled
	}
	if out := run(0, "slave", "disconnect", "fs01"); out != "disconnected FS01: it stays so until `lanyard slave connect FS01`\n" || !disabled() {
		t.Fatalf("slave disconnect said %q", out)
	}
	if out := run(0, "slave", "connect", "FS01"); out != "connected FS01: the console dials 192.0.2.10:16888\n" || disabled() {
		t.Fatalf("slave connect said %q", out)
	}
	if out := run(2, "slave", "disconnect", "FS09"); !strings.Contains(out, "FS09") {
		t.Fatalf("slave disconnect of an unknown slave said %q", out)
	}

	// A customer's site in maintenance: every server of the group.
	if out := run(0, "slave", "disconnect", "--group", "ACME"); out != "disconnected FS01: it stays so until `lanyard slave connect FS01`\n"+
		"disconnected FS02: it stays so until `lanyard slave connect FS02`\n" || !disabled() {
		t.Fatalf("slave disconnect --group said %q", out)
	}
	if out := run(0, "slave", "connect", "--group", "acme"); out != "connected FS01: the console dials 192.0.2.10:16888\nconnected FS02: it is accepted when it dials in\n"+notListening+"\n" || disabled() {
		t.Fatalf("slave connect --group said %q", out)
	}
	if out := run(2, "slave", "connect", "--group", "Initech"); !strings.Contains(out, `no server is in the group "Initech"`) {
		t.Fatalf("slave connect of an empty group said %q", out)
	}
	if out := run(2, "slave", "connect", "FS01", "--group", "Acme"); !strings.Contains(out, "takes one slave's NAME, or --group G") {
		t.Fatalf("a name and a group said %q", out)
	}
}

// Without a running console, slave mute sets the entry's mute, which
// slave list shows, for one slave or a group; its end must be to come.
func TestSlaveMuteWithoutAConsole(t *testing.T) {
	dir := consoleDir(t, func(db *store.DB) error {
		for _, name := range []string{"FS01", "FS02"} {
			if _, err := master.AddSlave(db, master.SlaveSpec{Name: name, Direction: store.Inbound, Password: []byte("pw"), Group: "Acme"}); err != nil {
				return err
			}
		}
		return nil
	})
	run := cliIn(t, dir)
	out := run(0, "slave", "mute", "fs01", "--for", "2h")
	end, err := time.ParseInLocation("FS01: alerts muted until "+human.StampLayout+"\n", out, time.Local)
	if err != nil || end.Before(time.Now().Add(119*time.Minute)) || end.After(time.Now().Add(121*time.Minute)) {
		t.Fatalf("slave mute --for 2h said %q (%v)", out, err)
	}
	if out := run(0, "slave", "list"); !strings.Contains(out, "FS01: alerts muted until "+end.Format(human.StampLayout)+"\n") || strings.Contains(out, "FS02: alerts") {
		t.Fatalf("slave list:\n%s", out)
	}
	var listed []slaveJSON
	if out := run(0, "slave", "list", "--json"); json.Unmarshal([]byte(out), &listed) != nil || len(listed) != 2 || listed[0].MutedUntil.IsZero() || !listed[1].MutedUntil.IsZero() {
		t.Fatalf("slave list --json:\n%s", out)
	}
	if out := run(0, "slave", "mute", "--group", "acme", "--off"); out != "FS01: alerts no longer muted\nFS02: alerts no longer muted\n" {
		t.Fatalf("slave mute --group --off said %q", out)
	}
	for args, want := range map[string]string{
		"slave mute FS01":                          "give one of --for D, --until T or --off",
		"slave mute FS01 --for 1h --off":           "give one of --for D, --until T or --off",
		"slave mute FS01 --until 2020-01-01 08:00": "is past",
		"slave mute FS01 --until soon":             `"soon" is not a time`,
		"slave mute FS09 --for 1h":                 "FS09",
	} {
		fields := strings.Fields(args)
		if strings.Contains(args, "2020-01-01") {
			fields = append(fields[:len(fields)-2], "2020-01-01 08:00")
		}
		if out := run(2, fields...); !strings.Contains(out, want) {
			t.Errorf("%s said %q, want %q", args, out, want)
		}
	}
}

// Without a running console, group list counts each group's servers
// (none known connected) and group rename moves them all, in any case.
func TestGroupsAreListedAndRenamedWithoutAConsole(t *testing.T) {
	dir := consoleDir(t, func(db *store.DB) error {
		for _, s := range []struct{ name, group string }{{"FS01", "Acme"}, {"FS02", "acme"}, {"WEB", ""}} {
			if _, err := master.AddSlave(db, master.SlaveSpec{Name: s.name, Direction: store.Inbound, Password: []byte("pw"), Group: s.group}); err != nil {
				return err
			}
		}
		return nil
	})
	run := cliIn(t, dir)
	if out := run(0, "group", "list"); !regexp.MustCompile(`(?m)^Acme +2 +-\n\(no group\) +1 +-\n$`).MatchString(out) {
		t.Fatalf("group list:\n%s", out)
	}
	if out := run(0, "group", "rename", "ACME", "Acme Corp"); out != "group ACME renamed to Acme Corp: 2 servers\n" {
		t.Fatalf("group rename said %q", out)
	}
	var groups []groupJSON
	if out := run(0, "group", "list", "--json"); json.Unmarshal([]byte(out), &groups) != nil || len(groups) != 2 ||
		groups[0] != (groupJSON{Group: "Acme Corp", Servers: 2}) || groups[1] != (groupJSON{Servers: 1}) {
		t.Fatalf("group list --json:\n%s", out)
	}
	if out := run(2, "group", "rename", "Initech", "Initrode"); !strings.Contains(out, `no server is in the group "Initech"`) {
		t.Fatalf("renaming a group with no server said %q", out)
	}
	// A name another group has already: the two are merged, and it says so.
	if out := run(0, "slave", "edit", "WEB", "--group", "Web"); out == "" {
		t.Fatal("slave edit said nothing")
	}
	if out := run(0, "group", "rename", "Web", "acme corp"); out != "group Web merged into Acme Corp, which had servers already: 1 server moved\n" {
		t.Fatalf("group rename onto another group said %q", out)
	}
}

// cliIn runs the console's command line on the data directory dir (no
// console running), checks its exit code, and returns what it printed.
func cliIn(t *testing.T, dir string) func(want int, args ...string) string {
	return func(want int, args ...string) string {
		t.Helper()
		var stdout, stderr bytes.Buffer
		if code := Main(append(args, "--data-dir", dir), strings.NewReader(""), &stdout, &stderr); code != want {
			t.Fatalf("%s: exit %d, want %d\n%s%s", strings.Join(args, " "), code, want, &stdout, &stderr)
		}
		return stdout.String() + stderr.String()
	}
}

// agent-settings set --listen without --follow says what this console
// must change, and how; an agent that stops listening, that this console
// will lose it.
func TestAMovedListenerSaysWhatThisConsoleMustChange(t *testing.T) {
	h := &ctlHandler{} // the words alone: no console is asked
	v := master.SlaveView{Name: "FS01", Direction: store.Outbound, Address: "10.0.0.4:16888"}
	now := &pb.AgentSettings{Listen: ":16888", ListenAddr: "[::]:16888"}
	for next, want := range map[string]string{
		":17000":         "this console still dials FS01 at 10.0.0.4:16888, and will not reach it there once this link ends: lanyard slave edit FS01 --address 10.0.0.4:17000 (--follow does it with the change)",
		"off":            "this console dials FS01 at 10.0.0.4:16888, where it no longer listens: it will not reach FS01 once this link ends",
		"10.0.0.4:16888": "",
	} {
		if got := h.followListen(v, now, next, false); got != want {
			t.Errorf("moved to %s: %q,\nwant %q", next, got, want)
		}
	}
}
