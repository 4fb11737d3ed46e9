package testkit

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// AgentBinary builds the real lanyard-agent with CGO_ENABLED=0 into the
// test's temporary directory (or uses LANYARD_BIN_DIR, where the Makefile
// put it). Go's build cache makes the second build a link. It skips the
// test under -short.
func AgentBinary(t testing.TB) string {
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
