package console

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/lanyard/lanyard/app/cmdline"
	"github.com/lanyard/lanyard/app/taskcli"
	"github.com/lanyard/lanyard/core/agent"
	"github.com/lanyard/lanyard/core/backup"
	"github.com/lanyard/lanyard/core/control"
)

// `lanyard task … --slave NAME`: the agent's own task commands
// (app/taskcli), carried out on a slave through the running console.

func taskCmd(e *env) *cobra.Command {
	var slave string
	te := &taskcli.Env{Stdout: e.stdout, Stderr: e.stderr, Prog: "lanyard", RemotePaths: true,
		Where:        func() string { return " --slave " + slave },
		ExampleWhere: " --slave FS01",
		Do: func(ctx context.Context, op string, args agent.TaskArgs, onEvent func(agent.TaskEvent), _ bool) (*agent.TaskResult, error) {
			if err := needSlave(slave); err != nil {
				return nil, err
			}
			return e.taskDo(ctx, slave, op, args, onEvent)
		},
	}
	cmd := taskcli.Command(te, `Backup tasks of a slave, through the running console (the window or lanyard
serve): the same commands, flags, JSON and exit codes as lanyard-agent task
on the server. Paths are the server's, and must be absolute. task copy
and task rerun, the console's own, give a task to other slaves and run
the failed tasks of many again.`, taskCopyCmd(e, &slave), taskRerunCmd(e, &slave))
	cmd.PersistentFlags().StringVar(&slave, "slave", "", "the slave (its name in this console)")
	return cmd
}

// taskDo sends one task operation to the running console for slave.
func (e *env) taskDo(ctx context.Context, slave, op string, args agent.TaskArgs, onEvent func(agent.TaskEvent)) (*agent.TaskResult, error) {
	req := ctlRequest{Op: op, Slave: slave, Task: &args, Stream: onEvent != nil}
	r, err := e.call(ctx, req, func(part ctlResponse) error {
		if part.Event != nil && onEvent != nil {
			onEvent(*part.Event)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if r.Task == nil {
		return nil, fmt.Errorf("the running console does not know task commands: restart it so that it runs this version")
	}
	return r.Task, nil
}

// task carries out a task operation on a slave for the control socket.
func (h *ctlHandler) task(ctx context.Context, req *ctlRequest, w *control.Writer) ctlResponse {
	if req.Stream {
		w.Watch() // Ctrl+C ends a wait; a verify or restore stops
	}
	args := agent.TaskArgs{}
	if req.Task != nil {
		args = *req.Task
	}
	progress := func(s backup.Status) {
		if req.Stream {
			_ = w.Send(ctlResponse{OK: true, Event: &agent.TaskEvent{Kind: agent.EventProgress, Task: args.Name, Status: &s}})
		}
	}
	res := &agent.TaskResult{Running: true}
	var err error
	switch req.Op {
	case agent.OpTaskList, agent.OpTaskGet, agent.OpTaskAdd, agent.OpTaskEdit, agent.OpTaskRemove:
		err = h.taskDefinition(ctx, req.Op, req.Slave, args, res)
	case agent.OpTaskRun, agent.OpTaskStop, agent.OpTaskHistory:
		err = h.taskRun(ctx, req.Op, req.Slave, args, progress, res)
	case agent.OpTaskSnapshots, agent.OpTaskBrowse, agent.OpTaskVerify, agent.OpTaskRestore, agent.OpTaskDeleteSnapshot, agent.OpTaskEstimateDeletion,
		agent.OpTaskListFolder, agent.OpTaskMakeFolder, agent.OpTaskFind:
		err = h.taskSnapshot(ctx, req.Op, req.Slave, args, progress, res)
	default:
		return ctlResponse{Error: fmt.Sprintf("unknown task operation %q", req.Op), Usage: true}
	}
	if cmdline.IsUsage(err) {
		return ctlResponse{Error: err.Error(), Usage: true}
	}
	if err != nil {
		return failure(err)
	}
	return ctlResponse{Task: res}
}

// taskDefinition lists, shows, adds, edits or removes a task, into res.
func (h *ctlHandler) taskDefinition(ctx context.Context, op, slave string, args agent.TaskArgs, res *agent.TaskResult) error {
	m := h.m
	var err error
	var info agent.TaskInfo
	switch op {
	case agent.OpTaskList:
		res.Tasks, err = m.Tasks(ctx, slave)
	case agent.OpTaskGet:
		if info, err = m.Task(ctx, slave, args.Name); err == nil {
			res.Info = &info
		}
	case agent.OpTaskAdd, agent.OpTaskEdit:
		if args.Task == nil {
			return cmdline.Usagef("%s needs the task's definition", op)
		}
		t := *args.Task
		if op == agent.OpTaskAdd {
			t.Version = 0
		}
		if info, res.Warnings, err = m.PutTask(ctx, slave, t, agent.PutOptions{CreateDestination: args.CreateDest}); err == nil {
			res.Info = &info
		}
	case agent.OpTaskRemove:
		var removed backup.Task
		if removed, err = m.RemoveTask(ctx, slave, args.Name, args.Version); err == nil {
			res.Removed = &removed
		}
	}
	return err
}

// taskRun starts (or runs and waits for) a task, stops it, or reads its
// history, into res.
func (h *ctlHandler) taskRun(ctx context.Context, op, slave string, args agent.TaskArgs, progress func(backup.Status), res *agent.TaskResult) error {
	m := h.m
	var err error
	switch op {
	case agent.OpTaskRun:
		if args.Wait {
			var rep backup.Report
			if rep, err = m.RunTaskAndWaitWith(ctx, slave, args.Name, agent.RunOptions{Reread: args.Reread}, progress); err == nil {
				res.Report = &rep
			}
			return err
		}
		var info agent.TaskInfo
		if info, err = m.RunTaskWith(ctx, slave, args.Name, agent.RunOptions{Reread: args.Reread}); err == nil {
			res.Started, res.Info = true, &info
		}
	case agent.OpTaskStop:
		res.Stopped, err = m.StopTask(ctx, slave, args.Name)
	case agent.OpTaskHistory:
		res.History, err = m.TaskHistory(ctx, slave, args.Name, args.Limit)
	}
	return err
}

// taskSnapshot lists a task's snapshots, browses, verifies, restores or
// deletes one (or says what deleting it would free), or lists a folder of
// the server to choose paths from, into res.
func (h *ctlHandler) taskSnapshot(ctx context.Context, op, slave string, args agent.TaskArgs, progress func(backup.Status), res *agent.TaskResult) error {
	m := h.m
	var err error
	switch op {
	case agent.OpTaskSnapshots:
		res.Snapshots, err = m.TaskSnapshots(ctx, slave, args.Name)
	case agent.OpTaskBrowse:
		var page backup.BrowsePage
		if page, err = m.BrowseSnapshot(ctx, slave, args.Name, args.Snapshot, args.Dir, args.After, args.Limit); err == nil {
			res.Page = &page
		}
	case agent.OpTaskListFolder:
		var page backup.BrowsePage
		if page, err = m.ListFolder(ctx, slave, args.Dir, args.After, args.Limit); err == nil {
			res.Page = &page
		}
	case agent.OpTaskMakeFolder:
		res.Created, err = m.MakeFolder(ctx, slave, args.Dir)
	case agent.OpTaskFind:
		var fr backup.FindReport
		if fr, err = m.FindInSnapshots(ctx, slave, args.Name, args.Pattern, args.Limit, progress, nil); err == nil {
			res.Found = &fr
		}
	case agent.OpTaskVerify:
		var vr backup.VerifyReport
		if vr, err = m.VerifySnapshot(ctx, slave, args.Name, args.Snapshot, progress); err == nil {
			res.Verify = &vr
		}
	case agent.OpTaskDeleteSnapshot:
		var dr backup.DeleteReport
		if dr, err = m.DeleteSnapshot(ctx, slave, args.Name, args.Snapshot); err == nil {
			res.Deleted = &dr
		}
	case agent.OpTaskEstimateDeletion:
		var est backup.DeletionEstimate
		if est, err = m.EstimateDeletion(ctx, slave, args.Name, args.Snapshot); err == nil {
			res.Estimate = &est
		}
	case agent.OpTaskRestore:
		var rr backup.RestoreReport
		if rr, err = m.RestoreSnapshot(ctx, slave, args.Name, args.Snapshot, args.RestoreOptions(), progress); err == nil {
			res.Restore = &rr
		}
	}
	return err
}
