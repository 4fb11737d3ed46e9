package backup

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestAnInvalidTaskNamesTheFieldAtFault(t *testing.T) {
	root := t.TempDir()
	src := filepath.Join(root, "data")
	if err := os.Mkdir(src, 0o755); err != nil {
		t.Fatal(err)
	}
	dest := filepath.Join(root, "backups")
	ok := Task{Name: "docs", Sources: []string{src}, Destination: dest, Schedule: "manual"}
	for _, tc := range []struct {
		name  string
		edit  func(*Task)
		field string
	}{
		{"a name with a slash is the name's fault", func(t *Task) { t.Name = "a/b" }, FieldName},
		{"a missing source is the sources' fault", func(t *Task) { t.Sources = []string{filepath.Join(root, "nope")} }, FieldSources},
		{"no source at all is the sources' fault", func(t *Task) { t.Sources = nil }, FieldSources},
		{"a destination inside a source is the destination's fault", func(t *Task) { t.Destination = filepath.Join(src, "b") }, FieldDestination},
		{"a bad exclude is the excludes' fault", func(t *Task) { t.Excludes = []string{"[oops"} }, FieldExcludes},
		{"a bad schedule is the schedule's fault", func(t *Task) { t.Schedule = "every day" }, FieldSchedule},
		{"a negative keep-last is the retention's fault", func(t *Task) { t.Retention.KeepLast = -1 }, FieldRetention},
		{"a negative overdue time is its own fault", func(t *Task) { t.OverdueAfter = -1 }, FieldOverdueAfter},
	} {
		t.Run(tc.name, func(t *testing.T) {
			task := ok
			task.Sources = append([]string(nil), ok.Sources...)
			tc.edit(&task)
			_, err := task.Validate()
			if err == nil {
				t.Fatal("accepted")
			}
			if got := FieldOf(err); got != tc.field {
				t.Fatalf("FieldOf(%v) = %q, want %q", err, got, tc.field)
			}
		})
	}
	if _, err := ok.Validate(); err != nil || FieldOf(err) != "" {
		t.Fatalf("a valid task: %v", err)
	}
}

func TestDurationsAreReadInHoursOrDays(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string
		ok   bool
	}{{"36h", "36h0m0s", true}, {"3d", "72h0m0s", true}, {" 90m ", "1h30m0s", true}, {"-1h", "", false}, {"3 days", "", false}, {"", "", false}} {
		d, err := ParseDuration(tc.in)
		if (err == nil) != tc.ok || (tc.ok && d.String() != tc.want) {
			t.Errorf("ParseDuration(%q) = %v, %v", tc.in, d, err)
		}
	}
}

func TestDurationsAreShownAsTheyAreTyped(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{{48 * time.Hour, "48h"}, {90 * time.Minute, "1h30m"}, {36*time.Hour + 30*time.Minute, "36h30m"},
		{45 * time.Minute, "45m"}, {90 * time.Second, "1m30s"}, {0, "0s"}} {
		got := Duration(tc.d).String()
		if got != tc.want {
			t.Errorf("%v shown as %q, want %q", tc.d, got, tc.want)
		}
		if back, err := ParseDuration(got); err != nil || back != tc.d {
			t.Errorf("%q reads back as %v, %v", got, back, err)
		}
	}
}
