package console

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/lanyard/lanyard/app/cmdline"
	"github.com/lanyard/lanyard/app/taskcli"
	"github.com/lanyard/lanyard/core/control"
	"github.com/lanyard/lanyard/core/health"
	"github.com/lanyard/lanyard/core/human"
	"github.com/lanyard/lanyard/core/master"
)

// `lanyard task rerun [--state S] [--group G] [--slave NAME]`: the tasks
// that failed (or are in another state) run again at once, each on its
// own slave (master.RunTasks), as the Backups window's Run Tasks Shown…
// does: after a customer's NAS is back, say. The console's own task
// command: an agent knows no other server.

const opTaskRerun = "task_rerun"

// rerunJSON is one task run again, or that would be (--dry-run).
type rerunJSON struct {
	Slave   string       `json:"slave"`
	Group   string       `json:"group,omitempty"`
	Task    string       `json:"task"`
	State   health.State `json:"state"`
	Started bool         `json:"started"`
	Error   string       `json:"error,omitempty"`
	Outcome string       `json:"outcome"` // "started", "would run", "not started: …"
}

// rerunResult counts the tasks of the states asked for that were left
// out: running already, or on a slave not linked.
type rerunResult struct {
	Running int `json:"running"`
	Absent  int `json:"not_connected"`
}

func taskRerunCmd(e *env, slave *string) *cobra.Command {
	var states []string
	var group string
	var dryRun, asJSON bool
	cmd := &cobra.Command{
		Use:   "rerun [--state failed|overdue|unknown|ok[,…]] [--group G] [--slave NAME] [--dry-run] [--json]",
		Short: "Run again, at once, the tasks that failed (or are overdue…) across the fleet",
		Long: `Run again every task in the given states (failed by default; repeat
--state, or separate states with commas) of every slave, of one group
(--group) or of one slave (--slave), each on its own slave as task run
does, sixteen slaves at a time: after a customer's NAS is back, say. A
task that runs already, or is on a slave not connected, is left out and
counted. One line per task says whether its run started; the exit code
is 1 when any did not start. --dry-run lists the tasks it would run.
Through the running console; the Backups window's Run Tasks Shown… does
the same for the tasks its filters show.`,
		Example: "  lanyard task rerun --group Acme\n  lanyard task rerun --state failed,overdue --dry-run",
		Args:    cmdline.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			want, err := rerunStates(states)
			if err != nil {
				return cmdline.Usage(err)
			}
			req := ctlRequest{Op: opTaskRerun, Slave: *slave, Group: group, States: want, DryRun: dryRun}
			r, err := e.call(cmd.Context(), req, func(part ctlResponse) error {
				if !asJSON {
					for _, t := range part.Reruns {
						fmt.Fprintf(e.stdout, "%s / %s: %s\n", t.Slave, t.Task, t.Outcome)
					}
				}
				return nil
			})
			if err != nil {
				return err
			}
			return printReruns(e.stdout, &r, want, dryRun, asJSON)
		},
	}
	cmd.Flags().StringSliceVar(&states, "state", []string{string(health.StateFailed)}, "the states whose tasks run again (repeat, or separate with commas)")
	cmd.Flags().StringVar(&group, "group", "", "only this group's slaves")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "list the tasks it would run, and run none")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object per task")
	return cmd
}

// rerunStates reads --state: states a task can be run again in.
func rerunStates(names []string) ([]health.State, error) {
	var out []health.State
	for _, n := range names {
		if n = strings.TrimSpace(n); n == "" {
			continue
		}
		st, err := health.ParseState(n)
		if err != nil {
			return nil, fmt.Errorf("--state: %w", err)
		}
		if st == health.StateRunning {
			return nil, fmt.Errorf("--state running: those tasks run already; give failed, overdue, unknown or ok")
		}
		if !slices.Contains(out, st) {
			out = append(out, st)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("--state: give the states whose tasks run again, such as failed")
	}
	return out, nil
}

// printReruns ends the command: the JSON, or a count; an error when a
// task did not start.
func printReruns(w io.Writer, r *ctlResponse, states []health.State, dryRun, asJSON bool) error {
	failed := 0
	for _, t := range r.Reruns {
		if !t.Started && !dryRun {
			failed++
		}
	}
	switch {
	case asJSON:
		for _, t := range r.Reruns {
			if err := taskcli.PrintJSON(w, t); err != nil {
				return err
			}
		}
	case dryRun: // nothing ran, so no line came as it started
		for _, t := range r.Reruns {
			fmt.Fprintf(w, "%s / %s: %s (%s)\n", t.Slave, t.Task, t.Outcome, t.State)
		}
		fallthrough
	default:
		fmt.Fprintln(w, rerunSummary(r, states, dryRun, failed))
	}
	if failed > 0 {
		return &cmdline.CodeError{Code: 1, Err: fmt.Errorf("%s did not start", human.Plural(failed, "task", "tasks")), Quiet: asJSON}
	}
	return nil
}

// rerunSummary is the command's last line: "Started 2 of 3 tasks; left
// out: 1 task already running."
func rerunSummary(r *ctlResponse, states []health.State, dryRun bool, failed int) string {
	n := len(r.Reruns)
	var line string
	switch {
	case n == 0:
		names := make([]string, len(states))
		for i, s := range states {
			names[i] = string(s)
		}
		line = "No " + strings.Join(names, " or ") + " task to run again"
	case dryRun:
		line = fmt.Sprintf("Would run %s", human.Plural(n, "task", "tasks"))
	default:
		line = fmt.Sprintf("Started %s of %s", human.Count(n-failed), human.Plural(n, "task", "tasks"))
	}
	var left []string
	if res := r.Rerun; res != nil && res.Running > 0 {
		left = append(left, human.Plural(res.Running, "task", "tasks")+" already running")
	}
	if res := r.Rerun; res != nil && res.Absent > 0 {
		left = append(left, human.Plural(res.Absent, "task", "tasks")+" on slaves not connected")
	}
	if len(left) > 0 {
		line += "; left out: " + human.List(left, len(left))
	}
	return line + "."
}

// taskRerun runs the tasks again for the control socket, sending each
// one's outcome as it is known.
func (h *ctlHandler) taskRerun(ctx context.Context, req *ctlRequest, w *control.Writer) ctlResponse {
	if len(req.States) == 0 {
		return ctlResponse{Error: "task rerun needs the states whose tasks run again", Usage: true}
	}
	scope := fleetScope{group: req.Group, slave: req.Slave}
	if !slices.ContainsFunc(h.m.Slaves(), func(v master.SlaveView) bool { return scope.in(v.Name, v.Group) }) {
		if err := scope.empty(); err != nil {
			return ctlResponse{Error: err.Error(), Usage: true}
		}
	}
	var picked []health.Row
	res := &rerunResult{}
	for _, r := range h.m.BackupRows() {
		switch {
		case !scope.in(r.Slave, r.Group) || !slices.Contains(req.States, r.State):
		case r.Running:
			res.Running++
		case !r.Runnable():
			res.Absent++
		default:
			picked = append(picked, r)
		}
	}
	slices.SortFunc(picked, func(a, b health.Row) int {
		return cmp.Or(human.CompareNames(a.Slave, b.Slave), human.CompareNames(a.Task, b.Task))
	})
	out := ctlResponse{Rerun: res, Reruns: make([]rerunJSON, len(picked))}
	refs := make([]master.TaskRef, len(picked))
	for i, r := range picked {
		out.Reruns[i] = rerunJSON{Slave: r.Slave, Group: r.Group, Task: r.Task, State: r.State, Outcome: "would run"}
		refs[i] = master.TaskRef{Slave: r.Slave, Task: r.Task}
	}
	if req.DryRun {
		return out
	}
	h.m.RunTasks(ctx, refs, func(i int, err error) {
		t := &out.Reruns[i]
		t.Started, t.Outcome = err == nil, "started"
		if err != nil {
			t.Error, t.Outcome = err.Error(), "not started: "+err.Error()
		}
		_ = w.Send(ctlResponse{OK: true, Reruns: []rerunJSON{*t}})
	})
	return out
}
