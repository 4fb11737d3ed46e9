//go:build unix

package backup_test

import (
	"testing"
	"time"

	"github.com/lanyard/lanyard/core/backup"
)

func TestParseSchedule(t *testing.T) {
	loc := time.Local
	from := time.Date(2025, 6, 4, 10, 30, 0, 0, loc) // a Wednesday
	tests := []struct {
		name     string
		in       string
		canon    string
		next     time.Time
		interval time.Duration
	}{
		{"empty is manual", "", "manual", time.Time{}, 0},
		{"manual", "Manual", "manual", time.Time{}, 0},
		{"hourly runs on the hour", "hourly", "hourly", time.Date(2025, 6, 4, 11, 0, 0, 0, loc), time.Hour},
		{"daily at a time of day", "daily@2:05", "daily@02:05", time.Date(2025, 6, 5, 2, 5, 0, 0, loc), 24 * time.Hour},
		{"weekly on a named day", "weekly@Sunday@03:00", "weekly@sun@03:00", time.Date(2025, 6, 8, 3, 0, 0, 0, loc), 7 * 24 * time.Hour},
		{"a cron expression", "30 2 * * 1-5", "30 2 * * 1-5", time.Date(2025, 6, 5, 2, 30, 0, 0, loc), 3 * 24 * time.Hour},
		{"a cron descriptor", "@daily", "@daily", time.Date(2025, 6, 5, 0, 0, 0, 0, loc), 24 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := backup.ParseSchedule(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if s.String() != tt.canon {
				t.Errorf("String() = %q, want %q", s.String(), tt.canon)
			}
			if got := s.Next(from); !got.Equal(tt.next) {
				t.Errorf("Next = %v, want %v", got, tt.next)
			}
			if got := s.Interval(from); got != tt.interval {
				t.Errorf("Interval = %v, want %v", got, tt.interval)
			}
			again, err := backup.ParseSchedule(s.String())
			if err != nil || again.String() != s.String() {
				t.Errorf("the canonical form %q does not read back: %v", s.String(), err)
			}
		})
	}
}

// A schedule written in words is answered with the form that says it.
func TestAScheduleInWordsIsAnsweredWithItsForm(t *testing.T) {
	for in, want := range map[string]string{
		"daily at 2":        `schedule "daily at 2" is not valid: write daily@HH:MM, as in daily@02:00`,
		"Every day 02:00":   `schedule "Every day 02:00" is not valid: write daily@HH:MM, as in daily@02:00`,
		"every hour":        `schedule "every hour" is not valid: write hourly, for every hour on the hour`,
		"weekly sunday 3am": `schedule "weekly sunday 3am" is not valid: write weekly@DAY@HH:MM, as in weekly@sun@03:00`,
		"61 * * * *":        `schedule "61 * * * *" is not valid: end of range (61) above maximum (59): 61; use ` + backup.ScheduleForms,
	} {
		if _, err := backup.ParseSchedule(in); err == nil || err.Error() != want {
			t.Errorf("ParseSchedule(%q) = %v\nwant %s", in, err, want)
		}
	}
}

func TestParseScheduleRefusesNonsense(t *testing.T) {
	for _, in := range []string{"daily", "daily@25:00", "daily@12:5", "weekly@funday@03:00", "weekly@mon", "61 * * * *", "* * *", "sometimes", "0 0 30 2 *"} {
		t.Run(in, func(t *testing.T) {
			if _, err := backup.ParseSchedule(in); err == nil {
				t.Fatalf("ParseSchedule(%q) accepted it", in)
			}
		})
	}
}

func TestPrevIsTheLastSlotAtOrBeforeNow(t *testing.T) {
	s, _ := backup.ParseSchedule("daily@02:00")
	now := time.Date(2025, 6, 4, 10, 0, 0, 0, time.Local)
	if got, want := s.Prev(now), time.Date(2025, 6, 4, 2, 0, 0, 0, time.Local); !got.Equal(want) {
		t.Fatalf("Prev = %v, want %v", got, want)
	}
	w, _ := backup.ParseSchedule("weekly@sun@03:00")
	if got, want := w.Prev(now), time.Date(2025, 6, 1, 3, 0, 0, 0, time.Local); !got.Equal(want) {
		t.Fatalf("weekly Prev = %v, want %v", got, want)
	}
	m, _ := backup.ParseSchedule("manual")
	if !m.Prev(now).IsZero() {
		t.Fatal("a manual task has a previous slot")
	}
}
