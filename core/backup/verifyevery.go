package backup

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/lanyard/lanyard/core/human"
)

// A task can have its runs verify their snapshot now and then
// (Task.VerifyEvery): the run that is due, once its snapshot is complete,
// re-reads every file of it against the manifest, as a verify does, the
// copies it linked from earlier snapshots too. A disk that rots a copy
// changes neither its size nor its time, so every later snapshot would
// link the damaged copy; a verify that finds it leaves a note, and the
// next run copies the file afresh (recopy.go). What it found is the
// run's warnings. Each run's report carries when the task's snapshots
// were last verified (Report.LastVerified), so the history's cap cannot
// lose it.

// MinVerifyEvery is the shortest VerifyEvery: a verify reads the whole
// snapshot.
const MinVerifyEvery = time.Hour

// verifySlack is how much sooner than VerifyEvery a run may verify, so
// that a run at the same time each day or week is not put off by the
// seconds the last one started later.
const verifySlack = time.Hour

var errVerifyEvery = fmt.Errorf("give off, or a duration of at least %s such as 7d", Duration(MinVerifyEvery))

// ParseVerifyEvery reads how often a task's runs verify, as people
// write it: off (or never, or 0), or a duration of at least an hour
// ("7d", "24h", "30d").
func ParseVerifyEvery(s string) (Duration, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "off", "never", "0", "":
		return 0, nil
	}
	d, err := ParseDuration(s)
	if err != nil || d < MinVerifyEvery {
		return 0, errVerifyEvery
	}
	return Duration(d), nil
}

func validVerifyEvery(d Duration) error {
	if d != 0 && time.Duration(d) < MinVerifyEvery {
		return invalidf("verify-every %s: %v", d, errVerifyEvery)
	}
	return nil
}

// VerifyDue says whether a run of t that starts at now verifies its
// snapshot, its snapshots having last been verified by a run at last
// (zero: never).
func (t *Task) VerifyDue(last, now time.Time) bool {
	every := time.Duration(t.VerifyEvery)
	if every <= 0 {
		return false
	}
	return last.IsZero() || now.Sub(last) >= every-min(verifySlack, every/10)
}

// VerifyWords is how often a task's runs verify, in a person's words:
// "never", "every day", "every week", "every 30 days", "every 36h".
func VerifyWords(d Duration) string {
	day := 24 * time.Hour
	switch v := time.Duration(d); {
	case v <= 0:
		return "never"
	case v == day:
		return "every day"
	case v == 7*day:
		return "every week"
	case v%day == 0:
		return fmt.Sprintf("every %d days", v/day)
	default:
		return "every " + human.Typed(v)
	}
}

// errVerifyStopped is why a run's verify did not finish when its run was
// stopped, or the agent ended, meanwhile.
var errVerifyStopped = errors.New("stopped before it finished; the snapshot is complete")
