package master

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lanyard/lanyard/core/agent"
	"github.com/lanyard/lanyard/core/backup"
	"github.com/lanyard/lanyard/core/store"
	"github.com/lanyard/lanyard/core/wire"
	"github.com/lanyard/lanyard/internal/testfs"
	"github.com/lanyard/lanyard/internal/testkit"
)

// sourceTree is a folder with n files and an empty destination beside it.
func sourceTree(t *testing.T, n int) (src, dest string) {
	t.Helper()
	root := t.TempDir()
	src, dest = filepath.Join(root, "data"), filepath.Join(root, "backups")
	for _, d := range []string{src, dest} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for i := range n {
		if err := os.WriteFile(filepath.Join(src, "f"+strings.Repeat("x", i)+".txt"), []byte(strings.Repeat("y", 1000*i)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return src, dest
}

// docsTask gives FS01, linked to c, a manual task docs of a source tree
// of n files (sourceTree).
func docsTask(t *testing.T, c *console, n int) (src, dest string) {
	t.Helper()
	src, dest = sourceTree(t, n)
	if _, _, err := c.PutTask(context.Background(), "FS01", backup.Task{Name: "docs", Sources: []string{src}, Destination: dest, Schedule: "manual"}, agent.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	return src, dest
}

func TestTwoConsolesManageOneAgentsTasksAndSeeTheSameRun(t *testing.T) {
	a := startAgentWith(t, "FS01", "pw-one", true, nil)
	c1, c2 := startConsole(t, true, nil), startConsole(t, true, nil)
	for _, c := range []*console{c1, c2} {
		if _, err := c.AddSlave(SlaveSpec{Name: "FS01", Direction: store.Outbound, Address: a.ListenAddr(), Password: []byte("pw-one")}); err != nil {
			t.Fatal(err)
		}
		c.waitState(t, "FS01", StateConnected)
	}
	watch2, stop2 := c2.WatchTasks(1024)
	defer stop2()
	ctx := context.Background()
	src, dest := sourceTree(t, 30)

	check, err := c1.CheckTask(ctx, "FS01", backup.Task{Name: "docs", Sources: []string{src}, Destination: filepath.Join(src, "in"), Schedule: "hourly"})
	if err != nil || check.Field != backup.FieldDestination || len(check.NextRuns) != 5 {
		t.Fatalf("check: %+v, %v", check, err)
	}
	// A relative path means nothing on the server: refused as given, not
	// made absolute against the agent's working folder.
	check, err = c1.CheckTask(ctx, "FS01", backup.Task{Name: "docs", Sources: []string{src}, Destination: "backups", Schedule: "manual"})
	if err != nil || check.Field != backup.FieldDestination || !strings.Contains(check.Error, `destination "backups" is not an absolute path`) {
		t.Fatalf("check of a relative destination: %+v, %v", check, err)
	}
	if _, _, err := c1.PutTask(ctx, "FS01", backup.Task{Name: "docs", Sources: []string{"data"}, Destination: dest}, agent.PutOptions{}); err == nil ||
		!strings.Contains(err.Error(), `source "data" is not an absolute path`) {
		t.Fatalf("add with a relative source: %v", err)
	}
	// A destination folder not made yet: the check says so, and a save
	// asked to creates it on the server.
	dest = filepath.Join(dest, "fs01")
	check, err = c1.CheckTask(ctx, "FS01", backup.Task{Name: "docs", Sources: []string{src}, Destination: dest, Schedule: "manual"})
	if err != nil || check.Error != "" || !check.DestinationMissing || check.DestTotal == 0 || check.DestFree > check.DestTotal {
		t.Fatalf("check of a destination not made yet: %+v, %v", check, err)
	}
	info, warnings, err := c1.PutTask(ctx, "FS01", backup.Task{Name: "docs", Sources: []string{src}, Destination: dest, Schedule: "manual"}, agent.PutOptions{CreateDestination: true})
	if err != nil || info.Task.Version != 1 || len(warnings) != 0 {
		t.Fatalf("add: %+v, %v, %v", info, warnings, err)
	}
	if fi, err := os.Stat(dest); err != nil || !fi.IsDir() {
		t.Fatalf("the destination was not made: %v", err)
	}
	waitTaskEvent(t, watch2, func(e TaskEvent) bool { return e.Kind == agent.EventChanged && e.Task == "docs" })

	// Both consoles read version 1; the first to save wins, the second
	// is told, and nothing is lost.
	t1, _ := c1.Task(ctx, "FS01", "docs")
	t2, _ := c2.Task(ctx, "FS01", "docs")
	t1.Task.Retention.KeepLast = 5
	if _, _, err := c1.PutTask(ctx, "FS01", t1.Task, agent.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	t2.Task.Retention.KeepLast = 9
	_, _, err = c2.PutTask(ctx, "FS01", t2.Task, agent.PutOptions{})
	if !errors.Is(err, agent.ErrConflict) || !strings.Contains(err.Error(), "changed by another console: reload") {
		t.Fatalf("the second save: %v", err)
	}
	if cur, _ := c2.Task(ctx, "FS01", "docs"); cur.Task.Retention.KeepLast != 5 || cur.Task.Version != 2 {
		t.Fatalf("after the refused save: %+v", cur.Task)
	}

	// A run started by one console: the other sees its progress and end.
	progressed := 0
	rep, err := c1.RunTaskAndWait(ctx, "FS01", "docs", func(backup.Status) { progressed++ })
	if err != nil || rep.Result != backup.ResultCompleted || rep.Trigger != "console" {
		t.Fatalf("run: %+v, %v", rep, err)
	}
	waitTaskEvent(t, watch2, func(e TaskEvent) bool { return e.Kind == agent.EventProgress && e.Slave == "FS01" })
	waitTaskEvent(t, watch2, func(e TaskEvent) bool { return e.Kind == agent.EventFinished && e.Report.Snapshot == rep.Snapshot })
	if progressed == 0 {
		t.Error("the console that ran it saw no progress")
	}

	hist, err := c2.TaskHistory(ctx, "FS01", "docs", 0)
	if err != nil || len(hist) != 1 || hist[0].Snapshot != rep.Snapshot {
		t.Fatalf("history: %+v, %v", hist, err)
	}
	snaps, err := c2.TaskSnapshots(ctx, "FS01", "docs")
	if err != nil || len(snaps) != 1 {
		t.Fatalf("snapshots: %+v, %v", snaps, err)
	}
	page, err := c2.BrowseSnapshot(ctx, "FS01", "docs", "latest", src, "", 0)
	if err != nil || len(page.Entries) != 30 {
		t.Fatalf("browse: %d entries, %v", len(page.Entries), err)
	}
	target := t.TempDir()
	rr, err := c2.RestoreSnapshot(ctx, "FS01", "docs", snaps[0].ID, backup.RestoreOptions{Target: target, Paths: []string{filepath.Join(src, "fx.txt")}}, nil)
	if err != nil || rr.Files != 1 {
		t.Fatalf("restore: %+v, %v", rr, err)
	}
	vr, err := c1.VerifySnapshot(ctx, "FS01", "docs", "latest", nil)
	if err != nil || !vr.OK() {
		t.Fatalf("verify: %+v, %v", vr, err)
	}

	// Every command that changed something or started work is audited;
	// a long one (verify, restore) as started before it is sent too, so
	// a console stopped meanwhile leaves a record of it.
	recs, _ := c1.Audit(AuditFilter{Slave: "FS01"})
	var cmds []string
	for _, r := range recs {
		cmds = append(cmds, r.Command+": "+r.Result)
	}
	want := []string{`task add docs: failed: FS01 answered: source "data" is not an absolute path`, "task add docs (creating its destination folder): ok", "task edit docs (version 1): ok", "task run docs: ok", "task verify docs latest: started", "task verify docs latest: ok"}
	if strings.Join(cmds, "\n") != strings.Join(want, "\n") {
		t.Errorf("audit of the first console:\n%s", strings.Join(cmds, "\n"))
	}
	recs, _ = c2.Audit(AuditFilter{})
	if len(recs) != 3 || !recs[0].Problem() || recs[1].Command != "task restore docs "+snaps[0].ID+" into "+target+" (1 path)" ||
		recs[1].Result != store.AuditStarted || recs[1].Problem() || recs[2].Command != recs[1].Command || recs[2].Result != store.AuditOK {
		t.Errorf("audit of the second console: %+v", recs)
	}

	// The same restore again stops before the file now there, and the
	// console learns which file in a form its window words itself.
	_, err = c2.RestoreSnapshot(ctx, "FS01", "docs", snaps[0].ID, backup.RestoreOptions{Target: target, Paths: []string{filepath.Join(src, "fx.txt")}}, nil)
	var ex *backup.ExistsError
	if !errors.As(err, &ex) || !errors.Is(err, backup.ErrExists) || ex.Count != 1 ||
		!slices.Equal(ex.Paths, []string{filepath.Join(target, src, "fx.txt")}) {
		t.Fatalf("a restore over the file restored: %v (%+v)", err, ex)
	}

	// A copy damaged on the backup disk since: the console hears how many
	// files came from damaged copies, and which.
	copyOf := filepath.Join(backup.TaskDir(dest, "docs"), snaps[0].ID, src, "fx.txt") // its place in the snapshot
	testfs.Damage(t, copyOf)
	rr, err = c2.RestoreSnapshot(ctx, "FS01", "docs", snaps[0].ID, backup.RestoreOptions{Target: target, Paths: []string{filepath.Join(src, "fx.txt")}, Overwrite: true}, nil)
	if err != nil || rr.Damaged != 1 || len(rr.Warnings) != 2 || !strings.HasPrefix(rr.Warnings[0], filepath.Join(target, src, "fx.txt")+" was restored from a damaged copy") {
		t.Fatalf("a restore of a damaged copy: %+v, %v", rr, err)
	}
	// Both consoles' backup health says so at once, until the next run.
	for _, c := range []*console{c1, c2} {
		rowsOf(t, c, "the copy found damaged in the health", func(rows map[string]BackupRow) bool { return rows["docs"].LastDamaged == 1 })
	}
	// One gone missing: the console hears that it could not be restored.
	if err := os.Remove(copyOf); err != nil {
		t.Fatal(err)
	}
	rr, err = c2.RestoreSnapshot(ctx, "FS01", "docs", snaps[0].ID, backup.RestoreOptions{Target: target, Paths: []string{filepath.Join(src, "fx.txt")}, Overwrite: true}, nil)
	if err != nil || rr.Unreadable != 1 || rr.Files != 0 || !strings.Contains(rr.Warnings[0], "its copy in the snapshot cannot be read") {
		t.Fatalf("a restore of a copy gone missing: %+v, %v", rr, err)
	}
}

func waitTaskEvent(t *testing.T, events <-chan TaskEvent, ok func(TaskEvent) bool) TaskEvent {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		select {
		case e := <-events:
			if ok(e) {
				return e
			}
		case <-deadline:
			t.Fatal("no such task event within 20s")
		}
	}
}

// A snapshot deleted from the console is gone on the agent, audited, and
// the destination's room it left is in the backup health of this console
// and of every other one linked to the server at once, not only after
// the next run.
func TestASnapshotDeletedFromTheConsoleLeavesItsRoomInTheHealth(t *testing.T) {
	a := startAgentWith(t, "FS01", "pw-one", false, nil)
	otherLog := testkit.NewLogWatch()
	c, other := startConsole(t, false, nil), startConsoleWith(t, false, nil, func(cfg *Config) {
		l, _ := testkit.Logger()
		l.AddHook(otherLog)
		cfg.Logger = l
	})
	for _, c := range []*console{c, other} {
		if _, err := c.AddSlave(SlaveSpec{Name: "FS01", Direction: store.Outbound, Address: a.ListenAddr(), Password: []byte("pw-one")}); err != nil {
			t.Fatal(err)
		}
		c.waitState(t, "FS01", StateConnected)
	}
	watchOther, unwatch := other.WatchTasks(64)
	defer unwatch()
	ctx := context.Background()
	src, dest := docsTask(t, c, 3)
	var first backup.Report
	for i := range 2 {
		rep, err := c.RunTaskAndWait(ctx, "FS01", "docs", nil)
		if err != nil || rep.Result != backup.ResultCompleted {
			t.Fatalf("run: %+v, %v", rep, err)
		}
		if i == 0 {
			first = rep
		}
	}
	if _, err := c.DeleteSnapshot(ctx, "FS01", "docs", "latest"); err == nil || !strings.Contains(err.Error(), "by its ID") {
		t.Fatalf("deleting latest: %v", err)
	}
	// Estimated first: the second run changed nothing, so every file is
	// shared and deleting the first frees only its folders.
	est, err := c.EstimateDeletion(ctx, "FS01", "docs", first.Snapshot)
	if err != nil || est.Snapshot != first.Snapshot || est.OwnFiles != 0 || est.SharedFiles != 3 ||
		!strings.Contains(est.Describe(), "all its 3 files are shared with other snapshots") {
		t.Fatalf("the estimate: %+v, %v", est, err)
	}
	dr, err := c.DeleteSnapshot(ctx, "FS01", "docs", first.Snapshot)
	if err != nil || dr.Snapshot != first.Snapshot || dr.Task != "docs" || dr.DestTotal == 0 {
		t.Fatalf("delete: %+v, %v", dr, err)
	}
	snaps, err := c.TaskSnapshots(ctx, "FS01", "docs")
	if err != nil || len(snaps) != 1 || snaps[0].ID == first.Snapshot {
		t.Fatalf("snapshots after: %+v, %v", snaps, err)
	}
	for _, c := range []*console{c, other} {
		rowsOf(t, c, "the room after the deletion", func(r map[string]BackupRow) bool {
			return r["docs"].Dest.Free == dr.DestFree && r["docs"].Dest.Total == dr.DestTotal
		})
	}
	ev := waitTaskEvent(t, watchOther, func(e TaskEvent) bool { return e.Kind == agent.EventDeleted })
	if ev.Slave != "FS01" || ev.Task != "docs" || *ev.Deleted != dr {
		t.Fatalf("the other console heard %+v (%+v), want %+v", ev, ev.Deleted, dr)
	}
	otherLog.Wait(t, 0, "the deletion in the other console's log", func(l testkit.Logged) bool {
		return l.Event == "snapshot_deleted" && strings.HasPrefix(l.Message, "FS01: snapshot "+first.Snapshot+" of task docs deleted")
	})
	// A check of a tighter retention says what the next run would remove.
	check, err := c.CheckTask(ctx, "FS01", backup.Task{Name: "docs", Sources: []string{src}, Destination: dest, Schedule: "manual",
		Retention: backup.Retention{KeepLast: 1}})
	if p := check.Retention; err != nil || p.Snapshots != 1 || p.Removes != 1 || !p.OldestRemoved.Equal(snaps[0].Time) {
		t.Fatalf("the check's retention preview: %+v, %v", check.Retention, err)
	}

	// Audited as started before it was sent (a big snapshot takes a
	// while), then as done.
	recs, _ := c.Audit(AuditFilter{Slave: "FS01"})
	if n := len(recs); n < 2 || recs[n-2].Command != "task delete-snapshot docs "+first.Snapshot || recs[n-2].Result != store.AuditStarted ||
		recs[n-1].Command != recs[n-2].Command || recs[n-1].Result != store.AuditOK {
		t.Fatalf("audit: %+v", recs)
	}
}

// An agent from before snapshots could be deleted is named, with what
// to do: upgrade it.
func TestDeletingASnapshotOnAnOlderAgentSaysToUpgradeIt(t *testing.T) {
	a := startAgentWith(t, "FS01", "pw-one", false, func(cfg *agent.Config) {
		cfg.WithoutMethods = []string{wire.MethodTaskDeleteSnapshot, wire.MethodTaskEstimateDeletion}
	})
	c := startConsole(t, false, nil)
	if _, err := c.AddSlave(SlaveSpec{Name: "FS01", Direction: store.Outbound, Address: a.ListenAddr(), Password: []byte("pw-one")}); err != nil {
		t.Fatal(err)
	}
	c.waitState(t, "FS01", StateConnected)
	_, err := c.DeleteSnapshot(context.Background(), "FS01", "docs", "2026-12-01T020000Z")
	if !errors.Is(err, ErrNotSupported) || !strings.Contains(err.Error(), "FS01: deleting a snapshot is not supported by this agent version") ||
		!strings.Contains(err.Error(), "upgrade lanyard-agent on it") {
		t.Fatalf("on an older agent: %v", err)
	}
	_, err = c.EstimateDeletion(context.Background(), "FS01", "docs", "2026-12-01T020000Z")
	if !errors.Is(err, ErrNotSupported) || !strings.Contains(err.Error(), "FS01: estimating what a deletion frees is not supported by this agent version") {
		t.Fatalf("an estimate on an older agent: %v", err)
	}
}

// The console lists the server's own folders, a page at a time, to choose
// a task's paths from; a folder that is not there is said in the agent's
// words, and an agent from before is named with what to do.
func TestTheConsoleListsTheServersFolders(t *testing.T) {
	c, _ := linked(t, false, nil)
	ctx := context.Background()
	src, _ := sourceTree(t, 3)
	page, err := c.ListFolder(ctx, "FS01", filepath.Dir(src), "", 0)
	if err != nil || page.Dir != filepath.Dir(src) || page.Total != 2 || len(page.Entries) != 2 ||
		page.Entries[0].Name != "backups" || page.Entries[0].Type != backup.TypeDir || page.Entries[1].Name != "data" {
		t.Fatalf("the folder holding data and backups: %+v, %v", page, err)
	}
	page, err = c.ListFolder(ctx, "FS01", src, "", 2)
	if err != nil || page.Total != 3 || len(page.Entries) != 2 || page.Next != page.Entries[1].Name {
		t.Fatalf("the first page of 2: %+v, %v", page, err)
	}
	if rest, err := c.ListFolder(ctx, "FS01", src, page.Next, 2); err != nil || len(rest.Entries) != 1 || rest.Next != "" ||
		rest.Entries[0].Type != backup.TypeFile || rest.Entries[0].Size != 2000 {
		t.Fatalf("the page after %q: %+v, %v", page.Next, rest, err)
	}
	_, err = c.ListFolder(ctx, "FS01", filepath.Join(src, "gone"), "", 0)
	var ae *AgentError
	if !errors.As(err, &ae) || !ae.Mistake() || !strings.Contains(err.Error(), "does not exist on this server") {
		t.Fatalf("a folder not there: %v", err)
	}

	old, _ := linked(t, false, func(cfg *agent.Config) { cfg.WithoutMethods = []string{wire.MethodTaskListFolder} })
	if _, err := old.ListFolder(ctx, "FS01", "", "", 0); !errors.Is(err, ErrNotSupported) ||
		!strings.Contains(err.Error(), "browsing the server's folders is not supported by this agent version") {
		t.Fatalf("on an older agent: %v", err)
	}
}

// The console makes a folder on the server, where a destination or a
// restore may go: once (a folder there is left as it is), never its
// missing parents, audited; an agent from before says what to do.
func TestTheConsoleMakesAFolderOnTheServer(t *testing.T) {
	c, _ := linked(t, false, nil)
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "fs01")
	if made, err := c.MakeFolder(ctx, "FS01", dir); err != nil || !made {
		t.Fatalf("a new folder: %v, %v", made, err)
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() || fi.Mode().Perm() != 0o700 {
		t.Fatalf("on the server: %v, %v", fi, err)
	}
	if r := lastAudit(t, c); r.Command != "task folder --create "+dir || r.Result != store.AuditOK {
		t.Errorf("audit %+v", r)
	}
	if made, err := c.MakeFolder(ctx, "FS01", dir); err != nil || made {
		t.Fatalf("a folder there already: %v, %v", made, err)
	}
	_, err := c.MakeFolder(ctx, "FS01", filepath.Join(dir, "nas", "x"))
	var ae *AgentError
	if !errors.As(err, &ae) || !ae.Mistake() || !strings.Contains(err.Error(), "its parent folder "+filepath.Join(dir, "nas")+" does not exist") {
		t.Fatalf("a folder whose parent is missing: %v", err)
	}

	old, _ := linked(t, false, func(cfg *agent.Config) { cfg.WithoutMethods = []string{wire.MethodTaskMakeFolder} })
	if _, err := old.MakeFolder(ctx, "FS01", dir); !errors.Is(err, ErrNotSupported) ||
		!strings.Contains(err.Error(), "making folders on the server is not supported by this agent version") {
		t.Fatalf("on an older agent: %v", err)
	}
}

// An agent older than restoring to where the files were takes the empty
// target for a mistake; the console says what it means.
func TestAnOlderAgentsRefusalOfARestoreToWhereTheFilesWereIsExplained(t *testing.T) {
	old := errors.New(`FS01: the restore target "" must be an absolute folder path`)
	err := olderRestore("FS01", backup.RestoreOptions{Original: true}, old)
	if !strings.Contains(err.Error(), "the agent on FS01 is older than this console") || !strings.Contains(err.Error(), "update it, or restore into a folder") {
		t.Errorf("to where the files were: %v", err)
	}
	if err := olderRestore("FS01", backup.RestoreOptions{Target: "/srv/restore"}, old); err != old {
		t.Errorf("into a folder: %v", err)
	}
}

// A run the console asks to read every file reads them on the agent and
// says so in its report; an agent from before ignores the ask, and the
// console says that the run is an ordinary one and what to do.
func TestTheConsoleRunsATaskReadingEveryFile(t *testing.T) {
	c, _ := linked(t, false, nil)
	ctx := context.Background()
	docsTask(t, c, 2)
	if rep, err := c.RunTaskAndWait(ctx, "FS01", "docs", nil); err != nil || rep.Reread {
		t.Fatalf("an ordinary run: %+v, %v", rep, err)
	}
	rep, err := c.RunTaskAndWaitWith(ctx, "FS01", "docs", agent.RunOptions{Reread: true}, nil)
	if err != nil || !rep.Reread || rep.Result != backup.ResultCompleted || rep.FilesLinked != 2 || rep.FilesCopied != 0 {
		t.Fatalf("a run reading every file: %+v, %v", rep, err)
	}
	if _, err := c.RunTaskWith(ctx, "FS01", "nope", agent.RunOptions{Reread: true}); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Fatalf("a task that is not there: %v", err)
	}

	if err := olderRun("FS01", "docs", agent.RunOptions{Reread: true}, backup.Report{}); err == nil ||
		!strings.Contains(err.Error(), "FS01 started an ordinary run of docs") || !strings.Contains(err.Error(), "upgrade it to read every file") {
		t.Errorf("an agent from before: %v", err)
	}
	if err := olderRun("FS01", "docs", agent.RunOptions{}, backup.Report{}); err != nil {
		t.Errorf("nothing asked: %v", err)
	}
}

// The console finds a file in a server's snapshots, newest first, each
// version once with the snapshots that hold it, over the link; a
// mistyped pattern is refused here, and an agent from before says to
// upgrade it.
func TestTheConsoleFindsAFileInTheServersSnapshots(t *testing.T) {
	c, _ := linked(t, false, nil)
	ctx := context.Background()
	src, _ := docsTask(t, c, 3)
	for i := range 3 {
		if rep, err := c.RunTaskAndWait(ctx, "FS01", "docs", nil); err != nil || rep.Result != backup.ResultCompleted {
			t.Fatalf("run: %+v, %v", rep, err)
		}
		if i == 0 { // a second version, in the two later snapshots
			if err := os.WriteFile(filepath.Join(src, "fxx.txt"), []byte("changed"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	var heard []backup.Status // called before the answer
	var each []backup.FindPart
	fr, err := c.FindInSnapshots(ctx, "FS01", "docs", "FXX.TXT", 0, func(s backup.Status) { heard = append(heard, s) },
		func(p backup.FindPart) { each = append(each, p) })
	if err != nil || fr.Task != "docs" || fr.Snapshots != 3 || fr.More || len(fr.Found) != 2 {
		t.Fatalf("found %+v, %v", fr, err)
	}
	newer, older := fr.Found[0], fr.Found[1]
	if newer.Path != filepath.Join(src, "fxx.txt") || newer.InSnapshot != newer.Path || newer.Size != 7 || newer.In != 2 ||
		!newer.OldestTime.Before(newer.Time) || newer.Oldest == newer.Snapshot || older.Size != 2000 || older.In != 1 ||
		older.Snapshot != older.Oldest || !older.Time.Before(newer.OldestTime) {
		t.Fatalf("found %+v", fr.Found)
	}
	if len(heard) == 0 || heard[len(heard)-1].Phase != backup.PhaseSearching || heard[len(heard)-1].FilesDone != 3 {
		t.Errorf("progress heard: %+v", heard)
	}
	// Each snapshot's finds came as it was searched, and make the report.
	again := backup.FindReport{Task: fr.Task, Pattern: fr.Pattern, Snapshots: fr.Snapshots}
	for _, p := range each {
		again.Add(p)
	}
	again.Finish(fr.Newest, fr.NewestTime)
	if len(each) != 3 || len(each[1].Again) != 1 || !reflect.DeepEqual(again, fr) || fr.Newest != newer.Snapshot || newer.Gone || older.Gone {
		t.Errorf("found as they came: %+v, making %+v, want %+v", each, again, fr)
	}
	// The limit counts versions: three in the newest snapshots, and
	// the oldest has a fourth, but still counts as holding f.txt.
	if fr, err := c.FindInSnapshots(ctx, "FS01", "docs", "*.txt", 3, nil, nil); err != nil || len(fr.Found) != 3 || !fr.More || fr.Snapshots != 3 ||
		fr.Found[0].In != 3 || fr.Found[2].In != 2 {
		t.Fatalf("at most 3: %+v, %v", fr, err)
	}
	// A file deleted since: its newest version is marked gone.
	if err := os.Remove(filepath.Join(src, "fx.txt")); err != nil {
		t.Fatal(err)
	}
	if rep, err := c.RunTaskAndWait(ctx, "FS01", "docs", nil); err != nil || rep.Result != backup.ResultCompleted {
		t.Fatalf("run: %+v, %v", rep, err)
	}
	if fr, err := c.FindInSnapshots(ctx, "FS01", "docs", "FX.TXT", 0, nil, nil); err != nil || len(fr.Found) != 1 || !fr.Found[0].Gone || fr.Found[0].In != 3 {
		t.Fatalf("a file deleted since: %+v, %v", fr, err)
	}
	if _, err := c.FindInSnapshots(ctx, "FS01", "docs", "f[x", 0, nil, nil); !errors.Is(err, backup.ErrInvalid) {
		t.Fatalf("a mistyped pattern: %v", err)
	}
	// Called off once the first snapshot's finds came, the report holds
	// what came. (The answer may be here already, then it is whole:
	// tried until a search was called off first, at most 20 times.)
	for try := 1; ; try++ {
		stopCtx, stop := context.WithCancel(ctx)
		var came backup.FindReport
		fr, err = c.FindInSnapshots(stopCtx, "FS01", "docs", "fxx.txt", 0, nil, func(p backup.FindPart) { came.Add(p); stop() })
		stop()
		if (err != nil && !errors.Is(err, context.Canceled)) || len(came.Found) == 0 || !reflect.DeepEqual(fr.Found, came.Found) {
			t.Fatalf("called off: %+v, %v; came %+v", fr, err, came)
		}
		if err != nil {
			break
		}
		if try == 20 {
			t.Fatal("20 searches called off after their first finds all ended with their answer")
		}
	}

	old, _ := linked(t, false, func(cfg *agent.Config) { cfg.WithoutMethods = []string{wire.MethodTaskFind} })
	if _, err := old.FindInSnapshots(ctx, "FS01", "docs", "*.txt", 0, nil, nil); !errors.Is(err, ErrNotSupported) ||
		!strings.Contains(err.Error(), "finding files in snapshots is not supported by this agent version") {
		t.Fatalf("on an older agent: %v", err)
	}
}
