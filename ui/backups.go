package ui

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/lanyard/lanyard/core/backup"
	"github.com/lanyard/lanyard/core/health"
	"github.com/lanyard/lanyard/core/human"
	"github.com/lanyard/lanyard/core/master"
)

// The Backups window: one row per task of every slave, answering "did
// every backup run?" at a glance. It reads the console's record of the
// fleet's backup health (master.BackupRows), which is there at start
// before any slave has linked, and follows the fleet's events through the
// same coalescing feed as the server tree (at most ten updates a second).
// The rows of the slaves that changed are read, put in their places and
// sorted on the feed's goroutine; the Fyne thread only shows the result
// (one fyne.Do each). The table is virtualised: only the rows on screen
// have widgets, and a cell whose text did not change is not laid out again.

// BackupSource is what the Backups window reads: the fleet's events and
// the rows of the slaves they name.
type BackupSource interface {
	Fleet
	// BackupRows is the backup health of every task of the given slaves
	// (of every slave when none is given).
	BackupRows(ids ...string) []master.BackupRow
}

// Texts of the Backups window.
const (
	backupsTitle       = "Backups"
	backupsAllGroups   = "All groups"
	backupsAllStates   = "All states"
	backupsFilterHint  = "Filter by slave, group, task or error"
	backupsNoTasks     = "No backup tasks known yet. Add one in a server's Tasks tab; a server's tasks appear here once it has linked."
	backupsReading     = "Reading the fleet's backups…"
	backupsUngrouped   = "(no group)"
	backupsLastKnownAs = "last known"
	backupsSaveReport  = "Save Report…"
	backupsPickHint    = "Select a task to read its row in full here; double-click it, or press Enter, to open its server's Tasks tab."
	// backupsUngroupedScope names the servers without a group in a
	// report's title.
	backupsUngroupedScope = "servers without a group"
	// backupsDisconnectedAs marks the rows of a slave the user
	// disconnected: last known too, and nothing of it is announced.
	backupsDisconnectedAs = "disconnected"
)

// Columns of the Backups table.
const (
	colState = iota
	colSlave
	colGroup
	colTask
	colResult
	colLastRun
	colSuccess
	colFailures
	colNextRun
	colOverdue
	backupColumns
)

var backupHeaders = [backupColumns]string{"State", "Slave", "Group", "Task", "Last result", "Last run", "Last success",
	"Failures", "Next run", "Overdue"}

// backupMinWidths are the columns' narrowest widths (the State column's
// for a state and the start of what is last known of a server offline,
// "overdue · last kno…", cut as every cell is, a date's for "2026-12-03
// 02:16"); backupShares their shares of a wider window:
// the State column's for the age of what is last known ("overdue · last
// known, 3 h 5 min"), the names, and the last result, whose errors are
// long. The default window then shows every column but Overdue, and
// gives the last result the room the State column did not need.
var (
	backupMinWidths = [backupColumns]float32{170, 110, 100, 110, 250, 130, 130, 70, 130, 75}
	backupShares    = [backupColumns]float32{0.15, 0.1, 0.07, 0.13, 0.55, 0, 0, 0, 0, 0}
)

// backupsSize is the window's size. Its default shows every column but
// Overdue, whose meaning the State column already gives; the table
// scrolls to it.
var backupsSize = windowSize{key: "backupswindow", def: fyne.NewSize(1264, 640), min: fyne.NewSize(640, 320)}

// backupsOptions are what tests replace.
type backupsOptions struct {
	do    func(func())
	now   func() time.Time
	every time.Duration
	loc   *time.Location
}

func defaultBackupsOptions() backupsOptions {
	return backupsOptions{do: fyne.Do, now: time.Now, every: refreshInterval, loc: time.Local}
}

// ShowBackupsWindow opens the Backups window, or brings the open one to
// the front. openTasks opens a slave's Tasks tab in the main window with
// a task selected (a double-click on a row).
func ShowBackupsWindow(a fyne.App, src BackupSource, openTasks func(slaveID, task string)) fyne.Window {
	return showBackupsWindow(a, src, openTasks, defaultBackupsOptions()).win
}

func showBackupsWindow(a fyne.App, src BackupSource, openTasks func(slaveID, task string), o backupsOptions) *backupsView {
	if v, ok := frontWindow[*backupsView](a); ok {
		return v
	}
	v := newBackupsView(a, src, openTasks, o)
	v.win.Show()
	return v
}

// backupsView is the window's state. The window opens empty and the
// feed's goroutine fills it. The model is shared by the Fyne
// thread (filters and sort, which the user changes) and the feed's
// goroutine (the fleet's changes, sorted in there, off the Fyne thread),
// under mu; each change yields a new snapshot of what to show, which only
// the Fyne thread reads. A snapshot is never changed once made: a row
// that changes is a new *bRow.
type backupsView struct {
	win       fyne.Window
	src       BackupSource
	o         backupsOptions
	openTasks func(slaveID, task string)

	mu    sync.Mutex
	model *backupsModel // under mu

	snap    backupsSnapshot // what is shown; Fyne thread
	table   *fittedTable
	filter  *searchEntry
	group   *widget.Select
	state   *widget.Select
	summary *widget.Label
	empty   *widget.Label
	save    *widget.Button
	run     *widget.Button // Run Tasks Shown…; nil when the console cannot
	runner  TaskRunner
	detail  *widget.Label // the selected row in full
	about   fyne.CanvasObject
	sel     int    // selected visible row, -1 for none
	selCol  int    // and the cell's column that was clicked
	chosen  string // the selected row's key: kept as rows move

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func newBackupsView(a fyne.App, src BackupSource, openTasks func(slaveID, task string), o backupsOptions) *backupsView {
	v := &backupsView{src: src, o: o, openTasks: openTasks, model: newBackupsModel(), sel: -1}
	v.ctx, v.cancel = context.WithCancel(context.Background())
	v.win = a.NewWindow(backupsTitle)
	v.win.SetIcon(Icon())

	v.filter = newSearchEntry(v.win.Canvas(), backupsFilterHint, func(s string) { v.change(func(m *backupsModel) { m.setText(s) }) })
	v.group = v.newGroupSelect()
	v.state = v.newStateSelect()
	v.summary = widget.NewLabel("")
	v.empty = widget.NewLabel(backupsNoTasks)
	v.table = v.newTable()
	v.detail, v.about = newRecordView(backupsPickHint, 3)
	v.save = widget.NewButtonWithIcon(backupsSaveReport, theme.DocumentSaveIcon(), v.askSaveReport)
	if v.runner, _ = src.(TaskRunner); v.runner != nil {
		v.run = widget.NewButtonWithIcon(backupsRunShown, theme.MediaPlayIcon(), v.askRunShown)
		v.run.Disable()
	}
	v.win.SetContent(v.newContent())
	backupsSize.restore(a.Preferences(), v.win)
	v.bindKeys()
	v.startFeed()
	v.win.SetOnClosed(func() {
		backupsSize.remember(a.Preferences(), v.win)
		v.cancel()
		v.wg.Wait()
	})
	return v
}

// newGroupSelect picks the group shown: all, the ungrouped or one.
func (v *backupsView) newGroupSelect() *widget.Select {
	return widget.NewSelect([]string{backupsAllGroups}, func(s string) {
		g := s
		switch s {
		case backupsAllGroups:
			g = "\x00"
		case backupsUngrouped:
			g = ""
		}
		v.change(func(m *backupsModel) { m.setGroup(g) })
	})
}

// showGroup shows only group's tasks (the ungrouped ones' for ""), as
// picking it in the group list does, even before the group is listed.
func (v *backupsView) showGroup(group string) {
	label := group
	if group == "" {
		label = backupsUngrouped
	}
	v.group.Selected = label
	v.group.Refresh()
	v.change(func(m *backupsModel) { m.setGroup(group) })
}

// backupConcerns are the state select's choices after the states: the
// tasks whose backups need a look though they may succeed, as Needs a
// look and the daily summary name them. Run Tasks Shown then runs them
// all: a run copies damaged files afresh and mends the older snapshots.
var backupConcerns = []backupConcern{
	{"damaged copies", func(r *master.BackupRow) bool { return r.LastDamaged > 0 }},
	{"nearly full", func(r *master.BackupRow) bool { return r.Dest.Low() != "" }},
	{"with warnings", func(r *master.BackupRow) bool { return r.Warned() }},
}

// backupConcern is a choice of tasks that need a look, by its name.
type backupConcern struct {
	name string
	has  func(r *master.BackupRow) bool
}

// newStateSelect picks the tasks shown: all, those in one state, worst
// first, or those of one concern (backupConcerns).
func (v *backupsView) newStateSelect() *widget.Select {
	states := []string{backupsAllStates}
	for _, s := range []health.State{health.StateFailed, health.StateOverdue, health.StateRunning, health.StateOK, health.StateUnknown} {
		states = append(states, string(s))
	}
	for _, c := range backupConcerns {
		states = append(states, c.name)
	}
	return widget.NewSelect(states, func(s string) {
		concern := 1 + slices.IndexFunc(backupConcerns, func(c backupConcern) bool { return c.name == s })
		st := health.State(unlessAll(s, backupsAllStates))
		if concern > 0 {
			st = ""
		}
		v.change(func(m *backupsModel) { m.setState(st, concern) })
	})
}

// newContent lays the window out: the filters above the table, the
// summary below it.
func (v *backupsView) newContent() fyne.CanvasObject {
	bar := container.NewBorder(nil, nil, nil, container.NewHBox(v.group, v.state), v.filter)
	body := container.NewStack(v.table, emptyNote(v.empty))
	buttons := container.NewHBox(v.save)
	if v.run != nil {
		buttons.Objects = []fyne.CanvasObject{v.run, v.save}
	}
	foot := container.NewBorder(nil, nil, nil, buttons, v.summary)
	bottom := container.NewVBox(widget.NewSeparator(), container.NewPadded(foot))
	split := recordSplit(body, v.about)
	return newOneWindow(v, backupsSize, container.NewBorder(container.NewPadded(bar), bottom, nil, nil, split), split)
}

// bindKeys binds the window's keys: the filter and save shortcuts,
// Enter and the keys that close it.
func (v *backupsView) bindKeys() {
	v.win.Canvas().AddShortcut(shortcutFilter(), func(fyne.Shortcut) { v.win.Canvas().Focus(v.filter) })
	v.win.Canvas().AddShortcut(shortcutSave(), func(fyne.Shortcut) { v.askSaveReport() })
	// Enter opens the selected row's slave, as a double-click does.
	v.win.Canvas().SetOnTypedKey(func(k *fyne.KeyEvent) {
		if k.Name == fyne.KeyReturn || k.Name == fyne.KeyEnter {
			v.open(v.sel)
		}
	})
	closeKeys(v.win)
}

// startFeed starts the goroutine that fills the window and keeps it up
// to date. The window opens at once; its rows are read and sorted off
// the Fyne thread and shown when ready (30,000 take a moment).
func (v *backupsView) startFeed() {
	events, unsubscribe := v.src.Subscribe(4096)
	v.summary.SetText(backupsReading)
	v.empty.Hide()
	// Set, not selected: their callbacks would sort everything again.
	v.group.Selected, v.state.Selected = backupsAllGroups, backupsAllStates
	v.group.Refresh()
	v.state.Refresh()

	feed := newLiveFeed(v.src, nil)
	v.wg.Go(func() {
		defer unsubscribe()
		v.showSoon(v.update(true, nil, v.src.Slaves(), nil))
		feed.run(v.ctx, events, v.o.every, v.applyBatch)
	})
}

// applyBatch puts the rows of the slaves a batch names in the model, off
// the Fyne thread, and shows the result.
func (v *backupsView) applyBatch(b batch) {
	all, ids := b.all != nil, changedIDs(b)
	if !all && len(ids) == 0 {
		return
	}
	views := b.views
	if all {
		views = b.all
	}
	v.showSoon(v.update(all, ids, views, b.removed))
}

// showSoon shows snap on the Fyne thread, unless the window has closed
// meanwhile.
func (v *backupsView) showSoon(snap backupsSnapshot) {
	v.o.do(func() {
		if v.ctx.Err() == nil {
			v.show(snap)
		}
	})
}

// changedIDs are the slaves a batch names.
func changedIDs(b batch) []string {
	ids := make([]string, 0, len(b.views)+len(b.removed))
	for _, sv := range b.views {
		ids = append(ids, sv.ID)
	}
	return append(ids, b.removed...)
}

// update reads the rows of the slaves ids (of every slave when all) and
// puts them in the model, with which slaves never linked (views: those
// changed, or every one when all; removed: those gone), off the Fyne
// thread; the snapshot is what to show now.
func (v *backupsView) update(all bool, ids []string, views []master.SlaveView, removed []string) backupsSnapshot {
	var rows []master.BackupRow
	if all {
		rows = v.src.BackupRows()
	} else {
		rows = v.src.BackupRows(ids...)
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if all {
		v.model.replaceAll(rows)
	} else {
		v.model.replace(ids, rows)
	}
	v.model.noteSlaves(all, views, removed)
	return v.model.snapshot()
}

// change applies a change of the filters or the sort, on the Fyne thread.
func (v *backupsView) change(fn func(*backupsModel)) {
	v.mu.Lock()
	fn(v.model)
	snap := v.model.snapshot()
	v.mu.Unlock()
	v.show(snap)
}

// show draws a snapshot: the summary, the groups offered and the table,
// whose cells on screen are filled again. It runs on the Fyne thread.
func (v *backupsView) show(s backupsSnapshot) {
	v.snap = s
	v.summary.SetText(s.summary())
	showIf(v.empty, s.total == 0)
	showIf(v.table, s.total > 0) // its lines would cross the words
	if opts := append([]string{backupsAllGroups}, s.groups...); !slices.Equal(opts, v.group.Options) {
		v.group.Options = opts
		v.group.Refresh()
	}
	v.table.Refresh()
	v.keepChosen()
	v.showRunButton()
}

// selectRow shows the row selected in full, and keeps it as the fleet's
// changes move it.
func (v *backupsView) selectRow(id widget.TableCellID) {
	v.sel, v.selCol = id.Row, id.Col
	if id.Row < 0 || id.Row >= len(v.snap.visible) {
		return
	}
	b := v.snap.visible[id.Row]
	v.chosen = b.key
	showRecord(v.detail, v.rowText(&b.r), backupsPickHint)
}

// keepChosen selects the chosen task again where the new snapshot put
// it (its words may have changed), or, filtered out or gone, says how
// to choose one.
func (v *backupsView) keepChosen() {
	if v.chosen == "" {
		return
	}
	switch i := slices.IndexFunc(v.snap.visible, func(b *bRow) bool { return b.key == v.chosen }); {
	case i < 0:
		v.chosen, v.sel = "", -1
		v.table.UnselectAll()
		showRecord(v.detail, "", backupsPickHint)
	case i == v.sel:
		showRecord(v.detail, v.rowText(&v.snap.visible[i].r), backupsPickHint)
	default:
		v.table.Select(widget.TableCellID{Row: i, Col: v.selCol})
	}
}

// rowText is a row in full: the words of its cells, which the table
// cuts to their columns' widths.
func (v *backupsView) rowText(r *master.BackupRow) string {
	text := func(col int) string { s, _ := v.cellText(r, col); return s }
	where := r.Slave
	if r.Group != "" {
		where += " (" + r.Group + ")"
	}
	var more []string
	for _, col := range []int{colLastRun, colSuccess, colFailures, colNextRun, colOverdue} {
		more = append(more, backupHeaders[col]+": "+text(col))
	}
	return fmt.Sprintf("%s on %s: %s\n%s: %s\n%s", r.Task, where, text(colState), backupHeaders[colResult], text(colResult),
		strings.Join(more, " · "))
}

func (v *backupsView) newTable() *fittedTable {
	t := &fittedTable{cols: newColumns(backupMinWidths[:], backupShares[:]), canvas: v.win.Canvas()}
	t.Length = func() (int, int) { return len(v.snap.visible), backupColumns }
	t.CreateCell = func() fyne.CanvasObject { return newBackupCell(v) }
	t.UpdateCell = func(id widget.TableCellID, o fyne.CanvasObject) { o.(*backupCell).show(id) }
	t.ShowHeaderRow = true
	t.CreateHeader = func() fyne.CanvasObject {
		b := widget.NewButton("", nil)
		b.Importance = widget.LowImportance
		b.Alignment = widget.ButtonAlignLeading
		return b
	}
	t.UpdateHeader = func(id widget.TableCellID, o fyne.CanvasObject) {
		b := o.(*widget.Button)
		if id.Col < 0 || id.Col >= backupColumns {
			return
		}
		text := backupHeaders[id.Col]
		if v.snap.sortCol == id.Col {
			text += map[bool]string{false: " ▲", true: " ▼"}[v.snap.desc]
		}
		b.SetText(text)
		col := id.Col
		b.OnTapped = func() { v.change(func(m *backupsModel) { m.sortBy(col) }) }
	}
	t.OnSelected = v.selectRow
	selectRows(&t.Table)
	t.ExtendBaseWidget(t)
	t.cols.fit(&t.Table, t.cols.need())
	return t
}

// open opens the Tasks tab of row's slave, with row's task selected.
func (v *backupsView) open(row int) {
	if row < 0 || row >= len(v.snap.visible) || v.openTasks == nil {
		return
	}
	r := &v.snap.visible[row].r
	v.openTasks(r.SlaveID, r.Task)
}

// backupCell is one cell: a line of text cut to the column's width, and
// in the State column the mark before it. It is drawn with canvas.Text,
// fitted once per text and width, and left alone when what it shows did
// not change: a table refresh costs little.
type backupCell struct {
	widget.BaseWidget
	v     *backupsView
	id    widget.TableCellID
	mark  *backupMark
	text  *canvas.Text
	full  string
	color fyne.ThemeColorName
	width float32 // the width the text was fitted to
	x     float32 // where the text was put
}

func newBackupCell(v *backupsView) *backupCell {
	c := &backupCell{v: v, mark: newBackupMark(), text: canvas.NewText("", theme.Color(theme.ColorNameForeground))}
	c.mark.Hide()
	c.ExtendBaseWidget(c)
	return c
}

func (c *backupCell) CreateRenderer() fyne.WidgetRenderer { return &backupCellRenderer{c: c} }

// Tapped selects the cell's row; DoubleTapped opens its slave's Tasks tab.
func (c *backupCell) Tapped(*fyne.PointEvent)       { c.v.table.Select(c.id) }
func (c *backupCell) DoubleTapped(*fyne.PointEvent) { c.v.open(c.id.Row) }

func (c *backupCell) show(id widget.TableCellID) {
	c.id = id
	if id.Row < 0 || id.Row >= len(c.v.snap.visible) {
		return
	}
	r := &c.v.snap.visible[id.Row].r
	if id.Col == colState {
		setBackupMark(c.mark, r.State, r.LastKnown)
		c.mark.Show()
	} else {
		c.mark.Hide()
	}
	text, col := c.v.cellText(r, id.Col)
	if text == c.full && col == c.color && c.textX() == c.x {
		return
	}
	c.full, c.color = text, col
	c.text.Color = theme.Color(col)
	c.width = -1 // fit again
	c.Refresh()
}

// textX is where the text starts: after the mark in the State column.
func (c *backupCell) textX() float32 {
	if c.id.Col == colState {
		return theme.InnerPadding() + rowIcon + rowGap
	}
	return theme.InnerPadding()
}

// fit cuts the text to the cell's width.
func (c *backupCell) fit() {
	c.width = c.Size().Width - c.textX() - theme.InnerPadding()
	c.text.Text = fitText(c.full, c.width, c.text.TextSize, c.text.TextStyle)
}

type backupCellRenderer struct{ c *backupCell }

func (r *backupCellRenderer) Layout(size fyne.Size) {
	c := r.c
	c.mark.Resize(fyne.NewSquareSize(rowIcon))
	c.mark.Move(fyne.NewPos(theme.InnerPadding(), (size.Height-rowIcon)/2))
	x := c.textX()
	c.x = x
	if w := size.Width - x - theme.InnerPadding(); w != c.width {
		c.fit()
	}
	h := c.text.MinSize().Height
	c.text.Move(fyne.NewPos(x, (size.Height-h)/2))
	c.text.Resize(fyne.NewSize(size.Width-x-theme.InnerPadding(), h))
}

func (r *backupCellRenderer) MinSize() fyne.Size {
	return fyne.NewSize(rowIcon, r.c.text.MinSize().Height+2*theme.Padding())
}

func (r *backupCellRenderer) Refresh() {
	r.Layout(r.c.Size())
	if r.c.color != "" { // the theme may have changed
		r.c.text.Color = theme.Color(r.c.color)
	}
	canvas.Refresh(r.c.text)
}

func (r *backupCellRenderer) Objects() []fyne.CanvasObject {
	return []fyne.CanvasObject{r.c.mark, r.c.text}
}

func (r *backupCellRenderer) Destroy() {}

// cellText is what a cell says, and in which colour.
func (v *backupsView) cellText(r *master.BackupRow, col int) (string, fyne.ThemeColorName) {
	fg := theme.ColorNameForeground
	when := func(t time.Time) string { return health.When(t, v.o.loc) }
	switch col {
	case colState:
		s := string(r.State)
		switch {
		case r.Disconnected:
			s += " · " + backupsDisconnectedAs + ", " + health.Age(v.o.now().Sub(r.Seen))
			fg = theme.ColorNamePlaceHolder
		case r.LastKnown:
			s += " · " + backupsLastKnownAs + ", " + health.Age(v.o.now().Sub(r.Seen))
			fg = theme.ColorNamePlaceHolder
		}
		if !r.Disconnected && r.MutedUntil.After(v.o.now()) {
			s += " · alerts muted until " + r.MutedUntil.In(v.o.loc).Format("15:04")
		}
		return s, fg
	case colSlave:
		return r.Slave, fg
	case colGroup:
		return r.Group, fg
	case colTask:
		return r.Task, fg
	case colResult:
		if r.Running {
			return "running since " + health.When(r.RunningSince, v.o.loc), theme.ColorNamePrimary
		}
		if r.LastResult == "" {
			return "never run", theme.ColorNamePlaceHolder
		}
		if r.LastResult == backup.ResultFailed || r.LastResult == backup.ResultInterrupted {
			fg = theme.ColorNameError
		}
		res := backup.ResultWords(r.LastResult, r.PendingRetry(v.o.now()), r.LastRun, v.o.loc)
		if r.LastResult == backup.ResultStopped {
			// Its error says no more than that it was stopped.
			if r.LastDamaged > 0 {
				res += " · " + backup.FoundDamagedWords(r.LastDamaged)
			}
			return res, theme.ColorNameWarning
		}
		if r.LastError != "" {
			return res + ": " + r.LastError, fg
		}
		if low := r.Dest.Low(); low != "" {
			return string(r.LastResult) + ": the destination " + low, theme.ColorNameWarning
		}
		if r.LastResult == backup.ResultWarnings && r.LastWarnings > 0 {
			// What the warnings are about (a file that could not be read,
			// a copy a verify found damaged) is read here, not only on the
			// server's Tasks tab.
			return health.WarnedWords(r.LastWarnings, r.LastWarning), theme.ColorNameWarning
		}
		if r.LastDamaged > 0 { // found by hand since the run, which completed
			return string(r.LastResult) + " · " + backup.FoundDamagedWords(r.LastDamaged), theme.ColorNameWarning
		}
		return string(r.LastResult), fg
	case colLastRun:
		return when(r.LastRun), fg
	case colSuccess:
		return when(r.LastSuccess), fg
	case colFailures:
		if r.FailuresSinceSuccess == 0 {
			return "0", theme.ColorNamePlaceHolder
		}
		return fmt.Sprint(r.FailuresSinceSuccess), theme.ColorNameError
	case colNextRun:
		switch {
		case r.Paused:
			return "paused", theme.ColorNamePlaceHolder
		case r.NextRun.IsZero():
			return "manual", theme.ColorNamePlaceHolder
		}
		return when(r.NextRun), fg
	case colOverdue:
		if r.Overdue {
			return "overdue", theme.ColorNameWarning
		}
		return "no", theme.ColorNamePlaceHolder
	}
	return "", fg
}

// ---- the model ----

// bRow is one task's row with what the filter and sort compare, computed
// once per change: the lower-cased texts, the names' sort keys and the
// state's rank.
type bRow struct {
	r                     master.BackupRow
	key                   string
	lslave, lgroup, ltask string
	kslave, kgroup, ktask string // human.NameKey of each
	lerror                string
	rank                  int    // the state's place, worst first
	mark                  uint64 // the model's generation in which it changed
}

// set makes b show r, lower-casing only the texts that changed.
func (b *bRow) set(r *master.BackupRow) {
	if r.Slave != b.r.Slave || b.lslave == "" {
		b.lslave, b.kslave = strings.ToLower(r.Slave), human.NameKey(r.Slave)
	}
	if r.Group != b.r.Group {
		b.lgroup, b.kgroup = strings.ToLower(r.Group), human.NameKey(r.Group)
	}
	if r.Task != b.r.Task || b.ltask == "" {
		b.ltask, b.ktask = strings.ToLower(r.Task), human.NameKey(r.Task)
	}
	if r.LastError != b.r.LastError || r.Dest != b.r.Dest || r.LastWarning != b.r.LastWarning || r.LastDamaged != b.r.LastDamaged {
		found := ""
		if r.LastDamaged > 0 {
			found = backup.FoundDamagedWords(r.LastDamaged)
		}
		b.lerror = strings.ToLower(r.LastError + "\x00" + r.Dest.Low() + "\x00" + r.LastWarning + "\x00" + found) // what the Result column says
	}
	b.r, b.rank = *r, stateOrder(r.State)
}

// backupsModel holds every row by key and the visible ones, filtered and
// sorted. It lives on the Fyne thread. A change of some slaves' rows
// costs a sort of those rows and one merge with the rest, not a sort of
// them all.
type backupsModel struct {
	rows    map[string]*bRow
	bySlave map[string][]string
	visible []*bRow
	counts  health.Counts
	held    int // tasks of disconnected slaves, not in counts
	gen     uint64

	text    string
	group   string // "\x00": every group
	state   health.State
	concern int // 1 + the index of the backupConcerns shown; 0: any
	sortCol int
	desc    bool
	// never are the slaves that never linked (no task known), by ID,
	// with their group: the summary counts those of the group shown.
	never map[string]string
}

func newBackupsModel() *backupsModel {
	return &backupsModel{rows: map[string]*bRow{}, bySlave: map[string][]string{}, group: "\x00", sortCol: colState, never: map[string]string{}}
}

// noteSlaves keeps which slaves never linked: of the whole fleet when
// all, else of the slaves changed (views) and removed.
func (m *backupsModel) noteSlaves(all bool, views []master.SlaveView, removed []string) {
	if all {
		clear(m.never)
	}
	for _, id := range removed {
		delete(m.never, id)
	}
	for i := range views {
		if views[i].NeverLinked() {
			m.never[views[i].ID] = views[i].Group
		} else {
			delete(m.never, views[i].ID)
		}
	}
}

// neverLinked counts the slaves of the group shown that never linked.
func (m *backupsModel) neverLinked() int {
	n := 0
	for _, g := range m.never {
		if inBackupsGroup(m.group, g) {
			n++
		}
	}
	return n
}

func rowKey(r *master.BackupRow) string { return r.SlaveID + "\x00" + backup.NameKey(r.Task) }

// replaceAll makes the model hold exactly rows.
func (m *backupsModel) replaceAll(rows []master.BackupRow) {
	m.rows, m.bySlave, m.counts, m.held = make(map[string]*bRow, len(rows)), map[string][]string{}, health.Counts{}, 0
	for i := range rows {
		b := &bRow{key: rowKey(&rows[i])}
		b.set(&rows[i])
		m.rows[b.key] = b
		m.bySlave[b.r.SlaveID] = append(m.bySlave[b.r.SlaveID], b.key)
		m.count(&b.r, 1)
	}
	m.rebuild()
}

// count counts r n times: by its state, or, when its slave is
// disconnected, apart, as the report does (health.Report).
func (m *backupsModel) count(r *master.BackupRow, n int) {
	if r.Disconnected {
		m.held += n
		return
	}
	m.counts.Add(r.State, n)
}

// replace replaces the rows of the slaves ids with rows (new *bRow
// values, keeping the lower-cased texts that did not change); only they
// are sorted again.
func (m *backupsModel) replace(ids []string, rows []master.BackupRow) {
	m.gen++
	old := make(map[string]*bRow, len(rows))
	for _, id := range ids {
		for _, k := range m.bySlave[id] {
			if b := m.rows[k]; b != nil {
				old[k] = b
			}
		}
		delete(m.bySlave, id)
	}
	touched := make([]*bRow, 0, len(rows))
	for i := range rows {
		k := rowKey(&rows[i])
		b := &bRow{key: k}
		if was := old[k]; was != nil {
			// A new row, not the old one changed: snapshots shown hold
			// the old one.
			delete(old, k)
			m.count(&was.r, -1)
			was.mark = m.gen
			*b = *was
		}
		m.rows[k] = b
		b.set(&rows[i])
		b.mark = m.gen
		m.count(&b.r, 1)
		m.bySlave[b.r.SlaveID] = append(m.bySlave[b.r.SlaveID], k)
		touched = append(touched, b)
	}
	for k, b := range old {
		b.mark = m.gen
		m.count(&b.r, -1)
		delete(m.rows, k)
	}
	m.merge(touched)
}

// merge puts the touched rows that match in their places among the
// visible rows that did not change.
func (m *backupsModel) merge(touched []*bRow) {
	add := make([]*bRow, 0, len(touched))
	for _, b := range touched {
		if m.matches(b) {
			add = append(add, b)
		}
	}
	slices.SortFunc(add, m.compare)
	out := make([]*bRow, 0, len(m.visible)+len(add))
	i := 0
	for _, b := range m.visible {
		if b.mark == m.gen {
			continue // changed or gone: among add, or not shown
		}
		for i < len(add) && m.compare(add[i], b) < 0 {
			out = append(out, add[i])
			i++
		}
		out = append(out, b)
	}
	m.visible = append(out, add[i:]...)
}

func (m *backupsModel) setText(s string)  { m.text = strings.ToLower(strings.TrimSpace(s)); m.rebuild() }
func (m *backupsModel) setGroup(g string) { m.group = g; m.rebuild() }
func (m *backupsModel) setState(s health.State, concern int) {
	m.state, m.concern = s, concern
	m.rebuild()
}

// sortBy sorts by col, or reverses the order when it already sorts by it.
func (m *backupsModel) sortBy(col int) {
	if m.sortCol == col {
		m.desc = !m.desc
	} else {
		m.sortCol, m.desc = col, false
	}
	m.rebuild()
}

// inGroup says whether b is of the group shown.
func (m *backupsModel) inGroup(b *bRow) bool { return inBackupsGroup(m.group, b.r.Group) }

// inBackupsGroup says whether a server of group is in the group shown
// ("\x00": every group, "": the servers without one).
func inBackupsGroup(shown, group string) bool {
	return shown == "\x00" || strings.EqualFold(group, shown)
}

// report is the report of the group shown, every task of it listed,
// whatever the other filters.
func (m *backupsModel) report(now time.Time) health.Report {
	var rows []health.Row
	for _, b := range m.rows {
		if m.inGroup(b) {
			rows = append(rows, b.r)
		}
	}
	r := health.NewReport(rows, now, 0)
	switch {
	case m.group == "":
		r.Scope = backupsUngroupedScope
	case m.group != "\x00" && len(rows) > 0:
		r.Scope = rows[0].Group // as the entries spell it
	case m.group != "\x00":
		r.Scope = m.group
	}
	return r
}

func (m *backupsModel) matches(b *bRow) bool {
	if !m.inGroup(b) {
		return false
	}
	if m.state != "" {
		// Running is a task that runs, whatever else its state says.
		if m.state == health.StateRunning && !b.r.Running || m.state != health.StateRunning && b.r.State != m.state {
			return false
		}
	}
	if m.concern > 0 && !backupConcerns[m.concern-1].has(&b.r) {
		return false
	}
	t := m.text
	return t == "" || strings.Contains(b.lslave, t) || strings.Contains(b.lgroup, t) || strings.Contains(b.ltask, t) ||
		strings.Contains(b.lerror, t)
}

// rebuild recomputes the visible rows.
func (m *backupsModel) rebuild() {
	vis := make([]*bRow, 0, len(m.rows))
	for _, b := range m.rows {
		if m.matches(b) {
			vis = append(vis, b)
		}
	}
	slices.SortFunc(vis, m.compare)
	m.visible = vis
}

func stateOrder(s health.State) int {
	for i, st := range health.States {
		if st == s {
			return i
		}
	}
	return len(health.States)
}

// compare orders two rows by the sort column, then by slave and task.
func (m *backupsModel) compare(a, b *bRow) int {
	if c := m.byColumn(a, b); c != 0 {
		if m.desc {
			return -c
		}
		return c
	}
	return cmp.Or(strings.Compare(a.kslave, b.kslave), strings.Compare(a.ktask, b.ktask), strings.Compare(a.key, b.key))
}

func (m *backupsModel) byColumn(a, b *bRow) int {
	switch m.sortCol {
	case colState:
		return cmp.Compare(a.rank, b.rank)
	case colSlave:
		return strings.Compare(a.kslave, b.kslave)
	case colGroup:
		return strings.Compare(a.kgroup, b.kgroup)
	case colTask:
		return strings.Compare(a.ktask, b.ktask)
	case colResult:
		return cmp.Compare(a.r.LastResult, b.r.LastResult)
	case colLastRun:
		return a.r.LastRun.Compare(b.r.LastRun)
	case colSuccess:
		return a.r.LastSuccess.Compare(b.r.LastSuccess)
	case colFailures:
		return cmp.Compare(a.r.FailuresSinceSuccess, b.r.FailuresSinceSuccess)
	case colNextRun:
		return a.r.NextRun.Compare(b.r.NextRun)
	case colOverdue:
		return cmp.Compare(b2i(b.r.Overdue), b2i(a.r.Overdue))
	}
	return 0
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// groupNames are the groups present, each once whatever its case,
// sorted; "(no group)" last.
func (m *backupsModel) groupNames() []string {
	all := make([]string, 0, len(m.bySlave))
	none := false
	for _, b := range m.rows {
		all = append(all, b.r.Group)
		none = none || b.r.Group == ""
	}
	out := master.DistinctGroups(all)
	if none {
		out = append(out, backupsUngrouped)
	}
	return out
}

// backupsSnapshot is what the window shows: never changed once made.
type backupsSnapshot struct {
	visible []*bRow
	counts  health.Counts
	held    int // tasks of disconnected slaves, not in counts
	never   int // slaves of the group shown that never linked
	total   int
	groups  []string
	sortCol int
	desc    bool
}

// snapshot is what to show now. The visible slice is the model's, which
// every change replaces rather than edits.
func (m *backupsModel) snapshot() backupsSnapshot {
	return backupsSnapshot{visible: m.visible, counts: m.counts, held: m.held, total: len(m.rows), groups: m.groupNames(),
		sortCol: m.sortCol, desc: m.desc, never: m.neverLinked()}
}

// summary is "12 of 30,000 tasks shown · 28,000 ok · 1,200 failed…
// · 3 of disconnected slaves".
func (s *backupsSnapshot) summary() string {
	out := fmt.Sprintf("%s of %s shown · %s", human.Count(len(s.visible)), human.Plural(s.total, "task", "tasks"), s.counts)
	if s.held > 0 {
		out += " · " + human.Count(s.held) + " of disconnected slaves"
	}
	if s.never > 0 {
		out += " · " + notWatched(s.never)
	}
	return out
}

// notWatched counts n slaves that never linked, so whose backups nobody
// watches: "1 server never linked, so not watched".
func notWatched(n int) string { return health.NeverLinkedWords(n) + ", so not watched" }
