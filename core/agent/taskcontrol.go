package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/sirupsen/logrus"

	"github.com/lanyard/lanyard/core/backup"
	"github.com/lanyard/lanyard/core/control"
	"github.com/lanyard/lanyard/core/store"
)

// Task operations on the control socket; TaskArgs carries their
// arguments and TaskResult their answers. The command line reaches a
// running agent with them (TaskControl), and, when none runs, the same
// operations run in-process on the database (the engine too), with the
// same validation and words.
const (
	OpTaskList      = "task_list"
	OpTaskGet       = "task_get"       // Name
	OpTaskAdd       = "task_add"       // Task
	OpTaskEdit      = "task_edit"      // Task, at Task.Version
	OpTaskRemove    = "task_remove"    // Name, Version (0: any)
	OpTaskRun       = "task_run"       // Name, Wait, Reread
	OpTaskStop      = "task_stop"      // Name
	OpTaskHistory   = "task_history"   // Name, Limit
	OpTaskSnapshots = "task_snapshots" // Name
	OpTaskBrowse    = "task_browse"    // Name, Snapshot, Dir, After, Limit
	OpTaskVerify    = "task_verify"    // Name, Snapshot
	OpTaskRestore   = "task_restore"   // Name, Snapshot, Target or Original, Paths, Overwrite or SkipExisting
	// OpTaskDeleteSnapshot: Name, Snapshot (its ID).
	OpTaskDeleteSnapshot = "task_delete_snapshot"
	// OpTaskEstimateDeletion: Name, Snapshot (its ID). An operation of
	// its own, not a flag of the deletion: an older agent refuses it
	// rather than deleting.
	OpTaskEstimateDeletion = "task_estimate_deletion"
	// OpTaskListFolder: Dir, After, Limit. A folder of the server itself,
	// not of a snapshot: where a task's paths may be chosen.
	OpTaskListFolder = "task_list_folder"
	// OpTaskMakeFolder: Dir. A new folder on the server itself, where a
	// task's destination or a restore may go; Created says whether it was
	// made (false: it was there).
	OpTaskMakeFolder = "task_make_folder"
	// OpTaskFind: Name, Pattern, Limit.
	OpTaskFind = "task_find"
)

var taskOps = []string{OpTaskList, OpTaskGet, OpTaskAdd, OpTaskEdit, OpTaskRemove, OpTaskRun, OpTaskStop,
	OpTaskHistory, OpTaskSnapshots, OpTaskBrowse, OpTaskVerify, OpTaskRestore, OpTaskDeleteSnapshot, OpTaskEstimateDeletion,
	OpTaskListFolder, OpTaskMakeFolder, OpTaskFind}

func isTaskOp(op string) bool { return strings.HasPrefix(op, "task_") }

// TaskArgs are the arguments of a task operation.
type TaskArgs struct {
	Name      string       `json:"name,omitempty"`
	Task      *backup.Task `json:"definition,omitempty"`
	Version   uint64       `json:"version,omitempty"`
	Wait      bool         `json:"wait,omitempty"`
	Limit     int          `json:"limit,omitempty"`
	Snapshot  string       `json:"snapshot,omitempty"`
	Dir       string       `json:"dir,omitempty"`
	After     string       `json:"after,omitempty"`
	Target    string       `json:"target,omitempty"`
	Paths     []string     `json:"paths,omitempty"`
	Overwrite bool         `json:"overwrite,omitempty"`
	Pattern   string       `json:"pattern,omitempty"` // what task_find looks for
	// Original restores to where the files were, instead of into Target;
	// SkipExisting leaves the files there as they are.
	Original     bool `json:"original,omitempty"`
	SkipExisting bool `json:"skip_existing,omitempty"`
	// CreateDest creates a task's destination folder when it is missing
	// (add, edit).
	CreateDest bool `json:"create_dest,omitempty"`
	// Reread: the run reads every file (RunOptions).
	Reread bool `json:"reread,omitempty"`
}

// RestoreOptions are a restore's options among the arguments.
func (a *TaskArgs) RestoreOptions() backup.RestoreOptions {
	return backup.RestoreOptions{Target: a.Target, Original: a.Original, Paths: a.Paths, Overwrite: a.Overwrite, SkipExisting: a.SkipExisting}
}

// TaskResult is the answer to a task operation; which fields are set
// depends on the operation.
type TaskResult struct {
	Tasks     []TaskInfo               `json:"tasks,omitempty"`
	Info      *TaskInfo                `json:"info,omitempty"`
	Warnings  []string                 `json:"warnings,omitempty"`
	Removed   *backup.Task             `json:"removed,omitempty"`
	Started   bool                     `json:"started,omitempty"` // a run began and goes on in the agent
	Report    *backup.Report           `json:"report,omitempty"`  // a run that ended
	Stopped   bool                     `json:"stopped,omitempty"`
	History   []backup.Report          `json:"history,omitempty"`
	Snapshots []backup.SnapshotInfo    `json:"snapshots,omitempty"`
	Page      *backup.BrowsePage       `json:"page,omitempty"`
	Created   bool                     `json:"created,omitempty"` // a folder was made (task_make_folder)
	Verify    *backup.VerifyReport     `json:"verify,omitempty"`
	Restore   *backup.RestoreReport    `json:"restore,omitempty"`
	Deleted   *backup.DeleteReport     `json:"deleted,omitempty"`  // a snapshot deleted
	Estimate  *backup.DeletionEstimate `json:"estimate,omitempty"` // what deleting it would free
	Found     *backup.FindReport       `json:"found,omitempty"`
	// Running: a running agent answered; else the database was used.
	Running bool `json:"running"`
}

// serveTask answers a task operation on the control socket, streaming
// progress lines first when asked.
func (a *Agent) serveTask(ctx context.Context, req ControlRequest, w *control.Writer) {
	var emit func(TaskEvent)
	if req.Stream {
		// The client's hang-up ends ctx: a waiting `task run` that is
		// interrupted leaves the run going; a verify or restore stops.
		w.Watch()
		emit = func(ev TaskEvent) { _ = w.Send(ControlResponse{OK: true, Changes: []string{}, Event: &ev}) }
	}
	res, err := a.tasks.Do(ctx, req, emit, true)
	if err != nil {
		reply(w, ControlResponse{Error: err.Error(), Usage: IsUsage(err)})
		return
	}
	res.Running = true
	reply(w, ControlResponse{OK: true, Task: res})
}

// Do carries out one task operation. emit, when set, receives progress
// events of a run (with Wait), verify or restore. detach says a run
// without Wait may go on after Do returns (a running agent); otherwise Do
// waits for it, and stops it if ctx ends first.
func (t *Tasks) Do(ctx context.Context, req ControlRequest, emit func(TaskEvent), detach bool) (*TaskResult, error) {
	args := TaskArgs{}
	if req.Task != nil {
		args = *req.Task
	}
	res := &TaskResult{}
	progress := func(s backup.Status) {
		if emit != nil {
			emit(TaskEvent{Kind: EventProgress, Task: args.Name, Status: &s})
		}
	}
	var err error
	switch req.Op {
	case OpTaskList:
		res.Tasks, err = t.List(ctx)
		if res.Tasks == nil {
			res.Tasks = []TaskInfo{}
		}
	case OpTaskGet:
		var info TaskInfo
		if info, err = t.Get(ctx, args.Name); err == nil {
			res.Info = &info
		}
	case OpTaskAdd, OpTaskEdit:
		if args.Task == nil {
			return nil, usagef("%s needs the task's definition", req.Op)
		}
		task := *args.Task
		if req.Op == OpTaskAdd {
			task.Version = 0
		} else if task.Version == 0 {
			return nil, usagef("%s needs the version of the task it edits", req.Op)
		}
		var info TaskInfo
		if info, res.Warnings, err = t.Put(ctx, task, PutOptions{CreateDestination: args.CreateDest}); err == nil {
			res.Info = &info
		}
	case OpTaskRemove:
		var removed backup.Task
		if removed, err = t.Remove(ctx, args.Name, args.Version); err == nil {
			res.Removed = &removed
		}
	case OpTaskRun:
		err = t.doRun(ctx, args, emit, detach, res)
	case OpTaskStop:
		res.Stopped, err = t.Stop(ctx, args.Name)
	case OpTaskHistory:
		res.History, err = t.History(ctx, args.Name, args.Limit)
	case OpTaskSnapshots:
		res.Snapshots, err = t.Snapshots(ctx, args.Name)
	case OpTaskBrowse:
		var page backup.BrowsePage
		if page, err = t.Browse(ctx, args.Name, args.Snapshot, args.Dir, args.After, args.Limit); err == nil {
			res.Page = &page
		}
	case OpTaskListFolder:
		var page backup.BrowsePage
		if page, err = backup.ListFolder(args.Dir, args.After, args.Limit); err == nil {
			res.Page = &page
		}
	case OpTaskMakeFolder:
		res.Created, err = t.MakeFolder(args.Dir)
	case OpTaskFind:
		var fr backup.FindReport
		if fr, err = t.Find(ctx, args.Name, args.Pattern, args.Limit, backup.ProgressFunc(progress), nil); err == nil {
			res.Found = &fr
		}
	case OpTaskVerify:
		var vr backup.VerifyReport
		if vr, err = t.Verify(ctx, args.Name, args.Snapshot, backup.ProgressFunc(progress)); err == nil {
			res.Verify = &vr
		}
	case OpTaskRestore:
		var rr backup.RestoreReport
		if rr, err = t.Restore(ctx, args.Name, args.Snapshot, args.RestoreOptions(), backup.ProgressFunc(progress)); err == nil {
			res.Restore = &rr
		}
	case OpTaskDeleteSnapshot:
		var dr backup.DeleteReport
		if dr, err = t.DeleteSnapshot(ctx, args.Name, args.Snapshot); err == nil {
			res.Deleted = &dr
		}
	case OpTaskEstimateDeletion:
		var est backup.DeletionEstimate
		if est, err = t.EstimateDeletion(ctx, args.Name, args.Snapshot); err == nil {
			res.Estimate = &est
		}
	default:
		return nil, usagef("unknown task operation %q (known: %s)", req.Op, strings.Join(taskOps, ", "))
	}
	if err != nil {
		return nil, err
	}
	return res, nil
}

// doRun starts a run and, with Wait (or when the run cannot outlive the
// call), forwards its progress and waits for its report.
func (t *Tasks) doRun(ctx context.Context, args TaskArgs, emit func(TaskEvent), detach bool, res *TaskResult) error {
	wait := args.Wait || !detach
	var events <-chan TaskEvent
	if wait && emit != nil {
		ch, unsubscribe := t.Subscribe(64)
		defer unsubscribe()
		events = ch
	}
	h, err := t.RunWith(ctx, args.Name, backup.TriggerManual, RunOptions{Reread: args.Reread})
	if err != nil {
		return err
	}
	if !wait {
		info, err := t.Get(ctx, args.Name)
		res.Started, res.Info = true, &info
		return err
	}
	forward := func(ev TaskEvent) {
		if ev.Kind == EventProgress && backup.NameKey(ev.Task) == backup.NameKey(h.Task) {
			emit(ev)
		}
	}
	for {
		select {
		case ev := <-events:
			forward(ev)
		case <-h.Done():
			// The last progress update is sent before the run ends.
			for drained := false; !drained; {
				select {
				case ev := <-events:
					forward(ev)
				default:
					drained = true
				}
			}
			rep := h.Report()
			res.Report = &rep
			return nil
		case <-ctx.Done():
			if detach {
				return ctx.Err() // the client left; the run goes on
			}
			t.eng.Stop(context.Background(), h.Task)
			rep := h.Report()
			res.Report = &rep
			return nil
		}
	}
}

// TaskControl carries out a task operation on the agent whose data
// directory is dataDir: through its control socket when it runs, else
// in-process on its database (runs then happen here, and end with the
// call). onEvent, when set, receives progress. A refusal of the request
// itself is a usage error (IsUsage); log receives what the agent would
// log of an offline run.
func TaskControl(ctx context.Context, dataDir string, req ControlRequest, onEvent func(TaskEvent), log logrus.FieldLogger) (*TaskResult, error) {
	c, err := DialControl(dataDir)
	if err == nil {
		return c.Task(ctx, req, onEvent)
	}
	if !errors.Is(err, ErrNotRunning) {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(dataDir, DBFile)); errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNotInitialized
	}
	db, c, err := openOffline(dataDir)
	if c != nil {
		return c.Task(ctx, req, onEvent)
	}
	if err != nil {
		return nil, err
	}
	res, err := ApplyTaskOffline(ctx, db, req, onEvent, log)
	if cerr := db.Close(); err == nil && cerr != nil {
		return nil, cerr
	}
	return res, err
}

// ApplyTaskOffline is a task operation on the database of an agent that
// is not running.
func ApplyTaskOffline(ctx context.Context, db *store.DB, req ControlRequest, onEvent func(TaskEvent), log logrus.FieldLogger) (*TaskResult, error) {
	t := NewTasks(TasksConfig{DB: db, Logger: log})
	if err := t.Start(ctx); err != nil {
		return nil, err
	}
	defer t.Close()
	return t.Do(ctx, req, onEvent, false)
}

// Task sends a task operation to the running agent; with onEvent it asks
// for progress lines and hands each to onEvent.
func (c *ControlClient) Task(ctx context.Context, req ControlRequest, onEvent func(TaskEvent)) (*TaskResult, error) {
	if onEvent == nil {
		resp, err := c.Do(req)
		if err != nil {
			return nil, err
		}
		return taskResult(resp)
	}
	req.Stream = true
	var final *ControlResponse
	err := c.c.Stream(ctx, encodeRequest(req), func(line []byte) error {
		var resp ControlResponse
		if err := json.Unmarshal(line, &resp); err != nil {
			return fmt.Errorf("garbled answer from the agent: %w", err)
		}
		if resp.Event != nil {
			onEvent(*resp.Event)
			return nil
		}
		final = &resp
		return nil
	})
	if err != nil {
		return nil, controlDialError(err)
	}
	if final == nil {
		return nil, errors.New("the agent ended the answer early (did it stop?)")
	}
	if !final.OK {
		return nil, &ControlError{Message: final.Error, Usage: final.Usage}
	}
	return taskResult(*final)
}

func taskResult(resp ControlResponse) (*TaskResult, error) {
	if resp.Task == nil {
		return nil, errors.New("the running agent does not know task operations: restart it so that it runs this version")
	}
	return resp.Task, nil
}
