package taskcli

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path"
	"path/filepath"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/lanyard/lanyard/app/cmdline"
	"github.com/lanyard/lanyard/core/agent"
	"github.com/lanyard/lanyard/core/backup"
	"github.com/lanyard/lanyard/core/health"
	"github.com/lanyard/lanyard/core/human"
	"github.com/lanyard/lanyard/core/wire"
)

// ExitWarnings is `task run`'s exit code for a run that completed with
// warnings, and `task restore`'s for one that restored files from
// damaged copies.
const ExitWarnings = 3

// Env is where the task commands run: how they reach the tasks, and how
// they name themselves in hints.
type Env struct {
	Stdout, Stderr io.Writer
	// Do carries out one task operation: on the agent (its control socket,
	// or its database in this process) or on a slave through the running
	// console. onEvent, when set, receives progress; logged marks the
	// operations an agent logs when they run in this process.
	Do func(ctx context.Context, op string, args agent.TaskArgs, onEvent func(agent.TaskEvent), logged bool) (*agent.TaskResult, error)
	// Prog is the program the hints and examples name: "lanyard-agent"
	// or "lanyard".
	Prog string
	// Where is what hints add after the arguments: "" for the agent,
	// " --slave FS01" for the console. ExampleWhere is the same for the
	// examples in the help.
	Where        func() string
	ExampleWhere string
	// RemotePaths says the paths given name files on another machine:
	// they must be absolute and are passed on as given. Otherwise they are
	// made absolute here.
	RemotePaths bool
}

// hint is a task command as the user would type it.
func (e *Env) hint(args ...string) string {
	s := e.Prog + " task " + strings.Join(args, " ")
	if e.Where != nil {
		s += e.Where()
	}
	return s
}

// examples are example lines for a command's help.
func (e *Env) examples(lines ...string) string {
	for i, l := range lines {
		lines[i] = "  " + e.Prog + " task " + l + e.ExampleWhere
	}
	return strings.Join(lines, "\n")
}

// printDescribed prints what a command did: its JSON, or its one line.
func (e *Env) printDescribed(asJSON bool, v interface{ Describe() string }) error {
	if asJSON {
		return PrintJSON(e.Stdout, v)
	}
	_, err := fmt.Fprintln(e.Stdout, v.Describe())
	return err
}

// path reads a path given on the command line.
func (e *Env) path(flag, p string) (string, error) {
	if e.RemotePaths {
		return RemotePath(flag, p)
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", cmdline.Usagef("%s %q: %v", flag, p, err)
	}
	return abs, nil
}

// RemotePath reads a path on a server given to flag on the console's
// command line: it must be absolute, as nothing here knows the server's
// working folder.
func RemotePath(flag, p string) (string, error) {
	switch {
	case !backup.AbsOnServer(p):
		return "", cmdline.Usagef("%s %q: give an absolute path on the server", flag, p)
	case strings.HasPrefix(p, "/"):
		return path.Clean(p), nil
	}
	return p, nil // a Windows server's: its agent cleans it
}

// Command is `task …`: add, edit, remove, list, show, run, stop, history,
// snapshots, browse, find, verify, restore, delete-snapshot and folder, the same words, flags, JSON and
// exit codes wherever they run; extra are a program's own, whose NAME
// completes as the others' does.
func Command(e *Env, long string, extra ...*cobra.Command) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "task",
		Short: "Add, run and restore backup tasks",
		Long:  long,
		Args:  cmdline.NoArgs,
	}
	cmd.AddCommand(taskAddCmd(e), taskEditCmd(e), taskRemoveCmd(e), taskListCmd(e), taskShowCmd(e),
		taskRunCmd(e), taskStopCmd(e), taskHistoryCmd(e), taskSnapshotsCmd(e), taskBrowseCmd(e), taskFindCmd(e),
		taskVerifyCmd(e), taskRestoreCmd(e), taskDeleteSnapshotCmd(e), taskFolderCmd(e))
	cmd.AddCommand(extra...)
	// Every command whose first argument is a task's NAME, but add (a new
	// one), completes it from the tasks there are, and a SNAPSHOT after
	// it from that task's snapshots.
	for _, c := range cmd.Commands() {
		f := strings.Fields(c.Use)
		if len(f) < 2 || f[1] != "NAME" || c.Name() == "add" {
			continue
		}
		snapshot := len(f) > 2 && strings.Trim(f[2], "[]") == "SNAPSHOT"
		latest := c.Name() != "delete-snapshot" // a deletion names what it deletes
		c.ValidArgsFunction = func(cmd *cobra.Command, args []string, typed string) ([]cobra.Completion, cobra.ShellCompDirective) {
			switch {
			case len(args) == 0:
				return e.completeTask(cmd, typed), cobra.ShellCompDirectiveNoFileComp
			case len(args) == 1 && snapshot:
				return e.completeSnapshot(cmd, args[0], typed, latest), cobra.ShellCompDirectiveNoFileComp
			}
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
	}
	return cmd
}

// completeTask offers the names of the tasks there are (the agent's;
// through the console, the --slave's), each described by its schedule,
// or nothing when they cannot be read.
func (e *Env) completeTask(cmd *cobra.Command, typed string) []cobra.Completion {
	res := e.completionAsk(cmd, agent.OpTaskList, agent.TaskArgs{})
	if res == nil {
		return nil
	}
	names := make([]string, len(res.Tasks))
	for i, t := range res.Tasks {
		names[i] = t.Task.Name
	}
	return cmdline.Offer(typed, names, func(i int) string { return res.Tasks[i].Task.Schedule })
}

// completeSnapshot offers latest (when asked) and task's snapshots,
// newest first, each described by its result.
func (e *Env) completeSnapshot(cmd *cobra.Command, task, typed string, latest bool) []cobra.Completion {
	res := e.completionAsk(cmd, agent.OpTaskSnapshots, agent.TaskArgs{Name: task})
	if res == nil {
		return nil
	}
	var names, about []string
	if latest {
		names, about = []string{"latest"}, []string{"the newest snapshot"}
	}
	for i := len(res.Snapshots) - 1; i >= 0; i-- {
		names, about = append(names, res.Snapshots[i].ID), append(about, string(res.Snapshots[i].Result))
	}
	return cmdline.Offer(typed, names, func(i int) string { return about[i] })
}

// completionAsk asks op of Do for a completion, bounded in time: the
// shell waits. nil when it cannot be answered.
func (e *Env) completionAsk(cmd *cobra.Command, op string, args agent.TaskArgs) *agent.TaskResult {
	if e.Do == nil {
		return nil
	}
	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, cancel := context.WithTimeout(ctx, cmdline.CompletionTimeout)
	defer cancel()
	res, err := e.Do(ctx, op, args, nil, false)
	if err != nil {
		return nil
	}
	return res
}

// PrintJSON prints v as indented JSON, as every --json does.
func PrintJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// ---- add, edit ----

// taskFlags are the flags that define a task.
type taskFlags struct {
	sources, excludes                            []string
	dest, schedule, overdue, catchUp, speed      string
	retryWait, paused, verifyEvery               string
	keepLast, keepDaily, keepWeekly, keepMonthly int
	retries                                      int
	createDest                                   bool
}

func (f *taskFlags) register(cmd *cobra.Command, adding bool) {
	fl := cmd.Flags()
	what := ""
	if !adding {
		what = " (replaces the list)"
	}
	fl.StringArrayVar(&f.sources, "source", nil, "file or folder to back up (repeatable)"+what)
	fl.StringVar(&f.dest, "dest", "", "folder the snapshots go into (DIR/NAME/<time>/), a local disk or a mounted share")
	fl.BoolVar(&f.createDest, "create-dest", false, "create the destination folder when it does not exist yet (its parent folder must)")
	fl.StringArrayVar(&f.excludes, "exclude", nil, "leave out what matches: a name (*.tmp, node_modules), a path from the top (/home/*/.cache, on Windows C:\\Users\\*\\AppData) or the end of one (Documents/tmp, **/build/**); repeatable"+what)
	def := "manual"
	if !adding {
		def = ""
	}
	fl.StringVar(&f.schedule, "schedule", def, "cron expression, hourly, daily@HH:MM, weekly@DAY@HH:MM or manual")
	fl.IntVar(&f.keepLast, "keep-last", 0, "keep the newest N snapshots")
	fl.IntVar(&f.keepDaily, "keep-daily", 0, "keep the newest snapshot of each of the last N days that have one")
	fl.IntVar(&f.keepWeekly, "keep-weekly", 0, "keep the newest snapshot of each of the last N weeks")
	fl.IntVar(&f.keepMonthly, "keep-monthly", 0, "keep the newest snapshot of each of the last N months")
	fl.StringVar(&f.overdue, "overdue-after", "", "flag the task as overdue this long after its last success, e.g. 36h or 3d (default: twice the schedule's interval)")
	fl.StringVar(&f.catchUp, "catch-up", "", "on or off (default on): run once at start when the agent was down at the scheduled time")
	fl.StringVar(&f.speed, "speed-limit", "", "copy at most this much a second, e.g. 20MiB/s (default none: full speed)")
	retries := 0
	if adding {
		retries = backup.DefaultRetries
	}
	fl.IntVar(&f.retries, "retries", retries, fmt.Sprintf("try a failed scheduled run again this many times, 0 to %d", backup.MaxRetries))
	fl.StringVar(&f.retryWait, "retry-wait", "", fmt.Sprintf("how long apart, 1m to 24h (default %s)", backup.Duration(backup.DefaultRetryWait)))
	fl.StringVar(&f.paused, "paused", "", "on: run only when asked, keeping the schedule for when it is off again (default off)")
	fl.StringVar(&f.verifyEvery, "verify-every", "", "a run also verifies its snapshot this often, every file re-read against the manifest, e.g. 7d (default off)")
}

// apply sets what the flags given change; it says whether anything was.
// A new task (Version 0) takes the default of every flag not given.
func (f *taskFlags) apply(e *Env, cmd *cobra.Command, t *backup.Task) (bool, error) {
	fl := cmd.Flags()
	changed := false
	for _, part := range []func(*pflag.FlagSet, *backup.Task) (bool, error){
		func(fl *pflag.FlagSet, t *backup.Task) (bool, error) { return f.applyWhat(e, fl, t) },
		f.applyWhen, f.applyKeep, f.applyRetries,
	} {
		c, err := part(fl, t)
		if err != nil {
			return false, err
		}
		changed = changed || c
	}
	return changed, nil
}

// applyWhat sets what is backed up and where to: sources, destination,
// exclusions and the speed of the copy.
func (f *taskFlags) applyWhat(e *Env, fl *pflag.FlagSet, t *backup.Task) (changed bool, err error) {
	if fl.Changed("source") {
		t.Sources = nil
		for _, s := range f.sources {
			abs, err := e.path("--source", s)
			if err != nil {
				return false, err
			}
			t.Sources = append(t.Sources, abs)
		}
		changed = true
	}
	if fl.Changed("dest") {
		if f.dest == "" {
			return false, cmdline.Usagef("--dest %q is not a folder path", f.dest)
		}
		abs, err := e.path("--dest", f.dest)
		if err != nil {
			return false, err
		}
		t.Destination, changed = abs, true
	}
	if fl.Changed("exclude") {
		t.Excludes, changed = f.excludes, true
	}
	if fl.Changed("speed-limit") {
		v, err := backup.ParseSpeed(f.speed)
		if err != nil {
			return false, cmdline.Usagef("%v", err)
		}
		t.Speed, changed = v, true
	}
	return changed, nil
}

// applyWhen sets when the task runs: its schedule, when it is overdue,
// whether it is paused and whether it catches up a missed run.
func (f *taskFlags) applyWhen(fl *pflag.FlagSet, t *backup.Task) (changed bool, err error) {
	if fl.Changed("schedule") || t.Version == 0 {
		s, err := backup.ParseSchedule(f.schedule)
		if err != nil {
			return false, cmdline.Usage(err)
		}
		t.Schedule, changed = s.String(), true
	}
	if fl.Changed("overdue-after") {
		d, err := backup.ParseDuration(f.overdue)
		if err != nil {
			return false, cmdline.Usagef("--overdue-after %q: give a duration such as 36h or 3d", f.overdue)
		}
		t.OverdueAfter, changed = backup.Duration(d), true
	}
	if fl.Changed("paused") {
		on, err := cmdline.ParseOnOff("--paused", f.paused)
		if err != nil {
			return false, err
		}
		t.Paused, changed = on != nil && *on, true
	}
	if fl.Changed("catch-up") || t.Version == 0 {
		on, err := cmdline.ParseOnOff("--catch-up", f.catchUp)
		if err != nil {
			return false, err
		}
		t.CatchUp = on == nil || *on
		changed = changed || fl.Changed("catch-up")
	}
	return changed, nil
}

// applyKeep sets which snapshots are kept.
func (f *taskFlags) applyKeep(fl *pflag.FlagSet, t *backup.Task) (changed bool, err error) {
	for _, k := range []struct {
		flag string
		v    int
		dst  *int
	}{{"keep-last", f.keepLast, &t.Retention.KeepLast}, {"keep-daily", f.keepDaily, &t.Retention.KeepDaily},
		{"keep-weekly", f.keepWeekly, &t.Retention.KeepWeekly}, {"keep-monthly", f.keepMonthly, &t.Retention.KeepMonthly}} {
		if fl.Changed(k.flag) {
			if k.v < 0 {
				return false, cmdline.Usagef("--%s %d: give 0 or more", k.flag, k.v)
			}
			*k.dst, changed = k.v, true
		}
	}
	return changed, nil
}

// applyRetries sets how a failed scheduled run is tried again.
func (f *taskFlags) applyRetries(fl *pflag.FlagSet, t *backup.Task) (changed bool, err error) {
	if fl.Changed("retries") || t.Version == 0 {
		if err := backup.ValidRetries(f.retries); err != nil {
			return false, cmdline.Usagef("--retries %d: %v", f.retries, err)
		}
		t.Retries = f.retries
		changed = fl.Changed("retries")
	}
	if fl.Changed("retry-wait") {
		d, err := backup.ParseRetryWait(f.retryWait)
		if err != nil {
			return false, cmdline.Usagef("--retry-wait %q: %v", f.retryWait, err)
		}
		t.RetryWait, changed = d, true
	}
	if fl.Changed("verify-every") {
		d, err := backup.ParseVerifyEvery(f.verifyEvery)
		if err != nil {
			return false, cmdline.Usagef("--verify-every %q: %v", f.verifyEvery, err)
		}
		t.VerifyEvery, changed = d, true
	}
	return changed, nil
}

func taskAddCmd(e *Env) *cobra.Command {
	var f taskFlags
	cmd := &cobra.Command{
		Use:   "add NAME --source PATH… --dest DIR [flags]",
		Short: "Add a backup task",
		Example: e.examples("add docs --source /home/alice/Documents --dest /mnt/backup --schedule daily@02:00 --keep-daily 14 --keep-monthly 6",
			"add etc --source /etc --dest /srv/backup --exclude '*.swp' --schedule '30 1 * * 1-5'"),
		Args: cmdline.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			t := backup.Task{Name: args[0]}
			if err := backup.ValidateName(t.Name); err != nil {
				return cmdline.Usage(err)
			}
			if !cmd.Flags().Changed("source") || !cmd.Flags().Changed("dest") {
				return cmdline.Usagef("task add needs --source PATH (one or more) and --dest DIR")
			}
			if _, err := f.apply(e, cmd, &t); err != nil {
				return err
			}
			res, err := e.Do(cmd.Context(), agent.OpTaskAdd, agent.TaskArgs{Task: &t, CreateDest: f.createDest}, nil, true)
			if err != nil {
				return err
			}
			return e.printSaved(res, "added")
		},
	}
	f.register(cmd, true)
	return cmd
}

func taskEditCmd(e *Env) *cobra.Command {
	var f taskFlags
	cmd := &cobra.Command{
		Use:     "edit NAME [flags]",
		Short:   "Change a backup task (only the flags given)",
		Example: e.examples("edit docs --schedule weekly@sun@03:00 --keep-weekly 8"),
		Args:    cmdline.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cur, err := e.Do(cmd.Context(), agent.OpTaskGet, agent.TaskArgs{Name: args[0]}, nil, false)
			if err != nil {
				return err
			}
			t := cur.Info.Task
			changed, err := f.apply(e, cmd, &t)
			if err != nil {
				return err
			}
			if !changed && !f.createDest {
				return cmdline.Usagef("nothing to change: give the flags to change (see %s task edit --help)", e.Prog)
			}
			res, err := e.Do(cmd.Context(), agent.OpTaskEdit, agent.TaskArgs{Task: &t, CreateDest: f.createDest}, nil, true)
			if err != nil {
				return err
			}
			return e.printSaved(res, "changed")
		},
	}
	f.register(cmd, false)
	return cmd
}

func (e *Env) printSaved(res *agent.TaskResult, verb string) error {
	for _, w := range res.Warnings {
		fmt.Fprintln(e.Stderr, "warning:", w)
	}
	fmt.Fprintf(e.Stdout, "task %s %s\n", res.Info.Task.Name, verb)
	printTask(e.Stdout, res.Info)
	t := res.Info.Task
	switch s, err := backup.ParseSchedule(t.ScheduleInForce()); {
	case res.Running:
		fmt.Fprintln(e.Stdout, "applied to the running agent")
	case err == nil && s.Manual():
		// Nothing runs it by itself, service or not.
		fmt.Fprintf(e.Stdout, "saved; it runs when asked (%s)\n", e.hint("run", t.Name))
	default:
		fmt.Fprintln(e.Stdout, "saved; the agent runs it on schedule once it runs (lanyard-agent start)")
	}
	return nil
}

// printTask prints a task's definition, then the extra rows.
func printTask(w io.Writer, info *agent.TaskInfo, extra ...[2]string) {
	t := info.Task
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, s := range t.Sources {
		fmt.Fprintf(tw, "  source\t%s\n", s)
	}
	fmt.Fprintf(tw, "  destination\t%s (snapshots in %s)\n", t.Destination, backup.TaskDir(t.Destination, t.Name))
	for _, x := range t.Excludes {
		fmt.Fprintf(tw, "  exclude\t%s\n", x)
	}
	next := ""
	if !info.NextRun.IsZero() {
		next = " (next run " + info.NextRun.Local().Format("2006-01-02 15:04") + ")"
	}
	fmt.Fprintf(tw, "  schedule\t%s%s\n", t.Schedule, next)
	if t.Paused {
		fmt.Fprintf(tw, "  paused\ton: it runs only when asked (--paused off resumes its schedule)\n")
	}
	fmt.Fprintf(tw, "  retention\t%s\n", t.Retention)
	if info.OverdueAfter > 0 {
		fmt.Fprintf(tw, "  overdue after\t%s\n", info.OverdueAfter)
	}
	fmt.Fprintf(tw, "  catch up\t%s\n", human.OnOff(t.CatchUp))
	if t.Speed > 0 {
		fmt.Fprintf(tw, "  speed limit\t%s\n", t.Speed)
	}
	fmt.Fprintf(tw, "  retries\t%s\n", t.RetryLine())
	if t.VerifyEvery > 0 {
		fmt.Fprintf(tw, "  verify\t%s\n", info.VerifyLine(time.Now()))
	}
	fmt.Fprintf(tw, "  version\t%d\n", t.Version)
	for _, row := range extra {
		fmt.Fprintf(tw, "  %s\t%s\n", row[0], row[1])
	}
	_ = tw.Flush()
}

// ---- remove, list, show ----

func taskRemoveCmd(e *Env) *cobra.Command {
	return &cobra.Command{
		Use:   "remove NAME",
		Short: "Remove a backup task and its history (its snapshots are kept)",
		Args:  cmdline.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			res, err := e.Do(cmd.Context(), agent.OpTaskRemove, agent.TaskArgs{Name: args[0]}, nil, true)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.Stdout, "task %s removed; its snapshots in %s are kept (delete them by hand when no longer needed)\n",
				res.Removed.Name, backup.TaskDir(res.Removed.Destination, res.Removed.Name))
			return nil
		},
	}
}

func taskListCmd(e *Env) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the backup tasks with their last result and next run",
		Args:  cmdline.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			res, err := e.Do(cmd.Context(), agent.OpTaskList, agent.TaskArgs{}, nil, false)
			if err != nil {
				return err
			}
			if asJSON {
				return PrintJSON(e.Stdout, res.Tasks)
			}
			if len(res.Tasks) == 0 {
				fmt.Fprintf(e.Stdout, "no backup tasks (%s)\n", e.hint("add NAME --source PATH --dest DIR"))
				return nil
			}
			tw := tabwriter.NewWriter(e.Stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "TASK\tSCHEDULE\tLAST RUN\tRESULT\tNEXT RUN\tSTATE")
			for _, info := range res.Tasks {
				last, result := "-", "never run"
				if info.LastRun != nil {
					last, result = info.LastRun.Started.Local().Format("2006-01-02 15:04"), info.LastResult()
					if n := info.LastRun.FoundDamaged; n > 0 { // by hand since, as the console's Tasks tab says
						result += " · " + backup.FoundDamagedWords(n)
					}
				}
				next := "-"
				if !info.NextRun.IsZero() {
					next = info.NextRun.Local().Format("2006-01-02 15:04")
				}
				sched := info.Task.Schedule
				if info.Task.Paused {
					sched = "paused (" + sched + ")"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", info.Task.Name, sched, last, result, next, taskState(info))
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// taskState is a task's state as the console's Backups window counts it,
// a running one with its progress; failed and overdue in capitals, to
// stand out in a list.
func taskState(info agent.TaskInfo) string {
	switch st := info.State(); st {
	case health.StateFailed, health.StateOverdue:
		return strings.ToUpper(string(st))
	case health.StateRunning:
		if p := info.Progress; p != nil {
			return fmt.Sprintf("running (%d/%d files)", p.FilesDone, p.FilesTotal)
		}
		return string(st)
	default:
		return string(st)
	}
}

func taskShowCmd(e *Env) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "show NAME",
		Short: "Show a backup task, its state and its last run",
		Args:  cmdline.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			res, err := e.Do(cmd.Context(), agent.OpTaskGet, agent.TaskArgs{Name: args[0]}, nil, false)
			if err != nil {
				return err
			}
			if asJSON {
				return PrintJSON(e.Stdout, res.Info)
			}
			info := res.Info
			state := taskState(*info)
			if w := info.FailedRunsWords(); w != "" {
				state += ", " + w
			}
			fmt.Fprintf(e.Stdout, "task %s: %s\n", info.Task.Name, state)
			var rows [][2]string
			if info.LastRun != nil {
				last := info.LastRun.Started.Local().Format(time.DateTime) + ", " + info.LastResult()
				if why := info.LastRun.Why(); why != "" {
					last += ": " + why
				}
				rows = append(rows, [2]string{"last run", last})
				if found := info.LastRun.Found(); found != "" {
					when := "since then"
					if info.LastRun.FoundWhile() {
						when = "while it ran"
					}
					rows = append(rows, [2]string{when, found})
				}
			}
			if !info.LastSuccess.IsZero() {
				rows = append(rows, [2]string{"last success", info.LastSuccess.Local().Format(time.DateTime)})
			}
			if info.Progress != nil {
				rows = append(rows, [2]string{"progress", plainProgress(*info.Progress)})
			}
			printTask(e.Stdout, info, rows...)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// ---- run, stop, history ----

func taskRunCmd(e *Env) *cobra.Command {
	var wait, asJSON, reread bool
	cmd := &cobra.Command{
		Use:   "run NAME [--wait] [--reread]",
		Short: "Run a backup task now",
		Long: `Run a backup task now. With --wait, or when the agent is not running (the
run then happens in this process), the command shows the progress and returns
when the run ends: exit code 0 when it completed, 3 when it completed with
warnings, 1 when it failed or was stopped. Without --wait a running agent
starts the run and the command returns at once.

A run copies the files whose size or modification time changed since the
previous snapshot and links the others to it without reading them. With
--reread it reads every file and links only those whose content is the same;
a file whose content changed while its size and time did not (a program
that keeps a file's time, or the disk changing what it holds) is copied and
named in a warning. It takes as long as reading everything.`,
		Args: cmdline.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			view := newProgress(e.Stdout)
			if asJSON {
				view = nil
			}
			onEvent := func(ev agent.TaskEvent) {
				if view != nil {
					view.event(ev)
				}
			}
			res, err := e.Do(ctx, agent.OpTaskRun, agent.TaskArgs{Name: args[0], Wait: wait, Reread: reread}, onEvent, true)
			if view != nil {
				view.done()
			}
			if err != nil {
				if ctx.Err() != nil && cmd.Context().Err() == nil {
					return fmt.Errorf("interrupted: the run goes on in the agent (%s stops it)", e.hint("stop", args[0]))
				}
				return err
			}
			if res.Started {
				if asJSON {
					return PrintJSON(e.Stdout, res.Info)
				}
				fmt.Fprintf(e.Stdout, "task %s started in the agent; %s follows it, %s shows how it ended\n",
					res.Info.Task.Name, e.hint("show", res.Info.Task.Name), e.hint("history", res.Info.Task.Name))
				return nil
			}
			rep := res.Report
			if asJSON {
				if err := PrintJSON(e.Stdout, rep); err != nil {
					return err
				}
			} else {
				fmt.Fprint(e.Stdout, rep.Describe())
			}
			return runExit(rep)
		},
	}
	cmd.Flags().BoolVar(&wait, "wait", false, "wait for the run to end, showing its progress")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the run's report as JSON (no progress)")
	cmd.Flags().BoolVar(&reread, "reread", false, "read every file, even those whose size and time did not change, and compare its content")
	return cmd
}

// restoreExit is task restore's exit code for a restore that finished:
// ExitError when files could not be restored, their copies unreadable;
// ExitWarnings when it restored files from damaged copies (the summary
// and the warnings, printed already, say which).
func restoreExit(rr *backup.RestoreReport) error {
	switch {
	case rr.Unreadable > 0:
		return &cmdline.CodeError{Code: cmdline.ExitError, Quiet: true,
			Err: fmt.Errorf("%s not restored: copies unreadable", human.Plural(rr.Unreadable, "file", "files"))}
	case rr.Damaged > 0:
		return &cmdline.CodeError{Code: ExitWarnings, Quiet: true,
			Err: fmt.Errorf("%s restored from damaged copies", human.Plural(rr.Damaged, "file", "files"))}
	}
	return nil
}

// runExit is task run's exit code for a report.
func runExit(rep *backup.Report) error {
	switch rep.Result {
	case backup.ResultCompleted:
		return nil
	case backup.ResultWarnings:
		return &cmdline.CodeError{Code: ExitWarnings, Err: fmt.Errorf("task %s completed with %s", rep.Task, human.Plural(rep.WarningCount, "warning", "warnings"))}
	case backup.ResultStopped:
		return &cmdline.CodeError{Code: cmdline.ExitError, Err: fmt.Errorf("task %s was stopped", rep.Task)}
	}
	return &cmdline.CodeError{Code: cmdline.ExitError, Err: fmt.Errorf("task %s failed: %s", rep.Task, rep.Error)}
}

func taskStopCmd(e *Env) *cobra.Command {
	return &cobra.Command{
		Use:   "stop NAME",
		Short: "Stop a backup task's run in progress (earlier snapshots are untouched)",
		Args:  cmdline.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			res, err := e.Do(cmd.Context(), agent.OpTaskStop, agent.TaskArgs{Name: args[0]}, nil, false)
			if err != nil {
				return err
			}
			if res.Stopped {
				fmt.Fprintf(e.Stdout, "task %s stopped\n", args[0])
			} else {
				fmt.Fprintf(e.Stdout, "task %s is not running\n", args[0])
			}
			return nil
		},
	}
}

func taskHistoryCmd(e *Env) *cobra.Command {
	var asJSON bool
	var n int
	cmd := &cobra.Command{
		Use:   "history NAME",
		Short: "The task's runs, oldest first: start, result, counts, error",
		Args:  cmdline.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			res, err := e.Do(cmd.Context(), agent.OpTaskHistory, agent.TaskArgs{Name: args[0], Limit: n}, nil, false)
			if err != nil {
				return err
			}
			if asJSON {
				if res.History == nil {
					res.History = []backup.Report{}
				}
				return PrintJSON(e.Stdout, res.History)
			}
			if len(res.History) == 0 {
				fmt.Fprintf(e.Stdout, "task %s has not run yet\n", args[0])
				return nil
			}
			tw := tabwriter.NewWriter(e.Stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "STARTED\tTRIGGER\tRESULT\tFILES\tCOPIED\tLINKED\tSKIPPED\tBYTES COPIED\tDURATION\tSNAPSHOT / ERROR")
			for _, r := range res.History {
				dur := "-"
				if !r.Finished.IsZero() {
					dur = human.Took(r.Duration())
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%d\t%s\t%s\t%s\n", r.Started.Local().Format("2006-01-02 15:04:05"),
					cmdline.OrDash(r.By()), r.Result, r.Files(), r.FilesCopied, r.FilesLinked, r.FilesSkipped,
					human.Bytes(r.BytesCopied), dur, cmdline.OrDash(r.Made()))
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().IntVarP(&n, "lines", "n", 20, "the newest N runs (0 for every one kept)")
	return cmd
}

// ---- snapshots, browse, verify, restore ----

func taskSnapshotsCmd(e *Env) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "snapshots NAME",
		Short: "The task's complete snapshots, newest last",
		Args:  cmdline.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			res, err := e.Do(cmd.Context(), agent.OpTaskSnapshots, agent.TaskArgs{Name: args[0]}, nil, false)
			if err != nil {
				return err
			}
			if res.Snapshots == nil {
				res.Snapshots = []backup.SnapshotInfo{}
			}
			if asJSON {
				return PrintJSON(e.Stdout, res.Snapshots)
			}
			if len(res.Snapshots) == 0 {
				fmt.Fprintf(e.Stdout, "task %s has no snapshots yet (%s)\n", args[0], e.hint("run", args[0]))
				return nil
			}
			tw := tabwriter.NewWriter(e.Stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "SNAPSHOT\tTIME\tRESULT\tFILES\tSIZE\tPATH")
			for _, s := range res.Snapshots {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\n", s.ID, s.Time.Local().Format("2006-01-02 15:04:05"), s.Result, s.Files, human.Bytes(s.Bytes), s.Path)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func taskFindCmd(e *Env) *cobra.Command {
	var limit int
	var asJSON, all bool
	cmd := &cobra.Command{
		Use:   "find (NAME | --all-tasks) PATTERN [--limit N]",
		Short: "Find a file in the task's snapshots, newest first",
		Long: `Look through every snapshot of the task, newest first, for the files and
folders PATTERN matches, in any case: a name (report*.odt, matching it in any
folder), a whole original path (/home/alice/**/*.xlsx, or on a Windows agent
C:\Users\alice\**\*.xlsx) or the end of one (Documents/*.xlsx). Each
version is listed once, with its size and modification time, the newest
snapshot that holds it (the one to restore it from) and how many snapshots
hold it since when: a file that did not change in 30 daily snapshots is one
line. "then gone" marks a file the newest snapshot no longer holds (deleted,
moved or excluded since). --all-tasks looks in every task's snapshots, for
a file whose task you do not know; Ctrl+C then stops the search, prints
what the tasks searched to the end found, and exits 1.`,
		Example: e.examples("find docs 'report*.odt'", "find docs '/home/alice/Documents/**/budget*'", "find --all-tasks 'budget*.xlsx'"),
		Args: func(cmd *cobra.Command, args []string) error {
			if all {
				return cmdline.ExactArgs(1)(cmd, args)
			}
			return cmdline.ExactArgs(2)(cmd, args)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if limit < 1 || limit > backup.FindMaxLimit {
				return cmdline.Usagef("--limit %d: give a number from 1 to %d", limit, backup.FindMaxLimit)
			}
			names, pattern := args[:1], args[len(args)-1]
			if all {
				var err error
				if names, err = allTaskNames(cmd.Context(), e); err != nil {
					return err
				}
			}
			// Ctrl+C stops the search; what the tasks searched to the
			// end found is printed, and where it stopped said.
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			s := findInTasks(ctx, e, names, pattern, limit, all)
			if s.err != nil {
				return s.err
			}
			if s.interrupted != "" && len(s.reports) == 0 {
				return errors.New(s.interrupted)
			}
			var err error
			switch {
			case asJSON && all:
				err = PrintJSON(e.Stdout, s.reports)
			case asJSON:
				err = PrintJSON(e.Stdout, s.reports[0])
			default:
				err = printFound(e.Stdout, s.reports, all)
			}
			if err != nil {
				return err
			}
			return s.problems()
		},
	}
	cmd.Flags().IntVar(&limit, "limit", backup.FindDefaultLimit, "list at most this many (in each task)")
	cmd.Flags().BoolVar(&all, "all-tasks", false, "look in every task's snapshots")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON (with --all-tasks, a list: one search a task)")
	return cmd
}

// allTaskNames names every task on the agent, for --all-tasks.
func allTaskNames(ctx context.Context, e *Env) ([]string, error) {
	res, err := e.Do(ctx, agent.OpTaskList, agent.TaskArgs{}, nil, false)
	if err != nil {
		return nil, err
	}
	if len(res.Tasks) == 0 {
		return nil, fmt.Errorf("no backup tasks to look in (%s)", e.hint("add NAME --source PATH --dest DIR"))
	}
	names := make([]string, 0, len(res.Tasks))
	for _, info := range res.Tasks {
		names = append(names, info.Task.Name)
	}
	return names, nil
}

// taskSearch is what task find's searches came to: the reports of the
// tasks searched to the end, the tasks that could not be searched, and
// where Ctrl+C stopped it. err is set when the one task asked for failed.
type taskSearch struct {
	reports     []*backup.FindReport
	failed      []string
	interrupted string
	err         error
}

// findInTasks searches the tasks in turn until ctx ends. With all (every
// task asked for), a task that fails is noted and the others searched.
func findInTasks(ctx context.Context, e *Env, names []string, pattern string, limit int, all bool) taskSearch {
	s := taskSearch{reports: make([]*backup.FindReport, 0, len(names))}
	for i, name := range names {
		// A long search shows a bar on a terminal's standard error;
		// what it prints stays the list alone, for scripts.
		view := newBarOnly(e.Stderr)
		res, err := e.Do(ctx, agent.OpTaskFind, agent.TaskArgs{Name: name, Pattern: pattern, Limit: limit}, view.event, false)
		view.done()
		switch {
		case err != nil && ctx.Err() != nil:
			s.interrupted = "interrupted while looking in " + name
			if all {
				s.interrupted += ": " + human.Plural(len(names)-i, "task", "tasks") + " not searched"
			}
			return s
		case err != nil && !all:
			s.err = err
			return s
		case err != nil:
			s.failed = append(s.failed, name+": "+err.Error())
		default:
			s.reports = append(s.reports, res.Found)
		}
	}
	return s
}

// problems is the error that ends a search printed in part: the tasks
// not searched and where it was interrupted, or nil.
func (s taskSearch) problems() error {
	var problems []string
	if len(s.failed) > 0 {
		problems = append(problems, human.Plural(len(s.failed), "task", "tasks")+" not searched: "+strings.Join(s.failed, "; "))
	}
	if s.interrupted != "" {
		problems = append(problems, s.interrupted)
	}
	if len(problems) == 0 {
		return nil
	}
	return errors.New(strings.Join(problems, "; "))
}

// printFound prints what the searches found, a version a line (with its
// task when there are several tasks), and then how many in how many
// snapshots.
func printFound(w io.Writer, reps []*backup.FindReport, withTask bool) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	head := false
	for _, fr := range reps {
		for _, f := range fr.Found {
			if !head {
				head = true
				if withTask {
					fmt.Fprint(tw, "TASK\t")
				}
				fmt.Fprintln(tw, "SNAPSHOT\tTIME\tSIZE\tMODIFIED\tIN\tPATH")
			}
			size := human.Bytes(f.Size)
			if f.Type != backup.TypeFile {
				size = f.Type
			}
			if withTask {
				fmt.Fprintf(tw, "%s\t", wire.PlainUpTo(fr.Task, maxPath))
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", f.Snapshot, f.Time.Local().Format("2006-01-02 15:04"), size,
				f.Modified(), keptIn(f), wire.PlainUpTo(f.Path, maxPath))
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, fr := range reps {
		line := fr.Summary()
		if withTask {
			line = wire.PlainUpTo(fr.Task, maxPath) + ": " + line
		}
		if fr.More {
			line += fmt.Sprintf(", or raise --limit (up to %s)", human.Count(backup.FindMaxLimit))
		}
		fmt.Fprintln(w, line)
	}
	return nil
}

// keptIn says how many snapshots hold a version found, since when, and
// whether the file is gone from the newer ones: "1 snapshot", "12
// snapshots since 2026-11-24", "3 snapshots since 2026-11-24, then gone".
func keptIn(f backup.FoundFile) string {
	in := human.Plural(f.Snapshots(), "snapshot", "snapshots")
	if f.Snapshots() > 1 {
		// The date, or the hour when it is the newest's day: TIME says
		// which day that is, and "since" that same date would say nothing.
		since := f.OldestTime.Local().Format(time.DateOnly)
		if since == f.Time.Local().Format(time.DateOnly) {
			since = f.OldestTime.Local().Format("15:04")
		}
		in += " since " + since
	}
	if f.Gone {
		in += ", then gone"
	}
	return in
}

func taskBrowseCmd(e *Env) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:     "browse NAME SNAPSHOT [FOLDER]",
		Short:   "List one folder of a snapshot (SNAPSHOT may be latest)",
		Example: e.examples("browse docs latest", "browse docs 2025-06-01T020000Z /home/alice/Documents"),
		Args:    cmdline.RangeArgs(2, 3),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := ""
			if len(args) == 3 {
				dir = args[2]
			}
			all, err := e.readFolder(cmd.Context(), agent.OpTaskBrowse, agent.TaskArgs{Name: args[0], Snapshot: args[1], Dir: dir})
			if err != nil {
				return err
			}
			if asJSON {
				return PrintJSON(e.Stdout, all)
			}
			fmt.Fprintf(e.Stdout, "%s in snapshot %s (%s)\n", wire.PlainUpTo(all.Dir, maxPath), wire.PlainUpTo(all.Snapshot, maxName), human.Plural(all.Total, "entry", "entries"))
			return printEntries(e.Stdout, all.Entries)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func taskFolderCmd(e *Env) *cobra.Command {
	var asJSON, create bool
	cmd := &cobra.Command{
		Use:   "folder [FOLDER] [--create]",
		Short: "List one folder of the server itself (default: its top), to choose a task's sources and destination",
		Long: `List one folder of the server itself, not of a snapshot: the folders and
files a task's sources and destination may be chosen from. FOLDER is an
absolute path; without it the top (/, or on Windows the drives).
--create first creates FOLDER (the last folder only, owner-only; its
parent must exist), for a task's destination or a restore's target.`,
		Example: e.examples("folder", "folder /srv", "folder /mnt/nas/fs01 --create"),
		Args:    cmdline.RangeArgs(0, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := ""
			if len(args) == 1 {
				dir = args[0]
			}
			if create {
				if err := e.makeFolder(cmd.Context(), dir, asJSON); err != nil {
					return err
				}
			}
			all, err := e.readFolder(cmd.Context(), agent.OpTaskListFolder, agent.TaskArgs{Dir: dir})
			if err != nil {
				return err
			}
			if asJSON {
				return PrintJSON(e.Stdout, all)
			}
			fmt.Fprintf(e.Stdout, "%s (%s)\n", cmp.Or(wire.PlainUpTo(all.Dir, maxPath), "the drives"), human.Plural(all.Total, "entry", "entries"))
			return printEntries(e.Stdout, all.Entries)
		},
	}
	cmd.Flags().BoolVar(&create, "create", false, "create FOLDER first (its parent must exist)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	// FOLDER completes from the server's folders, not this computer's.
	cmd.ValidArgsFunction = func(cmd *cobra.Command, args []string, typed string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return e.completeFolder(cmd, typed), cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
	}
	return cmd
}

// makeFolder creates folder dir for task folder --create and says so on
// standard error (standard output is the listing), unless quiet.
func (e *Env) makeFolder(ctx context.Context, dir string, quiet bool) error {
	if dir == "" {
		return cmdline.Usagef("--create needs the FOLDER to create")
	}
	res, err := e.Do(ctx, agent.OpTaskMakeFolder, agent.TaskArgs{Dir: dir}, nil, true)
	if err != nil || quiet {
		return err
	}
	if res.Created {
		fmt.Fprintln(e.Stderr, "created", wire.PlainUpTo(dir, maxPath))
	} else {
		fmt.Fprintln(e.Stderr, wire.PlainUpTo(dir, maxPath), "is there already")
	}
	return nil
}

// completeFolder offers the server's folders that begin as typed does,
// each with its separator, or nothing when they cannot be read.
func (e *Env) completeFolder(cmd *cobra.Command, typed string) []cobra.Completion {
	i := strings.LastIndexAny(typed, `/\`)
	if i < 0 {
		return nil
	}
	dir, sep := typed[:i+1], typed[i:i+1]
	res := e.completionAsk(cmd, agent.OpTaskListFolder, agent.TaskArgs{Dir: dir, Limit: backup.BrowseMaxEntries})
	if res == nil || res.Page == nil {
		return nil
	}
	var out []cobra.Completion
	for _, en := range res.Page.Entries {
		if en.Type == backup.TypeDir && strings.HasPrefix(dir+en.Name, typed) {
			out = append(out, dir+en.Name+sep)
		}
	}
	return out
}

// maxName and maxPath are how much of a name and of a folder's path a
// listing prints (file systems allow 255 bytes a name, Linux 4,096 a
// path).
const (
	maxName = 255
	maxPath = 4096
)

// readFolder reads a whole folder listing (op with args' Dir) page by
// page.
func (e *Env) readFolder(ctx context.Context, op string, args agent.TaskArgs) (backup.BrowsePage, error) {
	all := backup.BrowsePage{Entries: []backup.BrowseEntry{}}
	args.Limit = backup.BrowseMaxEntries
	for {
		res, err := e.Do(ctx, op, args, nil, false)
		if err != nil {
			return all, err
		}
		all.Snapshot, all.Dir, all.Total = res.Page.Snapshot, res.Page.Dir, res.Page.Total
		all.Entries = append(all.Entries, res.Page.Entries...)
		if res.Page.Next == "" {
			return all, nil
		}
		args.After = res.Page.Next
	}
}

// printEntries prints a folder's entries as ls -l does, more or less; a
// name that is not plain (a line break, a terminal's escape) is quoted,
// as the server's words are wherever they are shown.
func printEntries(w io.Writer, entries []backup.BrowseEntry) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	for _, en := range entries {
		name := wire.PlainUpTo(en.Name, maxName)
		switch en.Type {
		case backup.TypeDir:
			name += "/"
		case backup.TypeSymlink:
			name += " -> " + wire.PlainUpTo(en.Target, maxName)
		}
		size := "-"
		if en.Type == backup.TypeFile {
			size = human.Bytes(en.Size)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t %s\n", modeString(en), size, en.MTime.Local().Format("2006-01-02 15:04"), name)
	}
	return tw.Flush()
}

// modeString is en's type and permissions as ls prints them:
// drwxr-x---, -rw-r--r--, lrwxrwxrwx, drwxrwxrwt, -rwsr-xr-x.
func modeString(en backup.BrowseEntry) string {
	b := []byte("-" + os.FileMode(en.Mode).Perm().String()[1:])
	switch en.Type {
	case backup.TypeDir:
		b[0] = 'd'
	case backup.TypeSymlink:
		b[0] = 'l'
	}
	special := func(i int, bit os.FileMode, x, noX byte) {
		switch {
		case en.Mode&bit == 0:
		case b[i] == 'x':
			b[i] = x
		default:
			b[i] = noX
		}
	}
	special(3, os.ModeSetuid, 's', 'S')
	special(6, os.ModeSetgid, 's', 'S')
	special(9, os.ModeSticky, 't', 'T')
	return string(b)
}

func taskVerifyCmd(e *Env) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "verify NAME [SNAPSHOT]",
		Short: "Re-read a snapshot (default: the newest) and check every file against its manifest",
		Long: `Re-read every file of a snapshot (default: the newest) and compare it with
the snapshot's manifest: content hash, size, type, link target. Exit code 0
only when every file matches; each missing or changed file is listed, and
the next run copies those files afresh from the server rather than link
their damaged copies into its snapshot.`,
		Args: cmdline.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			snap := "latest"
			if len(args) == 2 {
				snap = args[1]
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			view := newProgress(e.Stdout)
			res, err := e.Do(ctx, agent.OpTaskVerify, agent.TaskArgs{Name: args[0], Snapshot: snap}, view.event, true)
			view.done()
			if err != nil {
				return err
			}
			vr := res.Verify
			if asJSON {
				if err := PrintJSON(e.Stdout, vr); err != nil {
					return err
				}
			} else if vr.OK() {
				fmt.Fprintf(e.Stdout, "snapshot %s verified: %s, %s re-read, every file matches its manifest\n", vr.Snapshot, human.Plural(vr.Files, "file", "files"), human.Bytes(vr.Bytes))
			} else {
				for _, p := range vr.Problems {
					fmt.Fprintf(e.Stdout, "%s: %s\n", p.Path, p.Reason)
				}
			}
			if !vr.OK() {
				err := fmt.Errorf("snapshot %s does not match its manifest: %d missing, %d changed", vr.Snapshot, vr.Missing, vr.Changed)
				if next := vr.NextRun(); next != "" {
					err = fmt.Errorf("%w; %s", err, next)
				}
				return err
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func taskDeleteSnapshotCmd(e *Env) *cobra.Command {
	var asJSON, dryRun bool
	cmd := &cobra.Command{
		Use:   "delete-snapshot NAME SNAPSHOT [--dry-run]",
		Short: "Delete one snapshot now, to make room on the destination",
		Long: `Delete one snapshot of a task now, by its ID (task snapshots lists them),
to make room on a destination that is nearly full; retention only acts
after the next run. Files it shares with other snapshots stay with them:
only what was its own frees room. Refused while the task runs and while a
restore or verify reads the snapshot.

With --dry-run nothing is deleted: it says how much room deleting the
snapshot would free, and how many of its files are its own and how many
it shares. It reads the whole snapshot, which takes a while on a big one.`,
		Example: e.examples("delete-snapshot docs 2025-06-01T020000Z --dry-run", "delete-snapshot docs 2025-06-01T020000Z"),
		Args:    cmdline.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			targs := agent.TaskArgs{Name: args[0], Snapshot: args[1]}
			if !dryRun {
				res, err := e.Do(cmd.Context(), agent.OpTaskDeleteSnapshot, targs, nil, true)
				if err != nil {
					return err
				}
				return e.printDescribed(asJSON, res.Deleted)
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM) // Ctrl+C stops the measuring
			defer stop()
			res, err := e.Do(ctx, agent.OpTaskEstimateDeletion, targs, nil, true)
			if err != nil {
				return err
			}
			return e.printDescribed(asJSON, res.Estimate)
		},
	}
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "delete nothing: say how much room deleting it would free")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func taskRestoreCmd(e *Env) *cobra.Command {
	var target string
	var paths []string
	var original, overwrite, skip, asJSON bool
	cmd := &cobra.Command{
		Use:   "restore NAME SNAPSHOT (--target DIR | --original) [--path P]… [--overwrite | --skip-existing]",
		Short: "Copy a snapshot, or paths of it, into a folder or back where they were",
		Long: `Copy a whole snapshot (SNAPSHOT may be latest), or the files and folders given
with --path (their original paths), into DIR, keeping each file's full path
below it (/home/alice/a.txt is restored as DIR/home/alice/a.txt), with its
mode and times; or, with --original, back to where they were backed up from
(/home/alice/a.txt to /home/alice/a.txt).

If any file to restore exists there already, nothing at all is restored,
unless --skip-existing is given (those files are left as they are, and only
what is missing is restored: files deleted by mistake) or --overwrite (they
are replaced by the snapshot's).

Each file is checked against the content its backup recorded: one whose copy
was damaged on the backup disk since is restored as it is and named in a
warning, the next run copies it afresh, and the command exits 3. A file whose
copy cannot be read is named and left out, the rest restored, and the
command exits 1.`,
		Example: e.examples("restore docs latest --target /tmp/restore --path /home/alice/Documents/report.odt",
			"restore docs latest --original --skip-existing --path /home/alice/Documents"),
		Args: cmdline.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			args2 := agent.TaskArgs{Name: args[0], Snapshot: args[1], Original: original, Paths: paths, Overwrite: overwrite, SkipExisting: skip}
			switch {
			case original && target != "":
				return cmdline.Usagef("task restore takes --target DIR or --original, not both")
			case overwrite && skip:
				return cmdline.Usagef("task restore takes --overwrite or --skip-existing, not both")
			case !original && target == "":
				return cmdline.Usagef("task restore needs --target DIR, or --original to restore to where the files were")
			case !original:
				abs, err := e.path("--target", target)
				if err != nil {
					return err
				}
				args2.Target = abs
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			view := newProgress(e.Stdout)
			res, err := e.Do(ctx, agent.OpTaskRestore, args2, view.event, true)
			view.done()
			if err != nil {
				return err
			}
			rr := res.Restore
			if asJSON {
				if err := PrintJSON(e.Stdout, rr); err != nil {
					return err
				}
				return restoreExit(rr)
			}
			fmt.Fprintln(e.Stdout, rr.Summary())
			for _, p := range rr.Paths {
				fmt.Fprintln(e.Stdout, "  "+p)
			}
			for _, w := range rr.Warnings {
				fmt.Fprintln(e.Stderr, "warning:", w)
			}
			return restoreExit(rr)
		},
	}
	cmd.Flags().StringVar(&target, "target", "", "folder to restore into (created if missing)")
	cmd.Flags().BoolVar(&original, "original", false, "restore to where the files were backed up from, instead of into --target")
	cmd.Flags().StringArrayVar(&paths, "path", nil, "restore only this file or folder, by its original path (repeatable)")
	cmd.Flags().BoolVar(&overwrite, "overwrite", false, "replace the files that exist already")
	cmd.Flags().BoolVar(&skip, "skip-existing", false, "leave the files that exist already as they are, restoring only what is missing")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}
