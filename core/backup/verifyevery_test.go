//go:build unix

package backup_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/lanyard/lanyard/core/backup"
	"github.com/lanyard/lanyard/internal/testfs"
)

// A run that is told to verify re-reads its whole snapshot once it is
// complete, the copies it linked from earlier snapshots too: one a disk
// damaged is the run's warning, the run says what the next one does
// about it, and the next run copies it afresh.
func TestARunThatVerifiesFindsALinkedCopyTheDiskDamaged(t *testing.T) {
	f := newFixture(t)
	report := f.write("docs/report.txt", "the quarterly report", 0o644)
	f.write("docs/notes.txt", "notes", 0o644)
	e := backup.New(backup.Options{})
	f.mustRun(e, backup.ResultCompleted)
	testfs.Damage(t, f.snapPath(f.snapshots()[0].ID, report))

	before := time.Now().Add(-time.Second)
	var phases []string
	rep, err := e.Run(context.Background(), f.task, backup.StartOptions{Verify: true,
		Progress: backup.ProgressFunc(func(s backup.Status) { phases = append(phases, s.Phase) })})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Result != backup.ResultWarnings || !rep.Verified || rep.VerifyChanged != 1 || rep.VerifyMissing != 0 {
		t.Fatalf("the verifying run: %s, verified %v, %d changed, %d missing; want completed with warnings, 1 changed",
			rep.Result, rep.Verified, rep.VerifyChanged, rep.VerifyMissing)
	}
	if rep.LastVerified.Before(before) {
		t.Errorf("LastVerified %v, want the run's verify", rep.LastVerified)
	}
	if len(rep.Warnings) != 1 || !strings.HasPrefix(rep.Warnings[0], "verify: /") || !strings.Contains(rep.Warnings[0], "report.txt content differs from the manifest") {
		t.Errorf("warnings %q, want the damaged file named", rep.Warnings)
	}
	for _, want := range []string{", verified)", "verify: 1 changed and 0 missing since they were copied; the next run copies these files afresh"} {
		if !strings.Contains(rep.Describe(), want) {
			t.Errorf("the report lacks %q:\n%s", want, rep.Describe())
		}
	}
	if len(phases) == 0 || phases[len(phases)-1] != backup.PhaseVerifying {
		t.Errorf("progress phases %q: want the verify's last", phases)
	}

	next := f.mustRun(e, backup.ResultCompleted)
	if next.Recopied != 1 || next.Verified || !next.LastVerified.IsZero() {
		t.Errorf("the run after: %d copied afresh, verified %v, last verified %v; want 1, and no verify (not asked, and not told of one)",
			next.Recopied, next.Verified, next.LastVerified)
	}
	told := time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC)
	if r, _ := e.Run(context.Background(), f.task, backup.StartOptions{LastVerified: told}); !r.LastVerified.Equal(told) || r.Verify() != "" {
		t.Errorf("a run that does not verify: last verified %v (want %v passed on), its verify line %q", r.LastVerified, told, r.Verify())
	}
}

// A verify stopped with its run leaves the snapshot complete: the run
// completed, and says the verify did not finish.
func TestARunStoppedWhileItVerifiesIsComplete(t *testing.T) {
	f := newFixture(t)
	f.write("docs/a.txt", "a", 0o644)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// The destination's free space is read once the snapshot is
	// complete, just before the verify: the stop comes there.
	e := backup.New(backup.WithSpace(backup.Options{}, func(context.Context, string) (uint64, uint64) {
		cancel()
		return 0, 0
	}))
	rep, err := e.Run(ctx, f.task, backup.StartOptions{Verify: true})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Result != backup.ResultCompleted || rep.Verified || !rep.LastVerified.IsZero() ||
		rep.Verify() != "verify: stopped before it finished; the snapshot is complete" {
		t.Fatalf("%s, verified %v at %v, %q", rep.Result, rep.Verified, rep.LastVerified, rep.Verify())
	}
	if len(f.snapshots()) != 1 {
		t.Errorf("%d snapshots, want the one made", len(f.snapshots()))
	}
}

// A run's verify keeps to the task's speed limit, as its copy does: the
// server's users keep their disks while it reads the whole snapshot.
// Nothing is copied here (every file is linked), yet 6 MiB re-read at
// 4 MiB/s take at least the 1.25 s the limit allows.
func TestARunsVerifyKeepsToTheSpeedLimit(t *testing.T) {
	f := newFixture(t)
	f.random("a.bin", 3<<20)
	f.random("b.bin", 3<<20)
	e := backup.New(backup.Options{Workers: 4})
	f.mustRun(e, backup.ResultCompleted)
	f.task.Speed = 4 << 20
	begin := time.Now()
	rep, err := e.Run(context.Background(), f.task, backup.StartOptions{Verify: true})
	if err != nil || rep.FilesLinked != 2 || !rep.Verified {
		t.Fatalf("%v: linked %d, verified %v", err, rep.FilesLinked, rep.Verified)
	}
	if took := time.Since(begin); took < 1200*time.Millisecond {
		t.Errorf("6 MiB verified in %s at a limit of 4 MiB/s", took)
	}
}

func TestVerifyDue(t *testing.T) {
	now := time.Date(2026, 12, 8, 2, 0, 5, 0, time.UTC)
	weekly := backup.Task{VerifyEvery: backup.Duration(7 * 24 * time.Hour)}
	for _, tt := range []struct {
		name string
		task backup.Task
		last time.Time
		want bool
	}{
		{"never asked", backup.Task{}, time.Time{}, false},
		{"never verified", weekly, time.Time{}, true},
		{"a week ago, a few seconds later in the day", weekly, now.Add(-7*24*time.Hour + 30*time.Second), true},
		{"six days ago", weekly, now.Add(-6 * 24 * time.Hour), false},
		{"hourly, 55 minutes ago", backup.Task{VerifyEvery: backup.Duration(time.Hour)}, now.Add(-55 * time.Minute), true},
		{"hourly, 50 minutes ago", backup.Task{VerifyEvery: backup.Duration(time.Hour)}, now.Add(-50 * time.Minute), false},
	} {
		if got := tt.task.VerifyDue(tt.last, now); got != tt.want {
			t.Errorf("%s: due %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestParseVerifyEvery(t *testing.T) {
	for in, want := range map[string]time.Duration{"off": 0, "Never": 0, "0": 0, "7d": 7 * 24 * time.Hour, "36h": 36 * time.Hour, "1h": time.Hour} {
		if got, err := backup.ParseVerifyEvery(in); err != nil || time.Duration(got) != want {
			t.Errorf("%q: %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"30m", "soon", "-7d"} {
		if _, err := backup.ParseVerifyEvery(in); err == nil || !strings.Contains(err.Error(), "at least 1h") {
			t.Errorf("%q: %v, want a refusal that says what to give", in, err)
		}
	}
	for d, want := range map[time.Duration]string{0: "never", 24 * time.Hour: "every day", 7 * 24 * time.Hour: "every week", 30 * 24 * time.Hour: "every 30 days", 36 * time.Hour: "every 36h"} {
		if got := backup.VerifyWords(backup.Duration(d)); got != want {
			t.Errorf("VerifyWords(%v) = %q, want %q", d, got, want)
		}
	}
}
