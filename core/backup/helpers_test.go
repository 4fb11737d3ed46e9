//go:build unix

package backup_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/zeebo/blake3"

	"github.com/lanyard/lanyard/core/backup"
)

// fixture is a source tree and a destination in a fresh temp dir.
type fixture struct {
	t    *testing.T
	src  string // the one source folder
	dest string
	task backup.Task
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	root := t.TempDir()
	f := &fixture{t: t, src: filepath.Join(root, "data"), dest: filepath.Join(root, "backups")}
	for _, d := range []string{f.src, f.dest} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	f.task = backup.Task{Name: "docs", Sources: []string{f.src}, Destination: f.dest, Schedule: "manual"}
	return f
}

// write creates a file under the source with content and mode.
func (f *fixture) write(rel string, content string, mode fs.FileMode) string {
	f.t.Helper()
	p := filepath.Join(f.src, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		f.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), mode); err != nil {
		f.t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil {
		f.t.Fatal(err)
	}
	return p
}

// random writes n random bytes to rel.
func (f *fixture) random(rel string, n int) string {
	f.t.Helper()
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return f.write(rel, string(b), 0o644)
}

// snapPath is where a source path lives in a snapshot.
func (f *fixture) snapPath(snap, srcPath string) string {
	return filepath.Join(backup.TaskDir(f.task.Destination, f.task.Name), snap, filepath.FromSlash(backup.RelRoot(srcPath)))
}

func (f *fixture) run(e *backup.Engine) backup.Report {
	f.t.Helper()
	rep, err := e.Run(context.Background(), f.task, backup.StartOptions{})
	if err != nil {
		f.t.Fatal(err)
	}
	return rep
}

func (f *fixture) mustRun(e *backup.Engine, want backup.Result) backup.Report {
	f.t.Helper()
	rep := f.run(e)
	if rep.Result != want {
		f.t.Fatalf("result %q (error %q, warnings %q), want %q", rep.Result, rep.Error, rep.Warnings, want)
	}
	return rep
}

func (f *fixture) snapshots() []backup.SnapshotInfo {
	f.t.Helper()
	s, err := backup.ListSnapshots(f.task.Destination, f.task.Name)
	if err != nil {
		f.t.Fatal(err)
	}
	return s
}

// taskDirNames lists what is in the task's folder.
func (f *fixture) taskDirNames() []string {
	f.t.Helper()
	ents, err := os.ReadDir(backup.TaskDir(f.task.Destination, f.task.Name))
	if err != nil {
		f.t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

func (f *fixture) assertNoPartial() {
	f.t.Helper()
	for _, n := range f.taskDirNames() {
		if strings.Contains(n, ".") {
			f.t.Fatalf("%s left in the task folder", n)
		}
	}
}

// clock is a fixed clock that steps by a given amount at every reading.
type clock struct {
	now  time.Time
	step time.Duration
}

func (c *clock) Now() time.Time {
	t := c.now
	c.now = c.now.Add(c.step)
	return t
}

func inode(t *testing.T, p string) uint64 {
	t.Helper()
	fi, err := os.Lstat(p)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Sys().(*syscall.Stat_t).Ino
}

func hashOf(t *testing.T, p string) string {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := blake3.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// treeHashes maps every file below root to its hash, every link to its
// target and every folder to "dir", with its mode and mtime.
func treeHashes(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if rel == "." {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		desc := fi.Mode().String()
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			desc += " -> " + target
		case d.IsDir():
			desc += " " + fi.ModTime().UTC().Format(time.RFC3339Nano)
		default:
			desc += " " + hashOf(t, p) + " " + fi.ModTime().UTC().Format(time.RFC3339Nano)
		}
		out[filepath.ToSlash(rel)] = desc
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// deadline fails the test if ch does not close within d.
func waitClosed(t *testing.T, ch <-chan struct{}, d time.Duration, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(d):
		t.Fatalf("%s did not happen within %s", what, d)
	}
}
