package backup

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// A scheduled run that fails (a share not mounted yet at 02:00, a NAS
// rebooting for its updates) is tried again: Task.Retries times at most,
// Task.RetryWait apart, unless the task's next scheduled time comes
// first. So is one the agent's own end cut short (the server restarting
// for its updates at 03:00), as soon as the agent is back. A run a person
// started is not: they see its end. The agent's scheduler does the
// trying (core/agent); the run's report says when it is tried again
// (Report.RetryAt), so that the console holds its alert until the last
// try has failed.

// Bounds and defaults of a task's retries.
const (
	// DefaultRetries is a new task's: two more tries of a failed
	// scheduled run.
	DefaultRetries = 2
	MaxRetries     = 10
	// DefaultRetryWait is the wait before a retry when the task names
	// none.
	DefaultRetryWait = 10 * time.Minute
	MinRetryWait     = time.Minute
	MaxRetryWait     = 24 * time.Hour
)

// RetryDelay is how long after a failed run the task tries again.
func (t *Task) RetryDelay() time.Duration {
	if t.RetryWait == 0 {
		return DefaultRetryWait
	}
	return time.Duration(t.RetryWait)
}

// RetryAfter is when a scheduled run of the task that failed at ended,
// and was the attempt-th retry (0: the first try), is tried again: zero
// when it is not (no retries left, or the next scheduled run, at next,
// comes first or at the same time).
func (t *Task) RetryAfter(attempt int, ended, next time.Time) time.Time {
	if attempt >= t.Retries {
		return time.Time{}
	}
	at := ended.Add(t.RetryDelay())
	if !next.IsZero() && !next.After(at) {
		return time.Time{}
	}
	return at
}

// RetriesApply says whether a run started by trigger is tried again when
// it fails: a scheduled one, its catch-up, or a retry.
func RetriesApply(trigger string) bool {
	return trigger == TriggerSchedule || trigger == TriggerCatchUp || trigger == TriggerRetry
}

// Why a number of retries or a wait between them is refused, as the
// command lines and the task dialog say after what was typed.
var (
	errRetries   = fmt.Errorf("give a number from 0 to %d", MaxRetries)
	errRetryWait = fmt.Errorf("give a duration from %s to %s, such as 15m", Duration(MinRetryWait), Duration(MaxRetryWait))
)

// ValidRetries checks a number of retries: 0 to MaxRetries.
func ValidRetries(n int) error {
	if n < 0 || n > MaxRetries {
		return errRetries
	}
	return nil
}

// ParseRetries reads a number of retries as typed.
func ParseRetries(s string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return 0, errRetries
	}
	return n, ValidRetries(n)
}

// ParseRetryWait reads the wait between retries as typed ("15m", "1h"):
// MinRetryWait to MaxRetryWait.
func ParseRetryWait(s string) (Duration, error) {
	d, err := ParseDuration(s)
	if err != nil || d < MinRetryWait || d > MaxRetryWait {
		return 0, errRetryWait
	}
	return Duration(d), nil
}

// validRetry checks a stored task's retries (one that did not come
// through the command line's flags: the wire, an edited file).
func validRetry(t *Task) error {
	if err := ValidRetries(t.Retries); err != nil {
		return invalidf("retries %d: %v", t.Retries, err)
	}
	if t.RetryWait != 0 {
		if _, err := ParseRetryWait(t.RetryWait.String()); err != nil {
			return invalidf("retry wait %s: %v", t.RetryWait, err)
		}
	}
	return nil
}

// RetryLine is the task's retries in a few words, for a task's
// description: "2, 10m apart", or "none".
func (t *Task) RetryLine() string {
	if t.Retries == 0 {
		return "none"
	}
	return fmt.Sprintf("%d, %s apart", t.Retries, Duration(t.RetryDelay()))
}

// RetryWords says when a run that ended at ended is tried again, at:
// "tried again at 02:10", or, for a run the agent's own end cut short
// (at is not after ended), "tried again once its agent is back"; "" when
// it is not tried again. loc is the zone of the clock shown.
func RetryWords(at, ended time.Time, loc *time.Location) string {
	switch {
	case at.IsZero():
		return ""
	case !at.After(ended):
		return "tried again once its agent is back"
	}
	return "tried again at " + RetryClock(at, loc)
}

// RetryClock is the time of a retry as every message says it: "02:10".
func RetryClock(at time.Time, loc *time.Location) string { return at.In(loc).Format("15:04") }

// ResultWords is a run's result and, while it waits for that, when it is
// tried again: "failed (tried again at 02:10)", or "failed". at is zero
// for a run not tried again, or one being tried again now.
func ResultWords(res Result, at, ended time.Time, loc *time.Location) string {
	if w := RetryWords(at, ended, loc); w != "" {
		return string(res) + " (" + w + ")"
	}
	return string(res)
}
