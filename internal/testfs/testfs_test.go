package testfs_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/lanyard/lanyard/internal/testfs"
)

// A damaged file keeps its size, time and inode; only its content changes.
func TestDamageKeepsWhatARunLooksAt(t *testing.T) {
	p := filepath.Join(t.TempDir(), "a.txt")
	if err := os.WriteFile(p, []byte("alpha"), 0o444); err != nil {
		t.Fatal(err)
	}
	before, _ := os.Stat(p)
	testfs.Damage(t, p)
	after, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(p)
	if string(b) == "alpha" || len(b) != 5 || !after.ModTime().Equal(before.ModTime()) || !os.SameFile(before, after) {
		t.Fatalf("after Damage: %q, time %v (was %v), same file %v", b, after.ModTime(), before.ModTime(), os.SameFile(before, after))
	}
}
