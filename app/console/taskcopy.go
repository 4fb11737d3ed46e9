package console

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/lanyard/lanyard/app/cmdline"
	"github.com/lanyard/lanyard/app/taskcli"
	"github.com/lanyard/lanyard/core/agent"
	"github.com/lanyard/lanyard/core/control"
	"github.com/lanyard/lanyard/core/human"
	"github.com/lanyard/lanyard/core/master"
)

// `lanyard task copy NAME --slave FROM --to NAME… | --group G`: a task
// set up on one server, given to others (master.CopyTask). The console's
// own task command: an agent knows no other server.

const opTaskCopy = "task_copy"

// copyJSON is what became of the copy on one server.
type copyJSON struct {
	Slave    string   `json:"slave"`
	Copied   bool     `json:"copied"`
	Replaced bool     `json:"replaced,omitempty"`
	Started  bool     `json:"run_started,omitempty"` // --run: the run started there
	Exists   bool     `json:"exists,omitempty"`      // left as it was: a task of that name is there
	Warnings []string `json:"warnings,omitempty"`
	Error    string   `json:"error,omitempty"`
	Outcome  string   `json:"outcome"` // in words: "copied", "not copied: …"
}

func newCopyJSON(r master.CopyResult) copyJSON {
	j := copyJSON{Slave: r.Slave, Copied: r.Err == nil, Replaced: r.Replaced, Started: r.Started, Warnings: r.Warnings,
		Exists: errors.Is(r.Err, master.ErrTaskExists), Outcome: r.Outcome()}
	if r.Err != nil {
		j.Error = r.Err.Error()
	}
	return j
}

func taskCopyCmd(e *env, from *string) *cobra.Command {
	var to []string
	var group, dest string
	var replace, run, createDest, asJSON bool
	cmd := &cobra.Command{
		Use:   "copy NAME --slave FROM (--to NAME[,NAME…] | --group GROUP) [--dest DIR] [--create-dest] [--replace] [--run] [--json]",
		Short: "Copy a task to other slaves: its sources, destination, schedule and retention",
		Long: `Give a task set up on one slave to others: each gets it as it is on
--slave (its paths, schedule, excludes and retention), checked and saved
by its own agent, as an add would be. --to names slaves (repeat it, or
separate names with commas); --group copies to every other slave of the
group. --dest gives each slave another destination than the task's,
{server} standing for the slave's name: slaves that share a NAS need a
folder each on it (--dest /mnt/nas/{server}), as a slave refuses a
task whose folder there holds another slave's snapshots; --create-dest
has each slave create its folder when it is missing (its parent must
exist there: mount the share first). A slave that has a task of that name
keeps it, unless --replace. --run runs it at once on each slave that took
it, to see it work there (lanyard report, or the Backups window, then
shows how each run went).
One line per slave says what became of it; the exit code is 1 when any
slave did not take the task. Through the running console.`,
		Example: "  lanyard task copy docs --slave FS01 --group Acme\n  lanyard task copy docs --slave FS01 --to FS02,FS03 --replace\n" +
			"  lanyard task copy docs --slave FS01 --group Acme --dest '/mnt/nas/{server}' --create-dest",
		Args: cmdline.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := needSlave(*from); err != nil {
				return err
			}
			if len(to) == 0 && group == "" {
				return cmdline.Usagef("give the slaves to copy %s to: --to NAME[,NAME…] or --group GROUP", args[0])
			}
			if dest != "" {
				var err error
				if dest, err = taskcli.RemotePath("--dest", dest); err != nil {
					return err
				}
			}
			req := ctlRequest{Op: opTaskCopy, Slave: *from, Task: &agent.TaskArgs{Name: args[0], CreateDest: createDest}, To: to, Group: group, Replace: replace, Run: run,
				CopyDest: dest}
			r, err := e.call(cmd.Context(), req, func(part ctlResponse) error {
				if !asJSON {
					for _, c := range part.Copies {
						fmt.Fprintln(e.stdout, c.Slave+": "+c.Outcome)
					}
				}
				return nil
			})
			if err != nil {
				return err
			}
			return printCopies(e.stdout, args[0], r.Copies, asJSON)
		},
	}
	cmd.Flags().StringSliceVar(&to, "to", nil, "the slaves to copy it to (repeat, or separate with commas)")
	cmd.Flags().StringVar(&group, "group", "", "copy it to every other slave of this group")
	cmd.Flags().StringVar(&dest, "dest", "", "the destination on each slave instead of the task's; {server} stands for the slave's name")
	cmd.Flags().BoolVar(&createDest, "create-dest", false, "each slave creates the destination folder when it is missing (its parent must exist)")
	cmd.Flags().BoolVar(&replace, "replace", false, "replace a task of the same name on a slave that has one")
	cmd.Flags().BoolVar(&run, "run", false, "run it at once on each slave that took it")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object per slave")
	_ = cmd.RegisterFlagCompletionFunc("to", e.completeSlave)
	return cmd
}

// printCopies ends the command: the JSON, or a count; an error when a
// slave did not take the task.
func printCopies(w io.Writer, task string, copies []copyJSON, asJSON bool) error {
	failed, exists := 0, 0
	for _, c := range copies {
		if !c.Copied {
			failed++
		}
		if c.Exists {
			exists++
		}
	}
	if asJSON {
		for _, c := range copies {
			if err := taskcli.PrintJSON(w, c); err != nil {
				return err
			}
		}
	} else {
		fmt.Fprintf(w, "%s copied to %s of %s.\n", task, human.Count(len(copies)-failed), human.Plural(len(copies), "slave", "slaves"))
		if exists > 0 {
			fmt.Fprintf(w, "%s a task of that name already: add --replace to overwrite it.\n", human.Plural(exists, "slave has", "slaves have"))
		}
	}
	if failed > 0 {
		return &cmdline.CodeError{Code: 1, Err: fmt.Errorf("%s did not take %s", human.Plural(failed, "slave", "slaves"), task), Quiet: asJSON}
	}
	return nil
}

// taskCopy copies a task for the control socket, sending each slave's
// result as it ends.
func (h *ctlHandler) taskCopy(ctx context.Context, req *ctlRequest, w *control.Writer) ctlResponse {
	if req.Task == nil || req.Task.Name == "" {
		return ctlResponse{Error: "task copy needs the task's name", Usage: true}
	}
	to, err := copyTargets(h.m.Slaves(), req.Slave, req.To, req.Group)
	if err != nil {
		return ctlResponse{Error: err.Error(), Usage: true}
	}
	opt := master.CopyOptions{Replace: req.Replace, Run: req.Run, Dest: req.CopyDest, CreateDest: req.Task.CreateDest}
	res, err := h.m.CopyTask(ctx, req.Slave, req.Task.Name, to, opt, func(r master.CopyResult) {
		_ = w.Send(ctlResponse{OK: true, Copies: []copyJSON{newCopyJSON(r)}})
	})
	if err != nil {
		return failure(err)
	}
	out := ctlResponse{Copies: make([]copyJSON, len(res))}
	for i, r := range res {
		out.Copies[i] = newCopyJSON(r)
	}
	return out
}

// copyTargets are the slaves named and those of group but from, each
// once, in the order given, then the group's by name.
func copyTargets(views []master.SlaveView, from string, names []string, group string) ([]string, error) {
	var out []string
	add := func(name string) {
		if !slices.ContainsFunc(out, func(n string) bool { return strings.EqualFold(n, name) }) {
			out = append(out, name)
		}
	}
	for _, n := range names {
		if n = strings.TrimSpace(n); n != "" {
			add(n)
		}
	}
	if group != "" {
		mine, err := groupSlaves(views, group)
		if err != nil {
			return nil, err
		}
		for _, n := range mine {
			if !strings.EqualFold(n, from) {
				add(n)
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no other slave is in the group %q: nothing to copy to", group)
	}
	return out, nil
}

// groupSlaves are the names of group's slaves, by name; a group with no
// slave is a mistake in the command.
func groupSlaves(views []master.SlaveView, group string) ([]string, error) {
	scope := fleetScope{group: group}
	var out []string
	for _, v := range views {
		if scope.in(v.Name, v.Group) {
			out = append(out, v.Name)
		}
	}
	if len(out) == 0 {
		return nil, scope.empty()
	}
	slices.SortFunc(out, human.CompareNames)
	return out, nil
}
