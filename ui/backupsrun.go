package ui

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/lanyard/lanyard/core/human"
	"github.com/lanyard/lanyard/core/master"
)

// The Backups window's Run Tasks Shown…: every task the filters show,
// run again at once on its own server, once the cause of their failure
// is fixed (a customer's NAS mounted again, say). Filter by state and
// group first: "failed" in Acme, then Run Tasks Shown.

// TaskRunner starts tasks of many slaves at once (master.RunTasks).
type TaskRunner interface {
	RunTasks(ctx context.Context, tasks []master.TaskRef, done func(i int, err error))
}

var _ TaskRunner = (*master.Master)(nil) // the console's window has the button

const (
	backupsRunShown = "Run Tasks Shown…"
	// errorsShown is how many failures of a command to many servers a
	// window names; the rest are counted.
	errorsShown = 5
)

// shownRuns sorts the rows shown: those to run, and how many are left
// out because they run already or their slave is not linked.
type shownRuns struct {
	run             []master.TaskRef
	servers         int
	running, absent int
}

func (v *backupsView) shownRuns() shownRuns {
	var s shownRuns
	seen := map[string]bool{}
	for _, b := range v.snap.visible {
		switch r := &b.r; {
		case r.Running:
			s.running++
		case !r.Runnable():
			s.absent++
		default:
			s.run = append(s.run, master.TaskRef{Slave: r.Slave, Task: r.Task})
			if !seen[r.SlaveID] {
				seen[r.SlaveID] = true
				s.servers++
			}
		}
	}
	return s
}

// askRunShown asks before running every task shown that can run.
func (v *backupsView) askRunShown() {
	s := v.shownRuns()
	if len(s.run) == 0 {
		return
	}
	text := fmt.Sprintf("Run %s on %s now?\n\nEach runs as Run does in its server's Tasks tab, and this list follows it.",
		human.Plural(len(s.run), "task", "tasks"), human.Plural(s.servers, "server", "servers"))
	var left []string
	if s.running > 0 {
		left = append(left, human.Plural(s.running, "task", "tasks")+" already running")
	}
	if s.absent > 0 {
		left = append(left, human.Plural(s.absent, "task", "tasks")+" on servers not connected")
	}
	if len(left) > 0 {
		text += "\nNot run: " + human.List(left, len(left)) + "."
	}
	msg := widget.NewLabel(text)
	label := "Run " + human.Plural(len(s.run), "Task", "Tasks")
	d, _ := askDialog(v.win, "Run tasks", msg, label, theme.MediaPlayIcon(), widget.HighImportance, func() bool {
		v.runShown(s.run)
		return true
	})
	d.Show()
}

// runShown starts tasks with a progress bar and Cancel, and names the
// ones that could not start.
func (v *backupsView) runShown(tasks []master.TaskRef) {
	ctx, cancel := context.WithCancel(v.ctx)
	p := showProgress(v.win, "Running tasks", "Starting "+human.Plural(len(tasks), "task", "tasks")+"…", cancel)
	v.wg.Go(func() {
		defer cancel()
		var errs []error
		done := 0
		v.runner.RunTasks(ctx, tasks, func(i int, err error) { // one call at a time
			if err != nil {
				errs = append(errs, fmt.Errorf("%s / %s: %w", tasks[i].Slave, tasks[i].Task, err))
			}
			done++
			n := done
			v.o.do(func() {
				p.bar.SetValue(float64(n) / float64(len(tasks)))
				p.words.SetText(fmt.Sprintf("Starting %s: %s asked so far…", human.Plural(len(tasks), "task", "tasks"), human.Count(n)))
			})
		})
		v.o.do(func() {
			p.d.Hide()
			if len(errs) > 0 && v.ctx.Err() == nil {
				showInfo(v.win, fmt.Sprintf("%s of %s did not start", human.Count(len(errs)), human.Plural(len(tasks), "task", "tasks")),
					capitalize(someErrors(errs).Error()))
			}
		})
	})
}

// someErrors joins the first errorsShown of errs, and counts the rest.
func someErrors(errs []error) error {
	shown := slices.Clone(errs[:min(len(errs), errorsShown)])
	if more := len(errs) - len(shown); more > 0 {
		shown = append(shown, fmt.Errorf("and %s more", human.Count(more)))
	}
	return errors.Join(shown...)
}

// showRunButton enables Run Tasks Shown… while a task shown can run.
func (v *backupsView) showRunButton() {
	if v.run == nil {
		return
	}
	if slices.ContainsFunc(v.snap.visible, func(b *bRow) bool { return b.r.Runnable() }) {
		v.run.Enable()
	} else {
		v.run.Disable()
	}
}
