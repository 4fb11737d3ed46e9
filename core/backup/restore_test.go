//go:build unix

package backup_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lanyard/lanyard/core/backup"
	"github.com/lanyard/lanyard/core/human"
)

// richTree fills the fixture's source with files, folders, modes, times
// and links.
func richTree(f *fixture) {
	f.random("photos/2024/a.jpg", 300<<10)
	f.random("photos/2024/b.jpg", 5)
	f.write("docs/report.txt", "the report", 0o640)
	f.write("docs/run.sh", "#!/bin/sh\necho hi\n", 0o755)
	f.write("docs/empty", "", 0o600)
	_ = os.MkdirAll(filepath.Join(f.src, "empty-dir"), 0o750)
	_ = os.Symlink("docs/report.txt", filepath.Join(f.src, "latest"))
	when := time.Date(2019, 7, 1, 8, 0, 0, 0, time.UTC)
	for _, p := range []string{"docs/report.txt", "photos/2024", "empty-dir", "docs"} {
		_ = os.Chtimes(filepath.Join(f.src, p), when, when)
	}
}

// backedUpRichTree is a fixture holding richTree, backed up once by a
// default engine, with that engine and its snapshot.
func backedUpRichTree(t *testing.T) (*fixture, *backup.Engine, backup.SnapshotInfo) {
	t.Helper()
	f := newFixture(t)
	richTree(f)
	e := backup.New(backup.Options{})
	f.mustRun(e, backup.ResultCompleted)
	return f, e, f.snapshots()[0]
}

func TestRestoreRoundTrip(t *testing.T) {
	f, e, snap := backedUpRichTree(t)
	target := filepath.Join(t.TempDir(), "restored")
	rep, err := e.Restore(context.Background(), snap, "docs", backup.RestoreOptions{Target: target}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Files != 5 || rep.Symlinks != 1 || rep.Bytes != 300<<10+5+10+18 {
		t.Fatalf("report %+v", rep)
	}
	restored := filepath.Join(target, filepath.FromSlash(backup.RelRoot(f.src)))
	if got, want := treeHashes(t, restored), treeHashes(t, f.src); !equalMaps(got, want) {
		t.Fatalf("restored tree differs:\n got %v\nwant %v", got, want)
	}
	if _, err := os.Stat(filepath.Join(target, ".lanyard")); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("the snapshot's own data was restored")
	}
}

func TestRestoreChosenPaths(t *testing.T) {
	f, e, snap := backedUpRichTree(t)
	target := t.TempDir()
	report := filepath.Join(f.src, "docs/report.txt")
	rep, err := e.Restore(context.Background(), snap, "docs",
		backup.RestoreOptions{Target: target, Paths: []string{report, backup.RelRoot(filepath.Join(f.src, "photos/2024"))}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Files != 3 {
		t.Fatalf("restored %d files", rep.Files)
	}
	out := filepath.Join(target, filepath.FromSlash(backup.RelRoot(report)))
	if hashOf(t, out) != hashOf(t, report) {
		t.Fatal("the restored file differs")
	}
	if _, err := os.Stat(filepath.Join(target, filepath.FromSlash(backup.RelRoot(filepath.Join(f.src, "docs/run.sh"))))); err == nil {
		t.Fatal("a file that was not asked for was restored")
	}
	_, err = e.Restore(context.Background(), snap, "docs", backup.RestoreOptions{Target: target, Paths: []string{"/no/such/file"}}, nil)
	if !errors.Is(err, backup.ErrInvalid) || !strings.Contains(err.Error(), "is not in snapshot") {
		t.Fatalf("an unknown path: %v", err)
	}
}

func TestRestoreRefusesToOverwriteUnlessAsked(t *testing.T) {
	f, e, snap := backedUpRichTree(t)
	target := t.TempDir()
	report := filepath.Join(target, filepath.FromSlash(backup.RelRoot(filepath.Join(f.src, "docs/report.txt"))))
	_ = os.MkdirAll(filepath.Dir(report), 0o755)
	_ = os.WriteFile(report, []byte("edited since"), 0o644)

	_, err := e.Restore(context.Background(), snap, "docs", backup.RestoreOptions{Target: target}, nil)
	var ex *backup.ExistsError
	if !errors.As(err, &ex) || ex.Count != 1 || !strings.Contains(err.Error(), "1 file already exists in ") || !strings.Contains(err.Error(), "--overwrite") {
		t.Fatalf("restore over an existing file: %v", err)
	}
	if b, _ := os.ReadFile(report); string(b) != "edited since" {
		t.Fatal("the existing file was changed")
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(report), "run.sh")); err == nil {
		t.Fatal("a refused restore wrote files")
	}

	rep, err := e.Restore(context.Background(), snap, "docs", backup.RestoreOptions{Target: target, Overwrite: true}, nil)
	if err != nil || rep.Replaced != 1 {
		t.Fatalf("with overwrite: %+v %v", rep, err)
	}
	if b, _ := os.ReadFile(report); string(b) != "the report" {
		t.Fatalf("the file holds %q", b)
	}
}

// A restore to where the files were puts a deleted file back at its own
// path, and leaves the folders above what was asked for as they are.
func TestARestoreToWhereTheFilesWerePutsThemBack(t *testing.T) {
	f, e, snap := backedUpRichTree(t)
	report := filepath.Join(f.src, "docs/report.txt")
	if err := os.Remove(report); err != nil {
		t.Fatal(err)
	}
	above, _ := os.Stat(filepath.Dir(f.src))
	rep, err := e.Restore(context.Background(), snap, "docs", backup.RestoreOptions{Within: f.task.Sources, Original: true, Paths: []string{report}}, nil)
	if err != nil || rep.Files != 1 || !rep.Original || rep.Target != "" || !slices.Equal(rep.Paths, []string{report}) {
		t.Fatalf("restore of a deleted file to where it was: %+v %v", rep, err)
	}
	if b, err := os.ReadFile(report); err != nil || string(b) != "the report" {
		t.Fatalf("the file back in place holds %q (%v)", b, err)
	}
	if fi, err := os.Stat(report); err != nil || fi.Mode().Perm() != 0o640 {
		t.Fatalf("its mode: %v %v", fi.Mode(), err)
	}
	if now, _ := os.Stat(filepath.Dir(f.src)); !now.ModTime().Equal(above.ModTime()) || now.Mode() != above.Mode() {
		t.Error("the folder above the sources was changed")
	}
	if rep.Where() != "to where the files were" {
		t.Errorf("where: %q", rep.Where())
	}

	// A folder that went with the file is made again as it was, not as an
	// owner-only folder its user could not open.
	if err := os.RemoveAll(filepath.Join(f.src, "docs")); err != nil {
		t.Fatal(err)
	}
	rep, err = e.Restore(context.Background(), snap, "docs", backup.RestoreOptions{Within: f.task.Sources, Original: true, Paths: []string{report}}, nil)
	if err != nil || rep.Files != 1 || rep.Dirs != 1 {
		t.Fatalf("restore of a file whose folder went too: %+v %v", rep, err)
	}
	when := time.Date(2019, 7, 1, 8, 0, 0, 0, time.UTC)
	if fi, err := os.Stat(filepath.Join(f.src, "docs")); err != nil || fi.Mode().Perm() != 0o755 || !fi.ModTime().Equal(when) {
		t.Fatalf("the folder made again: %v %v %v", fi.Mode(), fi.ModTime(), err)
	}
	_ = os.WriteFile(filepath.Join(f.src, "docs/run.sh"), []byte("#!/bin/sh\necho hi\n"), 0o755)
	_ = os.WriteFile(filepath.Join(f.src, "docs/empty"), nil, 0o600)

	// Anything there already stops it, before it writes, and says how
	// to go on.
	_ = os.WriteFile(report, []byte("edited since"), 0o640)
	_ = os.Remove(filepath.Join(f.src, "docs/run.sh"))
	_, err = e.Restore(context.Background(), snap, "docs", backup.RestoreOptions{Within: f.task.Sources, Original: true}, nil)
	var ex *backup.ExistsError
	if !errors.As(err, &ex) || ex.Count != 5 || !strings.Contains(err.Error(), "5 files already exist: nothing was restored; pass --skip-existing") ||
		!strings.Contains(err.Error(), "empty folder (among them ") || !errors.Is(err, backup.ErrExists) {
		t.Fatalf("a restore to where the files were, over files: %v", err)
	}
	if _, err := os.Stat(filepath.Join(f.src, "docs/run.sh")); err == nil {
		t.Fatal("a refused restore wrote files")
	}
	// Both a target and where they were, or both ways with files that
	// exist, is a usage error.
	for _, opt := range []backup.RestoreOptions{{Within: f.task.Sources, Original: true, Target: t.TempDir()}, {Within: f.task.Sources, Original: true, Overwrite: true, SkipExisting: true}} {
		if _, err := e.Restore(context.Background(), snap, "docs", opt, nil); !errors.Is(err, backup.ErrInvalid) || !strings.Contains(err.Error(), "not both") {
			t.Errorf("%+v: %v", opt, err)
		}
	}
}

// Skipping existing files restores only what is missing: what was edited
// since the snapshot stays as it is, and is counted.
func TestARestoreCanSkipTheFilesThatExist(t *testing.T) {
	f, e, snap := backedUpRichTree(t)
	report := filepath.Join(f.src, "docs/report.txt")
	_ = os.WriteFile(report, []byte("edited since"), 0o640)
	run := filepath.Join(f.src, "docs/run.sh")
	_ = os.Remove(run)
	_ = os.RemoveAll(filepath.Join(f.src, "photos"))

	rep, err := e.Restore(context.Background(), snap, "docs", backup.RestoreOptions{Within: f.task.Sources, Original: true, SkipExisting: true}, nil)
	if err != nil || rep.Files != 3 || rep.Skipped != 3 || rep.Replaced != 0 || !slices.Equal(rep.Paths, snap.Sources) {
		t.Fatalf("restore of what is missing: %+v %v", rep, err)
	}
	if rep.Dirs != 2 { // photos and photos/2024; the folders that were there are not counted
		t.Errorf("restore of what is missing: %d folders restored, want 2", rep.Dirs)
	}
	if b, _ := os.ReadFile(report); string(b) != "edited since" {
		t.Fatalf("an existing file was replaced: %q", b)
	}
	for _, p := range []string{run, filepath.Join(f.src, "photos/2024/a.jpg"), filepath.Join(f.src, "photos/2024/b.jpg")} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("a missing file was not restored: %v", err)
		}
	}
	// Into a folder, the same.
	target := t.TempDir()
	if _, err := e.Restore(context.Background(), snap, "docs", backup.RestoreOptions{Target: target}, nil); err != nil {
		t.Fatal(err)
	}
	rep, err = e.Restore(context.Background(), snap, "docs", backup.RestoreOptions{Target: target, SkipExisting: true}, nil)
	if err != nil || rep.Files != 0 || rep.Skipped != 6 || rep.Dirs != 0 || strings.Contains(rep.Summary(), "folder") {
		t.Fatalf("a second restore into the same folder, skipping: %+v %v", rep, err)
	}
}

func TestVerifyReportsMissingAndChangedFiles(t *testing.T) {
	f, e, snap := backedUpRichTree(t)
	vr, err := e.Verify(context.Background(), snap, "docs", nil)
	if err != nil || !vr.OK() || vr.Files != 6 {
		t.Fatalf("a fresh snapshot: %+v %v", vr, err)
	}
	report := f.snapPath(snap.ID, filepath.Join(f.src, "docs/report.txt"))
	_ = os.Chmod(report, 0o644)
	_ = os.WriteFile(report, []byte("THE REPORT"), 0o644)
	_ = os.Remove(f.snapPath(snap.ID, filepath.Join(f.src, "photos/2024/b.jpg")))
	vr, err = e.Verify(context.Background(), snap, "docs", nil)
	if err != nil || vr.OK() || vr.Missing != 1 || vr.Changed != 1 || len(vr.Problems) != 2 {
		t.Fatalf("a damaged snapshot: %+v %v", vr, err)
	}
}

func TestBrowsePagesThroughAFolder(t *testing.T) {
	f := newFixture(t)
	for i := range 250 {
		f.write("many/"+strings.Repeat("n", 50)+string(rune('a'+i/26%26))+string(rune('a'+i%26))+string(rune('0'+i/676)), "x", 0o644)
	}
	richTree(f)
	e := backup.New(backup.Options{})
	f.mustRun(e, backup.ResultCompleted)
	snap := f.snapshots()[0]

	top, err := backup.Browse(snap, "/", "", 0)
	if err != nil || len(top.Entries) != 1 || top.Entries[0].Type != backup.TypeDir {
		t.Fatalf("top: %+v %v", top, err)
	}
	docs, err := backup.Browse(snap, filepath.Join(f.src, "docs"), "", 0)
	if err != nil || docs.Total != 3 || docs.Entries[0].Name != "empty" || docs.Entries[1].Name != "report.txt" || docs.Entries[1].Size != 10 {
		t.Fatalf("docs: %+v %v", docs, err)
	}
	var names []string
	after := ""
	pages := 0
	for {
		page, err := backup.Browse(snap, filepath.Join(f.src, "many"), after, 100)
		if err != nil {
			t.Fatal(err)
		}
		if b, _ := jsonSize(page); b >= 16<<10 {
			t.Fatalf("a page encodes to %d bytes", b)
		}
		pages++
		for _, en := range page.Entries {
			names = append(names, en.Name)
		}
		if page.Next == "" {
			break
		}
		after = page.Next
	}
	if len(names) != 250 || pages < 3 {
		t.Fatalf("%d names in %d pages", len(names), pages)
	}
	for i := 1; i < len(names); i++ {
		if human.CompareNames(names[i-1], names[i]) >= 0 {
			t.Fatalf("out of order or repeated: %q then %q", names[i-1], names[i])
		}
	}
	// A folder typed as a person remembers it, not by the path it was
	// backed up from, is told where folders start.
	if _, err := backup.Browse(snap, "docs", "", 0); !errors.Is(err, backup.ErrInvalid) || !strings.Contains(err.Error(), "/docs is not a folder") || !strings.Contains(err.Error(), "list the top, /, to start") {
		t.Fatalf("an unknown folder: %v", err)
	}
	if _, err := backup.Browse(snap, filepath.Join(f.src, "docs", "report.txt"), "", 0); !errors.Is(err, backup.ErrInvalid) || !strings.HasSuffix(err.Error(), "report.txt is not a folder in snapshot "+snap.ID) {
		t.Fatalf("a file: %v", err)
	}
	if _, err := backup.Browse(snap, "../../etc", "", 0); !errors.Is(err, backup.ErrInvalid) {
		t.Fatalf("a folder outside the snapshot: %v", err)
	}
}

// dirsUnder counts the folders below root.
func dirsUnder(t *testing.T, root string) int64 {
	t.Helper()
	var n int64
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && p != root {
			n++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// The report's folder count is true: a restore of one file counts the
// folders it made to hold it, a whole restore every folder it made, and
// a restore into folders that are there already none of them.
func TestARestoreCountsTheFoldersItMakes(t *testing.T) {
	f, e, snap := backedUpRichTree(t)
	report := filepath.Join(f.src, "docs/report.txt")

	one := t.TempDir()
	rep, err := e.Restore(context.Background(), snap, "docs", backup.RestoreOptions{Target: one, Paths: []string{report}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := int64(strings.Count(backup.RelRoot(report), "/")); rep.Files != 1 || rep.Dirs != want || dirsUnder(t, one) != want {
		t.Errorf("one file: %d files, %d folders reported, %d made; want 1 file in %d folders", rep.Files, rep.Dirs, dirsUnder(t, one), want)
	}
	rep, err = e.Restore(context.Background(), snap, "docs", backup.RestoreOptions{Target: one, Paths: []string{report}, Overwrite: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Files != 1 || rep.Replaced != 1 || rep.Dirs != 0 {
		t.Errorf("the same file again: %d files, %d replaced, %d folders; want 1, 1 and no folder made", rep.Files, rep.Replaced, rep.Dirs)
	}

	all := filepath.Join(t.TempDir(), "all")
	rep, err = e.Restore(context.Background(), snap, "docs", backup.RestoreOptions{Target: all}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if made := dirsUnder(t, all); rep.Dirs != made {
		t.Errorf("the whole snapshot: %d folders reported, %d made", rep.Dirs, made)
	}
}

// Restore's and verify's progress count files (and links), as their
// summaries do, not folders as well.
func TestRestoreAndVerifyProgressCountFilesNotFolders(t *testing.T) {
	_, e, snap := backedUpRichTree(t)
	var last backup.Status
	p := backup.ProgressFunc(func(s backup.Status) { last = s })
	if _, err := e.Restore(context.Background(), snap, "docs", backup.RestoreOptions{Target: filepath.Join(t.TempDir(), "r")}, p); err != nil {
		t.Fatal(err)
	}
	if last.FilesTotal != 6 || last.FilesDone != 6 {
		t.Errorf("restore's last progress: %d/%d files, want 6/6 (5 files and a link)", last.FilesDone, last.FilesTotal)
	}
	if last.BytesTotal != 300<<10+5+10+18 || last.BytesDone != last.BytesTotal {
		t.Errorf("restore's last progress: %d/%d bytes, want all of the %d bytes the files hold", last.BytesDone, last.BytesTotal, 300<<10+5+10+18)
	}
	last = backup.Status{}
	if _, err := e.Verify(context.Background(), snap, "docs", p); err != nil {
		t.Fatal(err)
	}
	if last.FilesTotal != 6 || last.FilesDone != 6 {
		t.Errorf("verify's last progress: %d/%d files, want 6/6 (5 files and a link)", last.FilesDone, last.FilesTotal)
	}
}

func TestOwnersSpecialModesAndNanosecondTimesSurviveABackupAndARestore(t *testing.T) {
	f := newFixture(t)
	f.write("bin/setuid-tool", "#!/bin/sh\n", 0o755)
	f.write("notes.txt", "n", 0o640)
	_ = os.Chmod(filepath.Join(f.src, "bin/setuid-tool"), 0o755|os.ModeSetuid)
	when := time.Date(2021, 3, 4, 5, 6, 7, 123456789, time.UTC)
	for _, p := range []string{"bin/setuid-tool", "notes.txt", "bin"} {
		_ = os.Chtimes(filepath.Join(f.src, p), when, when)
	}
	asRoot := os.Geteuid() == 0
	if asRoot {
		// Given away after the times are set: chown keeps them.
		for _, p := range []string{"notes.txt", "bin/setuid-tool"} {
			if err := os.Lchown(filepath.Join(f.src, p), 1234, 5678); err != nil {
				t.Fatal(err)
			}
		}
		// chown clears set-user-ID: set it again.
		_ = os.Chmod(filepath.Join(f.src, "bin/setuid-tool"), 0o755|os.ModeSetuid)
		_ = os.Chtimes(filepath.Join(f.src, "bin/setuid-tool"), when, when)
	}
	e := backup.New(backup.Options{})
	rep := f.mustRun(e, backup.ResultCompleted)
	target := t.TempDir()
	if _, err := e.Restore(context.Background(), f.snapshots()[0], "docs", backup.RestoreOptions{Target: target}, nil); err != nil {
		t.Fatal(err)
	}
	want := treeHashes(t, f.src)
	if !strings.HasPrefix(want["bin/setuid-tool"], "urwx") { // "u": set-user-ID
		t.Fatalf("the fixture has no set-user-ID file: %v", want)
	}
	for _, dir := range []string{f.snapPath(rep.Snapshot, f.src), filepath.Join(target, filepath.FromSlash(backup.RelRoot(f.src)))} {
		if got := treeHashes(t, dir); !equalMaps(got, want) {
			t.Fatalf("%s differs:\n got %v\nwant %v", dir, got, want)
		}
		if !asRoot {
			continue
		}
		for _, p := range []string{"notes.txt", "bin/setuid-tool"} {
			fi, err := os.Lstat(filepath.Join(dir, p))
			if err != nil {
				t.Fatal(err)
			}
			if st := fi.Sys().(*syscall.Stat_t); st.Uid != 1234 || st.Gid != 5678 {
				t.Fatalf("%s in %s belongs to %d:%d, want 1234:5678", p, dir, st.Uid, st.Gid)
			}
		}
	}
}

func TestARestoreOverExistingFilesLeavesNoTemporaryFiles(t *testing.T) {
	f, e, snap := backedUpRichTree(t)
	target := t.TempDir()
	docs := filepath.Join(target, filepath.FromSlash(backup.RelRoot(filepath.Join(f.src, "docs"))))
	_ = os.MkdirAll(docs, 0o755)
	_ = os.WriteFile(filepath.Join(docs, "report.txt"), []byte("edited since"), 0o644)
	// What a restore killed mid-copy left beside the file it was replacing.
	_ = os.WriteFile(filepath.Join(docs, ".lanyard-restore-run.sh"), []byte("half"), 0o600)
	_ = os.WriteFile(filepath.Join(docs, "run.sh"), []byte("old"), 0o600)

	rep, err := e.Restore(context.Background(), snap, "docs", backup.RestoreOptions{Target: target, Overwrite: true}, nil)
	if err != nil || rep.Replaced != 2 || rep.Files != 5 {
		t.Fatalf("restore: %+v %v", rep, err)
	}
	restored := filepath.Join(target, filepath.FromSlash(backup.RelRoot(f.src)))
	if got, want := treeHashes(t, restored), treeHashes(t, f.src); !equalMaps(got, want) {
		t.Fatalf("restored tree differs (a temporary file left, or a file not replaced):\n got %v\nwant %v", got, want)
	}
}

// The console chooses a task's sources and destination by listing the
// server's own folders, a page at a time as a snapshot's.
func TestListFolderListsTheServersOwnFolders(t *testing.T) {
	dir := t.TempDir()
	for i := range 230 {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("file-%03d.txt", i)), []byte("12345"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "a-folder"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("file-000.txt", filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	// A folder's name is the server's to the last byte: a trailing space
	// is part of it.
	if err := os.Mkdir(filepath.Join(dir, "a-folder", "spaced "), 0o755); err != nil {
		t.Fatal(err)
	}
	if page, err := backup.ListFolder(filepath.Join(dir, "a-folder", "spaced "), "", 0); err != nil || page.Total != 0 {
		t.Fatalf("a folder named with a trailing space: %+v, %v", page, err)
	}
	var got []backup.BrowseEntry
	after, pages := "", 0
	for {
		page, err := backup.ListFolder(dir+string(filepath.Separator), after, 0)
		if err != nil {
			t.Fatal(err)
		}
		if page.Dir != dir || page.Total != 232 {
			t.Fatalf("page of %q with %d entries, want %q and 232", page.Dir, page.Total, dir)
		}
		got, pages = append(got, page.Entries...), pages+1
		if page.Next == "" {
			break
		}
		after = page.Next
	}
	if len(got) != 232 || pages != 3 {
		t.Fatalf("%d entries in %d pages, want 232 in 3", len(got), pages)
	}
	if got[0].Name != "a-folder" || got[0].Type != backup.TypeDir {
		t.Errorf("first %+v, want the folder", got[0])
	}
	if got[1].Name != "file-000.txt" || got[1].Type != backup.TypeFile || got[1].Size != 5 {
		t.Errorf("second %+v, want file-000.txt of 5 bytes", got[1])
	}
	if l := got[231]; l.Name != "link" || l.Type != backup.TypeSymlink || l.Target != "file-000.txt" {
		t.Errorf("last %+v, want the link to file-000.txt", l)
	}

	top, err := backup.ListFolder("", "", 0)
	if err != nil || top.Dir != "/" || !slices.ContainsFunc(top.Entries, func(e backup.BrowseEntry) bool { return e.Name == "tmp" || e.Name == "etc" }) {
		t.Fatalf("the top: %q, %d entries, %v", top.Dir, len(top.Entries), err)
	}
	for _, bad := range []struct{ dir, says string }{
		{"relative/path", "is not an absolute path"},
		{filepath.Join(dir, "no-such"), "does not exist on this server"},
		{filepath.Join(dir, "file-001.txt"), "is a file, not a folder"},
	} {
		if _, err := backup.ListFolder(bad.dir, "", 0); !errors.Is(err, backup.ErrInvalid) || !strings.Contains(err.Error(), bad.says) {
			t.Errorf("ListFolder(%q): %v, want %q", bad.dir, err, bad.says)
		}
	}
}

// A folder is listed as a file manager lists it, a page at a time: its
// folders first, then its files, each with case aside and numbers by
// their value.
func TestAFolderIsListedFoldersFirstWithNumbersByValue(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"scan10.pdf", "Scan2.pdf", "scan1.pdf", "archive"} {
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"zeta", "Year2024", "year2023"} {
		if err := os.Mkdir(filepath.Join(dir, name), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("zeta", filepath.Join(dir, "beta")); err != nil { // a link to a folder is listed with the files
		t.Fatal(err)
	}
	var names []string
	for after := ""; ; {
		page, err := backup.ListFolder(dir, after, 1)
		if err != nil || len(page.Entries) != 1 || page.Total != 8 {
			t.Fatalf("after %q: %+v, %v", after, page, err)
		}
		names = append(names, page.Entries[0].Name)
		if after = page.Next; after == "" {
			break
		}
	}
	if want := []string{"year2023", "Year2024", "zeta", "archive", "beta", "scan1.pdf", "Scan2.pdf", "scan10.pdf"}; !slices.Equal(names, want) {
		t.Errorf("listed %q, want %q", names, want)
	}
}

// A snapshot is found by its ID (with or without its final Z) or as the
// latest, by its own summary; what is not there is said in words.
func TestFindSnapshotByIDOrLatest(t *testing.T) {
	f := newFixture(t)
	f.write("a.txt", "one", 0o644)
	e := backup.New(backup.Options{})
	if _, err := backup.FindSnapshot(f.dest, f.task.Name, "latest"); !errors.Is(err, backup.ErrInvalid) || !strings.Contains(err.Error(), "has no snapshots") {
		t.Fatalf("no snapshot yet: %v", err)
	}
	f.mustRun(e, backup.ResultCompleted)
	first := f.snapshots()[0]
	// The next run gets the next second's ID, or a -N after it.
	f.write("a.txt", "two", 0o644)
	f.mustRun(e, backup.ResultCompleted)
	snaps := f.snapshots()
	if len(snaps) != 2 {
		t.Fatalf("%d snapshots", len(snaps))
	}
	newest := snaps[1]
	// Another snapshot's summary unreadable does not stand in the way.
	if err := os.WriteFile(filepath.Join(first.Path, ".lanyard", "snapshot.json"), []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]string{
		"latest": newest.ID, "": newest.ID, newest.ID: newest.ID,
		strings.TrimSuffix(first.ID, "Z"): first.ID,
	} {
		s, err := backup.FindSnapshot(f.dest, f.task.Name, id)
		if err != nil || s.ID != want || s.Path != filepath.Join(f.dest, f.task.Name, want) {
			t.Errorf("FindSnapshot(%q) = %s %s, %v; want %s", id, s.ID, s.Path, err, want)
		}
	}
	if s, _ := backup.FindSnapshot(f.dest, f.task.Name, newest.ID); s.Files != newest.Files || s.Result != backup.ResultCompleted {
		t.Errorf("the summary read: %+v", s)
	}
	for _, id := range []string{"2020-01-01T000000Z", "../" + newest.ID, newest.ID + "/..", "nonsense"} {
		if _, err := backup.FindSnapshot(f.dest, f.task.Name, id); !errors.Is(err, backup.ErrInvalid) || !strings.Contains(err.Error(), "has no snapshot") {
			t.Errorf("FindSnapshot(%q): %v", id, err)
		}
	}
}

// Folders above a source that went too are made again open to pass
// through, so their users reach the files put back, and the report names
// them for an administrator to give them their owners.
func TestARestoreToWhereTheFilesWereOpensTheFoldersAboveTheSources(t *testing.T) {
	f := newFixture(t)
	site := filepath.Join(f.src, "site")
	f.src = filepath.Join(site, "home", "alice")
	f.task.Sources = []string{f.src}
	a := f.write("a.txt", "alice's", 0o600)
	if err := os.Chmod(f.src, 0o750); err != nil {
		t.Fatal(err)
	}
	e := backup.New(backup.Options{})
	f.mustRun(e, backup.ResultCompleted)
	snap := f.snapshots()[0]
	if err := os.RemoveAll(site); err != nil {
		t.Fatal(err)
	}

	rep, err := e.Restore(context.Background(), snap, "docs", backup.RestoreOptions{Within: f.task.Sources, Original: true, Paths: []string{a}}, nil)
	if err != nil || rep.Files != 1 {
		t.Fatalf("restore: %+v %v", rep, err)
	}
	for dir, want := range map[string]fs.FileMode{site: 0o755, filepath.Dir(f.src): 0o755, f.src: 0o750} {
		if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != want {
			t.Errorf("%s: %v %v, want %v", dir, fi.Mode(), err, want)
		}
	}
	want := "made " + site + " and " + filepath.Dir(f.src) + " above what was backed up"
	if len(rep.Warnings) != 1 || !strings.HasPrefix(rep.Warnings[0], want) || !strings.Contains(rep.Warnings[0], "give them the owners they had") {
		t.Errorf("warnings %q, want one starting %q", rep.Warnings, want)
	}

	// Into a folder, what is made stays owner-only: the restored copy is
	// the administrator's to hand out.
	target := filepath.Join(t.TempDir(), "restored")
	rep, err = e.Restore(context.Background(), snap, "docs", backup.RestoreOptions{Target: target, Paths: []string{a}}, nil)
	if err != nil || len(rep.Warnings) != 0 {
		t.Fatalf("restore into a folder: %+v %v", rep, err)
	}
	if fi, err := os.Stat(filepath.Join(target, filepath.FromSlash(backup.RelRoot(site)))); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("a folder made into the target: %v %v", fi.Mode(), err)
	}
}

// A manifest whose entry climbs out of the snapshot, written by whoever
// could write to the destination, stops the restore as damaged before
// that entry is written anywhere: " /../../x" has a space for its first
// folder, so cleaning it as an absolute path would hide its "..", but
// joined to the restore's folder it would land beside it.
func TestARestoreRefusesAManifestEntryThatClimbsOut(t *testing.T) {
	_, e, snap := backedUpRichTree(t)
	manifest := backup.ManifestPath(snap.Path)
	data, err := os.ReadFile(manifest)
	if err != nil {
		t.Fatal(err)
	}
	var report string
	for _, line := range strings.Split(string(data), "\n") {
		if strings.Contains(line, `"report.txt"`) || strings.Contains(line, `/report.txt"`) {
			report = line
		}
	}
	if report == "" {
		t.Fatalf("no entry of report.txt in %s", data)
	}
	var rel string
	if _, after, ok := strings.Cut(report, `"path":"`); ok {
		rel, _, _ = strings.Cut(after, `"`)
	}
	climb := " /../../escaped"
	evil := strings.Replace(report, `"path":"`+rel+`"`, `"path":"`+climb+`"`, 1)
	if err := os.WriteFile(manifest, append(data, []byte(evil+"\n")...), 0o600); err != nil {
		t.Fatal(err)
	}
	// What such an entry would be read from, beside the snapshot.
	if err := os.WriteFile(filepath.Join(snap.Path, climb), []byte("the report"), 0o600); err != nil {
		t.Fatal(err)
	}

	target := filepath.Join(t.TempDir(), "restore", "here")
	_, err = e.Restore(context.Background(), snap, "", backup.RestoreOptions{Target: target}, nil)
	if err == nil || !strings.Contains(err.Error(), "leaves the snapshot") || !strings.Contains(err.Error(), climb) {
		t.Fatalf("restore of a manifest that climbs out: %v", err)
	}
	if _, err := os.Lstat(filepath.Join(target, climb)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("%s was written beside the restore's folder: %v", filepath.Join(target, climb), err)
	}
}

// A snapshot is an ordinary folder that others may write to. A link put
// there in place of a file or of a folder, or a fifo, makes a restore
// stop on it in words, and a verify and a browse report it, without
// reading what the link points to: the restore (run as root) would otherwise copy any file
// of the server into its folder, with the owner the manifest gives.
func TestARestoreFollowsNoLinkPutIntoTheSnapshot(t *testing.T) {
	outside := t.TempDir()
	secret := filepath.Join(outside, "a.jpg")
	if err := os.WriteFile(secret, []byte("the secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, path string // in the source
		plant      func(at string) error
		words      string
		folder     bool // browsed too
	}{
		{"a file made a link", "docs/report.txt", func(at string) error { return os.Symlink(secret, at) }, "leads outside the snapshot", false},
		{"a file made a relative link", "docs/report.txt", func(at string) error {
			rel, err := filepath.Rel(filepath.Dir(at), secret)
			if err != nil {
				return err
			}
			return os.Symlink(rel, at)
		}, "leads outside the snapshot", false},
		{"a folder made a link", "photos/2024", func(at string) error { return os.Symlink(outside, at) }, "leads outside the snapshot", true},
		{"a file made a fifo", "docs/run.sh", func(at string) error { return syscall.Mkfifo(at, 0o600) }, "is not a regular file", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			f, e, snap := backedUpRichTree(t)
			at := f.snapPath(snap.ID, filepath.Join(f.src, c.path))
			if err := os.RemoveAll(at); err != nil {
				t.Fatal(err)
			}
			if err := c.plant(at); err != nil {
				t.Fatal(err)
			}

			target := filepath.Join(t.TempDir(), "restored")
			var err error
			within(t, "the restore", func() {
				_, err = e.Restore(context.Background(), snap, "docs", backup.RestoreOptions{Target: target}, nil)
			})
			if err == nil || !strings.Contains(err.Error(), c.words) {
				t.Errorf("restore: %v, want an error saying %q", err, c.words)
			}
			_ = filepath.WalkDir(target, func(p string, d fs.DirEntry, err error) error {
				if err == nil && d.Type().IsRegular() {
					if b, _ := os.ReadFile(p); string(b) == "the secret" {
						t.Errorf("the restore wrote the file outside the snapshot to %s", p)
					}
				}
				return nil
			})

			vr, err := e.Verify(context.Background(), snap, "docs", nil)
			if err != nil || vr.OK() || len(vr.Problems) == 0 {
				t.Fatalf("verify: %+v, %v", vr, err)
			}
			named := false
			for _, pr := range vr.Problems {
				if strings.Contains(pr.Reason, "content differs") {
					t.Errorf("the verify read what the link points to: %+v", pr)
				}
				named = named || strings.Contains(pr.Reason, ", is a link (put there after the backup)") || strings.Contains(pr.Reason, ", is a FIFO")
			}
			if !named {
				t.Errorf("the verify does not say what is there instead: %+v", vr.Problems)
			}
			if c.folder {
				page, err := backup.Browse(snap, filepath.Join(f.src, c.path), "", 0)
				if !errors.Is(err, backup.ErrInvalid) || !strings.Contains(err.Error(), c.words) {
					t.Errorf("browsing the folder made a link: %+v, %v", page, err)
				}
			}
		})
	}
}

// A restore to where the files were writes only inside the task's
// sources: a manifest changed on the destination to name another place
// on the server is refused before anything is written.
func TestARestoreToWhereTheFilesWereKeepsToTheSources(t *testing.T) {
	f, e, snap := backedUpRichTree(t)
	victim := filepath.Join(t.TempDir(), "cron.d", "evil")
	rel := strings.TrimPrefix(filepath.ToSlash(victim), "/")
	entry := fmt.Sprintf(`{"path":%q,"type":"file","size":4,"mode":420,"mtime":1}`, rel)
	manifest := backup.ManifestPath(snap.Path)
	data, err := os.ReadFile(manifest)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(manifest, append(data, []byte(entry+"\n")...), 0o600); err != nil {
		t.Fatal(err)
	}
	planted := filepath.Join(snap.Path, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(planted), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(planted, []byte("evil"), 0o600); err != nil {
		t.Fatal(err)
	}

	_, err = e.Restore(context.Background(), snap, "docs", backup.RestoreOptions{Within: f.task.Sources, Original: true, SkipExisting: true}, nil)
	if !errors.Is(err, backup.ErrInvalid) || !strings.Contains(err.Error(), victim+", which is not in the task's sources") {
		t.Fatalf("a restore of a snapshot naming a place outside the sources: %v", err)
	}
	if _, err := os.Lstat(filepath.Dir(victim)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the restore wrote outside the sources: %v", err)
	}
	if _, err := e.Restore(context.Background(), snap, "docs", backup.RestoreOptions{Original: true, SkipExisting: true}, nil); !errors.Is(err, backup.ErrInvalid) {
		t.Errorf("a restore to where the files were without the sources to keep to: %v", err)
	}
}
