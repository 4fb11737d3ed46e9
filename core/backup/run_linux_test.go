package backup_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lanyard/lanyard/core/backup"
)

func TestAFullTmpfsFailsTheRun(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting a tmpfs needs root; the writer seam above covers a full disk")
	}
	f := newFixture(t)
	mnt := filepath.Join(t.TempDir(), "small")
	_ = os.Mkdir(mnt, 0o755)
	if err := syscall.Mount("tmpfs", mnt, "tmpfs", 0, "size=1m"); err != nil {
		t.Skipf("cannot mount a tmpfs here (%v); the writer seam above covers a full disk", err)
	}
	t.Cleanup(func() { _ = syscall.Unmount(mnt, syscall.MNT_DETACH) })
	f.task.Destination = mnt
	f.random("big.bin", 3<<20)
	rep := f.mustRun(backup.New(backup.Options{}), backup.ResultFailed)
	if !strings.Contains(rep.Error, "the destination is full") {
		t.Fatalf("error %q", rep.Error)
	}
	f.assertNoPartial()
	if len(f.snapshots()) != 0 {
		t.Fatal("a snapshot was made on a full disk")
	}
}

func TestABackupLeavesTheSourcesAccessTimesAlone(t *testing.T) {
	f := newFixture(t)
	p := f.random("old.bin", 4096)
	// Read last three days ago: an ordinary read would set the access
	// time now (relatime updates one older than a day).
	old := time.Now().Add(-72 * time.Hour).Truncate(time.Second)
	if err := os.Chtimes(p, old, old); err != nil {
		t.Fatal(err)
	}
	f.mustRun(backup.New(backup.Options{}), backup.ResultCompleted)
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	if got := time.Unix(st.Atim.Unix()); !got.Equal(old) {
		t.Fatalf("the source's access time moved from %s to %s", old, got)
	}
}

// A restore refused as read-only says so and what to do, whether the
// target itself or a folder in it cannot be made.
func TestARestoreIntoAReadOnlyFolderSaysWhatToDo(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting a read-only tmpfs needs root; the wording is tested apart")
	}
	_, e, snap := backedUpRichTree(t)
	mnt := filepath.Join(t.TempDir(), "ro")
	_ = os.Mkdir(mnt, 0o755)
	if err := syscall.Mount("tmpfs", mnt, "tmpfs", syscall.MS_RDONLY, "size=1m"); err != nil {
		t.Skipf("cannot mount a tmpfs here (%v); the wording is tested apart", err)
	}
	t.Cleanup(func() { _ = syscall.Unmount(mnt, syscall.MNT_DETACH) })
	for _, target := range []string{filepath.Join(mnt, "restored"), mnt} {
		_, err := e.Restore(context.Background(), snap, "docs", backup.RestoreOptions{Target: target}, nil)
		if err == nil || !strings.Contains(err.Error(), "read-only file system: remount it read-write") {
			t.Errorf("a restore into %s: %v", target, err)
		}
	}
}

// A restore that fills the disk it writes to stops, says so and what to
// do, and leaves no file half written.
func TestARestoreIntoAFullDiskSaysWhatToDo(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting a tmpfs needs root; the wording is tested apart")
	}
	f := newFixture(t)
	big := f.random("big.bin", 3<<20)
	e := backup.New(backup.Options{})
	f.mustRun(e, backup.ResultCompleted)
	mnt := filepath.Join(t.TempDir(), "small")
	_ = os.Mkdir(mnt, 0o755)
	if err := syscall.Mount("tmpfs", mnt, "tmpfs", 0, "size=1m"); err != nil {
		t.Skipf("cannot mount a tmpfs here (%v); the wording is tested apart", err)
	}
	t.Cleanup(func() { _ = syscall.Unmount(mnt, syscall.MNT_DETACH) })
	_, err := e.Restore(context.Background(), f.snapshots()[0], f.task.Name, backup.RestoreOptions{Target: mnt}, nil)
	if err == nil || !strings.Contains(err.Error(), "the disk is full: free some room on it, or restore into a folder on another disk; what was restored before it is kept") {
		t.Fatalf("a restore into a full disk: %v", err)
	}
	if _, err := os.Lstat(filepath.Join(mnt, big)); !os.IsNotExist(err) {
		t.Errorf("the file that did not fit was left: %v", err)
	}
}
