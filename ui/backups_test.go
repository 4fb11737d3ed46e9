package ui

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/lanyard/lanyard/core/agent"
	"github.com/lanyard/lanyard/core/backup"
	"github.com/lanyard/lanyard/core/health"
	"github.com/lanyard/lanyard/core/master"
	"github.com/lanyard/lanyard/core/store"
	"github.com/lanyard/lanyard/internal/testkit"
	"github.com/lanyard/lanyard/internal/testkit/mastertest"
)

// fakeBackups is a fleet with backup rows.
type fakeBackups struct {
	*fakeConsole
	rmu  sync.Mutex
	rows []master.BackupRow
	ran  []master.TaskRef
}

func (f *fakeBackups) BackupRows(ids ...string) []master.BackupRow {
	f.rmu.Lock()
	defer f.rmu.Unlock()
	var out []master.BackupRow
	for _, r := range f.rows {
		if len(ids) == 0 || containsString(ids, r.SlaveID) {
			out = append(out, r)
		}
	}
	return out
}

// RunTasks starts nothing: it records what it was asked to run, and
// WEB's tasks fail to start, as a server whose source is gone would.
func (f *fakeBackups) RunTasks(_ context.Context, tasks []master.TaskRef, done func(i int, err error)) {
	f.rmu.Lock()
	f.ran = append(f.ran, tasks...)
	f.rmu.Unlock()
	for i, t := range tasks {
		var err error
		if t.Slave == "WEB" {
			err = errors.New(`the agent says "the source /srv/www does not exist"`)
		}
		done(i, err)
	}
}

func (f *fakeBackups) runs() []master.TaskRef {
	f.rmu.Lock()
	defer f.rmu.Unlock()
	return slices.Clone(f.ran)
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// setRow replaces a row and announces its slave's change.
func (f *fakeBackups) setRow(r master.BackupRow) {
	f.rmu.Lock()
	for i := range f.rows {
		if f.rows[i].SlaveID == r.SlaveID && f.rows[i].Task == r.Task {
			f.rows[i] = r
		}
	}
	f.rmu.Unlock()
	f.publish(master.Event{Kind: master.EventBackup, SlaveID: r.SlaveID, Slave: r.Slave})
}

func mixedRows() []master.BackupRow {
	at := func(h int) time.Time { return fixedNow.Add(time.Duration(h) * time.Hour) }
	return []master.BackupRow{
		{SlaveID: "a1", Slave: "FS01", Group: "Acme", Task: "docs", Eval: health.Eval{State: health.StateOK, NextRun: at(11)},
			LastResult: backup.ResultCompleted, LastRun: at(-13), LastSuccess: at(-13)},
		{SlaveID: "a1", Slave: "FS01", Group: "Acme", Task: "offsite", Eval: health.Eval{State: health.StateFailed, NextRun: at(12)},
			LastResult: backup.ResultFailed, LastRun: at(-12), LastSuccess: at(-36), FailuresSinceSuccess: 2, LastError: "destination is read-only"},
		{SlaveID: "b2", Slave: "MAIL", Group: "Acme", Task: "spool", Eval: health.Eval{State: health.StateRunning, NextRun: at(1)},
			Running: true, RunningSince: at(-1), LastResult: backup.ResultCompleted, LastRun: at(-25), LastSuccess: at(-25)},
		{SlaveID: "c3", Slave: "NAS", Group: "Globex", Task: "media", Eval: health.Eval{State: health.StateOverdue, Overdue: true, NextRun: at(20)},
			LastResult: backup.ResultCompleted, LastRun: at(-80), LastSuccess: at(-80), LastKnown: true, Seen: at(-70)},
		{SlaveID: "d4", Slave: "WEB", Task: "site", Eval: health.Eval{State: health.StateUnknown}},
	}
}

// testBackupsOptions run the window's Fyne-thread work on q, at the
// tests' clock, in UTC.
func testBackupsOptions(q *uiQueue) backupsOptions {
	return backupsOptions{do: q.do, now: func() time.Time { return fixedNow }, every: 10 * time.Millisecond, loc: time.UTC}
}

func openBackups(t *testing.T) (*backupsView, *fakeBackups, *uiQueue, *[]string) {
	t.Helper()
	noLeaksAfter(t)
	test.NewTempApp(t)
	q := newUIQueue()
	src := &fakeBackups{fakeConsole: newFakeConsole(), rows: mixedRows()}
	var opened []string
	v := showBackupsWindow(fyne.CurrentApp(), src, func(id, task string) { opened = append(opened, id+"/"+task) },
		testBackupsOptions(q))
	v.win.Resize(fyne.NewSize(1360, 320))
	t.Cleanup(func() {
		if v.ctx.Err() == nil { // a test may have closed it
			v.win.Close()
		}
		q.runPending()
	})
	q.runUntil(t, "the rows", func() bool { return v.snap.total > 0 })
	return v, src, q, &opened
}

func visibleTasks(v *backupsView) string {
	var out []string
	for _, b := range v.snap.visible {
		out = append(out, b.r.Slave+"/"+b.r.Task)
	}
	return strings.Join(out, " ")
}

func TestTheBackupsWindowShowsEveryTaskWorstFirst(t *testing.T) {
	v, _, _, _ := openBackups(t)
	if got := visibleTasks(v); got != "FS01/offsite NAS/media WEB/site MAIL/spool FS01/docs" {
		t.Fatalf("rows %s", got)
	}
	if got := v.summary.Text; got != "5 of 5 tasks shown · 1 ok · 1 failed · 1 overdue · 1 running · 1 unknown" {
		t.Fatalf("summary %q", got)
	}
	if text, _ := v.cellText(&v.snap.visible[1].r, colState); text != "overdue · last known, 2 d 22 h" {
		t.Fatalf("the offline slave's row says %q", text)
	}
	disconnected := v.snap.visible[1].r
	disconnected.Disconnected = true
	if text, fg := v.cellText(&disconnected, colState); text != "overdue · disconnected, 2 d 22 h" || fg != theme.ColorNamePlaceHolder {
		t.Fatalf("a disconnected slave's row says %q in %s", text, fg)
	}
	test.AssertRendersToMarkup(t, "backups_mixed.xml", v.win.Canvas())
}

func TestTheBackupsWindowSortsAndFilters(t *testing.T) {
	v, _, _, _ := openBackups(t)
	cases := []struct {
		name string
		do   func()
		want string
	}{
		{"sorted by slave", func() { v.change(func(m *backupsModel) { m.sortBy(colSlave) }) }, "FS01/docs FS01/offsite MAIL/spool NAS/media WEB/site"},
		{"and the other way", func() { v.change(func(m *backupsModel) { m.sortBy(colSlave) }) }, "WEB/site NAS/media MAIL/spool FS01/docs FS01/offsite"},
		{"by failures", func() { v.change(func(m *backupsModel) { m.sortBy(colFailures) }) }, "FS01/docs MAIL/spool NAS/media WEB/site FS01/offsite"},
		{"only failed", func() { v.state.SetSelected("failed") }, "FS01/offsite"},
		{"only running, whatever else", func() { v.state.SetSelected("running") }, "MAIL/spool"},
		{"every state of one group", func() { v.state.SetSelected(backupsAllStates); v.group.SetSelected("Globex") }, "NAS/media"},
		{"slaves without a group", func() { v.group.SetSelected(backupsUngrouped) }, "WEB/site"},
		{"text in an error", func() { v.group.SetSelected(backupsAllGroups); v.filter.SetText("READ-ONLY") }, "FS01/offsite"},
	}
	for _, c := range cases {
		c.do()
		if got := visibleTasks(v); got != c.want {
			t.Fatalf("%s: %s, want %s", c.name, got, c.want)
		}
	}
	if got := v.summary.Text; !strings.HasPrefix(got, "1 of 5 tasks shown") {
		t.Fatalf("summary %q", got)
	}
}

// A server that never linked has no task to show: the footer counts
// those of the group shown, until one links.
func TestTheBackupsWindowCountsTheServersThatNeverLinked(t *testing.T) {
	v, src, q, _ := openBackups(t)
	src.set(master.SlaveView{ID: "c9", Name: "FS09", Group: "acme", State: master.StateError, LastError: "wrong management password for FS09"})
	q.runUntil(t, "FS09 counted", func() bool { return strings.HasSuffix(v.summary.Text, " · 1 server never linked, so not watched") })
	v.group.SetSelected("Globex")
	if got := v.summary.Text; strings.Contains(got, "never linked") {
		t.Errorf("Globex's summary %q counts Acme's server", got)
	}
	v.group.SetSelected("Acme")
	if got := v.summary.Text; !strings.HasSuffix(got, " · 1 server never linked, so not watched") {
		t.Errorf("Acme's summary %q", got)
	}
	src.set(master.SlaveView{ID: "c9", Name: "FS09", Group: "acme", State: master.StateConnected, LastSeen: fixedNow})
	q.runUntil(t, "FS09 linked", func() bool { return !strings.Contains(v.summary.Text, "never linked") })
}

// The state filter also picks the tasks that need a look though their
// backups may succeed, as Needs a look and the daily summary name them:
// damaged copies, a destination nearly full, a run with warnings. Run
// Tasks Shown then runs just those.
func TestTheBackupsWindowFiltersTheTasksThatNeedALook(t *testing.T) {
	v, src, q, _ := openBackups(t)
	rows := mixedRows()
	rows[0].LastResult, rows[0].LastWarnings, rows[0].LastWarning = backup.ResultWarnings, 1, "/srv/docs/a.pst: permission denied"
	rows[2].LastDamaged = 2 // MAIL/spool
	rows[3].Dest = health.DestSpace{Free: 80 << 30, Total: 2 << 40, Wrote: 1 << 30}
	for _, r := range rows {
		src.setRow(r)
	}
	q.runUntil(t, "the three rows changed", func() bool {
		return slices.ContainsFunc(v.snap.visible, func(b *bRow) bool { return b.r.LastDamaged == 2 }) &&
			slices.ContainsFunc(v.snap.visible, func(b *bRow) bool { return b.r.Dest.Total > 0 }) &&
			slices.ContainsFunc(v.snap.visible, func(b *bRow) bool { return b.r.Warned() })
	})
	for _, c := range []struct{ pick, want string }{
		{"damaged copies", "MAIL/spool"},
		{"nearly full", "NAS/media"},
		{"with warnings", "FS01/docs"},
		{"failed", "FS01/offsite"},
		{backupsAllStates, "FS01/offsite NAS/media WEB/site MAIL/spool FS01/docs"},
	} {
		v.state.SetSelected(c.pick)
		if got := visibleTasks(v); got != c.want {
			t.Errorf("%s: %s, want %s", c.pick, got, c.want)
		}
	}
}

// A slave the user disconnects is not watched: its tasks stay listed,
// but the counts leave them out and say how many they are, as the
// report does; connected again, they are counted again.
func TestTheBackupsWindowCountsADisconnectedSlavesTasksApart(t *testing.T) {
	v, src, q, _ := openBackups(t)
	held := mixedRows()[3] // NAS / media, overdue
	held.Disconnected = true
	src.setRow(held)
	q.runUntil(t, "NAS held apart", func() bool { return v.snap.held == 1 })
	if got := v.summary.Text; got != "5 of 5 tasks shown · 1 ok · 1 failed · 1 running · 1 unknown · 1 of disconnected slaves" {
		t.Fatalf("summary %q", got)
	}
	held.Disconnected = false
	src.setRow(held)
	q.runUntil(t, "NAS counted again", func() bool { return v.snap.held == 0 && v.snap.counts.Overdue == 1 })
}

// A muted slave's rows count as any other's; their state says until
// when its alerts are muted, and, the mute over, no more.
func TestTheBackupsWindowSaysASlavesAlertsAreMuted(t *testing.T) {
	v, src, q, _ := openBackups(t)
	row := mixedRows()[1] // FS01 / offsite, failed
	row.MutedUntil = fixedNow.Add(3 * time.Hour)
	src.setRow(row)
	want := "failed · alerts muted until " + row.MutedUntil.UTC().Format("15:04")
	q.runUntil(t, "FS01 muted", func() bool {
		for _, b := range v.snap.visible {
			if b.r.Task == "offsite" && !b.r.MutedUntil.IsZero() {
				return true
			}
		}
		return false
	})
	if got, _ := v.cellText(&row, colState); got != want {
		t.Fatalf("the state cell says %q, want %q", got, want)
	}
	if v.snap.counts.Failed != 1 || v.snap.held != 0 {
		t.Fatalf("a muted slave's failure counted %d, held %d", v.snap.counts.Failed, v.snap.held)
	}
	row.MutedUntil = fixedNow.Add(-time.Minute)
	if got, _ := v.cellText(&row, colState); got != "failed" {
		t.Fatalf("the mute over, the state cell says %q", got)
	}
}

// resultOf is what the Result column shows of the task shown, and in what
// colour ("" when it is not shown).
func resultOf(v *backupsView, task string) (string, fyne.ThemeColorName) {
	i := slices.IndexFunc(v.snap.visible, func(b *bRow) bool { return b.r.Task == task })
	if i < 0 {
		return "", ""
	}
	return v.cellText(&v.snap.visible[i].r, colResult)
}

// The Result column says, in the warning colour, what a task's last run
// left to look at, and the filter finds it: a destination that may not
// take the next runs, before its backups fail, and what a run's warnings
// are about (a copy a verify found damaged is seen across the fleet, not
// only on the server's Tasks tab), or copies a verify or restore by hand
// found damaged since.
func TestTheBackupsWindowSaysWhatALastRunLeftToLookAt(t *testing.T) {
	for _, tc := range []struct {
		name, want, filter string
		change             func(*master.BackupRow)
	}{
		{"a destination nearly full", "completed: the destination is 96 % full (80.0 GiB free of 2.0 TiB)", "96 % full",
			func(r *master.BackupRow) { r.Dest = health.DestSpace{Free: 80 << 30, Total: 2 << 40, Wrote: 1 << 30} }},
		{"a run's warnings", "completed, 2 warnings: verify: /srv/docs/budget.ods content differs from the manifest", "budget.ods",
			func(r *master.BackupRow) {
				r.LastResult, r.LastWarnings = backup.ResultWarnings, 2
				r.LastWarning = "verify: /srv/docs/budget.ods content differs from the manifest"
			}},
		{"copies found damaged by hand since", "completed · 2 copies found damaged", "found damaged",
			func(r *master.BackupRow) { r.LastDamaged = 2 }},
		{"a run stopped, copies found damaged while it ran", "stopped · 1 copy found damaged", "stopped",
			func(r *master.BackupRow) {
				r.LastResult, r.LastError, r.LastDamaged = backup.ResultStopped, "stopped before it finished; earlier snapshots are untouched", 1
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, src, q, _ := openBackups(t)
			row := mixedRows()[0] // FS01 / docs, ok
			tc.change(&row)
			src.setRow(row)
			q.runUntil(t, "docs's result", func() bool {
				got, fg := resultOf(v, "docs")
				return got == tc.want && fg == theme.ColorNameWarning
			})
			v.filter.SetText(tc.filter)
			if got := visibleTasks(v); got != "FS01/docs" {
				t.Fatalf("the filter %q shows %s", tc.filter, got)
			}
		})
	}
}

func TestTheBackupsWindowFollowsTheFleetAndOpensATasksTab(t *testing.T) {
	v, src, q, opened := openBackups(t)
	fixed := mixedRows()[1]
	fixed.State, fixed.FailuresSinceSuccess, fixed.LastResult, fixed.LastError = health.StateOK, 0, backup.ResultCompleted, ""
	src.setRow(fixed)
	q.runUntil(t, "offsite ok", func() bool { return v.snap.counts.OK == 2 && v.snap.counts.Failed == 0 })
	if got := visibleTasks(v); got != "NAS/media WEB/site MAIL/spool FS01/docs FS01/offsite" {
		t.Fatalf("rows after the fix %s", got)
	}
	cell := newBackupCell(v)
	cell.show(widget.TableCellID{Row: 0, Col: colTask})
	test.DoubleTap(cell)
	if len(*opened) != 1 || (*opened)[0] != "c3/media" {
		t.Fatalf("opened %v", *opened)
	}
	// Enter opens the selected row's, as a double-click does.
	v.table.Select(widget.TableCellID{Row: 1, Col: colSlave})
	v.win.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if len(*opened) != 2 || (*opened)[1] != "d4/site" {
		t.Fatalf("opened %v after Enter", *opened)
	}
}

// The task selected is shown in full under the table, whose Last result
// column cuts long errors, and stays selected as the fleet's changes move
// its row; filtered out, it is let go.
func TestTheBackupsWindowShowsTheSelectedTaskInFullAndKeepsIt(t *testing.T) {
	v, src, q, _ := openBackups(t)
	if v.detail.Text != backupsPickHint {
		t.Fatalf("with nothing selected the window says %q", v.detail.Text)
	}
	failing := mixedRows()[1] // FS01 / offsite, row 0: the worst
	failing.LastError = "the destination /mnt/nas/backups/offsite is read-only: remount it read-write, or choose another destination"
	failing.RetryAt = fixedNow.Add(10 * time.Minute) // its agent tries it again (a retry whose time passed is not promised)
	src.setRow(failing)
	q.runUntil(t, "the long error", func() bool { return v.snap.visible[0].r.LastError == failing.LastError })
	v.table.Select(widget.TableCellID{Row: 0, Col: colResult})
	want := "offsite on FS01 (Acme): failed\nLast result: failed (tried again at " + failing.RetryAt.UTC().Format("15:04") + "): " + failing.LastError + "\n" +
		"Last run: " + health.When(failing.LastRun, time.UTC) + " · Last success: " + health.When(failing.LastSuccess, time.UTC) +
		" · Failures: 2 · Next run: " + health.When(failing.NextRun, time.UTC) + " · Overdue: no"
	if v.detail.Text != want {
		t.Fatalf("the selected task reads\n%q\nwant\n%q", v.detail.Text, want)
	}

	// Fixed, it moves to the end of the list, still selected, its new
	// words shown.
	fixed := failing
	fixed.State, fixed.FailuresSinceSuccess, fixed.LastResult, fixed.LastError = health.StateOK, 0, backup.ResultCompleted, ""
	src.setRow(fixed)
	q.runUntil(t, "offsite ok", func() bool { return v.snap.counts.Failed == 0 })
	if last := len(v.snap.visible) - 1; v.sel != last || v.snap.visible[last].r.Task != "offsite" {
		t.Fatalf("offsite is row %d, the selection row %d", slices.IndexFunc(v.snap.visible, func(b *bRow) bool { return b.r.Task == "offsite" }), v.sel)
	}
	if !strings.HasPrefix(v.detail.Text, "offsite on FS01 (Acme): ok\nLast result: completed\n") {
		t.Fatalf("after the fix the selected task reads %q", v.detail.Text)
	}
	// Paused, it says so where its next run was.
	fixed.Paused, fixed.NextRun = true, time.Time{}
	src.setRow(fixed)
	q.runUntil(t, "offsite paused", func() bool { return strings.Contains(v.detail.Text, " · Next run: paused · ") })

	// Filtered out, it is let go.
	v.filter.SetText("NAS")
	if v.chosen != "" || v.sel != -1 || v.detail.Text != backupsPickHint {
		t.Fatalf("filtered out, the choice is %q (row %d) and the window says %q", v.chosen, v.sel, v.detail.Text)
	}
}

// Run Tasks Shown… runs again every task the filters show that can run
// (not one that runs already, nor one of a server not linked), once
// asked, and names those that could not start.
func TestTheBackupsWindowRunsTheTasksShownAgain(t *testing.T) {
	v, src, q, _ := openBackups(t)
	if v.run == nil || v.run.Disabled() {
		t.Fatal("Run Tasks Shown… is missing or disabled with tasks to run")
	}
	v.state.SetSelected("running")
	if !v.run.Disabled() {
		t.Error("Run Tasks Shown… is enabled with only a running task shown")
	}
	v.state.SetSelected("failed")
	test.Tap(v.run)
	if got := overlayText(v.win); !strings.Contains(got, "Run 1 task on 1 server now?") {
		t.Fatalf("the question with FS01's failed task shown: %q", got)
	}
	tapButton(t, v.win, "Run 1 Task")
	// The question goes, the progress bar (with its Cancel) stays.
	if got := overlayText(v.win); !strings.Contains(got, "Starting 1 task") || strings.Contains(got, "now?") {
		t.Fatalf("after the answer the window shows %q, want the progress alone", got)
	}
	q.runUntil(t, "the run asked for", func() bool { return len(src.runs()) == 1 })
	if got := src.runs()[0]; got != (master.TaskRef{Slave: "FS01", Task: "offsite"}) {
		t.Fatalf("ran %+v, want FS01's offsite", got)
	}
	q.runUntil(t, "the progress closed", func() bool { return v.win.Canvas().Overlays().Top() == nil })

	v.state.SetSelected(backupsAllStates)
	test.Tap(v.run)
	want := "Run 3 tasks on 2 servers now?"
	if got := overlayText(v.win); !strings.Contains(got, want) || !strings.Contains(got, "Not run: 1 task already running and 1 task on servers not connected.") {
		t.Fatalf("the question with every task shown: %q", got)
	}
	tapButton(t, v.win, "Run 3 Tasks")
	q.runUntil(t, "WEB's failure told", func() bool { return strings.Contains(overlayText(v.win), "1 of 3 tasks did not start") })
	if got := overlayText(v.win); !strings.Contains(got, `WEB / site: the agent says "the source /srv/www does not exist"`) {
		t.Fatalf("the failure says %q", got)
	}
	var ran []string
	for _, r := range src.runs()[1:] {
		ran = append(ran, r.Slave+"/"+r.Task)
	}
	slices.Sort(ran)
	if got := strings.Join(ran, " "); got != "FS01/docs FS01/offsite WEB/site" {
		t.Fatalf("ran %s", got)
	}
}

// The window first opens narrower than a laptop's screen, with every
// column but Overdue in view, shares a wider window among the columns
// whose texts are long, and opens again at the size it was closed at.
func TestTheBackupsWindowFitsALaptopAndRemembersItsSize(t *testing.T) {
	noLeaksAfter(t)
	test.NewTempApp(t)
	q := newUIQueue()
	src := &fakeBackups{fakeConsole: newFakeConsole(), rows: mixedRows()}
	open := func() *backupsView {
		return showBackupsWindow(fyne.CurrentApp(), src, func(string, string) {},
			testBackupsOptions(q))
	}
	v := open()
	t.Cleanup(func() {
		if v.ctx.Err() == nil {
			v.win.Close()
		}
		q.runPending()
	})
	if w := v.win.Canvas().Size().Width; w > 1280-16 {
		t.Fatalf("the window opens %v wide, more than a screen 1280 wide holds", w)
	}
	var shown float32
	for c := range colOverdue {
		shown += v.table.cols.widths[c] + theme.Padding() // a column, and the space after it
	}
	if w := v.table.Size().Width; w < shown {
		t.Fatalf("the table is %v wide; the columns before Overdue need %v", w, shown)
	}
	// A wider window goes to the names and the last result, not the dates.
	v.win.Resize(fyne.NewSize(1900, 640))
	if w := v.table.cols.widths; w[colResult] < backupMinWidths[colResult]+300 || w[colLastRun] != backupMinWidths[colLastRun] {
		t.Errorf("at 1900 wide the last result is %v wide and the last run %v", w[colResult], w[colLastRun])
	}
	// The State column, narrow by default (its text cut), then says what
	// is last known of a server offline in full.
	long := fyne.MeasureText("overdue · last known, 3 h 5 min", theme.TextSize(), fyne.TextStyle{}).Width
	if w := v.table.cols.widths[colState]; w < long+rowIcon+rowGap+2*theme.InnerPadding() {
		t.Errorf("at 1900 wide the State column is %v wide, too narrow for a server's state last known", w)
	}
	v.win.Resize(fyne.NewSize(900, 480))
	v.win.Content().(splitContent).recordSplit().SetOffset(0.6) // the divider dragged up
	v.win.Close()
	q.runPending()

	v = open()
	if got := v.win.Canvas().Size(); got != fyne.NewSize(900, 480) {
		t.Fatalf("reopened at %v, closed at 900x480", got)
	}
	if got := v.win.Content().(splitContent).recordSplit().Offset; !near(got, 0.6) {
		t.Errorf("reopened with the divider at %v; it was left at 0.6", got)
	}
}

// Fyne ends the app when the main window closes without closing the
// others: the main window keeps their sizes as it closes.
func TestAConsoleQuitWithTheBackupsWindowOpenKeepsItsSize(t *testing.T) {
	noLeaksAfter(t)
	mw, q := openMainWindow(t, newFakeConsole(), nil)
	src := &fakeBackups{fakeConsole: newFakeConsole(), rows: mixedRows()}
	v := showBackupsWindow(fyne.CurrentApp(), src, func(string, string) {},
		testBackupsOptions(q))
	t.Cleanup(func() { v.win.Close(); q.runPending() })
	v.win.Resize(fyne.NewSize(1000, 500))

	mw.closing() // what the app's stop runs, the Backups window still open
	p := fyne.CurrentApp().Preferences()
	if w, h := p.Float(backupsSize.key+".width"), p.Float(backupsSize.key+".height"); w != 1000 || h != 500 {
		t.Errorf("kept %vx%v; the window was 1000x500", w, h)
	}
}

// backupMarkOf is the backup mark the tree shows beside the slave called
// name ("" for none).
func backupMarkOf(mw *mainWindow, name string) string {
	for _, o := range test.LaidOutObjects(&mw.tree.Tree) {
		if r, ok := o.(*slaveRow); ok && o.Visible() && r.full == name {
			return r.bmark.shown
		}
	}
	return ""
}

// A real console and a real agent with a task that fails (its destination
// cannot be written) and one that succeeds: the tree's mark, the group's
// and the status bar's counts, the Backups window and the report agree.
func TestTheWindowTheBackupsViewAndTheReportAgreeOnALiveFleet(t *testing.T) {
	noLeaksAfter(t)
	m := mastertest.Start(t, mastertest.Options{})
	a := testkit.Agent(t, testkit.AgentOptions{Name: "FS01", Password: "pw1", Listen: true})
	if _, err := m.AddSlave(master.SlaveSpec{Name: "FS01", Group: "Acme", Direction: store.Outbound, Address: a.ListenAddr(), Password: []byte("pw1")}); err != nil {
		t.Fatal(err)
	}
	mw, q := openMainWindow(t, m, nil)
	q.runUntil(t, "FS01 to connect", func() bool { return strings.HasPrefix(rowOf(mw, "FS01"), "FS01 | connected") })

	root := t.TempDir()
	src, dest, blocked := filepath.Join(root, "data"), filepath.Join(root, "backups"), filepath.Join(root, "offsite")
	for _, d := range []string{src, dest} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(src, "report.txt"), []byte("the quarterly report"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(blocked, []byte("a file where the folder should be"), 0o444); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, task := range []backup.Task{
		{Name: "docs", Sources: []string{src}, Destination: dest, Schedule: "manual"},
		{Name: "offsite", Sources: []string{src}, Destination: filepath.Join(blocked, "lanyard"), Schedule: "manual"},
	} {
		if _, _, err := m.PutTask(ctx, "FS01", task, agent.PutOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := m.RunTaskAndWait(ctx, "FS01", task.Name, nil); err != nil {
			t.Fatal(err)
		}
	}

	q.runUntil(t, "the tree to mark FS01 failed", func() bool { return backupMarkOf(mw, "FS01") == string(health.StateFailed) })
	if got := rowTexts(mw)[0]; got != "[Acme] 1 of 1 connected · 1 ok · 1 failed" {
		t.Errorf("group row %q", got)
	}
	if got := mw.status.counts.Text; !strings.HasSuffix(got, " · backups: 1 ok · 1 failed") {
		t.Errorf("status bar %q", got)
	}

	v := showBackupsWindow(fyne.CurrentApp(), m, nil, backupsOptions{do: q.do, now: time.Now, every: 10 * time.Millisecond, loc: time.UTC})
	t.Cleanup(func() { v.win.Close(); q.runPending() })
	q.runUntil(t, "the rows", func() bool { return v.snap.total > 0 })
	if got := visibleTasks(v); got != "FS01/offsite FS01/docs" {
		t.Fatalf("the Backups window shows %s", got)
	}
	if got := v.summary.Text; got != "2 of 2 tasks shown · 1 ok · 1 failed" {
		t.Errorf("the Backups window's summary %q", got)
	}

	var out bytes.Buffer
	rep := health.NewReport(m.BackupRows(), time.Now(), 0)
	if err := rep.WriteJSON(&out); err != nil {
		t.Fatal(err)
	}
	states := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var r struct{ Slave, Task, State string }
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatal(err)
		}
		states[r.Slave+"/"+r.Task] = r.State
	}
	for _, b := range v.snap.visible {
		if got := states[b.r.Slave+"/"+b.r.Task]; got != string(b.r.State) {
			t.Errorf("%s/%s: the report says %q, the Backups window %q", b.r.Slave, b.r.Task, got, b.r.State)
		}
	}
	if len(states) != 2 || states["FS01/offsite"] != "failed" {
		t.Errorf("report %v", states)
	}
}

func TestTheBackupsWindowOpensOnOneGroup(t *testing.T) {
	v, _, q, _ := openBackups(t)
	v.showGroup("Globex")
	q.runPending()
	if got := visibleTasks(v); got != "NAS/media" || v.group.Selected != "Globex" {
		t.Errorf("Globex's tasks: %s, group list on %q", got, v.group.Selected)
	}
	v.showGroup("")
	q.runPending()
	if got := visibleTasks(v); got != "WEB/site" || v.group.Selected != backupsUngrouped {
		t.Errorf("the ungrouped tasks: %s, group list on %q", got, v.group.Selected)
	}
}

// A console with no task known says so across the window, with no empty
// table behind the words; the first task brings the table.
func TestTheBackupsWindowWithoutTasksSaysSo(t *testing.T) {
	noLeaksAfter(t)
	test.NewTempApp(t)
	q := newUIQueue()
	src := &fakeBackups{fakeConsole: newFakeConsole()}
	v := showBackupsWindow(fyne.CurrentApp(), src, nil, testBackupsOptions(q))
	t.Cleanup(func() {
		v.win.Close()
		q.runPending()
	})
	q.runUntil(t, "the first read", func() bool { return v.empty.Visible() })
	if v.table.Visible() || v.empty.Text != backupsNoTasks {
		t.Fatalf("without tasks: %q, the table shown %v", v.empty.Text, v.table.Visible())
	}
	first := mixedRows()[0]
	src.rmu.Lock()
	src.rows = append(src.rows, first)
	src.rmu.Unlock()
	src.publish(master.Event{Kind: master.EventBackup, SlaveID: first.SlaveID, Slave: first.Slave})
	q.runUntil(t, "the first task", func() bool { return v.table.Visible() })
	if v.empty.Visible() {
		t.Fatal("the words stay over the first task")
	}
}
