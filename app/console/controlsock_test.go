package console

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/lanyard/lanyard/app/cmdline"
	"github.com/lanyard/lanyard/core/control"
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
