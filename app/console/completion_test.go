package console

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lanyard/lanyard/app"
	"github.com/lanyard/lanyard/core/master"
	"github.com/lanyard/lanyard/core/store"
)

// complete is what the shell is offered for the command line args, whose
// last word is being typed, with --data-dir dir.
func complete(t *testing.T, dir string, args ...string) []string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	line := append([]string{"__complete", "--data-dir", dir}, args...)
	if code := Main(line, strings.NewReader(""), &stdout, &stderr); code != 0 {
		t.Fatalf("%q: exit %d\n%s", args, code, &stderr)
	}
	var out []string
	for l := range strings.Lines(stdout.String()) {
		if l = strings.TrimSuffix(l, "\n"); !strings.HasPrefix(l, ":") {
			out = append(out, l)
		}
	}
	return out
}

func TestTheShellCompletesTheNamesThisConsoleKnows(t *testing.T) {
	dir := consoleDir(t, func(db *store.DB) error {
		for _, s := range []master.SlaveSpec{{Name: "FS01", Group: "Acme"}, {Name: "fs02", Group: "Acme"}, {Name: "WEB", Group: "Globex"}, {Name: "lab"}} {
			s.Direction, s.Password = store.Inbound, []byte("pw")
			if _, err := master.AddSlave(db, s); err != nil {
				return err
			}
		}
		return nil
	})
	cases := []struct {
		args []string
		want []string
	}{
		{[]string{"status", "fs"}, []string{"FS01\tAcme", "fs02\tAcme"}},
		{[]string{"status", "FS01", ""}, nil}, // one name only
		{[]string{"slave", "disconnect", "w"}, []string{"WEB\tGlobex"}},
		{[]string{"slave", "edit", "l"}, []string{"lab"}},
		{[]string{"task", "run", "--slave", "F"}, []string{"FS01\tAcme", "fs02\tAcme"}},
		{[]string{"agent-log", "--slave", "WE"}, []string{"WEB\tGlobex"}},
		{[]string{"check", "--group", ""}, []string{"Acme", "Globex"}},
		{[]string{"check", "--slave", "lab"}, []string{"lab"}},
		{[]string{"log", "--slave", "x"}, nil},
	}
	for _, c := range cases {
		if got := complete(t, dir, c.args...); !slices.Equal(got, c.want) {
			t.Errorf("%q: offered %q, want %q", c.args, got, c.want)
		}
	}
}

func TestACompletionCreatesNoDatabase(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "none")
	if got := complete(t, dir, "status", ""); len(got) != 0 {
		t.Fatalf("offered %q with no database", got)
	}
	if _, err := os.Stat(filepath.Join(dir, app.ConsoleDB)); !os.IsNotExist(err) {
		t.Fatalf("a completion made a database: %v", err)
	}
}
