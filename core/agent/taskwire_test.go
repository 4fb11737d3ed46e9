package agent_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/lanyard/lanyard/core/agent"
	"github.com/lanyard/lanyard/core/backup"
)

// A run's report crosses the wire whole: every field of it, a field added
// later too (the test fails until the field is set here and carried).
func TestARunsReportCrossesTheWireWhole(t *testing.T) {
	at := time.Date(2026, 12, 4, 2, 0, 0, 0, time.UTC)
	want := backup.Report{Task: "docs", Snapshot: "2026-12-04T020000Z", Trigger: "schedule", Started: at, Finished: at.Add(41 * time.Second),
		Result: backup.ResultWarnings, Error: "none", FilesCopied: 1, FilesLinked: 2, FilesSkipped: 3, BytesCopied: 4, BytesLinked: 5,
		Dirs: 6, Symlinks: 7, Warnings: []string{"the destination is nearly full"}, WarningCount: 8, Removed: []string{"2026-11-01T020000Z"},
		DestFree: 9 << 30, DestTotal: 2 << 40, Attempt: 1, RetryAt: at.Add(11 * time.Minute)}
	v := reflect.ValueOf(want)
	for i := range v.NumField() {
		if v.Field(i).IsZero() {
			t.Fatalf("set Report.%s in this test, and carry it in ReportToPB and ReportFromPB", v.Type().Field(i).Name)
		}
	}
	got := agent.ReportFromPB(agent.ReportToPB(want))
	got.Started, got.Finished, got.RetryAt = got.Started.UTC(), got.Finished.UTC(), got.RetryAt.UTC()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("after the wire:\n got %+v\nwant %+v", got, want)
	}
}

func TestATaskCrossesTheWireWhole(t *testing.T) {
	at := time.Date(2026, 12, 4, 2, 0, 0, 0, time.UTC)
	want := backup.Task{Name: "docs", Sources: []string{"/srv/docs"}, Destination: "/mnt/backup", Excludes: []string{"*.tmp"},
		Schedule: "daily@02:00", Retention: backup.Retention{KeepLast: 1, KeepDaily: 2, KeepWeekly: 3, KeepMonthly: 4},
		OverdueAfter: backup.Duration(36 * time.Hour), CatchUp: true, Speed: 20 << 20, Retries: 3, RetryWait: backup.Duration(15 * time.Minute),
		Version: 7, Created: at, Modified: at.Add(time.Hour)}
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
