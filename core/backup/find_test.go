//go:build unix

package backup_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/lanyard/lanyard/core/backup"
)

// A file is found in every snapshot that holds it, newest first, by its
// name in any case or by a pattern of its path, as many as asked for.
func TestFindLooksForAFileInEverySnapshot(t *testing.T) {
	f, e, first := backedUpRichTree(t)
	report := filepath.Join(f.src, "docs/report.txt")
	later := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	_ = os.WriteFile(report, []byte("the report, longer now"), 0o640)
	_ = os.Chtimes(report, later, later)
	f.mustRun(e, backup.ResultCompleted)
	snaps := f.snapshots()
	if len(snaps) != 2 {
		t.Fatalf("%d snapshots", len(snaps))
	}
	second := snaps[1]
	if second.ID == first.ID {
		second = snaps[0]
	}

	rep, err := e.Find(context.Background(), snaps, "docs", "REPORT.TXT", 0)
	if err != nil || rep.Snapshots != 2 || rep.More || len(rep.Found) != 2 {
		t.Fatalf("by its name: %+v %v", rep, err)
	}
	newest, oldest := rep.Found[0], rep.Found[1]
	if newest.Snapshot != second.ID || newest.Path != report || newest.Size != 22 || !newest.MTime.Equal(later) || newest.Type != backup.TypeFile ||
		oldest.Snapshot != first.ID || oldest.Size != 10 {
		t.Errorf("found %+v", rep.Found)
	}
	// A path pattern, across folders.
	rep, err = e.Find(context.Background(), snaps, "docs", filepath.Join(f.src, "**", "*.jpg"), 0)
	if err != nil || len(rep.Found) != 4 {
		t.Errorf("by a path pattern: %+v %v", rep, err)
	}
	// At most as many as asked for, and it says there are more.
	rep, err = e.Find(context.Background(), snaps, "docs", "*", 3)
	if err != nil || len(rep.Found) != 3 || !rep.More || rep.Snapshots != 1 {
		t.Errorf("a limit of 3: %d found, more %v, %d snapshots searched, %v", len(rep.Found), rep.More, rep.Snapshots, err)
	}
	if rep, err := e.Find(context.Background(), snaps, "docs", "no-such-file", 0); err != nil || len(rep.Found) != 0 || rep.Snapshots != 2 {
		t.Errorf("nothing found: %+v %v", rep, err)
	}
	for _, bad := range []string{"", "  ", "report[.txt"} {
		if _, err := e.Find(context.Background(), snaps, "docs", bad, 0); !errors.Is(err, backup.ErrInvalid) {
			t.Errorf("pattern %q: %v", bad, err)
		}
	}
}
