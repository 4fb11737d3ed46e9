package agent_test

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/lanyard/lanyard/core/agent"
	"github.com/lanyard/lanyard/core/backup"
	"github.com/lanyard/lanyard/internal/testkit"
)

// A scheduled run that comes due while a snapshot of its task is being
// deleted waits for the deletion, then starts; a run asked for meanwhile
// is refused. Neither leaves a failed run in the history.
//
// The deletion is held where it reads whose the task's folder is.
func TestAScheduledRunWaitsForADeletionOfItsTask(t *testing.T) {
	db := initializedDB(t)
	src, dest := backupDirs(t)
	var shift atomic.Int64
	now := func() time.Time { return time.Now().Add(time.Duration(shift.Load())) }
	logger, watch := logrus.New(), testkit.NewLogWatch()
	logger.SetOutput(io.Discard)
	logger.AddHook(watch)
	hold := testkit.NewTaskHold(t)
	engine := backup.New(backup.Options{Logger: logger, Now: now, Claiming: hold.Claiming})
	tasks := agent.NewTasks(agent.TasksConfig{DB: db, Logger: logger, Now: now, Engine: engine, Schedule: true})
	if err := tasks.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tasks.Close)
	ctx := context.Background()
	info, _, err := tasks.Put(ctx, backup.Task{Name: "docs", Sources: []string{src}, Destination: dest, Schedule: "manual"}, agent.PutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	h, err := tasks.Run(ctx, "docs", "manual")
	if err != nil {
		t.Fatal(err)
	}
	<-h.Done()
	first := h.Report()
	if first.Result != backup.ResultCompleted {
		t.Fatalf("the first run: %+v", first)
	}

	hold.Hold(filepath.Join(dest, "docs"))
	deleted := make(chan error, 1)
	go func() {
		_, err := tasks.DeleteSnapshot(ctx, "docs", first.Snapshot)
		deleted <- err
	}()
	hold.WaitHeld(t, deleted)

	if _, err := tasks.Run(ctx, "docs", "manual"); !errors.Is(err, backup.ErrBusy) || !strings.Contains(err.Error(), "busy deleting a snapshot") {
		t.Fatalf("a run asked for during the deletion: %v", err)
	}
	// Every minute, on a clock 100 ms before the next one starts: due at
	// once, during the deletion.
	real := time.Now()
	shift.Store(int64(real.Truncate(time.Minute).Add(time.Minute - 100*time.Millisecond).Sub(real)))
	events, unsubscribe := tasks.Subscribe(64)
	defer unsubscribe()
	mark := watch.Mark()
	edit := info.Task
	edit.Schedule = "* * * * *"
	if _, _, err := tasks.Put(ctx, edit, agent.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	watch.Wait(t, mark, "the scheduled run waiting", func(l testkit.Logged) bool {
		return strings.Contains(l.Message, "task docs: the scheduled run waits for the deletion of a snapshot to finish")
	})
	if hist, err := tasks.History(ctx, "docs", 0); err != nil || len(hist) != 1 {
		t.Fatalf("the history during the deletion: %+v %v", hist, err)
	}

	hold.Let()
	if err := <-deleted; err != nil {
		t.Fatal(err)
	}
	deadline := time.After(10 * time.Second)
	for finished := false; !finished; {
		select {
		case ev := <-events:
			if ev.Kind != agent.EventFinished {
				continue
			}
			if ev.Report.Trigger != "schedule" || ev.Report.Result != backup.ResultCompleted {
				t.Fatalf("the scheduled run: %+v", ev.Report)
			}
			finished = true
		case <-deadline:
			t.Fatal("the scheduled run did not start after the deletion")
		}
	}
	hist, err := tasks.History(ctx, "docs", 0)
	if err != nil || len(hist) != 2 {
		t.Fatalf("the history after: %+v %v", hist, err)
	}
	for _, r := range hist {
		if r.Result != backup.ResultCompleted {
			t.Fatalf("a run in the history: %+v", r)
		}
	}
}
