package ui

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/lanyard/lanyard/core/human"
	"github.com/lanyard/lanyard/core/master"
	"github.com/lanyard/lanyard/core/store"
)

// The Remote Management Log window: the connection log as a live,
// virtualised table. It holds a bounded window of the log in memory (the
// newest page when it opens) and pages older or newer records from the
// store as the user scrolls; live events only tell it that there is
// something new to read, so every row it shows came from the store, with
// its key, in log order.

// Texts of the log window that tests and users read.
const (
	logWindowTitle  = "Remote Management Log"
	logAllSlaves    = "All slaves"
	logKindAll      = "All events"
	logKindProblems = "Warnings and errors"
	logJumpLabel    = "Jump to newest"
	logPickHint     = "Select a record to read it in full here; tick records to copy them."
	logTimeLayout   = "2006-01-02 15:04:05"
)

// logColumns are the table's headings; logFields fills them for a record.
var logColumns = []string{"Time", "Slave", "Direction", "Remote address", "Severity", "Event", "Reason"}

// exportColumns are the CSV columns: the table's, and the error.
var exportColumns = []string{"time", "slave", "direction", "remote address", "severity", "event", "reason", "error"}

// logWindowOptions tune a log window; tests shrink pages and replace the
// clock, the time zone and fyne.Do.
type logWindowOptions struct {
	loc         *time.Location // the time column's zone
	do          func(func())   // runs work on the Fyne thread
	pageSize    int            // records read per page
	maxRows     int            // rows kept in memory at most
	fillRows    int            // older pages are read until this many rows show
	every       time.Duration  // shortest time between two live refreshes
	searchDelay time.Duration  // typing pause before a search runs; 0 = at once
	exportPage  int            // records per page when exporting
	now         func() time.Time
}

func defaultLogWindowOptions() logWindowOptions {
	return logWindowOptions{loc: time.Local, do: fyne.Do, pageSize: 500, maxRows: 5000, fillRows: 60,
		every: 100 * time.Millisecond, searchDelay: 250 * time.Millisecond,
		exportPage: 1000, now: time.Now}
}

// ShowLogWindow opens the Remote Management Log window, or brings the open
// one to the front: there is one per app.
func ShowLogWindow(a fyne.App, log ConnectionLog, fleet Fleet) fyne.Window {
	return showLogWindow(a, log, fleet, defaultLogWindowOptions()).win
}

func showLogWindow(a fyne.App, log ConnectionLog, fleet Fleet, o logWindowOptions) *logWindow {
	if lw, ok := frontWindow[*logWindow](a); ok {
		return lw
	}
	lw := newLogWindow(a, log, fleet, o)
	lw.win.Show()
	return lw
}

// logRow is one record shown.
type logRow struct {
	ev      store.Event
	checked bool
}

// logWindow is the window's state. Everything in it is touched on the
// Fyne thread only; loads run in goroutines and hand their result back
// through o.do, tagged with the generation they were started in, so that a
// load started before the filters changed is dropped.
type logWindow struct {
	app   fyne.App
	log   ConnectionLog
	fleet Fleet
	o     logWindowOptions
	win   fyne.Window

	// Filters.
	slave      string // "" = all
	errorsOnly bool
	search     string // lower case; "" = none

	gen  int
	rows []*logRow
	// older and newer are the oldest and newest records read from the
	// store in this generation (whether or not the search matched them):
	// the cursors for paging.
	older, newer *store.Event
	atStart      bool // nothing older than older matches
	atEnd        bool // nothing newer than newer matches (live records are being followed)

	loadingFirst, loadingOlder, loadingNewer bool
	newerAgain                               bool // more live records came while reading
	armed                                    bool // the first page is shown: scrolling to the top may load more
	newAway                                  int  // records that arrived while the user looked elsewhere
	loadErr                                  error

	selected *logRow
	checked  int

	names     map[string]string // lower-case name → name, for the slave filter
	searchTmr *time.Timer
	stop      func()
	closed    bool

	// Widgets.
	list      *dialogList // a click gives it the keyboard; Escape still closes the window
	pitch     float32     // a row's height plus the separator
	slaveSel  *widget.Select
	kindSel   *widget.Select
	searchBox *searchEntry
	checkAll  *widget.Check
	copyBtn   *widget.Button
	exportBtn *widget.Button
	jumpBtn   *widget.Button
	status    *widget.Label
	empty     *widget.Label
	detail    *widget.Label
}

// logWindowSize is the window's size.
var logWindowSize = windowSize{key: "logwindow", def: fyne.NewSize(1180, 640), min: fyne.NewSize(640, 320)}

func newLogWindow(a fyne.App, log ConnectionLog, fleet Fleet, o logWindowOptions) *logWindow {
	lw := &logWindow{app: a, log: log, fleet: fleet, o: o, names: map[string]string{}}
	lw.win = a.NewWindow(logWindowTitle)
	lw.build()
	logWindowSize.restore(a.Preferences(), lw.win)
	lw.win.SetOnClosed(lw.close)

	// Subscribe before the first read, so nothing falls between the two.
	events, cancel := fleet.Subscribe(1024)
	ctx, stopBatches := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		batchEvents(ctx, events, o.every, func(batch []master.Event) {
			o.do(func() { lw.liveBatch(batch) })
		})
	}()
	lw.stop = func() {
		stopBatches()
		cancel()
		<-done
	}
	lw.refreshSlaveOptions()
	lw.reload()
	return lw
}

func (lw *logWindow) build() {
	lw.slaveSel = widget.NewSelect([]string{logAllSlaves}, func(s string) {
		if s = unlessAll(s, logAllSlaves); s != lw.slave {
			lw.slave = s
			lw.reload()
		}
	})
	lw.slaveSel.SetSelected(logAllSlaves)
	lw.kindSel = widget.NewSelect([]string{logKindAll, logKindProblems}, func(s string) {
		if only := s == logKindProblems; only != lw.errorsOnly {
			lw.errorsOnly = only
			lw.reload()
		}
	})
	lw.kindSel.SetSelected(logKindAll)
	lw.searchBox = newSearchEntry(lw.win.Canvas(), searchAllColumns, lw.searchChanged)
	lw.copyBtn = widget.NewButtonWithIcon("Copy", theme.ContentCopyIcon(), lw.copySelected)
	lw.copyBtn.Disable()
	lw.exportBtn = widget.NewButtonWithIcon("Export CSV…", theme.DocumentSaveIcon(), lw.exportDialog)
	top := container.NewBorder(nil, nil,
		container.NewHBox(widget.NewLabel("Slave"), lw.slaveSel, widget.NewLabel("Show"), lw.kindSel),
		container.NewHBox(lw.copyBtn, lw.exportBtn),
		lw.searchBox)

	lw.checkAll = widget.NewCheck("", lw.checkAllChanged)
	header := newLogHeader(lw.checkAll)

	template := newLogRowView()
	lw.pitch = template.MinSize().Height + theme.Padding()
	lw.list = newDialogList(lw.win.Canvas(), lw.length, func() fyne.CanvasObject { return newLogRowView() }, lw.updateItem)
	// The list's own selection is by position, and positions shift as
	// pages come and go: the window keeps the selected record itself and
	// draws its highlight.
	lw.list.OnSelected = lw.rowSelected
	lw.empty = widget.NewLabelWithStyle("", fyne.TextAlignCenter, fyne.TextStyle{Italic: true})
	lw.empty.Hide()
	table := container.NewBorder(container.NewVBox(header, widget.NewSeparator()), nil, nil, nil,
		container.NewStack(lw.list, emptyNote(lw.empty)))

	// Under a divider (recordSplit), which keeps the table's height:
	// selecting a record must not shrink it (and so stop it following new
	// records).
	var detail *container.Scroll
	lw.detail, detail = newRecordView(logPickHint, 3)
	lw.status = widget.NewLabel("")
	lw.jumpBtn = widget.NewButtonWithIcon(logJumpLabel, theme.MoveDownIcon(), lw.jumpToNewest)
	bottom := container.NewVBox(widget.NewSeparator(), container.NewBorder(nil, nil, nil, lw.jumpBtn, lw.status))

	split := recordSplit(table, detail)
	lw.win.SetContent(newOneWindow(lw, logWindowSize, container.NewBorder(top, bottom, nil, nil, split), split))
	lw.win.Canvas().AddShortcut(&fyne.ShortcutCopy{}, func(fyne.Shortcut) { lw.copySelected() })
	closeKeys(lw.win)
}

func (lw *logWindow) close() {
	if lw.closed {
		return
	}
	lw.closed = true
	logWindowSize.remember(lw.app.Preferences(), lw.win)
	lw.gen++ // drop whatever is still loading
	if lw.searchTmr != nil {
		lw.searchTmr.Stop()
	}
	lw.stop()
}

// ---- Filters ----

func (lw *logWindow) serverFilter() store.EventFilter {
	return store.EventFilter{Slave: lw.slave, ErrorsOnly: lw.errorsOnly}
}

// matcher returns the search as a function that goroutines may call.
func (lw *logWindow) matcher() func(store.Event) bool {
	search, loc := lw.search, lw.o.loc
	if search == "" {
		return func(store.Event) bool { return true }
	}
	return func(e store.Event) bool { return holds(logFields(e, loc), search) }
}

// holds: one of fields holds search, in lower case, whatever the case of
// the field: the search of the tables that offer one.
func holds(fields []string, search string) bool {
	for _, f := range fields {
		if strings.Contains(strings.ToLower(f), search) {
			return true
		}
	}
	return false
}

// announces reports whether a live event is a connection-log record that
// the slave and kind filters let through.
func (lw *logWindow) announces(e master.Event) bool {
	if !e.IsRecord() {
		return false
	}
	if lw.slave != "" && !strings.EqualFold(lw.slave, e.Slave) {
		return false
	}
	return !lw.errorsOnly || e.Severity.Problem()
}

func (lw *logWindow) searchChanged(text string) {
	if lw.searchTmr != nil {
		lw.searchTmr.Stop()
	}
	apply := func() {
		if s := strings.ToLower(strings.TrimSpace(lw.searchBox.Text)); s != lw.search && !lw.closed {
			lw.search = s
			lw.reload()
		}
	}
	if lw.o.searchDelay <= 0 {
		apply()
		return
	}
	lw.searchTmr = time.AfterFunc(lw.o.searchDelay, func() { lw.o.do(apply) })
}

// refreshSlaveOptions offers every slave of the fleet, and those seen in
// the log that are not (unknown slaves that tried to connect).
func (lw *logWindow) refreshSlaveOptions() {
	for _, s := range lw.fleet.Slaves() {
		lw.names[strings.ToLower(s.Name)] = s.Name
	}
	names := make([]string, 0, len(lw.names))
	for _, n := range lw.names {
		names = append(names, n)
	}
	slices.SortFunc(names, human.CompareNames)
	lw.slaveSel.SetOptions(append([]string{logAllSlaves}, names...))
}

// noteNames adds names seen in records to the slave filter.
func (lw *logWindow) noteNames(evs []store.Event) {
	added := false
	for _, e := range evs {
		if k := strings.ToLower(e.Slave); e.Slave != "" && lw.names[k] == "" {
			lw.names[k] = e.Slave
			added = true
		}
	}
	if added {
		lw.refreshSlaveOptions()
	}
}

// ---- Loading ----

// reload shows the newest page for the current filters.
func (lw *logWindow) reload() {
	if lw.closed {
		return
	}
	lw.gen++
	gen := lw.gen
	lw.rows, lw.older, lw.newer = nil, nil, nil
	lw.atStart, lw.atEnd = false, true
	lw.loadingFirst, lw.loadingOlder, lw.loadingNewer, lw.newerAgain = true, false, false, false
	lw.newAway, lw.armed, lw.loadErr = 0, false, nil
	lw.selected, lw.checked = nil, 0
	lw.showDetail(nil)
	lw.refresh()

	log, f, n, match := lw.log, lw.serverFilter(), lw.o.pageSize, lw.matcher()
	go func() {
		evs, err := log.LastEvents(f, n)
		rows := matching(evs, match)
		lw.o.do(func() {
			if gen == lw.gen {
				lw.firstLoaded(evs, rows, err)
			}
		})
	}()
}

func (lw *logWindow) firstLoaded(evs []store.Event, rows []*logRow, err error) {
	lw.loadingFirst = false
	if err != nil {
		lw.loadErr = err
		lw.refresh()
		return
	}
	lw.rows = rows
	if len(evs) > 0 {
		lw.older, lw.newer = &evs[0], &evs[len(evs)-1]
	}
	lw.atStart = len(evs) < lw.o.pageSize
	lw.noteNames(evs)
	lw.refresh()
	lw.list.ScrollToBottom()
	lw.armed = true // from now on, scrolling to a loading row loads
	if lw.newerAgain {
		lw.loadNewer() // records came while this page was read
	}
	lw.fillUp()
}

// fillUp reads older pages while the rows do not fill the window, or the
// top of the list (where the "loading older records" row is) shows.
func (lw *logWindow) fillUp() {
	if lw.atStart || lw.loadingOlder || lw.loadingFirst || lw.older == nil {
		return
	}
	if len(lw.rows) < lw.o.fillRows || lw.topShows() {
		lw.loadOlder()
	}
}

func (lw *logWindow) loadOlder() {
	if lw.atStart || lw.loadingOlder || lw.loadingFirst || lw.older == nil || lw.closed {
		return
	}
	lw.loadingOlder = true
	gen := lw.gen
	log, f, n, match := lw.log, lw.serverFilter(), lw.o.pageSize, lw.matcher()
	f.Before = lw.older.Key()
	go func() {
		evs, err := log.LastEvents(f, n)
		atStart := len(evs) < n
		rows := matching(evs, match)
		lw.o.do(func() {
			if gen == lw.gen {
				lw.olderLoaded(evs, rows, atStart, err)
			}
		})
	}()
	lw.refreshStatus()
}

func (lw *logWindow) olderLoaded(evs []store.Event, rows []*logRow, atStart bool, err error) {
	lw.loadingOlder = false
	if err != nil {
		lw.loadErr = err
		lw.refresh()
		return
	}
	offset, topBefore := lw.list.GetScrollOffset(), lw.topRow()
	if len(evs) > 0 {
		lw.older = &evs[0]
	}
	lw.atStart = atStart
	lw.rows = append(rows, lw.rows...)
	if extra := len(lw.rows) - lw.o.maxRows; extra > 0 {
		// Keep memory bounded: forget the newest rows; they are read
		// again when the user scrolls back down.
		for _, r := range lw.rows[len(lw.rows)-extra:] {
			lw.forgetRow(r)
		}
		lw.rows = lw.rows[:len(lw.rows)-extra]
		lw.newer = &lw.rows[len(lw.rows)-1].ev
		lw.atEnd = false
	}
	lw.noteNames(evs)
	lw.settle(func() {
		lw.refresh()
		// Keep the rows the user looks at where they were: the new rows
		// and the loading row (gone when the start is reached) are above.
		shift := len(rows) + lw.topRow() - topBefore
		lw.list.ScrollToOffset(offset + float32(shift)*lw.pitch)
	})
	lw.fillUp()
}

// loadNewer reads the records after newer: live records, or the page
// below when the user scrolls down after paging far back.
func (lw *logWindow) loadNewer() {
	if lw.closed {
		return
	}
	if lw.loadingNewer || lw.loadingFirst {
		lw.newerAgain = true
		return
	}
	lw.loadingNewer, lw.newerAgain = true, false
	gen := lw.gen
	log, f, n, match := lw.log, lw.serverFilter(), lw.o.pageSize, lw.matcher()
	f.Limit = n
	if lw.newer != nil {
		f.AfterKey = lw.newer.Key()
	}
	go func() {
		evs, err := log.Events(f)
		rows := matching(evs, match)
		lw.o.do(func() {
			if gen == lw.gen {
				lw.newerLoaded(evs, rows, err)
			}
		})
	}()
}

func (lw *logWindow) newerLoaded(evs []store.Event, rows []*logRow, err error) {
	lw.loadingNewer = false
	if err != nil {
		lw.loadErr = err
		lw.refresh()
		return
	}
	following := lw.atBottom()
	offset, topBefore := lw.list.GetScrollOffset(), lw.topRow()
	full := len(evs) == lw.o.pageSize
	if len(evs) > 0 {
		lw.newer = &evs[len(evs)-1]
		if lw.older == nil {
			lw.older = &evs[0]
		}
	}
	wasAtEnd := lw.atEnd
	if !full {
		lw.atEnd = true
	}
	lw.rows = append(lw.rows, rows...)
	removed := 0
	if extra := len(lw.rows) - lw.o.maxRows; extra > 0 {
		for _, r := range lw.rows[:extra] {
			lw.forgetRow(r)
		}
		lw.rows = slices.Clone(lw.rows[extra:])
		lw.older = &lw.rows[0].ev
		lw.atStart = false
		removed = extra
	}
	if wasAtEnd && !following && len(rows) > 0 {
		lw.newAway += len(rows)
	} else if wasAtEnd && following {
		lw.newAway = 0
	}
	lw.noteNames(evs)
	lw.settle(func() {
		lw.refresh()
		// Rows forgotten at the top, or the loading row appearing there,
		// move what the user looks at: keep it in place.
		shift := lw.topRow() - topBefore - removed
		if wasAtEnd && following {
			lw.list.ScrollToBottom() // follow the live records
		} else if shift != 0 {
			lw.list.ScrollToOffset(offset + float32(shift)*lw.pitch)
		}
	})

	if wasAtEnd && full || lw.newerAgain {
		// Catching up with live records: read on to the newest. (Paging
		// down through old records reads one page per scroll instead.)
		lw.loadNewer()
	}
}

// liveBatch handles a coalesced batch of fleet events.
func (lw *logWindow) liveBatch(batch []master.Event) {
	if lw.closed {
		return
	}
	announced, resync, fleetChanged := 0, false, false
	for _, e := range batch {
		switch {
		case e.Kind == master.EventResync:
			resync = true
		case e.Kind == store.KindAdded || e.Kind == store.KindRemoved:
			fleetChanged = true
		}
		if lw.announces(e) {
			announced++
		}
	}
	if fleetChanged {
		lw.refreshSlaveOptions()
	}
	if announced == 0 && !resync {
		return
	}
	if !lw.atEnd {
		// The user paged back and the newest rows were let go: count,
		// and let "Jump to newest" bring them.
		lw.newAway += announced
		lw.refreshStatus()
		return
	}
	// Announced records are committed: reading on from the newest row
	// finds them.
	lw.loadNewer()
}

// jumpToNewest scrolls to the newest record, reading it first if the
// window let it go.
func (lw *logWindow) jumpToNewest() {
	lw.newAway = 0
	if lw.atEnd && !lw.loadingFirst {
		lw.list.ScrollToBottom()
		lw.refreshStatus()
		return
	}
	lw.reload()
}

func (lw *logWindow) forgetRow(r *logRow) {
	if r.checked {
		lw.checked--
	}
	if lw.selected == r {
		lw.selected = nil
		lw.showDetail(nil)
	}
}

// matching wraps the records the search lets through as rows.
func matching(evs []store.Event, match func(store.Event) bool) []*logRow {
	rows := make([]*logRow, 0, len(evs))
	for _, e := range evs {
		if match(e) {
			rows = append(rows, &logRow{ev: e})
		}
	}
	return rows
}

// ---- The list ----

// The list shows a "loading older records" row above the rows while older
// records may exist, and a "loading newer records" row below them while
// the newest were let go. Either loads when it scrolls into view.

func (lw *logWindow) topRow() int {
	if lw.atStart || lw.loadingFirst {
		return 0
	}
	return 1
}

func (lw *logWindow) length() int {
	n := lw.topRow() + len(lw.rows)
	if !lw.atEnd {
		n++
	}
	return n
}

// rowAt maps a list item to a row; nil for the two loading rows.
func (lw *logWindow) rowAt(id widget.ListItemID) *logRow {
	i := id - lw.topRow()
	if i < 0 || i >= len(lw.rows) {
		return nil
	}
	return lw.rows[i]
}

func (lw *logWindow) updateItem(id widget.ListItemID, o fyne.CanvasObject) {
	v := o.(*logRowView)
	if r := lw.rowAt(id); r != nil {
		v.show(r, lw.o.loc, r == lw.selected, func(checked bool) { lw.setChecked(r, checked) })
		if lw.newAway > 0 && lw.atEnd && id == lw.length()-1 {
			lw.newAway = 0 // the user scrolled down to the newest record
			lw.refreshStatus()
		}
		return
	}
	// A loading row in view loads, unless the last read failed (the
	// message says so; Jump to newest or a filter change starts over).
	auto := lw.armed && lw.loadErr == nil
	if id < lw.topRow() {
		v.note("Loading older records…")
		if auto {
			lw.loadOlder()
		}
		return
	}
	v.note("Loading newer records…")
	if auto {
		lw.loadNewer()
	}
}

func (lw *logWindow) rowSelected(id widget.ListItemID) {
	lw.list.UnselectAll()
	r := lw.rowAt(id)
	if r == nil {
		return
	}
	lw.selected = r
	lw.showDetail(r)
	lw.settle(lw.list.Refresh)
	lw.refreshButtons()
}

func (lw *logWindow) showDetail(r *logRow) {
	if r == nil {
		showRecord(lw.detail, "", logPickHint)
		return
	}
	e := r.ev
	parts := []string{e.Time.In(lw.o.loc).Format(logTimeLayout + " MST")}
	for _, p := range []string{e.Slave, e.Direction, e.Remote, severityWord(e.Severity), e.Kind} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	text := strings.Join(parts, " · ")
	if e.Reason != "" {
		text += "\n" + e.Reason
	}
	if e.Error != "" {
		text += "\nError: " + e.Error
	}
	showRecord(lw.detail, text, logPickHint)
}

func (lw *logWindow) setChecked(r *logRow, checked bool) {
	if r.checked == checked {
		return
	}
	r.checked = checked
	if checked {
		lw.checked++
	} else {
		lw.checked--
	}
	lw.refreshButtons()
	lw.refreshStatus()
}

func (lw *logWindow) checkAllChanged(checked bool) {
	for _, r := range lw.rows {
		r.checked = checked
	}
	lw.checked = 0
	if checked {
		lw.checked = len(lw.rows)
	}
	lw.settle(lw.list.Refresh)
	lw.refreshButtons()
	lw.refreshStatus()
}

// settle runs f, which refreshes or scrolls the list, without letting
// the loading rows that pass through view on the way start a load: f
// ends with the list where the user had it, and the caller decides.
func (lw *logWindow) settle(f func()) {
	armed := lw.armed
	lw.armed = false
	f()
	lw.armed = armed
}

// topShows reports whether the list is scrolled to its top row.
func (lw *logWindow) topShows() bool { return lw.list.GetScrollOffset() < lw.pitch }

// atBottom reports whether the list shows its last row: the user follows
// new records.
func (lw *logWindow) atBottom() bool {
	content := float32(lw.length())*lw.pitch - theme.Padding()
	view := lw.list.Size().Height
	return content <= view || lw.list.GetScrollOffset()+view >= content-lw.pitch/2
}

func (lw *logWindow) refresh() {
	lw.list.Refresh()
	switch {
	case lw.loadErr != nil:
		lw.empty.SetText("The log cannot be read: " + lw.loadErr.Error())
		lw.empty.Show()
	case len(lw.rows) == 0 && !lw.loadingFirst && !lw.loadingOlder && lw.atStart:
		if lw.slave != "" || lw.errorsOnly || lw.search != "" {
			lw.empty.SetText("No records match the filters.")
		} else {
			lw.empty.SetText("No connection events yet.")
		}
		lw.empty.Show()
	default:
		lw.empty.Hide()
	}
	lw.refreshButtons()
	lw.refreshStatus()
}

func (lw *logWindow) refreshButtons() {
	if lw.checked > 0 || lw.selected != nil {
		lw.copyBtn.Enable()
	} else {
		lw.copyBtn.Disable()
	}
	// The header's box says whether every row is ticked; setting it must
	// not tick or untick them all.
	all := lw.checked > 0 && lw.checked == len(lw.rows)
	if lw.checkAll.Checked != all {
		changed := lw.checkAll.OnChanged
		lw.checkAll.OnChanged = nil
		lw.checkAll.SetChecked(all)
		lw.checkAll.OnChanged = changed
	}
}

func (lw *logWindow) refreshStatus() {
	var parts []string
	switch {
	case lw.loadingFirst:
		parts = append(parts, "Reading the newest records…")
	default:
		parts = append(parts, nRecords(len(lw.rows))+" shown")
		if lw.loadingOlder {
			parts = append(parts, "reading older records…")
		} else if lw.atStart && len(lw.rows) > 0 {
			parts = append(parts, "from the start of the log")
		}
		if !lw.atEnd {
			parts = append(parts, "newer records are not shown")
		}
	}
	if lw.checked > 0 {
		parts = append(parts, human.Count(lw.checked)+" ticked")
	}
	lw.status.SetText(strings.Join(parts, " · "))
	if lw.newAway > 0 {
		lw.jumpBtn.SetText(fmt.Sprintf("%s (%s new)", logJumpLabel, human.Count(lw.newAway)))
		lw.jumpBtn.Importance = widget.HighImportance
	} else {
		lw.jumpBtn.SetText(logJumpLabel)
		lw.jumpBtn.Importance = widget.MediumImportance
	}
	lw.jumpBtn.Refresh()
}

// ---- Copy and export ----

// copySelected puts the ticked rows, or else the selected one, on the
// clipboard as tab-separated lines.
func (lw *logWindow) copySelected() {
	var rows []*logRow
	for _, r := range lw.rows {
		if r.checked {
			rows = append(rows, r)
		}
	}
	if len(rows) == 0 && lw.selected != nil {
		rows = append(rows, lw.selected)
	}
	if len(rows) == 0 {
		return
	}
	var b strings.Builder
	for _, r := range rows {
		fields := logFields(r.ev, lw.o.loc)
		for i, f := range fields {
			fields[i] = strings.Map(func(c rune) rune {
				if c == '\t' || c == '\n' || c == '\r' {
					return ' '
				}
				return c
			}, f)
		}
		b.WriteString(strings.Join(fields, "\t"))
		b.WriteByte('\n')
	}
	lw.app.Clipboard().SetContent(b.String())
	lw.status.SetText("Copied " + nRecords(len(rows)) + " to the clipboard.")
}

// exportDialog asks where to save, then exports every record that matches
// the filters (not only those in memory) as CSV.
func (lw *logWindow) exportDialog() {
	askSaveFile(lw.win, "lanyard-log-"+lw.o.now().In(lw.o.loc).Format("20060102-150405")+".csv", []string{".csv"},
		lw.export, func(err error) { showErr(lw.win, err) })
}

func (lw *logWindow) export(w fyne.URIWriteCloser) {
	ctx, cancel := context.WithCancel(context.Background())
	count := widget.NewLabel("Exporting…")
	bar := widget.NewProgressBarInfinite()
	progress := dialog.NewCustom("Exporting the log", "Cancel", container.NewVBox(count, bar), lw.win)
	progress.SetOnClosed(cancel)
	guardDialog(lw.win, progress, nil, nil) // Cancel stops it; Escape is too easy to press
	progress.Show()

	log, f, match, loc, page, do := lw.log, lw.serverFilter(), lw.matcher(), lw.o.loc, lw.o.exportPage, lw.o.do
	name := whereSaved(w.URI())
	go func() {
		n, err := exportLog(ctx, w, log, f, match, loc, page, func(n int) {
			do(func() { count.SetText("Exported " + nRecords(n) + "…") })
		})
		if cerr := w.Close(); err == nil {
			err = cerr
		}
		do(func() {
			cancelled := ctx.Err() != nil
			cancel()
			bar.Stop()
			progress.Hide()
			switch {
			case cancelled:
				showInfo(lw.win, "Export cancelled", fmt.Sprintf("%s holds the first %s only.", name, nRecords(n)))
			case err != nil:
				showErr(lw.win, fmt.Errorf("exporting to %s: %w", name, err))
			default:
				lw.status.SetText(fmt.Sprintf("Exported %s to %s.", nRecords(n), name))
			}
		})
	}()
}

// exportLog writes the records matching f and match to w as CSV, with a
// header line, oldest first, paging through the store. It stops at the
// newest record present when it starts, so a busy log cannot keep it
// going. progress is called after every page.
func exportLog(ctx context.Context, w io.Writer, log ConnectionLog, f store.EventFilter, match func(store.Event) bool,
	loc *time.Location, page int, progress func(int)) (int, error) {
	cw := csv.NewWriter(w)
	if err := cw.Write(exportColumns); err != nil {
		return 0, err
	}
	last, err := log.LastEvents(f, 1)
	if err != nil {
		return 0, err
	}
	n := 0
	if len(last) == 1 {
		stop := last[0].Key()
		p := f
		p.Limit = page
		for done := false; !done; {
			if err := ctx.Err(); err != nil {
				cw.Flush()
				return n, err
			}
			evs, err := log.Events(p)
			if err != nil {
				return n, err
			}
			done = len(evs) < page
			for _, e := range evs {
				if bytes.Compare(e.Key(), stop) > 0 {
					done = true
					break
				}
				if !match(e) {
					continue
				}
				if err := cw.Write(csvFields(e, loc)); err != nil {
					return n, err
				}
				n++
			}
			if len(evs) > 0 {
				p.AfterKey = evs[len(evs)-1].Key()
			}
			cw.Flush()
			if err := cw.Error(); err != nil {
				return n, err
			}
			if progress != nil {
				progress(n)
			}
		}
	}
	cw.Flush()
	return n, cw.Error()
}

// logFields are a record's cells as the table shows them.
func logFields(e store.Event, loc *time.Location) []string {
	return []string{e.Time.In(loc).Format(logTimeLayout), e.Slave, e.Direction, e.Remote,
		severityWord(e.Severity), e.Kind, e.Reason, e.Error}
}

// csvFields are a record's CSV cells: an unambiguous time, and text that
// came from the network defused so a spreadsheet does not run it.
func csvFields(e store.Event, loc *time.Location) []string {
	f := logFields(e, loc)
	f[0] = e.Time.In(loc).Format(time.RFC3339)
	for _, i := range []int{1, 3, 6, 7} {
		f[i] = human.SpreadsheetCell(f[i])
	}
	return f
}

func severityWord(s store.Severity) string {
	switch s {
	case store.SeverityError:
		return "Error"
	case store.SeverityWarning:
		return "Warning"
	case store.SeverityInfo:
		return "Info"
	}
	return string(s)
}

func severityIcon(s store.Severity) fyne.Resource {
	switch s {
	case store.SeverityError:
		return theme.NewErrorThemedResource(theme.ErrorIcon())
	case store.SeverityWarning:
		return theme.NewWarningThemedResource(theme.WarningIcon())
	}
	return theme.InfoIcon()
}

// ---- Row widgets ----

// logColumnWidths are the widths of the tick box and of every column but
// the last (the reason), which takes the rest.
var logColumnWidths = []float32{36, 152, 112, 82, 178, 96, 156}

const logReasonMinWidth = 220

// logColumnsLayout lays cells out at the fixed column widths.
type logColumnsLayout struct{}

func (logColumnsLayout) Layout(objects []fyne.CanvasObject, size fyne.Size) {
	x := float32(0)
	for i, o := range objects {
		w := size.Width - x
		if i < len(logColumnWidths) {
			w = logColumnWidths[i]
		}
		o.Move(fyne.NewPos(x, 0))
		o.Resize(fyne.NewSize(max(w, 0), size.Height))
		x += w
	}
}

func (logColumnsLayout) MinSize(objects []fyne.CanvasObject) fyne.Size {
	w, h := float32(logReasonMinWidth), float32(0)
	for _, cw := range logColumnWidths {
		w += cw
	}
	for _, o := range objects {
		h = max(h, o.MinSize().Height)
	}
	return fyne.NewSize(w, h)
}

func newLogHeader(checkAll *widget.Check) fyne.CanvasObject {
	cells := []fyne.CanvasObject{checkAll}
	for _, c := range logColumns {
		l := widget.NewLabelWithStyle(c, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
		l.Truncation = fyne.TextTruncateEllipsis
		cells = append(cells, l)
	}
	return container.New(logColumnsLayout{}, cells...)
}

// logRowView draws one row: a tick box and the record's cells, or the
// note of a loading row.
type logRowView struct {
	widget.BaseWidget
	check    *widget.Check
	cells    []*widget.Label // time, slave, direction, remote, event, reason
	sevIcon  *widget.Icon
	sevText  *widget.Label
	columns  *fyne.Container
	noteText *widget.Label
	selected *canvas.Rectangle
}

func newLogRowView() *logRowView {
	v := &logRowView{check: widget.NewCheck("", nil), sevIcon: widget.NewIcon(theme.InfoIcon()), sevText: widget.NewLabel("")}
	for range 6 {
		l := widget.NewLabel("")
		l.Truncation = fyne.TextTruncateEllipsis
		v.cells = append(v.cells, l)
	}
	v.sevText.Truncation = fyne.TextTruncateEllipsis
	severity := container.NewBorder(nil, nil, v.sevIcon, nil, v.sevText)
	c := v.cells
	v.columns = container.New(logColumnsLayout{}, v.check, c[0], c[1], c[2], c[3], severity, c[4], c[5])
	v.noteText = widget.NewLabelWithStyle("", fyne.TextAlignCenter, fyne.TextStyle{Italic: true})
	v.noteText.Hide()
	v.selected = canvas.NewRectangle(theme.Color(theme.ColorNameSelection))
	v.selected.CornerRadius = theme.SelectionRadiusSize()
	v.selected.Hide()
	v.ExtendBaseWidget(v)
	return v
}

func (v *logRowView) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(container.NewStack(v.selected, v.columns, v.noteText))
}

func (v *logRowView) show(r *logRow, loc *time.Location, selected bool, checked func(bool)) {
	e := r.ev
	v.check.OnChanged = nil
	v.check.SetChecked(r.checked)
	v.check.OnChanged = checked
	for i, text := range []string{e.Time.In(loc).Format(logTimeLayout), e.Slave, e.Direction, e.Remote, e.Kind, e.Reason} {
		if v.cells[i].Text != text {
			v.cells[i].SetText(text)
		}
	}
	v.sevIcon.SetResource(severityIcon(e.Severity))
	v.sevText.SetText(severityWord(e.Severity))
	v.noteText.Hide()
	v.columns.Show()
	switch {
	case selected:
		v.selected.FillColor = theme.Color(theme.ColorNameSelection) // the theme may have changed
		v.selected.Show()
		v.selected.Refresh()
	case v.selected.Visible():
		v.selected.Hide()
	}
}

func (v *logRowView) note(text string) {
	v.noteText.SetText(text)
	v.noteText.Show()
	v.columns.Hide()
	v.selected.Hide()
}

// nRecords says "1 record", "2 records".
func nRecords(n int) string { return human.Plural(n, "record", "records") }
