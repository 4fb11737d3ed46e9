package ui

import (
	"cmp"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/lanyard/lanyard/core/human"
	"github.com/lanyard/lanyard/core/master"
	"github.com/lanyard/lanyard/core/store"
)

// The Command Audit window: the commands this console sent that changed
// something on a slave or started work there, newest first, with where
// each came from (this window or the command line) and how it went: the
// window's view of `lanyard audit`. It reads the console's audit off the
// Fyne thread, and again, at most ten times a second, while commands are
// recorded.

// CommandAudit is what the Command Audit window reads; *master.Master
// provides it.
type CommandAudit interface {
	Fleet
	Audit(f master.AuditFilter) ([]store.AuditRecord, error)
}

// Texts of the Command Audit window.
const (
	auditTitle     = "Command Audit"
	auditExport    = "Export CSV…"
	auditReading   = "Reading the audit…"
	auditNone      = "No command recorded yet. What this console changes on a slave (its settings, password, tasks) and the work it starts there is recorded here."
	auditNoMatch   = "No command matches."
	auditPickHint  = "Select a command to read it in full here."
	auditShownMost = 5000 // the newest commands the table holds
)

var auditHeaders = []string{"Time", "Slave", "Command", "Result", "From"}

// The command (a task restore names its task, snapshot and folder) is
// the widest usual text; a result is mostly "ok" or "started", and a
// failure reads in full under the table.
var (
	auditMinWidths = []float32{160, 110, 290, 190, 150}
	auditShares    = []float32{0, 0.1, 0.5, 0.3, 0.1}
)

var auditSize = windowSize{key: "auditwindow", def: fyne.NewSize(1100, 600), min: fyne.NewSize(600, 300)}

// auditOptions are what tests replace.
type auditOptions struct {
	do    func(func())
	every time.Duration
	loc   *time.Location
	now   func() time.Time
	most  int // the newest commands read
}

func defaultAuditOptions() auditOptions {
	return auditOptions{do: fyne.Do, every: refreshInterval, loc: time.Local, now: time.Now, most: auditShownMost}
}

// ShowAuditWindow opens the Command Audit window showing the commands of
// the slave, or of the group's slaves, that scope names (neither: every
// slave's), or brings the open one to the front showing them. openSlave
// shows a slave in the main window (a row double-clicked, or Enter); it
// says false when there is none of that name.
func ShowAuditWindow(a fyne.App, src CommandAudit, scope master.AuditFilter, openSlave func(name string) bool) fyne.Window {
	return showAuditWindow(a, src, scope, openSlave, defaultAuditOptions()).win
}

func showAuditWindow(a fyne.App, src CommandAudit, scope master.AuditFilter, openSlave func(string) bool, o auditOptions) *auditWindow {
	if aw, ok := frontWindow[*auditWindow](a); ok {
		aw.showScope(scope)
		return aw
	}
	aw := newAuditWindow(a, src, scope, o)
	aw.openSlave = openSlave
	aw.win.Show()
	return aw
}

// auditWindow is the window's state; its fields are the Fyne thread's
// but for want, which the reader reads under mu.
type auditWindow struct {
	win       fyne.Window
	src       CommandAudit
	o         auditOptions
	openSlave func(name string) bool

	mu       sync.Mutex
	want     master.AuditFilter // the slave or group whose commands are read; under mu
	wake     chan struct{}
	fleetDue atomic.Bool // the next read reads the fleet too

	read    []store.AuditRecord // as last read, newest first
	more    bool                // the audit holds more than read
	rows    []store.AuditRecord // those the search lets through
	named   map[string]string   // the slaves offered, by lower-case name
	group   *widget.Select
	slave   *widget.Select
	search  *searchEntry
	table   *fittedTable
	empty   *widget.Label
	detail  *widget.Label
	status  *widget.Label
	chosen  *store.AuditRecord // the command selected, kept across reads
	loaded  bool
	ctx     context.Context
	cancel  context.CancelFunc
	readers sync.WaitGroup
}

func newAuditWindow(a fyne.App, src CommandAudit, scope master.AuditFilter, o auditOptions) *auditWindow {
	aw := &auditWindow{src: src, o: o, want: scope, wake: make(chan struct{}, 1), named: map[string]string{}}
	aw.ctx, aw.cancel = context.WithCancel(context.Background())
	aw.win = a.NewWindow(auditTitle)
	aw.win.SetIcon(Icon())
	aw.build(scope)
	auditSize.restore(a.Preferences(), aw.win)
	aw.win.SetOnClosed(func() {
		auditSize.remember(a.Preferences(), aw.win)
		aw.cancel()
		aw.readers.Wait()
	})
	aw.start()
	return aw
}

func (aw *auditWindow) build(scope master.AuditFilter) {
	aw.group = widget.NewSelect(nil, func(g string) {
		aw.choose(func(f *master.AuditFilter) { f.Group = unlessAll(g, backupsAllGroups) })
	})
	aw.slave = widget.NewSelect(nil, func(s string) {
		aw.choose(func(f *master.AuditFilter) { f.Slave = unlessAll(s, logAllSlaves) })
	})
	aw.offer(scope.Slave)
	aw.slaveOptions(nil)
	aw.groupOptions(nil, scope.Group)
	// Set, not selected: the first read is on its way.
	aw.slave.Selected, aw.group.Selected = cmp.Or(scope.Slave, logAllSlaves), cmp.Or(scope.Group, backupsAllGroups)
	aw.search = newSearchEntry(aw.win.Canvas(), searchAllColumns, func(string) { aw.filter() })
	export := widget.NewButtonWithIcon(auditExport, theme.DocumentSaveIcon(), aw.askExport)
	scopes := container.NewHBox(widget.NewLabel("Group"), aw.group, widget.NewLabel("Slave"), aw.slave)
	top := container.NewBorder(nil, nil, scopes, export, aw.search)

	aw.table = aw.newTable()
	aw.empty = widget.NewLabel(auditReading)
	var detail *container.Scroll
	aw.detail, detail = newRecordView(auditPickHint, 3)
	aw.status = widget.NewLabel("")
	bottom := container.NewVBox(widget.NewSeparator(), aw.status)
	split := recordSplit(container.NewStack(aw.table, emptyNote(aw.empty)), detail)
	aw.win.SetContent(newOneWindow(aw, auditSize, container.NewBorder(top, bottom, nil, nil, split), split))
	aw.win.Canvas().AddShortcut(shortcutFilter(), func(fyne.Shortcut) { aw.win.Canvas().Focus(aw.search) })
	aw.win.Canvas().AddShortcut(shortcutSave(), func(fyne.Shortcut) { aw.askExport() })
	// Enter shows the selected command's slave, as a double click does.
	aw.win.Canvas().SetOnTypedKey(func(k *fyne.KeyEvent) {
		if (k.Name == fyne.KeyReturn || k.Name == fyne.KeyEnter) && aw.chosen != nil {
			aw.open(slices.IndexFunc(aw.rows, func(r store.AuditRecord) bool { return sameRecord(r, *aw.chosen) }))
		}
	})
	closeKeys(aw.win)
}

func (aw *auditWindow) newTable() *fittedTable {
	t := &fittedTable{cols: newColumns(auditMinWidths, auditShares), canvas: aw.win.Canvas()}
	t.Length = func() (int, int) { return len(aw.rows), len(auditHeaders) }
	t.CreateCell = func() fyne.CanvasObject { return newAuditCell(aw) }
	t.UpdateCell = func(id widget.TableCellID, o fyne.CanvasObject) {
		c := o.(*auditCell)
		c.id = id
		if id.Row >= len(aw.rows) {
			return
		}
		l, r := &c.Label, aw.rows[id.Row]
		l.Text, l.Importance = auditFields(r, aw.o.loc)[id.Col], widget.MediumImportance
		if id.Col == 3 && r.Problem() {
			l.Importance = widget.DangerImportance
		}
		l.Refresh()
	}
	t.ShowHeaderRow = true
	t.CreateHeader = func() fyne.CanvasObject {
		return widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	}
	t.UpdateHeader = func(id widget.TableCellID, o fyne.CanvasObject) {
		if id.Col >= 0 && id.Col < len(auditHeaders) {
			o.(*widget.Label).SetText(auditHeaders[id.Col])
		}
	}
	t.OnSelected = func(id widget.TableCellID) { aw.selectRow(id.Row) }
	selectRows(&t.Table)
	t.ExtendBaseWidget(t)
	t.cols.fit(&t.Table, t.cols.need())
	return t
}

// start reads the audit now, and again whenever a command is recorded
// (or the fleet's events were dropped), at most once per o.every. The
// fleet, for the slaves and groups offered, is read with it only when an
// entry was added, edited or removed: a command to a whole group records
// one command per server, and the fleet is large.
func (aw *auditWindow) start() {
	events, unsubscribe := aw.src.Subscribe(1024)
	aw.readers.Go(func() {
		defer unsubscribe()
		batchEvents(aw.ctx, events, aw.o.every, func(batch []master.Event) {
			if slices.ContainsFunc(batch, entriesChanged) {
				aw.fleetDue.Store(true)
			}
			if slices.ContainsFunc(batch, func(e master.Event) bool {
				return e.Kind == master.EventAudit || e.Kind == master.EventResync
			}) || aw.fleetDue.Load() {
				aw.reread()
			}
		})
	})
	aw.readers.Go(aw.reader)
	aw.fleetDue.Store(true)
	aw.reread()
}

// entriesChanged: e says a slave's entry was added, edited or removed, or
// events were dropped.
func entriesChanged(e master.Event) bool {
	switch e.Kind {
	case master.EventResync, store.KindAdded, store.KindEdited, store.KindRemoved:
		return true
	}
	return false
}

// reread asks the reader for a fresh read.
func (aw *auditWindow) reread() {
	select {
	case aw.wake <- struct{}{}:
	default: // one is due already
	}
}

// reader reads the audit each time it is woken, off the Fyne thread.
func (aw *auditWindow) reader() {
	for {
		select {
		case <-aw.ctx.Done():
			return
		case <-aw.wake:
		}
		aw.mu.Lock()
		scope := aw.want
		aw.mu.Unlock()
		f := scope
		f.Last = aw.o.most + 1
		recs, err := aw.src.Audit(f)
		var fleet []master.SlaveView // nil: the options stay
		if aw.fleetDue.Swap(false) {
			fleet = aw.src.Slaves()
		}
		aw.o.do(func() { aw.show(scope, recs, fleet, err) })
	}
}

// show puts a read in the window, unless the slave or group chosen
// changed since.
func (aw *auditWindow) show(scope master.AuditFilter, recs []store.AuditRecord, fleet []master.SlaveView, err error) {
	aw.mu.Lock()
	stale := !sameScope(scope, aw.want)
	aw.mu.Unlock()
	if stale || aw.ctx.Err() != nil {
		if fleet != nil {
			aw.fleetDue.Store(true) // for the read the new choice brings
		}
		return
	}
	aw.loaded = true
	if err != nil {
		aw.read, aw.more = nil, false
		aw.filter()
		aw.empty.SetText("Could not read the audit: " + err.Error())
		aw.empty.Importance = widget.DangerImportance
		aw.empty.Refresh()
		return
	}
	aw.more = len(recs) > aw.o.most
	if aw.more {
		recs = recs[1:]
	}
	slices.Reverse(recs) // newest first
	aw.read = recs
	aw.slaveOptions(fleet)
	aw.groupOptions(fleet, "")
	aw.filter()
}

// choose changes the slave or group whose commands are shown, and reads
// them.
func (aw *auditWindow) choose(change func(*master.AuditFilter)) {
	aw.mu.Lock()
	was := aw.want
	change(&aw.want)
	changed := !sameScope(was, aw.want)
	aw.mu.Unlock()
	if changed {
		aw.reread()
	}
}

// unlessAll is an option chosen, "" for the one that stands for all.
func unlessAll(option, all string) string {
	if option == all {
		return ""
	}
	return option
}

// sameScope: a and b name the same slave and group, whatever the case.
func sameScope(a, b master.AuditFilter) bool {
	return strings.EqualFold(a.Slave, b.Slave) && strings.EqualFold(a.Group, b.Group)
}

// groupOptions offers every group of the fleet, and also (a group
// asked for before the fleet was read).
func (aw *auditWindow) groupOptions(fleet []master.SlaveView, also string) {
	groups := []string{also}
	for _, v := range fleet {
		groups = append(groups, v.Group)
	}
	groups = append(groups, aw.group.Options[min(1, len(aw.group.Options)):]...) // a group emptied since stays chosen
	aw.group.SetOptions(append([]string{backupsAllGroups}, master.DistinctGroups(groups)...))
}

// slaveOptions offers every slave of the fleet, and each one the audit
// named since the window opened (a slave removed since).
func (aw *auditWindow) slaveOptions(fleet []master.SlaveView) {
	for _, v := range fleet {
		aw.offer(v.Name)
	}
	for _, r := range aw.read {
		aw.offer(r.Slave)
	}
	names := slices.Collect(maps.Values(aw.named))
	slices.SortFunc(names, human.CompareNames)
	aw.slave.SetOptions(append([]string{logAllSlaves}, names...))
}

// offer notes a slave's name among the options.
func (aw *auditWindow) offer(name string) {
	if k := strings.ToLower(name); name != "" && aw.named[k] == "" {
		aw.named[k] = name
	}
}

// showScope shows the commands of the slave, or of the group, scope names
// (neither: every slave's).
func (aw *auditWindow) showScope(scope master.AuditFilter) {
	if scope.Slave != "" && aw.named[strings.ToLower(scope.Slave)] == "" {
		aw.offer(scope.Slave)
		aw.slaveOptions(nil)
	}
	aw.groupOptions(nil, scope.Group)
	aw.slave.SetSelected(cmp.Or(aw.named[strings.ToLower(scope.Slave)], logAllSlaves))
	aw.group.SetSelected(cmp.Or(scope.Group, backupsAllGroups))
}

// filter keeps the commands read that hold the search's text, and shows
// them.
func (aw *auditWindow) filter() {
	search := strings.ToLower(strings.TrimSpace(aw.search.Text))
	aw.rows = aw.rows[:0]
	for _, r := range aw.read {
		if holds(auditFields(r, aw.o.loc), search) {
			aw.rows = append(aw.rows, r)
		}
	}
	aw.table.Refresh()
	aw.keepChosen()
	switch {
	case !aw.loaded:
		aw.empty.SetText(auditReading)
	case len(aw.read) == 0:
		aw.empty.SetText(auditNone)
	case len(aw.rows) == 0:
		aw.empty.SetText(auditNoMatch)
	}
	aw.empty.Importance = widget.MediumImportance
	aw.empty.Hidden = len(aw.rows) > 0
	aw.empty.Refresh()
	showIf(aw.table, len(aw.rows) > 0) // its lines would cross the words
	aw.status.SetText(aw.countText())
}

// countText says how many commands show, and of how many read.
func (aw *auditWindow) countText() string {
	if !aw.loaded {
		return ""
	}
	shown := human.Plural(len(aw.rows), "command", "commands")
	if len(aw.rows) < len(aw.read) {
		shown += " of " + human.Count(len(aw.read))
	}
	if aw.more {
		shown += fmt.Sprintf(", the newest %s; %s saves them all", human.Count(len(aw.read)), auditExport)
	}
	return shown
}

// auditCell is one cell of the table: a tap selects its row, a double
// tap shows its slave in the main window.
type auditCell struct {
	widget.Label
	aw *auditWindow
	id widget.TableCellID
}

func newAuditCell(aw *auditWindow) *auditCell {
	c := &auditCell{aw: aw}
	c.Truncation = fyne.TextTruncateEllipsis
	c.ExtendBaseWidget(c)
	return c
}

func (c *auditCell) Tapped(*fyne.PointEvent)       { c.aw.table.Select(c.id) }
func (c *auditCell) DoubleTapped(*fyne.PointEvent) { c.aw.open(c.id.Row) }

// open shows row's slave in the main window, or says it is gone.
func (aw *auditWindow) open(row int) {
	if row < 0 || row >= len(aw.rows) || aw.openSlave == nil {
		return
	}
	if name := aw.rows[row].Slave; !aw.openSlave(name) {
		aw.status.SetText(name + " is no longer among this console's slaves.")
	}
}

// keepChosen selects the command chosen again where a new read or the
// search put it, or, gone, says how to choose one.
func (aw *auditWindow) keepChosen() {
	if c := aw.chosen; c != nil {
		for i, r := range aw.rows {
			if sameRecord(r, *c) {
				aw.table.Select(widget.TableCellID{Row: i, Col: 0})
				return
			}
		}
	}
	aw.chosen = nil
	aw.table.UnselectAll()
	showRecord(aw.detail, "", auditPickHint)
}

// sameRecord: a and b are one record, read twice.
func sameRecord(a, b store.AuditRecord) bool {
	return a.Time.Equal(b.Time) && a.Slave == b.Slave && a.Command == b.Command && a.Result == b.Result
}

func (aw *auditWindow) selectRow(row int) {
	if row < 0 || row >= len(aw.rows) {
		return
	}
	r := aw.rows[row]
	aw.chosen = &r
	showRecord(aw.detail, fmt.Sprintf("%s · %s · from %s\n%s\n%s", r.Time.In(aw.o.loc).Format(logTimeLayout), r.Slave,
		cmp.Or(r.Origin, "unknown"), r.Command, r.Result), auditPickHint)
}

// askExport asks where to save, then saves every command of the slave
// chosen that the search lets through (not only the newest shown).
func (aw *auditWindow) askExport() {
	askSaveFile(aw.win, "lanyard-audit-"+aw.o.now().In(aw.o.loc).Format("20060102-150405")+".csv", []string{".csv"},
		aw.exportTo, func(err error) { showErr(aw.win, err) })
}

func (aw *auditWindow) exportTo(w fyne.URIWriteCloser) {
	aw.mu.Lock()
	scope := aw.want
	aw.mu.Unlock()
	search, loc, name := strings.ToLower(strings.TrimSpace(aw.search.Text)), aw.o.loc, whereSaved(w.URI())
	aw.status.SetText("Exporting…")
	aw.readers.Go(func() {
		n, err := exportAudit(w, aw.src, scope, search, loc)
		if cerr := w.Close(); err == nil {
			err = cerr
		}
		aw.o.do(func() {
			if err != nil {
				aw.status.SetText(aw.countText())
				showErr(aw.win, fmt.Errorf("exporting to %s: %w", name, err))
				return
			}
			aw.status.SetText(fmt.Sprintf("Exported %s to %s.", human.Plural(n, "command", "commands"), name))
		})
	})
}

// exportAudit writes the commands scope selects that hold search (lower
// case) to w as CSV, oldest first, with a header line.
func exportAudit(w io.Writer, src CommandAudit, scope master.AuditFilter, search string, loc *time.Location) (int, error) {
	recs, err := src.Audit(scope)
	if err != nil {
		return 0, err
	}
	cw := csv.NewWriter(w)
	if err := cw.Write([]string{"time", "slave", "command", "result", "from"}); err != nil {
		return 0, err
	}
	n := 0
	for _, r := range recs {
		f := auditFields(r, loc)
		if !holds(f, search) {
			continue
		}
		f[0] = r.Time.In(loc).Format(time.RFC3339)
		for i := 1; i < len(f); i++ {
			f[i] = human.SpreadsheetCell(f[i])
		}
		if err := cw.Write(f); err != nil {
			return n, err
		}
		n++
	}
	cw.Flush()
	return n, cw.Error()
}

// auditFields are a command's cells as the table shows them.
func auditFields(r store.AuditRecord, loc *time.Location) []string {
	return []string{r.Time.In(loc).Format(logTimeLayout), r.Slave, r.Command, r.Result, r.Origin}
}
