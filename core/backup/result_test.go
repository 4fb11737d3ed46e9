package backup_test

import (
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/lanyard/lanyard/core/backup"
)

func TestAReportDescribesItselfInAPersonsWords(t *testing.T) {
	start := time.Date(2026, 3, 14, 2, 0, 0, 0, time.UTC)
	cases := []struct {
		name string
		r    backup.Report
		want string
	}{
		{"completed, with retention", backup.Report{Result: backup.ResultCompleted, Snapshot: "2026-03-14T020000Z",
			Started: start, Finished: start.Add(41 * time.Second), FilesCopied: 4, FilesLinked: 1200, BytesCopied: 3 << 20,
			Removed: []string{"2026-03-01T020000Z", "2026-03-02T020000Z"}},
			"completed: snapshot 2026-03-14T020000Z, 1,204 files (4 copied, 1,200 linked), 3.0 MiB copied, in 41.0 s\n" +
				"retention removed 2 snapshots: 2026-03-01T020000Z, 2026-03-02T020000Z\n"},
		{"failed: the error in full", backup.Report{Result: backup.ResultFailed, Started: start, Finished: start.Add(2 * time.Second),
			Error: "the destination /mnt/nas/backups/documents does not exist: create it, or mount the share it is on"},
			"failed after 2.0 s: the destination /mnt/nas/backups/documents does not exist: create it, or mount the share it is on\n"},
		{"completed, with the destination's space", backup.Report{Result: backup.ResultCompleted, Snapshot: "s", Started: start, Finished: start.Add(time.Second),
			FilesCopied: 1, DestFree: 120 << 30, DestTotal: 2 << 40},
			"completed: snapshot s, 1 file (1 copied, 0 linked), 0 B copied, in 1.0 s\n" +
				"the destination has 120.0 GiB free of 2.0 TiB after the run\n"},
		{"stopped, with no more to say", backup.Report{Result: backup.ResultStopped, Started: start, Finished: start.Add(3 * time.Second)},
			"stopped after 3.0 s\n"},
		{"warnings kept, and how many more", backup.Report{Result: backup.ResultWarnings, Snapshot: "s", Started: start, Finished: start.Add(time.Second),
			FilesCopied: 1, Warnings: []string{"/srv/a: permission denied", "/srv/b: skipped a FIFO"}, WarningCount: 5},
			"completed with warnings: snapshot s, 1 file (1 copied, 0 linked), 0 B copied, in 1.0 s\n" +
				"warnings (5):\n  /srv/a: permission denied\n  /srv/b: skipped a FIFO\n  … and 3 more (see the agent's log)\n"},
	}
	for _, c := range cases {
		if got := c.r.Describe(); got != c.want {
			t.Errorf("%s:\n got %q\nwant %q", c.name, got, c.want)
		}
	}
}

// A run's end in a log is one line: the report's first, with how many
// warnings and the first, and when a failed run is tried again; a failure
// is logged as an error, warnings and a stop as warnings.
func TestARunsEndIsOneLineInALog(t *testing.T) {
	start := time.Date(2026, 3, 14, 2, 0, 0, 0, time.Local)
	for _, c := range []struct {
		r     backup.Report
		want  string
		level logrus.Level
	}{
		{backup.Report{Result: backup.ResultCompleted, Snapshot: "s", Started: start, Finished: start.Add(1500 * time.Millisecond), FilesLinked: 3, Reread: true},
			"completed: snapshot s, 3 files (0 copied, 3 linked, every file read), 0 B copied, in 1.5 s", logrus.InfoLevel},
		{backup.Report{Result: backup.ResultWarnings, Snapshot: "s", Started: start, Finished: start.Add(time.Second), FilesCopied: 1,
			Warnings: []string{"/srv/a: permission denied"}, WarningCount: 2},
			"completed with warnings: snapshot s, 1 file (1 copied, 0 linked), 0 B copied, in 1.0 s; 2 warnings, first: /srv/a: permission denied", logrus.WarnLevel},
		{backup.Report{Result: backup.ResultFailed, Error: "the share is not mounted", Started: start, Finished: start.Add(time.Millisecond / 2),
			RetryAt: start.Add(10 * time.Minute)},
			"failed after under 1 ms: the share is not mounted; tried again at 02:10", logrus.ErrorLevel},
		// A stop's error does not say "stopped" again.
		{backup.Report{Result: backup.ResultStopped, Error: "stopped before it finished; earlier snapshots are untouched", Started: start, Finished: start.Add(90 * time.Second)},
			"stopped after 1 min 30 s: before it finished; earlier snapshots are untouched", logrus.WarnLevel},
		{backup.Report{Result: backup.ResultStopped, Error: "stopped: the agent was shutting down; earlier snapshots are untouched", Started: start, Finished: start.Add(90 * time.Second)},
			"stopped after 1 min 30 s: the agent was shutting down; earlier snapshots are untouched", logrus.WarnLevel},
	} {
		if got := c.r.Ended(); got != c.want {
			t.Errorf("%s:\n got %q\nwant %q", c.r.Result, got, c.want)
		}
		if got := c.r.Result.Level(); got != c.level {
			t.Errorf("%s: logged at %s, want %s", c.r.Result, got, c.level)
		}
	}
}

// A history's last column says why a run failed, or what snapshot it
// made and with how many warnings.
func TestARunSaysWhatItMade(t *testing.T) {
	for _, c := range []struct {
		r    backup.Report
		want string
	}{
		{backup.Report{Result: backup.ResultCompleted, Snapshot: "2026-03-14T020000Z"}, "2026-03-14T020000Z"},
		{backup.Report{Result: backup.ResultWarnings, Snapshot: "2026-03-14T020000Z", WarningCount: 3}, "2026-03-14T020000Z (3 warnings)"},
		{backup.Report{Result: backup.ResultFailed, Error: "the share is not mounted"}, "the share is not mounted"},
		{backup.Report{Result: backup.ResultRunning}, ""},
	} {
		if got := c.r.Made(); got != c.want {
			t.Errorf("%s: %q, want %q", c.r.Result, got, c.want)
		}
	}
}

// Who started a run says which retry it is, and whether it read every
// file or verified its snapshot (why it took as long as it did).
func TestARunSaysWhoStartedIt(t *testing.T) {
	for _, c := range []struct {
		r    backup.Report
		want string
	}{
		{backup.Report{Trigger: backup.TriggerManual}, "manual"},
		{backup.Report{Trigger: backup.TriggerRetry, Attempt: 2}, "retry 2"},
		{backup.Report{Trigger: backup.TriggerConsole, Reread: true}, "console, reread"},
		{backup.Report{Trigger: backup.TriggerSchedule, Verified: true}, "schedule, verified"},
		{backup.Report{}, ""},
	} {
		if got := c.r.By(); got != c.want {
			t.Errorf("%+v: %q, want %q", c.r, got, c.want)
		}
	}
}

// A restore's summary counts the files always, and folders and links only
// when it made any: "0 folders and 0 links" said nothing to anyone.
func TestARestoresSummaryNamesOnlyWhatItRestored(t *testing.T) {
	for _, tt := range []struct {
		rep  backup.RestoreReport
		want string
	}{
		{backup.RestoreReport{Files: 1, Bytes: 48 << 10, Snapshot: "S", Target: "/srv/r"},
			"restored 1 file (48.0 KiB) from snapshot S into /srv/r"},
		{backup.RestoreReport{Files: 24, Bytes: 1 << 20, Dirs: 7, Snapshot: "S", Target: "/srv/r"},
			"restored 24 files (1.0 MiB) and 7 folders from snapshot S into /srv/r"},
		{backup.RestoreReport{Files: 2, Dirs: 1, Symlinks: 3, Snapshot: "S", Original: true, Skipped: 2},
			"restored 2 files (0 B), 1 folder and 3 links from snapshot S to where the files were\n2 files there already were left as they were"},
		{backup.RestoreReport{Snapshot: "S", Target: "/srv/r", Replaced: 1},
			"restored 0 files (0 B) from snapshot S into /srv/r\n1 existing file was replaced"},
	} {
		if got := tt.rep.Summary(); got != tt.want {
			t.Errorf("Summary() =\n%q\nwant\n%q", got, tt.want)
		}
	}
}

// The copies known damaged since a run are what its verify found or what
// was found by hand since, whichever is more: the same copies may be
// found twice, and are not counted twice.
func TestTheCopiesKnownDamagedAreNotCountedTwice(t *testing.T) {
	for _, c := range []struct {
		rep  backup.Report
		want int
	}{
		{backup.Report{}, 0},
		{backup.Report{VerifyMissing: 1, VerifyChanged: 2}, 3},
		{backup.Report{VerifyChanged: 2, FoundDamaged: 1}, 2},
		{backup.Report{VerifyMissing: 1, FoundDamaged: 4}, 4},
	} {
		if got := c.rep.Damaged(); got != c.want {
			t.Errorf("%+v: %d, want %d", c.rep, got, c.want)
		}
	}
}
