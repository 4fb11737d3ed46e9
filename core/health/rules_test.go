package health

import (
	"testing"
	"time"

	"github.com/lanyard/lanyard/core/backup"
)

// noon is the fixed clock of the rules' tests.
var noon = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)

func ago(d time.Duration) time.Time { return noon.Add(-d) }

func TestEvaluate(t *testing.T) {
	day := 24 * time.Hour
	daily := Task{Name: "docs", Schedule: "daily@02:00", OverdueAfter: 2 * day, Cursor: Cursor{Created: ago(30 * day)}}
	with := func(f func(*Task)) Task { t := daily; f(&t); return t }
	cases := []struct {
		name    string
		task    Task
		state   State
		overdue bool
	}{
		{"a task that succeeded last night is ok", with(func(t *Task) { t.LastSuccess = ago(10 * time.Hour); t.LastResult = backup.ResultCompleted }), StateOK, false},
		{"a success with warnings is a success", with(func(t *Task) { t.LastSuccess = ago(10 * time.Hour); t.LastResult = backup.ResultWarnings }), StateOK, false},
		{"a task whose last run failed is failed", with(func(t *Task) {
			t.LastSuccess, t.LastResult, t.FailuresSinceSuccess = ago(34*time.Hour), backup.ResultFailed, 1
		}), StateFailed, false},
		{"a task failing for three days is failed, not merely overdue", with(func(t *Task) {
			t.LastSuccess, t.LastResult, t.FailuresSinceSuccess = ago(3*day), backup.ResultFailed, 3
		}), StateFailed, true},
		{"a task with no success within its overdue-after is overdue", with(func(t *Task) { t.LastSuccess = ago(2*day + time.Minute) }), StateOverdue, true},
		{"exactly at its overdue-after a task is not yet overdue", with(func(t *Task) { t.LastSuccess = ago(2 * day) }), StateOK, false},
		{"a stopped run after a success changes nothing", with(func(t *Task) {
			t.LastSuccess, t.LastResult = ago(10*time.Hour), backup.ResultStopped
		}), StateOK, false},
		{"a task never run, created long ago, is overdue", with(func(t *Task) {}), StateOverdue, true},
		{"a task never run, created an hour ago, is unknown", with(func(t *Task) { t.Cursor.Created = ago(time.Hour) }), StateUnknown, false},
		{"a running task that was ok is running", with(func(t *Task) { t.LastSuccess, t.Running = ago(10*time.Hour), true }), StateRunning, false},
		{"a running task that had failed stays failed until a run succeeds", with(func(t *Task) {
			t.LastSuccess, t.FailuresSinceSuccess, t.Running = ago(30*time.Hour), 1, true
		}), StateFailed, false},
		{"a running overdue task is overdue", with(func(t *Task) { t.LastSuccess, t.Running = ago(5*day), true }), StateOverdue, true},
		{"a manual task is never overdue", Task{Name: "m", Schedule: "manual", LastSuccess: ago(300 * day), Cursor: Cursor{Created: ago(400 * day)}}, StateOK, false},
		{"a manual task never run is unknown", Task{Name: "m", Schedule: "manual", Cursor: Cursor{Created: ago(400 * day)}}, StateUnknown, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := Evaluate(&c.task, time.UTC, noon)
			if e.State != c.state || e.Overdue != c.overdue {
				t.Fatalf("Evaluate = %s (overdue %v), want %s (overdue %v)", e.State, e.Overdue, c.state, c.overdue)
			}
		})
	}
}

func TestTheNextRun(t *testing.T) {
	cases := []struct {
		name string
		task Task
		zone *time.Location
		want time.Time
	}{
		{"the agent's next run while it lies ahead", Task{Schedule: "daily@02:00", NextRun: noon.Add(time.Hour)}, time.UTC, noon.Add(time.Hour)},
		{"once passed, the schedule's next slot", Task{Schedule: "daily@02:00", NextRun: ago(10 * time.Hour)}, time.UTC,
			time.Date(2026, 3, 11, 2, 0, 0, 0, time.UTC)},
		{"on the agent's clock, two hours ahead of UTC", Task{Schedule: "daily@02:00"}, time.FixedZone("", 2*3600),
			time.Date(2026, 3, 11, 0, 0, 0, 0, time.UTC)},
		{"a manual task has none", Task{Schedule: "manual"}, time.UTC, time.Time{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := Evaluate(&c.task, c.zone, noon).NextRun; !got.Equal(c.want) {
				t.Fatalf("next run %v, want %v", got, c.want)
			}
		})
	}
}

func TestFailuresSinceTheLastSuccess(t *testing.T) {
	var tk Task
	run := func(r backup.Result, at time.Duration) {
		tk.Finish(backup.Report{Task: "docs", Result: r, Started: ago(at + time.Minute), Finished: ago(at), Error: "disk full"})
	}
	steps := []struct {
		name     string
		result   backup.Result
		failures int
		state    State
	}{
		{"a first success", backup.ResultCompleted, 0, StateOK},
		{"then a failure counts one", backup.ResultFailed, 1, StateFailed},
		{"a stopped run counts nothing", backup.ResultStopped, 1, StateFailed},
		{"an interrupted run counts as a failure", backup.ResultInterrupted, 2, StateFailed},
		{"a success with warnings ends the streak", backup.ResultWarnings, 0, StateOK},
	}
	for i, s := range steps {
		run(s.result, time.Duration(len(steps)-i)*time.Hour)
		if tk.FailuresSinceSuccess != s.failures || Evaluate(&tk, time.UTC, noon).State != s.state {
			t.Fatalf("%s: failures %d, state %s; want %d, %s", s.name, tk.FailuresSinceSuccess, Evaluate(&tk, time.UTC, noon).State, s.failures, s.state)
		}
	}
	if !tk.LastSuccess.Equal(ago(time.Hour)) || tk.LastError != "disk full" {
		t.Fatalf("last success %v, error %q", tk.LastSuccess, tk.LastError)
	}
}

// A task keeps its destination's space as its last successful run left
// it: a failed run, which read none, does not forget it.
func TestATaskKeepsItsDestinationsSpaceFromItsLastSuccess(t *testing.T) {
	var tk Task
	tk.Finish(backup.Report{Result: backup.ResultCompleted, BytesCopied: 3 << 30, DestFree: 4 << 30, DestTotal: 1 << 40})
	tk.Finish(backup.Report{Result: backup.ResultFailed, Error: "the destination is full"})
	want := DestSpace{Free: 4 << 30, Total: 1 << 40, Wrote: 3 << 30}
	if tk.Dest != want {
		t.Fatalf("after a failure: %+v, want %+v", tk.Dest, want)
	}
	if got := tk.Dest.Low(); got != "has 4.0 GiB free, less than two runs like the last (3.0 GiB each)" {
		t.Fatalf("Low: %q", got)
	}
}

// A run's warnings are kept with the task, how many and the first, until
// a run without any ends: the Backups window says what they are about.
func TestATaskKeepsItsLastRunsWarnings(t *testing.T) {
	var tk Task
	tk.Finish(backup.Report{Result: backup.ResultWarnings, WarningCount: 3,
		Warnings: []string{"verify: /docs/a.txt content differs from the manifest", "verify: /docs/b.txt missing"}})
	if tk.LastWarnings != 3 || tk.LastWarning != "verify: /docs/a.txt content differs from the manifest" {
		t.Fatalf("after a run with warnings: %d, %q", tk.LastWarnings, tk.LastWarning)
	}
	tk.Finish(backup.Report{Result: backup.ResultCompleted})
	if tk.LastWarnings != 0 || tk.LastWarning != "" {
		t.Errorf("after a clean run: %d, %q", tk.LastWarnings, tk.LastWarning)
	}
}

func TestWorstAndCounts(t *testing.T) {
	cases := []struct {
		name   string
		states []State
		worst  State
		text   string
	}{
		{"no tasks", nil, "", "no backup tasks"},
		{"all ok", []State{StateOK, StateOK}, StateOK, "2 ok"},
		{"a failure is worse than anything", []State{StateOK, StateOverdue, StateFailed, StateRunning}, StateFailed, "1 ok · 1 failed · 1 overdue · 1 running"},
		{"unknown is worse than running", []State{StateRunning, StateUnknown}, StateUnknown, "1 running · 1 unknown"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var n Counts
			for _, s := range c.states {
				n.Add(s, 1)
			}
			if Worst(c.states...) != c.worst || n.Worst() != c.worst || n.String() != c.text {
				t.Fatalf("worst %q / %q, text %q; want %q, %q", Worst(c.states...), n.Worst(), n.String(), c.worst, c.text)
			}
		})
	}
}

func TestCutErrorKeepsWholeCharacters(t *testing.T) {
	long := ""
	for len(long) < 400 {
		long += "é"
	}
	got := CutError(long)
	if len(got) > maxErrorText+len("…") || got[len(got)-len("…"):] != "…" {
		t.Fatalf("cut to %d bytes: %q", len(got), got[len(got)-8:])
	}
	for _, r := range got {
		if r == '\uFFFD' {
			t.Fatal("a character was cut in half")
		}
	}
}
