//go:build unix

package backup_test

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/lanyard/lanyard/core/backup"

	"github.com/lanyard/lanyard/internal/benchtable"
)

// The benchmarks share one generated tree: 10,000 files of 50–150 KB
// (about 1 GiB of incompressible data) in 100 folders. Each figure is
// measured beside its baseline in the same run, on the same tree, with a
// warm page cache for both. Lanyard makes every snapshot durable (syncfs)
// before it calls it complete, so every baseline is followed by `sync`
// too, and the disk is synced before each measurement starts.
// The quick forms (BENCH_QUICK=1) use a fifth of the tree.
var (
	benchFiles = benchtable.Pick(2_000, 10_000)
	benchDirs  = 100
)

var benchTree struct {
	once sync.Once
	dir  string
	src  string
	err  error
}

func sourceTree(b *testing.B) (root, src string) {
	b.Helper()
	benchTree.once.Do(func() {
		benchTree.dir, benchTree.err = os.MkdirTemp("", "lanyard-bench-")
		if benchTree.err != nil {
			return
		}
		benchTree.src = filepath.Join(benchTree.dir, "src")
		rng := rand.New(rand.NewPCG(1, 2))
		chacha := rand.NewChaCha8([32]byte{1})
		buf := make([]byte, 150<<10)
		for i := range benchFiles {
			d := filepath.Join(benchTree.src, fmt.Sprintf("dir%03d", i%benchDirs))
			if i < benchDirs {
				if benchTree.err = os.MkdirAll(d, 0o755); benchTree.err != nil {
					return
				}
			}
			n := 50<<10 + rng.IntN(100<<10)
			_, _ = chacha.Read(buf[:n])
			if benchTree.err = os.WriteFile(filepath.Join(d, fmt.Sprintf("file%05d.bin", i)), buf[:n], 0o644); benchTree.err != nil {
				return
			}
		}
		syncAll()
	})
	if benchTree.err != nil {
		b.Fatal(benchTree.err)
	}
	return benchTree.dir, benchTree.src
}

func removeBenchTree() {
	if benchTree.dir != "" {
		_ = os.RemoveAll(benchTree.dir)
	}
}

func syncAll() { _ = exec.Command("sync").Run() }

// timed runs fn after a sync and returns its seconds. The tree fn reads
// is read first, so that each figure and its baseline find it in the page
// cache: this machine pages out what nobody touched for a minute.
func timed(b *testing.B, reads string, fn func() error) float64 {
	b.Helper()
	if err := warm(reads); err != nil {
		b.Fatal(err)
	}
	syncAll()
	start := time.Now()
	if err := fn(); err != nil {
		b.Fatal(err)
	}
	return time.Since(start).Seconds()
}

// warm reads every file under dir.
func warm(dir string) error {
	buf := make([]byte, 1<<20)
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = io.CopyBuffer(io.Discard, struct{ io.Reader }{f}, buf)
		return err
	})
}

// shell runs a command followed by sync, as a baseline.
func shell(name string, args ...string) func() error {
	return func() error {
		if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
			return fmt.Errorf("%s: %v\n%s", name, err, out)
		}
		syncAll()
		return nil
	}
}

func need(b *testing.B, tools ...string) {
	b.Helper()
	for _, t := range tools {
		if _, err := exec.LookPath(t); err != nil {
			b.Skipf("%s is not installed (make bench installs it)", t)
		}
	}
}

// outPath is a fresh path below root for a benchmark to write a copy to.
// What the benchmarks write stays until they have all run (TestMain
// removes root): on ext4 without a journal (this machine's disk) the
// inode allocator steps over every inode of the block group freed in the
// last minute (the last six while that part of the inode table is not
// yet written back), one lookup each, so removing 10,000 files between
// two measurements would slow whichever comes next. (About 12 GiB at the
// end of a full run.)
func outPath(b *testing.B, root, name string) string {
	b.Helper()
	dir, err := os.MkdirTemp(root, name+"-")
	if err != nil {
		b.Fatal(err)
	}
	return filepath.Join(dir, name)
}

// benchTask is a task backing up the shared tree into a fresh destination.
func benchTask(b *testing.B, root string) backup.Task {
	b.Helper()
	dest := outPath(b, root, "dest")
	if err := os.Mkdir(dest, 0o755); err != nil {
		b.Fatal(err)
	}
	return backup.Task{Name: "bench", Sources: []string{filepath.Join(root, "src")}, Destination: dest}
}

func runTask(e *backup.Engine, task backup.Task) func() error {
	return func() error {
		rep, err := e.Run(context.Background(), task, backup.StartOptions{})
		if err != nil {
			return err
		}
		if rep.Result != backup.ResultCompleted {
			return fmt.Errorf("run: %s %s", rep.Result, rep.Error)
		}
		return nil
	}
}

func report(b *testing.B, ours, base float64, target float64, name string) {
	b.Helper()
	benchtable.Report(b, benchtable.Figure{Name: name, Value: ours, Unit: "s", Baseline: base, Target: benchtable.RatioAtMost(target)})
}

// BenchmarkFirstBackup: the first run of a task (every file copied and
// hashed) against `cp -a` of the same tree. Target ≤ 1.3×.
func BenchmarkFirstBackup(b *testing.B) {
	root, src := sourceTree(b)
	cpDest := outPath(b, root, "cp")
	base := timed(b, src, shell("cp", "-a", src, cpDest))
	task := benchTask(b, root)
	ours := timed(b, src, runTask(backup.New(backup.Options{}), task))
	report(b, ours, base, 1.3, "first-backup-vs-cp")
}

// BenchmarkUnchangedRerun: a second run over an unchanged tree (every file
// hard-linked) against `rsync -a --link-dest` doing the same. Target ≤ 1.0×.
func BenchmarkUnchangedRerun(b *testing.B) {
	need(b, "rsync")
	root, src := sourceTree(b)
	r1, r2 := outPath(b, root, "rsync1"), outPath(b, root, "rsync2")
	timed(b, src, shell("rsync", "-a", src+"/", r1+"/"))
	base := timed(b, src, shell("rsync", "-a", "--link-dest="+r1, src+"/", r2+"/"))
	task := benchTask(b, root)
	e := backup.New(backup.Options{})
	timed(b, src, runTask(e, task))
	ours := timed(b, src, runTask(e, task))
	report(b, ours, base, 1.0, "unchanged-rerun-vs-rsync-link-dest")
}

// BenchmarkRestore: restoring a whole snapshot against `cp -a` of the
// snapshot's folder. Target ≤ 1.3×.
func BenchmarkRestore(b *testing.B) {
	root, src := sourceTree(b)
	task := benchTask(b, root)
	e := backup.New(backup.Options{})
	timed(b, src, runTask(e, task))
	snap, err := backup.FindSnapshot(task.Destination, task.Name, "latest")
	if err != nil {
		b.Fatal(err)
	}
	cpDest := outPath(b, root, "cp-restore")
	base := timed(b, snap.Path, shell("cp", "-a", snap.Path, cpDest))
	target := outPath(b, root, "restored")
	ours := timed(b, snap.Path, func() error {
		if _, err := e.Restore(context.Background(), snap, task.Name, backup.RestoreOptions{Target: target}, nil); err != nil {
			return err
		}
		syncAll()
		return nil
	})
	report(b, ours, base, 1.3, "restore-vs-cp")
}

// BenchmarkResticFirst and BenchmarkResticUnchanged: the first and the
// unchanged run beside `restic backup` into a local repository, the tool
// many users run today. Target: faster (< 1.0×).
func BenchmarkResticFirst(b *testing.B) { benchRestic(b, false) }

func BenchmarkResticUnchanged(b *testing.B) { benchRestic(b, true) }

func benchRestic(b *testing.B, unchanged bool) {
	need(b, "restic")
	root, src := sourceTree(b)
	repo := outPath(b, root, "restic-repo")
	restic := func(args ...string) func() error {
		return func() error {
			cmd := exec.Command("restic", append([]string{"--repo", repo, "--no-cache", "--quiet"}, args...)...)
			cmd.Env = append(os.Environ(), "RESTIC_PASSWORD=bench")
			if out, err := cmd.CombinedOutput(); err != nil {
				return fmt.Errorf("restic %v: %v\n%s", args, err, out)
			}
			syncAll()
			return nil
		}
	}
	if err := restic("init")(); err != nil {
		b.Fatal(err)
	}
	task := benchTask(b, root)
	e := backup.New(backup.Options{})
	base := timed(b, src, restic("backup", src))
	ours := timed(b, src, runTask(e, task))
	if unchanged {
		base = timed(b, src, restic("backup", src))
		ours = timed(b, src, runTask(e, task))
	}
	name := "first-backup-vs-restic"
	if unchanged {
		name = "unchanged-rerun-vs-restic"
	}
	report(b, ours, base, 1.0, name)
}
