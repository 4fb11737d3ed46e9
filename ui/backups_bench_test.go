package ui

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/lanyard/lanyard/core/backup"
	"github.com/lanyard/lanyard/core/health"
	"github.com/lanyard/lanyard/core/master"
	"github.com/lanyard/lanyard/core/store"
	"github.com/lanyard/lanyard/internal/benchtable"
	"github.com/lanyard/lanyard/internal/testkit"
)

// Benchmarks of the Backups window (issue: the fleet's backup health), run
// by `make bench`: 10,000 slaves × 3 tasks (2,000 × 3 with BENCH_QUICK=1)
// kept in a real console.db. Each figure stands beside one Refresh of a
// plain widget.Tree with as many rows, measured in the same run; a frame
// is 16 ms. Each is the median of a few rounds, whatever b.N is.
//
//   - backups-view-open-30k: the window opens: built, and its first
//     snapshot shown, on the Fyne thread (one frame).
//     backups-view-rows-shown-30k: from there to every row read, sorted
//     worst first (off the Fyne thread) and on screen.
//     backups-record-load-30k: the console reads its record of the
//     fleet's health from console.db at start (health.Open), beside the
//     raw read of the same records from bbolt.
//   - backups-view-10k-changes: 10,000 tasks change state (one per slave)
//     and the open window shows them: the snapshot shown and the cells on
//     screen filled again, on the Fyne thread (one frame).
//     backups-view-10k-changes-sorted: the rows of the slaves named read,
//     put in their places and the snapshot made, off the Fyne thread.

const benchBackupTasks = 3

func benchBackupSlaves() int { return benchtable.Pick(2_000, 10_000) }

// trackerSource is the Backups window's source over a health.Tracker, as
// *master.Master is.
type trackerSource struct {
	*fakeConsole
	tr *health.Tracker
}

func (s *trackerSource) BackupRows(ids ...string) []master.BackupRow { return s.tr.Rows(ids...) }

func benchSlaveID(i int) string { return fmt.Sprintf("%032x", i) }

// fleetHealthStore is a console.db holding the health of every task of
// the bench fleet: a third of them failed, the rest ok.
func fleetHealthStore(b *testing.B) *store.DB {
	db := testkit.Store(b, "console", store.Options{})
	tr, err := health.Open(db, health.Options{})
	if err != nil {
		b.Fatal(err)
	}
	day := time.Now().Add(-24 * time.Hour)
	for i := range benchBackupSlaves() {
		tasks := make([]health.Task, benchBackupTasks)
		for j := range tasks {
			tasks[j] = health.Task{Name: fmt.Sprintf("task-%d", j), Cursor: health.Cursor{Created: day, Version: 1},
				Schedule: "daily@02:00", LastResult: backup.ResultCompleted, LastStarted: day, LastFinished: day.Add(time.Minute),
				LastSuccess: day.Add(time.Minute), NextRun: day.Add(48 * time.Hour)}
			if (i+j)%3 == 0 {
				tasks[j].LastResult, tasks[j].LastError, tasks[j].FailuresSinceSuccess = backup.ResultFailed, "destination is read-only", 1
				tasks[j].LastSuccess = time.Time{}
			}
		}
		tr.Sync(benchSlaveID(i), fmt.Sprintf("srv-%05d", i), tasks, nil, true, 0)
	}
	if err := tr.Close(); err != nil {
		b.Fatal(err)
	}
	return db
}

func openBenchBackups(b *testing.B, src BackupSource) *backupsView {
	q := newUIQueue()
	v := showBackupsWindow(fyne.CurrentApp(), src, nil, backupsOptions{do: q.do, now: time.Now, every: refreshInterval, loc: time.UTC})
	v.win.Resize(fyne.NewSize(benchWidth, benchHeight))
	q.runUntil(b, "the rows", func() bool { return v.snap.total > 0 })
	return v
}

// benchBackupRows is how many rows the benchmarks show: 30,000, or 6,000
// in the quick form.
func benchBackupRows() int { return benchBackupSlaves() * benchBackupTasks }

func BenchmarkBackupsViewOpen(b *testing.B) {
	test.NewTempApp(b)
	db := fleetHealthStore(b)
	plain := plainTree(b, benchGroups, benchBackupRows()/benchGroups)
	b.ResetTimer()
	var load, raw, open, rows []time.Duration
	for range benchRounds {
		// The console reads its record of the fleet's health at start.
		runtime.GC()
		start := time.Now()
		if _, err := db.HealthRecords(); err != nil {
			b.Fatal(err)
		}
		raw = append(raw, time.Since(start))
		runtime.GC()
		start = time.Now()
		tr, err := health.Open(db, health.Options{})
		if err != nil {
			b.Fatal(err)
		}
		load = append(load, time.Since(start))
		// The window opens (on the Fyne thread), its rows are read and
		// sorted (off it) and shown (on it).
		q := newUIQueue()
		runtime.GC()
		start = time.Now()
		v := showBackupsWindow(fyne.CurrentApp(), &trackerSource{fakeConsole: newFakeConsole(), tr: tr}, nil,
			backupsOptions{do: q.do, now: time.Now, every: refreshInterval, loc: time.UTC})
		v.win.Resize(fyne.NewSize(benchWidth, benchHeight))
		onThread := time.Since(start)
		first := <-q.ch
		start2 := time.Now()
		first()
		onThread += time.Since(start2)
		open = append(open, onThread)
		rows = append(rows, time.Since(start))
		if n := len(v.snap.visible); n != benchBackupRows() {
			b.Fatalf("the window shows %d rows, want %d", n, benchBackupRows())
		}
		if v.snap.visible[0].r.State != health.StateFailed {
			b.Fatalf("the first row is %s, want failed first", v.snap.visible[0].r.State)
		}
		v.win.Close()
		_ = tr.Close()
	}
	base := plainRefresh(plain)
	b.StopTimer()
	benchtable.Report(b,
		benchtable.Figure{Name: "backups-view-open-30k", Value: ms(median(open)), Unit: "ms", Baseline: ms(base),
			Target: benchtable.AtMost(16, "ms")},
		benchtable.Figure{Name: "backups-view-rows-shown-30k", Value: ms(median(rows)), Unit: "ms", Baseline: ms(base),
			Target: benchtable.AtMost(500, "ms")},
		benchtable.Figure{Name: "backups-record-load-30k", Value: ms(median(load)), Unit: "ms", Baseline: ms(median(raw)),
			Target: benchtable.AtMost(1000, "ms")})
}

func BenchmarkBackupsViewChanges(b *testing.B) {
	test.NewTempApp(b)
	db := fleetHealthStore(b)
	tr, err := health.Open(db, health.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = tr.Close() })
	src := &trackerSource{fakeConsole: newFakeConsole(), tr: tr}
	v := openBenchBackups(b, src)
	b.Cleanup(func() { v.win.Close() })
	plain := plainTree(b, benchGroups, benchBackupRows()/benchGroups)
	ids := make([]string, benchBackupSlaves())
	for i := range ids {
		ids[i] = benchSlaveID(i)
	}
	results := []backup.Result{backup.ResultFailed, backup.ResultCompleted}
	b.ResetTimer()
	var on, off []time.Duration
	for round := range benchRounds {
		// task-1 of every slave ends, failed and completed in turn.
		at := time.Now()
		for i, id := range ids {
			tr.Finished(id, fmt.Sprintf("srv-%05d", i), backup.Report{Task: "task-1", Started: at, Finished: at, Result: results[round%2]}, 0)
		}
		runtime.GC()
		start := time.Now()
		snap := v.update(false, ids, nil, nil)
		off = append(off, time.Since(start))
		runtime.GC()
		start = time.Now()
		v.show(snap)
		on = append(on, time.Since(start))
	}
	base := plainRefresh(plain)
	b.StopTimer()
	if got := v.snap.counts.Failed; got < benchBackupSlaves() {
		b.Fatalf("after the last round %d tasks are failed, want at least %d", got, benchBackupSlaves())
	}
	benchtable.Report(b,
		benchtable.Figure{Name: "backups-view-10k-changes", Value: ms(median(on)), Unit: "ms", Baseline: ms(base),
			Target: benchtable.AtMost(16, "ms")},
		benchtable.Figure{Name: "backups-view-10k-changes-sorted", Value: ms(median(off)), Unit: "ms", Baseline: ms(base),
			Target: benchtable.AtMost(500, "ms")})
}

// plainRefresh is the median time of one Refresh of a plain tree.
func plainRefresh(plain interface{ Refresh() }) time.Duration {
	var base []time.Duration
	for range benchRounds {
		runtime.GC()
		start := time.Now()
		plain.Refresh()
		base = append(base, time.Since(start))
	}
	return median(base)
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
