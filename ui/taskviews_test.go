package ui

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/lanyard/lanyard/core/agent"
	"github.com/lanyard/lanyard/core/backup"
	"github.com/lanyard/lanyard/core/master"
)

// cellText is what a grid table's cell shows.
func cellText(table *gridTable, row, col int) string {
	cell := table.CreateCell()
	table.UpdateCell(widget.TableCellID{Row: row, Col: col}, cell)
	for _, o := range test.LaidOutObjects(cell) {
		if l, ok := o.(*widget.Label); ok {
			return l.Text
		}
	}
	return ""
}

// tableIn is the grid table in o (a dialog, say).
func tableIn(t *testing.T, o fyne.CanvasObject) *gridTable {
	t.Helper()
	for _, c := range test.LaidOutObjects(o) {
		if table, ok := c.(*gridTable); ok {
			return table
		}
	}
	t.Fatalf("no table in %q", textsIn(o))
	return nil
}

// taskView is a History or Snapshots view opened on the fake agent's
// task, and what a test drives it with.
type taskView struct {
	mw    *mainWindow
	table *gridTable
	q     *uiQueue
	fr    *fakeRemote
}

// openTaskView selects the Tasks tab's row, taps the button button
// picks (History, Snapshots) and waits for the two rows the fake agent
// has for every such view.
func openTaskView(t *testing.T, row int, button func(*tasksTab) *widget.Button) taskView {
	t.Helper()
	mw, q, fr := tasksWindow(t)
	tt := mw.detail.tasksTab
	tt.table.Select(widget.TableCellID{Row: row, Col: 0})
	test.Tap(button(tt))
	table := tableIn(t, mw.win.Canvas().Overlays().Top())
	q.runUntil(t, "the view read", func() bool { n, _ := table.Length(); return n == 2 })
	return taskView{mw: mw, table: table, q: q, fr: fr}
}

// history and snapshots pick the Tasks tab's buttons for openTaskView.
func history(tt *tasksTab) *widget.Button   { return tt.history }
func snapshots(tt *tasksTab) *widget.Button { return tt.snapshots }

// labelsIn is the words of every label in the topmost dialog, one label
// a line.
func labelsIn(w fyne.Window) string {
	var out []string
	for _, c := range test.LaidOutObjects(w.Canvas().Overlays().Top()) {
		if l, ok := c.(*widget.Label); ok && l.Visible() {
			out = append(out, l.Text)
		}
	}
	return strings.Join(out, "\n")
}

// The History and Snapshots views' columns hold what they usually say,
// and fit the view without a sideways scroll.
func TestTaskViewColumnsHoldTheirUsualTexts(t *testing.T) {
	usual := map[string][]string{
		"Started":      {"2026-12-07 18:57:28"},
		"Taken":        {"2026-12-07 18:57:28"},
		"Snapshot":     {"2026-12-07T185728Z"},
		"Trigger":      {"manual, verified", "schedule, verified", "catch-up, verified", "retry 2, verified", "console, verified"},
		"Result":       {"completed with warnings", "interrupted"},
		"Files":        {"123,456"},
		"Copied":       {"123,456"},
		"Linked":       {"123,456"},
		"Bytes copied": {"1,023.9 MiB"},
		"Size":         {"1,023.9 MiB"},
		"Duration":     {"1 h 12 min"},
	}
	for _, c := range []struct {
		view    string
		button  func(*tasksTab) *widget.Button
		columns []string
		widths  []float32
	}{
		{"History", history, historyColumns[:], historyColumnWidths[:]},
		{"Snapshots", snapshots, snapshotColumns[:], snapshotColumnWidths[:]},
	} {
		t.Run(c.view, func(t *testing.T) {
			v := openTaskView(t, 1, c.button)
			var sum float32
			for i, name := range c.columns {
				w := c.widths[i]
				sum += w
				for _, s := range usual[name] {
					if need := fyne.MeasureText(s, theme.TextSize(), fyne.TextStyle{}).Width + 2*theme.InnerPadding(); w < need {
						t.Errorf("the %s column is %v wide; %q needs %v", name, w, s, need)
					}
				}
			}
			if w := v.table.Size().Width; sum > w {
				t.Errorf("the columns need %v, more than the table's %v: it scrolls sideways", sum, w)
			}
		})
	}
}

// A run's row cuts a long error; the run selected shows its whole
// report under the table, warnings and all.
func TestTheHistoryShowsTheSelectedRunsReportInFull(t *testing.T) {
	v := openTaskView(t, 1, history) // mail
	mw, runs := v.mw, v.table
	if got := labelsIn(mw.win); !strings.Contains(got, historyPickHint) {
		t.Errorf("before a run is selected the History says:\n%s\nwant the hint", got)
	}
	runs.Select(widget.TableCellID{Row: 0, Col: 2}) // the newest run: failed
	if got := labelsIn(mw.win); !strings.Contains(got, "Failed after 1.0 s: "+mailFailure) || strings.Contains(got, historyPickHint) {
		t.Errorf("with the failed run selected the History says:\n%s\nwant its whole error in place of the hint", got)
	}
	runs.Select(widget.TableCellID{Row: 1, Col: 0}) // the one before: warnings
	got := labelsIn(mw.win)
	for _, want := range []string{"(schedule)", "Warnings (3):", "/var/mail/alice.lock: permission denied", "… and 2 more (see the agent's log)"} {
		if !strings.Contains(got, want) {
			t.Errorf("with the run with warnings selected the History lacks %q:\n%s", want, got)
		}
	}
	tapButton(t, mw.win, "Close")
}

// A divider dragged between a list and its record is where it was left
// the next time: the History's once it closed, and the Tasks and Log
// tabs' once the console quit.
func TestADividerDraggedIsWhereItWasLeft(t *testing.T) {
	v := openTaskView(t, 1, history)
	mw := v.mw
	split := splitIn(t, mw.win.Canvas().Overlays().Top())
	if !near(split.Offset, 1-recordShare) {
		t.Fatalf("the History's divider starts at %v; want %v", split.Offset, 1-recordShare)
	}
	split.SetOffset(0.45) // as a drag does
	tapButton(t, mw.win, "Close")
	test.Tap(mw.detail.tasksTab.history)
	if again := splitIn(t, mw.win.Canvas().Overlays().Top()); !near(again.Offset, 0.45) {
		t.Errorf("the History opened again with its divider at %v; it was left at 0.45", again.Offset)
	}
	tapButton(t, mw.win, "Close")

	mw.detail.tasksTab.body.SetOffset(0.5)
	mw.detail.logTab.body.SetOffset(0.6)
	mw.closing()
	p := fyne.CurrentApp().Preferences()
	if got := p.Float(string(tasksSplit)); !near(got, 0.5) {
		t.Errorf("the Tasks tab's record share kept is %v; its divider was left half way", got)
	}
	if got := p.Float(string(logTabSplit)); !near(got, 0.4) {
		t.Errorf("the Log tab's record share kept is %v; its divider was left at 0.6", got)
	}
}

// splitIn is the first split in o.
func splitIn(t *testing.T, o fyne.CanvasObject) *container.Split {
	t.Helper()
	for _, c := range test.LaidOutObjects(o) {
		if s, ok := c.(*container.Split); ok {
			return s
		}
	}
	t.Fatalf("no split in %q", textsIn(o))
	return nil
}

// near says whether a and b are the same fraction, but for rounding.
func near(a, b float64) bool { return a-b < 1e-9 && b-a < 1e-9 }

// The snapshot selected shows its folder in full, which its row cuts.
func TestTheSnapshotsViewShowsTheSelectedSnapshotsFolderInFull(t *testing.T) {
	v := openTaskView(t, 0, snapshots) // documents
	mw, snaps := v.mw, v.table
	snaps.Select(widget.TableCellID{Row: 0, Col: 0})
	got := labelsIn(mw.win)
	for _, want := range []string{"Snapshot 2026-03-13T020000Z, taken ", "1,210 files, 3.0 GiB",
		"Folder on the server: /mnt/backup/customers/acme/file-server-01/documents/2026-03-13T020000Z"} {
		if !strings.Contains(got, want) {
			t.Errorf("with the newest snapshot selected the view lacks %q:\n%s", want, got)
		}
	}
	tapButton(t, mw.win, "Close")
}

// The task selected in the Tasks tab is shown in full under the table:
// what it copies where, and its last run's whole error.
func TestTheTasksTabShowsTheSelectedTaskInFull(t *testing.T) {
	mw, _, _ := tasksWindow(t)
	tt := mw.detail.tasksTab
	if tt.detail.Text != tasksPickHint {
		t.Fatalf("with no task selected the tab says %q", tt.detail.Text)
	}
	tt.table.Select(widget.TableCellID{Row: 1, Col: 2}) // mail, failed
	for _, want := range []string{"mail copies /var/mail to /mnt/nas; every hour, keep all.",
		"Failed after ", ": the destination /mnt/nas is not mounted", "OVERDUE"} {
		if !strings.Contains(tt.detail.Text, want) {
			t.Errorf("with mail selected the tab lacks %q:\n%s", want, tt.detail.Text)
		}
	}
	// Running, the run before is still worth reading.
	running := tt.rows[1]
	running.Running = true
	tt.rows[1] = running
	tt.showState()
	if !strings.Contains(tt.detail.Text, "\nRunning now (its progress is in the table). The run before started ") ||
		!strings.Contains(tt.detail.Text, ": the destination /mnt/nas is not mounted") {
		t.Errorf("with mail running the tab says:\n%s", tt.detail.Text)
	}
	// Stopped by hand after two failures: still failed, and it says so.
	stopped := tt.rows[1]
	stopped.Running = false
	stopped.LastRun = &backup.Report{Task: "mail", Result: backup.ResultStopped, Started: time.Now().Add(-time.Minute), Finished: time.Now()}
	stopped.FailuresSinceSuccess = 2
	tt.rows[1] = stopped
	tt.showState()
	if !strings.Contains(tt.detail.Text, "\nFAILED: 2 failed runs ") {
		t.Errorf("with mail stopped after two failures the tab says:\n%s", tt.detail.Text)
	}
	tt.table.Select(widget.TableCellID{Row: 2, Col: 0}) // photos, never run
	if want := "photos copies /srv/photos to /mnt/backup; manual only, keep all.\nNever run."; tt.detail.Text != want {
		t.Errorf("with photos selected the tab says %q, want %q", tt.detail.Text, want)
	}
}

// Delete… asks first, naming the snapshot; once deleted, the snapshot
// leaves the list and the view says how much room it made. Cancel, or a
// refusal, deletes nothing and leaves the snapshot selected.
func TestASnapshotIsDeletedFromTheSnapshotsViewAfterAQuestion(t *testing.T) {
	v := openTaskView(t, 0, snapshots) // documents
	mw, q, fr, snaps := v.mw, v.q, v.fr, v.table
	view := mw.win.Canvas().Overlays().Top()
	snaps.Select(widget.TableCellID{Row: 1, Col: 0}) // the older one
	tapButton(t, mw.win, taskDelSnap+"…")
	if got := labelsIn(mw.win); !strings.Contains(got, "Delete snapshot 2026-03-12T020000Z of documents on FS01 from the server's disk?") ||
		strings.Contains(got, "only snapshot") {
		t.Fatalf("the question:\n%s", got)
	}
	// How much room it frees, once the agent has measured it.
	q.runUntil(t, "the estimate in the question", func() bool {
		return strings.Contains(labelsIn(mw.win), "Deleting it would free about 1.0 GiB "+
			"(12 files of its own; 1,198 files it shares with other snapshots stay with them).")
	})
	pressKey(mw.win, fyne.KeyEscape)
	if mw.win.Canvas().Overlays().Top() != view || fr.fakeTasks.taskCalls("delete-snapshot") != 0 {
		t.Fatalf("Escape did not cancel the question (%d deletions)", fr.fakeTasks.taskCalls("delete-snapshot"))
	}

	// Refused by the agent: said, nothing leaves the list.
	fr.fakeTasks.delErr = errors.New("FS01 answered: a restore or verify is reading snapshot 2026-03-12T020000Z of task documents: delete it once that has finished")
	tapButton(t, mw.win, taskDelSnap+"…")
	tapButton(t, mw.win, "Delete Snapshot")
	q.runUntil(t, "the refusal shown", func() bool { return strings.Contains(overlayText(mw.win), "delete it once that has finished") })
	tapButton(t, mw.win, "OK")
	if n, _ := snaps.Length(); n != 2 {
		t.Fatalf("%d snapshots listed after a refusal", n)
	}

	// While it is on its way the view says so, and offers nothing more.
	gate := make(chan struct{})
	fr.fakeTasks.mu.Lock()
	fr.fakeTasks.delErr, fr.fakeTasks.delGate = nil, gate
	fr.fakeTasks.mu.Unlock()
	tapButton(t, mw.win, taskDelSnap+"…")
	tapButton(t, mw.win, "Delete Snapshot")
	if got := labelsIn(mw.win); !strings.Contains(got, "Deleting snapshot 2026-03-12T020000Z on FS01…") {
		t.Errorf("while the deletion is on its way the view says:\n%s", got)
	}
	if b := buttonLabelled(t, mw.win, taskDelSnap+"…"); !b.Disabled() {
		t.Error("Delete… can be tapped again while the deletion is on its way")
	}
	close(gate)
	q.runUntil(t, "the snapshot gone from the list", func() bool { n, _ := snaps.Length(); return n == 1 })
	if got := labelsIn(mw.win); !strings.Contains(got, "Snapshot 2026-03-12T020000Z of task documents deleted, freeing 1.0 GiB; the destination has 300.0 GiB free of 2.0 TiB.") {
		t.Errorf("after the deletion the view says:\n%s", got)
	}
	// The last one left: the question says so. An agent that cannot
	// measure leaves the estimate out; one that fails to says why.
	fr.fakeTasks.mu.Lock()
	fr.fakeTasks.estErr = fmt.Errorf("FS01: estimating what a deletion frees is %w", master.ErrNotSupported)
	fr.fakeTasks.mu.Unlock()
	snaps.Select(widget.TableCellID{Row: 0, Col: 0})
	tapButton(t, mw.win, taskDelSnap+"…")
	if got := labelsIn(mw.win); !strings.Contains(got, "It is the only snapshot of documents: nothing is left to restore from until its next run.") {
		t.Errorf("the question about the last snapshot:\n%s", got)
	}
	q.runUntil(t, "the estimate line hidden", func() bool { return !strings.Contains(labelsIn(mw.win), "Measuring how much room") })
	if got := labelsIn(mw.win); strings.Contains(got, "would free") || strings.Contains(got, "not known") {
		t.Errorf("on an agent that cannot measure the question says:\n%s", got)
	}
	tapButton(t, mw.win, "Cancel")
	fr.fakeTasks.mu.Lock()
	fr.fakeTasks.estErr = errors.New("FS01 answered: cannot measure snapshot 2026-03-13T020000Z of task documents: permission denied")
	fr.fakeTasks.mu.Unlock()
	tapButton(t, mw.win, taskDelSnap+"…")
	q.runUntil(t, "the failed estimate said", func() bool {
		return strings.Contains(labelsIn(mw.win), "How much room deleting it frees is not known: FS01 answered: cannot measure snapshot")
	})
	tapButton(t, mw.win, "Cancel")
	tapButton(t, mw.win, "Close")
}

// The Snapshots view follows what happens elsewhere while it is open: a
// snapshot deleted from another console or the server leaves the list
// (the one selected stays selected, unless it is the one deleted), and
// a run of the task that ends has the list read again.
func TestTheSnapshotsViewFollowsDeletionsAndRunsMadeElsewhere(t *testing.T) {
	v := openTaskView(t, 0, snapshots) // documents
	mw, q, fr, snaps := v.mw, v.q, v.fr, v.table
	snaps.Select(widget.TableCellID{Row: 0, Col: 0}) // the newest, 2026-03-13
	rows := func() int { n, _ := snaps.Length(); return n }
	deleted := func(slave, task, id string) {
		fr.fakeTasks.publishTask(master.TaskEvent{Slave: slave, TaskEvent: agent.TaskEvent{Kind: agent.EventDeleted, Task: task,
			Deleted: &backup.DeleteReport{Task: task, Snapshot: id, Freed: 1 << 30, DestFree: 300 << 30, DestTotal: 2 << 40}}})
	}

	deleted("FS02", "documents", "2026-03-12T020000Z") // another server's task of that name: not this one
	deleted("FS01", "DOCUMENTS", "2026-03-12T020000Z")
	q.runUntil(t, "the older snapshot gone", func() bool { return rows() == 1 })
	if got := labelsIn(mw.win); !strings.Contains(got, "Snapshot 2026-03-13T020000Z, taken ") || strings.Contains(got, "deleted") {
		t.Errorf("after another snapshot was deleted elsewhere the view says:\n%s", got)
	}

	fr.fakeTasks.mu.Lock()
	fr.fakeTasks.snapList = []backup.SnapshotInfo{
		{ID: "2026-03-13T020000Z", Time: fixedNow.Add(-37 * time.Hour), Result: backup.ResultCompleted, Files: 1210, Bytes: 3 << 30},
		{ID: "2026-03-14T020000Z", Time: fixedNow.Add(-13 * time.Hour), Result: backup.ResultCompleted, Files: 1212, Bytes: 3 << 30},
	}
	fr.fakeTasks.mu.Unlock()
	fr.fakeTasks.publishTask(master.TaskEvent{Slave: "FS01", TaskEvent: agent.TaskEvent{Kind: agent.EventFinished, Task: "documents",
		Report: &backup.Report{Task: "documents", Snapshot: "2026-03-14T020000Z", Result: backup.ResultCompleted}}})
	q.runUntil(t, "the new snapshot listed", func() bool { return rows() == 2 })
	if first := cellText(snaps, 0, 0); first != "2026-03-14T020000Z" || !strings.Contains(labelsIn(mw.win), "Snapshot 2026-03-13T020000Z, taken ") {
		t.Errorf("after a run the first row is %q and the view says:\n%s", first, labelsIn(mw.win))
	}

	deleted("FS01", "documents", "2026-03-13T020000Z") // the one selected
	q.runUntil(t, "the selected snapshot gone", func() bool { return rows() == 1 })
	if got := labelsIn(mw.win); !strings.Contains(got, "Snapshot 2026-03-13T020000Z of task documents deleted, freeing 1.0 GiB") {
		t.Errorf("after the selected snapshot was deleted elsewhere the view says:\n%s", got)
	}
	if b := buttonLabelled(t, mw.win, taskDelSnap+"…"); !b.Disabled() {
		t.Error("Delete… is on with nothing selected")
	}
	tapButton(t, mw.win, "Close")
}

// The History view follows the task's runs while it is open: a run that
// starts shows at the top, running, and its end updates it; the run
// selected stays selected, its report shown.
func TestTheHistoryViewFollowsTheTasksRuns(t *testing.T) {
	v := openTaskView(t, 1, history) // mail
	mw, q, fr, runs := v.mw, v.q, v.fr, v.table
	runs.Select(widget.TableCellID{Row: 0, Col: 0}) // the newest: failed
	hist, _ := fr.fakeTasks.TaskHistory(context.Background(), "FS01", "mail", 0)
	at := fixedNow.Add(-10 * time.Minute)
	run := backup.Report{Task: "mail", Trigger: "console", Started: at, Result: backup.ResultRunning}
	step := func(kind string, r backup.Report) {
		fr.fakeTasks.mu.Lock()
		fr.fakeTasks.histList = append(slices.Clone(hist), r)
		fr.fakeTasks.mu.Unlock()
		fr.fakeTasks.publishTask(master.TaskEvent{Slave: "FS01", TaskEvent: agent.TaskEvent{Kind: kind, Task: "mail", Report: &r}})
	}

	step(agent.EventStarted, run)
	q.runUntil(t, "the run started listed", func() bool { n, _ := runs.Length(); return n == 3 && cellText(runs, 0, 2) == "running" })
	if got := labelsIn(mw.win); !strings.Contains(got, mailFailure) {
		t.Errorf("after a run started the view no longer shows the run selected:\n%s", got)
	}
	run.Result, run.Finished, run.Snapshot, run.FilesCopied = backup.ResultCompleted, at.Add(time.Minute), "2026-03-14T115000Z", 22
	step(agent.EventFinished, run)
	q.runUntil(t, "the run's end shown", func() bool { return cellText(runs, 0, 2) == "completed" && cellText(runs, 0, 8) == run.Snapshot })
	tapButton(t, mw.win, "Close")
}

// A click on a row gives the view's table the keys, which then go to it
// alone: Escape still closes the view, F5 reads the list again, and in
// the Snapshots view Delete asks to delete the snapshot selected.
func TestTheTaskViewsTablesTakeTheViewsKeys(t *testing.T) {
	for _, view := range []struct {
		name   string
		row    int
		button func(*tasksTab) *widget.Button
		more   func(*fakeTasks) // one more run or snapshot for the next read
	}{
		{"History", 1, history, func(f *fakeTasks) {
			hist, _ := f.TaskHistory(context.Background(), "FS01", "mail", 0)
			f.histList = append(hist, backup.Report{Task: "mail", Started: fixedNow, Result: backup.ResultRunning})
		}},
		{"Snapshots", 0, snapshots, func(f *fakeTasks) {
			snaps, _ := f.TaskSnapshots(context.Background(), "FS01", "documents")
			f.snapList = append(snaps, backup.SnapshotInfo{ID: "2026-03-14T020000Z", Time: fixedNow, Result: backup.ResultCompleted})
		}},
	} {
		t.Run(view.name, func(t *testing.T) {
			v := openTaskView(t, view.row, view.button)
			v.mw.win.Canvas().Focus(v.table) // as a click on a row does
			v.table.Select(widget.TableCellID{Row: 0, Col: 0})
			viewObj := v.mw.win.Canvas().Overlays().Top()
			if view.name == "Snapshots" {
				pressKey(v.mw.win, fyne.KeyDelete)
				if got := overlayText(v.mw.win); !strings.Contains(got, "Delete snapshot 2026-03-13T020000Z of documents on FS01") {
					t.Fatalf("Delete in the table asked:\n%s", got)
				}
				pressKey(v.mw.win, fyne.KeyEscape) // the question's: it closes, the view stays
				if v.mw.win.Canvas().Overlays().Top() != viewObj || v.fr.fakeTasks.taskCalls("delete-snapshot") != 0 {
					t.Fatal("Escape in the question did not just close it")
				}
			}
			view.more(v.fr.fakeTasks)
			pressKey(v.mw.win, fyne.KeyF5)
			v.q.runUntil(t, "the list read again", func() bool { n, _ := v.table.Length(); return n == 3 })
			pressKey(v.mw.win, fyne.KeyEscape)
			if top := v.mw.win.Canvas().Overlays().Top(); top != nil {
				t.Fatalf("Escape in the table left the %s view open", view.name)
			}
		})
	}
}

// A report's lines, as the command line prints them, read as sentences
// in the window; a line that introduces those below keeps its colon, and
// the lines under it stay as they are.
func TestAReportsLinesReadAsSentences(t *testing.T) {
	in := "completed with warnings: snapshot s, 3 files (1 copied, 2 linked), 1 B copied, in 1 s\n" +
		"warnings (2):\n  /srv/a: permission denied\n  /srv/b: vanished\n" +
		"retention removed 1 snapshot: 2026-11-01T020000Z\nthe destination has 1.0 GiB free of 2.0 GiB after the run\n"
	want := "Completed with warnings: snapshot s, 3 files (1 copied, 2 linked), 1 B copied, in 1 s.\n" +
		"Warnings (2):\n  /srv/a: permission denied\n  /srv/b: vanished\n" +
		"Retention removed 1 snapshot: 2026-11-01T020000Z.\nThe destination has 1.0 GiB free of 2.0 GiB after the run."
	if got := sentences(in); got != want {
		t.Errorf("sentences:\n%s\nwant\n%s", got, want)
	}
}
