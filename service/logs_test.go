package service

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLogsPrintsTheLastLinesAndSaysWhenThereIsNoLog(t *testing.T) {
	dir := t.TempDir()
	logDir := filepath.Join(dir, "log")
	if err := os.MkdirAll(logDir, 0o700); err != nil {
		t.Fatal(err)
	}
	r := cli{t: t}.run("", "--data-dir", dir, "logs", "-n", "1")
	if r.code != 1 || !strings.Contains(r.stderr, "no log at "+filepath.Join(logDir, "lanyard-agent.log")) {
		t.Fatalf("logs without a file: %s", r)
	}
	content := "time=\"2026-01-02 10:00:00.000\" level=info msg=\"first\"\n" +
		"time=\"2026-01-02 10:00:01.000\" level=warning msg=\"second\"\n"
	if err := os.WriteFile(filepath.Join(logDir, "lanyard-agent.log"), []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	r = cli{t: t}.run("", "--data-dir", dir, "logs", "-n", "1")
	if r.code != 0 || r.stdout != "time=\"2026-01-02 10:00:01.000\" level=warning msg=\"second\"\n" {
		t.Fatalf("logs -n 1: %s", r)
	}
	r = cli{t: t}.run("", "--data-dir", dir, "logs", "-n", "0", "--level", "warning")
	if r.code != 0 || strings.Contains(r.stdout, "first") || !strings.Contains(r.stdout, "second") {
		t.Fatalf("logs --level warning: %s", r)
	}
}
