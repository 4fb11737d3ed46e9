package agent_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/lanyard/lanyard/core/agent"
	"github.com/lanyard/lanyard/core/backup"
	"github.com/lanyard/lanyard/core/health"
)

func TestARelinkingConsoleHearsOnlyWhatChangedSinceItLastLooked(t *testing.T) {
	db := openDB(t)
	tasks, _ := newTasks(t, db, agent.TasksConfig{})
	src, dest := backupDirs(t)
	ctx := context.Background()
	for _, task := range []backup.Task{
		{Name: "docs", Sources: []string{src}, Destination: dest, Schedule: "daily@02:00"},
		{Name: "Offsite", Sources: []string{src}, Destination: filepath.Join(dest, "gone"), Schedule: "hourly"},
		{Name: "old", Sources: []string{src}, Destination: dest},
	} {
		if _, _, err := tasks.Put(ctx, task, agent.PutOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	runNow(t, tasks, "docs")
	runNow(t, tasks, "Offsite")
	runNow(t, tasks, "Offsite")

	// A console that knows nothing hears of every task.
	first, removed, unchanged, err := tasks.Health(ctx, nil)
	if err != nil || len(first) != 3 || len(removed) != 0 || unchanged != 0 {
		t.Fatalf("first look: %d changed, %v removed, %d unchanged, %v", len(first), removed, unchanged, err)
	}
	byName := map[string]health.Task{}
	known := map[string]health.Cursor{}
	for _, h := range first {
		byName[h.Name] = h
		known[backup.NameKey(h.Name)] = h.Cursor
	}
	if d := byName["docs"]; d.LastResult != backup.ResultCompleted || d.LastSuccess.IsZero() || d.NextRun.IsZero() || d.OverdueAfter != 48*3600e9 ||
		d.Dest.Total == 0 || d.Dest.Wrote == 0 {
		t.Fatalf("docs: %+v", d)
	}
	if o := byName["Offsite"]; o.LastResult != backup.ResultFailed || o.FailuresSinceSuccess != 2 || o.LastError == "" || o.Cursor.RunSeq != 2 || !o.Cursor.RunDone {
		t.Fatalf("Offsite: %+v", o)
	}

	// Nothing happened: nothing is sent.
	changed, removed, unchanged, err := tasks.Health(ctx, known)
	if err != nil || len(changed) != 0 || len(removed) != 0 || unchanged != 3 {
		t.Fatalf("nothing changed: %d changed, %v removed, %d unchanged, %v", len(changed), removed, unchanged, err)
	}

	// A run, an edit and a removal: those three, and nothing else.
	runNow(t, tasks, "Offsite")
	info, err := tasks.Get(ctx, "docs")
	if err != nil {
		t.Fatal(err)
	}
	info.Task.Schedule = "daily@04:00"
	if _, _, err := tasks.Put(ctx, info.Task, agent.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := tasks.Remove(ctx, "old", 0); err != nil {
		t.Fatal(err)
	}
	known["ghost"] = health.Cursor{Version: 9}
	changed, removed, unchanged, err = tasks.Health(ctx, known)
	if err != nil || len(changed) != 2 || unchanged != 0 || len(removed) != 2 {
		t.Fatalf("after changes: %+v removed %v, %d unchanged, %v", changed, removed, unchanged, err)
	}
	for _, h := range changed {
		switch h.Name {
		case "docs":
			if h.Schedule != "daily@04:00" || h.Cursor.Version != 2 {
				t.Fatalf("docs: %+v", h)
			}
		case "Offsite":
			if h.FailuresSinceSuccess != 3 || h.Cursor.RunSeq != 3 {
				t.Fatalf("Offsite: %+v", h)
			}
		default:
			t.Fatalf("unexpected %s", h.Name)
		}
	}
	// The wire keeps all of it.
	for _, h := range changed {
		if back := agent.HealthFromPB(agent.HealthToPB(h)); back.Name != h.Name || back.FailuresSinceSuccess != h.FailuresSinceSuccess ||
			back.Cursor != h.Cursor && !back.Cursor.Created.Equal(h.Cursor.Created) || back.LastResult != h.LastResult || !back.NextRun.Equal(h.NextRun) ||
			back.Dest != h.Dest {
			t.Fatalf("through the wire: %+v, was %+v", back, h)
		}
	}
}
