package master

import (
	"testing"
	"time"

	"github.com/lanyard/lanyard/core/agent"
	"github.com/lanyard/lanyard/core/backup"
	"github.com/lanyard/lanyard/internal/testkit"
)

// The console's log says which retry of a task's run started, and how it
// ended as the agent's log does: when a run that failed is tried again.
func TestTheLogSaysWhichRetryRunsAndWhenAFailedRunIsTriedAgain(t *testing.T) {
	log, hook := testkit.Logger()
	m := &Master{log: log}
	ended := time.Date(2026, 12, 5, 2, 0, 0, 0, time.Local)
	m.logTaskEvent(TaskEvent{Slave: "FS01", TaskEvent: agent.TaskEvent{Kind: agent.EventStarted, Task: "docs",
		Report: &backup.Report{Trigger: backup.TriggerRetry, Attempt: 2}}})
	if got := hook.LastEntry().Message; got != "FS01: task docs: run started (retry 2)" {
		t.Errorf("started: %q", got)
	}
	m.logTaskEvent(TaskEvent{Slave: "FS01", TaskEvent: agent.TaskEvent{Kind: agent.EventFinished, Task: "docs",
		Report: &backup.Report{Result: backup.ResultFailed, Error: "the share is not mounted",
			Started: ended.Add(-2 * time.Second), Finished: ended, RetryAt: ended.Add(10 * time.Minute)}}})
	if got := hook.LastEntry().Message; got != "FS01: task docs: failed after 2.0 s: the share is not mounted; tried again at 02:10" {
		t.Errorf("finished: %q", got)
	}
}
