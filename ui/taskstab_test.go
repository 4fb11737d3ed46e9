package ui

import (
	"context"
	"errors"
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	"google.golang.org/protobuf/proto"

	"github.com/lanyard/lanyard/core/agent"
	"github.com/lanyard/lanyard/core/backup"
	"github.com/lanyard/lanyard/core/master"
	"github.com/lanyard/lanyard/core/wire"
	"github.com/lanyard/lanyard/core/wire/pb"
)

// fakeTasks is the task side of fakeRemote: tasks, a snapshot tree, and a
// hub of task events the test publishes.
type fakeTasks struct {
	mu       sync.Mutex
	tasks    map[string]agent.TaskInfo
	calls    []string
	check    master.TaskCheck
	putErr   error
	putGate  chan struct{}                   // when set, PutTask waits for it to close
	findGate chan struct{}                   // when set, FindInSnapshots waits for it to close, having said how far it got
	findHang string                          // the task whose search waits until it is called off
	findErr  error                           // when set, FindInSnapshots fails with it after the newest snapshot
	runErr   error                           // when set, RunTaskWith fails with it
	listGate chan struct{}                   // when set, ListFolder waits for it to close before a folder's second page
	tree     map[string][]backup.BrowseEntry // a snapshot's folder → entries
	server   map[string][]backup.BrowseEntry // the server's own folder → entries (ListFolder)
	restored []backup.RestoreOptions
	resErr   error                 // RestoreSnapshot's answer
	damaged  bool                  // RestoreSnapshot restores from a damaged copy
	verErr   error                 // VerifySnapshot's answer
	verRep   backup.VerifyReport   // VerifySnapshot's report
	copyErr  map[string]error      // CopyTask's answer, by slave
	delErr   error                 // DeleteSnapshot's answer
	delGate  chan struct{}         // when set, DeleteSnapshot waits for it to close
	estErr   error                 // EstimateDeletion's answer
	mkErr    error                 // MakeFolder's answer
	snapList []backup.SnapshotInfo // when set, TaskSnapshots' answer
	histList []backup.Report       // when set, TaskHistory's answer
	subs     subscribers[master.TaskEvent]
}

func (f *fakeTasks) record(c string) {
	f.mu.Lock()
	f.calls = append(f.calls, c)
	f.mu.Unlock()
}

func (f *fakeTasks) taskCalls(prefix string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.calls {
		if strings.HasPrefix(c, prefix) {
			n++
		}
	}
	return n
}

func demoTasks() *fakeTasks {
	day := fixedNow.Add(-24 * time.Hour)
	tasks := map[string]agent.TaskInfo{
		"documents": {Task: backup.Task{Name: "documents", Sources: []string{"/home/alice/Documents"}, Destination: "/mnt/backup",
			Schedule: "daily@02:00", Retention: backup.Retention{KeepDaily: 14}, CatchUp: true, Version: 3},
			LastRun: &backup.Report{Task: "documents", Started: day.Add(-13 * time.Hour), Finished: day.Add(-13*time.Hour + 4*time.Minute),
				Result: backup.ResultCompleted, Snapshot: "2026-03-13T020000Z"},
			NextRun: fixedNow.Add(11 * time.Hour)},
		"mail": {Task: backup.Task{Name: "mail", Sources: []string{"/var/mail"}, Destination: "/mnt/nas", Schedule: "hourly", Version: 1},
			LastRun: &backup.Report{Task: "mail", Started: fixedNow.Add(-time.Hour), Result: backup.ResultFailed,
				Error: "the destination /mnt/nas is not mounted"},
			NextRun: fixedNow.Add(time.Hour), Overdue: true},
		"photos": {Task: backup.Task{Name: "photos", Sources: []string{"/srv/photos"}, Destination: "/mnt/backup", Schedule: "manual", Version: 1}},
	}
	tree := map[string][]backup.BrowseEntry{
		"/":           {{Name: "home", Type: backup.TypeDir}},
		"/home":       {{Name: "alice", Type: backup.TypeDir}},
		"/home/alice": {{Name: "Documents", Type: backup.TypeDir}},
		"/home/alice/Documents": {{Name: "invoices", Type: backup.TypeDir}, {Name: "report.odt", Type: backup.TypeFile, Size: 48213},
			{Name: "taxes-2025.pdf", Type: backup.TypeFile, Size: 1 << 20}},
	}
	server := map[string][]backup.BrowseEntry{
		"/":           {{Name: "etc", Type: backup.TypeDir}, {Name: "home", Type: backup.TypeDir}, {Name: "mnt", Type: backup.TypeDir}, {Name: "vmlinuz", Type: backup.TypeSymlink}},
		"/home":       {{Name: "alice", Type: backup.TypeDir}, {Name: "bob", Type: backup.TypeDir}},
		"/home/alice": {{Name: "Documents", Type: backup.TypeDir}, {Name: "notes.txt", Type: backup.TypeFile, Size: 312}},
		"/mnt":        {{Name: "backup", Type: backup.TypeDir}, {Name: "nas", Type: backup.TypeDir}},
		"/mnt/backup": {{Name: "customers", Type: backup.TypeDir}},
	}
	return &fakeTasks{tasks: tasks, tree: tree, server: server}
}

// ListFolder pages through f.server's folder dir, in name order, as the
// agent does.
func (f *fakeTasks) ListFolder(_ context.Context, _, dir, after string, limit int) (backup.BrowsePage, error) {
	f.record("list-folder " + dir)
	if dir == "" {
		dir = "/"
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if gate := f.listGate; gate != nil && after != "" {
		f.mu.Unlock()
		<-gate
		f.mu.Lock()
	}
	entries, ok := f.server[dir]
	if !ok {
		return backup.BrowsePage{}, fmt.Errorf("%s does not exist on this server", dir)
	}
	entries = slices.Clone(entries)
	slices.SortFunc(entries, func(a, b backup.BrowseEntry) int { return strings.Compare(a.Name, b.Name) })
	page := backup.BrowsePage{Dir: dir, Total: len(entries)}
	i, _ := slices.BinarySearchFunc(entries, after, func(e backup.BrowseEntry, name string) int { return strings.Compare(e.Name, name) })
	if after != "" && i < len(entries) && entries[i].Name == after {
		i++
	}
	page.Entries = entries[i:min(i+limit, len(entries))]
	if i+limit < len(entries) {
		page.Next = page.Entries[len(page.Entries)-1].Name
	}
	return page, nil
}

// MakeFolder adds folder dir to f.server, as the agent makes it.
func (f *fakeTasks) MakeFolder(_ context.Context, _, dir string) (bool, error) {
	f.record("make-folder " + dir)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.mkErr != nil {
		return false, f.mkErr
	}
	if _, ok := f.server[dir]; ok {
		return false, nil
	}
	parent := parentServerPath(dir)
	f.server[parent] = append(f.server[parent], backup.BrowseEntry{Name: path.Base(dir), Type: backup.TypeDir})
	f.server[dir] = nil
	return true, nil
}

func (f *fakeTasks) Tasks(context.Context, string) ([]agent.TaskInfo, error) {
	f.record("list")
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []agent.TaskInfo
	for _, t := range f.tasks {
		out = append(out, t)
	}
	return out, nil
}

func (f *fakeTasks) Task(_ context.Context, _, name string) (agent.TaskInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.tasks[name], nil
}

func (f *fakeTasks) CheckTask(_ context.Context, _ string, t backup.Task) (master.TaskCheck, error) {
	f.record("check " + t.Name)
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.check
	c.Normalized = t
	return c, nil
}

func (f *fakeTasks) PutTask(_ context.Context, _ string, t backup.Task, opt agent.PutOptions) (agent.TaskInfo, []string, error) {
	c := fmt.Sprintf("put %s v%d", t.Name, t.Version)
	if opt.CreateDestination {
		c += " create-dest"
	}
	f.record(c)
	f.mu.Lock()
	gate := f.putGate
	f.mu.Unlock()
	if gate != nil {
		<-gate
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.putErr != nil {
		return agent.TaskInfo{}, nil, f.putErr
	}
	t.Version++
	info := agent.TaskInfo{Task: t}
	f.tasks[t.Name] = info
	return info, nil, nil
}

func (f *fakeTasks) RemoveTask(_ context.Context, _, name string, version uint64) (backup.Task, error) {
	f.record(fmt.Sprintf("remove %s v%d", name, version))
	return backup.Task{Name: name}, nil
}

func (f *fakeTasks) RunTaskWith(_ context.Context, _, name string, o agent.RunOptions) (agent.TaskInfo, error) {
	if o.Reread {
		f.record("run " + name + " --reread")
	} else {
		f.record("run " + name)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.runErr != nil {
		return agent.TaskInfo{}, f.runErr
	}
	info := f.tasks[name]
	info.Running = true
	return info, nil
}

func (f *fakeTasks) StopTask(_ context.Context, _, name string) (bool, error) {
	f.record("stop " + name)
	return true, nil
}

// mailFailure is the error of mail's last run: longer than its History
// column.
const mailFailure = "the destination /mnt/nas/backups/mail is not mounted: mount the share (or check the NAS is on), then run the task again"

func (f *fakeTasks) TaskHistory(_ context.Context, _, name string, _ int) ([]backup.Report, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.histList != nil {
		return slices.Clone(f.histList), nil
	}
	if name != "mail" {
		return nil, nil
	}
	at := fixedNow.Add(-2 * time.Hour)
	return []backup.Report{ // oldest first, as the agent sends them
		{Task: "mail", Trigger: "schedule", Started: at, Finished: at.Add(3 * time.Second), Result: backup.ResultWarnings,
			Snapshot: "2026-03-14T090000Z", FilesCopied: 20, Warnings: []string{"/var/mail/alice.lock: permission denied"}, WarningCount: 3},
		{Task: "mail", Trigger: "schedule", Started: at.Add(time.Hour), Finished: at.Add(time.Hour + time.Second), Result: backup.ResultFailed,
			Error: mailFailure},
	}, nil
}

func (f *fakeTasks) TaskSnapshots(_ context.Context, _, name string) ([]backup.SnapshotInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.snapList != nil {
		return f.snapList, nil
	}
	return []backup.SnapshotInfo{
		{ID: "2026-03-12T020000Z", Time: fixedNow.Add(-61 * time.Hour), Result: backup.ResultCompleted, Files: 1204, Bytes: 3 << 30},
		{ID: "2026-03-13T020000Z", Time: fixedNow.Add(-37 * time.Hour), Result: backup.ResultCompleted, Files: 1210, Bytes: 3 << 30,
			Path: "/mnt/backup/customers/acme/file-server-01/documents/2026-03-13T020000Z"},
	}, nil
}

func (f *fakeTasks) BrowseSnapshot(_ context.Context, _, _, snap, dir, _ string, _ int) (backup.BrowsePage, error) {
	f.record("browse " + snap + " " + dir)
	f.mu.Lock()
	defer f.mu.Unlock()
	entries := append([]backup.BrowseEntry(nil), f.tree[dir]...)
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name < entries[j].Name })
	return backup.BrowsePage{Snapshot: snap, Dir: dir, Entries: entries, Total: len(entries)}, nil
}

// FindInSnapshots finds report.odt in both snapshots, a version in
// each, the newer first, for a pattern naming it, and with notes.odt,
// one version in both, for *.odt; budget*, a Windows server's
// budget.xlsx, in the older snapshot only (gone since); nothing else.
// It says it has read the first of the snapshots.
func (f *fakeTasks) FindInSnapshots(ctx context.Context, _, task, pattern string, _ int, onProgress func(backup.Status), onFound func(backup.FindPart)) (backup.FindReport, error) {
	f.record("find " + pattern)
	onProgress(backup.Status{Task: task, Phase: backup.PhaseSearching, FilesDone: 1, FilesTotal: 2, BytesDone: 300, BytesTotal: 1000})
	f.mu.Lock()
	gate, hang, findErr := f.findGate, f.findHang == task, f.findErr
	f.mu.Unlock()
	parts := fakeFind(pattern)
	if onFound == nil {
		onFound = func(backup.FindPart) {}
	}
	rep := backup.FindReport{Task: task, Pattern: pattern, Found: []backup.FoundFile{}}
	if hang || findErr != nil { // what the newest snapshot holds comes; then the search waits, or fails
		if len(parts) > 0 {
			rep.Add(parts[0])
			onFound(parts[0])
		}
		if findErr != nil {
			return rep, findErr
		}
		<-ctx.Done()
		return rep, ctx.Err()
	}
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return backup.FindReport{}, ctx.Err()
		}
	}
	for _, part := range parts { // one snapshot's at a time, as an agent sends them
		rep.Add(part)
		onFound(part)
	}
	rep.Snapshots = 2
	rep.Finish("2026-03-13T020000Z", fixedNow.Add(-37*time.Hour))
	return rep, nil
}

// fakeFind is what FindInSnapshots finds in each snapshot, newest first.
func fakeFind(pattern string) []backup.FindPart {
	type snap struct {
		id string
		h  time.Duration
	}
	snaps := []snap{{"2026-03-13T020000Z", 37}, {"2026-03-12T020000Z", 61}}
	parts := make([]backup.FindPart, len(snaps))
	for i, s := range snaps {
		parts[i] = backup.FindPart{Snapshot: s.id, Time: fixedNow.Add(-s.h * time.Hour)}
	}
	found := func(i int, p string, size int64, mtime time.Duration) {
		ff := backup.FoundFile{Snapshot: snaps[i].id, Time: parts[i].Time, Path: p, Type: backup.TypeFile, Size: size,
			MTime: fixedNow.Add(-mtime * time.Hour), In: 1, Oldest: snaps[i].id, OldestTime: parts[i].Time}
		if strings.HasPrefix(p, `C:\`) {
			ff.InSnapshot = "/C/" + strings.ReplaceAll(p[3:], `\`, "/")
		}
		parts[i].New = append(parts[i].New, ff)
	}
	switch {
	case pattern == "budget*": // from a Windows server
		found(1, `C:\Users\alice\budget.xlsx`, 900, 70)
	case pattern == "*.odt":
		found(0, "/home/alice/Documents/notes.odt", 1200, 80)
		parts[1].Again = []int{0}
	}
	if strings.Contains(strings.ToLower(pattern), "report") || pattern == "*.odt" {
		found(0, "/home/alice/Documents/report.odt", 48213, 42)
		found(1, "/home/alice/Documents/report.odt", 47001, 66)
	}
	return slices.DeleteFunc(parts, func(p backup.FindPart) bool { return len(p.New) == 0 && len(p.Again) == 0 })
}

func (f *fakeTasks) VerifySnapshot(context.Context, string, string, string, func(backup.Status)) (backup.VerifyReport, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.verRep, f.verErr
}

func (f *fakeTasks) RestoreSnapshot(_ context.Context, _, task, snap string, opt backup.RestoreOptions, onProgress func(backup.Status)) (backup.RestoreReport, error) {
	f.mu.Lock()
	f.restored = append(f.restored, opt)
	resErr, damaged := f.resErr, f.damaged
	f.mu.Unlock()
	if err := resErr; err != nil {
		return backup.RestoreReport{}, err
	}
	onProgress(backup.Status{Task: task, Phase: "restoring", FilesDone: 1, FilesTotal: 1, BytesDone: 48213, BytesTotal: 48213})
	rr := backup.RestoreReport{Task: task, Snapshot: snap, Target: opt.Target, Original: opt.Original, Files: 1, Bytes: 48213, Paths: opt.Paths}
	if opt.SkipExisting {
		rr.Files, rr.Bytes, rr.Skipped = 0, 0, 1
	}
	if damaged {
		rr.Damaged = 1
		rr.Warnings = []string{opt.Target + opt.Paths[0] + " was restored from a damaged copy: its content differs from what the backup recorded",
			"the copies of these files changed on the backup disk after they were written: the next run copies these files afresh"}
	}
	return rr, nil
}

func (f *fakeTasks) DeleteSnapshot(_ context.Context, _, task, snap string) (backup.DeleteReport, error) {
	f.record("delete-snapshot " + task + " " + snap)
	f.mu.Lock()
	gate := f.delGate
	f.mu.Unlock()
	if gate != nil {
		<-gate
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.delErr != nil {
		return backup.DeleteReport{}, f.delErr
	}
	return backup.DeleteReport{Task: task, Snapshot: snap, Freed: 1 << 30, DestFree: 300 << 30, DestTotal: 2 << 40}, nil
}

func (f *fakeTasks) EstimateDeletion(_ context.Context, _, task, snap string) (backup.DeletionEstimate, error) {
	f.record("estimate-deletion " + task + " " + snap)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.estErr != nil {
		return backup.DeletionEstimate{}, f.estErr
	}
	return backup.DeletionEstimate{Task: task, Snapshot: snap, Frees: 1 << 30, OwnFiles: 12, SharedFiles: 1198}, nil
}

// CopyTask copies to every slave but those in copyErr, which answer
// with its error.
func (f *fakeTasks) CopyTask(ctx context.Context, from, name string, to []string, opt master.CopyOptions, done func(master.CopyResult)) ([]master.CopyResult, error) {
	c := fmt.Sprintf("copy %s from %s to %s replace=%v run=%v", name, from, strings.Join(to, ","), opt.Replace, opt.Run)
	if opt.Dest != "" {
		c += " dest=" + opt.Dest
	}
	if opt.CreateDest {
		c += " create-dest"
	}
	f.record(c)
	out := make([]master.CopyResult, len(to))
	for i, s := range to {
		ok := f.copyErr[s] == nil
		out[i] = master.CopyResult{Slave: s, Err: f.copyErr[s], Replaced: opt.Replace && ok, Started: opt.Run && ok}
		done(out[i])
	}
	return out, nil
}

func (f *fakeTasks) WatchTasks(buffer int) (<-chan master.TaskEvent, func()) {
	return f.subs.subscribe(buffer)
}

func (f *fakeTasks) publishTask(e master.TaskEvent) { f.subs.publish(e) }

// tasksWindow is the main window on the demo fleet with FS01's Tasks tab
// shown and its tasks read.
func tasksWindow(t *testing.T) (*mainWindow, *uiQueue, *fakeRemote) {
	t.Helper()
	mw, q, fr := remoteWindow(t, tabTasks)
	tt := mw.detail.tasksTab
	q.runUntil(t, "the tasks", func() bool { return tt.loaded && len(tt.rows) == 3 })
	return mw, q, fr
}

// The dim words of an empty cell ("manual", "—") are dim on every row
// but the selected one, whose highlight would swallow them.
func TestTheSelectedTasksEmptyCellsAreNotDim(t *testing.T) {
	mw, _, _ := tasksWindow(t)
	tt := mw.detail.tasksTab
	// manualCell is photos' Next run as the table draws it.
	manualCell := func() *widget.Label {
		t.Helper()
		for _, o := range renderedObjects(tt.table) {
			if c, ok := o.(*taskCell); ok && c.label.Visible() && c.label.Text == "manual" {
				return c.label
			}
		}
		t.Fatal("no cell says manual")
		return nil
	}
	if l := manualCell(); l.Importance != widget.LowImportance {
		t.Errorf("unselected: importance %v, want low", l.Importance)
	}
	tt.table.Select(widget.TableCellID{Row: 2, Col: 1}) // photos
	if l := manualCell(); l.Importance != widget.MediumImportance {
		t.Errorf("selected: importance %v, want medium", l.Importance)
	}
	tt.table.Select(widget.TableCellID{Row: 0, Col: 1})
	if l := manualCell(); l.Importance != widget.LowImportance {
		t.Errorf("another selected: importance %v, want low", l.Importance)
	}
}

func TestTheTasksTabListsTheTasksAndFollowsARun(t *testing.T) {
	mw, q, fr := tasksWindow(t)
	tt := mw.detail.tasksTab
	if got := []string{tt.rows[0].Task.Name, tt.rows[1].Task.Name, tt.rows[2].Task.Name}; strings.Join(got, ",") != "documents,mail,photos" {
		t.Fatalf("rows %v", got)
	}
	if s, imp := lastResult(tt.rows[1]); !strings.HasPrefix(s, "OVERDUE · failed: the destination") || imp != widget.DangerImportance {
		t.Errorf("mail's result %q (%v)", s, imp)
	}
	tt.table.Select(widget.TableCellID{Row: 0, Col: 0})
	test.AssertRendersToMarkup(t, "taskstab_idle.xml", mw.win.Canvas())

	// Ctrl+R runs the selected task; the agent's progress fills its bar.
	press(mw.win, shortcutRunTask())
	q.runUntil(t, "the run request", func() bool { return fr.taskCalls("run documents") == 1 })
	fr.publishTask(master.TaskEvent{Slave: "FS01", TaskEvent: agent.TaskEvent{Kind: agent.EventProgress, Task: "documents",
		Status: &backup.Status{Task: "documents", Phase: "copying", FilesDone: 312, FilesTotal: 800, BytesDone: 420 << 20,
			BytesTotal: 1000 << 20, Rate: 12.5 * (1 << 20), ETA: 46 * time.Second}}})
	q.runUntil(t, "the progress", func() bool { return tt.rows[0].Progress != nil && tt.rows[0].Progress.FilesDone == 312 })
	if !tt.stop.Disabled() == false || !tt.run.Disabled() {
		t.Errorf("while running: Run enabled %v, Stop enabled %v", !tt.run.Disabled(), !tt.stop.Disabled())
	}
	if _, words := progressWords(*tt.rows[0].Progress); words != "42 % · 12.5 MiB/s · ETA 46 s" {
		t.Errorf("progress words %q", words)
	}
	verifying := backup.Status{Phase: backup.PhaseVerifying, BytesDone: 10, BytesTotal: 40, ETA: 3 * time.Second}
	if _, words := progressWords(verifying); words != "verifying · 25 % · ETA 3 s" {
		t.Errorf("progress words while the run verifies %q", words)
	}
	test.AssertRendersToMarkup(t, "taskstab_running.xml", mw.win.Canvas())

	// Another slave's events do not touch this table; a finished run
	// reads the list again.
	fr.publishTask(master.TaskEvent{Slave: "web-2", TaskEvent: agent.TaskEvent{Kind: agent.EventProgress, Task: "mail",
		Status: &backup.Status{FilesDone: 1, FilesTotal: 2}}})
	reads := fr.taskCalls("list")
	fr.publishTask(master.TaskEvent{Slave: "FS01", TaskEvent: agent.TaskEvent{Kind: agent.EventFinished, Task: "documents",
		Report: &backup.Report{Task: "documents", Result: backup.ResultCompleted}}})
	q.runUntil(t, "the list read again", func() bool { return fr.taskCalls("list") > reads })
	if tt.rows[1].Running {
		t.Error("another slave's progress reached this table")
	}
	// Only this slave's events read its list again (a resync, any's).
	q.runUntil(t, "the list read", func() bool { return !tt.loading })
	tt.apply(nil, map[string]bool{"web-2": true})
	if tt.loading {
		t.Error("another slave's run ending read FS01's tasks again")
	}
	for _, reload := range []map[string]bool{{"fs01": true}, {"": true}} {
		tt.apply(nil, reload)
		if !tt.loading {
			t.Errorf("%v did not read FS01's tasks again", reload)
		}
		q.runUntil(t, "the list read", func() bool { return !tt.loading })
	}

	// Enter edits; F5 reads again.
	mw.win.Canvas().Focus(tt.table)
	pressKey(mw.win, fyne.KeyReturn)
	if !strings.Contains(overlayText(mw.win), "Edit Backup Task: documents") {
		t.Fatalf("Enter did not open the task: %q", overlayText(mw.win))
	}
	tapButton(t, mw.win, "Cancel")
	// Delete asks before it removes; No keeps the task.
	mw.win.Canvas().Focus(tt.table)
	pressKey(mw.win, fyne.KeyDelete)
	if !strings.Contains(overlayText(mw.win), "Remove the task documents from FS01?") {
		t.Fatalf("Delete did not ask to remove the task: %q", overlayText(mw.win))
	}
	tapButton(t, mw.win, "No")
	if n := fr.taskCalls("remove"); n != 0 {
		t.Errorf("No removed the task anyway (%d removes sent)", n)
	}
	reads = fr.taskCalls("list")
	mw.win.Canvas().Focus(tt.table)
	pressKey(mw.win, fyne.KeyF5)
	q.runUntil(t, "F5 to read the list again", func() bool { return fr.taskCalls("list") > reads })
	q.runUntil(t, "the list read", func() bool { return !tt.loading })

	// Escape selects no task; pressed again, the whole fleet's summary.
	if tt.selected < 0 {
		t.Fatal("no task selected before Escape")
	}
	mw.win.Canvas().Focus(tt.table)
	pressKey(mw.win, fyne.KeyEscape)
	if tt.selected >= 0 || !tt.edit.Disabled() || mw.tree.selected == "" {
		t.Fatalf("after one Escape: task %d selected, Edit disabled %v, server %q", tt.selected, tt.edit.Disabled(), mw.tree.selected)
	}
	pressKey(mw.win, fyne.KeyEscape)
	if mw.tree.selected != "" {
		t.Errorf("a second Escape left %q selected", mw.tree.selected)
	}
}

// At the main window's first size, no column of the Tasks tab cuts what
// it usually says.
func TestTaskColumnsHoldTheirUsualTexts(t *testing.T) {
	mw, _, _ := tasksWindow(t)
	mw.win.Resize(mainSize.def)
	tt := mw.detail.tasksTab
	usual := [][]string{
		{"documents", "database"},
		{"daily at 02:00", "weekly, Sun 03:00", "every hour"},
		{"completed · today 02:16", "completed · yesterday 02:16", "failed · 30 Nov 02:16"},
		{"tomorrow 02:00", "30 Nov 03:00", "today 03:00"},
		{"44 % · 50.0 MiB/s · ETA 7 s", "42 % · 12.5 MiB/s · ETA 46 s"},
	}
	if need, w := tt.table.cols.need(), tt.table.Size().Width; need > w {
		t.Errorf("the columns need %v, more than the table's %v: it scrolls sideways", need, w)
	}
	for c, texts := range usual {
		size, pad := theme.TextSize(), 2*theme.InnerPadding() // a label's
		if c == len(usual)-1 {
			size, pad = theme.CaptionTextSize(), pad+2*theme.Padding() // a padded caption on the bar
		}
		for _, s := range texts {
			need := fyne.MeasureText(s, size, fyne.TextStyle{}).Width + pad
			if w := tt.table.cols.widths[c]; w < need {
				t.Errorf("the %s column is %v wide; %q needs %v", taskColumns[c], w, s, need)
			}
		}
	}
}

// A new task's dialog is not all red before anything is typed: what is
// still to fill in is said once under the form, and a field's own problem
// shows under it once the field is typed in.
func TestANewTaskSaysWhatIsStillToFillInWithoutRedFields(t *testing.T) {
	mw, _, _ := tasksWindow(t)
	test.Tap(mw.detail.tasksTab.add)
	td := openTaskDialog(t, mw)
	for f, l := range td.errs {
		if l.Visible() {
			t.Errorf("a fresh dialog shows %q under %s", l.Text, f)
		}
	}
	if want := "To save, give a name, the sources and a destination."; td.status.Text != want {
		t.Errorf("under the form %q, want %q", td.status.Text, want)
	}
	if !td.save.Disabled() {
		t.Error("Save is enabled with nothing filled in")
	}
	test.Type(td.name, "bob docs/")
	if !td.errs[backup.FieldName].Visible() {
		t.Error("a bad name typed is not shown under Name")
	}
	td.name.SetText("bob-docs")
	test.Type(td.dest, "backup")
	if got := td.errs[backup.FieldDestination].Text; !td.errs[backup.FieldDestination].Visible() || !strings.Contains(got, "not an absolute path") {
		t.Errorf("under Destination %q", got)
	}
	if want := "To save, give the sources."; td.status.Text != want {
		t.Errorf("under the form %q, want %q", td.status.Text, want)
	}
	test.Type(td.sources, "/home/bob")
	if td.status.Text != "" {
		t.Errorf("with every field typed in, under the form %q", td.status.Text)
	}

	// Tab leaves the many-line Sources for the next field, as it leaves
	// every other field.
	c := mw.win.Canvas()
	c.Focus(td.name)
	c.FocusNext()
	if tb, ok := c.Focused().(fyne.Tabbable); !ok || tb.AcceptsTab() || c.Focused() != fyne.Focusable(td.sources) {
		t.Errorf("after Name the focus is on %T, which takes Tab", c.Focused())
	}
	td.close()
}

func TestTheTaskDialogShowsTheAgentsVerdictUnderItsField(t *testing.T) {
	mw, q, fr := tasksWindow(t)
	tt := mw.detail.tasksTab
	fr.fakeTasks.mu.Lock()
	fr.fakeTasks.check = master.TaskCheck{Error: "source /home/bob/Documents does not exist", Field: backup.FieldSources,
		NextRuns: []time.Time{fixedNow.Add(11 * time.Hour), fixedNow.Add(35 * time.Hour)}}
	fr.fakeTasks.mu.Unlock()
	td := newBobDocs(t, mw)
	q.runUntil(t, "the agent's verdict", func() bool { return td.errs[backup.FieldSources].Visible() })
	if got := td.errs[backup.FieldSources].Text; got != "Source /home/bob/Documents does not exist." {
		t.Errorf("under Sources: %q", got)
	}
	if !td.save.Disabled() {
		t.Error("Save is enabled with a problem shown")
	}
	if !strings.HasPrefix(td.nextRuns.Text, "Next runs: ") {
		t.Errorf("next runs %q", td.nextRuns.Text)
	}
	test.AssertRendersToMarkup(t, "taskdialog_error.xml", mw.win.Canvas())

	// A problem the form can see itself shows at once.
	td.keep[0].SetText("many")
	if !td.errs[backup.FieldRetention].Visible() {
		t.Error("a bad number is not shown under Retention")
	}
	td.keep[0].SetText("3")

	// The agent is satisfied: Save stores it.
	fr.fakeTasks.mu.Lock()
	fr.fakeTasks.check = master.TaskCheck{}
	fr.fakeTasks.mu.Unlock()
	td.sources.SetText("/home/bob/Docs")
	q.runUntil(t, "the new verdict", func() bool { return !td.errs[backup.FieldSources].Visible() && !td.save.Disabled() })
	test.Tap(td.save)
	q.runUntil(t, "the save", func() bool { return fr.taskCalls("put bob-docs v0") == 1 })
	q.runUntil(t, "the new row", func() bool { return len(tt.rows) == 4 })
	if cur, ok := tt.current(); !ok || cur.Task.Name != "bob-docs" {
		t.Errorf("after the add the selected task is %q (%v), not the new one", cur.Task.Name, ok)
	}
}

// newBobDocs opens Add on the Tasks tab and types a task's name, source
// and destination.
func newBobDocs(t *testing.T, mw *mainWindow) *taskDialog {
	t.Helper()
	test.Tap(mw.detail.tasksTab.add)
	td := openTaskDialog(t, mw)
	test.Type(td.name, "bob-docs")
	test.Type(td.sources, "/home/bob/Documents")
	test.Type(td.dest, "/mnt/backup")
	return td
}

// A time of day that is not one is said of the time typed, and the next
// runs of the schedule before it are not shown beside it.
func TestTheTaskDialogSaysAWrongTimeOfDayOfTheTimeTyped(t *testing.T) {
	mw, _, _ := tasksWindow(t)
	td := newBobDocs(t, mw)
	if !td.nextRuns.Visible() {
		t.Fatal("the next runs are not shown")
	}
	for _, kind := range []string{tdDaily, tdWeekly} {
		td.kind.SetSelected(kind)
		td.clock.SetText("25:00")
		l := td.errs[backup.FieldSchedule]
		if want := `"25:00" is not a time of day: use HH:MM, 00:00 to 23:59.`; !l.Visible() || l.Text != want {
			t.Errorf("%s: under Schedule %q (shown %v), want %q", kind, l.Text, l.Visible(), want)
		}
		if td.nextRuns.Visible() || !td.save.Disabled() {
			t.Errorf("%s: next runs shown %v (%q), Save enabled %v", kind, td.nextRuns.Visible(), td.nextRuns.Text, !td.save.Disabled())
		}
		td.clock.SetText("03:30")
		if l.Visible() || !td.nextRuns.Visible() {
			t.Errorf("%s: fixed, the problem is shown %v, the next runs %v", kind, l.Visible(), td.nextRuns.Visible())
		}
	}
}

// A speed limit and retries are typed as people write them, checked as
// they are typed, and said with the task once saved, as is a pause.
func TestTheTaskDialogTakesASpeedLimitAndRetries(t *testing.T) {
	mw, q, _ := tasksWindow(t)
	tt := mw.detail.tasksTab
	td := newBobDocs(t, mw)
	td.speed.SetText("fast")
	if l := td.errs[backup.FieldSpeed]; !l.Visible() || !strings.Contains(l.Text, "give a rate such as 20MiB/s") {
		t.Errorf("under Speed limit %q (shown %v)", l.Text, l.Visible())
	}
	td.speed.SetText("20 MiB/s")
	// A new task tries a failed scheduled run again, as many times as
	// the dialog says, as far apart.
	if td.retries.Text != "2" || td.retryWait.Text != "" || td.retryWait.PlaceHolder != "10m" {
		t.Errorf("a new task's retries: %q, apart %q (%q)", td.retries.Text, td.retryWait.Text, td.retryWait.PlaceHolder)
	}
	td.retries.SetText("11")
	if l := td.errs[backup.FieldRetries]; !l.Visible() || l.Text != `Retries "11": give a number from 0 to 10.` {
		t.Errorf("under Retries %q (shown %v)", l.Text, l.Visible())
	}
	td.retries.SetText("3")
	td.retryWait.SetText("15m")
	test.Tap(td.paused) // and paused for now
	q.runUntil(t, "Save enabled", func() bool {
		return !td.errs[backup.FieldSpeed].Visible() && !td.errs[backup.FieldRetries].Visible() && !td.save.Disabled()
	})
	test.Tap(td.save)
	q.runUntil(t, "the new row", func() bool { return len(tt.rows) == 4 })
	cur, _ := tt.current()
	if cur.Task.Speed != 20<<20 || cur.Task.Retries != 3 || !cur.Task.Paused ||
		!strings.Contains(tt.taskText(cur), "daily at 02:00 (paused: it runs only when started by hand), keep 14 daily, 6 monthly; at most 20.0 MiB/s; a failed scheduled run tried again up to 3 times, 15m apart once it is resumed.") {
		t.Errorf("saved with %s, %d retries, paused %v: %q", cur.Task.Speed, cur.Task.Retries, cur.Task.Paused, tt.taskText(cur))
	}
}

// How often a run verifies its snapshot is chosen from a list (never, by
// default), a value set on the command line is offered as it is, and
// the task once saved says it, and that its next run verifies.
func TestTheTaskDialogSetsHowOftenARunVerifies(t *testing.T) {
	mw, q, _ := tasksWindow(t)
	tt := mw.detail.tasksTab
	test.Tap(tt.add)
	td := openTaskDialog(t, mw)
	if td.verify.Selected != "Never" || !slices.Equal(td.verify.Options, []string{"Never", "Every day", "Every week", "Every 30 days"}) {
		t.Errorf("a new task verifies %q, of %q", td.verify.Selected, td.verify.Options)
	}
	td.fillVerify(backup.Duration(36 * time.Hour))
	if td.verify.Selected != "Every 36h" || len(td.verify.Options) != 5 {
		t.Errorf("a task set to 36h shows %q, of %q", td.verify.Selected, td.verify.Options)
	}
	test.Type(td.name, "bob-docs")
	test.Type(td.sources, "/home/bob/Documents")
	test.Type(td.dest, "/mnt/backup")
	td.verify.SetSelected("Every week")
	q.runUntil(t, "Save enabled", func() bool { return !td.save.Disabled() })
	test.Tap(td.save)
	q.runUntil(t, "the new row", func() bool { return len(tt.rows) == 4 })
	cur, _ := tt.current()
	if time.Duration(cur.Task.VerifyEvery) != 7*24*time.Hour ||
		!strings.Contains(tt.taskText(cur), "; snapshots verified every week, none yet: the next run verifies.") {
		t.Errorf("saved verifying every %v: %q", cur.Task.VerifyEvery, tt.taskText(cur))
	}
}

// A destination that does not exist yet on the server is a warning, and
// the dialog offers to create it as the task is saved.
func TestTheTaskDialogOffersToCreateAMissingDestination(t *testing.T) {
	mw, q, fr := tasksWindow(t)
	fr.fakeTasks.mu.Lock()
	fr.fakeTasks.check = master.TaskCheck{Warnings: []string{backup.MissingDestination("/mnt/nas/fs01")}, DestinationMissing: true,
		DestFree: 900 << 30, DestTotal: 2 << 40}
	fr.fakeTasks.mu.Unlock()
	test.Tap(mw.detail.tasksTab.add)
	td := openTaskDialog(t, mw)
	if td.createDest.Visible() {
		t.Fatal("the offer to create the destination shows before the agent said it is missing")
	}
	test.Type(td.name, "bob-docs")
	test.Type(td.sources, "/home/bob/Documents")
	test.Type(td.dest, "/mnt/nas/fs01")
	q.runUntil(t, "the agent's verdict", func() bool { return td.createDest.Visible() })
	if !strings.HasPrefix(td.warnings.Text, "The destination /mnt/nas/fs01 does not exist yet") {
		t.Errorf("the warning reads %q", td.warnings.Text)
	}
	if td.createDest.Checked || !strings.Contains(td.createDest.Text, "FS01") {
		t.Errorf("the offer %q, ticked %v: it names the server and waits to be ticked", td.createDest.Text, td.createDest.Checked)
	}
	if td.room.Text != "900.0 GiB free of 2.0 TiB on that disk" || td.room.Importance != widget.LowImportance {
		t.Errorf("the disk's room: %q (%v)", td.room.Text, td.room.Importance)
	}

	// A disk nearly full says so, in warning colours.
	fr.fakeTasks.mu.Lock()
	fr.fakeTasks.check.DestFree = 20 << 30
	fr.fakeTasks.mu.Unlock()
	td.dest.SetText("/mnt/nas/fs01/")
	q.runUntil(t, "the new verdict", func() bool { return strings.HasPrefix(td.room.Text, "That disk") })
	if want := "That disk is 99 % full (20.0 GiB free of 2.0 TiB): the snapshots may not fit"; td.room.Text != want || td.room.Importance != widget.WarningImportance {
		t.Errorf("a disk nearly full: %q (%v), want %q", td.room.Text, td.room.Importance, want)
	}
	td.createDest.SetChecked(true)
	test.Tap(td.save)
	q.runUntil(t, "the save", func() bool { return fr.taskCalls("put bob-docs v0 create-dest") == 1 })
}

func TestASaveAfterAnotherConsolesEditSaysReload(t *testing.T) {
	mw, q, fr := tasksWindow(t)
	tt := mw.detail.tasksTab
	tt.table.Select(widget.TableCellID{Row: 0, Col: 0})
	test.Tap(tt.edit)
	td := openTaskDialog(t, mw)
	fr.fakeTasks.mu.Lock()
	fr.fakeTasks.putErr = fmt.Errorf("FS01 answered: task documents was changed by another console: reload: %w", agent.ErrConflict)
	fr.fakeTasks.mu.Unlock()
	td.keep[0].SetText("7")
	q.runUntil(t, "Save", func() bool { return !td.save.Disabled() })
	test.Tap(td.save)
	q.runUntil(t, "the conflict", func() bool { return strings.Contains(overlayText(mw.win), "was changed by another console") })
	if fr.taskCalls("put documents v3") != 1 {
		t.Fatalf("calls %v", fr.fakeTasks.calls)
	}
	tapButton(t, mw.win, tdReload)
	q.runUntil(t, "the reload", func() bool { return strings.Contains(td.status.Text, "Reloaded version 3") })
	if td.keep[0].Text != "0" {
		t.Errorf("after reload keep-last shows %q, the stored 0", td.keep[0].Text)
	}
	td.close()
}

// Escape cancels the task dialog while no field has the keyboard, and
// the main window's keys do not act behind it: Delete does not offer to
// remove the task or the server.
func TestEscapeCancelsTheTaskDialogAndTheWindowsKeysWait(t *testing.T) {
	mw, q, fr := tasksWindow(t)
	tt := mw.detail.tasksTab
	tt.table.Select(widget.TableCellID{Row: 0, Col: 0})
	test.Tap(tt.edit) // the name cannot be edited: nothing has the focus
	openTaskDialog(t, mw)
	mw.win.Canvas().Unfocus()
	pressKey(mw.win, fyne.KeyDelete)
	if txt := overlayText(mw.win); strings.Contains(txt, "Remove") {
		t.Fatalf("Delete acted behind the task dialog:\n%s", txt)
	}
	pressKey(mw.win, fyne.KeyEscape)
	if mw.win.Canvas().Overlays().Top() != nil {
		t.Fatal("Escape did not close the task dialog")
	}
	if len(fr.fakeTasks.calls) == 0 || fr.taskCalls("put ") != 0 {
		t.Fatalf("calls %v: Escape saved", fr.fakeTasks.calls)
	}
	// Escape while a save is on its way waits for it: the dialog shows
	// how the save went.
	tt.table.Select(widget.TableCellID{Row: 0, Col: 0})
	test.Tap(tt.edit)
	td := openTaskDialog(t, mw)
	gate := make(chan struct{})
	fr.fakeTasks.mu.Lock()
	fr.fakeTasks.putGate = gate
	fr.fakeTasks.mu.Unlock()
	td.keep[0].SetText("4")
	q.runUntil(t, "Save", func() bool { return !td.save.Disabled() })
	test.Tap(td.save)
	q.runUntil(t, "the save on its way", func() bool { return fr.taskCalls("put documents") == 1 })
	mw.win.Canvas().Unfocus()
	pressKey(mw.win, fyne.KeyEscape)
	n := len(mw.win.Canvas().Overlays().List()) // the task dialog and the wait
	close(gate)
	if !td.saving || n != 2 {
		t.Fatalf("Escape while the save was on its way: saving %v, %d dialogs open", td.saving, n)
	}
	q.runUntil(t, "the save's end", func() bool { return !td.saving && mw.win.Canvas().Overlays().Top() == nil })

	// The window has its keys again: F5 reads the tasks again.
	mw.win.Canvas().Unfocus()
	lists := fr.taskCalls("list")
	pressKey(mw.win, fyne.KeyF5)
	q.runUntil(t, "F5 reading the tasks again", func() bool { return fr.taskCalls("list") > lists })
}

// openTaskDialog finds the task dialog just opened.
func openTaskDialog(t *testing.T, mw *mainWindow) *taskDialog {
	t.Helper()
	top := mw.win.Canvas().Overlays().Top()
	if top == nil {
		t.Fatal("no dialog")
	}
	td := mw.detail.tasksTab.lastDialog
	if td == nil {
		t.Fatal("no task dialog")
	}
	t.Cleanup(td.close)
	return td
}

func TestTheRestoreDialogBrowsesLazilyAndRestoresWhatIsTicked(t *testing.T) {
	mw, q, fr := tasksWindow(t)
	rd := openRestore(t, mw, q)
	if rd.snapshot != "2026-03-13T020000Z" {
		t.Errorf("the newest snapshot is not chosen: %s", rd.snapshot)
	}
	// A folder whose only entry is a folder opens it too, down to the
	// source's files; the others wait until opened.
	q.runUntil(t, "the folders down to Documents", func() bool {
		n := rd.ft.nodes["/home/alice/Documents"]
		return n != nil && n.loaded
	})
	if n := rd.ft.nodes["/home/alice/Documents/invoices"]; n == nil || n.loaded || fr.taskCalls("browse") != 4 {
		t.Fatalf("folders read before they were opened: %v", fr.fakeTasks.calls)
	}
	if !rd.restore.Disabled() {
		t.Error("Restore is enabled with nothing ticked")
	}
	rd.ft.ticked["/home/alice/Documents/report.odt"] = true
	rd.ft.tree.Refresh()
	for id, partial := range map[string]bool{"/home/alice/Documents": true, "/home/alice": true, "/home/alice/Documents/invoices": false,
		"/home/alice/Documents/report.odt": false} {
		if c := restoreCheckOf(rd, id); c == nil || c.Partial != partial {
			t.Errorf("%s: partial %v, want %v", id, c != nil && c.Partial, partial)
		}
	}
	rd.target.SetText("/srv/restore")
	if rd.where.Selected != rdIntoDir || rd.existing.Selected != rdStop || rd.restore.Disabled() {
		t.Fatalf("to %q, existing %q, restore disabled %v", rd.where.Selected, rd.existing.Selected, rd.restore.Disabled())
	}
	test.AssertRendersToMarkup(t, "restoredialog.xml", mw.win.Canvas())
	test.Tap(rd.restore)
	q.runUntil(t, "the summary", func() bool {
		return strings.Contains(overlayText(mw.win), "Restored 1 file (47.1 KiB) from snapshot")
	})
	got := fr.fakeTasks.restores()
	if len(got) != 1 || got[0].Target != "/srv/restore" || got[0].Overwrite || got[0].SkipExisting || got[0].Original ||
		strings.Join(got[0].Paths, ",") != "/home/alice/Documents/report.odt" {
		t.Fatalf("restored %+v", got)
	}
}

// "The version I had on the 12th": Find lists every snapshot's version
// of a file, newest first, and the one chosen is ticked in its snapshot.
func TestTheRestoreDialogFindsAFilesVersionsAndTicksTheOneChosen(t *testing.T) {
	mw, q, fr := tasksWindow(t)
	rd := openRestore(t, mw, q)
	test.Type(rd.find, "nothing-like-it")
	test.Tap(rd.findBtn.btn)
	q.runUntil(t, "nothing found", func() bool {
		return rd.status.Text == `Nothing is named "nothing-like-it" in 2 snapshots: for names with nothing-like-it in them, look for "*nothing-like-it*".`
	})
	if rd.lastFound != nil {
		t.Fatal("a list of nothing was shown")
	}
	// A long search says how far it has got.
	gate := make(chan struct{})
	fr.fakeTasks.mu.Lock()
	fr.fakeTasks.findGate = gate
	fr.fakeTasks.mu.Unlock()
	rd.find.SetText("Report*")
	rd.find.OnSubmitted(rd.find.Text) // Enter
	q.runUntil(t, "how far the search has got", func() bool {
		return rd.status.Text == "Looking for Report* in every snapshot of documents… 1 of 2 snapshots read (30 %)" && rd.findBtn.searching
	})
	rd.find.OnSubmitted(rd.find.Text) // Enter again, while it searches: nothing
	if rd.findBtn.btn.Text != fdStop {
		t.Fatalf("while it searches the button reads %q; want Stop", rd.findBtn.btn.Text)
	}
	test.Tap(rd.findBtn.btn) // Stop
	q.runUntil(t, "the search stopped", func() bool {
		return !rd.findBtn.searching && rd.status.Text == "Stopped looking for Report*." && rd.findBtn.btn.Text == fdFind
	})
	if rd.lastFound != nil || fr.taskCalls("find Report*") != 1 {
		t.Fatalf("a stopped search listed versions, or Enter started another (%d searches)", fr.taskCalls("find Report*"))
	}
	// Stopped after a snapshot's version came: that one is listed.
	fr.fakeTasks.mu.Lock()
	fr.fakeTasks.findHang = "documents"
	fr.fakeTasks.mu.Unlock()
	rd.find.OnSubmitted(rd.find.Text)
	q.runUntil(t, "the search again", func() bool { return rd.findBtn.searching && fr.taskCalls("find Report*") == 2 })
	test.Tap(rd.findBtn.btn)
	q.runUntil(t, "what it had found listed", func() bool { return rd.lastFound != nil })
	if text := overlayText(mw.win); !strings.Contains(text, "Stopped partway: 1 found so far: /home/alice/Documents/report.odt. Choose the version to restore:") {
		t.Fatalf("after Stop the list reads %q", text)
	}
	rd.lastFound.Hide()
	rd.lastFound = nil
	fr.fakeTasks.mu.Lock()
	fr.fakeTasks.findHang = ""
	fr.fakeTasks.mu.Unlock()

	rd.find.OnSubmitted(rd.find.Text) // and again, to the end
	q.runUntil(t, "the search again", func() bool { return rd.findBtn.searching })
	close(gate)
	q.runUntil(t, "the versions found", func() bool { return rd.lastFound != nil })
	text := overlayText(mw.win)
	newer := foundLine(backup.FoundFile{Time: fixedNow.Add(-37 * time.Hour), Type: backup.TypeFile, Size: 48213, MTime: fixedNow.Add(-42 * time.Hour),
		Path: "/home/alice/Documents/report.odt"})
	if !strings.Contains(text, "1 found (2 versions) in 2 snapshots: /home/alice/Documents/report.odt. Choose the version to restore:") || !strings.Contains(text, newer) {
		t.Fatalf("the list reads %q, want the newer version first: %q", text, newer)
	}
	selected := ""
	rd.ft.tree.OnSelected = func(id string) { selected = id }
	pickFound(t, mw, 1) // the older
	if rd.snapshot != "2026-03-12T020000Z" || !rd.ft.ticked["/home/alice/Documents/report.odt"] || len(rd.paths()) != 1 {
		t.Fatalf("chose snapshot %s, ticked %v", rd.snapshot, rd.ft.ticked)
	}
	// The tree opens down to the file, however deep, and shows it.
	q.runUntil(t, "the file shown in the tree", func() bool {
		return selected == "/home/alice/Documents/report.odt" && rd.ft.tree.IsBranchOpen("/home/alice/Documents")
	})
	if n := fr.taskCalls("find Report*"); n != 3 {
		t.Errorf("asked the agent %d times; want three times (stopped twice, then to the end)", n)
	}

	// A Windows server's file is ticked as the snapshot's tree names it.
	before := rd.lastFound
	rd.find.SetText("budget*")
	rd.find.OnSubmitted(rd.find.Text)
	q.runUntil(t, "the Windows file found", func() bool { return rd.lastFound != before })
	if text := overlayText(mw.win); !strings.Contains(text, `1 found in 2 snapshots: C:\Users\alice\budget.xlsx.`) {
		t.Errorf("the list reads %q", text)
	}
	// The one version found is chosen already: Enter takes it.
	mw.win.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if rd.snapshot != "2026-03-12T020000Z" || !rd.ft.ticked["/C/Users/alice/budget.xlsx"] || len(rd.paths()) != 1 {
		t.Fatalf("chose snapshot %s, ticked %v", rd.snapshot, rd.ft.ticked)
	}

	// Versions of several files say which file each is, its name first.
	before = rd.lastFound
	rd.find.SetText("*.odt")
	rd.find.OnSubmitted(rd.find.Text)
	q.runUntil(t, "the files found", func() bool { return rd.lastFound != before })
	text = overlayText(mw.win)
	for _, want := range []string{"notes.odt in /home/alice/Documents", "report.odt in /home/alice/Documents", newer,
		// One version in both snapshots: listed once, with both.
		"in 2 snapshots, " + fixedNow.Add(-61*time.Hour).Local().Format("2006-01-02 15:04") + " to " + fixedNow.Add(-37*time.Hour).Local().Format("2006-01-02 15:04") + " · 1.2 KiB"} {
		if !strings.Contains(text, want) {
			t.Errorf("the list of several files reads %q, want %q in it", text, want)
		}
	}
	if !strings.Contains(text, "2 found (3 versions) in 2 snapshots. ") {
		t.Errorf("notes.odt listed twice, or a version missing: %q", text)
	}
}

// pickFound chooses row i of the files Find lists, and restores it.
func pickFound(t *testing.T, mw *mainWindow, i int) {
	t.Helper()
	var list *dialogList
	for _, o := range test.LaidOutObjects(mw.win.Canvas().Overlays().Top()) {
		if l, ok := o.(*dialogList); ok {
			list = l
		}
	}
	if list == nil {
		t.Fatal("no list of what was found")
	}
	list.Select(i)
	tapButton(t, mw.win, rdFindPick)
}

// A file found is named by its name, then its folder, on either system.
func TestAFileFoundIsNamedBeforeItsFolder(t *testing.T) {
	for p, want := range map[string]string{
		"/home/alice/Documents/budget.xlsx": "budget.xlsx in /home/alice/Documents",
		"/budget.xlsx":                      "budget.xlsx in /",
		`C:\Users\alice\budget.xlsx`:        `budget.xlsx in C:\Users\alice`,
		`C:\budget.xlsx`:                    `budget.xlsx in C:\`,
		"budget.xlsx":                       "budget.xlsx",
	} {
		if got := foundPlace(p); got != want {
			t.Errorf("%s: %q, want %q", p, got, want)
		}
	}
}

// A version found says which snapshots hold it: one, several over a
// span, or several taken within the same minute; a folder its type, and
// a file the newest snapshot no longer holds that it is gone.
func TestAVersionFoundSaysWhichSnapshotsHoldIt(t *testing.T) {
	at := func(h int) time.Time { return time.Date(2026, 12, 5, h, 0, 0, 0, time.Local) }
	one := backup.FoundFile{Time: at(2), Type: backup.TypeFile, Size: 2048, MTime: at(1), In: 1}
	span := one
	span.In, span.OldestTime = 12, at(2).AddDate(0, 0, -11)
	minute := one
	minute.In, minute.OldestTime = 3, at(2).Add(20*time.Second)
	older := one // from an agent older than this console
	older.In = 0
	dir := one
	dir.Type = backup.TypeDir
	gone := span
	gone.Gone = true
	for f, want := range map[*backup.FoundFile]string{
		&one:    "snapshot of 2026-12-05 02:00 · 2.0 KiB · modified 2026-12-05 01:00:00",
		&span:   "in 12 snapshots, 2026-11-24 02:00 to 2026-12-05 02:00 · 2.0 KiB · modified 2026-12-05 01:00:00",
		&minute: "in 3 snapshots of 2026-12-05 02:00 · 2.0 KiB · modified 2026-12-05 01:00:00",
		&older:  "snapshot of 2026-12-05 02:00 · 2.0 KiB · modified 2026-12-05 01:00:00",
		&dir:    "snapshot of 2026-12-05 02:00 · dir · modified 2026-12-05 01:00:00",
		&gone:   "in 12 snapshots, 2026-11-24 02:00 to 2026-12-05 02:00 · 2.0 KiB · modified 2026-12-05 01:00:00 · not in newer snapshots",
	} {
		if got := foundLine(*f); got != want {
			t.Errorf("%+v: %q, want %q", *f, got, want)
		}
	}
}

// Old versions replacing the files in use wait for a person to say so.
func TestTheRestoreDialogAsksBeforeReplacingTheFilesWhereTheyWere(t *testing.T) {
	mw, q, fr := tasksWindow(t)
	rd := openRestore(t, mw, q)
	tickRestore(rd, "/home/alice/Documents/report.odt")
	rd.where.SetSelected(rdOriginal)
	rd.existing.SetSelected(rdOverwrite)
	test.Tap(rd.restore)
	if got := overlayText(mw.win); !strings.Contains(got, "what was changed in them since is lost") {
		t.Fatalf("no question before replacing the files where they were: %q", got)
	}
	mw.win.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyReturn}) // a stray Enter replaces nothing
	early := len(fr.fakeTasks.restores())
	if early != 0 || !strings.Contains(overlayText(mw.win), "what was changed in them since is lost") {
		t.Fatal("restored before the answer")
	}
	tapButton(t, mw.win, rdReplace)
	q.runUntil(t, "the summary", func() bool { return strings.Contains(overlayText(mw.win), "Restore finished") })
	got := fr.fakeTasks.restores()
	if len(got) != 1 || !got[0].Original || !got[0].Overwrite {
		t.Fatalf("restored %+v", got)
	}
}

// Files deleted by mistake go back where they were, leaving what is
// there as it is: no folder to name, and the summary says what was left.
func TestTheRestoreDialogPutsFilesBackWhereTheyWere(t *testing.T) {
	mw, q, fr := tasksWindow(t)
	rd := openRestore(t, mw, q)
	tickRestore(rd, "/home/alice/Documents/report.odt")
	if !rd.restore.Disabled() || rd.status.Text != "Name the folder on the server to restore into." {
		t.Fatalf("into a folder not named: restore disabled %v, %q", rd.restore.Disabled(), rd.status.Text)
	}
	rd.where.SetSelected(rdOriginal)
	rd.existing.SetSelected(rdSkip)
	if rd.restore.Disabled() || !rd.target.Disabled() || !rd.browse.Disabled() || rd.note.Text != unixPaths.originalNote() ||
		rd.status.Text != "/home/alice/Documents/report.odt will be restored to where the files were; files already there are left as they are." {
		t.Fatalf("to where the files were: restore disabled %v, target disabled %v, note %q, status %q",
			rd.restore.Disabled(), rd.target.Disabled(), rd.note.Text, rd.status.Text)
	}
	test.Tap(rd.restore)
	q.runUntil(t, "the summary", func() bool {
		text := overlayText(mw.win)
		return strings.Contains(text, "Restored 0 files (0 B) from snapshot") &&
			strings.Contains(text, "to where the files were on FS01.\n1 file there already was left as it was.")
	})
	got := fr.fakeTasks.restores()
	if len(got) != 1 || !got[0].Original || got[0].Target != "" || !got[0].SkipExisting || got[0].Overwrite {
		t.Fatalf("restored %+v", got)
	}
	if icons := overlayImages(mw.win); !strings.Contains(icons, "info") || strings.Contains(icons, "warning") {
		t.Errorf("a restore that went well shows %q", icons)
	}
}

// A file restored from a damaged copy is what its summary says first,
// in its title, before the files restored and the warnings that name it,
// under a warning's sign.
func TestARestoreFromDamagedCopiesSaysSoInItsTitle(t *testing.T) {
	mw, q, _ := restoreAsked(t, func(f *fakeTasks) { f.damaged = true })
	q.runUntil(t, "the summary", func() bool { return strings.Contains(overlayText(mw.win), "Restore finished") })
	text := overlayText(mw.win)
	for _, want := range []string{"Restore finished: 1 file from damaged copies", "1 file was restored from a damaged copy: see the warnings.",
		"Warning: /srv/restore/home/alice/Documents/report.odt was restored from a damaged copy"} {
		if !strings.Contains(text, want) {
			t.Errorf("the summary %q lacks %q", text, want)
		}
	}
	if icons := overlayImages(mw.win); !strings.Contains(icons, "warning") || strings.Contains(icons, "info") {
		t.Errorf("the summary shows %q, not a warning's sign", icons)
	}
}

// The title says the worst first: files left out, then files from
// damaged copies, then other warnings.
func TestARestoresTitleSaysTheWorstFirst(t *testing.T) {
	for _, c := range []struct {
		rr   backup.RestoreReport
		want string
	}{
		{backup.RestoreReport{Files: 3}, "Restore finished"},
		{backup.RestoreReport{Files: 3, Warnings: []string{"a folder's owner"}}, "Restore finished with warnings"},
		{backup.RestoreReport{Files: 3, Damaged: 2, Warnings: []string{"…"}}, "Restore finished: 2 files from damaged copies"},
		{backup.RestoreReport{Files: 3, Damaged: 2, Unreadable: 1, Warnings: []string{"…"}}, "Restore finished: 1 file could not be restored"},
	} {
		if got := restoreTitle(c.rr); got != c.want {
			t.Errorf("%+v: %q, want %q", c.rr, got, c.want)
		}
	}
}

func TestTheToolbarsRunTaskShowsTheTasksThenRunsTheSelectedOne(t *testing.T) {
	mw, q, fr := remoteWindow(t, tabOverview)
	if mw.runBtn.Disabled() {
		t.Fatal("Run Task is disabled on a connected slave")
	}
	if run := menuItemLabelled(mw.rowMenu(mw.tree.selected), itemRunTask); run.Disabled {
		t.Fatal("the row's menu's Run Task is disabled on a connected slave")
	}
	test.Tap(mw.runBtn)
	if it := mw.detail.tabs.Selected(); it == nil || it.Text != tabTasks {
		t.Fatalf("Run Task from the Overview showed %v, not the Tasks tab", it)
	}
	tt := mw.detail.tasksTab
	q.runUntil(t, "the tasks", func() bool { return tt.loaded && len(tt.rows) == 3 })
	tt.table.Select(widget.TableCellID{Row: 2, Col: 0})
	test.Tap(mw.runBtn)
	q.runUntil(t, "the run request", func() bool { return fr.taskCalls("run photos") == 1 })

	for _, id := range []string{"a2", "a3", "c1", groupNodeID("Office")} {
		mw.tree.Select(id)
		if !mw.runBtn.Disabled() {
			t.Errorf("Run Task is enabled with %s selected, which is not linked", id)
		}
	}
}

// openRestore opens the Restore dialog on the task selected in the Tasks
// tab (the first when none is), once it has read the snapshots and the
// newest's top folder.
func openRestore(t *testing.T, mw *mainWindow, q *uiQueue) *restoreDialog {
	t.Helper()
	tt := mw.detail.tasksTab
	if _, ok := tt.current(); !ok {
		tt.table.Select(widget.TableCellID{Row: 0, Col: 0})
	}
	test.Tap(tt.restore)
	rd := tt.lastRestore
	q.runUntil(t, "the snapshots and the top folder", func() bool { return rd.snapshot != "" && rd.ft.nodes[""].loaded })
	return rd
}

// tickRestore ticks paths in the Restore dialog's tree, as clicks do.
func tickRestore(rd *restoreDialog, paths ...string) {
	for _, p := range paths {
		rd.ft.ticked[p] = true
	}
	rd.ft.tree.Refresh()
	rd.showState()
}

// restoreRefused opens the Restore dialog and asks it for report.odt into
// /srv/restore, which the agent refuses with err.
func restoreRefused(t *testing.T, err error) (*mainWindow, *uiQueue, *restoreDialog) {
	t.Helper()
	return restoreAsked(t, func(f *fakeTasks) { f.resErr = err })
}

// restoreAsked opens the Restore dialog and asks it for report.odt into
// /srv/restore, of the agent answering as set made it.
func restoreAsked(t *testing.T, set func(*fakeTasks)) (*mainWindow, *uiQueue, *restoreDialog) {
	t.Helper()
	mw, q, fr := tasksWindow(t)
	fr.fakeTasks.mu.Lock()
	set(fr.fakeTasks)
	fr.fakeTasks.mu.Unlock()
	rd := openRestore(t, mw, q)
	tickRestore(rd, "/home/alice/Documents/report.odt")
	rd.target.SetText("/srv/restore")
	test.Tap(rd.restore)
	return mw, q, rd
}

// restores are the restores asked of the fake, in order.
func (f *fakeTasks) restores() []backup.RestoreOptions {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.restored)
}

// restoreCheckOf is the tick drawn for id in the Restore dialog's tree,
// or nil when its row is not on screen.
func restoreCheckOf(rd *restoreDialog, id string) *dialogCheck {
	for _, o := range test.LaidOutObjects(rd.ft.tree) {
		if r, ok := o.(*folderRow); ok && r.id == id && r.Visible() {
			return r.check
		}
	}
	return nil
}

// A row opened from the Backups window shows its slave's Tasks tab with
// that task selected, once the list is read, so Ctrl+R runs it.
func TestATaskOpenedFromTheBackupsWindowIsSelected(t *testing.T) {
	mw, q, fr := remoteWindow(t, tabOverview)
	mw.tree.Select("b2") // another slave first: the list is read afresh
	mw.openTasksOf("a1", "PHOTOS")
	if it := mw.detail.tabs.Selected(); it == nil || it.Text != tabTasks || mw.tree.selected != "a1" {
		t.Fatalf("opened %q on %v", mw.tree.selected, it)
	}
	tt := mw.detail.tasksTab
	q.runUntil(t, "the tasks", func() bool { return tt.loaded })
	if cur, ok := tt.current(); !ok || cur.Task.Name != "photos" {
		t.Fatalf("selected %+v, want photos", cur.Task)
	}
	// With the list shown, at once.
	mw.openTasksOf("a1", "mail")
	if cur, _ := tt.current(); cur.Task.Name != "mail" {
		t.Fatalf("selected %q, want mail", cur.Task.Name)
	}
	press(mw.win, shortcutRunTask())
	q.runUntil(t, "the run request", func() bool { return fr.taskCalls("run mail") == 1 })
}

// Ctrl+Shift+R (Slave → Run Task, Reading Every File) runs the selected
// task as Ctrl+R does, reading every file, and the status line says so.
func TestCtrlShiftRRunsTheSelectedTaskReadingEveryFile(t *testing.T) {
	mw, q, fr := tasksWindow(t)
	tt := mw.detail.tasksTab
	if it := menuItemLabelled(mw.slaveMenu(), itemReread); it == nil || it.Disabled {
		t.Fatalf("the Slave menu's %q: %+v", itemReread, it)
	}
	tt.table.Select(widget.TableCellID{Row: 0, Col: 0})
	press(mw.win, shortcutReread())
	q.runUntil(t, "the run request", func() bool { return fr.taskCalls("run documents --reread") == 1 })
	q.runUntil(t, "the status", func() bool { return strings.HasSuffix(tt.status.Text, " is running on FS01, reading every file.") })
	if n := fr.taskCalls("run documents"); n != 1 {
		t.Errorf("%d runs asked for, want the one reading every file", n)
	}
}

// What the retention typed removes at the next run shows under it: in
// quiet colours while it is the retention saved, in warning colours once
// an edit would remove what the saved one keeps.
func TestTheTaskDialogSaysWhatTheRetentionRemovesAtTheNextRun(t *testing.T) {
	mw, q, fr := tasksWindow(t)
	oldest := time.Date(2026, 2, 10, 2, 0, 0, 0, time.Local)
	fr.fakeTasks.mu.Lock()
	fr.fakeTasks.check = master.TaskCheck{Retention: backup.RetentionPreview{Snapshots: 15, Removes: 1, OldestRemoved: oldest, NewestRemoved: oldest}}
	fr.fakeTasks.mu.Unlock()
	tt := mw.detail.tasksTab
	tt.table.Select(widget.TableCellID{Row: 0, Col: 0}) // documents: keep 14 daily
	test.Tap(tt.edit)
	td := openTaskDialog(t, mw)
	td.overdue.SetText("72h") // a change that is not the retention
	q.runUntil(t, "the agent's verdict", func() bool { return td.pruning.Visible() })
	if want := "The next run removes 1 of the 15 snapshots there are now, taken 2026-02-10 02:00."; td.pruning.Text != want || td.pruning.Importance != widget.LowImportance {
		t.Errorf("with the saved retention: %q (%v), want %q in quiet colours", td.pruning.Text, td.pruning.Importance, want)
	}

	fr.fakeTasks.mu.Lock()
	fr.fakeTasks.check.Retention = backup.RetentionPreview{Snapshots: 15, Removes: 12, OldestRemoved: oldest, NewestRemoved: oldest.Add(11 * 24 * time.Hour)}
	fr.fakeTasks.mu.Unlock()
	td.keep[1].SetText("3")
	q.runUntil(t, "the new verdict", func() bool { return strings.Contains(td.pruning.Text, "12 of the 15") })
	if want := "The next run removes 12 of the 15 snapshots there are now, taken from 2026-02-10 to 2026-02-21."; td.pruning.Text != want || td.pruning.Importance != widget.WarningImportance {
		t.Errorf("with a tighter retention: %q (%v), want %q in warning colours", td.pruning.Text, td.pruning.Importance, want)
	}
	td.close()
}

// Copies found damaged since a run that succeeded are in its result, in
// warning colours, until the next run.
func TestALastResultSaysCopiesWereFoundDamagedSince(t *testing.T) {
	info := agent.TaskInfo{LastRun: &backup.Report{Result: backup.ResultCompleted, FoundDamaged: 2}}
	if s, imp := lastResult(info); s != "completed · 2 copies found damaged" || imp != widget.WarningImportance {
		t.Errorf("%q (%v)", s, imp)
	}
}

// A run stopped by hand is a warning, not a failure, and its result does
// not say "stopped" twice (its error says no more): "stopped", with
// what was found damaged while it ran.
func TestAStoppedRunIsAWarningSaidOnce(t *testing.T) {
	info := agent.TaskInfo{LastRun: &backup.Report{Result: backup.ResultStopped, Error: "stopped before it finished; earlier snapshots are untouched"}}
	if s, imp := lastResult(info); s != "stopped" || imp != widget.WarningImportance {
		t.Errorf("%q (%v)", s, imp)
	}
	info.LastRun.FoundDamaged = 1
	if s, imp := lastResult(info); s != "stopped · 1 copy found damaged" || imp != widget.WarningImportance {
		t.Errorf("with a copy found damaged while it ran: %q (%v)", s, imp)
	}
}

// A failed run its agent tries again says when, until the try begins.
func TestAFailedRunSaysWhenItIsTriedAgain(t *testing.T) {
	at := time.Date(2026, 12, 5, 2, 10, 0, 0, time.Local)
	info := agent.TaskInfo{LastRun: &backup.Report{Result: backup.ResultFailed, Error: "the share is not mounted", RetryAt: at}}
	if s, imp := lastResult(info); s != "failed (tried again at 02:10): the share is not mounted" || imp != widget.DangerImportance {
		t.Errorf("waiting for its retry: %q (%v)", s, imp)
	}
	info.Running = true
	if s, _ := lastResult(info); s != "failed: the share is not mounted" {
		t.Errorf("while it is tried again: %q", s)
	}
}

// A Windows server's dialogs give their examples as Windows writes
// paths, once its status has said what it runs on.
func TestTheDialogsExamplesAreWrittenAsTheServerWritesPaths(t *testing.T) {
	mw, q, fr := tasksWindow(t)
	tt := mw.detail.tasksTab
	v := demoFleet()[0]
	v.Status = proto.Clone(v.Status).(*pb.StatusResponse)
	v.Status.Os = "windows"
	fr.set(v)
	q.runUntil(t, "the status saying Windows", func() bool { return tt.goos == "windows" })

	test.Tap(tt.add)
	td := openTaskDialog(t, mw)
	for _, c := range []struct{ field, hint, want string }{
		{"sources", td.sources.PlaceHolder, `C:\Users\alice\Documents`},
		{"destination", td.dest.PlaceHolder, `D:\Backup`},
		{"excludes", td.excludes.PlaceHolder, `C:\Users\*\AppData\Local\Temp`},
	} {
		if !strings.Contains(c.hint, c.want) || strings.Contains(c.hint, "/home") {
			t.Errorf("%s: %q, want an example like %s", c.field, c.hint, c.want)
		}
	}
	td.close()

	rd := openRestore(t, mw, q)
	if want := `C:\Users\alice\a.txt goes to FOLDER\C\Users\alice\a.txt`; !strings.Contains(rd.note.Text, want) {
		t.Errorf("restore note %q, want %q", rd.note.Text, want)
	}
	if rd.target.PlaceHolder != `a folder on the server, e.g. D:\Restore` {
		t.Errorf("restore target hint %q", rd.target.PlaceHolder)
	}
	rd.where.SetSelected(rdOriginal)
	if want := `C:\Users\alice\a.txt to C:\Users\alice\a.txt`; !strings.Contains(rd.note.Text, want) {
		t.Errorf("restore note where the files were %q, want %q", rd.note.Text, want)
	}
	// The snapshot's drives and shares are named as Windows names them.
	rd.ft.list = func(_ context.Context, dir, _ string) (backup.BrowsePage, error) {
		var entries []backup.BrowseEntry
		if dir == "" {
			entries = []backup.BrowseEntry{{Name: "C", Type: backup.TypeDir}, {Name: "UNC", Type: backup.TypeDir}}
		}
		return backup.BrowsePage{Dir: "/", Entries: entries, Total: len(entries)}, nil
	}
	rd.ft.reset()
	q.runUntil(t, "the snapshot's top read", func() bool { return rd.ft.nodes[""].loaded })
	shown := map[string]string{}
	for _, o := range test.LaidOutObjects(rd.ft.tree) {
		if r, ok := o.(*folderRow); ok && r.Visible() {
			shown[r.id] = r.name.Text
		}
	}
	if shown["/C"] != "C:" || shown["/UNC"] != `\\ (network shares)` {
		t.Errorf("the top of a Windows snapshot reads %q", shown)
	}
	// A folder written as Windows writes it is a pattern there, though
	// the console's own system would read its backslash as an escape.
	rd.find.SetText(`C:\Users\alice\`)
	if _, ok := typedPattern(&rd.find.Entry, rd.status, rd.eg.goos); !ok {
		t.Errorf("a Windows folder refused as a pattern: %q", rd.status.Text)
	}
}

// A run whose answer never came may have started: the window says so
// rather than that it could not run.
func TestARunWithoutAnAnswerMayHaveStarted(t *testing.T) {
	mw, q, fr := tasksWindow(t)
	fr.fakeTasks.mu.Lock()
	fr.fakeTasks.runErr = fmt.Errorf("FS01 did not answer in time: the command may still be carried out (%w)", master.ErrNoAnswer)
	fr.fakeTasks.mu.Unlock()
	tt := mw.detail.tasksTab
	tt.table.Select(widget.TableCellID{Row: 0, Col: 0})
	press(mw.win, shortcutRunTask())
	q.runUntil(t, "the failure shown", func() bool { return strings.Contains(overlayText(mw.win), "did not answer in time") })
	if txt := overlayText(mw.win); !strings.Contains(txt, "documents may have started") || strings.Contains(txt, "Could not run") {
		t.Fatalf("a run without an answer: %q", txt)
	}
}

// A search that fails on the agent says why, in the Restore dialog and
// in Find a File, and is not taken for one stopped by its button.
func TestAFindThatFailsSaysWhy(t *testing.T) {
	mw, q, fr := tasksWindow(t)
	fr.fakeTasks.mu.Lock()
	fr.fakeTasks.findErr = errors.New("the link to FS01 closed before it answered (link lost): the command may or may not have been carried out")
	fr.fakeTasks.mu.Unlock()

	rd := openRestore(t, mw, q)
	test.Type(rd.find, "Report*")
	test.Tap(rd.findBtn.btn)
	q.runUntil(t, "the search's failure", func() bool { return !rd.findBtn.searching })
	if rd.status.Text != "The link to FS01 closed before it answered (link lost): the command may or may not have been carried out" {
		t.Errorf("the Restore dialog after a failed search: %q", rd.status.Text)
	}
	rd.d.Hide()

	tt := mw.detail.tasksTab
	test.Tap(tt.find)
	fd := tt.lastFind
	t.Cleanup(func() { fd.d.Hide() })
	test.Type(fd.entry, "Report*")
	fd.entry.OnSubmitted(fd.entry.Text)
	q.runUntil(t, "every task searched", func() bool { return !fd.btn.searching })
	if !strings.HasPrefix(fd.status.Text, "documents: the link to FS01 closed before it answered") || strings.Contains(fd.status.Text, "Stopped") {
		t.Errorf("Find a File after failed searches: %q", fd.status.Text)
	}
}

// A file whose task is not known: Find a File looks in every task's
// snapshots, names each version's task, and the one chosen opens in its
// task's Restore dialog, its snapshot chosen and the file ticked.
func TestFindAFileLooksInEveryTaskAndOpensTheRestoreOfTheOneChosen(t *testing.T) {
	mw, q, fr := tasksWindow(t)
	tt := mw.detail.tasksTab
	if tt.find.Disabled() {
		t.Fatal("Find a File is off with tasks to look in")
	}
	test.Tap(tt.find)
	fd := tt.lastFind
	t.Cleanup(func() { fd.d.Hide() })
	test.Type(fd.entry, "Report*")
	fd.entry.OnSubmitted(fd.entry.Text)
	q.runUntil(t, "every task searched", func() bool {
		return !fd.btn.searching && strings.HasPrefix(fd.status.Text, "documents: 1 found (2 versions) in 2 snapshots; ")
	})
	if len(fd.found) != 2*len(tt.rows) || fr.taskCalls("find Report*") != len(tt.rows) {
		t.Fatalf("found %d in %d tasks, asked %d times: %q", len(fd.found), len(tt.rows), fr.taskCalls("find Report*"), fd.status.Text)
	}
	text := overlayText(mw.win)
	if !strings.Contains(text, "report.odt in /home/alice/Documents") || !strings.Contains(text, fd.found[0].task+" · snapshot of ") {
		t.Fatalf("the list reads %q", text)
	}
	if !fd.pick.Disabled() {
		t.Fatal("Restore… is on with nothing chosen")
	}
	fd.list.Select(3) // the second task's older version
	mw.win.Canvas().Focus(fd.list)
	fd.list.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn}) // as Restore… does
	rd := fd.restore
	if rd == nil || rd.task != fd.found[3].task {
		t.Fatalf("the Restore dialog of %s did not open", fd.found[3].task)
	}
	t.Cleanup(rd.close)
	selected := ""
	rd.ft.tree.OnSelected = func(id string) { selected = id }
	q.runUntil(t, "the snapshot chosen and the file ticked and shown", func() bool {
		return rd.snapshot == "2026-03-12T020000Z" && rd.ft.ticked["/home/alice/Documents/report.odt"] && len(rd.paths()) == 1 &&
			selected == "/home/alice/Documents/report.odt"
	})

	// A version that several snapshots hold is listed once, and says
	// so once the older snapshot's part of the answer came.
	fd = showFindDialog(mw.win, tt.r, tt.rm, tt.slave, []string{"documents"}, pathsOn(""))
	t.Cleanup(func() { fd.d.Hide() })
	fd.entry.SetText("*.odt")
	fd.entry.OnSubmitted(fd.entry.Text)
	q.runUntil(t, "both snapshots searched", func() bool { return !fd.btn.searching && len(fd.found) == 3 })
	if notes := fd.found[0].f; notes.Snapshots() != 2 || notes.Snapshot != "2026-03-13T020000Z" || notes.Oldest != "2026-03-12T020000Z" ||
		!strings.Contains(overlayText(mw.win), "documents · in 2 snapshots, ") {
		t.Errorf("notes.odt, in both snapshots, is listed as %+v: %q", notes, overlayText(mw.win))
	}
	fd.d.Hide()

	// Nothing found in any task is said once, with how to look for a
	// part of a name.
	var names []string
	for _, r := range tt.rows {
		names = append(names, r.Task.Name)
	}
	fd = showFindDialog(mw.win, tt.r, tt.rm, tt.slave, names, pathsOn(""))
	t.Cleanup(func() { fd.d.Hide() })
	fd.entry.SetText("nothing-like-it")
	fd.entry.OnSubmitted(fd.entry.Text)
	q.runUntil(t, "every task searched", func() bool {
		return !fd.btn.searching && fd.status.Text != "" && !strings.HasPrefix(fd.status.Text, "Looking")
	})
	if want := fmt.Sprintf(`Nothing is named "nothing-like-it" in %d snapshots: for names with nothing-like-it in them, look for "*nothing-like-it*".`, 2*len(tt.rows)); fd.status.Text != want {
		t.Errorf("nothing found in %d tasks: %q, want %q", len(tt.rows), fd.status.Text, want)
	}
	fd.d.Hide()

	// A search of one task that found one version has it chosen.
	fd = showFindDialog(mw.win, tt.r, tt.rm, tt.slave, []string{"documents"}, pathsOn(""))
	t.Cleanup(func() { fd.d.Hide() })
	fd.entry.SetText("budget*")
	fd.entry.OnSubmitted(fd.entry.Text)
	q.runUntil(t, "the one version found", func() bool { return !fd.btn.searching && len(fd.found) == 1 })
	if fd.chosen != 0 || fd.pick.Disabled() {
		t.Errorf("the one version found is not chosen (%d), Restore… disabled %v", fd.chosen, fd.pick.Disabled())
	}
	// Only in the older snapshot: once the answer ends, the list says so.
	if !fd.found[0].f.Gone || !strings.Contains(overlayText(mw.win), "· not in newer snapshots") {
		t.Errorf("budget.xlsx, not in the newest snapshot, is listed as %+v: %q", fd.found[0].f, overlayText(mw.win))
	}
}

// Ctrl+Shift+F (Slave → Find a File…) opens Find a File on the selected
// server from any tab: its Tasks tab shown, and the dialog once its tasks
// are read; with them read, at once. A server not linked has none.
func TestCtrlShiftFFindsAFileOnTheSelectedServer(t *testing.T) {
	mw, q, _ := remoteWindow(t, tabOverview)
	tt := mw.detail.tasksTab
	press(mw.win, shortcutFindFile())
	if it := mw.detail.tabs.Selected(); it == nil || it.Text != tabTasks {
		t.Fatalf("Ctrl+Shift+F showed %v, want the Tasks tab", it)
	}
	q.runUntil(t, "Find a File open once the tasks are read", func() bool { return tt.lastFind != nil })
	if fd := tt.lastFind; fd.slave != "FS01" || len(fd.tasks) != 3 || mw.win.Canvas().Focused() != fd.entry {
		t.Fatalf("Find a File on %s over %v tasks, focus on %T", fd.slave, fd.tasks, mw.win.Canvas().Focused())
	}
	// Pressed again, it goes back to the dialog open, and opens no other.
	open := tt.lastFind
	mw.win.Canvas().Focus(nil)
	press(mw.win, shortcutFindFile())
	if tt.lastFind != open || mw.win.Canvas().Focused() != open.entry {
		t.Fatal("Ctrl+Shift+F with Find a File open opened another, or left its box")
	}
	open.d.Hide()
	press(mw.win, shortcutFindFile())
	if tt.lastFind == open {
		t.Fatal("with the tasks read, Ctrl+Shift+F did not open Find a File at once")
	}
	tt.lastFind.d.Hide()
	tt.lastFind = nil

	// Asked for while the tasks are read, it waits for them, unless
	// another tab is chosen meanwhile.
	tt.loaded = false
	press(mw.win, shortcutFindFile())
	mw.detail.selectTab(tabOverview)
	q.runUntil(t, "the tasks read", func() bool { return tt.loaded })
	q.runPending()
	if tt.lastFind != nil {
		t.Fatal("Find a File opened over the Overview tab")
	}

	mw.tree.Select("a2") // FS02, offline
	press(mw.win, shortcutFindFile())
	q.runPending()
	if tt.lastFind != nil || tt.findAsked {
		t.Errorf("Ctrl+Shift+F on an offline server opened Find a File (%v) or waits to (%v)", tt.lastFind != nil, tt.findAsked)
	}
}

// A long search across the tasks stops at Stop (the Find button while
// it searches), keeping what it found: in the tasks searched to the end,
// and in the one it was searching, what its snapshots searched held.
func TestFindAFileStopsAndKeepsWhatItFound(t *testing.T) {
	mw, q, fr, fd, second := findingInTheSecondTask(t)
	tt := mw.detail.tasksTab
	if !strings.Contains(fd.status.Text, "in "+second+" (task 2 of") {
		t.Fatalf("while it searches the second task the status reads %q", fd.status.Text)
	}
	if fd.found[2].task != second {
		t.Fatalf("the third version listed is %s's, want %s's", fd.found[2].task, second)
	}
	if fd.btn.btn.Text != fdStop || fd.btn.btn.Disabled() {
		t.Fatalf("while it searches the button reads %q (disabled %v); want Stop", fd.btn.btn.Text, fd.btn.btn.Disabled())
	}
	fd.entry.OnSubmitted(fd.entry.Text) // Enter does not stop it, nor start another
	test.Tap(fd.btn.btn)
	q.runUntil(t, "the search stopped", func() bool { return !fd.btn.searching })
	if len(tt.rows) != 3 {
		t.Fatalf("%d tasks; the words below are for 3", len(tt.rows))
	}
	want := "documents: 1 found (2 versions) in 2 snapshots. Stopped partway through " + second + " (1 found there so far); 1 more task not searched. Choose the version to restore."
	if fd.status.Text != want || len(fd.found) != 3 || fd.btn.btn.Text != fdFind {
		t.Errorf("after Stop: %q, %d found, button %q; want %q, 3 (the first task's 2 and the second's 1), Find", fd.status.Text, len(fd.found), fd.btn.btn.Text, want)
	}
	if n := fr.taskCalls("find Report*"); n != 2 {
		t.Errorf("%d tasks asked; want the two up to the stop", n)
	}
}

// A version listed may be chosen while the search goes on: Restore…
// opens it and calls the search off.
func TestFindAFileRestoresAVersionChosenWhileItSearches(t *testing.T) {
	_, q, _, fd, second := findingInTheSecondTask(t)
	fd.list.Select(2)
	test.Tap(fd.pick)
	if fd.restore == nil || fd.restore.task != second {
		t.Fatalf("the Restore dialog of %s did not open", second)
	}
	t.Cleanup(fd.restore.close)
	if fd.ctx.Err() == nil {
		t.Error("the search goes on behind the Restore dialog")
	}
	q.runUntil(t, "the version's snapshot chosen", func() bool { return fd.restore.snapshot == fd.found[2].f.Snapshot })
}

// findingInTheSecondTask starts Find a File for Report* in every task of
// the tasks window; the second task's search waits, once the version in
// its newest snapshot is listed (the third), until it is called off.
func findingInTheSecondTask(t *testing.T) (mw *mainWindow, q *uiQueue, fr *fakeRemote, fd *findDialog, second string) {
	t.Helper()
	mw, q, fr = tasksWindow(t)
	tt := mw.detail.tasksTab
	second = tt.rows[1].Task.Name
	fr.fakeTasks.mu.Lock()
	fr.fakeTasks.findHang = second
	fr.fakeTasks.mu.Unlock()
	test.Tap(tt.find)
	fd = tt.lastFind
	t.Cleanup(func() { fd.d.Hide() })
	test.Type(fd.entry, "Report*")
	test.Tap(fd.btn.btn)
	q.runUntil(t, "the second task's newest find listed", func() bool { return len(fd.found) == 3 })
	return mw, q, fr, fd, second
}

// Stop's words say where the search was and what it had not reached.
func TestStoppedInSaysWhereTheSearchStopped(t *testing.T) {
	for _, c := range []struct {
		found, left int
		want        string
	}{
		{0, 0, "Stopped partway through mail."},
		{1, 0, "Stopped partway through mail (1 found there so far)."},
		{0, 1, "Stopped partway through mail; 1 more task not searched."},
		{1200, 4, "Stopped partway through mail (1,200 found there so far); 4 more tasks not searched."},
	} {
		if got := stoppedIn("mail", c.found, c.left); got != c.want {
			t.Errorf("stoppedIn(mail, %d, %d) = %q, want %q", c.found, c.left, got, c.want)
		}
	}
}

// A restore or a verify that fails on the agent says why, and is not
// taken for one called off: the Restore dialog comes back with its
// choices and the agent's words, a verify shows them.
func TestARestoreOrVerifyThatFailsSaysWhy(t *testing.T) {
	refusal := errors.New(`FS01 answered: cannot restore /srv/restore/a.odt: leads outside the snapshot (a link put there after the backup): not followed`)
	mw, q, rd := restoreRefused(t, refusal)
	q.runUntil(t, "the restore's failure", func() bool { return strings.Contains(rd.status.Text, "leads outside the snapshot") })
	if text := overlayText(mw.win); strings.Contains(text, "Restore cancelled") || rd.target.Text != "/srv/restore" {
		t.Fatalf("a restore that failed: %q, target %q", text, rd.target.Text)
	}
	rd.d.Hide()

	fr := mw.c.(*fakeRemote)
	fr.fakeTasks.mu.Lock()
	fr.fakeTasks.verErr = refusal
	fr.fakeTasks.mu.Unlock()
	test.Tap(mw.detail.tasksTab.verify)
	q.runUntil(t, "the verify's failure", func() bool {
		text := overlayText(mw.win)
		return strings.Contains(text, "Could not verify") && strings.Contains(text, "leads outside the snapshot")
	})
}

// A verify that found damage lists it and says what the next run does
// about it.
func TestAVerifyThatFoundDamageSaysWhatTheNextRunDoes(t *testing.T) {
	mw, q, fr := tasksWindow(t)
	fr.fakeTasks.mu.Lock()
	fr.fakeTasks.verRep = backup.VerifyReport{Task: "documents", Snapshot: "2026-03-13T020000Z", Files: 3, Changed: 1, Recopy: true,
		Problems: []backup.Problem{{Path: "/home/alice/Documents/report.odt", Reason: "content differs from the manifest"},
			{Path: "/home/alice/x\n/etc/shadow", Reason: "missing"}}}
	fr.fakeTasks.mu.Unlock()
	mw.detail.tasksTab.table.Select(widget.TableCellID{Row: 0, Col: 0})
	test.Tap(mw.detail.tasksTab.verify)
	want := "Snapshot 2026-03-13T020000Z of documents does not match its manifest: 0 missing, 1 changed.\n\n" +
		"The next run copies these files afresh from the server and mends the older snapshots that hold the same copies.\n\n" +
		"/home/alice/Documents/report.odt: content differs from the manifest\n" +
		`"/home/alice/x\n/etc/shadow": missing` // a name that could forge a line, quoted
	q.runUntil(t, "the verify's report", func() bool { return strings.Contains(overlayText(mw.win), want) })
}

// The files an agent names in its refusal are named in the dialog, as
// its peer text: quoted and cut.
func TestARestoreOverFilesNamesTheFilesTheAgentFound(t *testing.T) {
	for _, tt := range []struct {
		name  string
		found *pb.FilesExist
		want  string
	}{
		{"one file", &pb.FilesExist{Paths: []string{"/srv/restore/a.odt"}, Count: 1},
			"Nothing was restored: 1 file already exists in /srv/restore: /srv/restore/a.odt. Choose what becomes of it under “"},
		{"three of 24, one with a line break in its name",
			&pb.FilesExist{Paths: []string{"/srv/restore/a.odt", "/srv/restore/b\nforged.odt", "/srv/restore/c.odt"}, Count: 24},
			"Nothing was restored: 24 files already exist in /srv/restore, among them /srv/restore/a.odt, \"/srv/restore/b\\nforged.odt\" and /srv/restore/c.odt. Choose what becomes of them under “"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			detail, err := proto.Marshal(tt.found)
			if err != nil {
				t.Fatal(err)
			}
			_, q, rd := restoreRefused(t, &master.AgentError{Slave: "FS01", Code: wire.ErrFilesExist, Message: "files exist", Detail: detail})
			q.runUntil(t, "the refusal", func() bool { return strings.HasPrefix(rd.status.Text, "Nothing was restored") })
			if !strings.HasPrefix(rd.status.Text, tt.want) {
				t.Errorf("the dialog says\n%s\nwant it to begin\n%s", rd.status.Text, tt.want)
			}
		})
	}
}

// A restore that stopped before files already there says how to go on
// in the dialog's words, not with the command line's flags the agent's
// answer names.
func TestARestoreOverFilesSaysHowToGoOnInTheDialogsWords(t *testing.T) {
	mw, q, rd := restoreRefused(t, &master.AgentError{Slave: "FS01", Code: wire.ErrFilesExist,
		Message: "1 file already exists in /srv/restore: nothing was restored; pass --skip-existing to restore only what is missing, --overwrite to replace them, or restore into an empty folder (/srv/restore/a.odt)"})
	want := "Nothing was restored: some of these files already exist in /srv/restore. Choose what becomes of them under “" + rdExisting + "”"
	q.runUntil(t, "the refusal", func() bool { return strings.HasPrefix(rd.status.Text, want) })
	if strings.Contains(rd.status.Text, "--") || rd.target.Text != "/srv/restore" {
		t.Fatalf("after a restore over files: %q, target %q", rd.status.Text, rd.target.Text)
	}
	// A choice made then says what the restore will do.
	rd.existing.SetSelected(rdSkip)
	if want := "/home/alice/Documents/report.odt will be restored into /srv/restore; files already there are left as they are."; rd.status.Text != want {
		t.Errorf("after %q was chosen: %q, want %q", rdSkip, rd.status.Text, want)
	}
	// The dialog is as it was: its folders still read, and Escape closes it.
	if rd.ctx.Err() != nil {
		t.Fatal("the dialog's reads were called off by the restore")
	}
	pressKey(mw.win, fyne.KeyEscape)
	if rd.ctx.Err() == nil || mw.win.Canvas().Overlays().Top() != nil {
		t.Fatal("Escape did not close the dialog after a restore over files")
	}
}
