package ui

import (
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

	"github.com/lanyard/lanyard/core/agent"
	"github.com/lanyard/lanyard/core/backup"
	"github.com/lanyard/lanyard/core/health"
	"github.com/lanyard/lanyard/core/human"
	"github.com/lanyard/lanyard/core/master"
)

// The Tasks tab: the selected slave's backup tasks in a table (name,
// schedule, last result and when, next run, and while one runs a progress
// bar with its rate and ETA) and what can be done with them. The list is
// read when the tab shows a connected slave; what the agent pushes
// (progress, runs started and ended, tasks changed by any console) is
// gathered off the Fyne thread and applied at most once per refresh
// interval in one fyne.Do. Enter edits the selected task, F5 reads the
// list again, Ctrl+R runs (Slave → Run Task).

// Texts of the Tasks tab.
const (
	taskRun       = "Run"
	taskStop      = "Stop"
	taskAdd       = "Add"
	taskEdit      = "Edit"
	taskRemove    = "Remove"
	taskHistory   = "History"
	taskSnapshots = "Snapshots"
	taskRestore   = "Restore"
	taskVerify    = "Verify"
	taskDelSnap   = "Delete"
	taskCopy      = "Copy To…"
	taskFind      = "Find a File…"
	taskReload    = "Refresh"
	taskTimeout   = 30 * time.Second

	tasksPickHint = "Select a task to read here what it copies where, and its last run's report in full."
)

// taskColumns are the table's headings.
var taskColumns = [...]string{"Task", "Schedule", "Last result", "Next run", "Progress"}

// taskColumnMin are the columns' narrowest widths: what they usually say
// ("documents", "weekly, Sun 03:00", "completed · yesterday 02:16",
// "tomorrow 02:00", "42 % · 12.5 MiB/s · ETA 46 s"), which the table holds
// at the main window's first size (TestTaskColumnsHoldTheirUsualTexts).
// taskColumnShares are their shares of any width beyond: most of it goes
// to the last result, whose errors are long.
var (
	taskColumnMin    = [len(taskColumns)]float32{96, 134, 202, 122, 164}
	taskColumnShares = [len(taskColumns)]float32{0.1, 0.1, 0.5, 0.1, 0.2}
)

type tasksTab struct {
	obj   fyne.CanvasObject
	r     runner
	rm    Remote
	win   fyne.Window
	now   func() time.Time
	every time.Duration

	table  *taskTable
	status *widget.Label
	empty  fyne.CanvasObject
	detail *widget.Label     // the selected task in full
	about  fyne.CanvasObject // and what holds it,
	body   *container.Split  // under the table

	run, stop, add, edit, remove, history, snapshots, restore, verify, copy, reload, find *widget.Button
	// slaves is the fleet, for the servers a task is copied to.
	slaves func() []master.SlaveView
	// windowKey is the main window's handler of the keys the table
	// leaves to it (F1, and Escape with no task selected), if any.
	windowKey func(*fyne.KeyEvent) bool

	rows     []agent.TaskInfo
	selected int // row index, -1 for none
	// want is a task to select when the list is next set (selectTask).
	want string

	following
	loaded  bool
	loading bool
	feed    *taskFeed

	// The dialogs opened last, for tests to reach.
	lastDialog  *taskDialog
	lastRestore *restoreDialog
	lastFind    *findDialog
	// findAsked: Find a File… was asked for before the tasks were read;
	// it opens once they are.
	findAsked bool
	lastCopy  *copyDialog
}

func newTasksTab(r runner, rm Remote, slaves func() []master.SlaveView, win fyne.Window, now func() time.Time, every time.Duration) *tasksTab {
	t := &tasksTab{r: r, rm: rm, slaves: slaves, win: win, now: now, every: every, selected: -1, feed: &taskFeed{}}
	t.status = widget.NewLabel("")
	t.status.Truncation = fyne.TextTruncateEllipsis
	t.table = newTaskTable(t)
	b := func(label string, icon fyne.Resource, f func()) *widget.Button {
		btn := widget.NewButtonWithIcon(label, icon, f)
		btn.Importance = widget.LowImportance
		return btn
	}
	t.run = b(taskRun, theme.MediaPlayIcon(), t.runSelected)
	t.stop = b(taskStop, theme.MediaStopIcon(), t.stopSelected)
	t.add = b(taskAdd, theme.ContentAddIcon(), func() { t.openDialog(nil) })
	t.edit = b(taskEdit, theme.DocumentCreateIcon(), t.editSelected)
	t.remove = b(taskRemove, theme.DeleteIcon(), t.removeSelected)
	t.history = b(taskHistory, theme.HistoryIcon(), t.showHistory)
	t.snapshots = b(taskSnapshots, theme.FolderIcon(), t.showSnapshots)
	t.restore = b(taskRestore+"…", theme.DownloadIcon(), t.restoreSelected)
	t.verify = b(taskVerify, theme.ConfirmIcon(), t.verifySelected)
	t.copy = b(taskCopy, theme.ContentCopyIcon(), t.copySelected)
	t.find = b(taskFind, theme.SearchIcon(), t.findFile)
	t.reload = b(taskReload, theme.ViewRefreshIcon(), t.load)
	bar := container.NewHBox(t.run, t.stop, vline(), t.add, t.edit, t.remove, vline(), t.reload)
	more := container.NewHBox(t.history, t.snapshots, t.restore, t.find, t.verify, vline(), t.copy)
	hint := widget.NewLabel("No backup tasks on this server yet. Add one to choose what to copy, where to and when.")
	hint.Importance = widget.LowImportance
	t.empty = emptyNote(hint, widget.NewButtonWithIcon("Add a task…", theme.ContentAddIcon(), func() { t.openDialog(nil) }))
	var detail *container.Scroll
	t.detail, detail = newRecordView(tasksPickHint, 3)
	t.about = detail
	t.body = recordSplit(container.NewStack(t.table, t.empty), t.about)
	t.obj = container.NewBorder(container.NewVBox(bar, t.status), container.NewVBox(widget.NewSeparator(), more), nil, nil, t.body)
	t.r.spawn(t.watch)
	t.showState()
	return t
}

// Where the record splits of the Tasks tab and of its History and
// Snapshots views were left.
const (
	tasksSplit     splitKept = "taskstab.split"
	historySplit   splitKept = "history.split"
	snapshotsSplit splitKept = "snapshots.split"
)

// show follows the slave shown in the detail pane.
func (t *tasksTab) show(v master.SlaveView) {
	switch other, relinked, unlinked := t.follow(v); {
	case other:
		t.loaded, t.loading, t.findAsked = false, false, false
		t.rows, t.selected, t.want = nil, -1, ""
		t.table.UnselectAll()
		t.table.Refresh()
	case relinked, unlinked:
		t.loaded, t.findAsked = false, false
	}
	t.sync()
}

func (t *tasksTab) setVisible(on bool) {
	t.visible = on
	t.sync()
}

func (t *tasksTab) clear() {
	t.forget()
	t.loaded = false
}

func (t *tasksTab) sync() {
	if t.wanted() && !t.loaded && !t.loading {
		t.load()
	}
	t.showState()
}

// load reads the slave's tasks in the background.
func (t *tasksTab) load() {
	if t.slave == "" || !t.linked {
		return
	}
	gen, slave := t.begin()
	t.loading = true
	if !t.loaded {
		t.status.SetText("Reading the tasks of " + slave + "…")
	}
	t.r.spawn(func(ctx context.Context) {
		ctx, cancel := context.WithTimeout(ctx, taskTimeout)
		defer cancel()
		rows, err := t.rm.Tasks(ctx, slave)
		t.r.do(func() {
			if !t.latest(gen) {
				return
			}
			t.loading = false
			asked := t.findAsked
			t.findAsked = false
			if err != nil {
				t.status.SetText(capitalize(err.Error()))
				t.showState()
				return
			}
			t.loaded = true
			t.setRows(rows)
			t.status.SetText(fmt.Sprintf("%s on %s, read at %s.", human.Plural(len(rows), "task", "tasks"), slave, t.now().Format("15:04:05")))
			if asked && len(rows) > 0 && t.visible { // not once another tab was chosen meanwhile
				t.findFile()
			}
		})
	})
}

// selectTask selects the task called name, now if the list holds it,
// else once the list is read.
func (t *tasksTab) selectTask(name string) {
	t.want = name
	if t.loaded {
		t.setRows(t.rows)
	}
}

// setRows replaces the rows, keeping the selection on the same task, or
// moving it to the one selectTask asked for.
func (t *tasksTab) setRows(rows []agent.TaskInfo) {
	sel := ""
	if t.selected >= 0 && t.selected < len(t.rows) {
		sel = t.rows[t.selected].Task.Name
	}
	if t.want != "" {
		sel, t.want = t.want, ""
	}
	slices.SortFunc(rows, func(a, b agent.TaskInfo) int { return human.CompareNames(a.Task.Name, b.Task.Name) })
	t.rows = rows
	t.selected = -1
	for i, r := range rows {
		if backup.NameKey(r.Task.Name) == backup.NameKey(sel) {
			t.selected = i
		}
	}
	t.table.Refresh()
	if t.selected >= 0 {
		t.table.Select(widget.TableCellID{Row: t.selected, Col: 0})
	} else {
		t.table.UnselectAll()
	}
	t.showState()
}

// current is the selected task, if one is.
func (t *tasksTab) current() (agent.TaskInfo, bool) {
	if t.selected < 0 || t.selected >= len(t.rows) {
		return agent.TaskInfo{}, false
	}
	return t.rows[t.selected], true
}

// showState enables what applies to the selection.
func (t *tasksTab) showState() {
	cur, ok := t.current()
	ready := t.linked && t.loaded
	set := func(b *widget.Button, on bool) {
		if on {
			b.Enable()
		} else {
			b.Disable()
		}
	}
	set(t.run, ready && ok && !cur.Running)
	set(t.stop, ready && ok && cur.Running)
	set(t.add, ready)
	set(t.edit, ready && ok)
	set(t.remove, ready && ok && !cur.Running)
	for _, b := range []*widget.Button{t.history, t.snapshots, t.restore, t.verify, t.copy} {
		set(b, ready && ok)
	}
	set(t.find, ready && len(t.rows) > 0)
	set(t.reload, t.linked && t.slave != "")
	showIf(t.empty, ready && len(t.rows) == 0)
	showIf(t.table, !(ready && len(t.rows) == 0))
	if want := ready && len(t.rows) > 0; want != t.about.Visible() {
		showIf(t.about, want)
		t.body.Refresh() // lays the table out again, shorter or taller
	}
	text := ""
	if ok {
		text = t.taskText(cur)
	}
	showRecord(t.detail, text, tasksPickHint)
	if !t.linked && t.slave != "" {
		t.status.SetText(t.notLinked("its tasks show here once it is"))
	}
}

// ---- live updates ----

// taskFeed gathers the task events of the slave shown until the next
// refresh.
type taskFeed struct {
	mu       sync.Mutex
	progress map[string]backup.Status // by task key
	reload   map[string]bool          // slaves whose list to read again, by lower-case name; "": any (events were dropped)
	inflight bool
}

// watch follows every slave's task events for the window's life and
// hands those of the slave shown to the Fyne thread once per interval.
func (t *tasksTab) watch(ctx context.Context) {
	events, stop := t.rm.WatchTasks(1024)
	defer stop()
	tick := time.NewTicker(t.every)
	defer tick.Stop()
	f := t.feed
	for {
		select {
		case <-ctx.Done():
			return
		case e, ok := <-events:
			if !ok {
				return
			}
			f.add(e)
		case <-tick.C:
			f.mu.Lock()
			due := !f.inflight && (len(f.progress) > 0 || len(f.reload) > 0)
			var prog map[string]backup.Status
			var reload map[string]bool
			if due {
				prog, reload = f.progress, f.reload
				f.progress, f.reload, f.inflight = nil, nil, true
			}
			f.mu.Unlock()
			if !due {
				continue
			}
			t.r.do(func() {
				f.mu.Lock()
				f.inflight = false
				f.mu.Unlock()
				t.apply(prog, reload)
			})
		}
	}
}

// add notes one event; which slave it concerns is checked on the Fyne
// thread, which knows the slave shown.
func (f *taskFeed) add(e master.TaskEvent) {
	f.mu.Lock()
	defer f.mu.Unlock()
	key := strings.ToLower(e.Slave) + "\x00" + backup.NameKey(e.Task)
	switch e.Kind {
	case agent.EventProgress:
		if f.progress == nil {
			f.progress = map[string]backup.Status{}
		}
		f.progress[key] = *e.Status
	default:
		// A run started or ended, a task changed: read the slave's list
		// again, which also says what other consoles did.
		slave := strings.ToLower(e.Slave)
		if e.Kind == master.TaskEventResync {
			slave = "" // what was dropped may concern any slave
		}
		if f.reload == nil {
			f.reload = map[string]bool{}
		}
		f.reload[slave] = true
		if e.Kind == agent.EventFinished && f.progress != nil {
			delete(f.progress, key)
		}
	}
}

// apply brings the table up to date with gathered events: the progress
// of the slave shown's runs, and its list read again when reload names
// it (or any slave).
func (t *tasksTab) apply(prog map[string]backup.Status, reloads map[string]bool) {
	if t.slave == "" || !t.loaded {
		return
	}
	reload := reloads[""] || reloads[strings.ToLower(t.slave)]
	prefix := strings.ToLower(t.slave) + "\x00"
	changed := false
	for key, st := range prog {
		name, ok := strings.CutPrefix(key, prefix)
		if !ok {
			continue
		}
		for i := range t.rows {
			if backup.NameKey(t.rows[i].Task.Name) == name {
				s := st
				t.rows[i].Running, t.rows[i].Progress = true, &s
				t.table.RefreshRow(i)
				changed = true
			}
		}
	}
	if changed {
		t.showState()
	}
	if reload && t.visible && !t.loading {
		t.load()
	} else if reload {
		t.loaded = false // read again when next shown
	}
}

// ---- the table ----

// taskTable is the table of tasks; Enter edits the selected one and F5
// reads the list again.
type taskTable struct {
	fittedTable
	tab *tasksTab
}

func newTaskTable(t *tasksTab) *taskTable {
	tt := &taskTable{fittedTable: fittedTable{cols: newColumns(taskColumnMin[:], taskColumnShares[:])}, tab: t}
	tt.Length = func() (int, int) { return len(t.rows), len(taskColumns) }
	tt.CreateCell = newTaskCell
	tt.UpdateCell = func(id widget.TableCellID, o fyne.CanvasObject) { t.updateCell(id, o.(*taskCell)) }
	tt.ShowHeaderRow = true
	tt.CreateHeader = func() fyne.CanvasObject {
		return widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	}
	tt.UpdateHeader = func(id widget.TableCellID, o fyne.CanvasObject) {
		if id.Col >= 0 && id.Col < len(taskColumns) {
			o.(*widget.Label).SetText(taskColumns[id.Col])
		}
	}
	tt.OnSelected = func(id widget.TableCellID) {
		prev := t.selected
		t.selected = id.Row
		if prev >= 0 && prev != id.Row {
			tt.RefreshRow(prev) // its dim words dim again
		}
		tt.RefreshRow(id.Row)
		t.showState()
	}
	selectRows(&tt.Table)
	tt.ExtendBaseWidget(tt)
	tt.cols.fit(&tt.Table, 760)
	return tt
}

// RefreshRow redraws one row.
func (tt *taskTable) RefreshRow(row int) {
	for c := range taskColumns {
		tt.RefreshItem(widget.TableCellID{Row: row, Col: c})
	}
}

// TypedKey edits on Enter, removes (once confirmed) on Delete, reads
// again on F5 and selects no task on Escape; F1, and Escape with no task
// selected, are the window's (its keys, and all servers).
func (tt *taskTable) TypedKey(e *fyne.KeyEvent) {
	switch e.Name {
	case fyne.KeyReturn, fyne.KeyEnter:
		tt.tab.editSelected()
	case fyne.KeyF5:
		tt.tab.load()
	case fyne.KeyDelete:
		tt.tab.removeSelected()
	case fyne.KeyEscape:
		if !tt.tab.unselect() && tt.tab.windowKey != nil {
			tt.tab.windowKey(e)
		}
	case fyne.KeyF1:
		if tt.tab.windowKey != nil {
			tt.tab.windowKey(e)
		}
	default:
		tt.Table.TypedKey(e)
	}
}

// unselect selects no task; false when none was.
func (t *tasksTab) unselect() bool {
	prev := t.selected
	if prev < 0 {
		return false
	}
	t.selected = -1
	t.table.UnselectAll()
	t.table.RefreshRow(prev) // its dim words dim again
	t.showState()
	return true
}

// taskCell is a label, or (in the Progress column while a run goes) a
// progress bar with the rate and ETA.
type taskCell struct {
	widget.BaseWidget
	label *widget.Label
	bar   *widget.ProgressBar
	info  *widget.Label
	run   fyne.CanvasObject
}

func newTaskCell() fyne.CanvasObject {
	c := &taskCell{label: widget.NewLabel(""), bar: widget.NewProgressBar(), info: widget.NewLabel("")}
	c.label.Truncation = fyne.TextTruncateEllipsis
	c.info.Truncation = fyne.TextTruncateEllipsis
	c.info.SizeName = theme.SizeNameCaptionText
	c.bar.TextFormatter = func() string { return "" }
	c.run = container.NewBorder(nil, nil, nil, nil, container.NewStack(c.bar, container.NewPadded(c.info)))
	c.ExtendBaseWidget(c)
	return c
}

func (c *taskCell) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(container.NewStack(c.label, c.run))
}

func (c *taskCell) setText(s string, imp widget.Importance) {
	c.run.Hide()
	c.label.Show()
	if c.label.Text != s || c.label.Importance != imp {
		c.label.Importance = imp
		c.label.Text = s
		c.label.Refresh()
	}
}

func (c *taskCell) setProgress(s backup.Status) {
	c.label.Hide()
	c.run.Show()
	frac, text := progressWords(s)
	c.bar.SetValue(frac)
	if c.info.Text != text {
		c.info.SetText(text)
	}
}

// progressWords are a progress bar's fill and its words: "42 % · 12.3
// MiB/s · ETA 1 min 20 s"; "verifying · 42 % · …" once a run whose
// verify is due re-reads its snapshot (its bar starts again from 0).
func progressWords(s backup.Status) (float64, string) {
	var frac float64
	switch {
	case s.BytesTotal > 0:
		frac = float64(s.BytesDone) / float64(s.BytesTotal)
	case s.FilesTotal > 0:
		frac = float64(s.FilesDone) / float64(s.FilesTotal)
	}
	frac = min(max(frac, 0), 1)
	parts := []string{fmt.Sprintf("%d %%", int(frac*100))}
	if s.Phase == backup.PhaseVerifying {
		parts = append([]string{s.Phase}, parts...)
	}
	if s.Rate > 0 {
		parts = append(parts, human.Bytes(uint64(s.Rate))+"/s")
	}
	if s.ETA > 0 {
		parts = append(parts, "ETA "+human.Duration(s.ETA))
	} else if s.Phase != "" && s.Phase != backup.PhaseCopying && s.Phase != backup.PhaseVerifying {
		parts = append(parts, s.Phase)
	}
	return frac, strings.Join(parts, " · ")
}

func (t *tasksTab) updateCell(id widget.TableCellID, c *taskCell) {
	if id.Row < 0 || id.Row >= len(t.rows) {
		c.setText("", widget.MediumImportance)
		return
	}
	// Words that say nothing is there ("manual", "never run", "—") are
	// dim, but not on the selected row, whose highlight would swallow them.
	dim := widget.LowImportance
	if id.Row == t.selected {
		dim = widget.MediumImportance
	}
	info := t.rows[id.Row]
	switch id.Col {
	case 0:
		c.setText(info.Task.Name, widget.MediumImportance)
	case 1:
		if info.Task.Paused {
			c.setText("paused · "+scheduleWords(info.Task.Schedule), dim)
			break
		}
		c.setText(scheduleWords(info.Task.Schedule), widget.MediumImportance)
	case 2:
		text, imp := lastResult(info)
		if imp == widget.LowImportance {
			imp = dim
		}
		if info.LastRun != nil {
			text += " · " + t.when(info.LastRun.Started)
		}
		c.setText(text, imp)
	case 3:
		if info.NextRun.IsZero() {
			c.setText("manual", dim)
		} else {
			c.setText(t.when(info.NextRun), widget.MediumImportance)
		}
	case 4:
		if info.Running {
			st := backup.Status{Phase: "starting"}
			if info.Progress != nil {
				st = *info.Progress
			}
			c.setProgress(st)
		} else {
			c.setText(none, dim)
		}
	}
}

// when is a time as the table shows it: "15:04" today, else "Mon 2 Jan
// 15:04".
func (t *tasksTab) when(at time.Time) string {
	now := t.now()
	at = at.In(now.Location())
	day := func(t time.Time) time.Time { y, m, d := t.Date(); return time.Date(y, m, d, 0, 0, 0, 0, t.Location()) }
	switch day(at).Sub(day(now)) / (24 * time.Hour) {
	case 0:
		return "today " + at.Format("15:04")
	case 1:
		return "tomorrow " + at.Format("15:04")
	case -1:
		return "yesterday " + at.Format("15:04")
	}
	return at.Format("2 Jan 15:04")
}

// lastResult is the last run's result in words, and how to show it.
func lastResult(info agent.TaskInfo) (string, widget.Importance) {
	r := info.LastRun
	var s string
	imp := widget.MediumImportance
	switch {
	case r == nil:
		s, imp = "never run", widget.LowImportance
	case r.Result == backup.ResultCompleted:
		s, imp = "completed", widget.SuccessImportance
	case r.Result == backup.ResultWarnings:
		s, imp = fmt.Sprintf("completed, %s", human.Plural(r.WarningCount, "warning", "warnings")), widget.WarningImportance
	case r.Result == backup.ResultStopped:
		// Its error says no more than that it was stopped: the report
		// below the table has it in full.
		s, imp = info.LastResult(), widget.WarningImportance
	default:
		s, imp = info.LastResult(), widget.DangerImportance
		if r.Error != "" {
			s += ": " + r.Error
		}
	}
	if r != nil && r.FoundDamaged > 0 && imp != widget.DangerImportance {
		s, imp = s+" · "+backup.FoundDamagedWords(r.FoundDamaged), widget.WarningImportance
	}
	if info.Overdue {
		s, imp = "OVERDUE · "+s, widget.DangerImportance
	}
	return s, imp
}

// taskText is a task in full, as the Tasks tab shows the one selected:
// what it copies where and when, and its last run's report (whose error
// the table cuts) or that it runs now.
func (t *tasksTab) taskText(info agent.TaskInfo) string {
	task := info.Task
	what := fmt.Sprintf("%s copies %s to %s", task.Name, strings.Join(task.Sources, ", "), task.Destination)
	if len(task.Excludes) > 0 {
		what += ", leaving out " + strings.Join(task.Excludes, ", ")
	}
	what += "; " + scheduleWords(task.Schedule)
	if task.Paused {
		what += " (paused: it runs only when started by hand)"
	}
	what += ", " + task.Retention.String()
	if task.Speed > 0 {
		what += "; at most " + task.Speed.String()
	}
	if task.Retries > 0 && task.Schedule != "" && task.Schedule != backup.ScheduleManual {
		what += "; a failed scheduled run tried again up to " + human.Plural(task.Retries, "time", "times") + ", " + backup.Duration(task.RetryDelay()).String() + " apart"
		if task.Paused {
			what += " once it is resumed" // a run started by hand is not
		}
	}
	if v := info.VerifyLine(t.now()); v != "" {
		what += "; snapshots verified " + v
	}
	what += "."
	switch {
	case info.Running && info.LastRun != nil:
		what += "\nRunning now (its progress is in the table). " + runText("The run before started", *info.LastRun)
	case info.Running:
		what += "\nRunning now, for the first time (its progress is in the table)."
	case info.LastRun == nil:
		what += "\nNever run."
	default:
		what += "\n" + runText("Last run started", *info.LastRun)
	}
	if w := info.FailedRunsWords(); w != "" && (info.LastRun == nil || !health.Failure(info.LastRun.Result) || info.FailuresSinceSuccess > 1) {
		what += "\nFAILED: " + w + "."
	}
	if info.Overdue {
		what += "\nOVERDUE: no success within the time its schedule allows."
	}
	return what
}

// scheduleWords says a schedule as people do.
func scheduleWords(spec string) string {
	switch {
	case spec == "" || spec == "manual":
		return "manual only"
	case spec == "hourly":
		return "every hour"
	case strings.HasPrefix(spec, "daily@"):
		return "daily at " + strings.TrimPrefix(spec, "daily@")
	case strings.HasPrefix(spec, "weekly@"):
		parts := strings.Split(strings.TrimPrefix(spec, "weekly@"), "@")
		if len(parts) == 2 {
			return "weekly, " + capitalize(parts[0]) + " " + parts[1]
		}
	}
	return spec
}

// ---- actions ----

func (t *tasksTab) runSelected() { t.runSelectedWith(agent.RunOptions{}) }

// rereadSelected runs the selected task reading every file (Slave → Run
// Task, Reading Every File).
func (t *tasksTab) rereadSelected() { t.runSelectedWith(agent.RunOptions{Reread: true}) }

func (t *tasksTab) runSelectedWith(o agent.RunOptions) {
	cur, ok := t.current()
	if !ok || cur.Running || !t.linked {
		return
	}
	slave, name := t.slave, cur.Task.Name
	how := ""
	if o.Reread {
		how = ", reading every file"
	}
	t.status.SetText("Starting " + name + how + "…")
	t.r.spawn(func(ctx context.Context) {
		ctx, cancel := context.WithTimeout(ctx, taskTimeout)
		defer cancel()
		info, err := t.rm.RunTaskWith(ctx, slave, name, o)
		t.r.do(func() {
			if err != nil {
				if info.Running && t.slave == slave { // an older agent ran it all the same
					t.replace(info)
				}
				t.status.SetText(capitalize(err.Error()))
				showInfo(t.win, failedTitle(err, "Could not run "+name+how, name+" may have started"), capitalize(err.Error()))
				return
			}
			if t.slave == slave {
				t.replace(info)
				t.status.SetText(name + " is running on " + slave + how + ".")
			}
		})
	})
}

// replace puts a fresh state of one task in its row.
func (t *tasksTab) replace(info agent.TaskInfo) {
	for i := range t.rows {
		if backup.NameKey(t.rows[i].Task.Name) == backup.NameKey(info.Task.Name) {
			if info.Running && info.Progress == nil {
				info.Progress = t.rows[i].Progress
			}
			t.rows[i] = info
			t.table.RefreshRow(i)
			t.showState()
			return
		}
	}
	t.setRows(append(t.rows, info))
}

func (t *tasksTab) stopSelected() {
	cur, ok := t.current()
	if !ok || !cur.Running {
		return
	}
	slave, name := t.slave, cur.Task.Name
	t.status.SetText("Stopping " + name + "…")
	t.r.spawn(func(ctx context.Context) {
		ctx, cancel := context.WithTimeout(ctx, taskTimeout)
		defer cancel()
		_, err := t.rm.StopTask(ctx, slave, name)
		t.r.do(func() {
			if err != nil {
				t.status.SetText(capitalize(err.Error()))
				return
			}
			t.status.SetText(name + " stopped; earlier snapshots are untouched.")
			t.load()
		})
	})
}

func (t *tasksTab) editSelected() {
	if cur, ok := t.current(); ok {
		t.openDialog(&cur)
	}
}

func (t *tasksTab) openDialog(cur *agent.TaskInfo) {
	if !t.linked || !t.loaded {
		return
	}
	t.lastDialog = showTaskDialog(t.win, t.r, t.rm, t.slave, cur, pathsOn(t.goos), func(info agent.TaskInfo) {
		t.replace(info)
		t.selectTask(info.Task.Name) // a new task is the one to run or read next
		t.status.SetText(fmt.Sprintf("%s saved on %s (version %d).", info.Task.Name, t.slave, info.Task.Version))
	})
}

func (t *tasksTab) removeSelected() {
	cur, ok := t.current()
	if !ok {
		return
	}
	slave, name, version := t.slave, cur.Task.Name, cur.Task.Version
	msg := fmt.Sprintf("Remove the task %s from %s?\n\nIts history goes with it. Its snapshots stay in %s; delete them by hand when no longer needed.",
		name, slave, backup.TaskDir(cur.Task.Destination, name))
	showConfirm(t.win, "Remove task", msg, func(yes bool) {
		if !yes {
			return
		}
		t.r.spawn(func(ctx context.Context) {
			ctx, cancel := context.WithTimeout(ctx, taskTimeout)
			defer cancel()
			_, err := t.rm.RemoveTask(ctx, slave, name, version)
			t.r.do(func() {
				if err != nil {
					showInfo(t.win, failedTitle(err, "Could not remove "+name, name+" may have been removed"), capitalize(err.Error()))
					return
				}
				t.status.SetText(name + " removed; its snapshots are kept.")
				t.load()
			})
		})
	})
}

func (t *tasksTab) showHistory() {
	if cur, ok := t.current(); ok {
		showHistoryView(t.win, t.r, t.rm, t.slave, cur.Task.Name)
	}
}

func (t *tasksTab) showSnapshots() {
	if cur, ok := t.current(); ok {
		showSnapshotsView(t.win, t.r, t.rm, t.slave, cur.Task.Name, pathsOn(t.goos))
	}
}

func (t *tasksTab) restoreSelected() {
	if cur, ok := t.current(); ok {
		t.lastRestore = showRestoreDialog(t.win, t.r, t.rm, t.slave, cur.Task.Name, "", pathsOn(t.goos))
	}
}

// findWhenRead opens Find a File… now when the tasks are read, else once
// they are (none: nothing to look in, and the tab says so); not while
// the slave is unlinked.
func (t *tasksTab) findWhenRead() {
	switch {
	case !t.linked:
	case t.loaded && !t.loading:
		if len(t.rows) > 0 {
			t.findFile()
		}
	default:
		t.findAsked = true
		t.sync()
	}
}

// findFile looks for a file in every task's snapshots (Find a File…);
// with its dialog open already, it goes back to that one's box.
func (t *tasksTab) findFile() {
	if fd := t.lastFind; fd != nil && fd.ctx.Err() == nil {
		t.win.Canvas().Focus(fd.entry)
		return
	}
	names := make([]string, len(t.rows))
	for i, r := range t.rows {
		names[i] = r.Task.Name
	}
	t.lastFind = showFindDialog(t.win, t.r, t.rm, t.slave, names, pathsOn(t.goos))
}

func (t *tasksTab) copySelected() {
	if cur, ok := t.current(); ok {
		t.lastCopy = showCopyDialog(t.win, t.r, t.rm, t.slave, cur.Task.Name, cur.Task.Destination, t.slaves())
	}
}

func (t *tasksTab) verifySelected() {
	if cur, ok := t.current(); ok {
		verifySnapshot(t.win, t.r, t.rm, t.slave, cur.Task.Name, "latest")
	}
}
