//go:build linux

package service

// The real binary, for the install test and the benchmark (both Linux
// only: they need /proc and a service manager).

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// agentBinary builds the real lanyard-agent with CGO_ENABLED=0 into the
// test's temporary directory (or uses LANYARD_BIN_DIR, where the Makefile
// put it). Go's build cache makes the second build a link.
func agentBinary(t testing.TB) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the real lanyard-agent binary")
	}
	if dir := os.Getenv("LANYARD_BIN_DIR"); dir != "" {
		return filepath.Join(dir, "lanyard-agent")
	}
	bin := filepath.Join(t.TempDir(), "lanyard-agent")
	cmd := exec.Command("go", "build", "-trimpath", "-o", bin, "github.com/lanyard/lanyard/service/lanyard-agent")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build lanyard-agent: %v\n%s", err, out)
	}
	return bin
}

// runBin runs the real binary to completion.
func runBin(t testing.TB, stdin, bin string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

func mustRunBin(t testing.TB, stdin, bin string, args ...string) string {
	t.Helper()
	out, err := runBin(t, stdin, bin, args...)
	if err != nil {
		t.Fatalf("lanyard-agent %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}
