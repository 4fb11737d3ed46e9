package ui

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/lanyard/lanyard/core/agent"
	"github.com/lanyard/lanyard/core/backup"
	"github.com/lanyard/lanyard/core/human"
	"github.com/lanyard/lanyard/core/master"
)

// The Task dialog: a backup task's definition, added or edited. What can
// be checked here is checked as it is typed (the name, the numbers, the
// schedule's form); the rest (that the sources exist on the server, that
// the destination is not inside a source) is checked by the agent a
// moment after typing stops, and each problem shows under its field,
// except a field of a new task not typed in yet: what is still to fill
// in is said once under the form instead, so that a fresh dialog is not
// all red and the form does not jump as the first keys are typed. The
// schedule has presets and shows the next five runs on the server's
// clock. Save asks the agent to check again and store it; an edit made by
// another console meanwhile is refused with "changed by another console:
// reload", never overwritten.

// Texts of the Task dialog.
const (
	tdAddTitle    = "Add Backup Task"
	tdEditTitle   = "Edit Backup Task"
	tdSave        = "Save"
	tdReload      = "Reload"
	tdManual      = "Manual only"
	tdHourly      = "Every hour"
	tdDaily       = "Daily at"
	tdWeekly      = "Weekly on"
	tdCron        = "Custom (cron)"
	tdCheckDelay  = 400 * time.Millisecond
	tdSaveTimeout = 60 * time.Second
)

var tdWeekdays = []string{"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"}

// taskDialog is the open dialog.
type taskDialog struct {
	d     *dialog.CustomDialog
	win   fyne.Window
	r     runner
	rm    Remote
	slave string
	base  backup.Task // as read (version, times); the fields come from the form
	saved func(agent.TaskInfo)

	name, dest, clock, cron, overdue, speed *dialogEntry
	retries, retryWait                      *dialogEntry
	sources, excludes                       *linesEntry
	keep                                    [4]*dialogEntry
	kind, weekday                           *dialogSelect
	verify                                  *dialogSelect     // how often a run verifies its snapshot
	verifyEvery                             []backup.Duration // what each of verify's options is
	catchUp, createDest, paused             *dialogCheck
	errs                                    map[string]*widget.Label
	nextRuns, warnings, status              *widget.Label
	room                                    *widget.Label // the destination disk's free space
	pruning                                 *widget.Label // what the retention typed removes at the next run
	save                                    *widget.Button
	body                                    fyne.CanvasObject
	picker                                  *folderPicker // the last opened by a Browse… button

	mu       sync.Mutex // guards checkGen between the debounce timer and the Fyne thread
	checkGen int
	timer    *time.Timer
	agentErr string // the agent's last verdict, and its field
	agentFld string
	untyped  map[string]bool // a new task's fields not typed in yet
	toFill   bool            // status says what is still to fill in
	saving   bool            // a save is on its way: Escape waits for it
}

// tdFieldWords name the fields "still to fill in" lists.
var tdFieldWords = map[string]string{
	backup.FieldName: "a name", backup.FieldSources: "the sources", backup.FieldDestination: "a destination",
}

// showTaskDialog opens the dialog: cur nil adds a task.
func showTaskDialog(win fyne.Window, r runner, rm Remote, slave string, cur *agent.TaskInfo, paths serverPaths, saved func(agent.TaskInfo)) *taskDialog {
	td := &taskDialog{win: win, r: r, rm: rm, slave: slave, saved: saved, errs: map[string]*widget.Label{}}
	if cur != nil {
		td.base = cur.Task
	} else {
		td.base = backup.Task{Schedule: "daily@02:00", CatchUp: true, Retention: backup.Retention{KeepDaily: 14, KeepMonthly: 6},
			Retries: backup.DefaultRetries}
		td.untyped = map[string]bool{backup.FieldName: true, backup.FieldSources: true, backup.FieldDestination: true}
	}
	td.build(cur != nil, paths)
	td.fill(td.base)
	title := tdAddTitle + " on " + slave
	if cur != nil {
		title = tdEditTitle + ": " + cur.Task.Name
	}
	cancel := widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), func() { td.close() })
	td.save = widget.NewButtonWithIcon(tdSave, theme.DocumentSaveIcon(), td.submit)
	td.save.Importance = widget.HighImportance
	td.body = td.form()
	td.d = dialog.NewCustomWithoutButtons(title, formScroll(td.body), win)
	td.d.SetButtons([]fyne.CanvasObject{cancel, td.save})
	td.d.Resize(dialogSize(win, 920, 720)) // the whole form on the default window, without a scroll
	escape := func() {
		if !td.saving {
			td.close()
		}
	}
	td.d.SetOnClosed(dialogKeys(win.Canvas(), escape, nil)) // Enter is a new line in Sources
	td.d.Show()
	td.changed()
	if cur == nil {
		win.Canvas().Focus(td.name)
	}
	return td
}

func (td *taskDialog) build(editing bool, paths serverPaths) {
	c := td.win.Canvas()
	entry := func(hint string) *dialogEntry {
		e := newDialogEntry(c)
		e.SetPlaceHolder(hint)
		e.OnChanged = func(string) { td.changed() }
		return e
	}
	typed := func(e *widget.Entry, field string) {
		e.OnChanged = func(string) {
			if td.save != nil { // typed, not filled in by the dialog
				delete(td.untyped, field)
			}
			td.changed()
		}
	}
	multi := func(hint string) *linesEntry {
		e := newLines(c)
		e.SetPlaceHolder(hint)
		e.SetMinRowsVisible(3)
		e.OnChanged = func(string) { td.changed() }
		return e
	}
	td.name = entry("e.g. documents")
	typed(&td.name.Entry, backup.FieldName)
	if editing {
		td.name.Disable()
	}
	td.sources = multi("one folder or file per line, as paths on the server:\n" + paths.documents)
	typed(&td.sources.Entry, backup.FieldSources)
	td.dest = entry("a folder on the server: " + paths.backup)
	typed(&td.dest.Entry, backup.FieldDestination)
	td.excludes = multi("optional, one per line: *.tmp, node_modules, " + paths.cache)
	td.kind = newDialogSelect(c, []string{tdManual, tdHourly, tdDaily, tdWeekly, tdCron}, func(string) { td.scheduleShown(); td.changed() })
	td.clock = entry("02:00")
	td.weekday = newDialogSelect(c, tdWeekdays, func(string) { td.changed() })
	td.verify = newDialogSelect(c, nil, func(string) { td.changed() })
	td.cron = entry("30 2 * * 1-5")
	for i := range td.keep {
		td.keep[i] = entry("0")
	}
	td.overdue = entry("default: twice the schedule's interval")
	td.speed = entry("none, or e.g. 20 MiB/s")
	td.retries = entry("0: none")
	td.retryWait = entry(backup.Duration(backup.DefaultRetryWait).String())
	td.catchUp = newDialogCheck(c, "Catch up: run once at start when the server was off at the scheduled time", func(bool) { td.changed() })
	td.paused = newDialogCheck(c, "Paused: run only when started by hand, keeping the schedule", func(bool) { td.changed() })
	td.createDest = newDialogCheck(c, "Create this folder on "+td.slave+" when saving", nil)
	td.createDest.Hide()
	td.room = widget.NewLabel("")
	td.room.Importance = widget.LowImportance
	td.room.Hide()
	td.pruning = widget.NewLabel("")
	td.pruning.Wrapping = fyne.TextWrapWord
	td.pruning.Hide()
	for _, f := range []string{backup.FieldName, backup.FieldSources, backup.FieldDestination, backup.FieldExcludes,
		backup.FieldSchedule, backup.FieldRetention, backup.FieldOverdueAfter, backup.FieldSpeed, backup.FieldRetries,
		backup.FieldVerifyEvery} {
		td.errs[f] = problemLine()
	}
	td.nextRuns = lowNote("")
	td.warnings = hiddenLine(widget.WarningImportance)
	td.status = widget.NewLabel("")
	td.status.Wrapping = fyne.TextWrapWord
}

// form lays the fields out, each with its error under it.
func (td *taskDialog) form() fyne.CanvasObject {
	field := func(label string, w fyne.CanvasObject, errKey string) fyne.CanvasObject {
		l := widget.NewLabelWithStyle(label, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
		objs := []fyne.CanvasObject{l, w}
		if errKey != "" {
			objs = append(objs, td.errs[errKey])
		}
		return container.NewVBox(objs...)
	}
	keepRow := container.NewGridWithColumns(4,
		labelled("Keep last", td.keep[0]), labelled("Daily", td.keep[1]),
		labelled("Weekly", td.keep[2]), labelled("Monthly", td.keep[3]))
	schedule := container.NewVBox(
		td.kind, container.NewGridWithColumns(2, td.weekday, td.clock),
		td.cron, td.nextRuns, td.paused)
	// Browse… beside a path field picks it on the server itself.
	sources := container.NewBorder(nil, nil, nil, container.NewVBox(browseButton(td.browseSources)), td.sources)
	dest := container.NewBorder(nil, nil, nil, browseButton(td.browseDestination), td.dest)
	left := container.NewVBox(
		field("Name", td.name, backup.FieldName),
		field("Sources", sources, backup.FieldSources),
		container.NewVBox(field("Destination", dest, backup.FieldDestination), td.createDest, td.room),
		field("Exclude", td.excludes, backup.FieldExcludes),
		container.NewGridWithColumns(2, field("Speed limit", td.speed, backup.FieldSpeed),
			field("Verify the snapshots", td.verify, backup.FieldVerifyEvery)))
	right := container.NewVBox(
		field("Schedule (the server's time)", schedule, backup.FieldSchedule),
		field("Snapshots to keep (0 everywhere keeps all)", container.NewVBox(keepRow, td.pruning), backup.FieldRetention),
		field("Overdue after", td.overdue, backup.FieldOverdueAfter),
		field("Retries of a failed scheduled run", container.NewGridWithColumns(2,
			trailed(td.retries, "times,"), trailed(td.retryWait, "apart")), backup.FieldRetries),
		td.catchUp)
	return container.NewVBox(container.NewGridWithColumns(2, left, right), td.warnings, td.status)
}

// browseSources picks sources on the server, added below those typed.
func (td *taskDialog) browseSources() {
	have := lines(td.sources.Text)
	at := ""
	if len(have) > 0 {
		at = have[len(have)-1]
	}
	td.picker = showFolderPicker(td.win, td.r, td.rm, td.slave, "Choose Sources on "+td.slave, true, at, func(paths []string) {
		for _, p := range paths {
			if !slices.Contains(have, p) {
				have = append(have, p)
			}
		}
		td.sources.SetText(strings.Join(have, "\n"))
	})
}

// browseDestination picks the destination folder on the server.
func (td *taskDialog) browseDestination() {
	td.picker = showFolderPicker(td.win, td.r, td.rm, td.slave, "Choose the Destination on "+td.slave, false, td.dest.Text, func(paths []string) {
		td.dest.SetText(paths[0])
	})
}

// linesEntry is a multi-line field, one path or pattern per line, that
// Tab leaves for the next field as in any other (a tab in a path is
// pasted, never typed).
type linesEntry struct{ dialogEntry }

func newLines(c fyne.Canvas) *linesEntry {
	e := &linesEntry{dialogEntry{canvas: c}}
	e.MultiLine = true
	e.Wrapping = fyne.TextWrap(fyne.TextTruncateClip)
	e.ExtendBaseWidget(e)
	return e
}

// AcceptsTab says Tab moves the focus on.
func (e *linesEntry) AcceptsTab() bool { return false }

// trailed is w with words after it, on its line: "[ 2 ] times,".
func trailed(w fyne.CanvasObject, s string) fyne.CanvasObject {
	l := widget.NewLabel(s)
	l.Importance = widget.LowImportance
	return container.NewBorder(nil, nil, nil, l, w)
}

func labelled(s string, w fyne.CanvasObject) fyne.CanvasObject {
	l := widget.NewLabel(s)
	l.Importance = widget.LowImportance
	return container.NewVBox(l, w)
}

// fill sets the form from t.
func (td *taskDialog) fill(t backup.Task) {
	td.name.SetText(t.Name)
	td.sources.SetText(strings.Join(t.Sources, "\n"))
	td.dest.SetText(t.Destination)
	td.excludes.SetText(strings.Join(t.Excludes, "\n"))
	td.clock.SetText("02:00")
	td.weekday.SetSelected(tdWeekdays[6])
	spec := t.Schedule
	switch {
	case spec == "" || spec == backup.ScheduleManual:
		td.kind.SetSelected(tdManual)
	case spec == "hourly":
		td.kind.SetSelected(tdHourly)
	case strings.HasPrefix(spec, "daily@"):
		td.kind.SetSelected(tdDaily)
		td.clock.SetText(strings.TrimPrefix(spec, "daily@"))
	case strings.HasPrefix(spec, "weekly@"):
		td.kind.SetSelected(tdWeekly)
		day, clock, _ := strings.Cut(strings.TrimPrefix(spec, "weekly@"), "@")
		for _, w := range tdWeekdays {
			if strings.HasPrefix(strings.ToLower(w), day) {
				td.weekday.SetSelected(w)
			}
		}
		td.clock.SetText(clock)
	default:
		td.kind.SetSelected(tdCron)
		td.cron.SetText(spec)
	}
	for i, v := range []int{t.Retention.KeepLast, t.Retention.KeepDaily, t.Retention.KeepWeekly, t.Retention.KeepMonthly} {
		td.keep[i].SetText(strconv.Itoa(v))
	}
	td.overdue.SetText("")
	if t.OverdueAfter > 0 {
		td.overdue.SetText(t.OverdueAfter.String())
	}
	td.speed.SetText("")
	if t.Speed > 0 {
		td.speed.SetText(t.Speed.String())
	}
	td.retries.SetText(strconv.Itoa(t.Retries))
	td.retryWait.SetText("")
	if t.RetryWait > 0 {
		td.retryWait.SetText(t.RetryWait.String())
	}
	td.catchUp.SetChecked(t.CatchUp)
	td.paused.SetChecked(t.Paused)
	td.fillVerify(t.VerifyEvery)
	td.scheduleShown()
}

// tdVerifyChoices are how often a run may verify its snapshot, as the
// Verify field offers it; a task's other value (set on the command line)
// is offered too.
var tdVerifyChoices = []backup.Duration{0, backup.Duration(24 * time.Hour), backup.Duration(7 * 24 * time.Hour), backup.Duration(30 * 24 * time.Hour)}

// fillVerify offers the Verify field's choices with cur chosen.
func (td *taskDialog) fillVerify(cur backup.Duration) {
	td.verifyEvery = slices.Clone(tdVerifyChoices)
	if !slices.Contains(td.verifyEvery, cur) {
		td.verifyEvery = append(td.verifyEvery, cur)
	}
	opts := make([]string, len(td.verifyEvery))
	for i, d := range td.verifyEvery {
		opts[i] = capitalize(backup.VerifyWords(d))
	}
	td.verify.SetOptions(opts)
	td.verify.SetSelectedIndex(slices.Index(td.verifyEvery, cur))
}

// scheduleShown shows the inputs the chosen preset needs.
func (td *taskDialog) scheduleShown() {
	k := td.kind.Selected
	showIf(td.clock, k == tdDaily || k == tdWeekly)
	showIf(td.weekday, k == tdWeekly)
	showIf(td.cron, k == tdCron)
	if td.body != nil {
		td.body.Refresh()
	}
}

// schedule is the schedule the form says.
func (td *taskDialog) schedule() string {
	switch td.kind.Selected {
	case tdHourly:
		return "hourly"
	case tdDaily:
		return "daily@" + strings.TrimSpace(td.clock.Text)
	case tdWeekly:
		return "weekly@" + strings.ToLower(td.weekday.Selected[:3]) + "@" + strings.TrimSpace(td.clock.Text)
	case tdCron:
		return strings.TrimSpace(td.cron.Text)
	}
	return backup.ScheduleManual
}

func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// task is the definition the form says, and the problems it can tell
// without the agent, by field.
func (td *taskDialog) task() (backup.Task, map[string]string) {
	t := td.base
	problems := map[string]string{}
	t.Name = strings.TrimSpace(td.name.Text)
	if err := backup.ValidateName(t.Name); err != nil {
		problems[backup.FieldName] = capitalize(err.Error())
	}
	t.Sources = lines(td.sources.Text)
	for _, s := range t.Sources {
		if !backup.AbsOnServer(s) {
			problems[backup.FieldSources] = fmt.Sprintf("%q is not an absolute path on the server.", s)
		}
	}
	if len(t.Sources) == 0 {
		problems[backup.FieldSources] = "Give at least one folder or file to back up."
	}
	t.Destination = strings.TrimSpace(td.dest.Text)
	switch {
	case t.Destination == "":
		problems[backup.FieldDestination] = "Give the folder the snapshots go into."
	case !backup.AbsOnServer(t.Destination):
		problems[backup.FieldDestination] = fmt.Sprintf("%q is not an absolute path on the server.", t.Destination)
	}
	t.Excludes = lines(td.excludes.Text)
	t.Schedule = td.schedule()
	if _, err := backup.ParseSchedule(t.Schedule); err != nil {
		if k := td.kind.Selected; (k == tdDaily || k == tdWeekly) && errors.Unwrap(err) != nil {
			// The time typed is wrong: say so of it, not of the
			// "daily@25:00" the form made of it.
			err = errors.Unwrap(err)
		}
		problems[backup.FieldSchedule] = fullStop(capitalize(err.Error()))
	}
	var keep [4]int
	for i, e := range td.keep {
		txt := strings.TrimSpace(e.Text)
		if txt == "" {
			continue
		}
		n, err := strconv.Atoi(txt)
		if err != nil || n < 0 {
			problems[backup.FieldRetention] = fmt.Sprintf("%q is not a number of snapshots: give 0 or more.", txt)
			continue
		}
		keep[i] = n
	}
	t.Retention = backup.Retention{KeepLast: keep[0], KeepDaily: keep[1], KeepWeekly: keep[2], KeepMonthly: keep[3]}
	t.OverdueAfter = 0
	if o := strings.TrimSpace(td.overdue.Text); o != "" {
		d, err := backup.ParseDuration(o)
		if err != nil {
			problems[backup.FieldOverdueAfter] = capitalize(err.Error()) + "."
		}
		t.OverdueAfter = backup.Duration(d)
	}
	t.Speed = 0
	if v, err := backup.ParseSpeed(td.speed.Text); err != nil {
		problems[backup.FieldSpeed] = sentence(err.Error())
	} else {
		t.Speed = v
	}
	t.Retries, t.RetryWait = td.retriesTyped(problems)
	t.CatchUp = td.catchUp.Checked
	t.Paused = td.paused.Checked
	if i := td.verify.SelectedIndex(); i >= 0 && i < len(td.verifyEvery) {
		t.VerifyEvery = td.verifyEvery[i]
	}
	return t, problems
}

// retriesTyped is the retries the form says; what is wrong with them
// goes into problems.
func (td *taskDialog) retriesTyped(problems map[string]string) (n int, wait backup.Duration) {
	var err error
	if txt := strings.TrimSpace(td.retries.Text); txt != "" {
		if n, err = backup.ParseRetries(txt); err != nil {
			problems[backup.FieldRetries] = fmt.Sprintf("Retries %q: %v.", txt, err)
		}
	}
	if txt := strings.TrimSpace(td.retryWait.Text); txt != "" {
		if wait, err = backup.ParseRetryWait(txt); err != nil {
			problems[backup.FieldRetries] = fmt.Sprintf("Apart %q: %v.", txt, err)
		}
	}
	return n, wait
}

// changed re-checks the form: here at once, and on the agent once typing
// pauses.
func (td *taskDialog) changed() {
	if td.save == nil {
		return // still being built
	}
	t, problems := td.task()
	td.agentErr, td.agentFld = "", ""
	td.showProblems(problems)
	td.mu.Lock()
	td.checkGen++
	gen := td.checkGen
	if td.timer != nil {
		td.timer.Stop()
	}
	local := len(problems) == 0
	if local {
		td.timer = time.AfterFunc(tdCheckDelay, func() { td.r.do(func() { td.checkOnAgent(gen, t) }) })
	}
	td.mu.Unlock()
}

// showProblems shows each problem under its field, and what a new task
// still needs in the fields not typed in yet under the form.
func (td *taskDialog) showProblems(problems map[string]string) {
	if td.agentErr != "" {
		if _, ok := problems[td.agentFld]; !ok {
			problems[td.agentFld] = td.agentErr
		}
	}
	td.sayToFill(problems)
	// The next runs of a schedule that does not parse would be the last
	// good one's: they show again once it does.
	_, badSchedule := problems[backup.FieldSchedule]
	relayout := td.nextRuns.Visible() == badSchedule
	showIf(td.nextRuns, !badSchedule)
	for f, l := range td.errs {
		msg := problems[f]
		if td.untyped[f] {
			msg = ""
		}
		if l.Text != msg {
			l.SetText(msg)
		}
		if l.Visible() != (msg != "") {
			showIf(l, msg != "")
			relayout = true
		}
	}
	if relayout && td.body != nil {
		td.body.Refresh()
	}
	if _, ok := problems[""]; ok {
		td.status.SetText(problems[""])
	}
	if len(problems) == 0 {
		td.save.Enable()
	} else {
		td.save.Disable()
	}
}

// sayToFill says under the form which of the fields not typed in yet
// still need something, in the order they are shown.
func (td *taskDialog) sayToFill(problems map[string]string) {
	var need []string
	for _, f := range []string{backup.FieldName, backup.FieldSources, backup.FieldDestination} {
		if _, bad := problems[f]; bad && td.untyped[f] {
			need = append(need, tdFieldWords[f])
		}
	}
	switch {
	case len(need) > 0:
		td.status.SetText("To save, give " + human.List(need, len(need)) + ".")
		td.toFill = true
	case td.toFill:
		td.status.SetText("")
		td.toFill = false
	}
}

// checkOnAgent asks the agent about t, unless the form changed since.
func (td *taskDialog) checkOnAgent(gen int, t backup.Task) {
	td.mu.Lock()
	current := gen == td.checkGen
	td.mu.Unlock()
	if !current {
		return
	}
	td.status.SetText("Checking with " + td.slave + "…")
	td.r.spawn(func(ctx context.Context) {
		ctx, cancel := context.WithTimeout(ctx, taskTimeout)
		defer cancel()
		check, err := td.rm.CheckTask(ctx, td.slave, t)
		td.r.do(func() {
			td.mu.Lock()
			current := gen == td.checkGen
			td.mu.Unlock()
			if !current {
				return
			}
			if err != nil {
				td.status.SetText("Could not check with " + td.slave + ": " + err.Error())
				return
			}
			td.status.SetText("")
			td.agentErr, td.agentFld = check.Error, check.Field
			if td.agentErr != "" {
				td.agentErr = sentence(td.agentErr)
				if td.agentFld == "" {
					td.agentFld = backup.FieldSources
				}
			}
			_, problems := td.task()
			td.showProblems(problems)
			td.showWarnings(check)
			td.body.Refresh()
			td.showNextRuns(check.NextRuns)
		})
	})
}

// showWarnings shows the agent's warnings, and offers to create the
// destination when it is missing there.
func (td *taskDialog) showWarnings(check master.TaskCheck) {
	shown := make([]string, len(check.Warnings))
	for i, w := range check.Warnings {
		shown[i] = sentence(w)
	}
	td.warnings.SetText(strings.Join(shown, "\n"))
	showIf(td.warnings, len(shown) > 0)
	showIf(td.createDest, check.DestinationMissing)
	td.showRoom(check)
	td.showPruning(check)
}

// showPruning says what the retention typed removes at the next run,
// in warning colours when it is not the retention saved: a tighter
// retention removes at once what the old one kept.
func (td *taskDialog) showPruning(check master.TaskCheck) {
	p := check.Retention
	showIf(td.pruning, p.Snapshots > 0)
	if p.Snapshots == 0 {
		return
	}
	td.pruning.Importance = widget.LowImportance
	if p.Removes > 0 && check.Normalized.Retention != td.base.Retention {
		td.pruning.Importance = widget.WarningImportance
	}
	td.pruning.SetText("The next run " + p.Describe(time.Local) + ".")
}

// showRoom says how much room the destination's disk has, in warning
// colours when it is nearly full (backup.SpaceLow, by its size alone:
// no run has written there yet).
func (td *taskDialog) showRoom(check master.TaskCheck) {
	showIf(td.room, check.DestTotal > 0)
	if check.DestTotal == 0 {
		return
	}
	text, imp := fmt.Sprintf("%s free of %s on that disk", human.Bytes(check.DestFree), human.Bytes(check.DestTotal)), widget.LowImportance
	if low := backup.SpaceLow(check.DestFree, check.DestTotal, 0); low != "" {
		text, imp = "That disk "+low+": the snapshots may not fit", widget.WarningImportance
	}
	td.room.Importance = imp
	td.room.SetText(text)
}

func (td *taskDialog) showNextRuns(runs []time.Time) {
	switch {
	case len(runs) == 0 && td.paused.Checked:
		td.nextRuns.SetText("Paused: runs only when you start it (Run, Ctrl+R) until you clear Paused.")
		return
	case len(runs) == 0:
		td.nextRuns.SetText("Runs only when you start it (Run, Ctrl+R).")
		return
	}
	var parts []string
	for _, r := range runs {
		parts = append(parts, r.Format("Mon 2 Jan 15:04"))
	}
	td.nextRuns.SetText("Next runs: " + strings.Join(parts, " · "))
}

// submit saves the task on the agent behind a waiting dialog.
func (td *taskDialog) submit() {
	t, problems := td.task()
	if len(problems) > 0 {
		td.showProblems(problems)
		return
	}
	opt := agent.PutOptions{CreateDestination: td.createDest.Visible() && td.createDest.Checked}
	ctx, cancel := context.WithTimeout(context.Background(), tdSaveTimeout)
	wait := showWait(td.win, "Saving "+t.Name, "Saving the task on "+td.slave+"…", cancel)
	td.saving = true
	var check master.TaskCheck
	var info agent.TaskInfo
	// A cancel is said as any failure: the save may still reach the agent.
	spawnCancellable(td.r, ctx, cancel, func(ctx context.Context) (err error) {
		if check, err = td.rm.CheckTask(ctx, td.slave, t); err == nil && check.Error == "" {
			info, _, err = td.rm.PutTask(ctx, td.slave, t, opt)
		}
		return err
	}, func(err error, _ bool) {
		wait.hide()
		td.saving = false
		switch {
		case err == nil && check.Error != "":
			td.agentErr, td.agentFld = sentence(check.Error), check.Field
			_, problems := td.task()
			td.showProblems(problems)
		case errors.Is(err, agent.ErrConflict):
			td.conflict()
		case err != nil:
			td.status.SetText(capitalize(err.Error()))
			td.status.Importance = widget.DangerImportance
			td.status.Refresh()
		default:
			td.close()
			if td.saved != nil {
				td.saved(info)
			}
		}
	})
}

// conflict says another console saved the task first and offers to read
// it again (the edits here are then lost, on purpose: the other console's
// are on the server).
func (td *taskDialog) conflict() {
	name := td.base.Name
	msg := fmt.Sprintf("%s was changed by another console since this dialog read it: reload to see the version on %s, then make your change again.", name, td.slave)
	showCustomConfirm(td.win, "Changed by another console", tdReload, "Keep editing", widget.NewLabel(msg), func(reload bool) {
		if !reload {
			return
		}
		td.r.spawn(func(ctx context.Context) {
			ctx, cancel := context.WithTimeout(ctx, taskTimeout)
			defer cancel()
			cur, err := td.rm.Task(ctx, td.slave, name)
			td.r.do(func() {
				if err != nil {
					td.status.SetText(capitalize(err.Error()))
					return
				}
				td.base = cur.Task
				td.fill(cur.Task)
				td.changed()
				td.status.SetText(fmt.Sprintf("Reloaded version %d from %s.", cur.Task.Version, td.slave))
			})
		})
	})
}

func (td *taskDialog) close() {
	td.mu.Lock()
	td.checkGen++
	if td.timer != nil {
		td.timer.Stop()
	}
	td.mu.Unlock()
	td.d.Hide()
}
