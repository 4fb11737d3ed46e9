package agent_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
	"github.com/sirupsen/logrus/hooks/test"

	"github.com/lanyard/lanyard/core/agent"
	"github.com/lanyard/lanyard/core/backup"
	"github.com/lanyard/lanyard/core/health"
	"github.com/lanyard/lanyard/core/store"
	"github.com/lanyard/lanyard/internal/testfs"
)

// backupDirs makes a source folder with a few files and an empty
// destination.
func backupDirs(t *testing.T) (src, dest string) {
	t.Helper()
	root := t.TempDir()
	src, dest = filepath.Join(root, "data"), filepath.Join(root, "backups")
	for _, d := range []string{filepath.Join(src, "sub"), dest} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for name, content := range map[string]string{"a.txt": "alpha", "sub/b.txt": "beta"} {
		if err := os.WriteFile(filepath.Join(src, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return src, dest
}

func newTasks(t *testing.T, db *store.DB, cfg agent.TasksConfig) (*agent.Tasks, *test.Hook) {
	t.Helper()
	logger, hook := test.NewNullLogger()
	logger.SetLevel(logrus.DebugLevel)
	cfg.DB, cfg.Logger = db, logger
	tasks := agent.NewTasks(cfg)
	if err := tasks.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tasks.Close)
	return tasks, hook
}

// docsTask is task docs, saved on a new agent's tasks over backupDirs;
// dest is its destination.
func docsTask(t *testing.T) (tasks *agent.Tasks, db *store.DB, info agent.TaskInfo, dest string) {
	t.Helper()
	db = openDB(t)
	tasks, _ = newTasks(t, db, agent.TasksConfig{})
	src, dest := backupDirs(t)
	info, _, err := tasks.Put(context.Background(), backup.Task{Name: "docs", Sources: []string{src}, Destination: dest}, agent.PutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return tasks, db, info, dest
}

// runNow runs task name by hand and returns its report once it ends.
func runNow(t *testing.T, tasks *agent.Tasks, name string) backup.Report {
	t.Helper()
	h, err := tasks.Run(context.Background(), name, "manual")
	if err != nil {
		t.Fatal(err)
	}
	<-h.Done()
	return h.Report()
}

func TestTasksAreSavedWithVersions(t *testing.T) {
	db := openDB(t)
	tasks, _ := newTasks(t, db, agent.TasksConfig{})
	src, dest := backupDirs(t)
	ctx := context.Background()
	info, warnings, err := tasks.Put(ctx, backup.Task{Name: "Docs", Sources: []string{src}, Destination: dest, Schedule: "daily@2:00", CatchUp: true}, agent.PutOptions{})
	if err != nil || len(warnings) != 0 || info.Task.Version != 1 || info.Task.Schedule != "daily@02:00" || info.Task.Created.IsZero() {
		t.Fatalf("add: %+v %v %v", info, warnings, err)
	}
	if info.NextRun.IsZero() || time.Duration(info.OverdueAfter) != 48*time.Hour {
		t.Fatalf("next run %v, overdue after %v", info.NextRun, info.OverdueAfter)
	}
	_, _, err = tasks.Put(ctx, backup.Task{Name: "docs", Sources: []string{src}, Destination: dest}, agent.PutOptions{})
	if !agent.IsUsage(err) || !strings.Contains(err.Error(), "a task named Docs already exists") {
		t.Fatalf("a second add: %v", err)
	}
	edit := info.Task
	edit.Schedule = "hourly"
	edited, _, err := tasks.Put(ctx, edit, agent.PutOptions{})
	if err != nil || edited.Task.Version != 2 || edited.Task.Schedule != "hourly" || !edited.Task.Created.Equal(info.Task.Created) {
		t.Fatalf("edit: %+v %v", edited, err)
	}
	stale := info.Task // version 1, saved over since
	stale.Schedule = "manual"
	if _, _, err := tasks.Put(ctx, stale, agent.PutOptions{}); !errors.Is(err, agent.ErrConflict) || !strings.Contains(err.Error(), "changed by another console: reload") {
		t.Fatalf("a stale edit: %v", err)
	}
	if got, _ := tasks.Get(ctx, "DOCS"); got.Task.Schedule != "hourly" || got.Task.Version != 2 {
		t.Fatalf("after a refused edit: %+v", got.Task)
	}
	if _, err := tasks.Remove(ctx, "docs", 1); !errors.Is(err, agent.ErrConflict) {
		t.Fatalf("a stale remove: %v", err)
	}
	if _, err := tasks.Remove(ctx, "docs", 2); err != nil {
		t.Fatal(err)
	}
	_, err = tasks.Get(ctx, "docs")
	if !errors.Is(err, agent.ErrUnknownTask) || !agent.IsUsage(err) {
		t.Fatalf("a removed task: %v", err)
	}
	// The console shows the agent's words too: they name the tasks there
	// are, or a command both command lines have, not the agent's alone.
	if msg := err.Error(); msg != "there is no task named docs: this agent has no backup task yet (task add adds one)" {
		t.Errorf("an unknown task's error with no task: %q", msg)
	}
	for _, name := range []string{"mail", "db2", "db10"} {
		if _, _, err := tasks.Put(ctx, backup.Task{Name: name, Sources: []string{src}, Destination: dest}, agent.PutOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := tasks.Remove(ctx, "docs", 0); err == nil || err.Error() != "there is no task named docs; the tasks here are db2, db10 and mail" {
		t.Errorf("an unknown task's error: %v", err)
	}
	if _, err := tasks.Get(ctx, "db1"); err == nil || err.Error() != "there is no task named db1 (did you mean db2?); the tasks here are db2, db10 and mail" {
		t.Errorf("an unknown task's error for a slip: %v", err)
	}
}

// Tasks are listed as people count them (both command lines print the
// list as it comes): daily2 before daily10, case aside.
func TestTasksAreListedByNameWithNumbersByValue(t *testing.T) {
	db := openDB(t)
	tasks, _ := newTasks(t, db, agent.TasksConfig{})
	src, dest := backupDirs(t)
	ctx := context.Background()
	for _, name := range []string{"daily10", "Daily2", "daily1", "archive"} {
		if _, _, err := tasks.Put(ctx, backup.Task{Name: name, Sources: []string{src}, Destination: dest}, agent.PutOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	all, err := tasks.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, info := range all {
		names = append(names, info.Task.Name)
	}
	if want := []string{"archive", "daily1", "Daily2", "daily10"}; !slices.Equal(names, want) {
		t.Errorf("listed %v, want %v", names, want)
	}
}

// A task whose destination folder does not exist yet is saved with a
// warning; asked to, Put creates the folder first (its parent must exist:
// a share not mounted is refused, and nothing is saved).
func TestPutCreatesAMissingDestinationWhenAsked(t *testing.T) {
	db := openDB(t)
	tasks, hook := newTasks(t, db, agent.TasksConfig{})
	src, dest := backupDirs(t)
	ctx := context.Background()
	unmounted := filepath.Join(dest, "nas", "fs01")
	_, _, err := tasks.Put(ctx, backup.Task{Name: "docs", Sources: []string{src}, Destination: unmounted}, agent.PutOptions{CreateDestination: true})
	if !agent.IsUsage(err) || !strings.Contains(err.Error(), "its parent folder") {
		t.Fatalf("a destination whose parent is missing: %v", err)
	}
	if all, _ := tasks.List(ctx); len(all) != 0 {
		t.Fatalf("a refused task was saved: %+v", all)
	}
	mine := filepath.Join(dest, "fs01")
	_, warnings, err := tasks.Put(ctx, backup.Task{Name: "docs", Sources: []string{src}, Destination: mine}, agent.PutOptions{})
	if err != nil || len(warnings) != 1 || warnings[0] != backup.MissingDestination(mine) {
		t.Fatalf("without creating: %v %v", warnings, err)
	}
	_, warnings, err = tasks.Put(ctx, backup.Task{Name: "mail", Sources: []string{src}, Destination: mine}, agent.PutOptions{CreateDestination: true})
	if err != nil || len(warnings) != 0 {
		t.Fatalf("creating: %v %v", warnings, err)
	}
	if fi, err := os.Stat(mine); err != nil || !fi.IsDir() {
		t.Fatalf("the destination was not created: %v", err)
	}
	if !slices.ContainsFunc(hook.AllEntries(), func(e *logrus.Entry) bool {
		return e.Message == "created the destination folder "+mine+" of task mail"
	}) {
		t.Error("the new folder is not in the agent's log")
	}
	// A save refused for its name makes no folder.
	other := filepath.Join(dest, "fs02")
	_, _, err = tasks.Put(ctx, backup.Task{Name: "mail", Sources: []string{src}, Destination: other}, agent.PutOptions{CreateDestination: true})
	if !agent.IsUsage(err) || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("a second task mail: %v", err)
	}
	if _, err := os.Stat(other); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a refused task created its destination folder: %v", err)
	}
}

func TestBadTasksAreRefusedAsUsageErrors(t *testing.T) {
	db := openDB(t)
	tasks, _ := newTasks(t, db, agent.TasksConfig{})
	src, dest := backupDirs(t)
	for name, task := range map[string]backup.Task{
		"a bad cron":                {Name: "x", Sources: []string{src}, Destination: dest, Schedule: "61 * * * *"},
		"a missing source":          {Name: "x", Sources: []string{src + "-nope"}, Destination: dest},
		"a destination in a source": {Name: "x", Sources: []string{src}, Destination: filepath.Join(src, "sub")},
		"a name that is not a name": {Name: "../x", Sources: []string{src}, Destination: dest},
	} {
		t.Run(name, func(t *testing.T) {
			if _, _, err := tasks.Put(context.Background(), task, agent.PutOptions{}); !agent.IsUsage(err) {
				t.Fatalf("Put: %v, want a usage error", err)
			}
		})
	}
	if all, _ := tasks.List(context.Background()); len(all) != 0 {
		t.Fatalf("a refused task was saved: %+v", all)
	}
}

func TestARunIsRecordedLoggedAndAnnounced(t *testing.T) {
	db := openDB(t)
	tasks, hook := newTasks(t, db, agent.TasksConfig{})
	src, dest := backupDirs(t)
	ctx := context.Background()
	if _, _, err := tasks.Put(ctx, backup.Task{Name: "docs", Sources: []string{src}, Destination: dest}, agent.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	events, unsubscribe := tasks.Subscribe(64)
	defer unsubscribe()
	h, err := tasks.Run(ctx, "docs", "manual")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tasks.Run(ctx, "docs", "manual"); !errors.Is(err, backup.ErrBusy) && h.Report().Result != backup.ResultCompleted {
		t.Fatalf("a second run while the first goes on: %v", err)
	}
	rep := h.Report()
	if rep.Result != backup.ResultCompleted || rep.FilesCopied != 2 {
		t.Fatalf("report %+v", rep)
	}
	kinds := map[string]bool{}
	deadline := time.After(10 * time.Second)
	for !kinds[agent.EventFinished] {
		select {
		case ev := <-events:
			kinds[ev.Kind] = true
		case <-deadline:
			t.Fatalf("events so far %v", kinds)
		}
	}
	if !kinds[agent.EventStarted] {
		t.Fatalf("no started event: %v", kinds)
	}
	hist, err := tasks.History(ctx, "docs", 0)
	if err != nil || len(hist) != 1 || hist[0].Result != backup.ResultCompleted || hist[0].Trigger != "manual" || hist[0].Snapshot == "" {
		t.Fatalf("history %+v %v", hist, err)
	}
	var started, ended bool
	for _, e := range hook.AllEntries() {
		started = started || strings.Contains(e.Message, "task docs: run started (manual)")
		ended = ended || strings.Contains(e.Message, "task docs: completed: snapshot "+rep.Snapshot)
	}
	if !started || !ended {
		t.Fatalf("the run's start or end was not logged: %v %v", started, ended)
	}
	info, _ := tasks.Get(ctx, "docs")
	if info.LastRun == nil || info.LastRun.Snapshot != rep.Snapshot || info.LastSuccess.IsZero() || info.Running {
		t.Fatalf("info after the run: %+v", info)
	}
}

func TestARunCutShortByTheProcessEndingIsMarkedInterrupted(t *testing.T) {
	db := openDB(t)
	src, dest := backupDirs(t)
	task := backup.Task{Name: "docs", Sources: []string{src}, Destination: dest, Version: 1}
	doc, _ := json.Marshal(task)
	_ = db.UpdateTask("docs", func([]byte) ([]byte, error) { return doc, nil })
	// Copies found damaged by hand while it ran are in its record
	// already (amendRunning), and stay.
	running, _ := json.Marshal(backup.Report{Task: "docs", Started: time.Now().Add(-time.Minute), Result: backup.ResultRunning,
		FoundDamaged: 2, FoundAt: time.Now()})
	if _, err := db.AppendRun("docs", running, 10); err != nil {
		t.Fatal(err)
	}
	tasks, _ := newTasks(t, db, agent.TasksConfig{})
	hist, _ := tasks.History(context.Background(), "docs", 0)
	if len(hist) != 1 || hist[0].Result != backup.ResultInterrupted || !strings.Contains(hist[0].Error, "the agent stopped during the run") ||
		hist[0].FoundDamaged != 2 {
		t.Fatalf("history %+v", hist)
	}
	if health, _, _, err := tasks.Health(context.Background(), nil); err != nil || health[0].LastDamaged != 2 {
		t.Fatalf("the health: %+v, %v", health, err)
	}
}

func TestAMissedRunIsCaughtUpOnceAtStart(t *testing.T) {
	for _, catchUp := range []bool{true, false} {
		t.Run(map[bool]string{true: "with catch-up", false: "without"}[catchUp], func(t *testing.T) {
			db := openDB(t)
			src, dest := backupDirs(t)
			created := time.Now().Add(-72 * time.Hour)
			task := backup.Task{Name: "docs", Sources: []string{src}, Destination: dest, Schedule: "daily@00:00", CatchUp: catchUp, Version: 1, Created: created}
			doc, _ := json.Marshal(task)
			_ = db.UpdateTask("docs", func([]byte) ([]byte, error) { return doc, nil })
			tasks, _ := newTasks(t, db, agent.TasksConfig{Schedule: true})
			hist, _ := tasks.History(context.Background(), "docs", 0)
			want := 0
			if catchUp {
				want = 1 // three missed days, one run
			}
			if len(hist) != want {
				t.Fatalf("%d runs at start, want %d", len(hist), want)
			}
			if catchUp {
				if h := tasks.Running("docs"); h != nil {
					<-h.Done()
				}
				hist, _ = tasks.History(context.Background(), "docs", 0)
				if hist[0].Trigger != "catch-up" || hist[0].Result != backup.ResultCompleted {
					t.Fatalf("catch-up run: %+v", hist[0])
				}
			}
		})
	}
}

func TestTheSchedulerRunsATaskOnTime(t *testing.T) {
	db := openDB(t)
	src, dest := backupDirs(t)
	// A clock 300 ms before a minute starts, so an every-minute task is
	// due almost at once.
	real := time.Now()
	offset := real.Truncate(time.Minute).Add(time.Minute - 300*time.Millisecond).Sub(real)
	now := func() time.Time { return time.Now().Add(offset) }
	tasks, _ := newTasks(t, db, agent.TasksConfig{Schedule: true, Now: now})
	events, unsubscribe := tasks.Subscribe(64)
	defer unsubscribe()
	if _, _, err := tasks.Put(context.Background(), backup.Task{Name: "docs", Sources: []string{src}, Destination: dest, Schedule: "* * * * *"}, agent.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	deadline := time.After(10 * time.Second)
	for {
		select {
		case ev := <-events:
			if ev.Kind == agent.EventFinished {
				if ev.Report.Trigger != "schedule" || ev.Report.Result != backup.ResultCompleted {
					t.Fatalf("report %+v", ev.Report)
				}
				return
			}
		case <-deadline:
			t.Fatal("the task did not run at its time")
		}
	}
}

// A run claims its task's folder under the agent's name; renamed with
// init, the agent hands its folders to its new name, so that its next
// run is not refused by its own snapshots.
func TestARenamedAgentKeepsItsTaskFolders(t *testing.T) {
	db := initializedDB(t)
	tasks, _ := newTasks(t, db, agent.TasksConfig{})
	src, dest := backupDirs(t)
	ctx := context.Background()
	if _, _, err := tasks.Put(ctx, backup.Task{Name: "docs", Sources: []string{src}, Destination: dest}, agent.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	run := func() backup.Report { t.Helper(); return runNow(t, tasks, "docs") }
	claim := func() string {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(dest, "docs", ".lanyard-owner"))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if rep := run(); rep.Result != backup.ResultCompleted || !strings.Contains(claim(), `"agent":"`+slaveName+`"`) {
		t.Fatalf("the first run: %s %s; the claim %s", rep.Result, rep.Error, claim())
	}
	// A second task whose share is not mounted at the rename: init says
	// what to do about its folder.
	_, away := backupDirs(t)
	if _, _, err := tasks.Put(ctx, backup.Task{Name: "mail", Sources: []string{src}, Destination: away}, agent.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(away); err != nil {
		t.Fatal(err)
	}
	_, warnings, err := agent.Init(db, agent.InitOptions{Name: "FS01-new", Password: []byte(password)})
	if err != nil {
		t.Fatalf("the rename: %v %v", err, warnings)
	}
	if w := strings.Join(warnings, "\n"); !strings.Contains(w, "task mail: the destination "+away+" cannot be read now (is its share mounted?)") ||
		strings.Contains(w, "task docs") {
		t.Errorf("the rename's warnings:\n%s", w)
	}
	if !strings.Contains(claim(), `"agent":"FS01-new"`) {
		t.Fatalf("after the rename the folder is claimed by %s", claim())
	}
	if rep := run(); rep.Result != backup.ResultCompleted {
		t.Fatalf("the run after the rename: %s %s", rep.Result, rep.Error)
	}
}

// An edit that tightens the retention says what the next run will then
// remove, while there is time to change it back; the check of a
// definition typed says the same before it is saved.
func TestAnEditOfTheRetentionSaysWhatTheNextRunRemoves(t *testing.T) {
	tasks, _, info, _ := docsTask(t)
	ctx := context.Background()
	for range 3 {
		runNow(t, tasks, "docs")
	}
	edit := info.Task
	edit.Schedule = "hourly" // not the retention: nothing to say
	info, warnings, err := tasks.Put(ctx, edit, agent.PutOptions{})
	if err != nil || len(warnings) != 0 {
		t.Fatalf("an edit of the schedule: %v %v", warnings, err)
	}
	edit = info.Task
	edit.Retention = backup.Retention{KeepLast: 2}
	p, err := tasks.PreviewRetention(edit)
	if err != nil || p.Snapshots != 3 || p.Removes != 2 {
		t.Fatalf("the preview of keep-last 2: %+v, %v", p, err)
	}
	_, warnings, err = tasks.Put(ctx, edit, agent.PutOptions{})
	if err != nil || len(warnings) != 1 || !strings.HasPrefix(warnings[0], "with the new retention (keep the last 2), the next run removes 2 of the 3 snapshots there are now, taken ") ||
		!strings.HasSuffix(warnings[0], ": edit it back before then to keep them") {
		t.Fatalf("an edit of the retention: %q %v", warnings, err)
	}
	// The next run is the schedule's: a daily retention keeps today's
	// newest snapshot at a run on another day, and removes it only at a
	// run today, as one by hand is.
	edit.Retention = backup.Retention{KeepDaily: 2}
	edit.Schedule = "0 0 1 1 *" // on New Year's Day: another day than today
	if p, err := tasks.PreviewRetention(edit); err != nil || p.Snapshots != 3 || p.Removes != 2 {
		t.Fatalf("the preview of keep-daily 2 before a run on another day: %+v, %v", p, err)
	}
	edit.Paused = true
	if p, err := tasks.PreviewRetention(edit); err != nil || p.Removes != 3 && p.NewestRemoved.Local().Day() == time.Now().Day() { // unless midnight came between
		t.Fatalf("the preview of keep-daily 2, paused (a run now): %+v, %v", p, err)
	}
}

// A scheduled run that fails (its destination's share not mounted yet) is
// tried again after the task's retry wait, as many times as it says, and
// each report says when the next try is. A retry the agent owed when it
// stopped is made once it is back.
func TestAFailedScheduledRunIsTriedAgain(t *testing.T) {
	db := openDB(t)
	src, dest := backupDirs(t)
	share := filepath.Join(dest, "share") // not there yet: runs fail
	c := newMinuteClock()
	tasks, _ := newTasks(t, db, agent.TasksConfig{Schedule: true, Now: c.now})
	events, unsubscribe := tasks.Subscribe(64)
	task := backup.Task{Name: "docs", Sources: []string{src}, Destination: share,
		Schedule: c.dailySpec(), Retries: 2, RetryWait: backup.Duration(time.Minute)}
	if _, _, err := tasks.Put(context.Background(), task, agent.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	first := finished(t, events, "the scheduled run")
	if first.Trigger != backup.TriggerSchedule || first.Result != backup.ResultFailed || first.Attempt != 0 ||
		!first.RetryAt.Equal(first.Finished.Add(time.Minute)) {
		t.Fatalf("the scheduled run: %s %s, attempt %d, retry at %v (ended %v)", first.Trigger, first.Result, first.Attempt, first.RetryAt, first.Finished)
	}
	if !strings.Contains(first.Describe(), "tried again at "+first.RetryAt.Local().Format("15:04")+" (retry 1)") {
		t.Errorf("the report says:\n%s", first.Describe())
	}

	// The minute passes: the first retry fails too, and says when the
	// second is.
	c.add(time.Minute)
	tasks.Poke()
	second := finished(t, events, "the first retry")
	if second.Trigger != backup.TriggerRetry || second.Attempt != 1 || second.Result != backup.ResultFailed || second.RetryAt.IsZero() {
		t.Fatalf("the first retry: %s %s, attempt %d, retry at %v", second.Trigger, second.Result, second.Attempt, second.RetryAt)
	}

	// The agent stops before the second retry, and the share is mounted
	// meanwhile: back after the retry's time, it makes the retry it owes.
	unsubscribe()
	tasks.Close()
	if err := os.Mkdir(share, 0o700); err != nil {
		t.Fatal(err)
	}
	c.add(time.Minute)
	again, events := startTasksHeard(t, db, agent.TasksConfig{Schedule: true, Now: c.now})
	third := finished(t, events, "the second retry")
	if third.Trigger != backup.TriggerRetry || third.Attempt != 2 || third.Result != backup.ResultCompleted || !third.RetryAt.IsZero() {
		t.Fatalf("the second retry: %s %s, attempt %d, retry at %v: %s", third.Trigger, third.Result, third.Attempt, third.RetryAt, third.Error)
	}
	hist, _ := again.History(context.Background(), "docs", 0)
	if len(hist) != 3 {
		t.Errorf("%d runs in the history, want 3", len(hist))
	}
}

// A scheduled run that the agent's own end cut short, stopped as the
// service stopped or killed with the machine, is tried again once the
// agent is back, as a retry of the task's.
func TestARunCutShortByTheAgentsEndIsTriedAgainOnceItIsBack(t *testing.T) {
	db := openDB(t)
	src, dest := backupDirs(t)
	// Enough to copy for a while at the least speed limit.
	if err := os.WriteFile(filepath.Join(src, "big"), make([]byte, 4<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	c := newMinuteClock()
	tasks, events := startTasksHeard(t, db, agent.TasksConfig{Schedule: true, Now: c.now})
	task := backup.Task{Name: "docs", Sources: []string{src}, Destination: dest, Schedule: c.dailySpec(), Retries: 2, Speed: backup.MinSpeed}
	if _, _, err := tasks.Put(context.Background(), task, agent.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	heard(t, events, agent.EventStarted, "the scheduled run")
	tasks.Close() // the service stops, the run with it
	stopped := finished(t, events, "the stopped run")
	if stopped.Result != backup.ResultStopped || !stopped.RetryAt.Equal(stopped.Finished) ||
		!strings.Contains(stopped.Describe(), "tried again once its agent is back (retry 1)") {
		t.Fatalf("the run stopped with the agent: %s, retry at %v (ended %v):\n%s", stopped.Result, stopped.RetryAt, stopped.Finished, stopped.Describe())
	}

	// Back, it tries again at once; killed during that try, it tries once
	// more at its next start, and no more than the task's retries.
	c.add(time.Minute)
	again, events := startTasksHeard(t, db, agent.TasksConfig{Schedule: true, Now: c.now})
	retry := heard(t, events, agent.EventStarted, "a retry once the agent was back")
	if retry.Trigger != backup.TriggerRetry || retry.Attempt != 1 {
		t.Fatalf("once back it ran %s, attempt %d", retry.Trigger, retry.Attempt)
	}
	// Killed: the record stays "running", as a killed process leaves it.
	running, _ := json.Marshal(retry)
	again.Close()
	if _, err := db.AppendRun("docs", running, agent.RunsKept); err != nil {
		t.Fatal(err)
	}
	third, events := startTasksHeard(t, db, agent.TasksConfig{Schedule: true, Now: c.now})
	defer third.Close()
	if retry = heard(t, events, agent.EventStarted, "a retry after the kill"); retry.Trigger != backup.TriggerRetry || retry.Attempt != 2 {
		t.Fatalf("after the kill it ran %s, attempt %d", retry.Trigger, retry.Attempt)
	}
	runs, _ := third.History(context.Background(), "docs", 0)
	var killed *backup.Report
	for i := range runs {
		if runs[i].Result == backup.ResultInterrupted {
			killed = &runs[i]
		}
	}
	if killed == nil || killed.RetryAt.IsZero() || killed.Attempt != 1 {
		t.Fatalf("the killed try's record: %+v", killed)
	}
}

// weeklyVerified is an agent's tasks at a clock of the test's with task
// docs, which verifies every week, its destination, and a run of it by
// hand that must complete.
func weeklyVerified(t *testing.T) (*agent.Tasks, *minuteClock, string, func() backup.Report) {
	t.Helper()
	c := newMinuteClock()
	tasks, _ := newTasks(t, openDB(t), agent.TasksConfig{Now: c.now})
	src, dest := backupDirs(t)
	if _, _, err := tasks.Put(context.Background(), backup.Task{Name: "docs", Sources: []string{src}, Destination: dest,
		VerifyEvery: backup.Duration(7 * 24 * time.Hour)}, agent.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	return tasks, c, dest, func() backup.Report {
		t.Helper()
		h, err := tasks.Run(context.Background(), "docs", backup.TriggerManual)
		if err != nil {
			t.Fatal(err)
		}
		rep := h.Report()
		if rep.Result != backup.ResultCompleted {
			t.Fatalf("%s: %s %v", rep.Result, rep.Error, rep.Warnings)
		}
		return rep
	}
}

// A task that verifies every week has its first run verify its snapshot,
// the runs in the week after not, and the first run a week on again:
// each run's record says when the task was last verified, so the
// history's cap cannot lose it.
func TestATaskVerifiesWhenItsVerifyIsDue(t *testing.T) {
	tasks, c, dest, run := weeklyVerified(t)
	ctx := context.Background()
	first := run()
	if !first.Verified || first.LastVerified.IsZero() || !strings.Contains(first.Describe(), "verified: every file matches its manifest") {
		t.Fatalf("the first run: verified %v at %v:\n%s", first.Verified, first.LastVerified, first.Describe())
	}
	c.add(6 * 24 * time.Hour)
	second := run()
	if second.Verified || !second.LastVerified.Equal(first.LastVerified) {
		t.Errorf("six days on: verified %v, last verified %v; want no verify, and the first run's time passed on", second.Verified, second.LastVerified)
	}
	runs, err := tasks.History(ctx, "docs", 0)
	if err != nil || len(runs) != 2 || !runs[1].LastVerified.Equal(first.LastVerified) {
		t.Fatalf("the history: %d runs, %v", len(runs), err)
	}
	c.add(24 * time.Hour)
	third := run()
	if !third.Verified || !third.LastVerified.After(first.LastVerified) {
		t.Errorf("a week on: verified %v, last verified %v", third.Verified, third.LastVerified)
	}

	// Moved to another destination, the task has verified nothing there:
	// its first run there verifies.
	moved := filepath.Join(dest, "moved")
	if err := os.Mkdir(moved, 0o755); err != nil {
		t.Fatal(err)
	}
	task, err := tasks.Get(ctx, "docs")
	if err != nil {
		t.Fatal(err)
	}
	task.Task.Destination = moved
	movedInfo, _, err := tasks.Put(ctx, task.Task, agent.PutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if line := movedInfo.VerifyLine(c.now()); line != "every week, none yet: the next run verifies" {
		t.Errorf("moved, the task says %q", line)
	}
	if there := run(); !there.Verified {
		t.Errorf("the first run at a new destination did not verify (last verified %v)", there.LastVerified)
	}
}

// A verify by hand of the task's newest snapshot counts as its last
// verify, as a run's does: the task says so, the next run does not verify
// again, and the consoles hear of it. A verify of an older snapshot does
// not count.
func TestAVerifyByHandOfTheNewestSnapshotCountsAsTheTasksLast(t *testing.T) {
	tasks, c, _, run := weeklyVerified(t)
	ctx := context.Background()
	first := run() // verifies: none yet
	c.add(time.Minute)
	run()
	c.add(6 * 24 * time.Hour)
	events, cancel := tasks.Subscribe(64)
	defer cancel()
	snaps, err := tasks.Snapshots(ctx, "docs")
	if err != nil || len(snaps) != 2 {
		t.Fatalf("%d snapshots, %v", len(snaps), err)
	}
	if _, err := tasks.Verify(ctx, "docs", snaps[0].ID, nil); err != nil {
		t.Fatal(err)
	}
	if info, _ := tasks.Get(ctx, "docs"); !info.LastRun.LastVerified.Equal(first.LastVerified) {
		t.Fatalf("a verify of an older snapshot counted: last verified %v", info.LastRun.LastVerified)
	}
	byHand := c.now()
	if _, err := tasks.Verify(ctx, "docs", snaps[1].ID, nil); err != nil {
		t.Fatal(err)
	}
	info, err := tasks.Get(ctx, "docs")
	if err != nil || info.LastRun.LastVerified.Before(byHand) {
		t.Fatalf("the verify by hand of the newest snapshot did not count: last verified %v (%v)", info.LastRun.LastVerified, err)
	}
	if want := "every week, last " + byHand.Local().Format("2006-01-02 15:04"); info.VerifyLine(c.now()) != want {
		t.Errorf("the task says %q, want %q", info.VerifyLine(c.now()), want)
	}
	deadline := time.After(10 * time.Second)
	for heard := false; !heard; {
		select {
		case ev := <-events:
			heard = ev.Kind == agent.EventChanged && ev.Info != nil && !ev.Info.LastRun.LastVerified.Before(byHand)
		case <-deadline:
			t.Fatal("the consoles did not hear of the verify")
		}
	}
	c.add(2 * 24 * time.Hour) // a week after the first run's verify, days after the one by hand
	if next := run(); next.Verified {
		t.Errorf("the run after a verify by hand verified again (last verified %v)", next.LastVerified)
	}
}

// Copies that a verify by hand finds damaged, in any snapshot, are in
// the task's backup health, with a cursor that moved (a console that
// linked later reads them too), and the consoles hear of them at once;
// the next run copies them afresh and the health is clear again.
func TestCopiesFoundDamagedByHandAreInTheTasksHealthUntilTheNextRun(t *testing.T) {
	tasks, c, dest, run := weeklyVerified(t)
	ctx := context.Background()
	run()
	c.add(time.Minute)
	run()
	before, _, _, err := tasks.Health(ctx, nil)
	if err != nil || len(before) != 1 || before[0].LastDamaged != 0 {
		t.Fatalf("the health before: %+v, %v", before, err)
	}
	snaps, err := tasks.Snapshots(ctx, "docs")
	if err != nil || len(snaps) != 2 {
		t.Fatalf("%d snapshots, %v", len(snaps), err)
	}
	// The copy both snapshots share, damaged in place as a failing disk
	// does: same size, same time.
	testfs.Damage(t, filepath.Join(snaps[0].Path, filepath.Dir(dest), "data", "a.txt"))

	events, cancel := tasks.Subscribe(64)
	defer cancel()
	if vr, err := tasks.Verify(ctx, "docs", snaps[0].ID, nil); err != nil || vr.Changed != 1 {
		t.Fatalf("the verify by hand: %+v, %v", vr, err)
	}
	known := map[string]health.Cursor{"docs": before[0].Cursor}
	after, _, _, err := tasks.Health(ctx, known)
	if err != nil || len(after) != 1 || after[0].LastDamaged != 1 || after[0].FoundAt.IsZero() || after[0].Cursor.Amended != 1 {
		t.Fatalf("the health after the verify by hand: %+v, %v", after, err)
	}
	if info, _ := tasks.Get(ctx, "docs"); !strings.Contains(info.LastRun.Describe(), "since the run, 1 copy found damaged (") {
		t.Errorf("the last run's record does not say what was found since:\n%s", info.LastRun.Describe())
	}
	deadline := time.After(10 * time.Second)
	for heard := false; !heard; {
		select {
		case ev := <-events:
			heard = ev.Kind == agent.EventChanged && ev.Info != nil && ev.Info.LastRun.FoundDamaged == 1
		case <-deadline:
			t.Fatal("the consoles did not hear of the copy found damaged")
		}
	}

	// The newest snapshot shares the copy: its verify counts as the
	// task's last and records what it found in one amendment, one event.
	c.add(time.Minute)
	byHand := c.now()
	if vr, err := tasks.Verify(ctx, "docs", snaps[1].ID, nil); err != nil || vr.Changed != 1 {
		t.Fatalf("the verify by hand of the newest: %+v, %v", vr, err)
	}
	if info, _ := tasks.Get(ctx, "docs"); info.LastRun.Amended != 2 || info.LastRun.LastVerified.Before(byHand) || info.LastRun.FoundDamaged != 1 {
		t.Errorf("after the verify of the newest: amended %d times, last verified %v (verify at %v), %d found damaged",
			info.LastRun.Amended, info.LastRun.LastVerified, byHand, info.LastRun.FoundDamaged)
	}
	changed := 0 // events are sent before Verify returns
	for len(events) > 0 {
		if ev := <-events; ev.Kind == agent.EventChanged {
			changed++
		}
	}
	if changed != 1 {
		t.Errorf("the consoles were told %d times of the verify of the newest, want once", changed)
	}

	if rep := run(); rep.Recopied != 1 {
		t.Errorf("the next run copied %d afresh, want 1", rep.Recopied)
	}
	if clear, _, _, err := tasks.Health(ctx, nil); err != nil || clear[0].LastDamaged != 0 {
		t.Fatalf("the health after the next run: %+v, %v", clear, err)
	}
}

// Copies found damaged by hand while a run is under way go into that
// run's record as it ends (the run began before the note that has the
// next run copy them afresh), so the health says so; and the record
// says they were found while it ran, once.
func TestCopiesFoundDamagedWhileARunIsUnderWayAreInItsRecord(t *testing.T) {
	tasks, c, dest, run := weeklyVerified(t)
	ctx := context.Background()
	run()
	snaps, err := tasks.Snapshots(ctx, "docs")
	if err != nil || len(snaps) != 1 {
		t.Fatalf("%d snapshots, %v", len(snaps), err)
	}
	testfs.Damage(t, filepath.Join(snaps[0].Path, filepath.Dir(dest), "data", "a.txt"))
	// A run that copies for a while, at the least speed limit.
	src := filepath.Join(filepath.Dir(dest), "data")
	if err := os.WriteFile(filepath.Join(src, "big"), make([]byte, 4<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	info, err := tasks.Get(ctx, "docs")
	if err != nil {
		t.Fatal(err)
	}
	slow := info.Task
	slow.Speed = backup.MinSpeed
	if _, _, err := tasks.Put(ctx, slow, agent.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	c.add(time.Minute)
	h, err := tasks.Run(ctx, "docs", backup.TriggerManual)
	if err != nil {
		t.Fatal(err)
	}
	if vr, err := tasks.Verify(ctx, "docs", snaps[0].ID, nil); err != nil || vr.Changed != 1 {
		t.Fatalf("the verify by hand during the run: %+v, %v", vr, err)
	}
	// The run's record as it is on disk while it runs has them too: an
	// agent killed now finds them in it at its next start, which makes
	// it the interrupted run's.
	if recs, err := tasks.History(ctx, "docs", 1); err != nil || recs[0].Result != backup.ResultRunning || recs[0].FoundDamaged != 1 {
		t.Fatalf("the record of the run under way (%v): %+v", err, recs)
	}
	if _, err := tasks.Stop(ctx, "docs"); err != nil {
		t.Fatal(err)
	}
	<-h.Done()
	info, err = tasks.Get(ctx, "docs")
	if err != nil || info.LastRun.Result != backup.ResultStopped || info.LastRun.FoundDamaged != 1 || info.LastRun.Amended != 0 ||
		!strings.Contains(info.LastRun.Describe(), "while it ran, 1 copy found damaged (") {
		t.Fatalf("the run's record (%v):\n%s", err, info.LastRun.Describe())
	}
	if health, _, _, err := tasks.Health(ctx, nil); err != nil || health[0].LastDamaged != 1 {
		t.Fatalf("the health: %+v, %v", health, err)
	}
}

// minuteClock is a clock 300 ms before a minute starts, which a daily
// task at that minute (dailySpec) is due at; add moves it on.
type minuteClock struct {
	offset atomic.Int64
	slot   time.Time
}

func newMinuteClock() *minuteClock {
	real := time.Now()
	c := &minuteClock{}
	c.offset.Store(int64(real.Truncate(time.Minute).Add(time.Minute - 300*time.Millisecond).Sub(real)))
	c.slot = c.now().Add(300 * time.Millisecond).Truncate(time.Minute)
	return c
}

func (c *minuteClock) now() time.Time      { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *minuteClock) add(d time.Duration) { c.offset.Add(int64(d)) }
func (c *minuteClock) dailySpec() string {
	return fmt.Sprintf("%d %d * * *", c.slot.Minute(), c.slot.Hour())
}

// startTasksHeard starts a task manager on db whose events are heard from
// before it starts (a run it starts at once is not missed).
func startTasksHeard(t *testing.T, db *store.DB, cfg agent.TasksConfig) (*agent.Tasks, <-chan agent.TaskEvent) {
	t.Helper()
	logger, _ := test.NewNullLogger()
	cfg.DB, cfg.Logger = db, logger
	tasks := agent.NewTasks(cfg)
	events, unsubscribe := tasks.Subscribe(64)
	t.Cleanup(unsubscribe)
	if err := tasks.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tasks.Close)
	return tasks, events
}

// finished is the report of the next run to end, heard on events.
func finished(t *testing.T, events <-chan agent.TaskEvent, what string) backup.Report {
	t.Helper()
	return heard(t, events, agent.EventFinished, what)
}

// heard is the report of the next run event of kind (started, finished)
// on events.
func heard(t *testing.T, events <-chan agent.TaskEvent, kind, what string) backup.Report {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case ev := <-events:
			if ev.Kind == kind {
				return *ev.Report
			}
		case <-deadline:
			t.Fatalf("%s: no run %s within 10 s", what, kind)
		}
	}
}

// A paused task is left alone by the scheduler, is never overdue and has
// no next run, while it keeps its schedule for when it is resumed; it
// still runs when asked.
func TestAPausedTaskRunsOnlyWhenAsked(t *testing.T) {
	db := openDB(t)
	src, dest := backupDirs(t)
	c := newMinuteClock()
	tasks, events := startTasksHeard(t, db, agent.TasksConfig{Schedule: true, Now: c.now})
	ctx := context.Background()
	for _, task := range []backup.Task{
		{Name: "paused", Sources: []string{src}, Destination: dest, Schedule: c.dailySpec(), CatchUp: true, Paused: true},
		{Name: "running", Sources: []string{src}, Destination: dest, Schedule: c.dailySpec()},
	} {
		if _, _, err := tasks.Put(ctx, task, agent.PutOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	// Both were due at the same minute: the scheduler ran one.
	if r := finished(t, events, "the scheduled run"); r.Task != "running" {
		t.Fatalf("the scheduler ran %s", r.Task)
	}
	info, err := tasks.Get(ctx, "paused")
	// Never overdue: no time is given it after its last success.
	if err != nil || info.LastRun != nil || !info.NextRun.IsZero() || info.OverdueAfter != 0 || info.Task.Schedule != c.dailySpec() {
		t.Fatalf("the paused task: ran %v, next run %v, overdue after %v, schedule %q (%v)", info.LastRun != nil, info.NextRun, info.OverdueAfter, info.Task.Schedule, err)
	}
	if h, err := tasks.Run(ctx, "paused", backup.TriggerManual); err != nil || h.Report().Result != backup.ResultCompleted {
		t.Fatalf("a paused task asked to run: %v", err)
	}
	info.Task.Paused = false
	resumed, _, err := tasks.Put(ctx, info.Task, agent.PutOptions{})
	if err != nil || resumed.NextRun.IsZero() || resumed.OverdueAfter != backup.Duration(48*time.Hour) {
		t.Fatalf("resumed: next run %v, overdue after %v (%v)", resumed.NextRun, resumed.OverdueAfter, err)
	}
}

// A scheduled run killed with the agent, which comes back only after the
// task's next time has passed, promises no retry: the catch-up run of
// that time serves instead.
func TestARunKilledBeforeALongOutageIsCaughtUpNotRetried(t *testing.T) {
	db := openDB(t)
	src, dest := backupDirs(t)
	started := time.Now().Add(-49 * time.Hour)
	task := backup.Task{Name: "docs", Sources: []string{src}, Destination: dest, Schedule: "daily@00:00", CatchUp: true,
		Retries: 2, Version: 1, Created: started.Add(-time.Hour)}
	doc, _ := json.Marshal(task)
	_ = db.UpdateTask("docs", func([]byte) ([]byte, error) { return doc, nil })
	running, _ := json.Marshal(backup.Report{Task: "docs", Trigger: backup.TriggerSchedule, Started: started, Result: backup.ResultRunning})
	if _, err := db.AppendRun("docs", running, agent.RunsKept); err != nil {
		t.Fatal(err)
	}
	tasks, events := startTasksHeard(t, db, agent.TasksConfig{Schedule: true})
	if r := heard(t, events, agent.EventStarted, "the catch-up run"); r.Trigger != backup.TriggerCatchUp {
		t.Fatalf("back after the outage it ran %s (attempt %d)", r.Trigger, r.Attempt)
	}
	hist, _ := tasks.History(context.Background(), "docs", 0)
	i := slices.IndexFunc(hist, func(r backup.Report) bool { return r.Started.Equal(started) })
	if i < 0 || hist[i].Result != backup.ResultInterrupted || !hist[i].RetryAt.IsZero() {
		t.Fatalf("the killed run's record among %+v", hist)
	}
}

// task list, task show and the console's Tasks tab say when a failed run
// is tried again, until the try begins.
func TestALastRunSaysWhenItIsTriedAgain(t *testing.T) {
	at := time.Date(2026, 12, 5, 2, 10, 0, 0, time.Local)
	info := agent.TaskInfo{LastRun: &backup.Report{Result: backup.ResultFailed, Finished: at.Add(-10 * time.Minute), RetryAt: at}}
	if got := info.LastResult(); got != "failed (tried again at 02:10)" {
		t.Errorf("waiting for its retry: %q", got)
	}
	info.Running = true
	if got := info.LastResult(); got != "failed" {
		t.Errorf("while it is tried again: %q", got)
	}
	info.LastRun.RetryAt, info.Running = info.LastRun.Finished, false
	if got := info.LastResult(); got != "failed (tried again once its agent is back)" {
		t.Errorf("cut short by its agent's end: %q", got)
	}
	if got := (agent.TaskInfo{}).LastResult(); got != "" {
		t.Errorf("never run: %q", got)
	}
}

// A share that is not mounted leaves its mount point an empty folder: a
// run there would write a whole new backup onto the system disk. The run
// fails instead, saying so, however many times it is tried, until the
// share is back (and links to its snapshots again) or the task folder is
// made by hand; a destination changed by an edit begins afresh.
func TestARunDoesNotBeginAfreshInAnUnmountedSharesMountPoint(t *testing.T) {
	tasks, _, info, dest := docsTask(t)
	ctx := context.Background()
	run := func(what string) backup.Report {
		t.Helper()
		h, err := tasks.Run(ctx, "docs", "manual")
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return h.Report()
	}
	first := run("the first run")
	if first.Result != backup.ResultCompleted {
		t.Fatalf("the first run: %+v", first)
	}
	share := dest + ".share"
	if err := os.Rename(dest, share); err != nil { // unmounted…
		t.Fatal(err)
	}
	if err := os.Mkdir(dest, 0o755); err != nil { // …its mount point left
		t.Fatal(err)
	}
	for i := range 2 {
		rep := run("a run with the share unmounted")
		if rep.Result != backup.ResultFailed || !strings.Contains(rep.Error, "is the share it is on mounted?") || !strings.Contains(rep.Error, first.Snapshot) {
			t.Fatalf("run %d with the share unmounted: %s: %s", i+1, rep.Result, rep.Error)
		}
	}
	if ents, _ := os.ReadDir(dest); len(ents) != 0 {
		t.Fatalf("the mount point was written to: %v", ents)
	}
	// Mounted again: the run goes on from the share's snapshots.
	if err := os.Remove(dest); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(share, dest); err != nil {
		t.Fatal(err)
	}
	if rep := run("the run with the share back"); rep.Result != backup.ResultCompleted || rep.FilesLinked != 2 {
		t.Fatalf("the run with the share back: %+v", rep)
	}
	// Beginning afresh there is a folder made by hand.
	if err := os.RemoveAll(filepath.Join(dest, "docs")); err != nil {
		t.Fatal(err)
	}
	if rep := run("a run with the folder gone"); rep.Result != backup.ResultFailed {
		t.Fatalf("a run with the task's folder gone: %+v", rep)
	}
	if err := os.Mkdir(filepath.Join(dest, "docs"), 0o700); err != nil {
		t.Fatal(err)
	}
	if rep := run("a run in a folder made by hand"); rep.Result != backup.ResultCompleted || rep.FilesCopied != 2 {
		t.Fatalf("a run in a folder made by hand: %+v", rep)
	}
	// Another destination, by an edit, begins afresh.
	edit := info.Task
	edit.Destination = t.TempDir()
	if _, _, err := tasks.Put(ctx, edit, agent.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	if rep := run("a run at a new destination"); rep.Result != backup.ResultCompleted {
		t.Fatalf("a run at a new destination: %+v", rep)
	}
}

// A run recorded before runs said where they wrote still protects the
// mount point while the task is as it was then; a failure since passes the
// guard on, an edit that keeps the destination included.
func TestARunRecordedBeforeRunsSaidWhereStillGuardsTheMountPoint(t *testing.T) {
	tasks, info, dest := oldRecordedRun(t)
	if err := os.Rename(dest, dest+".share"); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(dest, 0o755); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	h, err := tasks.Run(ctx, "docs", "manual")
	if err != nil {
		t.Fatal(err)
	}
	if rep := h.Report(); rep.Result != backup.ResultFailed || !strings.Contains(rep.Error, "is the share it is on mounted?") {
		t.Fatalf("with the share unmounted after an older run: %s: %s", rep.Result, rep.Error)
	}
	// The failed run recorded the guard with its destination, which an
	// edit that keeps it does not drop.
	edit := info.Task
	edit.Schedule = "hourly"
	if _, _, err := tasks.Put(ctx, edit, agent.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	h, err = tasks.Run(ctx, "docs", "manual")
	if err != nil {
		t.Fatal(err)
	}
	if rep := h.Report(); rep.Result != backup.ResultFailed {
		t.Fatalf("after an edit that kept the destination: %s: %s", rep.Result, rep.Error)
	}
}

// A run recorded before runs said where is not taken for the destination
// once the task was saved since: it may have been given another.
func TestARunRecordedBeforeRunsSaidWhereCountsUntilTheTaskIsSaved(t *testing.T) {
	tasks, info, _ := oldRecordedRun(t)
	ctx := context.Background()
	edit := info.Task
	edit.Destination = t.TempDir()
	if _, _, err := tasks.Put(ctx, edit, agent.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	h, err := tasks.Run(ctx, "docs", "manual")
	if err != nil {
		t.Fatal(err)
	}
	if rep := h.Report(); rep.Result != backup.ResultCompleted {
		t.Fatalf("at the destination the task was given since: %s: %s", rep.Result, rep.Error)
	}
}

// oldRecordedRun adds task docs, runs it once and rewrites its record as
// an agent from before recorded runs: without the destination.
func oldRecordedRun(t *testing.T) (*agent.Tasks, agent.TaskInfo, string) {
	t.Helper()
	tasks, db, info, dest := docsTask(t)
	if rep := runNow(t, tasks, "docs"); rep.Result != backup.ResultCompleted {
		t.Fatalf("the first run: %s %s", rep.Result, rep.Error)
	}
	recs, err := db.Runs("docs", 1)
	if err != nil || len(recs) != 1 {
		t.Fatalf("runs %v %v", recs, err)
	}
	var rep map[string]any
	if err := json.Unmarshal(recs[0].Doc, &rep); err != nil {
		t.Fatal(err)
	}
	delete(rep, "destination")
	delete(rep, "expect")
	doc, _ := json.Marshal(rep)
	if err := db.PutRun("docs", recs[0].Seq, doc); err != nil {
		t.Fatal(err)
	}
	return tasks, info, dest
}

// A task's state is counted as the console's Backups window counts it: a
// failed last run is failed (the command line showed it "ok"), and a task
// never run is unknown.
func TestATasksStateIsTheConsoles(t *testing.T) {
	at := time.Date(2026, 12, 7, 2, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name string
		info agent.TaskInfo
		want health.State
	}{
		{"never run", agent.TaskInfo{}, health.StateUnknown},
		{"completed", agent.TaskInfo{LastRun: &backup.Report{Result: backup.ResultCompleted}, LastSuccess: at}, health.StateOK},
		{"failed since a success", agent.TaskInfo{LastRun: &backup.Report{Result: backup.ResultFailed}, LastSuccess: at.Add(-24 * time.Hour)}, health.StateFailed},
		{"interrupted", agent.TaskInfo{LastRun: &backup.Report{Result: backup.ResultInterrupted}}, health.StateFailed},
		{"stopped by hand", agent.TaskInfo{LastRun: &backup.Report{Result: backup.ResultStopped}, LastSuccess: at}, health.StateOK},
		{"overdue", agent.TaskInfo{LastRun: &backup.Report{Result: backup.ResultCompleted}, LastSuccess: at, Overdue: true}, health.StateOverdue},
		{"running", agent.TaskInfo{Running: true, LastSuccess: at}, health.StateRunning},
	} {
		if got := c.info.State(); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
}

// A task counts the runs that failed since its last success: a run
// stopped by hand after them leaves it failed, as the console's Backups
// window counts it, and a success makes it well.
func TestATaskStaysFailedUntilARunSucceeds(t *testing.T) {
	tasks, _, info, dest := docsTask(t)
	ctx := context.Background()
	run := func() backup.Report { t.Helper(); return runNow(t, tasks, "docs") }
	away := dest + "-away"
	if err := os.Rename(dest, away); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if rep := run(); rep.Result != backup.ResultFailed {
			t.Fatalf("a run with its destination gone: %s", rep.Result)
		}
	}
	got, err := tasks.Get(ctx, "docs")
	if err != nil || got.FailuresSinceSuccess != 2 || got.State() != health.StateFailed {
		t.Fatalf("after two failures: %d failures, %s, %v", got.FailuresSinceSuccess, got.State(), err)
	}
	// What a run stopped by hand leaves: the last run is not a failure.
	got.LastRun = &backup.Report{Result: backup.ResultStopped}
	if got.State() != health.StateFailed {
		t.Errorf("stopped after failures: %s, want failed", got.State())
	}
	if err := os.Rename(away, dest); err != nil {
		t.Fatal(err)
	}
	if rep := run(); !rep.Result.Succeeded() {
		t.Fatalf("a run with its destination back: %s %s", rep.Result, rep.Error)
	}
	if got, err = tasks.Get(ctx, info.Task.Name); err != nil || got.FailuresSinceSuccess != 0 || got.State() != health.StateOK {
		t.Fatalf("after a success: %d failures, %s, %v", got.FailuresSinceSuccess, got.State(), err)
	}
	// On the wire too.
	if back := agent.InfoFromPB(agent.InfoToPB(agent.TaskInfo{FailuresSinceSuccess: 3})); back.FailuresSinceSuccess != 3 {
		t.Errorf("failures since success on the wire: %d", back.FailuresSinceSuccess)
	}
}
