//go:build unix

package backup_test

import (
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
