package app_test

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/sirupsen/logrus"

	"github.com/lanyard/lanyard/app"
)

// fakeSystemLog records what reaches the system log.
type fakeSystemLog struct{ lines []string }

func (f *fakeSystemLog) Error(v ...any) error {
	f.lines = append(f.lines, "E "+fmt.Sprint(v...))
	return nil
}
func (f *fakeSystemLog) Warning(v ...any) error {
	f.lines = append(f.lines, "W "+fmt.Sprint(v...))
	return nil
}
func (f *fakeSystemLog) Info(v ...any) error {
	f.lines = append(f.lines, "I "+fmt.Sprint(v...))
	return nil
}

func TestTheSystemLogGetsInfoAndWorseAtTheirLevels(t *testing.T) {
	sys := &fakeSystemLog{}
	log, err := app.NewLogger(new(strings.Builder), "debug", false)
	if err != nil {
		t.Fatal(err)
	}
	log.AddHook(app.NewSystemLogHook(sys))
	log.Debug("only in the file")
	log.WithField("event", "listening").Info("listening for consoles on :16888")
	log.WithFields(logrus.Fields{"remote": "10.0.0.2:16888", "event": "dial_failed"}).Warn("console unreachable")
	log.WithError(fmt.Errorf("port in use")).Error("the agent stopped")
	want := []string{
		"I listening for consoles on :16888 event=listening",
		"W console unreachable event=dial_failed remote=10.0.0.2:16888",
		`E the agent stopped error="port in use"`,
	}
	if strings.Join(sys.lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("system log got\n%s\nwant\n%s", strings.Join(sys.lines, "\n"), strings.Join(want, "\n"))
	}
}

func TestTheAgentLogsBesideItsDataUnlessItIsTheSystemsAgent(t *testing.T) {
	dir := t.TempDir()
	if got := app.AgentLogDir(dir); got != filepath.Join(dir, "log") {
		t.Errorf("AgentLogDir(%s) = %s", dir, got)
	}
	if sys := app.SystemAgentDataDir(); sys != "" {
		if got := app.AgentLogDir(sys); got != app.SystemAgentLogDir() {
			t.Errorf("AgentLogDir(%s) = %s, want %s", sys, got, app.SystemAgentLogDir())
		}
	}
}

func TestPrivateDirectoriesAreTheOwnersOnly(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "a", "b")
	if err := app.EnsurePrivateDir(dir); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(dir)
	if err != nil || !fi.IsDir() {
		t.Fatalf("%s: %v", dir, err)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o700 {
		t.Errorf("mode %v, want 0700", fi.Mode().Perm())
	}
	// A directory the user made is left as it is.
	shared := filepath.Join(base, "shared")
	if err := os.Mkdir(shared, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(shared, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := app.EnsurePrivateDir(shared); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(shared); runtime.GOOS != "windows" && fi.Mode().Perm() != 0o755 {
		t.Errorf("an existing directory was changed to %v", fi.Mode().Perm())
	}
	file := filepath.Join(base, "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := app.EnsurePrivateDir(file); err == nil {
		t.Error("a file was accepted as a directory")
	}
}
