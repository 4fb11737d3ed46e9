package console

import (
	"bytes"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/lanyard/lanyard/core/health"
	"github.com/lanyard/lanyard/core/master"
	"github.com/lanyard/lanyard/core/store"
)

// With no console running, a disconnected slave still says so: its state
// is known without one, the others' is not.
func TestSlaveListSaysWhichAreDisconnectedWithoutAConsole(t *testing.T) {
	dir := consoleDir(t, func(db *store.DB) error {
		for _, s := range []master.SlaveSpec{{Name: "FS01"}, {Name: "LAB"}} {
			s.Direction, s.Password = store.Inbound, []byte("pw")
			e, err := master.AddSlave(db, s)
			if err != nil {
				return err
			}
			if s.Name == "LAB" {
				if _, err := db.UpdateSlave(e.ID, func(e *store.Slave) error { e.Disabled = true; return nil }); err != nil {
					return err
				}
			}
		}
		return nil
	})
	var stdout, stderr bytes.Buffer
	if code := Main([]string{"slave", "list", "--data-dir", dir}, strings.NewReader(""), &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, &stderr)
	}
	out := stdout.String()
	for _, want := range []*regexp.Regexp{regexp.MustCompile(`(?m)^NAME +STATE +DIRECTION`), regexp.MustCompile(`(?m)^FS01 +- +inbound`), regexp.MustCompile(`(?m)^LAB +disabled +inbound`)} {
		if !want.MatchString(out) {
			t.Errorf("no %s in\n%s", want, out)
		}
	}
	stdout.Reset()
	if code := Main([]string{"slave", "list", "--json", "--data-dir", dir}, strings.NewReader(""), &stdout, &stderr); code != 0 ||
		strings.Count(stdout.String(), `"state":"disabled"`) != 1 || strings.Count(stdout.String(), `"state"`) != 1 {
		t.Errorf("JSON, exit %d:\n%s", code, &stdout)
	}
}

func TestAReportOfOneGroupOrServer(t *testing.T) {
	dir := consoleDir(t, func(db *store.DB) error {
		for _, s := range []master.SlaveSpec{{Name: "FS01", Group: "Acme"}, {Name: "FS02", Group: "Acme"}, {Name: "WEB", Group: "Globex"}} {
			s.Direction, s.Password = store.Inbound, []byte("pw")
			if _, err := master.AddSlave(db, s); err != nil {
				return err
			}
		}
		return nil
	})
	e := &env{dataDir: dir}
	rows := []health.Row{{Slave: "FS01", Group: "Acme", Task: "docs"}, {Slave: "FS02", Group: "Acme", Task: "mail"}, {Slave: "WEB", Group: "Globex", Task: "site"}}
	tasks := func(scope fleetScope) string {
		t.Helper()
		slaves, err := readSlaves(t.Context(), e)
		if err != nil {
			t.Fatal(err)
		}
		got, _, err := rowsIn(slices.Clone(rows), slaves, scope)
		if err != nil {
			t.Fatalf("%+v: %v", scope, err)
		}
		var out []string
		for _, r := range got {
			out = append(out, r.Slave+"/"+r.Task)
		}
		return strings.Join(out, " ")
	}
	if got := tasks(fleetScope{group: "acme"}); got != "FS01/docs FS02/mail" {
		t.Errorf("Acme: %s", got)
	}
	if got := tasks(fleetScope{slave: "web"}); got != "WEB/site" {
		t.Errorf("WEB: %s", got)
	}
	if got := tasks(fleetScope{}); got != "FS01/docs FS02/mail WEB/site" {
		t.Errorf("the fleet: %s", got)
	}
	// The title names the group as its entries spell it; none of its
	// servers has linked, which the report says.
	var stdout, stderr bytes.Buffer
	if code := Main([]string{"report", "--group", "ACME", "--data-dir", dir}, strings.NewReader(""), &stdout, &stderr); code != 0 ||
		!strings.HasPrefix(stdout.String(), "Lanyard backup report for Acme, ") ||
		!strings.Contains(stdout.String(), "\nNever linked to this console, so their backups are not watched: FS01; FS02.\n") {
		t.Errorf("exit %d:\n%s%s", code, &stdout, &stderr)
	}
	// As JSON, each is a record of its own.
	stdout.Reset()
	if code := Main([]string{"report", "--group", "acme", "--format", "json", "--data-dir", dir}, strings.NewReader(""), &stdout, &stderr); code != 0 ||
		strings.Count(stdout.String(), `"group":"Acme","task":"","state":"unknown",`) != 2 || strings.Count(stdout.String(), `"never_linked":true}`) != 2 {
		t.Errorf("exit %d:\n%s%s", code, &stdout, &stderr)
	}
	// A misspelt group is a mistake in the command, not an empty report.
	if code := Main([]string{"report", "--group", "Acne", "--data-dir", dir}, strings.NewReader(""), &stdout, &stderr); code != 2 ||
		!strings.Contains(stderr.String(), `no server is in the group "Acne"`) {
		t.Errorf("exit %d: %s", code, &stderr)
	}
	// A group's report is mailed by the running console (core/master's
	// tests mail one); a server's alone is not.
	stderr.Reset()
	if code := Main([]string{"report", "--group", "Acme", "--send", "--data-dir", dir}, strings.NewReader(""), &stdout, &stderr); code != 1 ||
		!strings.Contains(stderr.String(), "no console is running") {
		t.Errorf("--send with --group and no console: exit %d: %s", code, &stderr)
	}
	stderr.Reset()
	if code := Main([]string{"report", "--slave", "FS01", "--send", "--data-dir", dir}, strings.NewReader(""), &stdout, &stderr); code != 2 ||
		!strings.Contains(stderr.String(), "--send mails the fleet's report, or a group's (--group): leave out --slave") {
		t.Errorf("--send with --slave: exit %d: %s", code, &stderr)
	}
}

// slave list --group lists a customer's servers alone, the group's name
// in any case; a group no server is in is a mistake in the command.
func TestSlaveListOfAGroup(t *testing.T) {
	dir := consoleDir(t, func(db *store.DB) error {
		for _, s := range []master.SlaveSpec{{Name: "FS01", Group: "Acme"}, {Name: "FS02", Group: "acme"}, {Name: "WEB", Group: "Globex"}} {
			s.Direction, s.Password = store.Inbound, []byte("pw")
			if _, err := master.AddSlave(db, s); err != nil {
				return err
			}
		}
		return nil
	})
	run := cliIn(t, dir)
	out := run(0, "slave", "list", "--group", "ACME")
	if !strings.Contains(out, "FS01") || !strings.Contains(out, "FS02") || strings.Contains(out, "WEB") {
		t.Fatalf("Acme's slaves:\n%s", out)
	}
	if out := run(2, "slave", "list", "--group", "Initech"); !strings.Contains(out, `no server is in the group "Initech": check the name (lanyard group list)`) {
		t.Fatalf("a group nobody is in:\n%s", out)
	}
}

// slave add takes the name as NAME, like edit, remove and the rest, and
// still as --name; a mistake exits 2 and adds nothing.
func TestSlaveAddTakesTheNameAsAnArgumentOrAsName(t *testing.T) {
	dir := consoleDir(t, func(*store.DB) error { return nil })
	run := func(stdin string, args ...string) (int, string) {
		var out bytes.Buffer
		code := Main(append(args, "--data-dir", dir), strings.NewReader(stdin), &out, &out)
		return code, out.String()
	}
	for _, tt := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"slave", "add", "FS01", "--inbound", "--password-stdin"}, 0, "added FS01, inbound"},
		{[]string{"slave", "add", "--name", "FS02", "--address", "127.0.0.1:16888", "--password-stdin"}, 0, "added FS02, outbound"},
		{[]string{"slave", "add", "FS03", "--name", "FS04", "--inbound", "--password-stdin"}, 2, `two names given, "FS03" and --name "FS04": give one`},
		{[]string{"slave", "add", "--inbound", "--password-stdin"}, 2, "give the slave's name: lanyard slave add NAME"},
		{[]string{"slave", "add", "FS05", "FS06", "--inbound", "--password-stdin"}, 2, "lanyard slave add takes at most 1 argument, got 2 (usage: lanyard slave add NAME (--inbound | --address HOST:PORT) --password-stdin"},
		{[]string{"slave", "list", "FS01"}, 2, `lanyard slave list takes no arguments, got "FS01"`},
	} {
		if code, out := run("pw\n", tt.args...); code != tt.code || !strings.Contains(out, tt.want) {
			t.Errorf("%v: exit %d, want %d and %q in\n%s", tt.args, code, tt.code, tt.want, out)
		}
	}
	var out bytes.Buffer
	if Main([]string{"slave", "list", "--data-dir", dir}, strings.NewReader(""), &out, &out); !regexp.MustCompile(`(?s)^NAME.*\nFS01 .*\nFS02 [^\n]*\n$`).MatchString(out.String()) {
		t.Errorf("want FS01 and FS02 alone:\n%s", &out)
	}
}
