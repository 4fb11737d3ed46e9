//go:build unix

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

// within runs fn and fails the test if it does not return within a
// bound: what a fifo or an endless file would make it do.
func within(t *testing.T, what string, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn()
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatalf("%s did not end", what)
	}
}

// What Lanyard keeps on a destination (a snapshot's manifest and
// summary, a task folder's owner) may be changed by whoever can write
// there. A fifo in a snapshot, a link to an endless device or a file too
// long to be one of Lanyard's is refused in words, without waiting or
// reading without end.
func TestLanyardsOwnFilesOnADestinationAreReadWithinBounds(t *testing.T) {
	f := newFixture(t)
	f.write("docs/a.txt", "a", 0o644)
	e := backup.New(backup.Options{})
	f.mustRun(e, backup.ResultCompleted)
	snap := f.snapshots()[0]
	meta := filepath.Join(snap.Path, ".lanyard")
	manifest := backup.ManifestPath(snap.Path)
	summary := filepath.Join(meta, "snapshot.json")
	owner := filepath.Join(filepath.Dir(snap.Path), ".lanyard-owner")
	replace := func(path string, with func(string) error) {
		t.Helper()
		if err := os.RemoveAll(path); err != nil {
			t.Fatal(err)
		}
		if err := with(path); err != nil {
			t.Fatal(err)
		}
	}
	// What is planted in place of a file, and what the refusal says.
	type planted struct {
		name  string
		plant func(string) error
		words string
	}
	notAFile := []planted{
		{"a fifo", func(p string) error { return syscall.Mkfifo(p, 0o600) }, "is not a regular file"},
		{"a link to /dev/zero", func(p string) error { return os.Symlink("/dev/zero", p) }, "is not a regular file"},
	}

	restore := func() error {
		_, err := e.Restore(context.Background(), snap, "docs", backup.RestoreOptions{Target: t.TempDir()}, nil)
		return err
	}
	original, err := os.ReadFile(manifest)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range append(notAFile, planted{"an endless line", func(p string) error {
		header, _, _ := strings.Cut(string(original), "\n")
		return os.WriteFile(p, []byte(header+"\n"+strings.Repeat("x", 3<<20)), 0o600)
	}, "a line longer than"}) {
		replace(manifest, c.plant)
		var err error
		within(t, "a restore of a manifest made "+c.name, func() { err = restore() })
		if err == nil || !strings.Contains(err.Error(), c.words) {
			t.Errorf("a restore of a manifest made %s: %v, want %q", c.name, err, c.words)
		}
	}

	for _, c := range append(notAFile, planted{"too long", func(p string) error {
		return os.WriteFile(p, []byte(`{"files": 1, "sources": ["`+strings.Repeat("x", 5<<20)+`"]}`), 0o600)
	}, ""}) {
		replace(summary, c.plant)
		var snaps []backup.SnapshotInfo
		within(t, "a list of snapshots with a summary made "+c.name, func() { snaps, err = backup.ListSnapshots(f.dest, "docs") })
		if err != nil || len(snaps) != 1 || !strings.HasPrefix(string(snaps[0].Result), "unreadable: ") {
			t.Errorf("snapshots with a summary made %s: %+v, %v", c.name, snaps, err)
		}
	}

	// The owner file: a run, a deletion and a save of the task each read it.
	fs01 := backup.Owner{Agent: "FS01", Host: "fs01"}
	for _, c := range append(notAFile, planted{"too long", func(p string) error {
		return os.WriteFile(p, []byte(`{"agent": "`+strings.Repeat("x", 100<<10)+`"}`), 0o600)
	}, "is longer than"}) {
		replace(owner, c.plant)
		var rep backup.Report
		within(t, "a run with the folder's owner made "+c.name, func() {
			rep, err = e.Run(context.Background(), f.task, backup.StartOptions{Owner: fs01})
		})
		if err != nil || rep.Result != backup.ResultFailed || !strings.Contains(rep.Error, c.words) {
			t.Errorf("a run with the folder's owner made %s: %s, %q, %v; want %q", c.name, rep.Result, rep.Error, err, c.words)
		}
		within(t, "a deletion with the folder's owner made "+c.name, func() {
			_, err = e.DeleteSnapshot(context.Background(), f.task, snap.ID, fs01)
		})
		if err == nil || !strings.Contains(err.Error(), c.words) {
			t.Errorf("a deletion with the folder's owner made %s: %v; want %q", c.name, err, c.words)
		}
		within(t, "a check of the folder's owner made "+c.name, func() { err = backup.CheckOwner(f.dest, "docs", fs01) })
		if err != nil {
			t.Errorf("a save of the task with the folder's owner made %s is refused (the run says why): %v", c.name, err)
		}
	}
}
