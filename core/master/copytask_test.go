package master

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lanyard/lanyard/core/agent"
	"github.com/lanyard/lanyard/core/backup"
	"github.com/lanyard/lanyard/core/store"
)

// A task set up on one server is copied to others, each saving it
// through its own agent; a server that has a task of that name keeps it
// unless the copy replaces it, and a server that cannot take it (not
// there, the source itself) is its own result, not the others'.
func TestATaskIsCopiedToOtherSlaves(t *testing.T) {
	c := startConsole(t, false, nil)
	for _, name := range []string{"FS01", "FS02", "FS03"} {
		a := startAgentWith(t, name, "pw-"+name, false, nil)
		if _, err := c.AddSlave(SlaveSpec{Name: name, Direction: store.Outbound, Address: a.ListenAddr(), Password: []byte("pw-" + name), Group: "Acme"}); err != nil {
			t.Fatal(err)
		}
		c.waitState(t, name, StateConnected)
	}
	ctx := context.Background()
	src, dest := sourceTree(t, 2)
	docs := backup.Task{Name: "Docs", Sources: []string{src}, Destination: dest, Schedule: "0 2 * * *", Excludes: []string{"*.tmp"},
		Retention: backup.Retention{KeepDaily: 14}}
	if _, _, err := c.PutTask(ctx, "FS01", docs, agent.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	old := docs
	old.Name, old.Schedule = "docs", "manual" // FS03's own, by another spelling
	if _, _, err := c.PutTask(ctx, "FS03", old, agent.PutOptions{}); err != nil {
		t.Fatal(err)
	}

	var mu sync.Mutex
	var seen []string
	res, err := c.CopyTask(ctx, "fs01", "docs", []string{"fs02", "FS03", "FS01", "FS09"}, CopyOptions{}, func(r CopyResult) {
		mu.Lock()
		seen = append(seen, r.Slave)
		mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 4 || len(seen) != 4 {
		t.Fatalf("%d results, %d announced", len(res), len(seen))
	}
	if r := res[0]; r.Slave != "FS02" || r.Err != nil || r.Replaced || r.Info.Task.Schedule != "0 2 * * *" || r.Info.Task.Name != "Docs" {
		t.Errorf("FS02: %+v", r)
	}
	if r := res[1]; !errors.Is(r.Err, ErrTaskExists) || r.Err.Error() != `FS03 has a task named "docs" already, left as it is` {
		t.Errorf("FS03 without replace: %v", r.Err)
	}
	if got := res[0].Outcome() + " / " + res[1].Outcome(); got != `copied / not copied: FS03 has a task named "docs" already, left as it is` {
		t.Errorf("outcomes %q", got)
	}
	if r := res[2]; r.Err == nil || r.Err.Error() != "FS01 is the slave the task is copied from" {
		t.Errorf("FS01: %v", r.Err)
	}
	if r := res[3]; r.Err == nil || !strings.Contains(r.Err.Error(), "no slave named") {
		t.Errorf("FS09: %v", r.Err)
	}
	got, err := c.Task(ctx, "FS02", "docs")
	if err != nil || !slices.Equal(got.Task.Sources, docs.Sources) || !slices.Equal(got.Task.Excludes, docs.Excludes) ||
		got.Task.Retention != docs.Retention || got.Task.Destination != dest {
		t.Fatalf("FS02's copy %+v, %v", got.Task, err)
	}

	// Replace, and run: FS03's task becomes FS01's, under FS03's
	// spelling, and runs at once.
	events, stop := c.WatchTasks(64)
	defer stop()
	res, err = c.CopyTask(ctx, "FS01", "Docs", []string{"FS03"}, CopyOptions{Replace: true, Run: true}, nil)
	if err != nil || res[0].Err != nil || !res[0].Replaced || !res[0].Started || res[0].Outcome() != "replaced, run started" {
		t.Fatalf("replace: %+v %v", res, err)
	}
	if got, _ := c.Task(ctx, "FS03", "docs"); got.Task.Schedule != "0 2 * * *" || got.Task.Name != "docs" {
		t.Errorf("FS03 after the replace: %+v", got.Task)
	}
	deadline := time.After(30 * time.Second)
	for finished := false; !finished; {
		select {
		case e := <-events:
			finished = e.Slave == "FS03" && e.Kind == agent.EventFinished
			if finished && e.Report.Result != backup.ResultCompleted {
				t.Errorf("FS03's run: %s %s", e.Report.Result, e.Report.Error)
			}
		case <-deadline:
			t.Fatal("FS03's run did not finish within 30 s")
		}
	}

	// Servers that share a NAS: each gets a folder of its own, named
	// after it, and runs into it while the others' stay theirs.
	shared := t.TempDir()
	res, err = c.CopyTask(ctx, "FS01", "docs", []string{"FS02", "FS03"},
		CopyOptions{Replace: true, Run: true, Dest: filepath.Join(shared, ServerPlaceholder)}, nil)
	if err != nil || len(res) != 2 {
		t.Fatalf("a copy with a folder per server: %+v %v", res, err)
	}
	for _, r := range res {
		if want := filepath.Join(shared, r.Slave); r.Err != nil || r.Info.Task.Destination != want {
			t.Errorf("%s: %v, destination %s, want %s", r.Slave, r.Err, r.Info.Task.Destination, want)
		}
	}

	// A task that is not there copies nothing.
	if _, err := c.CopyTask(ctx, "FS01", "mail", []string{"FS02"}, CopyOptions{}, nil); err == nil || !strings.Contains(err.Error(), "no task named mail") {
		t.Errorf("copying a task that is not there: %v", err)
	}
}

// What an agent says in a copy's result (its warnings, a task's name) is
// its words: a warning stays as it is when plain and is quoted when not,
// and a name is quoted, as every peer's text is shown.
func TestACopysResultQuotesTheAgentsWords(t *testing.T) {
	r := CopyResult{Slave: "FS02", Warnings: []string{"the destination /mnt/x does not exist yet", "one\nFS03: copied"}}
	if got := r.Outcome(); got != `copied (the destination /mnt/x does not exist yet; "one\nFS03: copied")` {
		t.Errorf("outcome %q", got)
	}
	r = CopyResult{Slave: "FS02", Err: &TaskExistsError{Slave: "FS02", Task: "docs\u202e"}}
	if got := r.Outcome(); got != `not copied: FS02 has a task named "docs\u202e" already, left as it is` {
		t.Errorf("outcome %q", got)
	}
}

// Tasks of several slaves run at once, each through its own agent; one
// that cannot start (no such task, no such slave) is its own result, not
// the others'.
func TestTasksOfSeveralSlavesRunAtOnce(t *testing.T) {
	c := startConsole(t, false, nil)
	ctx := context.Background()
	src, dest := sourceTree(t, 2)
	for _, name := range []string{"FS01", "FS02"} {
		a := startAgentWith(t, name, "pw-"+name, false, nil)
		if _, err := c.AddSlave(SlaveSpec{Name: name, Direction: store.Outbound, Address: a.ListenAddr(), Password: []byte("pw-" + name)}); err != nil {
			t.Fatal(err)
		}
		c.waitState(t, name, StateConnected)
		own := filepath.Join(dest, name) // a folder of its own: the task's folder is one server's
		if err := os.Mkdir(own, 0o755); err != nil {
			t.Fatal(err)
		}
		if _, _, err := c.PutTask(ctx, name, backup.Task{Name: "docs", Sources: []string{src}, Destination: own, Schedule: "manual"}, agent.PutOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	events, stop := c.WatchTasks(64)
	defer stop()
	errs := make([]error, 4)
	told := 0
	c.RunTasks(ctx, []TaskRef{{"FS01", "docs"}, {"fs02", "DOCS"}, {"FS01", "mail"}, {"FS09", "docs"}}, func(i int, err error) {
		errs[i] = err
		told++
	})
	if told != 4 || errs[0] != nil || errs[1] != nil {
		t.Fatalf("told %d times; FS01: %v, FS02: %v", told, errs[0], errs[1])
	}
	if errs[2] == nil || !strings.Contains(errs[2].Error(), "mail") {
		t.Errorf("a task FS01 does not have: %v", errs[2])
	}
	if errs[3] == nil || !strings.Contains(errs[3].Error(), "no slave named") {
		t.Errorf("a slave that is not there: %v", errs[3])
	}
	finished := map[string]bool{}
	deadline := time.After(30 * time.Second)
	for len(finished) < 2 {
		select {
		case e := <-events:
			if e.Kind == agent.EventFinished {
				finished[e.Slave] = true
				if e.Report.Result != backup.ResultCompleted {
					t.Errorf("%s's run: %s %s", e.Slave, e.Report.Result, e.Report.Error)
				}
			}
		case <-deadline:
			t.Fatalf("runs finished within 30 s: %v, want FS01's and FS02's", finished)
		}
	}
}

// A destination that names the server it is copied from is offered with
// the name as a placeholder, whole folder names only, case aside; one
// that does not is offered as it is.
func TestACopysDestinationIsOfferedPerServer(t *testing.T) {
	for _, c := range []struct{ slave, dest, want string }{
		{"fs01", "/mnt/nas/fs01", "/mnt/nas/{server}"},
		{"FS01", "/mnt/nas/fs01/daily", "/mnt/nas/{server}/daily"},
		{"fs01", `D:\Backup\FS01`, `D:\Backup\{server}`},
		{"fs01", "/mnt/nas/fs01-old", "/mnt/nas/fs01-old"},
		{"fs01", "/mnt/backup", "/mnt/backup"},
		{"acme/fs01", "/mnt/nas/acme-fs01", "/mnt/nas/{server}"}, // as destFor writes the name
		{"fs01", "/fs01/x/fs01/", "/{server}/x/{server}/"},
		{"", "/mnt//x", "/mnt//x"},
	} {
		if got := PerServerDest(c.slave, c.dest); got != c.want {
			t.Errorf("PerServerDest(%q, %q) = %q, want %q", c.slave, c.dest, got, c.want)
		}
		// What is offered comes back to the server's own folder.
		if got := (CopyOptions{Dest: PerServerDest(c.slave, c.dest)}).destFor(c.slave, ""); !strings.EqualFold(got, c.dest) {
			t.Errorf("%q copied back to %s gives %q", c.dest, c.slave, got)
		}
	}
}
