//go:build unix

package backup_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lanyard/lanyard/core/backup"
)

// A snapshot deleted by hand is gone from the list, the others keep
// every file (they shared some by hard links) and verify clean, and the
// report says how much room it made.
func TestDeletingASnapshotLeavesTheOthersWhole(t *testing.T) {
	f := newFixture(t)
	f.random("big", 64<<10)
	f.write("keep", "kept", 0o644)
	var free atomic.Uint64
	free.Store(100 << 20)
	space := func(context.Context, string) (uint64, uint64) { return free.Add(1 << 20), 1 << 30 } // each reading finds 1 MiB more
	c := &clock{now: time.Date(2025, 5, 1, 2, 0, 0, 0, time.UTC), step: 6 * time.Hour}
	e := backup.New(backup.WithSpace(backup.Options{Now: c.Now, Location: time.UTC}, space))
	f.mustRun(e, backup.ResultCompleted)
	f.random("big", 64<<10) // changed: the second snapshot has its own copy
	mid := f.mustRun(e, backup.ResultCompleted)
	f.mustRun(e, backup.ResultCompleted)

	// What an earlier deletion, killed midway, left goes too.
	halfDeleted := filepath.Join(backup.TaskDir(f.dest, f.task.Name), "2020-01-01T000000Z.removing", "home")
	if err := os.MkdirAll(halfDeleted, 0o700); err != nil {
		t.Fatal(err)
	}
	rep, err := e.DeleteSnapshot(context.Background(), f.task, strings.TrimSuffix(mid.Snapshot, "Z"), backup.Owner{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Snapshot != mid.Snapshot || rep.Freed != 1<<20 || rep.DestTotal != 1<<30 || rep.Warning != "" {
		t.Fatalf("report %+v", rep)
	}
	left := f.snapshots()
	if len(left) != 2 || slices.ContainsFunc(left, func(s backup.SnapshotInfo) bool { return s.ID == mid.Snapshot }) {
		t.Fatalf("left %v", left)
	}
	f.assertNoPartial()
	for _, s := range left {
		if vr, err := e.Verify(context.Background(), s, f.task.Name, nil); err != nil || !vr.OK() {
			t.Fatalf("snapshot %s after the deletion: %+v %v", s.ID, vr, err)
		}
	}
	if _, err := e.DeleteSnapshot(context.Background(), f.task, mid.Snapshot, backup.Owner{}); !errors.Is(err, backup.ErrInvalid) ||
		!strings.Contains(err.Error(), "has no snapshot") {
		t.Fatalf("deleting it again: %v", err)
	}
	if _, err := e.DeleteSnapshot(context.Background(), f.task, "latest", backup.Owner{}); !errors.Is(err, backup.ErrInvalid) ||
		!strings.Contains(err.Error(), "by its ID") {
		t.Fatalf("deleting the latest: %v", err)
	}
}

// A deletion waits for no one: it is refused while the task runs, while
// the snapshot is being read, in another server's folder; and a run is
// refused while a deletion is on its way.
func TestADeletionIsRefusedWhileTheSnapshotOrTheTaskIsBusy(t *testing.T) {
	f := newFixture(t)
	f.write("a", "a", 0o644)
	c := &clock{now: time.Date(2025, 5, 1, 2, 0, 0, 0, time.UTC), step: 6 * time.Hour}
	var hold atomic.Pointer[chan struct{}]
	wait := func() {
		if ch := hold.Load(); ch != nil {
			<-*ch
		}
	}
	inside := make(chan struct{}, 1)
	space := func(context.Context, string) (uint64, uint64) {
		select {
		case inside <- struct{}{}:
		default:
		}
		wait()
		return 1 << 30, 2 << 30
	}
	e := backup.New(backup.WithSpace(backup.WithBeforeFile(backup.Options{Now: c.Now, Location: time.UTC}, func(string) { wait() }), space))
	first := f.mustRun(e, backup.ResultCompleted)
	<-inside // the run's own reading
	second := f.mustRun(e, backup.ResultCompleted)
	<-inside

	// A run on its way: refused.
	gate := make(chan struct{})
	hold.Store(&gate)
	h, err := e.Start(context.Background(), f.task, backup.StartOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.DeleteSnapshot(context.Background(), f.task, first.Snapshot, backup.Owner{}); !errors.Is(err, backup.ErrBusy) ||
		!strings.Contains(err.Error(), "is already running") {
		t.Fatalf("while it runs: %v", err)
	}
	hold.Store(nil)
	close(gate)
	<-h.Done()
	<-inside

	// A deletion on its way: a run, and a second deletion, are refused.
	gate = make(chan struct{})
	hold.Store(&gate)
	var wg sync.WaitGroup
	wg.Add(1)
	var delErr error
	go func() {
		defer wg.Done()
		_, delErr = e.DeleteSnapshot(context.Background(), f.task, first.Snapshot, backup.Owner{})
	}()
	<-inside
	if busy := (*backup.BusyError)(nil); !errors.As(e.Busy("DOCS"), &busy) || busy.Doing != "deleting a snapshot" {
		t.Fatal("the deletion on its way does not hold the task")
	}
	if _, err := e.Start(context.Background(), f.task, backup.StartOptions{}); !errors.Is(err, backup.ErrBusy) ||
		!strings.Contains(err.Error(), "busy deleting a snapshot") {
		t.Fatalf("a run during the deletion: %v", err)
	}
	if _, err := e.DeleteSnapshot(context.Background(), f.task, second.Snapshot, backup.Owner{}); !errors.Is(err, backup.ErrBusy) {
		t.Fatalf("a second deletion during the first: %v", err)
	}
	hold.Store(nil)
	close(gate)
	wg.Wait()
	if delErr != nil {
		t.Fatal(delErr)
	}
	if e.Busy(f.task.Name) != nil {
		t.Fatal("the task is still held after the deletion")
	}

	// A snapshot a verify reads: refused, with when to try again.
	reading, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	verified := make(chan error, 1)
	snap := f.snapshots()[0]
	go func() {
		_, err := e.Verify(context.Background(), snap, f.task.Name, backup.ProgressFunc(func(backup.Status) {
			once.Do(func() { close(reading); <-release })
		}))
		verified <- err
	}()
	<-reading
	if _, err := e.DeleteSnapshot(context.Background(), f.task, snap.ID, backup.Owner{}); !errors.Is(err, backup.ErrBusy) ||
		errors.Is(err, backup.ErrInvalid) || !strings.Contains(err.Error(), "delete it once that has finished") {
		t.Fatalf("while it is verified: %v", err)
	}
	close(release)
	if err := <-verified; err != nil {
		t.Fatal(err)
	}

	// Another server's folder (FS01's first run claims it): refused.
	fs01 := backup.Owner{Agent: "FS01", Host: "fs01"}
	if _, err := backup.New(backup.Options{Now: c.Now}).Run(context.Background(), f.task, backup.StartOptions{Owner: fs01}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.DeleteSnapshot(context.Background(), f.task, snap.ID, backup.Owner{Agent: "FS02", Host: "fs02"}); !errors.Is(err, backup.ErrOtherOwner) {
		t.Fatalf("in FS01's folder, as FS02: %v", err)
	}
}

// What a caller records in OnStart cannot race a deletion: the run slot
// is the task's from the moment OnStart is called, and an error from it
// gives the slot back and starts no run.
func TestOnStartHoldsTheTaskAgainstADeletion(t *testing.T) {
	f := newFixture(t)
	f.write("a", "a", 0o644)
	c := &clock{now: time.Date(2025, 5, 1, 2, 0, 0, 0, time.UTC), step: 6 * time.Hour}
	e := backup.New(backup.Options{Now: c.Now, Location: time.UTC})
	first := f.mustRun(e, backup.ResultCompleted)

	var during error
	h, err := e.Start(context.Background(), f.task, backup.StartOptions{OnStart: func() error {
		_, during = e.DeleteSnapshot(context.Background(), f.task, first.Snapshot, backup.Owner{})
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	<-h.Done()
	if !errors.Is(during, backup.ErrBusy) || !strings.Contains(during.Error(), "is already running") {
		t.Fatalf("a deletion while the run is recorded: %v", during)
	}

	refused := errors.New("the run record cannot be written")
	if _, err := e.Start(context.Background(), f.task, backup.StartOptions{OnStart: func() error { return refused }}); !errors.Is(err, refused) {
		t.Fatalf("an OnStart error: %v", err)
	}
	if e.Busy(f.task.Name) != nil || e.Running(f.task.Name) != nil || len(f.snapshots()) != 2 {
		t.Fatalf("after a refused start: busy %v, running %v, snapshots %v", e.Busy(f.task.Name), e.Running(f.task.Name), f.snapshots())
	}
	if _, err := e.DeleteSnapshot(context.Background(), f.task, first.Snapshot, backup.Owner{}); err != nil {
		t.Fatalf("a deletion after the refused start: %v", err)
	}
}

// What deleting a snapshot would free is the room of its own files: a
// file it shares with another snapshot stays, and so takes no room
// away. The estimate deletes nothing.
func TestEstimatingADeletionCountsOnlyTheSnapshotsOwnFiles(t *testing.T) {
	f := newFixture(t)
	f.random("big", 256<<10)
	f.write("keep", "kept", 0o644)
	f.write("sub/also", "kept too", 0o644)
	c := &clock{now: time.Date(2025, 5, 1, 2, 0, 0, 0, time.UTC), step: 6 * time.Hour}
	e := backup.New(backup.Options{Now: c.Now, Location: time.UTC})
	first := f.mustRun(e, backup.ResultCompleted)
	f.random("big", 256<<10) // changed: the second snapshot has its own copy
	second := f.mustRun(e, backup.ResultCompleted)
	ctx := context.Background()

	est, err := e.EstimateDeletion(ctx, f.task, second.Snapshot)
	if err != nil {
		t.Fatal(err)
	}
	// Its own: the new copy of big (and its folders, a few KiB each).
	if est.Snapshot != second.Snapshot || est.OwnFiles != 1 || est.SharedFiles != 2 || est.Frees < 256<<10 || est.Frees > 256<<10+256<<10 {
		t.Fatalf("the second snapshot: %+v", est)
	}
	if d := est.Describe(); !strings.Contains(d, "deleting snapshot "+second.Snapshot+" of task docs would free about ") ||
		!strings.Contains(d, "2 files it shares with other snapshots stay with them") {
		t.Fatalf("described: %s", d)
	}
	if len(f.snapshots()) != 2 {
		t.Fatalf("the estimate deleted something: %v", f.snapshots())
	}
	// Once the first is gone, every file of the second is its own.
	if _, err := e.DeleteSnapshot(ctx, f.task, first.Snapshot, backup.Owner{}); err != nil {
		t.Fatal(err)
	}
	if est, err = e.EstimateDeletion(ctx, f.task, second.Snapshot); err != nil || est.SharedFiles != 0 || est.OwnFiles != 3 ||
		!strings.Contains(est.Describe(), "none shared with another snapshot") {
		t.Fatalf("the only snapshot: %+v %v", est, err)
	}

	for _, id := range []string{"latest", ""} {
		if _, err := e.EstimateDeletion(ctx, f.task, id); !errors.Is(err, backup.ErrInvalid) || !strings.Contains(err.Error(), "by its ID") {
			t.Fatalf("estimating %q: %v", id, err)
		}
	}
	if _, err := e.EstimateDeletion(ctx, f.task, first.Snapshot); !errors.Is(err, backup.ErrInvalid) || !strings.Contains(err.Error(), "has no snapshot") {
		t.Fatalf("a deleted snapshot: %v", err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := e.EstimateDeletion(cancelled, f.task, second.Snapshot); !errors.Is(err, context.Canceled) {
		t.Fatalf("a cancelled estimate: %v", err)
	}
}

// The estimate's words count in the singular where there is one.
func TestADeletionEstimateSaysOneFileInTheSingular(t *testing.T) {
	for _, c := range []struct {
		est  backup.DeletionEstimate
		want string
	}{
		{backup.DeletionEstimate{Frees: 4096, OwnFiles: 1}, "would free about 4.0 KiB (1 file, none shared with another snapshot)"},
		{backup.DeletionEstimate{Frees: 4096, SharedFiles: 1}, "would free about 4.0 KiB: its one file is shared with other snapshots and stays with them"},
		{backup.DeletionEstimate{Frees: 4096, SharedFiles: 2}, "would free about 4.0 KiB: all its 2 files are shared with other snapshots and stay with them"},
		{backup.DeletionEstimate{Frees: 4096, OwnFiles: 1, SharedFiles: 1}, "would free about 4.0 KiB (1 file of its own; 1 file it shares with other snapshots stays with them)"},
		{backup.DeletionEstimate{Frees: 4096, OwnFiles: 2, SharedFiles: 1200}, "would free about 4.0 KiB (2 files of its own; 1,200 files it shares with other snapshots stay with them)"},
	} {
		if got := c.est.Effect(); got != c.want {
			t.Errorf("%+v: %q, want %q", c.est, got, c.want)
		}
	}
}
