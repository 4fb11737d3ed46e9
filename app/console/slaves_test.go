package console

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

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
