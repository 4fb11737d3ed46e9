package agent

import (
	"io/fs"
	"math"
	"time"

	"github.com/lanyard/lanyard/core/backup"
	"github.com/lanyard/lanyard/core/wire/pb"
)

// The backup tasks' types on the wire: each conversion is written once,
// here, for the agent (to the wire) and the console (from it).

func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n)
}

// TaskToPB is a task's definition on the wire.
func TaskToPB(t backup.Task) *pb.Task {
	return &pb.Task{Name: t.Name, Sources: t.Sources, Destination: t.Destination, Excludes: t.Excludes,
		Schedule: t.Schedule, Retention: &pb.Retention{KeepLast: uint32(t.Retention.KeepLast), KeepDaily: uint32(t.Retention.KeepDaily),
			KeepWeekly: uint32(t.Retention.KeepWeekly), KeepMonthly: uint32(t.Retention.KeepMonthly)},
		OverdueAfterMs: time.Duration(t.OverdueAfter).Milliseconds(), CatchUp: t.CatchUp, Version: t.Version,
		CreatedUnixNano: nanos(t.Created), ModifiedUnixNano: nanos(t.Modified), Speed: int64(t.Speed),
		Retries: int32(t.Retries), RetryWaitMs: time.Duration(t.RetryWait).Milliseconds(), Paused: t.Paused,
		VerifyEveryMs: time.Duration(t.VerifyEvery).Milliseconds()}
}

// TaskFromPB reads a task's definition off the wire.
func TaskFromPB(m *pb.Task) backup.Task {
	r := m.GetRetention()
	return backup.Task{Name: m.GetName(), Sources: m.GetSources(), Destination: m.GetDestination(), Excludes: m.GetExcludes(),
		Schedule: m.GetSchedule(), Retention: backup.Retention{KeepLast: int(r.GetKeepLast()), KeepDaily: int(r.GetKeepDaily()),
			KeepWeekly: int(r.GetKeepWeekly()), KeepMonthly: int(r.GetKeepMonthly())},
		OverdueAfter: backup.Duration(time.Duration(m.GetOverdueAfterMs()) * time.Millisecond), CatchUp: m.GetCatchUp(),
		Version: m.GetVersion(), Created: fromNanos(m.GetCreatedUnixNano()), Modified: fromNanos(m.GetModifiedUnixNano()),
		Speed: backup.Speed(m.GetSpeed()), Retries: int(m.GetRetries()),
		RetryWait: backup.Duration(time.Duration(m.GetRetryWaitMs()) * time.Millisecond), Paused: m.GetPaused(),
		VerifyEvery: backup.Duration(time.Duration(m.GetVerifyEveryMs()) * time.Millisecond)}
}

// ProgressToPB is a progress update on the wire.
func ProgressToPB(s backup.Status) *pb.Progress {
	return &pb.Progress{Task: s.Task, Phase: s.Phase, StartedUnixNano: nanos(s.Started), FilesDone: s.FilesDone,
		FilesTotal: s.FilesTotal, BytesDone: s.BytesDone, BytesTotal: s.BytesTotal, Current: s.Current, Rate: s.Rate,
		EtaMs: s.ETA.Milliseconds()}
}

// ProgressFromPB reads a progress update off the wire.
func ProgressFromPB(m *pb.Progress) backup.Status {
	return backup.Status{Task: m.GetTask(), Phase: m.GetPhase(), Started: fromNanos(m.GetStartedUnixNano()),
		FilesDone: m.GetFilesDone(), FilesTotal: m.GetFilesTotal(), BytesDone: m.GetBytesDone(), BytesTotal: m.GetBytesTotal(),
		Current: m.GetCurrent(), Rate: m.GetRate(), ETA: time.Duration(m.GetEtaMs()) * time.Millisecond}
}

// ReportToPB is a run's report on the wire.
func ReportToPB(r backup.Report) *pb.RunReport {
	return &pb.RunReport{Task: r.Task, Snapshot: r.Snapshot, Trigger: r.Trigger, StartedUnixNano: nanos(r.Started),
		FinishedUnixNano: nanos(r.Finished), Result: string(r.Result), Error: r.Error, FilesCopied: r.FilesCopied,
		FilesLinked: r.FilesLinked, FilesSkipped: r.FilesSkipped, BytesCopied: r.BytesCopied, BytesLinked: r.BytesLinked,
		Dirs: r.Dirs, Symlinks: r.Symlinks, Warnings: r.Warnings, WarningCount: int64(r.WarningCount), Removed: r.Removed,
		DestFree: r.DestFree, DestTotal: r.DestTotal, Attempt: int32(r.Attempt), RetryAtUnixNano: nanos(r.RetryAt), Reread: r.Reread,
		Destination: r.Destination, Expect: r.Expect, Recopied: r.Recopied,
		LastVerifiedUnixNano: nanos(r.LastVerified), Verified: r.Verified, VerifyMissing: int32(r.VerifyMissing),
		VerifyChanged: int32(r.VerifyChanged), VerifyNote: cutText(r.VerifyNote), Mended: r.Mended,
		FoundDamaged: int32(r.FoundDamaged), FoundAtUnixNano: nanos(r.FoundAt), Amended: r.Amended}
}

// ReportFromPB reads a run's report off the wire.
func ReportFromPB(m *pb.RunReport) backup.Report {
	return backup.Report{Task: m.GetTask(), Snapshot: m.GetSnapshot(), Trigger: m.GetTrigger(),
		Started: fromNanos(m.GetStartedUnixNano()), Finished: fromNanos(m.GetFinishedUnixNano()),
		Result: backup.Result(m.GetResult()), Error: m.GetError(), FilesCopied: m.GetFilesCopied(),
		FilesLinked: m.GetFilesLinked(), FilesSkipped: m.GetFilesSkipped(), BytesCopied: m.GetBytesCopied(),
		BytesLinked: m.GetBytesLinked(), Dirs: m.GetDirs(), Symlinks: m.GetSymlinks(), Warnings: m.GetWarnings(),
		WarningCount: int(m.GetWarningCount()), Removed: m.GetRemoved(), DestFree: m.GetDestFree(), DestTotal: m.GetDestTotal(),
		Attempt: int(m.GetAttempt()), RetryAt: fromNanos(m.GetRetryAtUnixNano()), Reread: m.GetReread(),
		Destination: m.GetDestination(), Expect: m.GetExpect(), Recopied: m.GetRecopied(),
		LastVerified: fromNanos(m.GetLastVerifiedUnixNano()), Verified: m.GetVerified(), VerifyMissing: int(m.GetVerifyMissing()),
		VerifyChanged: int(m.GetVerifyChanged()), VerifyNote: m.GetVerifyNote(), Mended: m.GetMended(),
		FoundDamaged: int(m.GetFoundDamaged()), FoundAt: fromNanos(m.GetFoundAtUnixNano()), Amended: m.GetAmended()}
}

// DeleteReportToPB is what deleting a snapshot did, on the wire (the
// answer to the deletion, and the event every console hears); the
// agent's words are cut.
func DeleteReportToPB(d backup.DeleteReport) *pb.TaskDeleteSnapshotResponse {
	return &pb.TaskDeleteSnapshotResponse{Task: d.Task, Snapshot: d.Snapshot, Freed: d.Freed, DestFree: d.DestFree,
		DestTotal: d.DestTotal, Warning: cutText(d.Warning)}
}

// DeleteReportFromPB reads what deleting a snapshot did off the wire;
// the console quotes and cuts its words before it shows them.
func DeleteReportFromPB(m *pb.TaskDeleteSnapshotResponse) backup.DeleteReport {
	return backup.DeleteReport{Task: m.GetTask(), Snapshot: m.GetSnapshot(), Freed: m.GetFreed(), DestFree: m.GetDestFree(),
		DestTotal: m.GetDestTotal(), Warning: m.GetWarning()}
}

// InfoToPB is a task with its state on the wire.
func InfoToPB(i TaskInfo) *pb.TaskInfo {
	out := &pb.TaskInfo{Task: TaskToPB(i.Task), Running: i.Running, LastSuccessUnixNano: nanos(i.LastSuccess),
		NextRunUnixNano: nanos(i.NextRun), OverdueAfterMs: time.Duration(i.OverdueAfter).Milliseconds(), Overdue: i.Overdue,
		FailuresSinceSuccess: uint32(max(0, min(i.FailuresSinceSuccess, math.MaxInt32)))}
	if i.Progress != nil {
		out.Progress = ProgressToPB(*i.Progress)
	}
	if i.LastRun != nil {
		out.LastRun = ReportToPB(*i.LastRun)
	}
	return out
}

// InfoFromPB reads a task with its state off the wire.
func InfoFromPB(m *pb.TaskInfo) TaskInfo {
	out := TaskInfo{Task: TaskFromPB(m.GetTask()), Running: m.GetRunning(), LastSuccess: fromNanos(m.GetLastSuccessUnixNano()),
		NextRun: fromNanos(m.GetNextRunUnixNano()), OverdueAfter: backup.Duration(time.Duration(m.GetOverdueAfterMs()) * time.Millisecond),
		Overdue: m.GetOverdue(), FailuresSinceSuccess: int(m.GetFailuresSinceSuccess())}
	if m.GetProgress() != nil {
		p := ProgressFromPB(m.GetProgress())
		out.Progress = &p
	}
	if m.GetLastRun() != nil {
		r := ReportFromPB(m.GetLastRun())
		out.LastRun = &r
	}
	return out
}

// SnapshotToPB is a snapshot on the wire.
func SnapshotToPB(s backup.SnapshotInfo) *pb.Snapshot {
	return &pb.Snapshot{Id: s.ID, Path: s.Path, TimeUnixNano: nanos(s.Time), FinishedUnixNano: nanos(s.Finished),
		Result: string(s.Result), Files: s.Files, Bytes: s.Bytes, Dirs: s.Dirs, Symlinks: s.Symlinks,
		Warnings: int64(s.Warnings), Sources: s.Sources}
}

// SnapshotFromPB reads a snapshot off the wire.
func SnapshotFromPB(m *pb.Snapshot) backup.SnapshotInfo {
	return backup.SnapshotInfo{ID: m.GetId(), Path: m.GetPath(), Time: fromNanos(m.GetTimeUnixNano()),
		Finished: fromNanos(m.GetFinishedUnixNano()), Result: backup.Result(m.GetResult()), Files: m.GetFiles(),
		Bytes: m.GetBytes(), Dirs: m.GetDirs(), Symlinks: m.GetSymlinks(), Warnings: int(m.GetWarnings()), Sources: m.GetSources()}
}

// EntryToPB is a folder entry of a snapshot on the wire.
func EntryToPB(e backup.BrowseEntry) *pb.BrowseEntry {
	return &pb.BrowseEntry{Name: e.Name, Type: e.Type, Size: e.Size, Mode: uint32(e.Mode), MtimeUnixNano: nanos(e.MTime), Target: e.Target}
}

// EntryFromPB reads a folder entry off the wire.
func EntryFromPB(m *pb.BrowseEntry) backup.BrowseEntry {
	return backup.BrowseEntry{Name: m.GetName(), Type: m.GetType(), Size: m.GetSize(), Mode: fs.FileMode(m.GetMode()),
		MTime: fromNanos(m.GetMtimeUnixNano()), Target: m.GetTarget()}
}

// FoundToPB is a file a search found, on the wire.
func FoundToPB(f backup.FoundFile) *pb.FoundFile {
	return &pb.FoundFile{Snapshot: f.Snapshot, TimeUnixNano: nanos(f.Time), Path: f.Path, InSnapshot: f.InSnapshot, Type: f.Type,
		Size: f.Size, MtimeUnixNano: nanos(f.MTime)}
}

// FoundFromPB reads a file a search found off the wire: a version found
// first in its snapshot, so far in that one alone.
func FoundFromPB(m *pb.FoundFile) backup.FoundFile {
	t := fromNanos(m.GetTimeUnixNano())
	return backup.FoundFile{Snapshot: m.GetSnapshot(), Time: t, Path: m.GetPath(), InSnapshot: m.GetInSnapshot(), Type: m.GetType(),
		Size: m.GetSize(), MTime: fromNanos(m.GetMtimeUnixNano()), In: 1, Oldest: m.GetSnapshot(), OldestTime: t}
}

// FindEndToPB is the end of a search's answer: what it searched, whether
// it stopped at its limit, the newest snapshot searched and those it
// could not read.
func FindEndToPB(rep backup.FindReport) *pb.TaskFindResponse {
	return &pb.TaskFindResponse{Task: rep.Task, Pattern: cutText(rep.Pattern), Snapshots: uint32(rep.Snapshots), More: rep.More,
		NewestSnapshot: rep.Newest, NewestUnixNano: nanos(rep.NewestTime), Unreadable: rep.Unreadable}
}

// FinishFromPB ends a report made of a search's parts with the end of its
// answer (an older agent's names no newest snapshot: nothing is marked
// gone).
func FinishFromPB(rep *backup.FindReport, m *pb.TaskFindResponse) {
	rep.Task, rep.Snapshots, rep.More, rep.Unreadable = m.GetTask(), int(m.GetSnapshots()), m.GetMore(), m.GetUnreadable()
	rep.Finish(m.GetNewestSnapshot(), fromNanos(m.GetNewestUnixNano()))
}

// AgainToPB is the versions found before that a snapshot searched holds
// too, on the wire.
func AgainToPB(part backup.FindPart) *pb.FoundAgain {
	m := &pb.FoundAgain{Snapshot: part.Snapshot, TimeUnixNano: nanos(part.Time), Rows: make([]uint32, len(part.Again))}
	for i, row := range part.Again {
		m.Rows[i] = uint32(row)
	}
	return m
}

// FindPartsFromPB reads what one part of a search's answer found: the
// new versions it holds, then each snapshot's versions found again.
func FindPartsFromPB(tp *pb.TaskPart) []backup.FindPart {
	var out []backup.FindPart
	if len(tp.GetFound()) > 0 {
		part := backup.FindPart{New: make([]backup.FoundFile, len(tp.GetFound()))}
		for i, f := range tp.GetFound() {
			part.New[i] = FoundFromPB(f)
		}
		out = append(out, part)
	}
	for _, a := range tp.GetFoundAgain() {
		part := backup.FindPart{Snapshot: a.GetSnapshot(), Time: fromNanos(a.GetTimeUnixNano()), Again: make([]int, len(a.GetRows()))}
		for i, row := range a.GetRows() {
			part.Again[i] = int(row)
		}
		out = append(out, part)
	}
	return out
}

// PutRetentionPreview puts what a retention would do at the next run
// into a check's answer.
func PutRetentionPreview(resp *pb.TaskCheckResponse, p backup.RetentionPreview) {
	resp.RetentionSnapshots, resp.RetentionRemoves = uint32(p.Snapshots), uint32(p.Removes)
	resp.RetentionOldestRemovedUnixNano, resp.RetentionNewestRemovedUnixNano = nanos(p.OldestRemoved), nanos(p.NewestRemoved)
}

// RetentionPreviewOf is what a check's answer says the retention would
// do at the next run.
func RetentionPreviewOf(resp *pb.TaskCheckResponse) backup.RetentionPreview {
	return backup.RetentionPreview{Snapshots: int(resp.GetRetentionSnapshots()), Removes: int(resp.GetRetentionRemoves()),
		OldestRemoved: fromNanos(resp.GetRetentionOldestRemovedUnixNano()), NewestRemoved: fromNanos(resp.GetRetentionNewestRemovedUnixNano())}
}
