//go:build unix

package backup_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/lanyard/lanyard/core/backup"
)

func TestRetentionDecides(t *testing.T) {
	utc := time.UTC
	day := func(m time.Month, d, h int) time.Time { return time.Date(2025, m, d, h, 0, 0, 0, utc) }
	// Two snapshots a day from 1 May to 31 May (newest 31 May 14:00).
	var times []time.Time
	for d := 1; d <= 31; d++ {
		times = append(times, day(5, d, 2), day(5, d, 14))
	}
	times = append(times, day(4, 15, 2), day(3, 10, 2))
	tests := []struct {
		name   string
		policy backup.Retention
		keep   []time.Time
	}{
		{"no policy keeps everything", backup.Retention{}, nil},
		{"keep-last keeps the newest n", backup.Retention{KeepLast: 3}, []time.Time{day(5, 31, 14), day(5, 31, 2), day(5, 30, 14)}},
		{"keep-daily keeps the newest of each day", backup.Retention{KeepDaily: 2}, []time.Time{day(5, 31, 14), day(5, 30, 14)}},
		{"keep-weekly keeps the newest of each ISO week", backup.Retention{KeepWeekly: 2}, []time.Time{day(5, 31, 14), day(5, 25, 14)}},
		{"keep-monthly keeps the newest of each month", backup.Retention{KeepMonthly: 3}, []time.Time{day(5, 31, 14), day(4, 15, 2), day(3, 10, 2)}},
		{"rules add up", backup.Retention{KeepLast: 1, KeepMonthly: 2}, []time.Time{day(5, 31, 14), day(4, 15, 2)}},
		{"more slots than snapshots keeps them all", backup.Retention{KeepMonthly: 12}, []time.Time{day(5, 31, 14), day(4, 15, 2), day(3, 10, 2)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			keep, remove := tt.policy.Decide(times, utc)
			if len(keep)+len(remove) != len(times) {
				t.Fatalf("keep %d + remove %d != %d", len(keep), len(remove), len(times))
			}
			if tt.keep == nil {
				if len(remove) != 0 {
					t.Fatalf("removed %d", len(remove))
				}
				return
			}
			if len(keep) != len(tt.keep) {
				t.Fatalf("kept %v, want %v", keep, tt.keep)
			}
			for i := range keep {
				if !keep[i].Equal(tt.keep[i]) {
					t.Fatalf("kept %v, want %v", keep, tt.keep)
				}
			}
		})
	}
}

func TestRetentionAlwaysKeepsTheNewest(t *testing.T) {
	now := time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC)
	keep, _ := backup.Retention{KeepDaily: 0, KeepWeekly: 0, KeepMonthly: 0, KeepLast: 0}.Decide([]time.Time{now}, time.UTC)
	if len(keep) != 1 {
		t.Fatal("the only snapshot was not kept")
	}
	// A policy that keeps only monthly snapshots still keeps the newest.
	keep, _ = backup.Retention{KeepMonthly: 1}.Decide([]time.Time{now.Add(-time.Hour), now}, time.UTC)
	if len(keep) != 1 || !keep[0].Equal(now) {
		t.Fatalf("kept %v", keep)
	}
}

func TestRetentionRefusesNegativeCounts(t *testing.T) {
	if err := (backup.Retention{KeepDaily: -1}).Validate(); err == nil {
		t.Fatal("a negative count was accepted")
	}
}

// The preview of a retention is what the next run then does: the same
// snapshots, counted before anything is removed.
func TestARetentionPreviewIsWhatTheNextRunRemoves(t *testing.T) {
	f := newFixture(t)
	f.write("a", "a", 0o644)
	c := &clock{now: time.Date(2025, 5, 1, 2, 0, 0, 0, time.UTC), step: 6 * time.Hour}
	e := backup.New(backup.Options{Now: c.Now, Location: time.UTC})
	for range 5 {
		f.mustRun(e, backup.ResultCompleted)
	}
	snaps := f.snapshots()
	keepAll, err := e.PreviewRetention(f.dest, f.task.Name, backup.Retention{}, c.now)
	if err != nil || keepAll.Snapshots != 5 || keepAll.Removes != 0 {
		t.Fatalf("keep all: %+v, %v", keepAll, err)
	}
	f.task.Retention = backup.Retention{KeepLast: 2}
	p, err := e.PreviewRetention(f.dest, f.task.Name, f.task.Retention, c.now)
	if err != nil || p.Snapshots != 5 || p.Removes != 4 || !p.OldestRemoved.Equal(snaps[0].Time) || !p.NewestRemoved.Equal(snaps[3].Time) {
		t.Fatalf("keep the last 2: %+v, %v (snapshots %v)", p, err, snaps)
	}
	rep := f.mustRun(e, backup.ResultCompleted)
	if len(rep.Removed) != p.Removes {
		t.Fatalf("the run removed %v, the preview said %d", rep.Removed, p.Removes)
	}
	if none, err := e.PreviewRetention(filepath.Join(f.dest, "nowhere"), f.task.Name, f.task.Retention, c.now); err != nil || none.Snapshots != 0 {
		t.Fatalf("a destination without snapshots: %+v, %v", none, err)
	}
}

func TestARetentionPreviewInWords(t *testing.T) {
	at := func(d, hm string) time.Time {
		tm, err := time.Parse("2006-01-02 15:04", d+" "+hm)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	for _, c := range []struct {
		p    backup.RetentionPreview
		want string
	}{
		{backup.RetentionPreview{Snapshots: 4}, "removes none of the snapshots there are now"},
		{backup.RetentionPreview{Snapshots: 1, Removes: 1, OldestRemoved: at("2026-10-01", "02:00"), NewestRemoved: at("2026-10-01", "02:00")},
			"removes the only snapshot there is now, taken 2026-10-01 02:00"},
		{backup.RetentionPreview{Snapshots: 3, Removes: 3, OldestRemoved: at("2026-10-01", "02:00"), NewestRemoved: at("2026-10-01", "14:00")},
			"removes all 3 snapshots there are now, taken 2026-10-01 from 02:00 to 14:00"},
		{backup.RetentionPreview{Snapshots: 30, Removes: 23, OldestRemoved: at("2026-10-01", "02:00"), NewestRemoved: at("2026-10-23", "02:00")},
			"removes 23 of the 30 snapshots there are now, taken from 2026-10-01 to 2026-10-23"},
	} {
		if got := c.p.Describe(time.UTC); got != c.want {
			t.Errorf("%+v: %q, want %q", c.p, got, c.want)
		}
	}
}
