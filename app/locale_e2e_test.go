package app_test

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// Under Debian's default C.UTF-8 (containers, cron, systemd) the console's
// commands print what they should and nothing about the locale: Fyne
// used to say "Error parsing user locale C" three times on every run.
func TestTheConsolesCommandsAreQuietUnderTheCLocale(t *testing.T) {
	if testing.Short() {
		t.Skip("end to end")
	}
	console, _ := binaries(t)
	cmd := exec.Command(console, "--data-dir", t.TempDir(), "report")
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "LANG=") && !strings.HasPrefix(kv, "LANGUAGE=") && !strings.HasPrefix(kv, "LC_") {
			env = append(env, kv)
		}
	}
	cmd.Env = append(env, "LANG=C.UTF-8")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("lanyard report: %v\n%s%s", err, stdout.String(), stderr.String())
	}
	if stderr.Len() > 0 {
		t.Errorf("lanyard report under LANG=C.UTF-8 wrote to standard error:\n%s", stderr.String())
	}
	if !strings.Contains(stdout.String(), "Lanyard backup report") {
		t.Errorf("lanyard report printed %q", stdout.String())
	}
}
