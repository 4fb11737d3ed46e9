//go:build unix

package backup_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lanyard/lanyard/core/backup"
	"github.com/lanyard/lanyard/internal/testfs"
)

// backedUpDocs is a task of three documents backed up once: its fixture,
// its engine, the snapshot, and where the report and the notes are on
// the server.
func backedUpDocs(t *testing.T) (f *fixture, e *backup.Engine, first backup.SnapshotInfo, report, notes string) {
	t.Helper()
	f = newFixture(t)
	report = f.write("docs/report.txt", "the quarterly report", 0o644)
	notes = f.write("docs/notes.txt", "notes", 0o644)
	f.write("docs/more.txt", "more", 0o644)
	e = backup.New(backup.Options{})
	f.mustRun(e, backup.ResultCompleted)
	return f, e, f.snapshots()[0], report, notes
}

// A file a verify found damaged is copied afresh by the next run, not
// linked (a link is the same damaged file); the others are still linked,
// and the note the verify left is gone once the new snapshot is complete.
func TestAFileAVerifyFoundDamagedIsCopiedAfreshByTheNextRun(t *testing.T) {
	f, e, first, report, _ := backedUpDocs(t)
	testfs.Damage(t, f.snapPath(first.ID, report))

	vr, err := e.Verify(context.Background(), first, f.task.Name, nil)
	if err != nil || vr.Changed != 1 || !vr.Recopy || vr.RecopyError != "" {
		t.Fatalf("verify of the damaged snapshot: %+v, %v", vr, err)
	}
	if want := "the next run copies these files afresh from the server and mends the older snapshots that hold the same copies"; vr.NextRun() != want {
		t.Errorf("NextRun %q, want %q", vr.NextRun(), want)
	}

	rep := f.mustRun(e, backup.ResultCompleted)
	if rep.FilesCopied != 1 || rep.FilesLinked != 2 || rep.Recopied != 1 {
		t.Errorf("the run after the verify copied %d (%d afresh) and linked %d, want the damaged file copied afresh and the 2 others linked", rep.FilesCopied, rep.Recopied, rep.FilesLinked)
	}
	if want := "3 files (1 copied, 2 linked, 1 copied afresh over a damaged copy, 1 mended in older snapshots)"; !strings.Contains(rep.Outcome(), want) {
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

// sameFile says whether two paths name one file (a hard link).
func sameFile(t *testing.T, a, b string) bool {
	t.Helper()
	fa, err := os.Lstat(a)
	if err != nil {
		t.Fatal(err)
	}
	fb, err := os.Lstat(b)
	if err != nil {
		t.Fatal(err)
	}
	return os.SameFile(fa, fb)
}

// The run that copies a damaged file afresh mends the older snapshots
// that shared the damaged copy through a hard link: they get the fresh
// copy, so a restore from any of them is whole again. A snapshot that
// holds another version of the file keeps it.
func TestTheRunThatCopiesAfreshMendsTheOlderSnapshots(t *testing.T) {
	f := newFixture(t)
	report := f.write("docs/report.txt", "a draft", 0o644)
	f.write("docs/notes.txt", "notes", 0o644)
	e := backup.New(backup.Options{})
	f.mustRun(e, backup.ResultCompleted) // the draft
	f.write("docs/report.txt", "the quarterly report", 0o644)
	if err := os.Chtimes(report, time.Now().Add(time.Hour), time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	f.mustRun(e, backup.ResultCompleted) // the report, copied
	f.mustRun(e, backup.ResultCompleted) // and linked
	snaps := f.snapshots()
	testfs.Damage(t, f.snapPath(snaps[2].ID, report)) // the copy snaps[1] and [2] share
	if vr, err := e.Verify(context.Background(), snaps[2], f.task.Name, nil); err != nil || vr.Changed != 1 {
		t.Fatalf("verify: %+v, %v", vr, err)
	}

	rep := f.mustRun(e, backup.ResultCompleted)
	if rep.Recopied != 1 || rep.Mended != 2 {
		t.Errorf("copied %d afresh and mended %d, want 1 and 2", rep.Recopied, rep.Mended)
	}
	if want := "1 copied afresh over a damaged copy, 2 mended in older snapshots"; !strings.Contains(rep.Outcome(), want) {
		t.Errorf("the outcome %q lacks %q", rep.Outcome(), want)
	}
	newest := f.snapshots()[3]
	for _, s := range snaps[1:] {
		if !sameFile(t, f.snapPath(s.ID, report), f.snapPath(newest.ID, report)) {
			t.Errorf("snapshot %s does not hold the fresh copy", s.ID)
		}
		if vr, err := e.Verify(context.Background(), s, f.task.Name, nil); err != nil || !vr.OK() {
			t.Errorf("verify of the mended snapshot %s: %+v, %v", s.ID, vr, err)
		}
	}
	if b, _ := os.ReadFile(f.snapPath(snaps[0].ID, report)); string(b) != "a draft" {
		t.Errorf("the snapshot of the draft holds %q", b)
	}
	for _, n := range f.taskDirNames() {
		if n == ".lanyard-recopy" {
			t.Error("the verify's note is left after the run that mended the snapshots")
		}
	}
}

// A copy that cannot be mended is a warning of the run, which says which
// snapshot to restore the file from; the others are mended.
func TestACopyThatCannotBeMendedIsAWarning(t *testing.T) {
	f := newFixture(t)
	report := f.write("docs/report.txt", "the quarterly report", 0o644)
	e := backup.New(backup.Options{})
	f.mustRun(e, backup.ResultCompleted)
	f.mustRun(e, backup.ResultCompleted)
	f.mustRun(e, backup.ResultCompleted)
	snaps := f.snapshots()
	testfs.Damage(t, f.snapPath(snaps[2].ID, report))
	if vr, err := e.Verify(context.Background(), snaps[2], f.task.Name, nil); err != nil || vr.Changed != 1 {
		t.Fatalf("verify: %+v, %v", vr, err)
	}
	// A folder where the mend puts its link, which it cannot remove.
	blocker := f.snapPath(snaps[0].ID, report) + ".lanyard-mend"
	if err := os.MkdirAll(filepath.Join(blocker, "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	rep := f.mustRun(e, backup.ResultWarnings)
	if rep.Mended != 2 || rep.WarningCount != 1 {
		t.Fatalf("mended %d, %d warnings %q; want 2 and 1", rep.Mended, rep.WarningCount, rep.Warnings)
	}
	newest := f.snapshots()[3]
	want := report + " in snapshot " + snaps[0].ID + " keeps its damaged copy"
	if w := rep.Warnings[0]; !strings.HasPrefix(w, want) || !strings.HasSuffix(w, "restore the file from snapshot "+newest.ID) {
		t.Errorf("warning %q", w)
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
	testfs.Damage(t, f.snapPath(snap.ID, report))
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

// A restore checks each file it copies against the hash the backup
// recorded. A copy damaged on the backup disk is restored as it is (it is
// the most the backup holds of the file), named in the warnings and
// counted; the restore leaves a note, as a verify would, so that the next
// run copies the file afresh and mends the snapshot, and a restore after
// it brings the file back whole.
func TestARestoreNamesTheFilesItRestoredFromDamagedCopies(t *testing.T) {
	f, e, first, report, _ := backedUpDocs(t)
	testfs.Damage(t, f.snapPath(first.ID, report))

	target := t.TempDir()
	rep, err := e.Restore(context.Background(), first, f.task.Name, backup.RestoreOptions{Target: target}, nil)
	if err != nil {
		t.Fatal(err)
	}
	restored := filepath.Join(target, filepath.FromSlash(backup.RelRoot(report)))
	if rep.Files != 3 || rep.Damaged != 1 {
		t.Fatalf("restored %d files, %d from damaged copies; want 3, 1", rep.Files, rep.Damaged)
	}
	if b, _ := os.ReadFile(restored); len(b) != len("the quarterly report") || string(b) == "the quarterly report" {
		t.Errorf("the damaged copy was restored as %q, want it as the backup disk holds it", b)
	}
	if want := "1 file was restored from a damaged copy: see the warnings"; !strings.Contains(rep.Summary(), want) {
		t.Errorf("summary %q lacks %q", rep.Summary(), want)
	}
	if len(rep.Warnings) != 2 || rep.Warnings[0] != restored+" was restored from a damaged copy: its content differs from what the backup recorded" ||
		!strings.Contains(rep.Warnings[1], "the next run copies these files afresh from the server") {
		t.Errorf("warnings %q: want the file named, then what the next run does", rep.Warnings)
	}

	run := f.mustRun(e, backup.ResultCompleted)
	if run.Recopied != 1 || run.Mended != 1 {
		t.Errorf("the run after the restore copied %d afresh and mended %d, want 1 and 1", run.Recopied, run.Mended)
	}
	rep, err = e.Restore(context.Background(), first, f.task.Name, backup.RestoreOptions{Target: target, Overwrite: true}, nil)
	if err != nil || rep.Damaged != 0 || len(rep.Warnings) != 0 {
		t.Fatalf("the restore after the run: %+v, %v", rep, err)
	}
	if b, _ := os.ReadFile(restored); string(b) != "the quarterly report" {
		t.Errorf("the restore after the run brought back %q", b)
	}
}

// A copy that is missing from the snapshot, or cannot be read (a failing
// disk), does not stop a restore: the other files are restored, the
// warnings name the one left out, and the next run copies it afresh and
// puts it back into the snapshot it was missing from.
func TestARestoreGoesOnPastACopyThatCannotBeRead(t *testing.T) {
	f, e, first, _, notes := backedUpDocs(t)
	if err := os.Remove(f.snapPath(first.ID, notes)); err != nil {
		t.Fatal(err)
	}

	target := t.TempDir()
	rep, err := e.Restore(context.Background(), first, f.task.Name, backup.RestoreOptions{Target: target}, nil)
	if err != nil {
		t.Fatal(err)
	}
	restored := filepath.Join(target, filepath.FromSlash(backup.RelRoot(notes)))
	if rep.Files != 2 || rep.Unreadable != 1 || rep.Damaged != 0 {
		t.Fatalf("restored %d files, %d unreadable, %d damaged; want 2, 1, 0", rep.Files, rep.Unreadable, rep.Damaged)
	}
	if want := "1 file was not restored: its copy cannot be read (see the warnings)"; !strings.Contains(rep.Summary(), want) {
		t.Errorf("summary %q lacks %q", rep.Summary(), want)
	}
	if len(rep.Warnings) != 2 || !strings.HasPrefix(rep.Warnings[0], "cannot restore "+restored+": its copy in the snapshot cannot be read (") ||
		!strings.Contains(rep.Warnings[1], "the next run copies these files afresh from the server") {
		t.Errorf("warnings %q: want the file named, then what the next run does", rep.Warnings)
	}
	if _, err := os.Lstat(restored); !os.IsNotExist(err) {
		t.Errorf("the file whose copy cannot be read was restored: %v", err)
	}

	if run := f.mustRun(e, backup.ResultCompleted); run.Recopied != 1 || run.Mended != 1 {
		t.Errorf("the run after the restore copied %d afresh and mended %d, want 1 and 1 (the copy put back)", run.Recopied, run.Mended)
	}
	if vr, err := e.Verify(context.Background(), first, f.task.Name, nil); err != nil || !vr.OK() {
		t.Errorf("verify of the snapshot the copy was missing from, after the run: %+v, %v", vr, err)
	}
	rep, err = e.Restore(context.Background(), first, f.task.Name, backup.RestoreOptions{Target: target, SkipExisting: true}, nil)
	if err != nil || rep.Files != 1 || rep.Unreadable != 0 {
		t.Fatalf("the restore after the run: %+v, %v", rep, err)
	}
	if b, _ := os.ReadFile(restored); string(b) != "notes" {
		t.Errorf("the restore after the run brought back %q", b)
	}
}

// A snapshot whose disk is gone mid-restore (unplugged, unmounted) stops
// the restore with one error that says so and what to do, not one
// warning for every file left, and leaves no note to write there.
func TestARestoreWhoseBackupDiskIsGoneStopsWithOneError(t *testing.T) {
	f, _, first, _, _ := backedUpDocs(t)
	var gone sync.Once
	e := backup.New(backup.WithBeforeRestore(backup.Options{Workers: 1}, func(string) {
		gone.Do(func() {
			if err := os.RemoveAll(first.Path); err != nil {
				t.Error(err)
			}
		})
	}))
	target := t.TempDir()
	rep, err := e.Restore(context.Background(), first, f.task.Name, backup.RestoreOptions{Target: target}, nil)
	if err == nil || !strings.Contains(err.Error(), "snapshot "+first.ID+" can no longer be read (") ||
		!strings.Contains(err.Error(), "is its backup disk still connected and mounted? Once it is, restore again, leaving the files already there as they are") {
		t.Fatalf("the restore whose disk went: %v", err)
	}
	if rep.Unreadable != 0 || len(rep.Warnings) != 0 || rep.Files != 0 {
		t.Errorf("restored %d, %d unreadable, warnings %q: want the one error alone", rep.Files, rep.Unreadable, rep.Warnings)
	}
}
