package backup

import (
	"fmt"
	"strings"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/lanyard/lanyard/core/human"
)

// Result is how a run ended.
type Result string

// Results. A history record is ResultRunning while its run goes on.
const (
	ResultCompleted   Result = "completed"
	ResultWarnings    Result = "completed with warnings"
	ResultFailed      Result = "failed"
	ResultStopped     Result = "stopped"
	ResultRunning     Result = "running"
	ResultInterrupted Result = "interrupted" // the process ended during the run (crash, kill, power loss)
)

// Succeeded says the run made a snapshot.
func (r Result) Succeeded() bool { return r == ResultCompleted || r == ResultWarnings }

// MaxWarnings bounds the warnings a Report lists; WarningCount counts all.
const MaxWarnings = 1000

// Report is what one run did; the agent keeps it as the run's history
// record.
type Report struct {
	Task     string    `json:"task"`
	Snapshot string    `json:"snapshot,omitempty"` // the snapshot's ID (its folder name) when the run made one
	Trigger  string    `json:"trigger,omitempty"`  // who started it: a Trigger… constant
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished,omitzero"`
	Result   Result    `json:"result"`
	Error    string    `json:"error,omitempty"`

	// Destination is the task's destination for this run, where Snapshot
	// is; Expect the snapshot the run was told it would find there
	// (StartOptions.Expect), which a run that failed passes on to the next.
	Destination string `json:"destination,omitempty"`
	Expect      string `json:"expect,omitempty"`

	// Reread: the run read every file and compared its content with the
	// previous snapshot's, not only its size and time.
	Reread bool `json:"reread,omitempty"`

	FilesCopied int64 `json:"files_copied"`
	FilesLinked int64 `json:"files_linked"`
	// Recopied counts the files copied, not linked, because a verify
	// found their copy damaged (recopy.go); FilesCopied includes them.
	Recopied int64 `json:"recopied,omitempty"`
	// Mended counts the copies in older snapshots that the run replaced
	// with those it copied afresh over damaged ones (mend.go).
	Mended       int64 `json:"mended,omitempty"`
	FilesSkipped int64 `json:"files_skipped"`
	BytesCopied  int64 `json:"bytes_copied"`
	BytesLinked  int64 `json:"bytes_linked"`
	Dirs         int64 `json:"dirs"`
	Symlinks     int64 `json:"symlinks"`

	Warnings     []string `json:"warnings,omitempty"`
	WarningCount int      `json:"warning_count"`
	// Removed lists the snapshots retention deleted after the run.
	Removed []string `json:"removed,omitempty"`
	// DestFree and DestTotal are the destination disk's free and total
	// bytes after a run that made a snapshot (0: not known).
	DestFree  uint64 `json:"dest_free,omitempty"`
	DestTotal uint64 `json:"dest_total,omitempty"`
	// Attempt is the retry of a failed scheduled run this run is (1 for
	// the first); 0 for any other run.
	Attempt int `json:"attempt,omitempty"`
	// RetryAt is when a run that failed, or that the agent's end cut
	// short, is tried again (retry.go; not after Finished: once the agent
	// is back); zero when it is not.
	RetryAt time.Time `json:"retry_at,omitzero"`

	// LastVerified is when a run last verified the task's snapshots all
	// the way through (verifyevery.go): this run, if it did, else as the
	// run before it said. Zero: never.
	LastVerified time.Time `json:"last_verified,omitzero"`
	// Verified: the run verified its snapshot; VerifyMissing and
	// VerifyChanged count the entries that did not match (each also a
	// warning). VerifyNote is what the next run does about them, or why a
	// verify the run began did not finish.
	Verified      bool   `json:"verified,omitempty"`
	VerifyMissing int    `json:"verify_missing,omitempty"`
	VerifyChanged int    `json:"verify_changed,omitempty"`
	VerifyNote    string `json:"verify_note,omitempty"`

	// FoundDamaged counts the copies a verify or a restore started by
	// hand found damaged or missing since the run, or while it ran (the
	// most one found), the last at FoundAt: the next run copies them
	// afresh. Amended counts the times the record was written again
	// after the run (such a find, a verify by hand of its snapshot), for
	// the consoles to read it again.
	FoundDamaged int       `json:"found_damaged,omitempty"`
	FoundAt      time.Time `json:"found_at,omitzero"`
	Amended      uint64    `json:"amended,omitempty"`
}

// Damaged is how many copies are known damaged since the run: what its
// verify found, or what was found by hand since, whichever is more (the
// same copies may be found twice).
func (r *Report) Damaged() int { return max(r.VerifyMissing+r.VerifyChanged, r.FoundDamaged) }

// Found says what was found damaged since the run, in a line: "2 copies
// found damaged (2026-12-07 12:02): the next run copies them afresh …";
// "" when nothing was.
func (r *Report) Found() string {
	if r.FoundDamaged == 0 {
		return ""
	}
	return fmt.Sprintf("%s (%s): %s", FoundDamagedWords(r.FoundDamaged), r.FoundAt.Local().Format("2006-01-02 15:04"), NextRunMends(r.FoundDamaged))
}

// FoundWhile says whether the copies found damaged by hand were found
// while the run was under way (it began before the note that has the
// next run copy them afresh), not since it ended.
func (r *Report) FoundWhile() bool { return r.FoundDamaged > 0 && r.FoundAt.Before(r.Finished) }

// FoundDamagedWords is n copies found damaged, in a few words: "2 copies
// found damaged", as a task's last result, its record and the alert say it.
func FoundDamagedWords(n int) string { return human.Plural(n, "copy", "copies") + " found damaged" }

// NextRunMends says what the next run does about n copies found damaged:
// "the next run copies them afresh and mends the older snapshots".
func NextRunMends(n int) string {
	them := "them"
	if n == 1 {
		them = "it"
	}
	return "the next run copies " + them + " afresh and mends the older snapshots"
}

// Verify is what the run's verify found, in a line: "verified: every
// file matches its manifest", "verify: 2 changed and 1 missing since they
// were copied; the next run copies …", "verify: stopped before it
// finished; …"; "" when the run did not verify.
func (r *Report) Verify() string {
	switch {
	case r.Verified && r.VerifyMissing+r.VerifyChanged == 0:
		return "verified: every file matches its manifest"
	case r.Verified:
		s := fmt.Sprintf("verify: %s changed and %s missing since they were copied", human.Count(r.VerifyChanged), human.Count(r.VerifyMissing))
		if r.VerifyNote != "" {
			s += "; " + r.VerifyNote
		}
		return s
	case r.VerifyNote != "":
		return "verify: " + r.VerifyNote
	}
	return ""
}

// By is who started the run, in a word or two: its trigger, which retry
// a retry is ("retry 2"), and whether it read every file ("manual,
// reread") or verified its snapshot ("schedule, verified"): why it took
// as long as reading everything; "" when not known.
func (r *Report) By() string {
	by := r.Trigger
	if r.Trigger == TriggerRetry && r.Attempt > 0 {
		by = fmt.Sprintf("%s %d", r.Trigger, r.Attempt)
	}
	if r.Reread && by != "" {
		by += ", reread"
	}
	if r.Verified && by != "" {
		by += ", verified"
	}
	return by
}

// Run triggers: who started a run (Report.Trigger).
const (
	TriggerManual   = "manual"   // the agent's command line
	TriggerSchedule = "schedule" // its time came
	TriggerCatchUp  = "catch-up" // its time passed while the agent was down
	TriggerRetry    = "retry"    // a failed scheduled run tried again
	TriggerConsole  = "console"  // a console asked
)

// Made is what a run left, for a history's last column: why it failed,
// or the snapshot it made and how many warnings it had ("2026-03-14T020000Z
// (3 warnings)").
func (r *Report) Made() string {
	switch {
	case r.Error != "":
		return r.Error
	case r.WarningCount > 0:
		return fmt.Sprintf("%s (%s)", r.Snapshot, human.Plural(r.WarningCount, "warning", "warnings"))
	}
	return r.Snapshot
}

// Files is every file in the snapshot the run made.
func (r *Report) Files() int64 { return r.FilesCopied + r.FilesLinked }

// Describe is the report in a person's words, one line each, as the
// command line prints it after a run and the console's History shows
// the run selected: how it ended (Outcome), its warnings (those the
// report kept, and how many more there were), what its verify found and
// what was found damaged since, the snapshots retention removed, and the
// destination's free space.
func (r *Report) Describe() string {
	var b strings.Builder
	b.WriteString(r.Outcome() + "\n")
	if r.WarningCount > 0 {
		fmt.Fprintf(&b, "warnings (%s):\n", human.Count(r.WarningCount))
		for _, m := range r.Warnings {
			fmt.Fprintln(&b, "  "+m)
		}
		if more := r.WarningCount - len(r.Warnings); more > 0 {
			fmt.Fprintf(&b, "  … and %s more (see the agent's log)\n", human.Count(more))
		}
	}
	if v := r.Verify(); v != "" {
		b.WriteString(v + "\n")
	}
	if f := r.Found(); f != "" {
		when := "since the run, "
		if r.FoundWhile() {
			when = "while it ran, "
		}
		b.WriteString(when + f + "\n")
	}
	if w := RetryWords(r.RetryAt, r.Finished, time.Local); w != "" {
		fmt.Fprintf(&b, "%s (retry %d)\n", w, r.Attempt+1)
	}
	if len(r.Removed) > 0 {
		fmt.Fprintf(&b, "retention removed %s: %s\n", human.Plural(len(r.Removed), "snapshot", "snapshots"), strings.Join(r.Removed, ", "))
	}
	if r.DestTotal > 0 {
		fmt.Fprintf(&b, "the destination has %s free of %s after the run\n", human.Bytes(r.DestFree), human.Bytes(r.DestTotal))
	}
	return b.String()
}

// Ended is a run's end in one line, as the agent's log and the console's
// write it: its Outcome, how many warnings and the first, and when a
// failed run is tried again.
func (r *Report) Ended() string {
	s := r.Outcome()
	if r.WarningCount > 0 {
		s += "; " + human.Plural(r.WarningCount, "warning", "warnings")
		if len(r.Warnings) > 0 {
			s += ", first: " + r.Warnings[0]
		}
	}
	if w := RetryWords(r.RetryAt, r.Finished, time.Local); w != "" {
		s += "; " + w
	}
	return s
}

// Level is how loud a log says a run ended with this result: a failure
// is an error, warnings and a stop are warnings.
func (r Result) Level() logrus.Level {
	switch r {
	case ResultCompleted, ResultRunning:
		return logrus.InfoLevel
	case ResultWarnings, ResultStopped:
		return logrus.WarnLevel
	}
	return logrus.ErrorLevel
}

// Outcome is how the run ended, in one line: "completed: snapshot …,
// 1,204 files (4 copied, 1,200 linked), 3.0 MiB copied, in 41.0 s",
// "failed after 2.0 s: why", "running for 12 s". The agent's log says
// the same at a run's end.
func (r *Report) Outcome() string {
	d := human.Took(r.Duration())
	switch {
	case r.Result.Succeeded():
		read := ""
		if r.Recopied > 0 {
			read += ", " + human.Plural(r.Recopied, "copied afresh over a damaged copy", "copied afresh over damaged copies")
		}
		if r.Mended > 0 {
			read += ", " + human.Count(r.Mended) + " mended in older snapshots"
		}
		if r.Reread {
			read += ", every file read"
		}
		if r.Verified {
			read += ", verified"
		}
		return fmt.Sprintf("%s: snapshot %s, %s (%s copied, %s linked%s), %s copied, in %s",
			r.Result, r.Snapshot, human.Plural(r.Files(), "file", "files"), human.Count(r.FilesCopied), human.Count(r.FilesLinked),
			read, human.Bytes(r.BytesCopied), d)
	case r.Result == ResultRunning:
		return "running for " + d
	case r.Why() != "":
		return fmt.Sprintf("%s after %s: %s", r.Result, d, r.Why())
	}
	return fmt.Sprintf("%s after %s", r.Result, d)
}

// Why is the run's error as it follows its result ("failed: why"): a
// stop's error begins by saying it was stopped, which the result says
// already ("stopped: before it finished; …", not "stopped: stopped
// before it finished; …").
func (r *Report) Why() string {
	if r.Result != ResultStopped {
		return r.Error
	}
	return strings.TrimLeft(strings.TrimPrefix(r.Error, "stopped"), ": ")
}

// Duration is how long the run took (so far).
func (r *Report) Duration() time.Duration {
	if r.Finished.IsZero() {
		return time.Since(r.Started)
	}
	return r.Finished.Sub(r.Started)
}
