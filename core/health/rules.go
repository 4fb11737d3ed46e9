package health

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/lanyard/lanyard/core/backup"
	"github.com/lanyard/lanyard/core/human"
)

// State is a task's backup health.
type State string

// States, from worst to best as Worst ranks them.
const (
	StateFailed  State = "failed"  // a run failed since the last success
	StateOverdue State = "overdue" // no success within the task's overdue-after
	StateUnknown State = "unknown" // never succeeded (or nothing known yet)
	StateRunning State = "running"
	StateOK      State = "ok"
)

// States lists every state, worst first.
var States = []State{StateFailed, StateOverdue, StateUnknown, StateRunning, StateOK}

// rank: higher is worse; "" (no tasks) is below everything.
func (s State) rank() int {
	switch s {
	case StateFailed:
		return 5
	case StateOverdue:
		return 4
	case StateUnknown:
		return 3
	case StateRunning:
		return 2
	case StateOK:
		return 1
	}
	return 0
}

// Worse reports whether s is worse than o.
func (s State) Worse(o State) bool { return s.rank() > o.rank() }

// Worst is the worst of the states ("" for none).
func Worst(states ...State) State {
	var w State
	for _, s := range states {
		if s.Worse(w) {
			w = s
		}
	}
	return w
}

// ParseState reads a state's name.
func ParseState(s string) (State, error) {
	for _, st := range States {
		if strings.EqualFold(s, string(st)) {
			return st, nil
		}
	}
	return "", fmt.Errorf("%q is not a backup state: use failed, overdue, running, unknown or ok", s)
}

// Cursor names what a console has seen of a task on its agent: the
// task's definition (its creation and version) and its run history (the
// sequence number of the newest run record, and whether that run had
// ended). An agent compares it with its own to send only what changed.
type Cursor struct {
	Created time.Time `json:"created,omitzero"`
	Version uint64    `json:"version,omitempty"`
	RunSeq  uint64    `json:"run_seq,omitempty"`
	RunDone bool      `json:"run_done,omitempty"`
	// Amended counts the times the newest run record was written again
	// after its run (backup.Report.Amended).
	Amended uint64 `json:"amended,omitempty"`
}

// Task is what is known of one task's backup health, as the console
// stores it.
type Task struct {
	Name   string `json:"name"`
	Cursor Cursor `json:"cursor"`
	// Schedule is the task's (backup.ParseSchedule's form), for the next
	// run once the one the agent named has passed.
	Schedule string `json:"schedule,omitempty"`
	// Paused: the task runs only when started by hand (Schedule is then
	// the one in force, manual).
	Paused bool `json:"paused,omitempty"`
	// OverdueAfter is the one in force (the task's own, or twice its
	// schedule's interval); 0: never overdue.
	OverdueAfter time.Duration `json:"overdue_after,omitempty"`
	Running      bool          `json:"running,omitempty"`
	RunningSince time.Time     `json:"running_since,omitzero"`
	// The last run that ended.
	LastResult   backup.Result `json:"last_result,omitempty"`
	LastStarted  time.Time     `json:"last_started,omitzero"`
	LastFinished time.Time     `json:"last_finished,omitzero"`
	LastError    string        `json:"last_error,omitempty"`
	// LastWarnings counts the last run's warnings (a file it could not
	// read, a copy its verify found damaged), and LastWarning is the first.
	LastWarnings int    `json:"last_warnings,omitempty"`
	LastWarning  string `json:"last_warning,omitempty"`
	// LastDamaged counts the copies the last run's verify found missing
	// or changed, or those a verify or restore by hand found so since
	// (the last at FoundAt) when more (backup.Report.Damaged): the
	// destination's disk may be failing.
	LastDamaged int       `json:"last_damaged,omitempty"`
	FoundAt     time.Time `json:"found_at,omitzero"`
	LastSuccess time.Time `json:"last_success,omitzero"`
	// FailuresSinceSuccess counts failed (and interrupted) runs since the
	// last success.
	FailuresSinceSuccess int `json:"failures_since_success,omitempty"`
	// RetryAt is when the agent tries the last run, which failed, again
	// (backup.Report.RetryAt); zero when it does not.
	RetryAt time.Time `json:"retry_at,omitzero"`
	NextRun time.Time `json:"next_run,omitzero"`
	// Alerted is the state last announced (failed, overdue), so it is not
	// announced again; "" once the task is well again.
	Alerted State `json:"alerted,omitempty"`
	// AlertedFull: the destination's shortage of room (Dest.Low) was
	// announced; false once it has room again.
	AlertedFull bool `json:"alerted_full,omitempty"`
	// AlertedDamaged: the damage the last run's verify found was
	// announced; false once a run found none.
	AlertedDamaged bool `json:"alerted_damaged,omitempty"`
	// Dest is the destination disk as the last successful run left it.
	Dest DestSpace `json:"dest,omitzero"`
}

// DestSpace is a task's destination disk after a run: its free and
// total bytes, and what the run wrote (zeros: not known).
type DestSpace struct {
	Free  uint64 `json:"free,omitempty"`
	Total uint64 `json:"total,omitempty"`
	Wrote int64  `json:"wrote,omitempty"`
}

// DestOf is what rep says of its destination's space.
func DestOf(rep backup.Report) DestSpace {
	return DestSpace{Free: rep.DestFree, Total: rep.DestTotal, Wrote: rep.BytesCopied}
}

// Low says how the destination is short of room for the next runs
// (backup.SpaceLow: the words follow "the destination"); "" when it is
// not, or is not known.
func (d DestSpace) Low() string { return backup.SpaceLow(d.Free, d.Total, d.Wrote) }

// maxErrorText bounds a stored run error.
const maxErrorText = 300

// CutError keeps an agent's error text short enough to store and show.
func CutError(s string) string { return human.Shorten(strings.TrimSpace(s), maxErrorText) }

// Failure says whether a run's result counts as a failure (failed, or
// interrupted by the agent's end).
func Failure(r backup.Result) bool {
	return r == backup.ResultFailed || r == backup.ResultInterrupted
}

// Warned says the last run completed with warnings that are not damaged
// copies, which are an alert of their own: a file it could not read.
// The task is still ok; the overview and the report say so, and no alert.
func (t *Task) Warned() bool { return warnedOnly(t.LastResult, t.LastWarnings, t.LastDamaged) }

func warnedOnly(res backup.Result, warnings, damaged int) bool {
	return res == backup.ResultWarnings && warnings > 0 && damaged == 0
}

// WarnedWords say how the last run completed, for a run with warnings:
// "completed, 2 warnings: /srv/docs/locked.pst: permission denied"
// (first: the first of them, "" when not known).
func WarnedWords(warnings int, first string) string {
	s := "completed, " + human.Plural(warnings, "warning", "warnings")
	if first != "" {
		s += ": " + first
	}
	return s
}

// SetLast records rep as the last run that ended: how and when it
// ended, its error and warnings, and when it is tried again.
func (t *Task) SetLast(rep backup.Report) {
	t.LastResult, t.LastStarted, t.LastFinished = rep.Result, rep.Started, rep.Finished
	t.LastError = CutError(rep.Error)
	t.LastWarnings, t.LastWarning = rep.WarningCount, ""
	t.LastDamaged, t.FoundAt = rep.Damaged(), rep.FoundAt
	if len(rep.Warnings) > 0 {
		t.LastWarning = CutError(rep.Warnings[0])
	}
	t.RetryAt = rep.RetryAt
}

// Finish applies the end of a run to t.
func (t *Task) Finish(rep backup.Report) {
	t.Running, t.RunningSince = false, time.Time{}
	t.SetLast(rep)
	if d := DestOf(rep); d.Total > 0 {
		t.Dest = d
	}
	switch {
	case rep.Result.Succeeded():
		t.LastSuccess, t.FailuresSinceSuccess = rep.Finished, 0
	case Failure(rep.Result):
		t.FailuresSinceSuccess++
	}
}

// Retrying says the task's failure may yet mend by itself at now: the
// agent tries the failed run again at RetryAt, or is trying (a run that
// goes). A retry that has not been heard of for grace after its time is
// not waited for any longer (the agent went away meanwhile).
func (t *Task) Retrying(now time.Time, grace time.Duration) bool {
	return !t.RetryAt.IsZero() && (t.Running || now.Before(t.RetryAt.Add(grace)))
}

// Eval is a task's state at one moment.
type Eval struct {
	State   State
	Overdue bool
	NextRun time.Time
}

// Evaluate is task t's state at now. zone is the agent's clock's zone,
// in which its schedule is read once the next run it named has passed.
func Evaluate(t *Task, zone *time.Location, now time.Time) Eval {
	e := Eval{NextRun: t.NextRun}
	if t.OverdueAfter > 0 {
		since := t.LastSuccess
		if since.IsZero() {
			since = t.Cursor.Created
		}
		e.Overdue = !since.IsZero() && now.Sub(since) > t.OverdueAfter
	}
	if !e.NextRun.After(now) {
		e.NextRun = nextRun(t.Schedule, zone, now)
	}
	e.State = StateOf(t.FailuresSinceSuccess > 0, e.Overdue, t.Running, !t.LastSuccess.IsZero())
	return e
}

// StateOf is a task's state: failed while a run failed since its last
// success, then overdue, running, unknown until a run succeeds, else ok.
func StateOf(failing, overdue, running, succeeded bool) State {
	switch {
	case failing:
		return StateFailed
	case overdue:
		return StateOverdue
	case running:
		return StateRunning
	case !succeeded:
		return StateUnknown
	}
	return StateOK
}

// schedules caches parsed schedules: a fleet shares a few dozen.
var schedules sync.Map // string → backup.Schedule

func nextRun(spec string, zone *time.Location, now time.Time) time.Time {
	if spec == "" {
		return time.Time{}
	}
	v, ok := schedules.Load(spec)
	if !ok {
		s, err := backup.ParseSchedule(spec)
		if err != nil {
			return time.Time{}
		}
		v, _ = schedules.LoadOrStore(spec, s)
	}
	if zone == nil {
		zone = time.Local
	}
	return v.(backup.Schedule).Next(now.In(zone))
}

// Counts counts tasks per state.
type Counts struct {
	OK, Failed, Overdue, Running, Unknown int
}

// Add counts one task in state s.
func (c *Counts) Add(s State, n int) {
	switch s {
	case StateOK:
		c.OK += n
	case StateFailed:
		c.Failed += n
	case StateOverdue:
		c.Overdue += n
	case StateRunning:
		c.Running += n
	case StateUnknown:
		c.Unknown += n
	}
}

// Of is the count of state s.
func (c Counts) Of(s State) int {
	switch s {
	case StateOK:
		return c.OK
	case StateFailed:
		return c.Failed
	case StateOverdue:
		return c.Overdue
	case StateRunning:
		return c.Running
	case StateUnknown:
		return c.Unknown
	}
	return 0
}

// Total is every task counted.
func (c Counts) Total() int { return c.OK + c.Failed + c.Overdue + c.Running + c.Unknown }

// Worst is the worst state counted, "" for none.
func (c Counts) Worst() State {
	for _, s := range States {
		if c.Of(s) > 0 {
			return s
		}
	}
	return ""
}

// String is "12 ok · 1 failed · 2 overdue": the states present, ok
// first, as the tree's group rows and the status bar show them.
func (c Counts) String() string {
	var parts []string
	for _, s := range []State{StateOK, StateFailed, StateOverdue, StateRunning, StateUnknown} {
		if n := c.Of(s); n > 0 {
			parts = append(parts, human.Count(n)+" "+string(s))
		}
	}
	if len(parts) == 0 {
		return "no backup tasks"
	}
	return strings.Join(parts, " · ")
}
