package backup

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/sirupsen/logrus"
)

// Options configure an Engine. The zero value is usable.
type Options struct {
	Logger logrus.FieldLogger
	// Workers copy, hash and link files in parallel; default 4 (copying
	// waits on the disk as much as on the CPU, so more workers than cores
	// pay off).
	Workers int
	// Now is the clock (tests); default time.Now.
	Now func() time.Time
	// Location is where retention counts days, weeks and months; default
	// time.Local.
	Location *time.Location
	// Claiming, when set, is called with a task's folder as a run or a
	// deletion is about to read whose it is, and returns before that
	// goes on: where the tests of other packages hold a task busy
	// without timing anything (testkit.TaskHold).
	Claiming func(taskDir string)

	// Test seams; see export_test.go.
	wrapWriter func(io.Writer) io.Writer
	beforeFile func(rel string)
	// beforeRestore is called before each file or link a restore puts
	// back.
	beforeRestore func(rel string)
	openSource    func(path string) (*os.File, error)
	space         func(ctx context.Context, dest string) (free, total uint64)
}

// Engine runs backups, verifies and restores snapshots. It allows one run
// per task at a time; runs of different tasks may overlap. Safe for
// concurrent use.
type Engine struct {
	opts Options
	log  logrus.FieldLogger

	mu      sync.Mutex
	running map[string]*Handle // by NameKey
	reading map[string]int     // snapshots a restore or verify reads, by path: retention leaves them
	// deleting are the tasks a snapshot of which is being deleted, by
	// NameKey, since when: they do not run meanwhile.
	deleting map[string]time.Time
}

// New builds an Engine.
func New(opts Options) *Engine {
	if opts.Logger == nil {
		l := logrus.New()
		l.SetOutput(io.Discard)
		opts.Logger = l
	}
	if opts.Workers <= 0 {
		opts.Workers = 4
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Location == nil {
		opts.Location = time.Local
	}
	if opts.space == nil {
		opts.space = DestinationSpace
	}
	if opts.openSource == nil {
		opts.openSource = openRead
	}
	if opts.Claiming == nil {
		opts.Claiming = func(string) {}
	}
	return &Engine{opts: opts, log: opts.Logger, running: map[string]*Handle{}, reading: map[string]int{},
		deleting: map[string]time.Time{}}
}

// Handle is a run in progress.
type Handle struct {
	Task   string
	Since  time.Time
	cancel context.CancelCauseFunc
	done   chan struct{}
	report Report
}

// Done is closed when the run has ended.
func (h *Handle) Done() <-chan struct{} { return h.done }

// Report is the run's report; call it after Done.
func (h *Handle) Report() Report {
	<-h.done
	return h.report
}

// StartOptions are per-run choices.
type StartOptions struct {
	Progress Progress
	Trigger  string  // recorded in the report: a Trigger… constant
	Attempt  int     // recorded in the report: the retry this run is (0: none)
	RateHint float64 // bytes per second for the first ETA (e.g. the last run's)
	// OnStart, when set, is called once the task's run slot is taken and
	// before the run begins: what it records cannot race a deletion,
	// which the slot refuses meanwhile. An error from it gives the slot
	// back and is Start's error; the run never begins.
	OnStart func() error
	// OnEnd, when set, is called with the report before Done closes.
	OnEnd func(Report)
	// Owner is the server the run writes for: the task's folder is
	// claimed for it, and a folder another server claimed is refused
	// (see Owner). The zero Owner claims nothing.
	Owner Owner
	// Reread reads every file, even one whose size and modification time
	// are those of the previous snapshot's copy, and links that copy only
	// when the content is the same (see run.store).
	Reread bool
	// Expect is the snapshot the task's last successful run wrote at its
	// destination, if any: a run that finds no task folder there fails
	// rather than begin afresh, for the destination is most likely a
	// share's empty mount point (an unmounted NAS), and a full backup
	// there would fill the system disk.
	Expect string
	// Verify: once the snapshot is complete, the run re-reads it against
	// its manifest (Task.VerifyDue says when). LastVerified is when a run
	// last did so for the task, carried into this run's report.
	Verify       bool
	LastVerified time.Time
}

// Start begins a run of t in its own goroutine, which ctx owns: cancelling
// ctx stops the run as Stop does. A task that is already running returns
// a *BusyError (errors.Is ErrBusy).
func (e *Engine) Start(ctx context.Context, t Task, so StartOptions) (*Handle, error) {
	key := NameKey(t.Name)
	e.mu.Lock()
	if err := e.busy(t.Name); err != nil {
		e.mu.Unlock()
		return nil, err
	}
	rctx, cancel := context.WithCancelCause(ctx)
	h := &Handle{Task: t.Name, Since: e.opts.Now(), cancel: cancel, done: make(chan struct{})}
	e.running[key] = h
	e.mu.Unlock()
	if so.OnStart != nil {
		if err := so.OnStart(); err != nil {
			e.mu.Lock()
			delete(e.running, key)
			e.mu.Unlock()
			cancel(err)
			h.report = Report{Task: t.Name, Started: h.Since, Finished: h.Since, Result: ResultFailed, Error: err.Error()}
			close(h.done)
			return nil, err
		}
	}
	go func() {
		defer cancel(nil)
		rep := e.run(rctx, t, h.Since, so)
		rep.Trigger, rep.Attempt = so.Trigger, so.Attempt
		h.report = rep
		e.mu.Lock()
		delete(e.running, key)
		e.mu.Unlock()
		if so.OnEnd != nil {
			so.OnEnd(rep)
		}
		close(h.done)
	}()
	return h, nil
}

// Run is Start and wait.
func (e *Engine) Run(ctx context.Context, t Task, so StartOptions) (Report, error) {
	h, err := e.Start(ctx, t, so)
	if err != nil {
		return Report{}, err
	}
	return h.Report(), nil
}

// Stop cancels the task's run, if one is in progress, and waits (at most
// until ctx ends) for it to clean up. It says whether a run was stopped:
// false when none was running, or the run finished before the cancel
// reached it.
func (e *Engine) Stop(ctx context.Context, task string) bool {
	e.mu.Lock()
	h := e.running[NameKey(task)]
	e.mu.Unlock()
	if h == nil {
		return false
	}
	h.cancel(errStopped)
	select {
	case <-h.done:
		return h.report.Result == ResultStopped
	case <-ctx.Done():
		return true
	}
}

// hold marks the snapshot at path as being read (a restore, a verify),
// so that retention leaves it; the function returned lets it go.
func (e *Engine) hold(path string) (release func()) {
	p := filepath.Clean(path)
	e.mu.Lock()
	e.reading[p]++
	e.mu.Unlock()
	return func() {
		e.mu.Lock()
		if e.reading[p]--; e.reading[p] <= 0 {
			delete(e.reading, p)
		}
		e.mu.Unlock()
	}
}

// beingRead says whether a restore or verify reads the snapshot at path.
func (e *Engine) beingRead(path string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.reading[filepath.Clean(path)] > 0
}

// Busy says (a *BusyError) when the task cannot start a run now: one is
// in progress, or a snapshot of it is being deleted.
func (e *Engine) Busy(task string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.busy(task)
}

// busy is Busy; e.mu is held.
func (e *Engine) busy(task string) error {
	key := NameKey(task)
	if h := e.running[key]; h != nil {
		return &BusyError{Task: task, Since: h.Since}
	}
	if since, ok := e.deleting[key]; ok {
		return &BusyError{Task: task, Since: since, Doing: "deleting a snapshot"}
	}
	return nil
}

// Running is the task's run in progress, or nil.
func (e *Engine) Running(task string) *Handle {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.running[NameKey(task)]
}

// Wait waits for every run to end (or ctx).
func (e *Engine) Wait(ctx context.Context) error {
	for {
		e.mu.Lock()
		var h *Handle
		for _, r := range e.running {
			h = r
			break
		}
		e.mu.Unlock()
		if h == nil {
			return nil
		}
		select {
		case <-h.done:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
