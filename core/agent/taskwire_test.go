package agent_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/lanyard/lanyard/core/agent"
	"github.com/lanyard/lanyard/core/backup"
	"github.com/lanyard/lanyard/core/health"
	"github.com/lanyard/lanyard/core/wire"
	"github.com/lanyard/lanyard/core/wire/pb"
)

// A run's report crosses the wire whole: every field of it, a field added
// later too (the test fails until the field is set here and carried).
func TestARunsReportCrossesTheWireWhole(t *testing.T) {
	at := time.Date(2026, 12, 4, 2, 0, 0, 0, time.UTC)
	want := backup.Report{Task: "docs", Snapshot: "2026-12-04T020000Z", Trigger: "schedule", Started: at, Finished: at.Add(41 * time.Second),
		Result: backup.ResultWarnings, Error: "none", FilesCopied: 1, FilesLinked: 2, FilesSkipped: 3, BytesCopied: 4, BytesLinked: 5,
		Dirs: 6, Symlinks: 7, Warnings: []string{"the destination is nearly full"}, WarningCount: 8, Removed: []string{"2026-11-01T020000Z"},
		DestFree: 9 << 30, DestTotal: 2 << 40, Attempt: 1, RetryAt: at.Add(11 * time.Minute), Reread: true,
		Destination: "/mnt/nas", Expect: "2026-12-03T020000Z", Recopied: 10, Mended: 7,
		LastVerified: at.Add(-7 * 24 * time.Hour), Verified: true, VerifyMissing: 11, VerifyChanged: 12, VerifyNote: "the next run copies these files afresh",
		FoundDamaged: 13, FoundAt: at.Add(time.Hour), Amended: 14}
	v := reflect.ValueOf(want)
	for i := range v.NumField() {
		if v.Field(i).IsZero() {
			t.Fatalf("set Report.%s in this test, and carry it in ReportToPB and ReportFromPB", v.Type().Field(i).Name)
		}
	}
	got := agent.ReportFromPB(agent.ReportToPB(want))
	got.Started, got.Finished, got.RetryAt, got.LastVerified = got.Started.UTC(), got.Finished.UTC(), got.RetryAt.UTC(), got.LastVerified.UTC()
	got.FoundAt = got.FoundAt.UTC()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("after the wire:\n got %+v\nwant %+v", got, want)
	}
}

func TestATaskCrossesTheWireWhole(t *testing.T) {
	at := time.Date(2026, 12, 4, 2, 0, 0, 0, time.UTC)
	want := backup.Task{Name: "docs", Sources: []string{"/srv/docs"}, Destination: "/mnt/backup", Excludes: []string{"*.tmp"},
		Schedule: "daily@02:00", Retention: backup.Retention{KeepLast: 1, KeepDaily: 2, KeepWeekly: 3, KeepMonthly: 4},
		OverdueAfter: backup.Duration(36 * time.Hour), CatchUp: true, Speed: 20 << 20, Retries: 3, RetryWait: backup.Duration(15 * time.Minute),
		Paused: true, VerifyEvery: backup.Duration(7 * 24 * time.Hour), Version: 7, Created: at, Modified: at.Add(time.Hour)}
	v := reflect.ValueOf(want)
	for i := range v.NumField() {
		if v.Field(i).IsZero() {
			t.Fatalf("set Task.%s in this test, and carry it in TaskToPB and TaskFromPB", v.Type().Field(i).Name)
		}
	}
	got := agent.TaskFromPB(agent.TaskToPB(want))
	got.Created, got.Modified = got.Created.UTC(), got.Modified.UTC()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("after the wire:\n got %+v\nwant %+v", got, want)
	}
}

// What an agent tells a relinking console of a task's health crosses the
// wire whole, but for what only the console keeps (what it announced).
func TestATasksHealthCrossesTheWireWhole(t *testing.T) {
	at := time.Date(2026, 12, 4, 2, 0, 0, 0, time.UTC)
	want := health.Task{Name: "docs", Cursor: health.Cursor{Created: at.Add(-time.Hour), Version: 3, RunSeq: 9, RunDone: true, Amended: 4},
		Schedule: "daily@02:00", Paused: true, OverdueAfter: 48 * time.Hour, Running: true, RunningSince: at.Add(time.Minute),
		LastResult: backup.ResultFailed, LastStarted: at, LastFinished: at.Add(time.Second), LastError: "the share is not mounted",
		LastWarnings: 3, LastWarning: "verify: /docs/a.txt content differs from the manifest", LastDamaged: 2, FoundAt: at.Add(time.Hour),
		LastSuccess: at.Add(-24 * time.Hour), FailuresSinceSuccess: 2, RetryAt: at.Add(10 * time.Minute), NextRun: at.Add(24 * time.Hour),
		Dest: health.DestSpace{Free: 1, Total: 2, Wrote: 3}}
	consoleOnly := map[string]bool{"Alerted": true, "AlertedFull": true, "AlertedDamaged": true}
	v := reflect.ValueOf(want)
	for i := range v.NumField() {
		if name := v.Type().Field(i).Name; v.Field(i).IsZero() && !consoleOnly[name] {
			t.Fatalf("set health.Task.%s in this test, and carry it in HealthToPB and HealthFromPB", name)
		}
	}
	got := agent.HealthFromPB(agent.HealthToPB(want))
	for _, tm := range []*time.Time{&got.Cursor.Created, &got.RunningSince, &got.LastStarted, &got.LastFinished, &got.LastSuccess, &got.RetryAt, &got.NextRun, &got.FoundAt} {
		*tm = tm.UTC()
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("after the wire:\n got %+v\nwant %+v", got, want)
	}
}

// What searching a snapshot found crosses the wire: its new versions,
// each in that snapshot alone so far, then the places of the versions
// found before that it holds too, which make the same report.
func TestWhatASearchFoundCrossesTheWire(t *testing.T) {
	older := time.Date(2026, 12, 4, 2, 0, 0, 0, time.UTC)
	newer := older.Add(24 * time.Hour)
	first := backup.FindPart{Snapshot: "2026-12-05T020000Z", Time: newer, New: []backup.FoundFile{{Snapshot: "2026-12-05T020000Z", Time: newer,
		Path: "/home/alice/a.odt", InSnapshot: "/home/alice/a.odt", Type: backup.TypeFile, Size: 3, MTime: older, In: 1,
		Oldest: "2026-12-05T020000Z", OldestTime: newer}}}
	second := backup.FindPart{Snapshot: "2026-12-04T020000Z", Time: older, Again: []int{0}}
	var want, got backup.FindReport
	for _, p := range []backup.FindPart{first, second} {
		want.Add(p)
		tp := &pb.TaskPart{FoundAgain: []*pb.FoundAgain{}}
		for _, f := range p.New {
			tp.Found = append(tp.Found, agent.FoundToPB(f))
		}
		if len(p.Again) > 0 {
			tp.FoundAgain = append(tp.FoundAgain, agent.AgainToPB(p))
		}
		for _, q := range agent.FindPartsFromPB(tp) {
			got.Add(q)
		}
	}
	for i := range got.Found {
		f := &got.Found[i]
		f.Time, f.MTime, f.OldestTime = f.Time.UTC(), f.MTime.UTC(), f.OldestTime.UTC()
	}
	if !reflect.DeepEqual(got, want) || got.Found[0].In != 2 || got.Found[0].Oldest != second.Snapshot {
		t.Fatalf("after the wire:\n got %+v\nwant %+v", got, want)
	}
	// The answer's end: what was searched, the newest snapshot, and
	// those that could not be read.
	end := backup.FindReport{Task: "docs", Pattern: "*.odt", Snapshots: 2, More: true, Newest: first.Snapshot, NewestTime: newer,
		Unreadable: []string{"2026-12-03T020000Z"}}
	back := backup.FindReport{Pattern: end.Pattern} // the console's own
	agent.FinishFromPB(&back, agent.FindEndToPB(end))
	back.NewestTime = back.NewestTime.UTC()
	if !reflect.DeepEqual(back, end) {
		t.Fatalf("the answer's end after the wire:\n got %+v\nwant %+v", back, end)
	}
}

// A long warning is cut to what a chunk holds where a character starts:
// cut inside one, the answer would be invalid UTF-8, which protobuf
// refuses to send.
func TestALongWarningIsCutAndStillSent(t *testing.T) {
	w := "a" + strings.Repeat("é", wire.MaxChunk/4) // the cut falls inside an é
	m := agent.DeleteReportToPB(backup.DeleteReport{Task: "docs", Snapshot: "2026-12-04T020000Z", Warning: w})
	if len(m.Warning) > wire.MaxChunk/4+len("…") || !strings.HasSuffix(m.Warning, "é…") {
		t.Fatalf("the warning was sent as %d bytes ending %q", len(m.Warning), m.Warning[len(m.Warning)-8:])
	}
	if _, err := proto.Marshal(m); err != nil {
		t.Fatalf("the cut warning cannot be sent: %v", err)
	}
}
