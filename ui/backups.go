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
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/lanyard/lanyard/core/backup"
	"github.com/lanyard/lanyard/core/health"
	"github.com/lanyard/lanyard/core/master"
)

// The Backups window: one row per task of every slave, answering "did
// every backup run?" at a glance. It reads the console's record of the
// fleet's backup health (master.BackupRows), which is there at start
// before any slave has linked, and follows the fleet's events through the
// same coalescing feed as the server tree (at most ten updates a second,
// one fyne.Do each). The table is virtualised: only the rows on screen
// have widgets.

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
	backupsNoTasks     = "No backup tasks known yet: they appear as slaves link."
	backupsUngrouped   = "(no group)"
	backupsLastKnownAs = "last known"
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

var backupWidths = [backupColumns]float32{230, 120, 100, 110, 180, 130, 130, 70, 130, 75}

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
// the front. openTasks opens a slave's Tasks tab in the main window (a
// double-click on a row).
func ShowBackupsWindow(a fyne.App, src BackupSource, openTasks func(slaveID string)) fyne.Window {
	return showBackupsWindow(a, src, openTasks, defaultBackupsOptions()).win
}

func showBackupsWindow(a fyne.App, src BackupSource, openTasks func(string), o backupsOptions) *backupsView {
	for _, w := range a.Driver().AllWindows() {
		if w.Title() == backupsTitle {
			if c, ok := w.Content().(*backupsContent); ok {
				w.Show()
				w.RequestFocus()
				return c.v
			}
		}
	}
	v := newBackupsView(a, src, openTasks, o)
	v.win.Show()
	return v
}

// backupsContent is the window's content, so a second Show finds the view.
type backupsContent struct {
	widget.BaseWidget
	v   *backupsView
	obj fyne.CanvasObject
}

func (c *backupsContent) CreateRenderer() fyne.WidgetRenderer { return widget.NewSimpleRenderer(c.obj) }

// backupsView is the window's state; it lives on the Fyne thread.
type backupsView struct {
	win       fyne.Window
	src       BackupSource
	o         backupsOptions
	openTasks func(string)

	model   *backupsModel
	table   *widget.Table
	filter  *widget.Entry
	group   *widget.Select
	state   *widget.Select
	summary *widget.Label
	empty   *widget.Label
	sel     int // selected visible row, -1 for none

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func newBackupsView(a fyne.App, src BackupSource, openTasks func(string), o backupsOptions) *backupsView {
	v := &backupsView{src: src, o: o, openTasks: openTasks, model: newBackupsModel(), sel: -1}
	v.ctx, v.cancel = context.WithCancel(context.Background())
	v.win = a.NewWindow(backupsTitle)
	v.win.SetIcon(Icon())

	v.filter = widget.NewEntry()
	v.filter.SetPlaceHolder(backupsFilterHint)
	v.filter.ActionItem = widget.NewIcon(theme.SearchIcon())
	v.filter.OnChanged = func(s string) { v.model.setText(s); v.redraw() }
	v.group = widget.NewSelect([]string{backupsAllGroups}, func(s string) {
		g := s
		switch s {
		case backupsAllGroups:
			g = "\x00"
		case backupsUngrouped:
			g = ""
		}
		v.model.setGroup(g)
		v.redraw()
	})
	states := []string{backupsAllStates}
	for _, s := range []health.State{health.StateFailed, health.StateOverdue, health.StateRunning, health.StateOK, health.StateUnknown} {
		states = append(states, string(s))
	}
	v.state = widget.NewSelect(states, func(s string) {
		st := health.State(s)
		if s == backupsAllStates {
			st = ""
		}
		v.model.setState(st)
		v.redraw()
	})
	v.summary = widget.NewLabel("")
	v.empty = widget.NewLabel(backupsNoTasks)
	v.empty.Alignment = fyne.TextAlignCenter
	v.table = v.newTable()

	bar := container.NewBorder(nil, nil, nil, container.NewHBox(v.group, v.state), v.filter)
	body := container.NewStack(v.table, container.NewCenter(v.empty))
	content := &backupsContent{v: v, obj: container.NewBorder(container.NewPadded(bar), container.NewPadded(v.summary), nil, nil, body)}
	content.ExtendBaseWidget(content)
	v.win.SetContent(content)
	v.win.Resize(fyne.NewSize(1320, 640))
	v.win.Canvas().AddShortcut(shortcutFilter(), func(fyne.Shortcut) { v.win.Canvas().Focus(v.filter) })

	events, unsubscribe := src.Subscribe(4096)
	v.model.replaceAll(src.BackupRows())
	v.group.SetSelected(backupsAllGroups)
	v.state.SetSelected(backupsAllStates)
	v.syncGroups()
	v.redraw()

	feed := newLiveFeed(src, nil)
	v.wg.Go(func() {
		defer unsubscribe()
		feed.run(v.ctx, events, o.every, func(b batch) {
			all, ids, rows := b.all != nil, changedIDs(b), []master.BackupRow(nil)
			if all {
				rows = src.BackupRows()
			} else if len(ids) > 0 {
				rows = src.BackupRows(ids...)
			}
			o.do(func() { v.apply(all, ids, rows) })
		})
	})
	v.win.SetOnClosed(func() { v.cancel(); v.wg.Wait() })
	return v
}

// changedIDs are the slaves a batch names.
func changedIDs(b batch) []string {
	ids := make([]string, 0, len(b.views)+len(b.removed))
	for _, sv := range b.views {
		ids = append(ids, sv.ID)
	}
	return append(ids, b.removed...)
}

// apply brings the view up to date with the rows of the slaves ids (of
// every slave when all).
func (v *backupsView) apply(all bool, ids []string, rows []master.BackupRow) {
	if v.ctx.Err() != nil {
		return
	}
	if all {
		v.model.replaceAll(rows)
	} else {
		v.model.replace(ids, rows)
	}
	v.syncGroups()
	v.redraw()
}

// redraw shows the model's visible rows.
func (v *backupsView) redraw() {
	v.summary.SetText(v.model.summaryText())
	if v.model.len() == 0 {
		v.empty.Show()
	} else {
		v.empty.Hide()
	}
	v.table.Refresh()
}

// syncGroups offers the groups there are.
func (v *backupsView) syncGroups() {
	opts := append([]string{backupsAllGroups}, v.model.groupNames()...)
	if slices.Equal(opts, v.group.Options) {
		return
	}
	v.group.Options = opts
	v.group.Refresh()
}

func (v *backupsView) newTable() *widget.Table {
	t := widget.NewTableWithHeaders(
		func() (int, int) { return len(v.model.visible), backupColumns },
		func() fyne.CanvasObject { return newBackupCell(v) },
		func(id widget.TableCellID, o fyne.CanvasObject) { o.(*backupCell).show(id) })
	t.ShowHeaderColumn = false
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
		if v.model.sortCol == id.Col {
			text += map[bool]string{false: " ▲", true: " ▼"}[v.model.desc]
		}
		b.SetText(text)
		col := id.Col
		b.OnTapped = func() { v.model.sortBy(col); v.redraw() }
	}
	for c, w := range backupWidths {
		t.SetColumnWidth(c, w)
	}
	t.OnSelected = func(id widget.TableCellID) { v.sel = id.Row }
	return t
}

// open opens the Tasks tab of row's slave.
func (v *backupsView) open(row int) {
	if row < 0 || row >= len(v.model.visible) || v.openTasks == nil {
		return
	}
	v.openTasks(v.model.visible[row].r.SlaveID)
}

// backupCell is one cell: text, and in the State column the mark.
type backupCell struct {
	widget.BaseWidget
	v    *backupsView
	id   widget.TableCellID
	mark *backupMark
	text *widget.Label
	box  *fyne.Container
}

func newBackupCell(v *backupsView) *backupCell {
	c := &backupCell{v: v, mark: newBackupMark(), text: widget.NewLabel("")}
	c.text.Truncation = fyne.TextTruncateEllipsis
	c.box = container.NewBorder(nil, nil, container.NewCenter(c.mark), nil, c.text)
	c.ExtendBaseWidget(c)
	return c
}

func (c *backupCell) CreateRenderer() fyne.WidgetRenderer { return widget.NewSimpleRenderer(c.box) }

// Tapped selects the cell's row; DoubleTapped opens its slave's Tasks tab.
func (c *backupCell) Tapped(*fyne.PointEvent)       { c.v.table.Select(c.id) }
func (c *backupCell) DoubleTapped(*fyne.PointEvent) { c.v.open(c.id.Row) }

func (c *backupCell) show(id widget.TableCellID) {
	c.id = id
	if id.Row < 0 || id.Row >= len(c.v.model.visible) {
		return
	}
	r := &c.v.model.visible[id.Row].r
	text, col := c.v.cellText(r, id.Col)
	c.text.Text = text
	c.text.Importance = importanceOf(col)
	c.text.Refresh()
	left := c.box.Objects[1]
	if id.Col == colState {
		c.mark.set(string(r.State))
		c.mark.setFaded(r.LastKnown)
		if !left.Visible() {
			left.Show()
			c.box.Refresh()
		}
	} else if left.Visible() {
		left.Hide()
		c.box.Refresh()
	}
}

// importanceOf is the label importance that draws in colour c.
func importanceOf(c fyne.ThemeColorName) widget.Importance {
	switch c {
	case theme.ColorNameError:
		return widget.DangerImportance
	case theme.ColorNameWarning:
		return widget.WarningImportance
	case theme.ColorNamePrimary:
		return widget.HighImportance
	case theme.ColorNamePlaceHolder:
		return widget.LowImportance
	}
	return widget.MediumImportance
}

// cellText is what a cell says, and in which colour.
func (v *backupsView) cellText(r *master.BackupRow, col int) (string, fyne.ThemeColorName) {
	fg := theme.ColorNameForeground
	when := func(t time.Time) string { return health.When(t, v.o.loc) }
	switch col {
	case colState:
		s := string(r.State)
		if r.LastKnown {
			s += " · " + backupsLastKnownAs + ", " + health.Age(v.o.now().Sub(r.Seen))
			fg = theme.ColorNamePlaceHolder
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
		if r.LastError != "" {
			return string(r.LastResult) + ": " + r.LastError, fg
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
		if r.NextRun.IsZero() {
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

// bRow is one task's row with the lower-cased text the filter and sort
// compare, computed once per change.
type bRow struct {
	r                     master.BackupRow
	key                   string
	lslave, lgroup, ltask string
	lerror                string
}

// backupsModel holds every row by key and the visible ones, filtered and
// sorted. It lives on the Fyne thread.
type backupsModel struct {
	rows    map[string]*bRow
	bySlave map[string][]string
	visible []*bRow
	counts  health.Counts

	text    string
	group   string // "\x00": every group
	state   health.State
	sortCol int
	desc    bool
}

func newBackupsModel() *backupsModel {
	return &backupsModel{rows: map[string]*bRow{}, bySlave: map[string][]string{}, group: "\x00", sortCol: colState}
}

func (m *backupsModel) len() int { return len(m.rows) }

func rowKey(r *master.BackupRow) string { return r.SlaveID + "\x00" + backup.NameKey(r.Task) }

func (m *backupsModel) put(r master.BackupRow) {
	b := &bRow{r: r, key: rowKey(&r), lslave: strings.ToLower(r.Slave), lgroup: strings.ToLower(r.Group),
		ltask: strings.ToLower(r.Task), lerror: strings.ToLower(r.LastError)}
	m.rows[b.key] = b
	m.bySlave[r.SlaveID] = append(m.bySlave[r.SlaveID], b.key)
	m.counts.Add(r.State, 1)
}

func (m *backupsModel) drop(id string) {
	for _, k := range m.bySlave[id] {
		if b, ok := m.rows[k]; ok {
			m.counts.Add(b.r.State, -1)
			delete(m.rows, k)
		}
	}
	delete(m.bySlave, id)
}

// replaceAll makes the model hold exactly rows.
func (m *backupsModel) replaceAll(rows []master.BackupRow) {
	m.rows, m.bySlave, m.counts = make(map[string]*bRow, len(rows)), map[string][]string{}, health.Counts{}
	for _, r := range rows {
		m.put(r)
	}
	m.rebuild()
}

// replace replaces the rows of the slaves ids with rows.
func (m *backupsModel) replace(ids []string, rows []master.BackupRow) {
	for _, id := range ids {
		m.drop(id)
	}
	for _, r := range rows {
		m.put(r)
	}
	m.rebuild()
}

func (m *backupsModel) setText(s string)  { m.text = strings.ToLower(strings.TrimSpace(s)); m.rebuild() }
func (m *backupsModel) setGroup(g string) { m.group = g; m.rebuild() }
func (m *backupsModel) setState(s health.State) {
	m.state = s
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

func (m *backupsModel) matches(b *bRow) bool {
	if m.group != "\x00" && !strings.EqualFold(b.r.Group, m.group) {
		return false
	}
	if m.state != "" {
		// Running is a task that runs, whatever else its state says.
		if m.state == health.StateRunning && !b.r.Running || m.state != health.StateRunning && b.r.State != m.state {
			return false
		}
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

func cmpTime(a, b time.Time) int { return a.Compare(b) }

func (m *backupsModel) compare(a, b *bRow) int {
	var c int
	switch m.sortCol {
	case colState:
		c = cmp.Compare(stateOrder(a.r.State), stateOrder(b.r.State))
	case colSlave:
		c = cmp.Compare(a.lslave, b.lslave)
	case colGroup:
		c = cmp.Compare(a.lgroup, b.lgroup)
	case colTask:
		c = cmp.Compare(a.ltask, b.ltask)
	case colResult:
		c = cmp.Compare(a.r.LastResult, b.r.LastResult)
	case colLastRun:
		c = cmpTime(a.r.LastRun, b.r.LastRun)
	case colSuccess:
		c = cmpTime(a.r.LastSuccess, b.r.LastSuccess)
	case colFailures:
		c = cmp.Compare(a.r.FailuresSinceSuccess, b.r.FailuresSinceSuccess)
	case colNextRun:
		c = cmpTime(a.r.NextRun, b.r.NextRun)
	case colOverdue:
		c = cmp.Compare(b2i(b.r.Overdue), b2i(a.r.Overdue))
	}
	if m.desc {
		c = -c
	}
	return cmp.Or(c, cmp.Compare(a.lslave, b.lslave), cmp.Compare(a.ltask, b.ltask), cmp.Compare(a.key, b.key))
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// groupNames are the groups present, sorted; "(no group)" last.
func (m *backupsModel) groupNames() []string {
	seen := map[string]bool{}
	none := false
	for _, b := range m.rows {
		if b.r.Group == "" {
			none = true
		} else {
			seen[b.r.Group] = true
		}
	}
	out := make([]string, 0, len(seen)+1)
	for g := range seen {
		out = append(out, g)
	}
	slices.SortFunc(out, func(a, b string) int { return cmp.Compare(strings.ToLower(a), strings.ToLower(b)) })
	if none {
		out = append(out, backupsUngrouped)
	}
	return out
}

// summaryText is "12 of 30,000 tasks shown · 28,000 ok · 1,200 failed…".
func (m *backupsModel) summaryText() string {
	return fmt.Sprintf("%d of %d tasks shown · %s", len(m.visible), len(m.rows), m.counts)
}
