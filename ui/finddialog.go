package ui

import (
	"context"
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/lanyard/lanyard/core/backup"
	"github.com/lanyard/lanyard/core/human"
)

// The Tasks tab's Find a File…: a file looked for in every task's
// snapshots, for when its task is not known; the version chosen opens in
// its task's Restore dialog, its snapshot chosen and the file ticked.

const (
	fdTitle   = "Find a File on"
	fdRestore = "Restore…"
	fdFind    = "Find"
	fdStop    = "Stop"
)

// findButton is a dialog's Find button, which reads Stop while its
// search is under way, and then calls it off.
type findButton struct {
	btn       *widget.Button
	searching bool
	stop      context.CancelFunc
}

func newFindButton(find func()) *findButton {
	b := &findButton{}
	b.btn = widget.NewButtonWithIcon(fdFind, theme.SearchIcon(), func() {
		if b.searching {
			b.stop()
			return
		}
		find()
	})
	return b
}

// start marks a search under way, and returns its context: ctx's, until
// Stop.
func (b *findButton) start(ctx context.Context) context.Context {
	ctx, b.stop = context.WithCancel(ctx)
	b.searching = true
	b.btn.SetText(fdStop)
	b.btn.SetIcon(theme.MediaStopIcon())
	return ctx
}

// done marks the search over.
func (b *findButton) done() {
	b.stop()
	b.searching = false
	b.btn.SetText(fdFind)
	b.btn.SetIcon(theme.SearchIcon())
}

// foundIn is a file found, with the task whose snapshot holds it.
type foundIn struct {
	task string
	f    backup.FoundFile
}

type findDialog struct {
	d       *dialog.CustomDialog
	win     fyne.Window
	r       runner
	rm      Remote
	slave   string
	tasks   []string
	eg      serverPaths
	entry   *dialogEntry
	btn     *findButton
	status  *widget.Label
	list    *dialogList
	pick    *widget.Button
	found   []foundIn            // what reports hold, task after task
	reports []*backup.FindReport // each task's, as its parts came
	chosen  int
	ctx     context.Context
	cancel  context.CancelFunc
	// restore is the Restore dialog the version chosen opened (tests).
	restore *restoreDialog
}

// showFindDialog opens Find a File for the tasks of slave.
func showFindDialog(win fyne.Window, r runner, rm Remote, slave string, tasks []string, eg serverPaths) *findDialog {
	fd := &findDialog{win: win, r: r, rm: rm, slave: slave, tasks: tasks, eg: eg, chosen: -1}
	fd.ctx, fd.cancel = context.WithCancel(context.Background())
	fd.entry = newDialogEntry(win.Canvas())
	fd.entry.SetPlaceHolder(rdFindHint)
	fd.entry.OnSubmitted = func(string) { fd.find() }
	fd.btn = newFindButton(fd.find) // Stop keeps what was found up to then
	fd.status = widget.NewLabel(fmt.Sprintf("Looks in every snapshot of %s on %s.", human.Plural(len(tasks), "task", "tasks"), slave))
	fd.status.Wrapping = fyne.TextWrapWord
	fd.list = foundList(win.Canvas(), func() int { return len(fd.found) }, true, func(i int) (string, string) {
		return foundPlace(fd.found[i].f.Path), fd.found[i].task + " · " + foundLine(fd.found[i].f)
	})
	fd.list.OnSelected = func(i widget.ListItemID) { fd.chosen = i; fd.pick.Enable() }
	top := container.NewVBox(container.NewBorder(nil, nil, nil, fd.btn.btn, fd.entry), fd.status)
	fd.d, fd.pick = chooseDialog(win, fdTitle+" "+slave, container.NewBorder(top, nil, nil, nil, fd.list), fdRestore,
		theme.DownloadIcon(), fd.restoreChosen, fd.cancel)
	fd.pick.Disable()
	fd.d.Resize(dialogSize(win, 820, 520))
	fd.d.Show()
	win.Canvas().Focus(fd.entry)
	return fd
}

// find looks for the pattern typed in each task's snapshots in turn,
// saying which task and how far, and lists what it found as it comes.
// Its button stops it meanwhile (Enter does not).
func (fd *findDialog) find() {
	if fd.btn.searching {
		return
	}
	pattern, ok := typedPattern(&fd.entry.Entry, fd.status, fd.eg.goos)
	if !ok {
		return
	}
	fd.found, fd.reports, fd.chosen = nil, nil, -1
	fd.list.UnselectAll()
	fd.list.Refresh()
	fd.pick.Disable()
	ctx := fd.btn.start(fd.ctx)
	tasks := fd.tasks
	fd.r.spawn(func(wctx context.Context) {
		defer context.AfterFunc(wctx, fd.cancel)()
		var summaries []string
		stopped := ""
		// Nothing in any task is said once, not once per task.
		nothing, empty := backup.FindReport{Pattern: pattern}, 0 // and how many tasks found nothing
		for i, task := range tasks {
			looking := fmt.Sprintf("Looking for %s in %s (task %d of %d)…", pattern, task, i+1, len(tasks))
			fd.r.do(func() { fd.status.SetText(looking) })
			fr, err := findShowing(ctx, fd.r, fd.rm, fd.slave, task, pattern, looking, fd.status, func(part backup.FindPart) {
				fd.r.do(func() { fd.add(task, part) })
			})
			if fd.ctx.Err() != nil {
				return // the dialog closed
			}
			if err != nil && ctx.Err() != nil {
				stopped = stoppedIn(task, len(fr.Found), len(tasks)-i-1)
				break
			}
			if err != nil {
				summaries = append(summaries, task+": "+err.Error())
				continue
			}
			fd.r.do(func() { fd.finish(task, fr) })
			summaries = append(summaries, task+": "+fr.Summary())
			if len(fr.Found) == 0 && len(fr.Unreadable) == 0 {
				nothing.Snapshots += fr.Snapshots
				empty++
			}
		}
		if len(tasks) > 1 && empty == len(tasks) && nothing.Snapshots > 0 {
			summaries = []string{capitalize(nothing.Summary())}
		}
		fd.r.do(func() {
			fd.btn.done()
			text := strings.Join(summaries, "; ") + "." // a task's name as it is written
			if len(summaries) == 0 {
				text = ""
			}
			text = strings.TrimSpace(text + " " + stopped)
			if len(fd.found) > 0 {
				text += " Choose the version to restore."
			}
			fd.status.SetText(text)
			if len(fd.found) == 1 {
				fd.list.Select(0) // nothing to choose between
			}
		})
	})
}

// add puts what a part of task's answer found into its report, the
// last one (tasks are searched one after another), and lists the
// reports' versions again.
func (fd *findDialog) add(task string, part backup.FindPart) {
	if n := len(fd.reports); n == 0 || fd.reports[n-1].Task != task {
		fd.reports = append(fd.reports, &backup.FindReport{Task: task})
	}
	fd.reports[len(fd.reports)-1].Add(part)
	fd.relist()
}

// finish ends task's report with its answer's end, which says which
// files are gone from the newest snapshot.
func (fd *findDialog) finish(task string, fr backup.FindReport) {
	if n := len(fd.reports); n > 0 && fd.reports[n-1].Task == task {
		fd.reports[n-1].Finish(fr.Newest, fr.NewestTime)
		fd.relist()
	}
}

// relist lists the reports' versions again, task after task.
func (fd *findDialog) relist() {
	fd.found = fd.found[:0]
	for _, rep := range fd.reports {
		for _, f := range rep.Found {
			fd.found = append(fd.found, foundIn{task: rep.Task, f: f})
		}
	}
	fd.list.Refresh()
}

// stoppedIn says where Stop called a search off: in task, which had found
// found files so far, with left tasks after it not searched.
func stoppedIn(task string, found, left int) string {
	text := "Stopped partway through " + task
	if found > 0 {
		text += fmt.Sprintf(" (%s found there so far)", human.Count(found))
	}
	if left > 0 {
		text += "; " + human.Plural(left, "more task", "more tasks") + " not searched"
	}
	return text + "."
}

// restoreChosen opens the Restore dialog of the chosen version's task on
// its snapshot, the file ticked.
func (fd *findDialog) restoreChosen() bool {
	if fd.chosen < 0 || fd.chosen >= len(fd.found) {
		return false
	}
	c := fd.found[fd.chosen]
	fd.restore = showRestoreDialog(fd.win, fd.r, fd.rm, fd.slave, c.task, c.f.Snapshot, fd.eg)
	fd.restore.tickFirst = treePath(c.f)
	return true
}
