//go:build unix

package backup_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
	logtest "github.com/sirupsen/logrus/hooks/test"

	"github.com/lanyard/lanyard/core/backup"
)

func TestFirstRunCopiesAndTheNextLinksWhatIsUnchanged(t *testing.T) {
	f := newFixture(t)
	same := f.random("same.bin", 200<<10)
	changed := f.write("sub/changed.txt", "version 1", 0o644)
	removed := f.write("sub/removed.txt", "bye", 0o644)
	f.write("sub/deeper/empty.txt", "", 0o600)
	e := backup.New(backup.Options{})

	first := f.mustRun(e, backup.ResultCompleted)
	if first.FilesCopied != 4 || first.FilesLinked != 0 || first.BytesCopied != 200<<10+9+3 {
		t.Fatalf("first run: copied %d (%d bytes), linked %d", first.FilesCopied, first.BytesCopied, first.FilesLinked)
	}
	if got := treeHashes(t, f.snapPath(first.Snapshot, f.src)); !equalMaps(got, treeHashes(t, f.src)) {
		t.Fatalf("the snapshot differs from the source:\n%v\n%v", got, treeHashes(t, f.src))
	}

	// A change keeps the size but moves the time.
	f.write("sub/changed.txt", "version 2", 0o644)
	old := time.Now().Add(-time.Hour)
	_ = os.Chtimes(changed, old, old)
	_ = os.Remove(removed)
	added := f.write("added.txt", "new", 0o644)

	second := f.mustRun(e, backup.ResultCompleted)
	if second.FilesLinked != 2 || second.FilesCopied != 2 {
		t.Fatalf("second run: linked %d, copied %d; want 2 and 2", second.FilesLinked, second.FilesCopied)
	}
	for _, p := range []string{same, filepath.Join(f.src, "sub/deeper/empty.txt")} {
		if inode(t, f.snapPath(first.Snapshot, p)) != inode(t, f.snapPath(second.Snapshot, p)) {
			t.Errorf("%s is not hard-linked between the snapshots", p)
		}
	}
	if inode(t, f.snapPath(first.Snapshot, changed)) == inode(t, f.snapPath(second.Snapshot, changed)) {
		t.Error("the changed file shares an inode with its old copy")
	}
	if b, _ := os.ReadFile(f.snapPath(second.Snapshot, changed)); string(b) != "version 2" {
		t.Errorf("changed file holds %q", b)
	}
	if _, err := os.Lstat(f.snapPath(second.Snapshot, removed)); !errors.Is(err, os.ErrNotExist) {
		t.Error("a removed file is in the new snapshot")
	}
	if _, err := os.Lstat(f.snapPath(second.Snapshot, added)); err != nil {
		t.Error("the added file is missing from the new snapshot")
	}
	if b, _ := os.ReadFile(f.snapPath(first.Snapshot, changed)); string(b) != "version 1" {
		t.Errorf("the earlier snapshot changed: %q", b)
	}
	snaps := f.snapshots()
	if len(snaps) != 2 || snaps[0].ID != first.Snapshot || snaps[1].ID != second.Snapshot || snaps[1].Files != 4 || snaps[1].Result != backup.ResultCompleted {
		t.Fatalf("snapshots: %+v", snaps)
	}
	f.assertNoPartial()
}

// A run links only files that are in the previous snapshot: a link put
// there in place of a folder, to one of the server's folders holding a
// file of the same name, size and time as the source's, does not have
// the new snapshot hold that file (which a restore would then write out).
func TestARunLinksNothingFromOutsideThePreviousSnapshot(t *testing.T) {
	f := newFixture(t)
	src := f.write("sub/shadow", "the source", 0o644)
	e := backup.New(backup.Options{})
	first := f.mustRun(e, backup.ResultCompleted)

	outside := t.TempDir()
	secret := filepath.Join(outside, "shadow")
	if err := os.WriteFile(secret, []byte("the secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(src)
	if err != nil {
		t.Fatal(err)
	}
	_ = os.Chtimes(secret, fi.ModTime(), fi.ModTime())
	sub := filepath.Dir(f.snapPath(first.Snapshot, src))
	if err := os.RemoveAll(sub); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, sub); err != nil {
		t.Fatal(err)
	}

	second := f.mustRun(e, backup.ResultCompleted)
	got := f.snapPath(second.Snapshot, src)
	if b, _ := os.ReadFile(got); string(b) != "the source" || inode(t, got) == inode(t, secret) || second.FilesLinked != 0 {
		t.Fatalf("the new snapshot holds %q (linked %d)", b, second.FilesLinked)
	}
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestModesAndTimesArePreserved(t *testing.T) {
	f := newFixture(t)
	f.write("private.key", "k", 0o600)
	f.write("bin/tool", "#!/bin/sh\n", 0o755)
	f.write("shared/readme", "r", 0o444)
	_ = os.Chmod(filepath.Join(f.src, "shared"), 0o2750)
	when := time.Date(2020, 2, 29, 12, 34, 56, 789000000, time.UTC)
	for _, p := range []string{"private.key", "bin/tool", "shared/readme", "shared", "bin"} {
		_ = os.Chtimes(filepath.Join(f.src, p), when, when)
	}
	rep := f.mustRun(backup.New(backup.Options{}), backup.ResultCompleted)
	src, snap := treeHashes(t, f.src), treeHashes(t, f.snapPath(rep.Snapshot, f.src))
	if !equalMaps(src, snap) {
		t.Fatalf("modes or times differ:\nsource   %v\nsnapshot %v", src, snap)
	}
}

func TestSymlinksAreStoredAsLinks(t *testing.T) {
	f := newFixture(t)
	f.write("target.txt", "t", 0o644)
	for name, target := range map[string]string{"rel": "target.txt", "abs": "/etc/hostname", "dangling": "nowhere/at/all"} {
		if err := os.Symlink(target, filepath.Join(f.src, name)); err != nil {
			t.Fatal(err)
		}
	}
	e := backup.New(backup.Options{})
	rep := f.mustRun(e, backup.ResultCompleted)
	if rep.Symlinks != 3 {
		t.Fatalf("symlinks %d", rep.Symlinks)
	}
	for name, target := range map[string]string{"rel": "target.txt", "abs": "/etc/hostname", "dangling": "nowhere/at/all"} {
		got, err := os.Readlink(f.snapPath(rep.Snapshot, filepath.Join(f.src, name)))
		if err != nil || got != target {
			t.Errorf("%s: link to %q (%v), want %q", name, got, err, target)
		}
	}
	vr, err := e.Verify(context.Background(), f.snapshots()[0], "docs", nil)
	if err != nil || !vr.OK() {
		t.Fatalf("verify: %+v %v", vr, err)
	}
}

func TestExcludes(t *testing.T) {
	tests := []struct {
		name     string
		patterns []string
		gone     []string
	}{
		{"a name pattern matches in every folder", []string{"*.tmp"}, []string{"a.tmp", "sub/b.tmp"}},
		{"a folder name drops the whole folder", []string{"node_modules"}, []string{"app/node_modules/x.js", "app/node_modules"}},
		{"a path pattern is matched against the full path", []string{"**/cache/**"}, []string{"app/cache/big.bin"}},
		{"an absolute pattern names one place", []string{"<src>/sub"}, []string{"sub/b.tmp", "sub"}},
		{"a folder may be written with a slash after it", []string{"<src>/sub/", "node_modules/"}, []string{"sub", "app/node_modules"}},
		{"a path not from the top matches the end of a path", []string{"app/cache"}, []string{"app/cache/big.bin", "app/cache"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			for _, p := range []string{"keep.txt", "a.tmp", "sub/b.tmp", "app/node_modules/x.js", "app/cache/big.bin", "app/main.go"} {
				f.write(p, p, 0o644)
			}
			for _, p := range tt.patterns {
				f.task.Excludes = append(f.task.Excludes, strings.ReplaceAll(p, "<src>", f.src))
			}
			if _, err := f.task.Validate(); err != nil {
				t.Fatal(err)
			}
			rep := f.mustRun(backup.New(backup.Options{}), backup.ResultCompleted)
			for _, g := range tt.gone {
				if _, err := os.Lstat(f.snapPath(rep.Snapshot, filepath.Join(f.src, g))); err == nil {
					t.Errorf("%s was backed up despite %v", g, tt.patterns)
				}
			}
			for _, k := range []string{"keep.txt", "app/main.go"} {
				if _, err := os.Lstat(f.snapPath(rep.Snapshot, filepath.Join(f.src, k))); err != nil {
					t.Errorf("%s is missing: %v", k, err)
				}
			}
		})
	}
}

func TestSpecialFilesAreSkippedWithAWarning(t *testing.T) {
	f := newFixture(t)
	f.write("ok.txt", "ok", 0o644)
	if err := syscall.Mkfifo(filepath.Join(f.src, "pipe"), 0o644); err != nil {
		t.Skipf("cannot make a FIFO here: %v", err)
	}
	rep := f.mustRun(backup.New(backup.Options{}), backup.ResultWarnings)
	if rep.FilesSkipped != 1 || rep.WarningCount != 1 || !strings.Contains(rep.Warnings[0], "FIFO") {
		t.Fatalf("skipped %d, warnings %q", rep.FilesSkipped, rep.Warnings)
	}
	if snaps := f.snapshots(); len(snaps) != 1 || snaps[0].Result != backup.ResultWarnings {
		t.Fatalf("snapshots %+v", snaps)
	}
}

func TestAFileThatVanishesMidRunIsAWarning(t *testing.T) {
	f := newFixture(t)
	f.write("a.txt", "a", 0o644)
	gone := f.write("b.txt", "b", 0o644)
	f.write("c.txt", "c", 0o644)
	opts := backup.WithBeforeFile(backup.Options{Workers: 1}, func(rel string) {
		if strings.HasSuffix(rel, "/a.txt") {
			_ = os.Remove(gone)
		}
	})
	rep := f.mustRun(backup.New(opts), backup.ResultWarnings)
	if rep.FilesCopied != 2 || rep.FilesSkipped != 1 || !strings.Contains(strings.Join(rep.Warnings, "\n"), "b.txt vanished during the backup") {
		t.Fatalf("copied %d skipped %d warnings %q", rep.FilesCopied, rep.FilesSkipped, rep.Warnings)
	}
}

func TestAnUnreadableFileIsAWarning(t *testing.T) {
	t.Run("by its permissions", func(t *testing.T) {
		if os.Geteuid() == 0 {
			t.Skip("root reads a file whatever its mode; the case below covers it through the source-open seam")
		}
		f := newFixture(t)
		f.write("ok.txt", "ok", 0o644)
		f.write("secret.txt", "s", 0o000)
		rep := f.mustRun(backup.New(backup.Options{}), backup.ResultWarnings)
		if !strings.Contains(strings.Join(rep.Warnings, "\n"), "secret.txt cannot be read: permission denied") {
			t.Fatalf("warnings %q", rep.Warnings)
		}
	})
	t.Run("as the system refuses to open it", func(t *testing.T) {
		f := newFixture(t)
		f.write("ok.txt", "ok", 0o644)
		secret := f.write("secret.txt", "s", 0o600)
		opts := backup.WithOpenSource(backup.Options{}, func(p string) (*os.File, error) {
			if p == secret {
				return nil, &os.PathError{Op: "open", Path: p, Err: syscall.EACCES}
			}
			return os.Open(p)
		})
		rep := f.mustRun(backup.New(opts), backup.ResultWarnings)
		if rep.FilesCopied != 1 || rep.FilesSkipped != 1 || !strings.Contains(strings.Join(rep.Warnings, "\n"), "secret.txt cannot be read: permission denied") {
			t.Fatalf("copied %d skipped %d warnings %q", rep.FilesCopied, rep.FilesSkipped, rep.Warnings)
		}
	})
}

// failingWriter fails with ENOSPC once n bytes have gone through it.
type failingWriter struct {
	w    io.Writer
	left *atomic.Int64
}

func (f failingWriter) Write(b []byte) (int, error) {
	if f.left.Add(-int64(len(b))) < 0 {
		return 0, &os.PathError{Op: "write", Path: "dest", Err: syscall.ENOSPC}
	}
	return f.w.Write(b)
}

func TestADestinationThatFailsWritesFailsTheRun(t *testing.T) {
	f := newFixture(t)
	for i := range 20 {
		f.random("f"+string(rune('a'+i)), 64<<10)
	}
	good := backup.New(backup.Options{})
	first := f.mustRun(good, backup.ResultCompleted)
	f.random("new.bin", 1<<20)

	left := &atomic.Int64{}
	left.Store(300 << 10)
	bad := backup.New(backup.WithWriterWrap(backup.Options{}, func(w io.Writer) io.Writer { return failingWriter{w, left} }))
	rep := f.mustRun(bad, backup.ResultFailed)
	if !strings.Contains(rep.Error, "the destination is full") || rep.Snapshot != "" {
		t.Fatalf("error %q, snapshot %q", rep.Error, rep.Snapshot)
	}
	if snaps := f.snapshots(); len(snaps) != 1 || snaps[0].ID != first.Snapshot {
		t.Fatalf("snapshots after the failure: %+v", snaps)
	}
	f.assertNoPartial()
	vr, err := good.Verify(context.Background(), f.snapshots()[0], "docs", nil)
	if err != nil || !vr.OK() {
		t.Fatalf("the earlier snapshot no longer verifies: %+v %v", vr, err)
	}
}

func TestAMissingDestinationFailsTheRun(t *testing.T) {
	f := newFixture(t)
	f.write("a", "a", 0o644)
	f.task.Destination = filepath.Join(f.dest, "not-mounted")
	var updates []backup.Status
	rep, err := backup.New(backup.Options{}).Run(context.Background(), f.task, backup.StartOptions{
		Progress: backup.ProgressFunc(func(s backup.Status) { updates = append(updates, s) })})
	if err != nil || rep.Result != backup.ResultFailed || !strings.Contains(rep.Error, "does not exist: create it, or mount the share") {
		t.Fatalf("%s: error %q (%v)", rep.Result, rep.Error, err)
	}
	if len(updates) != 0 {
		t.Errorf("a run that never began sent progress: %+v", updates)
	}
	if _, err := os.Stat(f.task.Destination); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("the run created the missing destination")
	}
}

func TestAMissingSourceFailsTheRunAndKeepsEarlierSnapshots(t *testing.T) {
	f := newFixture(t)
	f.write("a", "a", 0o644)
	f.task.Retention = backup.Retention{KeepLast: 1}
	e := backup.New(backup.Options{})
	first := f.mustRun(e, backup.ResultCompleted)
	// The source share is unmounted: its folder is gone.
	if err := os.RemoveAll(f.src); err != nil {
		t.Fatal(err)
	}
	rep := f.mustRun(e, backup.ResultFailed)
	if !strings.Contains(rep.Error, "does not exist (is it mounted?)") {
		t.Fatalf("error %q", rep.Error)
	}
	if snaps := f.snapshots(); len(snaps) != 1 || snaps[0].ID != first.Snapshot {
		t.Fatalf("snapshots %+v", snaps)
	}
	f.assertNoPartial()
}

func TestADestinationInsideASourceIsRefused(t *testing.T) {
	f := newFixture(t)
	f.write("a", "a", 0o644)
	f.task.Destination = filepath.Join(f.src, "backups")
	_ = os.Mkdir(f.task.Destination, 0o755)
	if _, err := f.task.Validate(); !errors.Is(err, backup.ErrInvalid) || !strings.Contains(err.Error(), "is inside the source") {
		t.Fatalf("Validate: %v", err)
	}
	rep := f.mustRun(backup.New(backup.Options{}), backup.ResultFailed)
	if !strings.Contains(rep.Error, "is inside the source") {
		t.Fatalf("error %q", rep.Error)
	}
	if ents, _ := os.ReadDir(f.task.Destination); len(ents) != 0 {
		t.Fatalf("the run wrote into the destination: %v", ents)
	}
}

func TestOneRunPerTask(t *testing.T) {
	f := newFixture(t)
	f.write("a", "a", 0o644)
	release := make(chan struct{})
	entered := make(chan struct{})
	var once sync.Once
	e := backup.New(backup.WithBeforeFile(backup.Options{}, func(string) {
		first := false
		once.Do(func() { first = true; close(entered) })
		if first {
			<-release
		}
	}))
	h, err := e.Start(context.Background(), f.task, backup.StartOptions{})
	if err != nil {
		t.Fatal(err)
	}
	waitClosed(t, entered, 10*time.Second, "the first run reaching its first file")
	_, err = e.Start(context.Background(), f.task, backup.StartOptions{})
	var busy *backup.BusyError
	if !errors.As(err, &busy) || !strings.Contains(err.Error(), "task docs is already running since ") {
		t.Fatalf("second start: %v", err)
	}
	other := f.task
	other.Name = "other"
	if _, err := e.Run(context.Background(), other, backup.StartOptions{}); err != nil {
		t.Fatalf("another task could not run beside it: %v", err)
	}
	close(release)
	if rep := h.Report(); rep.Result != backup.ResultCompleted {
		t.Fatalf("first run: %+v", rep)
	}
}

func TestStopCancelsWithinASecondAndKeepsEarlierSnapshots(t *testing.T) {
	f := newFixture(t)
	f.random("small.txt", 10)
	e := backup.New(backup.Options{})
	first := f.mustRun(e, backup.ResultCompleted)
	f.random("huge.bin", 64<<20)

	started := make(chan struct{})
	release := make(chan struct{})
	var once sync.Once
	slow := backup.New(backup.WithWriterWrap(backup.Options{}, func(w io.Writer) io.Writer {
		return writerFunc(func(b []byte) (int, error) {
			once.Do(func() { close(started); <-release })
			return w.Write(b)
		})
	}))
	h, err := slow.Start(context.Background(), f.task, backup.StartOptions{})
	if err != nil {
		t.Fatal(err)
	}
	waitClosed(t, started, 10*time.Second, "the copy starting")
	// Stop with an ended context cancels and returns without waiting, so
	// the blocked writer can be let go after the cancel.
	noWait, cancel := context.WithCancel(context.Background())
	cancel()
	begin := time.Now()
	if !slow.Stop(noWait, "DOCS") {
		t.Fatal("Stop found no run")
	}
	close(release)
	waitClosed(t, h.Done(), time.Second, "the run ending after Stop")
	t.Logf("stopped in %s", time.Since(begin))
	rep := h.Report()
	if rep.Result != backup.ResultStopped || rep.Snapshot != "" {
		t.Fatalf("report %+v", rep)
	}
	f.assertNoPartial()
	snaps := f.snapshots()
	if len(snaps) != 1 || snaps[0].ID != first.Snapshot {
		t.Fatalf("snapshots %+v", snaps)
	}
	if vr, err := e.Verify(context.Background(), snaps[0], "docs", nil); err != nil || !vr.OK() {
		t.Fatalf("verify after stop: %+v %v", vr, err)
	}
}

func TestAShutdownLeavesThePartialSnapshotToTheNextRun(t *testing.T) {
	f := newFixture(t)
	f.random("big.bin", 8<<20)
	started := make(chan struct{})
	release := make(chan struct{})
	var once sync.Once
	e := backup.New(backup.WithWriterWrap(backup.Options{}, func(w io.Writer) io.Writer {
		return writerFunc(func(b []byte) (int, error) {
			once.Do(func() { close(started); <-release })
			return w.Write(b)
		})
	}))
	ctx, shutdown := context.WithCancel(context.Background())
	h, err := e.Start(ctx, f.task, backup.StartOptions{})
	if err != nil {
		t.Fatal(err)
	}
	waitClosed(t, started, 10*time.Second, "the copy starting")
	shutdown()
	close(release)
	waitClosed(t, h.Done(), time.Second, "the run ending at shutdown")
	if rep := h.Report(); rep.Result != backup.ResultStopped {
		t.Fatalf("report %+v", rep)
	}
	names := f.taskDirNames()
	if len(names) != 1 || !strings.HasSuffix(names[0], ".partial") {
		t.Fatalf("task folder after a shutdown: %v", names)
	}
	f.mustRun(backup.New(backup.Options{}), backup.ResultCompleted)
	f.assertNoPartial()
}

type writerFunc func([]byte) (int, error)

func (w writerFunc) Write(b []byte) (int, error) { return w(b) }

// What an interrupted run (a .partial snapshot) or an interrupted
// deletion (a .removing one: the agent killed while deleting a snapshot
// by hand or by retention) left is removed by the next run, with a log
// line each.
func TestAStalePartialIsRemovedWithALogLine(t *testing.T) {
	f := newFixture(t)
	f.write("a", "a", 0o644)
	stale := map[string]string{
		"2020-01-01T000000Z.partial":  "removed the unfinished snapshot",
		"2020-01-02T000000Z.removing": "removed the half-deleted snapshot",
	}
	for name := range stale {
		if err := os.MkdirAll(filepath.Join(backup.TaskDir(f.dest, "docs"), name, "home"), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	log, hook := logtest.NewNullLogger()
	log.SetLevel(logrus.DebugLevel)
	f.mustRun(backup.New(backup.Options{Logger: log}), backup.ResultCompleted)
	for name, words := range stale {
		if _, err := os.Stat(filepath.Join(backup.TaskDir(f.dest, "docs"), name)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s is still there", name)
		}
		if !slices.ContainsFunc(hook.AllEntries(), func(e *logrus.Entry) bool {
			return strings.Contains(e.Message, words) && strings.Contains(e.Message, name)
		}) {
			t.Errorf("no log line says %q of %s", words, name)
		}
	}
}

func TestTheDebugLogSaysWhereARunSpentItsTime(t *testing.T) {
	f := newFixture(t)
	f.write("a", "a", 0o644)
	log, hook := logtest.NewNullLogger()
	log.SetLevel(logrus.DebugLevel)
	rep := f.mustRun(backup.New(backup.Options{Logger: log}), backup.ResultCompleted)
	for _, e := range hook.AllEntries() {
		if e.Message != "snapshot written" {
			continue
		}
		took, _ := e.Data["took"].(string)
		for _, phase := range []string{"prepare ", "scan ", "copy ", "manifest ", "folders ", "sync ", "commit "} {
			if !strings.Contains(took, phase) {
				t.Fatalf("the phases %q lack %q", took, phase)
			}
		}
		if e.Data["snapshot"] != rep.Snapshot {
			t.Fatalf("logged for snapshot %v, want %s", e.Data["snapshot"], rep.Snapshot)
		}
		return
	}
	t.Fatal("no debug line with the run's phases")
}

func TestRetentionRunsAfterASuccessfulRun(t *testing.T) {
	f := newFixture(t)
	f.write("a", "a", 0o644)
	c := &clock{now: time.Date(2025, 5, 1, 2, 0, 0, 0, time.UTC), step: 6 * time.Hour}
	e := backup.New(backup.Options{Now: c.Now, Location: time.UTC})
	f.task.Retention = backup.Retention{KeepLast: 2, KeepDaily: 3}
	var last backup.Report
	for range 8 {
		last = f.mustRun(e, backup.ResultCompleted)
	}
	var ids []string
	for _, s := range f.snapshots() {
		ids = append(ids, s.ID)
	}
	// Each run reads the clock twice (start, end) and the snapshot summary
	// once: runs start 18 h apart.
	if len(ids) < 3 || ids[len(ids)-1] != last.Snapshot {
		t.Fatalf("kept %v", ids)
	}
	days := map[string]bool{}
	for _, id := range ids {
		days[id[:10]] = true
	}
	if len(days) > 3+1 {
		t.Fatalf("kept snapshots on %d days: %v", len(days), ids)
	}
	f.assertNoPartial()
}

// Retention leaves a snapshot that a verify (or a restore) is reading:
// the next run after it ends removes it.
func TestRetentionLeavesASnapshotBeingRead(t *testing.T) {
	f := newFixture(t)
	f.write("a", "a", 0o644)
	c := &clock{now: time.Date(2025, 5, 1, 2, 0, 0, 0, time.UTC), step: 6 * time.Hour}
	logger, hook := logtest.NewNullLogger()
	e := backup.New(backup.Options{Now: c.Now, Location: time.UTC, Logger: logger})
	f.task.Retention = backup.Retention{KeepLast: 1}
	first := f.mustRun(e, backup.ResultCompleted)
	snap := f.snapshots()[0]

	reading, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	verified := make(chan error, 1)
	go func() {
		_, err := e.Verify(context.Background(), snap, f.task.Name, backup.ProgressFunc(func(backup.Status) {
			once.Do(func() { close(reading); <-release })
		}))
		verified <- err
	}()
	select {
	case <-reading:
	case <-time.After(10 * time.Second):
		t.Fatal("the verify never reported progress")
	}
	second := f.mustRun(e, backup.ResultCompleted)
	if len(second.Removed) != 0 {
		t.Fatalf("retention removed %v while %s was being verified", second.Removed, first.Snapshot)
	}
	if !slices.ContainsFunc(hook.AllEntries(), func(e *logrus.Entry) bool {
		return strings.HasPrefix(e.Message, "retention kept snapshot "+first.Snapshot+" for now: a restore or verify reads it")
	}) {
		t.Error("the log does not say why retention kept the snapshot")
	}
	close(release)
	if err := <-verified; err != nil {
		t.Fatal(err)
	}
	third := f.mustRun(e, backup.ResultCompleted)
	if !slices.Contains(third.Removed, first.Snapshot) {
		t.Fatalf("once the verify ended the next run removed %v, not %s", third.Removed, first.Snapshot)
	}
}

func TestProgressIsThrottledAndStartsWithAnETA(t *testing.T) {
	f := newFixture(t)
	for i := range 50 {
		f.random("f/"+string(rune('a'+i%26))+string(rune('a'+i/26)), 100<<10)
	}
	var mu sync.Mutex
	var updates []backup.Status
	p := backup.ProgressFunc(func(s backup.Status) {
		mu.Lock()
		updates = append(updates, s)
		mu.Unlock()
	})
	slow := backup.New(backup.WithWriterWrap(backup.Options{Workers: 1}, func(w io.Writer) io.Writer {
		return writerFunc(func(b []byte) (int, error) {
			time.Sleep(10 * time.Millisecond) // a slow disk, so the run lasts about half a second
			return w.Write(b)
		})
	}))
	begin := time.Now()
	rep, err := slow.Run(context.Background(), f.task, backup.StartOptions{Progress: p})
	if err != nil || rep.Result != backup.ResultCompleted {
		t.Fatalf("%+v %v", rep, err)
	}
	elapsed := time.Since(begin)
	mu.Lock()
	defer mu.Unlock()
	if len(updates) < 2 {
		t.Fatalf("only %d updates", len(updates))
	}
	if max := int(elapsed.Seconds()*backup.MaxUpdates) + 2; len(updates) > max {
		t.Fatalf("%d updates in %s, at most %d allowed", len(updates), elapsed, max)
	}
	u := updates[0]
	if u.FilesTotal != 50 || u.BytesTotal != 50*100<<10 || u.ETA <= 0 || u.Phase != backup.PhaseCopying || u.Rate != 0 {
		t.Fatalf("first update %+v", u)
	}
	if last := updates[len(updates)-1]; last.FilesDone != 50 || last.BytesDone != last.BytesTotal {
		t.Fatalf("last update %+v", last)
	}
}

// A task's speed limit paces its runs, all workers together: 6 MiB at
// 4 MiB/s take at least the 1.25 s the limit allows (the first MiB goes
// at once). A run waiting for its pace still stops at once.
func TestASpeedLimitPacesTheRunAndStillStopsAtOnce(t *testing.T) {
	f := newFixture(t)
	f.random("a.bin", 3<<20)
	f.random("b.bin", 3<<20)
	f.task.Speed = 4 << 20
	e := backup.New(backup.Options{Workers: 4})
	begin := time.Now()
	f.mustRun(e, backup.ResultCompleted)
	if took := time.Since(begin); took < 1200*time.Millisecond {
		t.Errorf("6 MiB at a limit of 4 MiB/s were copied in %s", took)
	}

	f.random("c.bin", 8<<20)
	f.task.Speed = backup.MinSpeed // two minutes for 8 MiB
	copying := make(chan struct{})
	var once sync.Once
	h, err := e.Start(context.Background(), f.task, backup.StartOptions{Progress: backup.ProgressFunc(func(s backup.Status) {
		if s.BytesDone > 0 {
			once.Do(func() { close(copying) })
		}
	})})
	if err != nil {
		t.Fatal(err)
	}
	waitClosed(t, copying, 10*time.Second, "the paced copy starting")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if !e.Stop(ctx, "docs") {
		t.Fatal("Stop found no run")
	}
	waitClosed(t, h.Done(), time.Second, "the paced run ending after Stop")
	if rep := h.Report(); rep.Result != backup.ResultStopped {
		t.Fatalf("report %+v", rep)
	}
	f.assertNoPartial()
}

func TestASourceThatChangesWhileCopiedIsAWarning(t *testing.T) {
	f := newFixture(t)
	p := f.random("growing.log", 3<<20)
	var once sync.Once
	e := backup.New(backup.WithWriterWrap(backup.Options{}, func(w io.Writer) io.Writer {
		return writerFunc(func(b []byte) (int, error) {
			once.Do(func() {
				fh, _ := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
				_, _ = fh.Write(bytes.Repeat([]byte("x"), 10))
				_ = fh.Close()
			})
			return w.Write(b)
		})
	}))
	rep := f.mustRun(e, backup.ResultWarnings)
	if !strings.Contains(strings.Join(rep.Warnings, "\n"), "changed while it was being copied") {
		t.Fatalf("warnings %q", rep.Warnings)
	}
	// The next run copies it again rather than linking a torn copy.
	next := f.mustRun(backup.New(backup.Options{}), backup.ResultCompleted)
	if next.FilesCopied != 1 {
		t.Fatalf("the changed file was linked, not copied again: %+v", next)
	}
}

// A run takes a file whose size and modification time are those of the
// previous snapshot's copy for unchanged, as rsync's quick check does,
// and links that copy without reading the file. A program that rewrites
// a file and puts its time back, or a disk that changes what it holds,
// goes unseen. A run told to reread reads every file, links the copy
// only when the content is the same, and copies and names a file whose
// content is not.
func TestARunThatRereadsFindsWhatTheQuickCheckMisses(t *testing.T) {
	f := newFixture(t)
	doc := f.write("doc.txt", "version 1", 0o644)
	same := f.random("same.bin", 64<<10)
	e := backup.New(backup.Options{})
	f.mustRun(e, backup.ResultCompleted)

	fi, err := os.Lstat(doc)
	if err != nil {
		t.Fatal(err)
	}
	f.write("doc.txt", "version 2", 0o644) // the same size
	if err := os.Chtimes(doc, fi.ModTime(), fi.ModTime()); err != nil {
		t.Fatal(err)
	}
	quick := f.mustRun(e, backup.ResultCompleted)
	if quick.FilesLinked != 2 || quick.Reread {
		t.Fatalf("a run without reread: linked %d (reread %v), want both files linked", quick.FilesLinked, quick.Reread)
	}
	if b, _ := os.ReadFile(f.snapPath(quick.Snapshot, doc)); string(b) != "version 1" {
		t.Fatalf("without reread the snapshot holds %q; this test assumes the quick check", b)
	}

	reread := func(want backup.Result) backup.Report {
		t.Helper()
		rep, err := e.Run(context.Background(), f.task, backup.StartOptions{Reread: true})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Result != want || !rep.Reread {
			t.Fatalf("result %q (reread %v, error %q, warnings %q), want %q", rep.Result, rep.Reread, rep.Error, rep.Warnings, want)
		}
		return rep
	}
	found := reread(backup.ResultWarnings)
	if found.FilesCopied != 1 || found.FilesLinked != 1 || found.BytesCopied != 9 || found.BytesLinked != 64<<10 {
		t.Errorf("reread: copied %d (%d bytes), linked %d (%d bytes); want doc.txt copied and same.bin linked",
			found.FilesCopied, found.BytesCopied, found.FilesLinked, found.BytesLinked)
	}
	if b, _ := os.ReadFile(f.snapPath(found.Snapshot, doc)); string(b) != "version 2" {
		t.Errorf("after a reread the snapshot holds %q", b)
	}
	if inode(t, f.snapPath(quick.Snapshot, same)) != inode(t, f.snapPath(found.Snapshot, same)) {
		t.Error("a file of the same content was copied, not linked")
	}
	if len(found.Warnings) != 1 || !strings.Contains(found.Warnings[0], doc) || !strings.Contains(found.Warnings[0], "other content") {
		t.Errorf("warnings %q; want one naming %s and its other content", found.Warnings, doc)
	}

	// Read again, nothing differs: every file linked, nothing to say.
	again := reread(backup.ResultCompleted)
	if again.FilesLinked != 2 || again.FilesCopied != 0 {
		t.Errorf("a second reread: linked %d, copied %d; want both linked", again.FilesLinked, again.FilesCopied)
	}
}

// The task's folder on the destination is Lanyard's own: a link put in
// its place fails the run in words, and nothing is written where the link
// points.
func TestARunWritesNothingThroughALinkInPlaceOfTheTasksFolder(t *testing.T) {
	f := newFixture(t)
	f.write("docs/a.txt", "a", 0o644)
	e := backup.New(backup.Options{})
	elsewhere := t.TempDir()
	if err := os.Symlink(elsewhere, filepath.Join(f.dest, f.task.Name)); err != nil {
		t.Fatal(err)
	}
	rep := f.mustRun(e, backup.ResultFailed)
	if !strings.Contains(rep.Error, "is a link (to "+elsewhere+"), not a folder") || !strings.Contains(rep.Error, "make that folder's parent the task's destination") {
		t.Errorf("the run's error: %q", rep.Error)
	}
	if names, _ := os.ReadDir(elsewhere); len(names) != 0 {
		t.Errorf("the run wrote %v where the link points", names)
	}
}
