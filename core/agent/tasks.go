package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/lanyard/lanyard/core/backup"
	"github.com/lanyard/lanyard/core/health"
	"github.com/lanyard/lanyard/core/human"
	"github.com/lanyard/lanyard/core/store"
)

// RunsKept is how many run records the agent keeps per task.
const RunsKept = 100

// deletionRetry is how soon a scheduled run that waits for the deletion
// of a snapshot of its task looks again.
const deletionRetry = 5 * time.Second

// TasksConfig is what Tasks is built from.
type TasksConfig struct {
	DB     *store.DB // nil: no tasks (an agent in memory, Config.DB)
	Logger logrus.FieldLogger
	// Engine runs the backups; default backup.New with Logger.
	Engine *backup.Engine
	// Schedule starts tasks on time, and runs a missed one once at Start
	// (catch-up). The running agent sets it; the offline command line
	// does not.
	Schedule bool
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// Tasks is the agent's backup tasks: their stored definitions, their
// runs (one per task at a time, started by hand, by the schedule or at
// start to catch up), history, snapshots, verify and restore. The control
// socket, the offline command line and the link to consoles all call it:
// every method takes a context and returns plain data, and Subscribe
// delivers progress, finished and changed events to any number of
// listeners. Safe for concurrent use.
type Tasks struct {
	db  *store.DB
	eng *backup.Engine
	log logrus.FieldLogger
	now func() time.Time
	cfg TasksConfig

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	wake   chan struct{}

	mu      sync.Mutex
	active  map[string]*activeRun // by backup.NameKey
	retries map[string]retryPlan  // failed scheduled runs to try again, by backup.NameKey
	subs    map[int]chan TaskEvent
	nextSub int
	closed  bool
}

// retryPlan is a failed scheduled run's next try: when, and which retry
// it is (1 for the first).
type retryPlan struct {
	at      time.Time
	attempt int
}

type activeRun struct {
	seq     uint64 // its record in the runs bucket
	since   time.Time
	trigger string
	status  *backup.Status // latest progress
	// announced is closed once the started event is out, so that no
	// listener hears of the end before the start.
	announced chan struct{}
	// amends are the changes asked of the task's newest record while
	// the run was under way (copies found damaged by hand meanwhile),
	// made to the run's own record as it ends (at most maxAmends), and
	// at once to the record it has while it runs, which an agent killed
	// meanwhile finds at its next start (amendRunning).
	amends []func(*backup.Report) bool
}

// maxAmends bounds the changes kept for a run's record while it runs.
const maxAmends = 16

// TaskInfo is a task with its state: the run in progress, the last run
// and success, the next scheduled run and whether it is overdue.
type TaskInfo struct {
	Task    backup.Task `json:"task"`
	Running bool        `json:"running"`
	// Progress is the run in progress's latest progress.
	Progress    *backup.Status `json:"progress,omitempty"`
	LastRun     *backup.Report `json:"last_run,omitempty"`
	LastSuccess time.Time      `json:"last_success,omitzero"`
	NextRun     time.Time      `json:"next_run,omitzero"`
	// OverdueAfter is the task's own, or twice its schedule's interval;
	// 0 for a manual task, which is never overdue.
	OverdueAfter backup.Duration `json:"overdue_after"`
	Overdue      bool            `json:"overdue"`
	// FailuresSinceSuccess counts the runs that failed or were
	// interrupted since the last success (0 from an older agent).
	FailuresSinceSuccess int `json:"failures_since_success,omitempty"`
}

// State is the task's health as the console's Backups window counts it:
// failed while a run failed since the last success (a run stopped by
// hand after it does not make the task well), overdue, running, unknown
// until a run succeeds, else ok.
func (i TaskInfo) State() health.State {
	failing := i.FailuresSinceSuccess > 0 || i.LastRun != nil && health.Failure(i.LastRun.Result)
	return health.StateOf(failing, i.Overdue, i.Running, !i.LastSuccess.IsZero())
}

// FailedRunsWords counts the runs that failed since the last success:
// "2 failed runs since the last success", "1 failed run and no success
// yet"; "" when none did.
func (i TaskInfo) FailedRunsWords() string {
	n := i.FailuresSinceSuccess
	switch {
	case n == 0:
		return ""
	case i.LastSuccess.IsZero():
		return human.Plural(n, "failed run", "failed runs") + " and no success yet"
	}
	return human.Plural(n, "failed run", "failed runs") + " since the last success"
}

// VerifyLine says how often the task's runs verify their snapshot and
// when one last did, at now: "every week, last 2026-12-01 02:00", "every
// week, none yet: the next run verifies", "…; the next run verifies" when
// that is due; "" when its runs never verify.
func (i TaskInfo) VerifyLine(now time.Time) string {
	if i.Task.VerifyEvery <= 0 {
		return ""
	}
	s := backup.VerifyWords(i.Task.VerifyEvery)
	var last time.Time
	if i.LastRun != nil {
		// The run's own rule: a task moved since has verified nothing at
		// its destination.
		last = lastVerified(i.Task, []backup.Report{*i.LastRun})
	}
	if last.IsZero() {
		return s + ", none yet: the next run verifies"
	}
	s += ", last " + last.Local().Format("2006-01-02 15:04")
	if i.Task.VerifyDue(last, now) {
		s += "; the next run verifies"
	}
	return s
}

// LastResult is the last run's result and, while the task waits for
// that, when it is tried again: "failed (tried again at 02:10)"; "" for
// a task never run.
func (i TaskInfo) LastResult() string {
	r := i.LastRun
	if r == nil {
		return ""
	}
	at := r.RetryAt
	if i.Running {
		at = time.Time{} // being tried again now
	}
	return backup.ResultWords(r.Result, at, r.Finished, time.Local)
}

// Event kinds.
const (
	EventProgress = "progress" // Status
	EventStarted  = "started"  // Report (running)
	EventFinished = "finished" // Report
	EventChanged  = "changed"  // Info: added or edited
	EventRemoved  = "removed"
	EventDeleted  = "deleted" // Deleted: a snapshot deleted by hand
)

// TaskEvent is what subscribers hear.
type TaskEvent struct {
	Kind   string         `json:"kind"`
	Task   string         `json:"task"`
	Status *backup.Status `json:"status,omitempty"`
	Report *backup.Report `json:"report,omitempty"`
	Info   *TaskInfo      `json:"info,omitempty"`
	// Deleted is what a deletion of a snapshot by hand did: the room it
	// left, for every console's backup health.
	Deleted *backup.DeleteReport `json:"deleted,omitempty"`
	// Seq is the run's record in the task's history (started, finished).
	Seq uint64 `json:"seq,omitempty"`
}

// Errors a caller can tell apart with errors.Is.
var (
	// ErrUnknownTask: no task has that name (a usage error).
	ErrUnknownTask = errors.New("unknown task")
	// ErrConflict: the task was saved by someone else since it was read.
	ErrConflict = errors.New("changed by another console: reload")
)

// errNoTasks refuses a task on an agent without a database (Config.DB).
var errNoTasks = errors.New("this agent runs in memory (a simulated agent) and keeps no backup tasks")

func unknownTask(name string) error {
	return &ControlError{Message: fmt.Sprintf("there is no task named %s (task list shows them)", name), Usage: true, Err: ErrUnknownTask}
}

// tasksNamed is how many of an agent's tasks an unknown task's error names.
const tasksNamed = 8

// unknown refuses a task name that none of the tasks has, naming the one
// it is likely a slip for and those there are.
func (t *Tasks) unknown(name string) error {
	tasks, err := t.loadAll()
	if err != nil {
		return unknownTask(name)
	}
	msg := fmt.Sprintf("there is no task named %s: this agent has no backup task yet (task add adds one)", name)
	if len(tasks) > 0 {
		names := make([]string, len(tasks))
		for i, task := range tasks {
			names[i] = task.Name
		}
		msg = fmt.Sprintf("there is no task named %s", name)
		if near := human.Nearest(name, slices.Values(names)); near != "" {
			msg += " (did you mean " + near + "?)"
		}
		msg += "; the tasks here are " + human.List(names[:min(len(names), tasksNamed)], len(names))
	}
	return &ControlError{Message: msg, Usage: true, Err: ErrUnknownTask}
}

// taskErr marks what is the request's fault (invalid tasks, unknown
// snapshots and paths, a restore that would overwrite) as a usage error.
func taskErr(err error) error {
	var ex *backup.ExistsError
	if errors.Is(err, backup.ErrInvalid) || errors.As(err, &ex) {
		return usage(err)
	}
	return err
}

// validate checks a task as a save does: its fields, and that its folder
// at the destination is not another server's (backup.CheckOwner).
func (t *Tasks) validate(task *backup.Task) ([]string, error) {
	warnings, err := task.Validate()
	if err != nil {
		return warnings, err
	}
	return warnings, backup.CheckOwner(task.Destination, task.Name, t.owner())
}

// owner is this server, as its runs claim their tasks' folders: the
// agent's name now (read at each use: init may change it) and its host.
// An agent without a database claims nothing.
func (t *Tasks) owner() backup.Owner {
	if t.db == nil {
		return backup.Owner{}
	}
	s, _, err := LoadSettings(t.db)
	if err != nil || s.Name == "" {
		return backup.Owner{}
	}
	return ownerNamed(s.Name)
}

// ownerNamed is this server under the agent's name name.
func ownerNamed(name string) backup.Owner {
	host, _ := os.Hostname()
	return backup.Owner{Agent: name, Host: host}
}

// reclaimFolders hands the folders of the tasks in db from the agent's
// old name to its new one, after a rename; what could not be handed
// over is said, with what to do.
func reclaimFolders(db *store.DB, old, name string) []string {
	var out []string
	tasks, err := storedTasks(db, func(err error) { out = append(out, err.Error()) })
	if err != nil {
		return []string{"the task folders could not be handed to the new name: " + err.Error()}
	}
	for _, task := range tasks {
		if err := backup.ReclaimTaskDir(task.Destination, task.Name, old, ownerNamed(name)); err != nil {
			out = append(out, "task "+task.Name+": "+err.Error())
		}
	}
	return out
}

// NewTasks builds the task manager; Start brings it to life.
func NewTasks(cfg TasksConfig) *Tasks {
	if cfg.Logger == nil {
		l := logrus.New()
		l.SetOutput(io.Discard)
		cfg.Logger = l
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Engine == nil {
		cfg.Engine = backup.New(backup.Options{Logger: cfg.Logger, Now: cfg.Now})
	}
	return &Tasks{db: cfg.DB, eng: cfg.Engine, log: cfg.Logger, now: cfg.Now, cfg: cfg,
		wake: make(chan struct{}, 1), active: map[string]*activeRun{}, retries: map[string]retryPlan{},
		subs: map[int]chan TaskEvent{}}
}

// Start marks runs that were in progress when the process last ended as
// interrupted, and, with TasksConfig.Schedule, runs each task that missed
// its time while the agent was down (once, when it says catch-up) and
// starts the scheduler. ctx owns every run: ending it stops them.
func (t *Tasks) Start(ctx context.Context) error {
	t.mu.Lock()
	if t.ctx != nil {
		t.mu.Unlock()
		return errors.New("the task manager is already started")
	}
	t.ctx, t.cancel = context.WithCancel(ctx)
	t.mu.Unlock()
	if err := t.markInterrupted(); err != nil {
		return err
	}
	if t.cfg.Schedule {
		t.catchUp()
		t.wg.Add(1)
		go func() {
			defer t.wg.Done()
			t.scheduleLoop()
		}()
	}
	return nil
}

// Close stops every run in progress (each ends "stopped") and the
// scheduler, and waits for them. Idempotent.
func (t *Tasks) Close() {
	t.mu.Lock()
	if t.closed || t.cancel == nil {
		t.closed = true
		t.mu.Unlock()
		return
	}
	t.closed = true
	t.mu.Unlock()
	t.cancel()
	// The scheduler, and every run until it has recorded its report.
	t.wg.Wait()
}

// Subscribe returns a channel of every task event and a function that
// ends the subscription. A subscriber that does not keep up loses
// progress events first; others wait up to a second for it.
func (t *Tasks) Subscribe(buffer int) (<-chan TaskEvent, func()) {
	ch := make(chan TaskEvent, max(buffer, 16))
	t.mu.Lock()
	id := t.nextSub
	t.nextSub++
	t.subs[id] = ch
	t.mu.Unlock()
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			t.mu.Lock()
			delete(t.subs, id)
			t.mu.Unlock()
		})
	}
}

func (t *Tasks) emit(ev TaskEvent) {
	t.mu.Lock()
	subs := make([]chan TaskEvent, 0, len(t.subs))
	for _, ch := range t.subs {
		subs = append(subs, ch)
	}
	t.mu.Unlock()
	for _, ch := range subs {
		if ev.Kind == EventProgress {
			select {
			case ch <- ev:
			default:
			}
			continue
		}
		timer := time.NewTimer(time.Second)
		select {
		case ch <- ev:
		case <-timer.C:
			t.log.Warnf("a listener missed the %s event of task %s", ev.Kind, ev.Task)
		}
		timer.Stop()
	}
}

// ---- definitions ----

func decodeTask(doc []byte) (backup.Task, error) {
	var task backup.Task
	if err := json.Unmarshal(doc, &task); err != nil {
		return task, fmt.Errorf("a stored task is unreadable (%v): remove it and add it again", err)
	}
	return task, nil
}

func (t *Tasks) load(name string) (backup.Task, error) {
	if t.db == nil {
		return backup.Task{}, unknownTask(name)
	}
	doc, err := t.db.Task(name)
	if errors.Is(err, store.ErrNotFound) {
		return backup.Task{}, t.unknown(name)
	}
	if err != nil {
		return backup.Task{}, err
	}
	return decodeTask(doc)
}

func (t *Tasks) loadAll() ([]backup.Task, error) {
	if t.db == nil {
		return nil, nil
	}
	return storedTasks(t.db, func(err error) { t.log.Warn(err) })
}

// storedTasks is every task in db, in order of name; bad hears each
// record that cannot be read, which is left out.
func storedTasks(db *store.DB, bad func(error)) ([]backup.Task, error) {
	docs, err := db.Tasks()
	if err != nil {
		return nil, err
	}
	out := make([]backup.Task, 0, len(docs))
	for _, d := range docs {
		task, err := decodeTask(d)
		if err != nil {
			bad(err)
			continue
		}
		out = append(out, task)
	}
	slices.SortFunc(out, func(a, b backup.Task) int { return human.CompareNames(a.Name, b.Name) })
	return out, nil
}

// List is every task with its state, by name.
func (t *Tasks) List(ctx context.Context) ([]TaskInfo, error) {
	tasks, err := t.loadAll()
	if err != nil {
		return nil, err
	}
	out := make([]TaskInfo, 0, len(tasks))
	for _, task := range tasks {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		info, err := t.info(task)
		if err != nil {
			return nil, err
		}
		out = append(out, info)
	}
	return out, nil
}

// Get is one task with its state.
func (t *Tasks) Get(_ context.Context, name string) (TaskInfo, error) {
	task, err := t.load(name)
	if err != nil {
		return TaskInfo{}, err
	}
	return t.info(task)
}

func (t *Tasks) info(task backup.Task) (TaskInfo, error) {
	info := TaskInfo{Task: task}
	t.mu.Lock()
	if ar := t.active[backup.NameKey(task.Name)]; ar != nil {
		info.Running = true
		if ar.status != nil {
			s := *ar.status
			info.Progress = &s
		}
	}
	t.mu.Unlock()
	runs, err := t.history(task.Name, 0)
	if err != nil {
		return info, err
	}
	for i := len(runs) - 1; i >= 0; i-- {
		r := runs[i]
		if info.LastRun == nil && r.Result != backup.ResultRunning {
			info.LastRun = &r
		}
		if r.Result.Succeeded() {
			info.LastSuccess = r.Finished
			break
		}
		if health.Failure(r.Result) {
			info.FailuresSinceSuccess++
		}
	}
	now := t.now()
	sched, _ := backup.ParseSchedule(task.ScheduleInForce())
	info.NextRun = sched.Next(now)
	info.OverdueAfter = task.OverdueAfter
	if task.Paused {
		info.OverdueAfter = 0 // nothing is due while it is paused
	}
	if info.OverdueAfter == 0 {
		info.OverdueAfter = backup.Duration(2 * sched.Interval(now))
	}
	if info.OverdueAfter > 0 {
		since := info.LastSuccess
		if since.IsZero() {
			since = task.Created
		}
		info.Overdue = now.Sub(since) > time.Duration(info.OverdueAfter)
	}
	return info, nil
}

// PreviewRetention says what task's retention would remove at its next
// run, were it saved as it is (nothing for "keep all"): the next one its
// schedule makes, or, run only by hand, one now. (A daily retention keeps
// today's snapshot at tomorrow's run, not at a run today.)
func (t *Tasks) PreviewRetention(task backup.Task) (backup.RetentionPreview, error) {
	if task.Retention.KeepsAll() {
		return backup.RetentionPreview{}, nil
	}
	next := t.now()
	if s, err := backup.ParseSchedule(task.ScheduleInForce()); err == nil && !s.Manual() {
		if at := s.Next(next); !at.IsZero() {
			next = at
		}
	}
	return t.eng.PreviewRetention(task.Destination, task.Name, task.Retention, next)
}

// retentionWarning says, when an edit changed the task's retention
// (before: the stored one), which snapshots its next run then removes;
// "" when it changed nothing, or removes none.
func (t *Tasks) retentionWarning(task backup.Task, before *backup.Retention) string {
	if before == nil || *before == task.Retention {
		return ""
	}
	p, err := t.PreviewRetention(task)
	if err != nil || p.Removes == 0 {
		return ""
	}
	return fmt.Sprintf("with the new retention (%s), the next run %s: edit it back before then to keep them", task.Retention, p.Describe(time.Local))
}

// PutOptions are what Put does besides saving the definition.
type PutOptions struct {
	CreateDestination bool // create the destination folder when it is missing
}

// MakeFolder creates folder dir on this server, for a task's destination
// or a restore's target (backup.MakeFolder), and says whether it did; a
// folder made is in the agent's log.
func (t *Tasks) MakeFolder(dir string) (bool, error) {
	made, err := backup.MakeFolder(dir)
	if err != nil {
		return false, taskErr(err)
	}
	if made {
		t.log.Infof("created the folder %s", dir)
	}
	return made, nil
}

// Put saves a task: a new one when task.Version is 0 (a task of that name
// must not exist), else an edit of the stored task at that version (one
// saved since is refused with ErrConflict). It validates first (errors
// are usage errors) and returns the saved task and any warnings.
// opt.CreateDestination creates the destination folder first when it
// does not exist yet (backup.MakeDestination).
func (t *Tasks) Put(_ context.Context, task backup.Task, opt PutOptions) (TaskInfo, []string, error) {
	if err := task.Normalize(); err != nil {
		return TaskInfo{}, nil, taskErr(err)
	}
	warnings, err := t.validate(&task)
	if err != nil {
		return TaskInfo{}, nil, taskErr(err)
	}
	if t.db == nil {
		return TaskInfo{}, nil, errNoTasks
	}
	now := t.now()
	var saved backup.Task
	var before *backup.Retention // the stored task's, on an edit
	made := false
	err = t.db.UpdateTask(task.Name, func(old []byte) ([]byte, error) {
		saved, before = task, nil
		switch {
		case old == nil && task.Version != 0:
			return nil, fmt.Errorf("task %s was removed by another console: %w", task.Name, ErrConflict)
		case old == nil:
			saved.Version, saved.Created, saved.Modified = 1, now, now
		case task.Version == 0:
			prev, _ := decodeTask(old)
			return nil, usagef("a task named %s already exists (lanyard-agent task edit %s changes it)", prev.Name, prev.Name)
		default:
			prev, err := decodeTask(old)
			if err != nil {
				return nil, err
			}
			if prev.Version != task.Version {
				return nil, fmt.Errorf("task %s was %w", task.Name, ErrConflict)
			}
			before = &prev.Retention
			saved.Name = prev.Name // the name is the task's identity and folder
			saved.Version, saved.Created, saved.Modified = prev.Version+1, prev.Created, now
		}
		// Only a save that is going ahead makes the folder: a refused
		// one (a name taken, an edit that lost a race) leaves the
		// server's disks as they were.
		if opt.CreateDestination {
			var err error
			if made, err = backup.MakeDestination(task.Destination); err != nil {
				return nil, taskErr(err)
			}
		}
		return json.Marshal(saved)
	})
	if err != nil {
		return TaskInfo{}, nil, err
	}
	if made {
		t.log.WithField("task", task.Name).Infof("created the destination folder %s of task %s", task.Destination, task.Name)
	}
	if opt.CreateDestination {
		warnings = slices.DeleteFunc(warnings, func(w string) bool { return w == backup.MissingDestination(task.Destination) })
	}
	info, err := t.info(saved)
	if err != nil {
		return TaskInfo{}, nil, err
	}
	if w := t.retentionWarning(saved, before); w != "" {
		warnings = append(warnings, w)
	}
	verb := "added"
	if saved.Version > 1 {
		verb = "changed"
	}
	t.log.WithField("task", saved.Name).Infof("task %s %s (version %d)", saved.Name, verb, saved.Version)
	t.emit(TaskEvent{Kind: EventChanged, Task: saved.Name, Info: &info})
	t.poke()
	return info, warnings, nil
}

// Remove deletes a task and its history (not its snapshots). version 0
// removes whatever is stored; otherwise a task saved since is refused
// with ErrConflict. A running task is refused: stop it first.
func (t *Tasks) Remove(_ context.Context, name string, version uint64) (backup.Task, error) {
	if t.eng.Running(name) != nil {
		return backup.Task{}, fmt.Errorf("task %s is running: stop it first (lanyard-agent task stop %s)", name, name)
	}
	if t.db == nil {
		return backup.Task{}, unknownTask(name)
	}
	var removed backup.Task
	err := t.db.UpdateTask(name, func(old []byte) ([]byte, error) {
		if old == nil {
			return nil, unknownTask(name)
		}
		prev, err := decodeTask(old)
		if err != nil {
			return nil, nil // unreadable: removing it is the fix
		}
		if version != 0 && prev.Version != version {
			return nil, fmt.Errorf("task %s was %w", name, ErrConflict)
		}
		removed = prev
		return nil, nil
	})
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, ErrUnknownTask) {
		return backup.Task{}, t.unknown(name)
	}
	if err != nil {
		return backup.Task{}, err
	}
	t.log.WithField("task", removed.Name).Infof("task %s removed; its snapshots in %s are kept", removed.Name, backup.TaskDir(removed.Destination, removed.Name))
	t.emit(TaskEvent{Kind: EventRemoved, Task: removed.Name})
	t.poke()
	return removed, nil
}

// ---- runs ----

// Run starts a run of the task and returns at once; Done on the handle
// closes when it ends. trigger says who asked (a backup.Trigger…
// constant). A task already running returns a *backup.BusyError.
func (t *Tasks) Run(ctx context.Context, name, trigger string) (*backup.Handle, error) {
	return t.RunWith(ctx, name, trigger, RunOptions{})
}

// RunOptions are what a person may ask of one run.
type RunOptions struct {
	// Reread reads every file, not only those whose size or time changed
	// (backup.StartOptions.Reread).
	Reread bool `json:"reread,omitempty"`
}

// RunWith is Run with options.
func (t *Tasks) RunWith(_ context.Context, name, trigger string, o RunOptions) (*backup.Handle, error) {
	return t.run(name, trigger, 0, o)
}

// run is Run of the attempt-th retry of a failed scheduled run (0: not a
// retry).
func (t *Tasks) run(name, trigger string, attempt int, o RunOptions) (*backup.Handle, error) {
	task, err := t.load(name)
	if err != nil {
		return nil, err
	}
	h, ar, start, err := t.start(task, trigger, attempt, o)
	if err != nil {
		return nil, err
	}
	by := trigger
	if attempt > 0 {
		by = fmt.Sprintf("retry %d of %d", attempt, task.Retries)
	}
	if o.Reread {
		by += ", reading every file"
	}
	t.log.WithFields(logrus.Fields{"task": task.Name, "trigger": trigger}).Infof("task %s: run started (%s)", task.Name, by)
	t.emit(TaskEvent{Kind: EventStarted, Task: task.Name, Report: &start, Seq: ar.seq})
	close(ar.announced)
	return h, nil
}

// start records and starts a run. The record is written once the
// engine holds the task's run slot (OnStart), so a deletion of one of
// its snapshots either refuses this run before anything is recorded or
// is itself refused; t.mu makes the start and t.active one step.
func (t *Tasks) start(task backup.Task, trigger string, attempt int, o RunOptions) (*backup.Handle, *activeRun, backup.Report, error) {
	// What the run is told from the task's history, read once and before
	// the lock: a read of the database has no business holding up the
	// other tasks' events.
	runs, _ := t.history(task.Name, RunsKept)
	t.mu.Lock()
	defer t.mu.Unlock()
	verified := lastVerified(task, runs)
	start := backup.Report{Task: task.Name, Trigger: trigger, Attempt: attempt, Started: t.now(), Result: backup.ResultRunning, Reread: o.Reread,
		LastVerified: verified}
	if t.ctx == nil || t.closed {
		return nil, nil, start, errors.New("the agent is shutting down")
	}
	ar := &activeRun{since: start.Started, trigger: trigger, announced: make(chan struct{})}
	t.wg.Add(1)
	h, err := t.eng.Start(t.ctx, task, backup.StartOptions{
		Owner:    t.owner(),
		Trigger:  trigger,
		Attempt:  attempt,
		RateHint: rateHint(runs),
		Reread:   o.Reread,
		Expect:   expected(task, runs),
		// A run verifies when the task's last verify is as old as its
		// VerifyEvery, whoever started the run.
		Verify:       task.VerifyDue(verified, start.Started),
		LastVerified: verified,
		OnStart: func() (err error) {
			doc, _ := json.Marshal(start)
			ar.seq, err = t.db.AppendRun(task.Name, doc, RunsKept)
			return err
		},
		Progress: backup.ProgressFunc(func(s backup.Status) {
			t.mu.Lock()
			ar.status = &s
			t.mu.Unlock()
			t.emit(TaskEvent{Kind: EventProgress, Task: task.Name, Status: &s})
		}),
		OnEnd: func(rep backup.Report) {
			defer t.wg.Done()
			<-ar.announced
			t.finished(task, ar.seq, rep)
		},
	})
	if err != nil {
		t.wg.Done()
		return nil, nil, start, err
	}
	t.active[backup.NameKey(task.Name)] = ar
	delete(t.retries, backup.NameKey(task.Name)) // this run is the try
	return h, ar, start, nil
}

// finished records a run's report and says how it went.
func (t *Tasks) finished(task backup.Task, seq uint64, rep backup.Report) {
	if rep.Result == backup.ResultStopped && t.ctx.Err() != nil {
		rep.Error = "stopped: the agent was shutting down; earlier snapshots are untouched"
	}
	rep.RetryAt = t.retryAt(task, rep)
	t.mu.Lock() // no amendment is asked between those made here and the record's write
	if ar := t.active[backup.NameKey(task.Name)]; ar != nil {
		for _, change := range ar.amends {
			change(&rep)
		}
	}
	doc, _ := json.Marshal(rep)
	if err := t.db.PutRun(task.Name, seq, doc); err != nil && !errors.Is(err, store.ErrNotFound) {
		t.log.WithError(err).Errorf("task %s: cannot record the run's result", task.Name)
	}
	delete(t.active, backup.NameKey(task.Name))
	if !rep.RetryAt.IsZero() {
		t.retries[backup.NameKey(task.Name)] = retryPlan{at: rep.RetryAt, attempt: rep.Attempt + 1}
	}
	t.mu.Unlock()
	logRun(t.log.WithFields(logrus.Fields{"task": task.Name, "result": string(rep.Result)}), rep)
	if !rep.RetryAt.IsZero() {
		t.log.WithField("task", task.Name).Infof("task %s: %s (retry %d of %d)",
			task.Name, backup.RetryWords(rep.RetryAt, rep.Finished, time.Local), rep.Attempt+1, task.Retries)
		t.poke()
	}
	t.emit(TaskEvent{Kind: EventFinished, Task: task.Name, Report: &rep, Seq: seq})
}

// retryAt is when the scheduler tries a failed scheduled run of task
// again (backup.Task.RetryAfter), or one the agent's end stopped (its
// end: once the agent is back); zero when it does not: the run did not
// fail, was not scheduled, its retries are spent, or the task's next
// scheduled run comes first. Without a scheduler (the offline command
// line) nothing is tried again.
func (t *Tasks) retryAt(task backup.Task, rep backup.Report) time.Time {
	if !t.cfg.Schedule || !backup.RetriesApply(rep.Trigger) {
		return time.Time{}
	}
	ended := rep.Finished
	if ended.IsZero() {
		ended = t.now()
	}
	switch {
	case rep.Result == backup.ResultStopped && t.ctx.Err() != nil:
		if rep.Attempt >= task.Retries {
			return time.Time{}
		}
		return ended
	case rep.Result != backup.ResultFailed:
		return time.Time{}
	}
	var next time.Time
	if s, err := backup.ParseSchedule(task.ScheduleInForce()); err == nil && !s.Manual() {
		next = s.Next(ended)
	}
	return task.RetryAfter(rep.Attempt, ended, next)
}

// logRun logs a run's end at a level that fits its result, and the
// snapshots its retention removed.
func logRun(log *logrus.Entry, rep backup.Report) {
	log.Logf(rep.Result.Level(), "task %s: %s", rep.Task, rep.Ended())
	if len(rep.Removed) > 0 {
		log.Infof("task %s: retention removed %s: %s", rep.Task, human.Plural(len(rep.Removed), "snapshot", "snapshots"), strings.Join(rep.Removed, ", "))
	}
}

// expected is the snapshot the task's runs last wrote at its destination
// as it is now (backup.StartOptions.Expect): the newest successful run's,
// or the one a failed run since was told to find, so that however many
// runs an unmounted share fails, the next still knows; "" when none was,
// or the destination has changed since. A run recorded before runs said
// where counts when the task has not been saved since it began. runs is
// the task's history, oldest first.
func expected(task backup.Task, runs []backup.Report) string {
	for i := len(runs) - 1; i >= 0; i-- {
		r := runs[i]
		switch {
		case r.Destination == "" && r.Result.Succeeded() && r.Snapshot != "":
			if task.Modified.After(r.Started) {
				return "" // edited since: perhaps to another destination
			}
			return r.Snapshot
		case r.Destination == "": // not begun, or an older failure
		case r.Destination != task.Destination:
			return ""
		case r.Result.Succeeded() && r.Snapshot != "":
			return r.Snapshot
		case r.Expect != "":
			return r.Expect
		}
	}
	return ""
}

// lastVerified is when a run last verified the task's snapshots at its
// destination, as the newest run of runs (its history, oldest first) that
// says so: a run that did not verify passes on what the run before it
// said, and one that never ended (interrupted) said it when it began. A
// task moved to another destination since has verified nothing there.
func lastVerified(task backup.Task, runs []backup.Report) time.Time {
	for i := len(runs) - 1; i >= 0; i-- {
		r := runs[i]
		if r.Destination != "" && r.Destination != task.Destination {
			return time.Time{}
		}
		if !r.LastVerified.IsZero() {
			return r.LastVerified
		}
	}
	return time.Time{}
}

// rateHint is the copy rate of the last successful run among the newest
// ten of runs (the task's history, oldest first), for the first ETA.
func rateHint(runs []backup.Report) float64 {
	for i := len(runs) - 1; i >= max(len(runs)-10, 0); i-- {
		r := runs[i]
		if r.Result.Succeeded() && r.BytesCopied > 1<<20 && r.Duration() > 0 {
			return float64(r.BytesCopied) / r.Duration().Seconds()
		}
	}
	return 0
}

// Stop stops the task's run in progress and waits (at most until ctx
// ends) for it to clean up; false when none was running.
func (t *Tasks) Stop(ctx context.Context, name string) (bool, error) {
	task, err := t.load(name)
	if err != nil {
		return false, err
	}
	stopped := t.eng.Stop(ctx, task.Name)
	if stopped {
		t.log.WithField("task", task.Name).Infof("task %s: stop requested", task.Name)
	}
	return stopped, nil
}

// Running is the task's run in progress, or nil.
func (t *Tasks) Running(name string) *backup.Handle { return t.eng.Running(name) }

// History is the task's newest limit run reports (all kept for 0),
// oldest first.
func (t *Tasks) History(_ context.Context, name string, limit int) ([]backup.Report, error) {
	task, err := t.load(name)
	if err != nil {
		return nil, err
	}
	return t.history(task.Name, limit)
}

func (t *Tasks) history(name string, limit int) ([]backup.Report, error) {
	recs, err := t.db.Runs(name, limit)
	if err != nil {
		return nil, err
	}
	out := make([]backup.Report, 0, len(recs))
	for _, r := range recs {
		var rep backup.Report
		if err := json.Unmarshal(r.Doc, &rep); err != nil {
			continue
		}
		out = append(out, rep)
	}
	return out, nil
}

// markInterrupted turns run records left "running" by a process that
// ended mid-run into "interrupted".
func (t *Tasks) markInterrupted() error {
	tasks, err := t.loadAll()
	if err != nil {
		return err
	}
	for _, task := range tasks {
		recs, err := t.db.Runs(task.Name, 0)
		if err != nil {
			return err
		}
		for _, r := range recs {
			var rep backup.Report
			if json.Unmarshal(r.Doc, &rep) != nil || rep.Result != backup.ResultRunning || t.eng.Running(task.Name) != nil {
				continue
			}
			rep.Result = backup.ResultInterrupted
			rep.Error = "the agent stopped during the run (killed, crashed or the machine went down); the unfinished snapshot is removed by the next run"
			if now := t.now(); t.cfg.Schedule && backup.RetriesApply(rep.Trigger) && rep.Attempt < task.Retries &&
				noSlotSince(task, rep.Started, now) {
				rep.RetryAt = now // now that the agent is back (catchUp plans it)
			}
			doc, _ := json.Marshal(rep)
			if err := t.db.PutRun(task.Name, r.Seq, doc); err != nil {
				return err
			}
			t.log.WithField("task", task.Name).Warnf("task %s: the run started %s was interrupted", task.Name, rep.Started.Local().Format(time.DateTime))
		}
	}
	return nil
}

// ---- snapshots ----

func (t *Tasks) snapshot(name, id string) (backup.Task, backup.SnapshotInfo, error) {
	task, err := t.load(name)
	if err != nil {
		return task, backup.SnapshotInfo{}, err
	}
	snap, err := backup.FindSnapshot(task.Destination, task.Name, id)
	return task, snap, taskErr(err)
}

// Snapshots lists the task's complete snapshots, oldest first.
func (t *Tasks) Snapshots(_ context.Context, name string) ([]backup.SnapshotInfo, error) {
	task, err := t.load(name)
	if err != nil {
		return nil, err
	}
	return backup.ListSnapshots(task.Destination, task.Name)
}

// Find looks for the files pattern matches in the task's snapshots,
// newest first, each version once, telling p how far it has got and
// found what each snapshot added; see backup.Engine.Find.
func (t *Tasks) Find(ctx context.Context, name, pattern string, limit int, p backup.Progress, found func(backup.FindPart)) (backup.FindReport, error) {
	snaps, err := t.Snapshots(ctx, name)
	if err != nil {
		return backup.FindReport{}, taskErr(err)
	}
	rep, err := t.eng.Find(ctx, snaps, name, pattern, limit, p, found)
	return rep, taskErr(err)
}

// Browse lists one page of one folder of a snapshot ("latest" or "" is
// the newest); see backup.Browse.
func (t *Tasks) Browse(_ context.Context, name, snapshot, dir, after string, limit int) (backup.BrowsePage, error) {
	_, snap, err := t.snapshot(name, snapshot)
	if err != nil {
		return backup.BrowsePage{}, err
	}
	page, err := backup.Browse(snap, dir, after, limit)
	return page, taskErr(err)
}

// Verify re-hashes a snapshot ("latest" or "" is the newest) against its
// manifest.
func (t *Tasks) Verify(ctx context.Context, name, snapshot string, p backup.Progress) (backup.VerifyReport, error) {
	task, snap, err := t.snapshot(name, snapshot)
	if err != nil {
		return backup.VerifyReport{}, err
	}
	started := t.now()
	rep, err := t.eng.Verify(ctx, snap, task.Name, p)
	if err == nil {
		t.noteVerified(task, snap.ID, started, rep.Missing+rep.Changed)
	}
	log := t.log.WithFields(logrus.Fields{"task": task.Name, "snapshot": snap.ID})
	switch {
	case err != nil:
		log.Warnf("task %s: verify of snapshot %s could not finish: %v", task.Name, snap.ID, err)
	case rep.OK():
		log.Infof("task %s: snapshot %s verified: %s, %s re-read, all match", task.Name, snap.ID, human.Plural(rep.Files, "file", "files"), human.Bytes(rep.Bytes))
	default:
		log.Warnf("task %s: snapshot %s does not match its manifest: %d missing, %d changed", task.Name, snap.ID, rep.Missing, rep.Changed)
	}
	return rep, err
}

// noteVerified writes what a verify by hand of snapshot, begun at
// started, found into the task's newest run record, in one amendment,
// and so tells the consoles once. A verify of the newest snapshot counts
// as the task's last verify, as a run's does: it re-read everything that
// snapshot holds, and whatever it found damaged, the next run copies
// afresh. It goes into the record's LastVerified, which every later run
// passes on, so the next scheduled verify is due from it. A verify of an
// older snapshot, one while a run is under way or that one ended during,
// or one of a task moved since, does not count. The damaged copies it
// found, in any snapshot, are recorded as noteFound records them.
func (t *Tasks) noteVerified(task backup.Task, snapshot string, started time.Time, damaged int) {
	newest, err := backup.FindSnapshot(task.Destination, task.Name, "latest") // one summary read, not every one
	counts := err == nil && newest.ID == snapshot
	if !counts && damaged == 0 {
		return
	}
	at := t.now()
	failed := "the verify of its newest snapshot is not counted as its last"
	if damaged > 0 {
		failed = "the copies found damaged are not in its backup health"
	}
	t.amendNewest(task, at, failed, func(rep *backup.Report) bool {
		verified := counts && !rep.Finished.After(started) && rep.LastVerified.Before(started)
		if verified {
			rep.LastVerified = started
		}
		if damaged > 0 {
			recordFound(rep, damaged, at)
		}
		return verified || damaged > 0
	})
}

// noteFound records n copies that a restore started by hand found
// damaged or missing in the task's newest run record (FoundDamaged, the
// most one found), so that the fleet's backup health says so until the
// next run copies them afresh, and the consoles hear of it. While a run
// is under way they go into its record as it ends: it began before the
// note that has the run after it copy them.
func (t *Tasks) noteFound(task backup.Task, n int) {
	at := t.now()
	t.amendNewest(task, at, "the copies found damaged are not in its backup health", func(rep *backup.Report) bool {
		recordFound(rep, n, at)
		return true
	})
}

// recordFound writes into a run's record n copies found damaged at at, by hand.
func recordFound(rep *backup.Report, n int, at time.Time) {
	rep.FoundDamaged, rep.FoundAt = max(rep.FoundDamaged, n), at
}

// amendNewest writes the task's newest run record again as change makes
// it, when that run ended before at, at the task's destination, and no
// run is under way, and tells the consoles; false when it does not
// (change declining too; while a run is under way, change waits for its
// record: rewriteNewest). failed says what is lost when the write fails.
func (t *Tasks) amendNewest(task backup.Task, at time.Time, failed string, change func(*backup.Report) bool) bool {
	if !t.rewriteNewest(task, at, failed, change) {
		return false
	}
	if info, err := t.info(task); err == nil {
		t.emit(TaskEvent{Kind: EventChanged, Task: task.Name, Info: &info})
	}
	return true
}

// rewriteNewest is amendNewest's write of the record, under t.mu. While
// a run is under way its own record is the newest when it ends: change
// is made to that (finished) and nothing is written now.
func (t *Tasks) rewriteNewest(task backup.Task, at time.Time, failed string, change func(*backup.Report) bool) bool {
	t.mu.Lock() // no run starts meanwhile (start)
	defer t.mu.Unlock()
	if ar := t.active[backup.NameKey(task.Name)]; ar != nil {
		if len(ar.amends) < maxAmends {
			ar.amends = append(ar.amends, change)
			t.amendRunning(task, ar.seq, failed, change)
		}
		return false
	}
	recs, err := t.db.Runs(task.Name, 1)
	if err != nil || len(recs) == 0 {
		return false
	}
	var rep backup.Report
	if json.Unmarshal(recs[0].Doc, &rep) != nil || rep.Result == backup.ResultRunning || rep.Finished.After(at) ||
		rep.Destination != "" && rep.Destination != task.Destination || !change(&rep) {
		return false
	}
	rep.Amended++
	doc, err := json.Marshal(rep)
	if err == nil {
		err = t.db.PutRun(task.Name, recs[0].Seq, doc)
	}
	if err != nil {
		t.log.WithError(err).WithField("task", task.Name).Warnf("task %s: %s", task.Name, failed)
		return false
	}
	return true
}

// amendRunning makes change to the record of the run under way, the
// task's newest, seq, as it is while it runs, under t.mu: the run's own
// record as it ends is made from its report (finished), so this one only
// counts when the agent is killed before, and its next start turns the
// record into the interrupted run's (markInterrupted) with the change.
func (t *Tasks) amendRunning(task backup.Task, seq uint64, failed string, change func(*backup.Report) bool) {
	recs, err := t.db.Runs(task.Name, 1)
	if err != nil || len(recs) == 0 || recs[0].Seq != seq {
		return
	}
	var rep backup.Report
	if json.Unmarshal(recs[0].Doc, &rep) != nil || rep.Result != backup.ResultRunning || !change(&rep) {
		return
	}
	doc, err := json.Marshal(rep)
	if err == nil {
		err = t.db.PutRun(task.Name, seq, doc)
	}
	if err != nil {
		t.log.WithError(err).WithField("task", task.Name).Warnf("task %s: should the agent stop before the run ends, %s", task.Name, failed)
	}
}

// DeleteSnapshot deletes one snapshot of the task by hand (its ID), to
// make room on the destination at once; see backup.Engine.DeleteSnapshot
// for when it is refused.
func (t *Tasks) DeleteSnapshot(ctx context.Context, name, snapshot string) (backup.DeleteReport, error) {
	task, err := t.load(name)
	if err != nil {
		return backup.DeleteReport{}, err
	}
	rep, err := t.eng.DeleteSnapshot(ctx, task, snapshot, t.owner())
	t.poke() // a scheduled run that waited for the deletion starts now
	if err != nil {
		return rep, taskErr(err)
	}
	log := t.log.WithFields(logrus.Fields{"task": task.Name, "snapshot": rep.Snapshot})
	if rep.Warning != "" {
		log.Warn(rep.Describe())
	} else {
		log.Info(rep.Describe())
	}
	t.emit(TaskEvent{Kind: EventDeleted, Task: task.Name, Deleted: &rep})
	return rep, nil
}

// EstimateDeletion says what deleting one snapshot of the task would
// free, deleting nothing; see backup.Engine.EstimateDeletion.
func (t *Tasks) EstimateDeletion(ctx context.Context, name, snapshot string) (backup.DeletionEstimate, error) {
	task, err := t.load(name)
	if err != nil {
		return backup.DeletionEstimate{}, err
	}
	est, err := t.eng.EstimateDeletion(ctx, task, snapshot)
	return est, taskErr(err)
}

// Restore copies a snapshot, or paths of it, into a target folder or to
// where the files were.
func (t *Tasks) Restore(ctx context.Context, name, snapshot string, opt backup.RestoreOptions, p backup.Progress) (backup.RestoreReport, error) {
	task, snap, err := t.snapshot(name, snapshot)
	if err != nil {
		return backup.RestoreReport{}, err
	}
	opt.Within = task.Sources
	rep, err := t.eng.Restore(ctx, snap, task.Name, opt, p)
	if found := rep.Damaged + rep.Unreadable; found > 0 {
		t.noteFound(task, int(found))
	}
	if err != nil {
		return rep, taskErr(err)
	}
	log := t.log.WithFields(logrus.Fields{"task": task.Name, "snapshot": snap.ID})
	if rep.Damaged+rep.Unreadable > 0 {
		log.Warnf("task %s: %s", task.Name, rep.Line()) // the next run copies them afresh
	} else {
		log.Infof("task %s: %s", task.Name, rep.Line())
	}
	return rep, nil
}

// ---- the schedule ----

// poke wakes the scheduler to look at the tasks again.
func (t *Tasks) poke() {
	select {
	case t.wake <- struct{}{}:
	default:
	}
}

// catchUp runs, once, every task that says catch-up and missed its
// latest slot while the agent was down.
func (t *Tasks) catchUp() {
	tasks, err := t.loadAll()
	if err != nil {
		t.log.WithError(err).Error("cannot read the backup tasks to catch up")
		return
	}
	now := t.now()
	for _, task := range tasks {
		runs, _ := t.history(task.Name, 1)
		var last time.Time
		if len(runs) > 0 {
			last = runs[0].Started
			if r := runs[0]; owedRetry(task, r, now) {
				// Tried now or at its time, unless the missed slot's run
				// below serves.
				t.mu.Lock()
				t.retries[backup.NameKey(task.Name)] = retryPlan{at: r.RetryAt, attempt: r.Attempt + 1}
				t.mu.Unlock()
			}
		}
		if !missedSlot(task, last, now) {
			continue
		}
		if _, err := t.Run(t.ctx, task.Name, backup.TriggerCatchUp); err != nil {
			t.log.WithError(err).Warnf("task %s: cannot catch up", task.Name)
		}
	}
}

// owedRetry says whether the task's last run, r, was to be tried again
// when the agent stopped (it failed, or the agent's end cut it short),
// and no scheduled time of the task has come since (that time's run, or
// its catch-up, replaces the retry).
func owedRetry(task backup.Task, r backup.Report, now time.Time) bool {
	return !r.RetryAt.IsZero() && noSlotSince(task, r.Started, now)
}

// noSlotSince says the task runs on a schedule, and none of its times
// came between started and now.
func noSlotSince(task backup.Task, started, now time.Time) bool {
	s, err := backup.ParseSchedule(task.ScheduleInForce())
	return err == nil && !s.Manual() && !s.Prev(now).After(started)
}

// missedSlot says whether a catch-up run is due: the task catches up, has
// a schedule, and its latest slot before now came after both its last
// run's start (or, never run, its creation).
func missedSlot(task backup.Task, lastStart, now time.Time) bool {
	if !task.CatchUp {
		return false
	}
	s, err := backup.ParseSchedule(task.ScheduleInForce())
	if err != nil || s.Manual() {
		return false
	}
	prev := s.Prev(now)
	if prev.IsZero() {
		return false
	}
	since := lastStart
	if since.IsZero() || task.Created.After(since) {
		since = task.Created
	}
	return prev.After(since)
}

// runScheduled starts the task's scheduled run, or skips it while the
// previous run still goes. It says false when a deletion of one of the
// task's snapshots holds it: the run waits for the deletion, then
// starts, so a snapshot deleted at 02:00 costs no backup.
func (t *Tasks) runScheduled(name string) (done bool) {
	if h := t.eng.Running(name); h != nil {
		t.log.WithField("task", name).Warnf("task %s: scheduled run skipped: the previous run is still going (since %s)", name, h.Since.Local().Format("15:04"))
		return true
	}
	_, err := t.Run(t.ctx, name, backup.TriggerSchedule)
	if busy := (*backup.BusyError)(nil); errors.As(err, &busy) && busy.Doing != "" {
		return false
	}
	if err != nil {
		t.log.WithError(err).Errorf("task %s: the scheduled run could not start", name)
	}
	return true
}

// retryDue starts the task's retry once its time has come, and says when
// to look at it again (zero: no retry is pending). A run already going is
// the try; a retry the task no longer allows (edited to fewer) is
// dropped; one a deletion of a snapshot holds waits for it.
func (t *Tasks) retryDue(task backup.Task, now time.Time) time.Time {
	key := backup.NameKey(task.Name)
	t.mu.Lock()
	rp, ok := t.retries[key]
	t.mu.Unlock()
	switch {
	case !ok:
		return time.Time{}
	case rp.at.After(now):
		return rp.at
	case rp.attempt > task.Retries || t.eng.Running(task.Name) != nil:
		t.dropRetry(key)
		return time.Time{}
	}
	_, err := t.run(task.Name, backup.TriggerRetry, rp.attempt, RunOptions{})
	if busy := (*backup.BusyError)(nil); errors.As(err, &busy) && busy.Doing != "" {
		return now.Add(deletionRetry)
	}
	if err != nil {
		t.dropRetry(key)
		t.log.WithError(err).Errorf("task %s: the retry of its failed run could not start", task.Name)
	}
	return time.Time{}
}

// dropRetry forgets the task's pending retry.
func (t *Tasks) dropRetry(key string) {
	t.mu.Lock()
	delete(t.retries, key)
	t.mu.Unlock()
}

// scheduleLoop starts each scheduled task at its time.
func (t *Tasks) scheduleLoop() {
	type plan struct {
		spec    string
		next    time.Time
		waiting bool // for a deletion of one of the task's snapshots
	}
	plans := map[string]*plan{}
	for {
		tasks, err := t.loadAll()
		if err != nil {
			t.log.WithError(err).Error("the scheduler cannot read the backup tasks; trying again in a minute")
		}
		now := t.now()
		var wakeAt time.Time
		seen := map[string]bool{}
		for _, task := range tasks {
			key := backup.NameKey(task.Name)
			seen[key] = true
			s, err := backup.ParseSchedule(task.ScheduleInForce())
			if err != nil || s.Manual() {
				delete(plans, key)
				t.dropRetry(key)
				continue
			}
			if at := t.retryDue(task, now); !at.IsZero() && (wakeAt.IsZero() || at.Before(wakeAt)) {
				wakeAt = at
			}
			p := plans[key]
			if p == nil || p.spec != s.String() {
				p = &plan{spec: s.String(), next: s.Next(now)}
				plans[key] = p
			}
			if !p.next.After(now) {
				if !t.runScheduled(task.Name) {
					if !p.waiting {
						p.waiting = true
						t.log.WithField("task", task.Name).Infof("task %s: the scheduled run waits for the deletion of a snapshot to finish", task.Name)
					}
					retry := now.Add(deletionRetry)
					if wakeAt.IsZero() || retry.Before(wakeAt) {
						wakeAt = retry
					}
					continue
				}
				p.next, p.waiting = s.Next(now), false
			}
			if wakeAt.IsZero() || p.next.Before(wakeAt) {
				wakeAt = p.next
			}
		}
		for key := range plans {
			if !seen[key] {
				delete(plans, key)
			}
		}
		if err == nil {
			t.mu.Lock()
			for key := range t.retries {
				if !seen[key] {
					delete(t.retries, key) // the task was removed
				}
			}
			t.mu.Unlock()
		}
		wait := time.Minute
		if !wakeAt.IsZero() {
			wait = min(max(wakeAt.Sub(now), 0), time.Hour)
		}
		timer := time.NewTimer(wait)
		select {
		case <-t.ctx.Done():
			timer.Stop()
			return
		case <-t.wake:
		case <-timer.C:
		}
		timer.Stop()
	}
}
