package backup_test

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

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
