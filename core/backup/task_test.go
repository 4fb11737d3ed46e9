//go:build unix

package backup_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lanyard/lanyard/core/backup"
)

func jsonSize(v any) (int, error) {
	b, err := json.Marshal(v)
	return len(b), err
}

func TestValidateRefusesBadTasks(t *testing.T) {
	root := t.TempDir()
	src := filepath.Join(root, "src")
	other := filepath.Join(root, "other")
	dest := filepath.Join(root, "dest")
	for _, d := range []string{src, other, dest, filepath.Join(src, "inner")} {
		_ = os.MkdirAll(d, 0o755)
	}
	_ = os.Symlink(src, filepath.Join(root, "src-link"))
	base := backup.Task{Name: "t1", Sources: []string{src}, Destination: dest, Schedule: "daily@02:00"}
	tests := []struct {
		name   string
		change func(*backup.Task)
		want   string
	}{
		{"an empty name", func(t *backup.Task) { t.Name = "" }, "needs a name"},
		{"a name with a slash", func(t *backup.Task) { t.Name = "a/b" }, "use letters"},
		{"a name starting with a dot", func(t *backup.Task) { t.Name = ".hidden" }, "starting with a letter or digit, such as hidden"},
		{"a name with spaces", func(t *backup.Task) { t.Name = "my docs  2" }, "such as my-docs-2"},
		{"a verify too often", func(t *backup.Task) { t.VerifyEvery = backup.Duration(time.Minute) }, "verify-every 1m: give off, or a duration of at least 1h such as 7d"},
		{"no source", func(t *backup.Task) { t.Sources = nil }, "at least one source"},
		{"a missing source", func(t *backup.Task) { t.Sources = []string{filepath.Join(root, "nope")} }, "does not exist"},
		{"a source given twice", func(t *backup.Task) { t.Sources = []string{src, src} }, "given twice"},
		{"a source inside another", func(t *backup.Task) { t.Sources = []string{src, filepath.Join(src, "inner")} }, "is inside source"},
		{"the destination is the source", func(t *backup.Task) { t.Destination = src }, "same folder"},
		{"the destination inside a source", func(t *backup.Task) { t.Destination = filepath.Join(src, "inner") }, "is inside the source"},
		{"the destination inside a source through a link", func(t *backup.Task) {
			t.Sources = []string{filepath.Join(root, "src-link")}
			t.Destination = filepath.Join(src, "inner")
		}, "is inside the source"},
		{"a source inside the destination", func(t *backup.Task) { t.Sources = []string{src}; t.Destination = root }, "inside the destination"},
		{"the file system root as a source", func(t *backup.Task) { t.Sources = []string{"/"} }, "root of the file system"},
		{"a bad schedule", func(t *backup.Task) { t.Schedule = "every day" }, "not valid"},
		{"a bad exclude", func(t *backup.Task) { t.Excludes = []string{"[a-"} }, "not a valid glob"},
		{"negative retention", func(t *backup.Task) { t.Retention.KeepLast = -2 }, "give 0 or more"},
		{"too many retries", func(t *backup.Task) { t.Retries = backup.MaxRetries + 1 }, "retries 11: give a number from 0 to 10"},
		{"a retry wait too short", func(t *backup.Task) { t.RetryWait = backup.Duration(time.Second) }, "retry wait 1s: give a duration from 1m to 24h, such as 15m"},
		{"a destination that is a file", func(t *backup.Task) {
			p := filepath.Join(root, "file")
			_ = os.WriteFile(p, nil, 0o644)
			t.Destination = p
		}, "not a folder"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			task := base
			task.Sources = append([]string(nil), base.Sources...)
			tt.change(&task)
			_, err := task.Validate()
			if !errors.Is(err, backup.ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Validate: %v; want an ErrInvalid saying %q", err, tt.want)
			}
		})
	}
	good := base
	if w, err := good.Validate(); err != nil || len(w) != 0 {
		t.Fatalf("a good task: %v %v", w, err)
	}
	good.Destination = filepath.Join(root, "not-yet")
	if w, err := good.Validate(); err != nil || len(w) != 1 || w[0] != backup.MissingDestination(good.Destination) {
		t.Fatalf("a destination not mounted yet should only warn: %v %v", w, err)
	}
}

// An exclude named from the top that is inside no source leaves nothing
// out, and the check says so: a mistyped folder, one above the source, or
// a pattern meant to match anywhere.
// A name in another script gets no suggestion: one would lose its letters.
func TestANameInAnotherScriptIsNotRespelled(t *testing.T) {
	err := backup.ValidateName("Büro")
	if err == nil || !strings.HasSuffix(err.Error(), "starting with a letter or digit") {
		t.Errorf("%v", err)
	}
}

func TestAnExcludeInsideNoSourceIsAWarning(t *testing.T) {
	root := t.TempDir()
	src, dest := filepath.Join(root, "data", "shared"), filepath.Join(root, "dest")
	for _, d := range []string{src, dest} {
		_ = os.MkdirAll(d, 0o755)
	}
	for pattern, warns := range map[string]bool{
		"/home/bob/.cache":                true,
		"/home/*/.cache/**":               true,
		filepath.Join(root, "data2", "x"): true,
		filepath.Join(src, "tmp"):         false,
		filepath.Join(src, "*", "tmp"):    false,
		filepath.Join(root, "**", "tmp"):  false, // above the source, matching into it
		filepath.Join(root, "data"):       true,  // above the source: a run walks below it
		src:                               true,  // the source itself
		filepath.Join(root, "data", "*"):  false, // the source, and what it holds
		"*.tmp":                           false,
		"shared/tmp":                      false, // the end of any path
		"**/.cache/**":                    false,
	} {
		task := backup.Task{Name: "t1", Sources: []string{src}, Destination: dest, Schedule: "manual", Excludes: []string{pattern}}
		w, err := task.Validate()
		if err != nil || (len(w) == 1) != warns || warns && !strings.Contains(w[0], "is inside no source, so it leaves nothing out") {
			t.Errorf("%s: warnings %q (%v), want a warning: %v", pattern, w, err, warns)
		}
	}
}

// MakeDestination creates the last folder of a destination, owner-only,
// and nothing above it: a parent that is missing (a share not mounted, a
// typing mistake) is a destination error that says so.
func TestMakeDestinationCreatesTheLastFolderOnly(t *testing.T) {
	root := t.TempDir()
	dest := filepath.Join(root, "fs01")
	if made, err := backup.MakeDestination(dest); err != nil || !made {
		t.Fatal(made, err)
	}
	if fi, err := os.Stat(dest); err != nil || !fi.IsDir() || fi.Mode().Perm() != 0o700 {
		t.Fatalf("after MakeDestination: %v %v", fi, err)
	}
	if made, err := backup.MakeDestination(dest); err != nil || made {
		t.Fatalf("a destination that exists: %v %v", made, err)
	}
	deep := filepath.Join(root, "nas", "fs01")
	_, err := backup.MakeDestination(deep)
	if !errors.Is(err, backup.ErrInvalid) || backup.FieldOf(err) != backup.FieldDestination ||
		!strings.Contains(err.Error(), "its parent folder "+filepath.Join(root, "nas")+" does not exist") {
		t.Fatalf("a missing parent: %v (field %q)", err, backup.FieldOf(err))
	}
	if _, err := os.Stat(filepath.Join(root, "nas")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the missing parent was created: %v", err)
	}
	if _, err := backup.MakeDestination("backup"); !errors.Is(err, backup.ErrInvalid) {
		t.Fatalf("a relative destination: %v", err)
	}
}

// MakeFolder, as a folder picker asks for it, says so when a file holds
// the name, and leaves a folder that is there as it is.
func TestMakeFolderSaysWhatStandsInItsWay(t *testing.T) {
	root := t.TempDir()
	file := filepath.Join(root, "report.txt")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := backup.MakeFolder(file); !errors.Is(err, backup.ErrInvalid) || !strings.Contains(err.Error(), "cannot create the folder "+file+": a file of that name is there") {
		t.Errorf("over a file: %v", err)
	}
	if made, err := backup.MakeFolder(root); made || err != nil {
		t.Errorf("a folder that is there: %v, %v", made, err)
	}
	if _, err := backup.MakeFolder("restore"); !errors.Is(err, backup.ErrInvalid) || !strings.Contains(err.Error(), `folder "restore" is not an absolute path`) {
		t.Errorf("a relative path: %v", err)
	}
}

func TestNormalizeCleansPaths(t *testing.T) {
	task := backup.Task{Name: " x ", Sources: []string{"/a/b/../c/"}, Destination: "/d//e/", Excludes: []string{" *.tmp ", ""}, Schedule: "daily@2:00"}
	if err := task.Normalize(); err != nil {
		t.Fatal(err)
	}
	if task.Name != "x" || task.Sources[0] != "/a/c" || task.Destination != "/d/e" || len(task.Excludes) != 1 || task.Excludes[0] != "*.tmp" || task.Schedule != "daily@02:00" {
		t.Fatalf("%+v", task)
	}
}

func TestASpeedLimitReadsAsAPersonWritesIt(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want backup.Speed
		err  string
	}{
		{"", 0, ""}, {"none", 0, ""}, {"Off", 0, ""}, {"0", 0, ""},
		{"20MiB/s", 20 << 20, ""}, {"20 MiB/s", 20 << 20, ""}, {"20m", 20 << 20, ""}, {"2MB/s", 2e6, ""},
		{"1.5 GiB/s", 3 << 29, ""}, {"500KiB/s", 500 << 10, ""}, {"65536", 64 << 10, ""},
		{"0.5", 0, "below 64.0 KiB/s"}, {"63k", 0, "below 64.0 KiB/s"}, {"2 TiB/s", 0, "above 1.0 TiB/s"},
		{"fast", 0, "give a rate such as 20MiB/s"}, {"-5M", 0, "give a rate"}, {"20 furlongs", 0, "give a rate"},
	} {
		got, err := backup.ParseSpeed(tc.in)
		switch {
		case tc.err == "" && (err != nil || got != tc.want):
			t.Errorf("%q: %d, %v; want %d", tc.in, got, err, tc.want)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err) || !errors.Is(err, backup.ErrInvalid)):
			t.Errorf("%q: %d, %v; want an error saying %q", tc.in, got, err, tc.err)
		}
	}
	if s := backup.Speed(20 << 20).String(); s != "20.0 MiB/s" {
		t.Errorf("20 MiB/s is shown as %q", s)
	}
}

// A limit that did not come through ParseSpeed (a console's request, an
// edited file) is held to the same bounds when the task is saved.
func TestATaskWithASpeedLimitOutOfBoundsIsRefused(t *testing.T) {
	f := newFixture(t)
	for _, sp := range []backup.Speed{100, backup.MaxSpeed + 1} {
		task := f.task
		task.Speed = sp
		if _, err := task.Validate(); !errors.Is(err, backup.ErrInvalid) || backup.FieldOf(err) != backup.FieldSpeed {
			t.Errorf("a limit of %d bytes a second: %v (field %q)", int64(sp), err, backup.FieldOf(err))
		}
	}
	task := f.task
	task.Speed = backup.MinSpeed
	if _, err := task.Validate(); err != nil {
		t.Errorf("the least limit: %v", err)
	}
}

// A failed scheduled run is tried again its task's retry wait after it
// ended, while retries are left and the next scheduled run is later.
func TestRetryAfter(t *testing.T) {
	ended := time.Date(2026, 12, 5, 2, 0, 30, 0, time.UTC)
	task := backup.Task{Retries: 2}
	for _, tc := range []struct {
		name    string
		attempt int
		wait    time.Duration
		next    time.Time
		want    time.Time
	}{
		{"the first try, by the default wait", 0, 0, ended.Add(24 * time.Hour), ended.Add(backup.DefaultRetryWait)},
		{"the first retry, by its own wait", 1, 30 * time.Minute, ended.Add(24 * time.Hour), ended.Add(30 * time.Minute)},
		{"retries spent", 2, 0, ended.Add(24 * time.Hour), time.Time{}},
		{"the next scheduled run comes first", 0, time.Hour, ended.Add(time.Hour), time.Time{}},
		{"no next scheduled run", 0, 0, time.Time{}, ended.Add(backup.DefaultRetryWait)},
	} {
		task.RetryWait = backup.Duration(tc.wait)
		if got := task.RetryAfter(tc.attempt, ended, tc.next); !got.Equal(tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
	if got := (&backup.Task{}).RetryAfter(0, ended, time.Time{}); !got.IsZero() {
		t.Errorf("a task without retries is tried again at %v", got)
	}
}

// A retry is said as its time, or, for a run the agent's end cut short,
// as the agent's return.
func TestRetryWords(t *testing.T) {
	ended := time.Date(2026, 12, 5, 3, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		at   time.Time
		want string
	}{
		{time.Time{}, ""},
		{ended.Add(10 * time.Minute), "tried again at 03:10"},
		{ended, "tried again once its agent is back"},
	} {
		if got := backup.RetryWords(tc.at, ended, time.UTC); got != tc.want {
			t.Errorf("retry at %v: %q, want %q", tc.at, got, tc.want)
		}
	}
}
