package backup

import "time"

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
	Trigger  string    `json:"trigger,omitempty"`  // who started it: manual, schedule, catch-up, console
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished,omitzero"`
	Result   Result    `json:"result"`
	Error    string    `json:"error,omitempty"`

	FilesCopied  int64 `json:"files_copied"`
	FilesLinked  int64 `json:"files_linked"`
	FilesSkipped int64 `json:"files_skipped"`
	BytesCopied  int64 `json:"bytes_copied"`
	BytesLinked  int64 `json:"bytes_linked"`
	Dirs         int64 `json:"dirs"`
	Symlinks     int64 `json:"symlinks"`

	Warnings     []string `json:"warnings,omitempty"`
	WarningCount int      `json:"warning_count"`
	// Removed lists the snapshots retention deleted after the run.
	Removed []string `json:"removed,omitempty"`
}

// Files is every file in the snapshot the run made.
func (r *Report) Files() int64 { return r.FilesCopied + r.FilesLinked }

// Duration is how long the run took (so far).
func (r *Report) Duration() time.Duration {
	if r.Finished.IsZero() {
		return time.Since(r.Started)
	}
	return r.Finished.Sub(r.Started)
}
