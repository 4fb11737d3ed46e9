package agent_test

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/sirupsen/logrus"

	"github.com/lanyard/lanyard/core/agent"
	"github.com/lanyard/lanyard/internal/testkit"
)

// childDirEnv hands the control directory to the test binary re-run as
// another user.
const (
	childDirEnv      = "LANYARD_TEST_CONTROL_CHILD_DIR"
	childScenarioEnv = "LANYARD_TEST_CONTROL_CHILD_SCENARIO"
)

// nobody is the unprivileged user the child runs as.
const nobody = 65534

func TestTheControlSocketRefusesAnotherUser(t *testing.T) {
	if os.Getenv(childDirEnv) != "" {
		t.Skip("in the child")
	}
	if os.Geteuid() != 0 {
		t.Skip("running a child as another user needs root")
	}
	a, dir := startControlled(t, nil)
	// Let the other user reach the socket, so that the peer's credentials
	// are what stops it, not the file's mode.
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o711); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(agent.ControlSocketPath(dir), 0o666); err != nil {
		t.Fatal(err)
	}
	bin := copyTestBinary(t)
	mark := a.watch.Mark()
	runChild(t, bin, dir, "peer")
	a.watch.Wait(t, mark, "the refusal", func(l testkit.Logged) bool {
		return l.Level == logrus.WarnLevel && strings.Contains(l.Message, fmt.Sprintf("not uid %d", nobody))
	})

	// With the socket owner-only again, the file's mode stops the other
	// user first; it is told so, not that the agent is not running (which
	// would send the command line to the database).
	if err := os.Chmod(agent.ControlSocketPath(dir), 0o600); err != nil {
		t.Fatal(err)
	}
	runChild(t, bin, dir, "file")
	// The agent itself is undisturbed.
	if _, err := dialControl(t, dir).Status(); err != nil {
		t.Fatal(err)
	}
}

// runChild runs TestControlChildAsAnotherUser as nobody in scenario.
func runChild(t *testing.T, bin, dir, scenario string) {
	t.Helper()
	cmd := exec.Command(bin, "-test.run=^TestControlChildAsAnotherUser$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), childDirEnv+"="+dir, childScenarioEnv+"="+scenario)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the child (%s) failed: %v\n%s", scenario, err, out)
	}
	if !strings.Contains(string(out), "--- PASS: TestControlChildAsAnotherUser") {
		t.Fatalf("the child (%s) did not run its test:\n%s", scenario, out)
	}
}

// TestControlChildAsAnotherUser runs only in the child of
// TestTheControlSocketRefusesAnotherUser, as nobody.
func TestControlChildAsAnotherUser(t *testing.T) {
	dir := os.Getenv(childDirEnv)
	if dir == "" {
		t.Skip("run by TestTheControlSocketRefusesAnotherUser")
	}
	if os.Geteuid() != nobody {
		t.Fatalf("the child runs as uid %d", os.Geteuid())
	}
	const denied = "permission denied: run as root or as the service's user"
	var ce *agent.ControlError
	switch scenario := os.Getenv(childScenarioEnv); scenario {
	case "peer": // the socket is open to all; the agent checks who asks
		c, err := agent.DialControl(dir)
		if err != nil {
			t.Fatalf("DialControl: %v (the socket should be reachable)", err)
		}
		_, err = c.SetSSL(true)
		if !errors.As(err, &ce) || ce.Usage || !strings.Contains(ce.Message, denied) {
			t.Fatalf("err = %v, want the agent's permission denied", err)
		}
	case "file": // the socket is owner-only
		_, err := agent.DialControl(dir)
		if !errors.As(err, &ce) || errors.Is(err, agent.ErrNotRunning) || !strings.Contains(ce.Message, denied) {
			t.Fatalf("err = %v, want permission denied rather than not running", err)
		}
		_, err = agent.Configure(dir, agent.ControlRequest{Op: agent.OpSetSSL, Value: "on"})
		if !errors.As(err, &ce) || !strings.Contains(ce.Message, denied) {
			t.Fatalf("Configure: %v, want permission denied", err)
		}
	default:
		t.Fatalf("unknown scenario %q", scenario)
	}
}

// copyTestBinary puts a copy of this test binary where another user may
// run it (the build directory is private).
func copyTestBinary(t *testing.T) string {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "lanyard-child-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	src, err := os.Open(self)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	bin := filepath.Join(dir, "agent.test")
	dst, err := os.OpenFile(bin, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
	return bin
}
