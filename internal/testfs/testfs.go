package testfs

import (
	"os"
	"testing"
)

// Damage rewrites the file at path in place, its first byte changed and
// its size, time and inode kept, as a failing disk does: a backup run,
// which links a file whose size and time the manifest records, cannot
// tell, and every snapshot that links the copy holds the damage. The
// file is made writable first (snapshots' copies may be read-only).
func Damage(t testing.TB, path string) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) == 0 {
		t.Fatalf("cannot damage %s: it is empty", path)
	}
	b[0] ^= 0xff
	_ = os.Chmod(path, 0o644)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(path, fi.ModTime(), fi.ModTime()); err != nil {
		t.Fatal(err)
	}
}
