package taskcli

import (
	"testing"
	"time"

	"github.com/lanyard/lanyard/core/agent"
	"github.com/lanyard/lanyard/core/backup"
)

// task list and task show say when a failed run is tried again, until
// the try begins.
func TestALastRunSaysWhenItIsTriedAgain(t *testing.T) {
	at := time.Date(2026, 12, 5, 2, 10, 0, 0, time.Local)
	info := agent.TaskInfo{LastRun: &backup.Report{Result: backup.ResultFailed, Finished: at.Add(-10 * time.Minute), RetryAt: at}}
	if got := lastResult(info); got != "failed (tried again at 02:10)" {
		t.Errorf("waiting for its retry: %q", got)
	}
	info.Running = true
	if got := lastResult(info); got != "failed" {
		t.Errorf("while it is tried again: %q", got)
	}
}
