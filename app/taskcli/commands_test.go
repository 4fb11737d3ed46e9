package taskcli

import (
	"io/fs"
	"testing"
	"time"

	"github.com/lanyard/lanyard/core/agent"
	"github.com/lanyard/lanyard/core/backup"
)

// A version found says in how many snapshots, since when, and whether
// the file is gone from the newer ones.
func TestAVersionFoundSaysWhereItIsKept(t *testing.T) {
	oldest := time.Date(2026, 11, 24, 12, 0, 0, 0, time.Local)
	for _, c := range []struct {
		f    backup.FoundFile
		want string
	}{
		{backup.FoundFile{In: 1}, "1 snapshot"},
		{backup.FoundFile{}, "1 snapshot"}, // an older agent's
		{backup.FoundFile{In: 12, OldestTime: oldest}, "12 snapshots since 2026-11-24"},
		{backup.FoundFile{In: 3, OldestTime: oldest, Gone: true}, "3 snapshots since 2026-11-24, then gone"},
		{backup.FoundFile{In: 1, Gone: true}, "1 snapshot, then gone"},
		// All of the same day as the newest, which the row's TIME names.
		{backup.FoundFile{In: 4, OldestTime: oldest, Time: oldest.Add(6 * time.Hour)}, "4 snapshots since 12:00"},
		{backup.FoundFile{In: 2, OldestTime: oldest, Time: oldest.Add(12 * time.Hour)}, "2 snapshots since 2026-11-24"},
	} {
		if got := keptIn(c.f); got != c.want {
			t.Errorf("%+v: %q, want %q", c.f, got, c.want)
		}
	}
}

// task list's STATE column is the task's state as the console counts it,
// failed and overdue in capitals, a run with its progress.
func TestTheStateColumnSaysAFailedTaskIsFailed(t *testing.T) {
	for _, c := range []struct {
		info agent.TaskInfo
		want string
	}{
		{agent.TaskInfo{LastRun: &backup.Report{Result: backup.ResultFailed}}, "FAILED"},
		{agent.TaskInfo{LastRun: &backup.Report{Result: backup.ResultStopped}, FailuresSinceSuccess: 1, LastSuccess: time.Now()}, "FAILED"},
		{agent.TaskInfo{}, "unknown"},
		{agent.TaskInfo{LastRun: &backup.Report{Result: backup.ResultCompleted}, LastSuccess: time.Now(), Overdue: true}, "OVERDUE"},
		{agent.TaskInfo{Running: true, LastSuccess: time.Now(), Progress: &backup.Status{FilesDone: 3, FilesTotal: 10}}, "running (3/10 files)"},
		{agent.TaskInfo{LastRun: &backup.Report{Result: backup.ResultCompleted}, LastSuccess: time.Now()}, "ok"},
	} {
		if got := taskState(c.info); got != c.want {
			t.Errorf("%+v: %q, want %q", c.info, got, c.want)
		}
	}
}

// A listed entry's mode reads as ls prints it: its type first, then the
// permissions with the setuid, setgid and sticky bits in their places.
func TestAListedEntrysModeReadsAsLsPrintsIt(t *testing.T) {
	for _, c := range []struct {
		en   backup.BrowseEntry
		want string
	}{
		{backup.BrowseEntry{Type: backup.TypeDir, Mode: 0o750}, "drwxr-x---"},
		{backup.BrowseEntry{Type: backup.TypeDir, Mode: fs.ModeDir | 0o755}, "drwxr-xr-x"},
		{backup.BrowseEntry{Type: backup.TypeFile, Mode: 0o644}, "-rw-r--r--"},
		{backup.BrowseEntry{Type: backup.TypeSymlink, Mode: 0o777}, "lrwxrwxrwx"},
		{backup.BrowseEntry{Type: backup.TypeDir, Mode: fs.ModeSticky | 0o777}, "drwxrwxrwt"},
		{backup.BrowseEntry{Type: backup.TypeFile, Mode: fs.ModeSetuid | 0o755}, "-rwsr-xr-x"},
		{backup.BrowseEntry{Type: backup.TypeFile, Mode: fs.ModeSetgid | 0o640}, "-rw-r-S---"},
	} {
		if got := modeString(c.en); got != c.want {
			t.Errorf("%+v: %q, want %q", c.en, got, c.want)
		}
	}
}

// task show says how many runs failed since the task last succeeded,
// which a run stopped by hand since does not wipe out.
func TestTaskShowCountsTheFailedRunsSinceTheLastSuccess(t *testing.T) {
	for _, c := range []struct {
		info agent.TaskInfo
		want string
	}{
		{agent.TaskInfo{}, ""},
		{agent.TaskInfo{FailuresSinceSuccess: 1}, "1 failed run and no success yet"},
		{agent.TaskInfo{FailuresSinceSuccess: 3, LastSuccess: time.Now()}, "3 failed runs since the last success"},
	} {
		if got := c.info.FailedRunsWords(); got != c.want {
			t.Errorf("%+v: %q, want %q", c.info, got, c.want)
		}
	}
}
