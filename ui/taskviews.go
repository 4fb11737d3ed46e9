package ui

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/lanyard/lanyard/core/agent"
	"github.com/lanyard/lanyard/core/backup"
	"github.com/lanyard/lanyard/core/human"
	"github.com/lanyard/lanyard/core/master"
	"github.com/lanyard/lanyard/core/wire"
)

// The History and Snapshots views of a task, and Verify: each reads from
// the agent in the background while a spinner says so.

// gridTable is a read-only table of rows of cells with a header row.
// A click on a row gives it the keys, which then go to it alone: keys
// says what the view's keys do there (Escape closes the view, as it does
// while nothing has the focus); the others move through the cells.
type gridTable struct {
	widget.Table
	keys map[fyne.KeyName]func()
}

// newGridTable is a gridTable; onSelect, if not nil, is told the row a
// person selects.
func newGridTable(headers []string, widths []float32, rows func() [][]string, onSelect func(row int)) *gridTable {
	t := &gridTable{}
	t.Length = func() (int, int) { return len(rows()), len(headers) }
	t.CreateCell = func() fyne.CanvasObject {
		l := widget.NewLabel("")
		l.Truncation = fyne.TextTruncateEllipsis
		return l
	}
	t.UpdateCell = func(id widget.TableCellID, o fyne.CanvasObject) {
		r := rows()
		if id.Row < len(r) && id.Col < len(r[id.Row]) {
			o.(*widget.Label).SetText(r[id.Row][id.Col])
		}
	}
	t.ShowHeaderRow = true
	t.CreateHeader = func() fyne.CanvasObject {
		return widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	}
	t.UpdateHeader = func(id widget.TableCellID, o fyne.CanvasObject) {
		if id.Col >= 0 && id.Col < len(headers) {
			o.(*widget.Label).SetText(headers[id.Col])
		}
	}
	t.ExtendBaseWidget(t)
	for i, w := range widths {
		t.SetColumnWidth(i, w)
	}
	if onSelect != nil {
		t.OnSelected = func(id widget.TableCellID) { onSelect(id.Row) }
	}
	selectRows(&t.Table)
	return t
}

// TypedKey runs the view's action for the key, or moves through the
// cells.
func (t *gridTable) TypedKey(e *fyne.KeyEvent) {
	if f := t.keys[e.Name]; f != nil {
		f()
		return
	}
	t.Table.TypedKey(e)
}

// loadingView is a dialog's body while it reads: a spinner and words.
func loadingView(what string) (fyne.CanvasObject, *widget.Activity, *widget.Label) {
	act := widget.NewActivity()
	act.Start()
	l := widget.NewLabel(what)
	l.Wrapping = fyne.TextWrapWord
	return container.NewBorder(nil, nil, act, nil, l), act, l
}

// taskViewSize is the History and Snapshots dialogs' size: wide enough
// for every column of either table, so the last is not cut.
var taskViewSize = fyne.NewSize(1120, 600)

// Hints of the History and Snapshots views' record views.
const (
	historyPickHint  = "Select a run to read its report in full here: the error, every warning kept, the snapshots retention removed."
	snapshotPickHint = "Select a snapshot to restore, verify or delete it, and to read its folder in full here."
)

// The History and Snapshots views' columns, wide enough for what they
// usually say ("schedule, verified", "completed with warnings",
// "123,456"): the last, cut when long, is read in full under the table.
var (
	historyColumns       = [...]string{"Started", "Trigger", "Result", "Files", "Copied", "Linked", "Bytes copied", "Duration", "Snapshot or error"}
	historyColumnWidths  = [len(historyColumns)]float32{150, 135, 185, 70, 70, 70, 95, 85, 195}
	snapshotColumns      = [...]string{"Snapshot", "Taken", "Result", "Files", "Size", "Folder on the server"}
	snapshotColumnWidths = [len(snapshotColumns)]float32{170, 150, 185, 70, 95, 330}
)

// historyView is a task's History view: its runs, newest first, and the
// report of the run selected in full under them.
type historyView struct {
	r           runner
	rm          Remote
	slave, task string

	runs    []backup.Report
	rows    [][]string
	picked  time.Time // the run selected, by its start
	table   *gridTable
	report  *widget.Label
	body    *container.Split // the table above the report, once read
	loading fyne.CanvasObject
	words   *widget.Label
}

// showHistoryView lists a task's runs, newest first, and the report of
// the run selected in full under them; it stays up to date while open
// (a run of the task that starts or ends has the list read again).
func showHistoryView(win fyne.Window, r runner, rm Remote, slave, task string) {
	v := &historyView{r: r, rm: rm, slave: slave, task: task}
	var reportView fyne.CanvasObject
	v.report, reportView = newRecordView(historyPickHint, 4)
	v.table = newGridTable(historyColumns[:], historyColumnWidths[:], func() [][]string { return v.rows }, v.selectRow)
	loading, act, words := loadingView("Reading the history of " + task + " on " + slave + "…")
	v.loading, v.words = loading, words
	v.body = recordSplit(container.NewStack(v.table, loading), reportView)
	v.table.Hide()
	reportView.Hide()
	d := dialog.NewCustom("History of "+task+" on "+slave, "Close", v.body, win)
	guardDialog(win, d, d.Hide, nil)
	d.Resize(taskViewSize)
	ctx, cancel := context.WithCancel(context.Background())
	prefs := fyne.CurrentApp().Preferences()
	historySplit.restore(prefs, v.body)
	d.SetOnClosed(func() {
		cancel()
		historySplit.remember(prefs, v.body)
	})
	v.table.keys = map[fyne.KeyName]func(){fyne.KeyEscape: d.Hide, fyne.KeyF5: func() { r.spawn(func(context.Context) { v.read(ctx) }) }}
	d.Show()
	r.spawn(func(wctx context.Context) {
		defer context.AfterFunc(wctx, cancel)()
		events, stop := rm.WatchTasks(64) // before the list, so that nothing after it is missed
		defer stop()
		list, err := rm.TaskHistory(ctx, slave, task, 0)
		r.do(func() {
			act.Stop()
			v.show(list, err)
		})
		followTask(ctx, events, slave, task, func(e master.TaskEvent) {
			if e.Kind == agent.EventStarted || e.Kind == agent.EventFinished {
				v.read(ctx)
			}
		})
	})
}

// read reads the history again and shows it; a failure leaves the list
// as it was. It runs off the Fyne thread.
func (v *historyView) read(ctx context.Context) {
	if list, err := v.rm.TaskHistory(ctx, v.slave, v.task, 0); err == nil {
		v.r.do(func() { v.show(list, nil) })
	}
}

// show puts the runs read (oldest first) in the table, newest first, in
// place of those shown, keeping the one selected; or says why there are
// none.
func (v *historyView) show(list []backup.Report, err error) {
	switch {
	case err != nil:
		v.words.SetText(capitalize(err.Error()))
		return
	case len(list) == 0:
		v.words.SetText(v.task + " has not run yet.")
		return
	}
	slices.Reverse(list)
	v.runs, v.rows = list, nil
	for _, run := range v.runs {
		v.rows = append(v.rows, historyRow(run))
	}
	v.loading.Hide()
	v.table.Show()
	v.body.Trailing.Show()
	v.body.Refresh()
	v.table.Refresh()
	if v.picked.IsZero() {
		return
	}
	if i := slices.IndexFunc(v.runs, func(r backup.Report) bool { return r.Started.Equal(v.picked) }); i >= 0 {
		v.table.Select(widget.TableCellID{Row: i, Col: 0}) // its report may have changed: a run that ended
		return
	}
	v.picked = time.Time{} // no longer kept by the agent
	v.table.UnselectAll()
	showRecord(v.report, "", historyPickHint)
}

func (v *historyView) selectRow(row int) {
	if row < len(v.runs) {
		v.picked = v.runs[row].Started
		showRecord(v.report, runText("Started", v.runs[row]), historyPickHint)
	}
}

// followTask hands fn each event of task on slave from events, in the
// caller's goroutine, until ctx ends or events closes.
func followTask(ctx context.Context, events <-chan master.TaskEvent, slave, task string, fn func(master.TaskEvent)) {
	for {
		select {
		case <-ctx.Done():
			return
		case e, ok := <-events:
			if !ok {
				return
			}
			if strings.EqualFold(e.Slave, slave) && backup.NameKey(e.Task) == backup.NameKey(task) {
				fn(e)
			}
		}
	}
}

func historyRow(r backup.Report) []string {
	dur := none
	if !r.Finished.IsZero() {
		dur = human.Took(r.Duration())
	}
	return []string{r.Started.Local().Format("2006-01-02 15:04:05"), r.By(), string(r.Result),
		fmt.Sprint(r.Files()), fmt.Sprint(r.FilesCopied), fmt.Sprint(r.FilesLinked), human.Bytes(max(r.BytesCopied, 0)), dur, r.Made()}
}

// runText is a run's report in full, as the History view shows the run
// selected ("Started …") and the Tasks tab the last ("Last run
// started …").
func runText(started string, r backup.Report) string {
	by := ""
	if w := r.By(); w != "" {
		by = " (" + w + ")"
	}
	return fmt.Sprintf("%s %s%s.\n%s", started, r.Started.Local().Format("2006-01-02 15:04:05"), by, sentences(r.Describe()))
}

// sentences is a report's lines, as the command line prints them, read as
// the window's sentences: each begins with a capital and ends with a full
// stop, a line that introduces those below it keeps its colon, and the
// indented lines under it stay as they are.
func sentences(lines string) string {
	out := strings.Split(strings.TrimSuffix(lines, "\n"), "\n")
	for i, l := range out {
		switch {
		case l == "" || strings.HasPrefix(l, " "):
		case strings.HasSuffix(l, ":"):
			out[i] = capitalize(l)
		default:
			out[i] = sentence(l)
		}
	}
	return strings.Join(out, "\n")
}

// snapshotText is a snapshot in full, as the Snapshots view shows the
// one selected.
func snapshotText(s backup.SnapshotInfo) string {
	what := fmt.Sprintf("Snapshot %s, taken %s: %s, %s, %s", s.ID, s.Time.Local().Format("2006-01-02 15:04:05"), s.Result,
		human.Plural(s.Files, "file", "files"), human.Bytes(max(s.Bytes, 0)))
	if s.Warnings > 0 {
		what += ", " + human.Plural(s.Warnings, "warning", "warnings")
	}
	what += ".\nFolder on the server: " + s.Path
	if len(s.Sources) > 0 {
		what += "\nCopied from: " + strings.Join(s.Sources, ", ")
	}
	return what
}

// snapshotsView is a task's Snapshots view: its snapshots, newest first,
// and the one selected, with Restore, Verify and Delete for it.
type snapshotsView struct {
	win         fyne.Window
	r           runner
	rm          Remote
	slave, task string

	snaps    []backup.SnapshotInfo
	rows     [][]string
	selected int  // -1: none
	deleting bool // this view's deletion is on its way
	table    *gridTable
	about    *widget.Label    // the selected snapshot, or what became of it
	body     *container.Split // under the table, once read
	actions  []*widget.Button // restore, verify, delete: on while one is selected
	loading  fyne.CanvasObject
	words    *widget.Label
}

// showSnapshotsView lists a task's snapshots, newest first, with
// Restore, Verify and Delete for the one selected.
func showSnapshotsView(win fyne.Window, r runner, rm Remote, slave, task string, paths serverPaths) {
	v := &snapshotsView{win: win, r: r, rm: rm, slave: slave, task: task, selected: -1}
	restore := widget.NewButtonWithIcon(taskRestore+"…", theme.DownloadIcon(), func() {
		if id := v.pick(); id != "" {
			showRestoreDialog(win, r, rm, slave, task, id, paths)
		}
	})
	verify := widget.NewButtonWithIcon(taskVerify, theme.ConfirmIcon(), func() {
		if id := v.pick(); id != "" {
			verifySnapshot(win, r, rm, slave, task, id)
		}
	})
	del := widget.NewButtonWithIcon(taskDelSnap+"…", theme.DeleteIcon(), v.askDelete)
	v.actions = []*widget.Button{restore, verify, del}
	v.enable(false)
	var aboutView fyne.CanvasObject
	v.about, aboutView = newRecordView(snapshotPickHint, 3)
	v.table = newGridTable(snapshotColumns[:], snapshotColumnWidths[:], func() [][]string { return v.rows }, v.selectRow)
	loading, act, words := loadingView("Reading the snapshots of " + task + " on " + slave + "…")
	v.loading, v.words = loading, words
	v.table.Hide()
	aboutView.Hide()
	v.body = recordSplit(container.NewStack(v.table, loading), aboutView)
	body := container.NewBorder(nil, container.NewVBox(widget.NewSeparator(), container.NewHBox(restore, verify, layout.NewSpacer(), del)), nil, nil, v.body)
	d := dialog.NewCustom("Snapshots of "+task+" on "+slave, "Close", body, win)
	guardDialog(win, d, d.Hide, nil)
	d.Resize(taskViewSize)
	ctx, cancel := context.WithCancel(context.Background())
	prefs := fyne.CurrentApp().Preferences()
	snapshotsSplit.restore(prefs, v.body)
	d.SetOnClosed(func() {
		cancel()
		snapshotsSplit.remember(prefs, v.body)
	})
	v.table.keys = map[fyne.KeyName]func(){fyne.KeyEscape: d.Hide, fyne.KeyDelete: v.askDelete,
		fyne.KeyF5: func() { r.spawn(func(context.Context) { v.read(ctx) }) }}
	d.Show()
	r.spawn(func(wctx context.Context) {
		defer context.AfterFunc(wctx, cancel)()
		events, stop := rm.WatchTasks(64) // before the list, so that nothing after it is missed
		defer stop()
		list, err := rm.TaskSnapshots(ctx, slave, task)
		r.do(func() {
			act.Stop()
			v.show(list, err)
		})
		v.follow(ctx, events)
	})
}

// follow keeps the list up to date while the view is open: a snapshot
// deleted elsewhere (another console, the server's command line) leaves
// it, and a run of the task that ends has the list read again (its new
// snapshot, and those its retention removed).
func (v *snapshotsView) follow(ctx context.Context, events <-chan master.TaskEvent) {
	followTask(ctx, events, v.slave, v.task, func(e master.TaskEvent) {
		switch {
		case e.Kind == agent.EventDeleted && e.Deleted != nil:
			rep := *e.Deleted
			v.r.do(func() { v.deleted(rep, false) })
		case e.Kind == agent.EventFinished:
			v.read(ctx)
		}
	})
}

// read reads the snapshots again and shows them; a failure leaves the
// list as it was. It runs off the Fyne thread.
func (v *snapshotsView) read(ctx context.Context) {
	if list, err := v.rm.TaskSnapshots(ctx, v.slave, v.task); err == nil {
		v.r.do(func() { v.show(list, nil) })
	}
}

// show puts the snapshots read (oldest first) in the table, newest
// first, in place of those shown, keeping the one selected; or says why
// there are none.
func (v *snapshotsView) show(list []backup.SnapshotInfo, err error) {
	if err != nil {
		v.words.SetText(capitalize(err.Error()))
		return
	}
	picked := v.pick()
	v.snaps, v.rows = nil, nil
	for i := len(list) - 1; i >= 0; i-- {
		s := list[i]
		v.snaps = append(v.snaps, s)
		v.rows = append(v.rows, []string{s.ID, s.Time.Local().Format("2006-01-02 15:04:05"), string(s.Result),
			fmt.Sprint(s.Files), human.Bytes(max(s.Bytes, 0)), s.Path})
	}
	v.table.Refresh()
	if len(v.snaps) == 0 {
		v.table.Hide()
		v.words.SetText(v.task + " has no snapshots yet: run it first.")
		v.loading.Show()
		return
	}
	v.loading.Hide()
	v.table.Show()
	v.body.Trailing.Show()
	v.body.Refresh()
	v.reselect(picked)
}

// reselect selects snapshot id again after the rows changed under it,
// or clears the selection when it is gone.
func (v *snapshotsView) reselect(id string) {
	if id == "" {
		return
	}
	if i := slices.IndexFunc(v.snaps, func(s backup.SnapshotInfo) bool { return s.ID == id }); i >= 0 {
		v.table.Select(widget.TableCellID{Row: i, Col: 0})
		return
	}
	v.selected = -1
	v.table.UnselectAll()
	v.enable(false)
	showRecord(v.about, "", snapshotPickHint)
}

func (v *snapshotsView) enable(on bool) {
	for _, b := range v.actions {
		if on {
			b.Enable()
		} else {
			b.Disable()
		}
	}
}

func (v *snapshotsView) selectRow(row int) {
	if row >= len(v.snaps) {
		return
	}
	v.selected = row
	if v.deleting {
		return // the deletion on its way keeps its words, and Delete off
	}
	v.enable(true)
	showRecord(v.about, snapshotText(v.snaps[row]), snapshotPickHint)
}

// pick is the selected snapshot's ID, "" when none is.
func (v *snapshotsView) pick() string {
	if v.selected < 0 || v.selected >= len(v.snaps) {
		return ""
	}
	return v.snaps[v.selected].ID
}

// askDelete deletes the selected snapshot once asked, saying it is on
// its way meanwhile.
func (v *snapshotsView) askDelete() {
	id := v.pick()
	if id == "" || v.deleting {
		return
	}
	v.enable(false)
	askDeleteSnapshot(v.win, v.r, v.rm, v.slave, v.task, id, len(v.snaps) == 1, func() {
		v.deleting = true
		showRecord(v.about, "Deleting snapshot "+id+" on "+v.slave+"…", snapshotPickHint)
	}, func(rep *backup.DeleteReport) {
		v.deleting = false
		if rep != nil {
			v.deleted(*rep, true)
		} else if v.selected >= 0 {
			v.enable(true)
			showRecord(v.about, snapshotText(v.snaps[v.selected]), snapshotPickHint)
		}
	})
}

// deleted takes a deleted snapshot out of the list, this view's deletion
// (ours) or one made elsewhere, and says what the deletion did where the
// snapshot was described, when it was ours or the one selected. Another
// one selected stays so.
func (v *snapshotsView) deleted(rep backup.DeleteReport, ours bool) {
	i := slices.IndexFunc(v.snaps, func(s backup.SnapshotInfo) bool { return s.ID == rep.Snapshot })
	if i < 0 && !ours {
		return // ours, heard of already
	}
	wasSelected := i >= 0 && i == v.selected
	picked := v.pick()
	if i >= 0 {
		v.snaps, v.rows = slices.Delete(v.snaps, i, i+1), slices.Delete(v.rows, i, i+1)
	}
	v.table.Refresh()
	if ours || wasSelected {
		v.selected = -1
		v.table.UnselectAll()
		v.enable(false)
		showRecord(v.about, capitalize(rep.Describe())+".", snapshotPickHint)
	} else {
		v.reselect(picked)
	}
	if len(v.snaps) == 0 {
		v.table.Hide()
		v.words.SetText(v.task + " has no snapshots left: its next run makes one.")
		v.loading.Show()
	}
}

// askDeleteSnapshot asks before deleting snapshot id of task on slave
// (last: it is the task's only one), deletes it when told to (calling
// started as it begins), and hands done the report, or nil when it was
// not deleted (cancelled, or refused: the reason is shown). started and
// done run on the Fyne thread. The deletion belongs to the window, not
// to the view: closing the view does not drop its answer.
func askDeleteSnapshot(win fyne.Window, r runner, rm Remote, slave, task, id string, last bool, started func(), done func(*backup.DeleteReport)) {
	text := fmt.Sprintf("Delete snapshot %s of %s on %s from the server's disk? "+
		"Files it shares with other snapshots stay with them; what was its own is gone for good.", id, task, slave)
	if last {
		text += "\n\nIt is the only snapshot of " + task + ": nothing is left to restore from until its next run."
	}
	l := widget.NewLabel(text)
	l.Wrapping = fyne.TextWrapWord
	frees, stopEstimate := estimateDeletion(r, rm, slave, task, id)
	answered := false
	d, _ := askDialogThen(win, "Delete snapshot", container.NewVBox(l, frees), "Delete Snapshot", theme.DeleteIcon(), widget.DangerImportance, func() bool {
		answered = true
		started()
		r.spawn(func(ctx context.Context) {
			rep, err := rm.DeleteSnapshot(ctx, slave, task, id)
			r.do(func() {
				if err != nil {
					if ctx.Err() == nil {
						showInfo(win, "Could not delete the snapshot", capitalize(err.Error()))
					}
					done(nil)
					return
				}
				done(&rep)
			})
		})
		return true
	}, func() {
		stopEstimate()
		if !answered {
			done(nil)
		}
	})
	d.Resize(fyne.NewSize(520, 0))
	d.Show()
}

// estimateDeletion is a line that says how much room deleting snapshot
// id would free, once the agent has measured it (it reads the whole
// snapshot; stop ends that, as the question closes). An agent too old to
// measure leaves the line empty.
func estimateDeletion(r runner, rm Remote, slave, task, id string) (line *widget.Label, stop func()) {
	line = widget.NewLabel("Measuring how much room deleting it frees…")
	line.Wrapping = fyne.TextWrapWord
	line.Importance = widget.LowImportance
	ctx, stop := context.WithCancel(context.Background())
	r.spawn(func(wctx context.Context) {
		defer context.AfterFunc(wctx, stop)() // the window closing stops it too
		est, err := rm.EstimateDeletion(ctx, slave, task, id)
		r.do(func() {
			switch {
			case ctx.Err() != nil:
			case errors.Is(err, master.ErrNotSupported):
				line.Hide()
			case err != nil:
				line.SetText("How much room deleting it frees is not known: " + err.Error())
			default:
				line.Importance = widget.MediumImportance
				line.SetText("Deleting it " + est.Effect() + ".")
			}
		})
	})
	return line, stop
}

// progressDialog shows a long operation's progress with Cancel.
type progressDialog struct {
	d     *dialog.CustomDialog
	bar   *widget.ProgressBar
	words *widget.Label
	cur   *widget.Label
}

func showProgress(win fyne.Window, title, what string, cancel func()) *progressDialog {
	p := &progressDialog{bar: widget.NewProgressBar(), words: widget.NewLabel(what), cur: widget.NewLabel("")}
	p.words.Wrapping = fyne.TextWrapWord
	p.cur.Truncation = fyne.TextTruncateEllipsis
	p.cur.Importance = widget.LowImportance
	giveUp := func() { p.d.Hide(); cancel() }
	stop := widget.NewButtonWithIcon(waitCancel, theme.CancelIcon(), giveUp)
	p.d = dialog.NewCustomWithoutButtons(title, container.NewVBox(p.words, p.bar, p.cur), win)
	p.d.SetButtons([]fyne.CanvasObject{stop})
	p.d.SetOnClosed(dialogKeys(win.Canvas(), nil, nil)) // Cancel stops it; Escape is too easy to press
	p.d.Resize(fyne.NewSize(520, 0))
	p.d.Show()
	return p
}

func (p *progressDialog) update(s backup.Status) {
	frac, text := progressWords(s)
	if s.FilesTotal > 0 {
		text = fmt.Sprintf("%s · %s of %s", text, human.Count(s.FilesDone), human.Plural(s.FilesTotal, "file", "files"))
	}
	p.bar.SetValue(frac)
	p.words.SetText(text)
	if s.Current != "" {
		p.cur.SetText(s.Current)
	}
}

// progressPump hands the newest progress to the Fyne thread at most every
// interval; it never makes the operation wait.
type progressPump struct {
	r      runner
	every  time.Duration
	apply  func(backup.Status)
	latest chan backup.Status
}

func newProgressPump(r runner, apply func(backup.Status)) *progressPump {
	return &progressPump{r: r, every: refreshInterval, apply: apply, latest: make(chan backup.Status, 1)}
}

// offer keeps s as the newest progress.
func (p *progressPump) offer(s backup.Status) {
	select {
	case <-p.latest:
	default:
	}
	select {
	case p.latest <- s:
	default:
	}
}

// during runs op, which offers progress, and hands that progress over
// while op runs; what it handed over is on the Fyne thread's queue before
// what the caller queues after.
func (p *progressPump) during(ctx context.Context, op func()) {
	pctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); p.run(pctx) }()
	op()
	stop()
	<-done
}

// run hands progress over until ctx ends.
func (p *progressPump) run(ctx context.Context) {
	tick := time.NewTicker(p.every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			select {
			case s := <-p.latest:
				p.r.do(func() { p.apply(s) })
			default:
			}
		}
	}
}

// verifySnapshot re-reads a snapshot on the agent, with progress, and
// says what it found.
func verifySnapshot(win fyne.Window, r runner, rm Remote, slave, task, snapshot string) {
	ctx, cancel := context.WithCancel(context.Background())
	pd := showProgress(win, "Verifying "+task, "Re-reading snapshot "+snapshot+" of "+task+" on "+slave+"…", cancel)
	pump := newProgressPump(r, pd.update)
	var vr backup.VerifyReport
	spawnCancellable(r, ctx, cancel, func(ctx context.Context) (err error) {
		pump.during(ctx, func() { vr, err = rm.VerifySnapshot(ctx, slave, task, snapshot, pump.offer) })
		return err
	}, func(err error, cancelled bool) {
		pd.d.Hide()
		switch {
		case cancelled:
			return
		case err != nil:
			showInfo(win, "Could not verify "+task, capitalize(err.Error()))
		case vr.OK():
			showInfo(win, "Snapshot verified", fmt.Sprintf("Snapshot %s of %s on %s: %s, %s re-read; every file matches its manifest.",
				vr.Snapshot, task, slave, human.Plural(int(vr.Files), "file", "files"), human.Bytes(max(vr.Bytes, 0))))
		default:
			showMismatch(win, slave, task, vr)
		}
	})
}

// showMismatch lists what a verify found not to match, the first 20
// problems by name.
func showMismatch(win fyne.Window, slave, task string, vr backup.VerifyReport) {
	var b strings.Builder
	fmt.Fprintf(&b, "Snapshot %s of %s does not match its manifest: %d missing, %d changed.\n\n", vr.Snapshot, task, vr.Missing, vr.Changed)
	if next := vr.NextRun(); next != "" {
		b.WriteString(sentence(next) + "\n\n")
	}
	for i, p := range vr.Problems {
		if i == 20 {
			fmt.Fprintf(&b, "… and %d more (lanyard task verify %s --slave %s lists them all)", len(vr.Problems)-20, task, slave)
			break
		}
		// A server's file names and the agent's words: a name with a
		// line break in it cannot pass for another problem.
		fmt.Fprintf(&b, "%s: %s\n", wire.PlainUpTo(p.Path, maxShownPath), wire.PlainUpTo(p.Reason, maxShownPath))
	}
	l := widget.NewLabel(b.String())
	l.Wrapping = fyne.TextWrapWord
	d := dialog.NewCustom("Snapshot does not match", "Close", container.NewVScroll(l), win)
	guardDialog(win, d, d.Hide, d.Hide)
	d.Resize(fyne.NewSize(640, 420))
	d.Show()
}
