package ui

import (
	"context"
	"errors"

	"github.com/lanyard/lanyard/core/agent"
	"github.com/lanyard/lanyard/core/backup"
	"github.com/lanyard/lanyard/core/master"
	"github.com/lanyard/lanyard/core/wire/pb"
)

// Remote manages one slave over its link: the Log and Settings tabs and
// the Change Password dialog use it. *master.Master provides it; every
// call is slow (it crosses the network) and runs off the Fyne thread.
type Remote interface {
	// AgentLog streams a slave's log: the backlog, then (Follow) new
	// lines until ctx ends. onLines runs on the caller's goroutine.
	AgentLog(ctx context.Context, name string, q master.LogQuery, onLines func([]*pb.LogLine) error) error
	AgentSettings(ctx context.Context, name string) (*pb.AgentSettings, error)
	SetAgentSettings(ctx context.Context, name string, req *pb.SettingsSetRequest) (*pb.SettingsSetResponse, error)
	// ChangePassword gives the slave a new password over its SSL link and
	// saves it in the entry; the link survives. pw is zeroed by the caller.
	ChangePassword(ctx context.Context, name string, pw []byte) ([]string, error)

	// Backup tasks of a slave (the Tasks tab and its dialogs).
	Tasks(ctx context.Context, slave string) ([]agent.TaskInfo, error)
	Task(ctx context.Context, slave, name string) (agent.TaskInfo, error)
	CheckTask(ctx context.Context, slave string, t backup.Task) (master.TaskCheck, error)
	PutTask(ctx context.Context, slave string, t backup.Task, opt agent.PutOptions) (agent.TaskInfo, []string, error)
	RemoveTask(ctx context.Context, slave, name string, version uint64) (backup.Task, error)
	// RunTaskWith starts a run; with o.Reread it reads every file.
	RunTaskWith(ctx context.Context, slave, name string, o agent.RunOptions) (agent.TaskInfo, error)
	StopTask(ctx context.Context, slave, name string) (bool, error)
	TaskHistory(ctx context.Context, slave, name string, limit int) ([]backup.Report, error)
	TaskSnapshots(ctx context.Context, slave, name string) ([]backup.SnapshotInfo, error)
	BrowseSnapshot(ctx context.Context, slave, name, snapshot, dir, after string, limit int) (backup.BrowsePage, error)
	// FindInSnapshots looks for the files a pattern matches in every
	// snapshot of the task, newest first, each version once (the Restore
	// dialog's Find), saying how many it has read and what each part of
	// the answer adds to the report as it comes; the report holds what
	// came also when it is called off.
	FindInSnapshots(ctx context.Context, slave, name, pattern string, limit int, onProgress func(backup.Status),
		onFound func(backup.FindPart)) (backup.FindReport, error)
	VerifySnapshot(ctx context.Context, slave, name, snapshot string, onProgress func(backup.Status)) (backup.VerifyReport, error)
	RestoreSnapshot(ctx context.Context, slave, name, snapshot string, opt backup.RestoreOptions, onProgress func(backup.Status)) (backup.RestoreReport, error)
	DeleteSnapshot(ctx context.Context, slave, name, snapshot string) (backup.DeleteReport, error)
	EstimateDeletion(ctx context.Context, slave, name, snapshot string) (backup.DeletionEstimate, error)
	// ListFolder lists a page of one of the slave's own folders ("" its
	// top), to choose a task's paths from (the folder picker).
	ListFolder(ctx context.Context, slave, dir, after string, limit int) (backup.BrowsePage, error)
	// MakeFolder creates a folder on the slave itself (the folder
	// picker's New Folder…) and says whether it did.
	MakeFolder(ctx context.Context, slave, dir string) (bool, error)
	// CopyTask gives a slave's task to others (the Copy To dialog); done
	// hears each one's result as it ends.
	CopyTask(ctx context.Context, from, name string, to []string, opt master.CopyOptions, done func(master.CopyResult)) ([]master.CopyResult, error)
	// WatchTasks streams every slave's task events; cancel closes it.
	WatchTasks(buffer int) (<-chan master.TaskEvent, func())
}

var _ Remote = (*master.Master)(nil)

// runner is what a tab needs of the window it lives in: goroutines the
// window owns (cancelled and waited for when it closes) and a way back to
// the Fyne thread.
type runner interface {
	// spawn runs fn in a goroutine owned by the window; ctx ends when the
	// window closes.
	spawn(fn func(ctx context.Context))
	// do runs fn on the Fyne thread, unless the window has closed.
	do(fn func())
}

// spawnCancellable runs work in a goroutine r owns, under ctx, which
// cancel ends: a dialog's Cancel calls it, and so do the window closing
// and work returning. Then show has on the Fyne thread work's error and
// whether it failed because it was cancelled: noted before ctx ends with
// the work, so that a failure never reads as a cancel, and a timeout
// (ctx's deadline) is a failure, said in its own words.
func spawnCancellable(r runner, ctx context.Context, cancel context.CancelFunc, work func(ctx context.Context) error, show func(err error, cancelled bool)) {
	r.spawn(func(wctx context.Context) {
		defer cancel()
		defer context.AfterFunc(wctx, cancel)()
		err := work(ctx)
		cancelled := err != nil && errors.Is(ctx.Err(), context.Canceled)
		r.do(func() { show(err, cancelled) })
	})
}

// failedTitle is the title of a command's failure: failed, or mayHave
// when no answer came and the slave may have carried it out after all
// (master.ErrNoAnswer).
func failedTitle(err error, failed, mayHave string) string {
	if errors.Is(err, master.ErrNoAnswer) {
		return mayHave
	}
	return failed
}

// spawn runs fn in a goroutine the window owns.
func (mw *mainWindow) spawn(fn func(ctx context.Context)) {
	mw.wg.Go(func() { fn(mw.ctx) })
}

// do runs fn on the Fyne thread unless the window closed meanwhile.
func (mw *mainWindow) do(fn func()) {
	if mw.ctx.Err() != nil {
		return
	}
	mw.opts.do(func() {
		if !mw.closed {
			fn()
		}
	})
}
