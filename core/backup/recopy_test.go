//go:build unix

package backup_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lanyard/lanyard/core/backup"
)

// damage rewrites a snapshot's copy of a file in place, keeping its size
// and time, as a failing disk does: the next run, which links a file
// whose size and time the manifest records, cannot tell.
func damage(t *testing.T, p string) {
	t.Helper()
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	b[0] ^= 0xff
	_ = os.Chmod(p, 0o644)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(p, fi.ModTime(), fi.ModTime()); err != nil {
		t.Fatal(err)
	}
}

// A file a verify found damaged is copied afresh by the next run, not
// linked (a link is the same damaged file); the others are still linked,
// and the note the verify left is gone once the new snapshot is complete.
func TestAFileAVerifyFoundDamagedIsCopiedAfreshByTheNextRun(t *testing.T) {
	f := newFixture(t)
	report := f.write("docs/report.txt", "the quarterly report", 0o644)
	f.write("docs/notes.txt", "notes", 0o644)
	f.write("docs/more.txt", "more", 0o644)
	e := backup.New(backup.Options{})
	f.mustRun(e, backup.ResultCompleted)
	first := f.snapshots()[0]
	damage(t, f.snapPath(first.ID, report))

	vr, err := e.Verify(context.Background(), first, f.task.Name, nil)
	if err != nil || vr.Changed != 1 || !vr.Recopy || vr.RecopyError != "" {
		t.Fatalf("verify of the damaged snapshot: %+v, %v", vr, err)
	}
	if want := "the next run copies these files afresh from the server; the damaged copies stay in the snapshots that hold them"; vr.NextRun() != want {
		t.Errorf("NextRun %q, want %q", vr.NextRun(), want)
	}

	rep := f.mustRun(e, backup.ResultCompleted)
	if rep.FilesCopied != 1 || rep.FilesLinked != 2 || rep.Recopied != 1 {
		t.Errorf("the run after the verify copied %d (%d afresh) and linked %d, want the damaged file copied afresh and the 2 others linked", rep.FilesCopied, rep.Recopied, rep.FilesLinked)
	}
	if want := "3 files (1 copied, 2 linked, 1 copied afresh for a verify)"; !strings.Contains(rep.Outcome(), want) {
		t.Errorf("the run's outcome %q lacks %q", rep.Outcome(), want)
	}
	second := f.snapshots()[1]
	if b, _ := os.ReadFile(f.snapPath(second.ID, report)); string(b) != "the quarterly report" {
		t.Errorf("the new snapshot holds %q", b)
	}
	if vr, err := e.Verify(context.Background(), second, f.task.Name, nil); err != nil || !vr.OK() {
		t.Errorf("verify of the new snapshot: %+v, %v", vr, err)
	}
	for _, n := range f.taskDirNames() {
		if n == ".lanyard-recopy" {
			t.Error("the verify's note is left after the run that copied its files")
		}
	}
	// Done once: the run after links everything again.
	if rep := f.mustRun(e, backup.ResultCompleted); rep.FilesLinked != 3 {
		t.Errorf("the second run after the verify linked %d files, want 3", rep.FilesLinked)
	}
}

// A note that cannot be read only ever makes a run copy more: every
// file, not none.
func TestANoteThatCannotBeReadHasEveryFileCopied(t *testing.T) {
	f := newFixture(t)
	f.write("a.txt", "a", 0o644)
	f.write("b.txt", "b", 0o644)
	e := backup.New(backup.Options{})
	f.mustRun(e, backup.ResultCompleted)
	dir := filepath.Join(backup.TaskDir(f.task.Destination, f.task.Name), ".lanyard-recopy")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "x.json"), []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if rep := f.mustRun(e, backup.ResultCompleted); rep.FilesCopied != 2 || rep.FilesLinked != 0 || rep.Recopied != 2 {
		t.Errorf("with a damaged note: %d copied (%d afresh), %d linked; want every file copied afresh", rep.FilesCopied, rep.Recopied, rep.FilesLinked)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("the note folder is left: %v", err)
	}
}

// A link in the note folder's place has no note written elsewhere: the
// verify says the next run could not be told, and what to do.
func TestAVerifyWritesItsNoteInTheTasksFolderOnly(t *testing.T) {
	f := newFixture(t)
	report := f.write("report.txt", "the report", 0o644)
	e := backup.New(backup.Options{})
	f.mustRun(e, backup.ResultCompleted)
	snap := f.snapshots()[0]
	elsewhere := t.TempDir()
	if err := os.Symlink(elsewhere, filepath.Join(backup.TaskDir(f.task.Destination, f.task.Name), ".lanyard-recopy")); err != nil {
		t.Fatal(err)
	}
	damage(t, f.snapPath(snap.ID, report))
	vr, err := e.Verify(context.Background(), snap, f.task.Name, nil)
	if err != nil || vr.Recopy || vr.RecopyError == "" {
		t.Fatalf("verify with the note folder a link: %+v, %v", vr, err)
	}
	if ents, _ := os.ReadDir(elsewhere); len(ents) != 0 {
		t.Errorf("a note was written through the link: %v", ents)
	}
	if got := vr.NextRun(); !strings.HasPrefix(got, "the next run could not be told to copy these files afresh (") || !strings.HasSuffix(got, "fix that and verify again") {
		t.Errorf("NextRun %q", got)
	}
}
