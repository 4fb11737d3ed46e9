package ui

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/lanyard/lanyard/core/human"
	"github.com/lanyard/lanyard/core/logtail"
	"github.com/lanyard/lanyard/core/master"
	"github.com/lanyard/lanyard/core/wire/pb"
)

// The Log tab: a live tail of the selected slave's agent log. While the
// tab shows a connected slave, one stream runs (the last lines, then new
// ones as the agent writes them); lines gather off the Fyne thread and
// land at most once per refresh interval in one fyne.Do, however fast the
// agent writes, into a bounded buffer a virtualised list shows. The level
// filter and the starting point (the last lines, since an hour, since
// midnight, the whole file) are the agent's (changing them reads the
// backlog afresh), the search is applied here. Pause freezes the view;
// lines that arrive meanwhile wait, bounded too, and appear on Resume. A
// line selected reads in full under the list (a long one is cut in it).

// Texts of the Log tab.
const (
	logTabLevelAll      = "All levels"
	logTabLevelInfo     = "Info and above"
	logTabLevelWarnings = "Warnings and errors"
	logTabLevelErrors   = "Errors only"
	logTabSearch        = "Search the lines shown"
	logTabFromLast      = "Last 500 lines"
	logTabFromHour      = "Since an hour ago"
	logTabFromToday     = "Since midnight"
	logTabFromAll       = "The whole log file"
	logTabPause         = "Pause"
	logTabResume        = "Resume"
	logTabCopy          = "Copy"
	logTabPickHint      = "Select a line to read it in full here."
)

// logTabSplit is where the tab's divider was left.
const logTabSplit splitKept = "logtab.split"

// logTabLevels maps the level choices to the agent's minimum level.
var logTabLevels = map[string]string{
	logTabLevelAll: "", logTabLevelInfo: "info", logTabLevelWarnings: "warning", logTabLevelErrors: "error",
}

const (
	// logTabMaxLines bounds the lines kept (and the lines waiting while
	// paused).
	logTabMaxLines = 10_000
	// logTabBacklog is how many lines of the past a tail starts with.
	logTabBacklog = 500
)

type logEntry struct {
	text  string
	level string
}

type logTab struct {
	obj   fyne.CanvasObject
	r     runner
	rm    Remote
	every time.Duration

	level   *widget.Select
	from    *widget.Select
	now     func() time.Time
	search  *searchEntry
	pause   *widget.Button
	copyBtn *widget.Button
	status  *widget.Label
	list    *widget.List
	line    *widget.Label    // the line selected, in full
	body    *container.Split // under the list

	lines   []logEntry
	shown   []int // indices of lines matching the search; nil: all
	query   string
	paused  bool
	held    []logEntry
	dropped int // lines dropped by the bounds since the tail started

	following // the generation: which stream the lines arriving belong to
	cancel    context.CancelFunc
	running   bool
	problem   string // why no tail runs, in plain words
}

func newLogTab(r runner, rm Remote, every time.Duration, now func() time.Time) *logTab {
	t := &logTab{r: r, rm: rm, every: every, now: now}
	t.level = widget.NewSelect([]string{logTabLevelAll, logTabLevelInfo, logTabLevelWarnings, logTabLevelErrors},
		func(string) { t.restart() })
	t.level.Selected = logTabLevelAll
	t.from = widget.NewSelect([]string{logTabFromLast, logTabFromHour, logTabFromToday, logTabFromAll},
		func(string) { t.restart() })
	t.from.Selected = logTabFromLast
	fitOptions(t.level)
	fitOptions(t.from)
	t.search = newSearchEntry(nil, logTabSearch, t.setQuery)
	t.pause = widget.NewButtonWithIcon(logTabPause, theme.MediaPauseIcon(), t.togglePause)
	t.copyBtn = widget.NewButtonWithIcon(logTabCopy, theme.ContentCopyIcon(), t.copyShown)
	t.status = widget.NewLabel("")
	t.status.Truncation = fyne.TextTruncateEllipsis
	t.list = widget.NewList(t.length, t.newRow, t.updateRow)
	var lineView *container.Scroll
	t.line, lineView = newRecordView(logTabPickHint, 3)
	t.list.OnSelected = func(id widget.ListItemID) {
		if id < t.length() {
			showRecord(t.line, t.entry(id).text, logTabPickHint)
		}
	}
	bar := container.NewBorder(nil, nil, container.NewHBox(t.from, t.level, t.pause, t.copyBtn), nil, t.search)
	t.body = recordSplit(t.list, lineView)
	t.obj = container.NewBorder(container.NewVBox(bar, t.status), nil, nil, nil, t.body)
	t.showStatus()
	return t
}

func (t *logTab) length() int {
	if t.shown != nil {
		return len(t.shown)
	}
	return len(t.lines)
}

func (t *logTab) entry(i int) logEntry {
	if t.shown != nil {
		return t.lines[t.shown[i]]
	}
	return t.lines[i]
}

func (t *logTab) newRow() fyne.CanvasObject {
	l := widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})
	l.Truncation = fyne.TextTruncateEllipsis
	return l
}

func (t *logTab) updateRow(id widget.ListItemID, o fyne.CanvasObject) {
	if id >= t.length() {
		return
	}
	e := t.entry(id)
	l := o.(*widget.Label)
	imp := widget.MediumImportance
	switch e.level {
	case "error":
		imp = widget.DangerImportance
	case "warning":
		imp = widget.WarningImportance
	case "debug":
		imp = widget.LowImportance
	}
	if l.Text != e.text || l.Importance != imp {
		l.Importance = imp
		l.Text = e.text
		l.Refresh()
	}
}

// show follows the slave shown in the detail pane.
func (t *logTab) show(v master.SlaveView) {
	switch other, relinked, _ := t.follow(v); {
	case other:
		t.stopStream()
		t.lines, t.shown, t.held, t.dropped, t.problem = nil, nil, nil, 0, ""
		t.refilter()
		t.unchoose()
		t.list.Refresh()
	case relinked:
		t.problem = "" // a new link: try again
	}
	t.sync()
}

// setVisible says whether the tab is the one selected.
func (t *logTab) setVisible(on bool) {
	t.visible = on
	t.sync()
}

// clear forgets the slave (nothing selected).
func (t *logTab) clear() {
	t.stop()
	t.forget()
}

// sync runs a tail exactly while the tab shows a connected slave.
func (t *logTab) sync() {
	want := t.wanted() && t.problem == ""
	switch {
	case want && !t.running:
		t.start()
	case !want && t.running:
		t.stop()
	}
	t.showStatus()
}

func (t *logTab) restart() {
	if t.running {
		t.stop()
	}
	t.problem = ""
	t.lines, t.shown, t.held, t.dropped = nil, nil, nil, 0
	t.refilter()
	t.unchoose()
	t.list.Refresh()
	t.sync()
}

// unchoose lets go of the line selected: the lines under it changed.
func (t *logTab) unchoose() {
	t.list.UnselectAll()
	showRecord(t.line, "", logTabPickHint)
}

func (t *logTab) stop() {
	t.stopStream()
	t.begin() // lines still arriving from the stream are dropped
}

// stopStream ends the stream, if one runs.
func (t *logTab) stopStream() {
	if t.cancel != nil {
		t.cancel()
		t.cancel = nil
	}
	t.running = false
}

// start begins a tail of the slave's log: the stream runs in one
// goroutine, the lines it brings wait in a feed, and a second goroutine
// hands them to the Fyne thread once per interval.
func (t *logTab) start() {
	gen, slave := t.begin()
	q := t.logQuery()
	stopCtx, stop := context.WithCancel(context.Background())
	t.running, t.cancel = true, stop
	f := &logFeed{}
	t.r.spawn(func(wctx context.Context) {
		ctx, cancel := context.WithCancel(wctx)
		defer cancel()
		defer context.AfterFunc(stopCtx, cancel)()
		pumped := make(chan struct{})
		go func() {
			defer close(pumped)
			t.pump(ctx, gen, f)
		}()
		err := t.rm.AgentLog(ctx, slave, q, func(lines []*pb.LogLine) error {
			f.add(lines)
			return nil
		})
		cancel()
		<-pumped
		if stopCtx.Err() != nil || wctx.Err() != nil {
			return // stopped on purpose, or the window closed
		}
		batch, dropped := f.take()
		t.r.do(func() {
			if !t.latest(gen) {
				return
			}
			stop()
			t.append(batch, dropped)
			t.running, t.cancel = false, nil
			t.problem = logProblem(slave, err)
			t.showStatus()
		})
	})
}

// logQuery is the tail the choices ask for: where in the past it starts,
// at which level, then following.
func (t *logTab) logQuery() master.LogQuery {
	q := master.LogQuery{Follow: true, MinLevel: logTabLevels[t.level.Selected]}
	now := t.now()
	switch t.from.Selected {
	case logTabFromHour:
		q.Since = now.Add(-time.Hour)
	case logTabFromToday:
		y, m, d := now.Date()
		q.Since = time.Date(y, m, d, 0, 0, 0, 0, now.Location())
	case logTabFromAll:
		q.All = true
	default:
		q.Last = logTabBacklog
	}
	return q
}

// pump hands what the feed gathered to the Fyne thread, at most once per
// interval and never while the previous hand-over is still waiting.
func (t *logTab) pump(ctx context.Context, gen int, f *logFeed) {
	tick := time.NewTicker(t.every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if !f.due() {
			continue
		}
		batch, dropped := f.take()
		f.handing()
		t.r.do(func() {
			f.handed()
			if t.latest(gen) {
				t.append(batch, dropped)
			}
		})
	}
}

// logProblem says why a tail ended, in the words the tab shows.
func logProblem(slave string, err error) string {
	var ns *master.NotSupportedError
	switch {
	case err == nil, errors.Is(err, context.Canceled):
		return "The agent ended the log of " + slave + ". Choose a starting point or a level to read it again."
	case errors.As(err, &ns):
		return ns.Error()
	}
	return fmt.Sprintf("The log of %s stopped: %s", slave, capitalize(err.Error()))
}

// append takes a batch of new lines: into the view, or held while
// paused; both bounded, the oldest going first.
func (t *logTab) append(batch []logEntry, dropped int) {
	t.dropped += dropped
	if len(batch) == 0 && dropped == 0 {
		return
	}
	if t.paused {
		t.held = appendBounded(t.held, batch, &t.dropped)
		t.showStatus()
		return
	}
	before := t.dropped
	t.lines = appendBounded(t.lines, batch, &t.dropped)
	if t.dropped != before {
		t.unchoose() // the lines moved up under the selection
	}
	t.refilter()
	t.list.Refresh()
	t.list.ScrollToBottom()
	t.showStatus()
}

// appendBounded appends and drops the oldest beyond logTabMaxLines,
// counting them in dropped.
func appendBounded(dst, src []logEntry, dropped *int) []logEntry {
	dst = append(dst, src...)
	if over := len(dst) - logTabMaxLines; over > 0 {
		*dropped += over
		dst = append(dst[:0], dst[over:]...)
	}
	return dst
}

func (t *logTab) setQuery(q string) {
	t.query = strings.ToLower(strings.TrimSpace(q))
	t.refilter()
	t.unchoose()
	t.list.Refresh()
	t.showStatus()
}

// refilter finds the lines that match the search.
func (t *logTab) refilter() {
	if t.query == "" {
		t.shown = nil
		return
	}
	t.shown = t.shown[:0]
	if t.shown == nil {
		t.shown = []int{}
	}
	for i, l := range t.lines {
		if strings.Contains(strings.ToLower(l.text), t.query) {
			t.shown = append(t.shown, i)
		}
	}
}

func (t *logTab) togglePause() {
	t.paused = !t.paused
	if t.paused {
		t.pause.SetText(logTabResume)
		t.pause.SetIcon(theme.MediaPlayIcon())
	} else {
		t.pause.SetText(logTabPause)
		t.pause.SetIcon(theme.MediaPauseIcon())
		held := t.held
		t.held = nil
		t.append(held, 0)
	}
	t.showStatus()
}

// copyShown puts the lines shown (the search applied) on the clipboard.
func (t *logTab) copyShown() {
	var b strings.Builder
	for i := range t.length() {
		b.WriteString(t.entry(i).text)
		b.WriteByte('\n')
	}
	fyne.CurrentApp().Clipboard().SetContent(b.String())
	t.status.SetText(fmt.Sprintf("Copied %s to the clipboard.", human.Plural(t.length(), "line", "lines")))
}

// showStatus says what the tab is doing.
func (t *logTab) showStatus() {
	var s string
	switch {
	case t.slave == "":
		s = ""
	case t.problem != "":
		s = t.problem
	case !t.linked:
		s = t.notLinked("its log shows here once it is")
	case t.paused:
		s = fmt.Sprintf("Paused · %s waiting", human.Plural(len(t.held), "new line", "new lines"))
	case t.query != "":
		s = fmt.Sprintf("%s of %s match", human.Plural(len(t.shown), "line", "lines"), human.Count(len(t.lines)))
	case t.running:
		s = fmt.Sprintf("Following the log of %s · %s", t.slave, human.Plural(len(t.lines), "line", "lines"))
	default:
		s = fmt.Sprintf("The log of %s · %s", t.slave, human.Plural(len(t.lines), "line", "lines"))
	}
	if t.dropped > 0 && t.problem == "" && t.linked {
		s += fmt.Sprintf(" (%d older lines let go to keep up)", t.dropped)
	}
	if t.status.Text != s {
		t.status.SetText(s)
	}
	// Nothing to pause or copy from a server not linked, its log never
	// read; a pause is always let go.
	enableIf(t.pause, t.linked || t.paused)
	enableIf(t.copyBtn, t.length() > 0)
}

// logFeed gathers lines off the Fyne thread until the pump takes them.
type logFeed struct {
	mu       sync.Mutex
	pending  []logEntry
	dropped  int
	inflight bool // a hand-over waits for the Fyne thread
}

func (f *logFeed) add(lines []*pb.LogLine) {
	now := time.Now()
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, l := range lines {
		f.pending = append(f.pending, logEntry{text: readableLine(l, now), level: l.Level})
	}
	if over := len(f.pending) - logTabMaxLines; over > 0 {
		f.dropped += over
		f.pending = append(f.pending[:0], f.pending[over:]...)
	}
}

// readableLine is a log line as the Log tab shows it: the time (in this
// computer's time zone; with the date when not today), the level, the
// message, then the other fields, instead of logrus's time="…" level=…
// msg="…". A line in another form is shown as written.
func readableLine(l *pb.LogLine, now time.Time) string {
	msg, fields := logtail.Message(l.Text)
	if fields == nil && msg == l.Text {
		return l.Text
	}
	var b strings.Builder
	if l.TimeUnixNano != 0 {
		t := time.Unix(0, l.TimeUnixNano).In(now.Location())
		layout := "15:04:05"
		if !human.SameDay(t, now) {
			layout = "Jan 02 15:04:05" // the width of the rest, so that the lines' columns still align
		}
		b.WriteString(t.Format(layout) + "  ")
	}
	if l.Level != "" {
		fmt.Fprintf(&b, "%-5s  ", strings.ToUpper(strings.TrimSuffix(l.Level, "ing"))) // warning: WARN
	}
	b.WriteString(msg)
	for i, f := range fields {
		if i == 0 {
			b.WriteString("  ")
		} else {
			b.WriteByte(' ')
		}
		v := f.Value
		if v == "" || strings.ContainsAny(v, " \"=") {
			v = strconv.Quote(v)
		}
		b.WriteString(f.Key + "=" + v)
	}
	return b.String()
}

// due: there is something to hand over and no hand-over waits.
func (f *logFeed) due() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return !f.inflight && (len(f.pending) > 0 || f.dropped > 0)
}

func (f *logFeed) take() ([]logEntry, int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, d := f.pending, f.dropped
	f.pending, f.dropped = nil, 0
	return b, d
}

func (f *logFeed) handing() { f.mu.Lock(); f.inflight = true; f.mu.Unlock() }
func (f *logFeed) handed()  { f.mu.Lock(); f.inflight = false; f.mu.Unlock() }

// fitOptions makes sel wide enough for its longest option. A Select is as
// wide as its placeholder, which a Select that always has a choice never
// shows, so the choice was cut ("Last 500 lin…").
func fitOptions(sel *widget.Select) {
	size := theme.TextSize()
	for _, o := range sel.Options {
		if fyne.MeasureText(o, size, fyne.TextStyle{}).Width > fyne.MeasureText(sel.PlaceHolder, size, fyne.TextStyle{}).Width {
			sel.PlaceHolder = o
		}
	}
}
