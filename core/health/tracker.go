package health

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/lanyard/lanyard/core/backup"
	"github.com/lanyard/lanyard/core/human"
	"github.com/lanyard/lanyard/core/store"
)

// Defaults of a Tracker's Options.
const (
	// DefaultWriteEvery is how long changes gather before one write.
	DefaultWriteEvery = 200 * time.Millisecond
	// DefaultGrace is how long a task stays failed or overdue, or a
	// slave offline, before it is announced: a retry that succeeds, a
	// restart or a network blip is not news.
	DefaultGrace = 60 * time.Second
)

// Slave is the stored record of one slave's tasks.
type Slave struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// Seen is when the console last heard from the agent (a sync, an
	// event, or the moment its link closed).
	Seen time.Time `json:"seen,omitzero"`
	// UTCOffset is the agent's clock's offset from UTC in seconds, for its
	// schedules.
	UTCOffset int `json:"utc_offset,omitempty"`
	// Synced: the agent's task list was read at least once.
	Synced bool   `json:"synced,omitempty"`
	Tasks  []Task `json:"tasks"`
	// AlertedOffline: the slave's present outage was announced.
	AlertedOffline bool `json:"alerted_offline,omitempty"`
}

func (s *Slave) zone() *time.Location {
	if s.UTCOffset == 0 {
		return time.UTC
	}
	return time.FixedZone("", s.UTCOffset)
}

func (s *Slave) find(name string) int {
	key := backup.NameKey(name)
	for i := range s.Tasks {
		if backup.NameKey(s.Tasks[i].Name) == key {
			return i
		}
	}
	return -1
}

func (s *Slave) sortTasks() {
	slices.SortFunc(s.Tasks, func(a, b Task) int { return human.CompareNames(a.Name, b.Name) })
}

// Row is one task's health at one moment, as the Backups view, the
// report and the mails show it.
type Row struct {
	SlaveID string
	Slave   string
	Group   string // the console's entry's (Tracker leaves it empty)
	// Disconnected: the user disconnected the slave (the console's entry's;
	// Tracker leaves it false).
	Disconnected bool
	// MutedUntil: the user muted the slave's alerts until then (the
	// console's entry's; Tracker leaves it zero).
	MutedUntil time.Time
	Task       string
	Eval
	LastResult           backup.Result
	LastRun              time.Time // when the last run that ended, ended
	LastError            string
	LastWarnings         int    // the last run's warnings
	LastWarning          string // and the first of them
	LastDamaged          int    // the copies the last run's verify found damaged
	LastSuccess          time.Time
	FailuresSinceSuccess int
	Running              bool
	RunningSince         time.Time
	Paused               bool // the task runs only when started by hand
	// RetryAt is when the agent tries the last run, which failed, again;
	// zero when it does not.
	RetryAt time.Time
	// LastKnown: the slave is not linked; the row is what was known at
	// Seen.
	LastKnown bool
	Seen      time.Time
	// Dest is the destination disk as the last successful run left it.
	Dest DestSpace
}

// Warned says the task's last run completed with warnings that are not
// damaged copies (Task.Warned).
func (row *Row) Warned() bool { return warnedOnly(row.LastResult, row.LastWarnings, row.LastDamaged) }

// PendingRetry is the retry of the failed last run still to come at now:
// RetryAt, or zero once its time has passed (the try is then under way,
// or was lost with its agent). A retry that waits for its agent to be
// back (RetryAt not after LastRun) is still to come.
func (row *Row) PendingRetry(now time.Time) time.Time {
	if row.Running || row.RetryAt.After(row.LastRun) && !row.RetryAt.After(now) {
		return time.Time{}
	}
	return row.RetryAt
}

// Runnable says a run of the task can be asked for now: its slave is
// linked and connected (not last known, not disconnected by the user)
// and it does not run already. The Backups window's Run Tasks Shown and
// lanyard task rerun run only these.
func (r *Row) Runnable() bool { return !r.Running && !r.LastKnown && !r.Disconnected }

// Summary is one slave's tasks counted by state.
type Summary struct {
	Counts
	// Full counts the tasks whose destination may not take the next
	// runs (DestSpace.Low).
	Full int
	// Damaged counts the tasks whose last run's verify found copies
	// damaged (Task.LastDamaged).
	Damaged int
	// Warned counts the tasks whose last run completed with warnings
	// other than damaged copies (Task.Warned).
	Warned int
	// Retrying counts the failed tasks the agent tries again by itself
	// (Task.Retrying); RetryAt is the soonest of those tries still ahead
	// (zero when each waits for its agent to be back, or is overdue).
	Retrying  int
	RetryAt   time.Time
	Worst     State // "" when the slave has no tasks (or none known)
	LastKnown bool  // the slave is not linked
	Seen      time.Time
}

// AlertKind is what an alert announces.
type AlertKind string

// Alert kinds.
const (
	AlertFailed  AlertKind = "failed"
	AlertOverdue AlertKind = "overdue"
	AlertOffline AlertKind = "offline" // a slave, not a task
	// AlertFull: the task's destination may not take its next runs
	// (DestSpace.Low), as its last run left it.
	AlertFull AlertKind = "full"
	// AlertDamaged: the task's last run verified its snapshot and found
	// copies missing or changed (Task.LastDamaged): the destination's
	// disk may be failing.
	AlertDamaged AlertKind = "damaged"
)

// Alert announces a task failed or overdue, a task's destination nearly
// full or its copies damaged, or a slave offline, for longer than the
// grace period.
type Alert struct {
	Kind    AlertKind
	SlaveID string
	Slave   string
	Task    string    // "" for AlertOffline
	Since   time.Time // when the state began, as far as this console saw
	Row     Row       // the task's row (every kind but AlertOffline)
}

// Options configure a Tracker.
type Options struct {
	Logger     logrus.FieldLogger
	Now        func() time.Time
	WriteEvery time.Duration
	Grace      time.Duration
	// OnChange hears of slaves whose health (or link, as far as the
	// rows show it) changed; it runs on the caller's goroutine, without
	// the Tracker's lock, and must not block.
	OnChange func(ids []string)
}

// Tracker is the console's record of its fleet's backup health. Safe for
// concurrent use.
type Tracker struct {
	db   *store.DB
	opts Options
	log  logrus.FieldLogger

	mu     sync.Mutex
	slaves map[string]*tracked
	dirty  map[string]bool
	wake   chan struct{}
	closed bool

	cancel context.CancelFunc
	done   chan struct{}
}

type tracked struct {
	rec           Slave
	online        bool
	watched       bool      // its outages are news (Linked, Watch, Rewatch)
	offlineSince  time.Time // zero while linked; when it was last seen
	graceFrom     time.Time // an outage is news once it lasts the grace from here
	silenced      bool      // disconnected by the user: nothing of it is news
	mutedUntil    time.Time // in maintenance: nothing of it is news until then
	rewatched     time.Time // its tasks' alerts wait the grace from here
	lastEvaluated Counts
}

// Open reads the stored records. Start begins writing changes.
func Open(db *store.DB, opts Options) (*Tracker, error) {
	if opts.Logger == nil {
		l := logrus.New()
		l.SetOutput(io.Discard)
		opts.Logger = l
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.WriteEvery <= 0 {
		opts.WriteEvery = DefaultWriteEvery
	}
	if opts.Grace <= 0 {
		opts.Grace = DefaultGrace
	}
	t := &Tracker{db: db, opts: opts, log: opts.Logger, slaves: map[string]*tracked{}, dirty: map[string]bool{},
		wake: make(chan struct{}, 1)}
	recs, err := Load(db)
	if err != nil {
		return nil, err
	}
	for _, r := range recs {
		t.slaves[r.ID] = &tracked{rec: r}
	}
	return t, nil
}

// Load reads every stored record, for a report without a running
// console.
func Load(db *store.DB) ([]Slave, error) {
	docs, err := db.HealthRecords()
	if err != nil {
		return nil, err
	}
	out := make([]Slave, 0, len(docs))
	for id, doc := range docs {
		var r Slave
		if err := json.Unmarshal(doc, &r); err != nil {
			continue // a damaged record is rebuilt at the slave's next link
		}
		r.ID = id
		out = append(out, r)
	}
	return out, nil
}

// Start writes changes in batches until Close.
func (t *Tracker) Start(ctx context.Context) {
	ctx, t.cancel = context.WithCancel(ctx)
	t.done = make(chan struct{})
	go func() {
		defer close(t.done)
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.wake:
			}
			timer := time.NewTimer(t.opts.WriteEvery)
			select {
			case <-ctx.Done():
				timer.Stop()
				return
			case <-timer.C:
			}
			t.Flush()
		}
	}()
}

// Close stops the writer and writes what is left. Idempotent.
func (t *Tracker) Close() error {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return nil
	}
	t.closed = true
	t.mu.Unlock()
	if t.cancel != nil {
		t.cancel()
		<-t.done
	}
	return t.Flush()
}

// Flush writes every changed record now, in one transaction.
func (t *Tracker) Flush() error {
	t.mu.Lock()
	if len(t.dirty) == 0 {
		t.mu.Unlock()
		return nil
	}
	docs := make(map[string][]byte, len(t.dirty))
	for id := range t.dirty {
		if s := t.slaves[id]; s != nil {
			docs[id], _ = json.Marshal(&s.rec)
		} else {
			docs[id] = nil
		}
	}
	clear(t.dirty)
	t.mu.Unlock()
	err := t.db.PutHealth(docs)
	if err != nil {
		t.log.WithError(err).WithField("slaves", len(docs)).Warn("could not save the backup health; it is kept in memory and saved with the next change")
		t.mu.Lock()
		for id := range docs {
			t.dirty[id] = true
		}
		t.mu.Unlock()
	}
	return err
}

// changed marks ids dirty, wakes the writer and tells OnChange. t.mu is
// not held.
func (t *Tracker) changed(ids ...string) {
	t.mu.Lock()
	for _, id := range ids {
		t.dirty[id] = true
	}
	t.mu.Unlock()
	select {
	case t.wake <- struct{}{}:
	default:
	}
	if t.opts.OnChange != nil && len(ids) > 0 {
		t.opts.OnChange(ids)
	}
}

// slave is the tracked slave id, made when new. t.mu is held.
func (t *Tracker) slave(id, name string) *tracked {
	s := t.slaves[id]
	if s == nil {
		s = &tracked{rec: Slave{ID: id, Name: name, Tasks: []Task{}}}
		t.slaves[id] = s
	}
	if name != "" {
		s.rec.Name = name
	}
	return s
}

// Cursors is what this console has seen of the slave's tasks, by task
// name, for the agent to answer with what changed since.
func (t *Tracker) Cursors(id string) map[string]Cursor {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := map[string]Cursor{}
	if s := t.slaves[id]; s != nil {
		for _, task := range s.rec.Tasks {
			out[task.Name] = task.Cursor
		}
	}
	return out
}

// Sync applies what a relinked agent reported: changed tasks (whole),
// removed ones by name; with full, the changed tasks are all there are.
// utcOffset is the agent's clock's offset from UTC in seconds.
func (t *Tracker) Sync(id, name string, changed []Task, removed []string, full bool, utcOffset int) {
	t.mu.Lock()
	s := t.slave(id, name)
	now := t.opts.Now()
	s.rec.Seen, s.rec.Synced, s.rec.UTCOffset = now, true, utcOffset
	if full {
		old := s.rec.Tasks
		s.rec.Tasks = nil
		for _, c := range changed {
			if i := slices.IndexFunc(old, func(o Task) bool { return backup.NameKey(o.Name) == backup.NameKey(c.Name) }); i >= 0 {
				c.Alerted, c.AlertedFull, c.AlertedDamaged = old[i].Alerted, old[i].AlertedFull, old[i].AlertedDamaged
			}
			s.rec.Tasks = append(s.rec.Tasks, c)
		}
	} else {
		for _, r := range removed {
			if i := s.rec.find(r); i >= 0 {
				s.rec.Tasks = slices.Delete(s.rec.Tasks, i, i+1)
			}
		}
		for _, c := range changed {
			if i := s.rec.find(c.Name); i >= 0 {
				c.Alerted, c.AlertedFull, c.AlertedDamaged = s.rec.Tasks[i].Alerted, s.rec.Tasks[i].AlertedFull, s.rec.Tasks[i].AlertedDamaged
				s.rec.Tasks[i] = c
			} else {
				s.rec.Tasks = append(s.rec.Tasks, c)
			}
		}
	}
	if s.rec.Tasks == nil {
		s.rec.Tasks = []Task{}
	}
	s.rec.sortTasks()
	t.mu.Unlock()
	t.changed(id)
}

// update runs fn on the slave's task; it reports false (and changes
// nothing) when the task is not known: the caller reads the agent's
// tasks again.
func (t *Tracker) update(id, name, task string, fn func(*Task)) bool {
	t.mu.Lock()
	s := t.slave(id, name)
	i := s.rec.find(task)
	if i < 0 {
		t.mu.Unlock()
		return false
	}
	fn(&s.rec.Tasks[i])
	s.rec.Seen = t.opts.Now()
	t.mu.Unlock()
	t.changed(id)
	return true
}

// Started notes a run that began (seq: its run record's, 0 when the
// agent did not say).
func (t *Tracker) Started(id, name, task string, seq uint64, at time.Time) bool {
	return t.update(id, name, task, func(tk *Task) {
		tk.Running, tk.RunningSince = true, at
		if seq > 0 {
			tk.Cursor.RunSeq, tk.Cursor.RunDone, tk.Cursor.Amended = seq, false, 0
		}
	})
}

// Finished notes a run that ended.
func (t *Tracker) Finished(id, name string, rep backup.Report, seq uint64) bool {
	return t.update(id, name, rep.Task, func(tk *Task) {
		tk.Finish(rep)
		if seq > 0 {
			tk.Cursor.RunSeq, tk.Cursor.RunDone, tk.Cursor.Amended = seq, true, rep.Amended
		}
	})
}

// Room notes the destination's free and total size as read after a
// snapshot of task was deleted by hand; what its last run wrote stays, to
// judge whether the next runs fit. False when the task is not known (or
// the size was not read).
func (t *Tracker) Room(id, name, task string, free, total uint64) bool {
	if total == 0 {
		return false
	}
	return t.update(id, name, task, func(tk *Task) { tk.Dest.Free, tk.Dest.Total = free, total })
}

// Def is a task's definition as a task-changed event carries it.
type Def struct {
	Name         string
	Created      time.Time
	Version      uint64
	Schedule     string // in force: manual while paused
	Paused       bool
	OverdueAfter time.Duration
	NextRun      time.Time
	// LastRun is the task's last run that ended, as its newest record has
	// it now: copies found damaged since it (nil: not known).
	LastRun *backup.Report
}

// Changed notes a task added or edited; a new one starts with nothing
// run.
func (t *Tracker) Changed(id, name string, d Def) {
	t.mu.Lock()
	s := t.slave(id, name)
	i := s.rec.find(d.Name)
	if i < 0 {
		s.rec.Tasks = append(s.rec.Tasks, Task{Name: d.Name})
		s.rec.sortTasks()
		i = s.rec.find(d.Name)
	}
	tk := &s.rec.Tasks[i]
	tk.Name, tk.Cursor.Created, tk.Cursor.Version = d.Name, d.Created, d.Version
	tk.Schedule, tk.Paused, tk.OverdueAfter, tk.NextRun = d.Schedule, d.Paused, d.OverdueAfter, d.NextRun
	if r := d.LastRun; r != nil && r.Started.Equal(tk.LastStarted) && r.Result == tk.LastResult {
		tk.LastDamaged, tk.FoundAt = r.Damaged(), r.FoundAt // found since, by hand
		tk.Cursor.Amended = r.Amended
	}
	s.rec.Seen = t.opts.Now()
	t.mu.Unlock()
	t.changed(id)
}

// Removed forgets a task the agent removed.
func (t *Tracker) Removed(id, name, task string) {
	t.mu.Lock()
	s := t.slave(id, name)
	if i := s.rec.find(task); i >= 0 {
		s.rec.Tasks = slices.Delete(s.rec.Tasks, i, i+1)
	}
	t.mu.Unlock()
	t.changed(id)
}

// Linked notes the slave's link coming up or going down.
func (t *Tracker) Linked(id, name string, online bool) {
	t.mu.Lock()
	s := t.slave(id, name)
	now := t.opts.Now()
	if s.online == online {
		t.mu.Unlock()
		return
	}
	s.online = online
	if online {
		s.watched, s.offlineSince = true, time.Time{}
		s.rec.AlertedOffline = false
	} else {
		s.offlineSince, s.graceFrom = now, now
		if s.rec.Synced {
			s.rec.Seen = now
		}
	}
	t.mu.Unlock()
	t.changed(id)
}

// Silence makes nothing of slave id news, neither its outage nor its
// tasks' failures or lateness, until Rewatch: the user disconnected it,
// and its outage is by request. Its rows stay, as last known.
func (t *Tracker) Silence(id, name string) {
	t.mu.Lock()
	t.slave(id, name).silenced = true
	t.mu.Unlock()
}

// Mute makes nothing of slave id news until until (zero: from now): a
// server in maintenance, linked and managed as usual. What is still wrong
// with it when the time comes is news then, as if it had not been muted;
// what was announced before is not in force meanwhile (Alerting).
func (t *Tracker) Mute(id, name string, until time.Time) {
	t.mu.Lock()
	t.slave(id, name).mutedUntil = until
	t.mu.Unlock()
}

// quiet: nothing of s is news at now. t.mu is held.
func (s *tracked) quiet(now time.Time) bool { return s.silenced || now.Before(s.mutedUntil) }

// Rewatch ends Silence, for a slave the user connects again. What is
// wrong with it is news once it has lasted the grace from now: its
// outage, if it is offline and linked before (nobody was told of it; a
// slave that never linked is not watched), and its tasks' failures and
// lateness (the grace lets a new link bring what changed).
func (t *Tracker) Rewatch(id string, linkedBefore bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.slaves[id]
	if s == nil {
		return
	}
	now := t.opts.Now()
	s.silenced, s.rewatched = false, now
	if !s.online && (linkedBefore || s.watched) {
		s.watched, s.offlineSince, s.graceFrom, s.rec.AlertedOffline = true, now, now, false
		t.dirty[id] = true
	}
}

// Watch watches slave id, which linked before this console started, for
// an outage: unless it links again first, it is announced once it has
// lasted the grace from from (the start, plus the time its agent may take
// to dial again), as offline since lastSeen. An outage announced before
// the start stays announced, not news again.
func (t *Tracker) Watch(id, name string, lastSeen, from time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.slave(id, name)
	if s.online || s.watched {
		return
	}
	s.watched, s.offlineSince, s.graceFrom = true, lastSeen, from
}

// Forget drops a slave whose entry was removed.
func (t *Tracker) Forget(id string) {
	t.mu.Lock()
	_, ok := t.slaves[id]
	delete(t.slaves, id)
	t.mu.Unlock()
	if ok {
		t.changed(id)
	}
}

// rows appends s's rows at now. t.mu is held.
func (s *tracked) rows(out []Row, now time.Time) []Row { return s.rec.Rows(out, s.online, now) }

// Rows appends the slave's rows at now; online says whether it is linked.
func (s *Slave) Rows(out []Row, online bool, now time.Time) []Row {
	zone := s.zone()
	for i := range s.Tasks {
		tk := &s.Tasks[i]
		out = append(out, Row{SlaveID: s.ID, Slave: s.Name, Task: tk.Name, Eval: Evaluate(tk, zone, now),
			LastResult: tk.LastResult, LastRun: tk.LastFinished, LastError: tk.LastError, LastSuccess: tk.LastSuccess,
			LastWarnings: tk.LastWarnings, LastWarning: tk.LastWarning, LastDamaged: tk.LastDamaged,
			FailuresSinceSuccess: tk.FailuresSinceSuccess, Running: tk.Running, RunningSince: tk.RunningSince,
			Paused: tk.Paused, RetryAt: tk.RetryAt, LastKnown: !online, Seen: s.Seen, Dest: tk.Dest})
	}
	return out
}

// Rows is every task of the given slaves (of all, when none is given),
// evaluated now, by slave then task.
func (t *Tracker) Rows(ids ...string) []Row {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.opts.Now()
	var out []Row
	if len(ids) == 0 {
		out = make([]Row, 0, len(t.slaves)*3)
		for _, s := range t.slaves {
			out = s.rows(out, now)
		}
		return out
	}
	for _, id := range ids {
		if s := t.slaves[id]; s != nil {
			out = s.rows(out, now)
		}
	}
	return out
}

// summary counts s's tasks at now. t.mu is held.
func (s *tracked) summary(now time.Time, grace time.Duration) Summary {
	sum := Summary{LastKnown: !s.online, Seen: s.rec.Seen}
	zone := s.rec.zone()
	for i := range s.rec.Tasks {
		tk := &s.rec.Tasks[i]
		state := Evaluate(tk, zone, now).State
		sum.Add(state, 1)
		if tk.Dest.Low() != "" {
			sum.Full++
		}
		if tk.LastDamaged > 0 {
			sum.Damaged++
		}
		if tk.Warned() {
			sum.Warned++
		}
		if state == StateFailed && tk.Retrying(now, grace) {
			sum.noteRetry(tk.RetryAt, now)
		}
	}
	sum.Worst = sum.Counts.Worst()
	return sum
}

// noteRetry counts a failed task tried again at at.
func (sum *Summary) noteRetry(at, now time.Time) {
	sum.Retrying++
	if at.After(now) && (sum.RetryAt.IsZero() || at.Before(sum.RetryAt)) {
		sum.RetryAt = at
	}
}

// Line is a slave's tasks by state with what else needs a look, as a
// server's Overview and lanyard status say it: "2 ok · 1 failed · 1 task
// with damaged copies"; "no backup tasks" when none is known.
func (sum Summary) Line() string {
	parts := []string{sum.Counts.String()}
	if sum.Damaged > 0 {
		parts = append(parts, WithDamageWords(sum.Damaged))
	}
	if sum.Full > 0 {
		parts = append(parts, NearlyFull(sum.Full))
	}
	if sum.Warned > 0 {
		parts = append(parts, WithWarningsWords(sum.Warned))
	}
	return strings.Join(parts, " · ")
}

// NeedsALook is whether a task failed, is overdue or has damaged copies.
func (sum Summary) NeedsALook() bool { return sum.Failed+sum.Overdue+sum.Damaged > 0 }

// Problems is the failed and overdue tasks counted, and which of the
// failed the agent tries again by itself, in loc's clock: "1 failed
// (tried again at 02:10) · 2 overdue", "3 failed (2 tried again, the
// first at 02:10)"; "" when none is failed or overdue.
func (sum Summary) Problems(loc *time.Location) string {
	if sum.Failed+sum.Overdue == 0 {
		return ""
	}
	var parts []string
	if sum.Failed > 0 {
		parts = append(parts, Counts{Failed: sum.Failed}.String()+sum.retrying(loc))
	}
	if sum.Overdue > 0 {
		parts = append(parts, Counts{Overdue: sum.Overdue}.String())
	}
	return strings.Join(parts, " · ")
}

// retrying is " (tried again at 02:10)" for the failed tasks tried again.
func (sum Summary) retrying(loc *time.Location) string {
	if sum.Retrying == 0 {
		return ""
	}
	when := "being tried again" // its time has come, or its agent's return
	if !sum.RetryAt.IsZero() {
		when = backup.RetryWords(sum.RetryAt, time.Time{}, loc)
	}
	switch {
	case sum.Retrying == sum.Failed && sum.Retrying == 1:
	case sum.Retrying == 1:
		when = "1 " + when
	case sum.RetryAt.IsZero():
		when = fmt.Sprintf("%d %s", sum.Retrying, when)
	default:
		when = fmt.Sprintf("%d tried again, the first at %s", sum.Retrying, backup.RetryClock(sum.RetryAt, loc))
	}
	return " (" + when + ")"
}

// Summary is one slave's tasks counted now.
func (t *Tracker) Summary(id string) Summary {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.slaves[id]
	if s == nil {
		return Summary{LastKnown: true}
	}
	return s.summary(t.opts.Now(), t.opts.Grace)
}

// SetGrace changes the grace period of alerts from now on.
func (t *Tracker) SetGrace(d time.Duration) {
	if d <= 0 {
		d = DefaultGrace
	}
	t.mu.Lock()
	t.opts.Grace = d
	t.mu.Unlock()
}

// Tick re-evaluates every task against the clock: slaves whose counts
// changed (a task became overdue) are reported to OnChange, and the
// alerts that came due are returned.
func (t *Tracker) Tick() []Alert {
	t.mu.Lock()
	now := t.opts.Now()
	var changed []string
	var alerts []Alert
	for id, s := range t.slaves {
		sum := s.summary(now, t.opts.Grace)
		if sum.Counts != s.lastEvaluated {
			s.lastEvaluated = sum.Counts
			changed = append(changed, id)
		}
		if a, dirty := t.due(s, now); len(a) > 0 || dirty {
			alerts = append(alerts, a...)
			t.dirty[id] = true
		}
	}
	t.mu.Unlock()
	sortAlerts(alerts)
	if len(changed) > 0 || len(alerts) > 0 {
		select {
		case t.wake <- struct{}{}:
		default:
		}
	}
	if len(changed) > 0 && t.opts.OnChange != nil {
		t.opts.OnChange(changed)
	}
	return alerts
}

// Alerting is every alert in force now: each outage announced and not
// over, and each task whose failure or lateness was announced and which is
// still failed or overdue (now in the state it is in), of slaves not
// silenced or muted. It is what Tick announced, not yet taken back,
// sorted by slave and task.
func (t *Tracker) Alerting() []Alert {
	t.mu.Lock()
	now := t.opts.Now()
	var out []Alert
	for _, s := range t.slaves {
		if s.quiet(now) {
			continue
		}
		if s.rec.AlertedOffline && !s.online {
			out = append(out, Alert{Kind: AlertOffline, SlaveID: s.rec.ID, Slave: s.rec.Name, Since: s.offlineSince})
		}
		var rows []Row
		for i := range s.rec.Tasks {
			tk := &s.rec.Tasks[i]
			if tk.Alerted == "" && !tk.AlertedFull && !tk.AlertedDamaged {
				continue
			}
			if rows == nil {
				rows = s.rows(nil, now)
			}
			row := taskRow(rows, tk.Name)
			if st := row.State; tk.Alerted != "" && (st == StateFailed || st == StateOverdue) { // else Tick takes it back
				out = append(out, Alert{Kind: AlertKind(st), SlaveID: s.rec.ID, Slave: s.rec.Name, Task: tk.Name, Since: badSince(tk, st, now), Row: row})
			}
			if tk.AlertedFull && tk.Dest.Low() != "" {
				out = append(out, Alert{Kind: AlertFull, SlaveID: s.rec.ID, Slave: s.rec.Name, Task: tk.Name, Since: fullSince(tk, now), Row: row})
			}
			if tk.AlertedDamaged && tk.LastDamaged > 0 {
				out = append(out, Alert{Kind: AlertDamaged, SlaveID: s.rec.ID, Slave: s.rec.Name, Task: tk.Name, Since: damagedSince(tk, now), Row: row})
			}
		}
	}
	t.mu.Unlock()
	sortAlerts(out)
	return out
}

// taskRow is task's row among rows.
func taskRow(rows []Row, task string) Row {
	key := backup.NameKey(task)
	for _, r := range rows {
		if backup.NameKey(r.Task) == key {
			return r
		}
	}
	return Row{}
}

// sortAlerts orders alerts by slave, then task, ignoring case; a task's
// failure or lateness comes before its damaged copies, and they before
// its full destination.
func sortAlerts(alerts []Alert) {
	slices.SortStableFunc(alerts, func(a, b Alert) int {
		return cmp.Or(human.CompareNames(a.Slave, b.Slave), human.CompareNames(a.Task, b.Task),
			boolCompare(a.Kind == AlertFull, b.Kind == AlertFull), boolCompare(a.Kind == AlertDamaged, b.Kind == AlertDamaged))
	})
}

func boolCompare(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// due returns s's alerts that came due at now, and whether s's record
// changed. t.mu is held.
func (t *Tracker) due(s *tracked, now time.Time) (alerts []Alert, dirty bool) {
	if s.quiet(now) {
		return nil, false
	}
	grace := t.opts.Grace
	if !s.online && s.watched && !s.rec.AlertedOffline && now.Sub(s.graceFrom) >= grace {
		s.rec.AlertedOffline, dirty = true, true
		alerts = append(alerts, Alert{Kind: AlertOffline, SlaveID: s.rec.ID, Slave: s.rec.Name, Since: s.offlineSince})
	}
	zone := s.rec.zone()
	var rows []Row
	announce := func(tk *Task, kind AlertKind, since time.Time) {
		if rows == nil {
			rows = s.rows(nil, now)
		}
		alerts = append(alerts, Alert{Kind: kind, SlaveID: s.rec.ID, Slave: s.rec.Name, Task: tk.Name, Since: since, Row: taskRow(rows, tk.Name)})
	}
	for i := range s.rec.Tasks {
		tk := &s.rec.Tasks[i]
		if low := tk.Dest.Low() != ""; !low && tk.AlertedFull {
			tk.AlertedFull, dirty = false, true
		} else if low && !tk.AlertedFull && s.pastGrace(fullSince(tk, now), now, grace) {
			tk.AlertedFull, dirty = true, true
			announce(tk, AlertFull, fullSince(tk, now))
		}
		if damaged := tk.LastDamaged > 0; !damaged && tk.AlertedDamaged {
			tk.AlertedDamaged, dirty = false, true
		} else if damaged && !tk.AlertedDamaged && s.pastGrace(damagedSince(tk, now), now, grace) {
			tk.AlertedDamaged, dirty = true, true
			announce(tk, AlertDamaged, damagedSince(tk, now))
		}
		ev := Evaluate(tk, zone, now)
		bad := ev.State == StateFailed || ev.State == StateOverdue
		if !bad {
			if tk.Alerted != "" {
				tk.Alerted, dirty = "", true
			}
			continue
		}
		since := badSince(tk, ev.State, now)
		if tk.Alerted == ev.State || !s.pastGrace(since, now, grace) {
			continue
		}
		if ev.State == StateFailed && tk.Retrying(now, grace) {
			continue // news once the last try failed
		}
		tk.Alerted, dirty = ev.State, true
		announce(tk, AlertKind(ev.State), since)
	}
	return alerts, dirty
}

// pastGrace: a state of s's that began at since is news at now; its
// tasks' states are not until the grace has passed since Rewatch too.
func (s *tracked) pastGrace(since, now time.Time, grace time.Duration) bool {
	return now.Sub(since) >= grace && now.Sub(s.rewatched) >= grace
}

// fullSince is when task t's destination was found short of room, as
// far as its record tells: the end of its last successful run.
func fullSince(t *Task, now time.Time) time.Time {
	if t.LastSuccess.IsZero() || t.LastSuccess.After(now) {
		return now
	}
	return t.LastSuccess
}

// DamagedWords say what a run's verify, or a verify or restore by hand
// since, found, for an alert: "2 copies found damaged (the destination's
// disk may be failing; the next run copies them afresh and mends the
// older snapshots)".
func DamagedWords(n int) string {
	return fmt.Sprintf("%s (the destination's disk may be failing; %s)", backup.FoundDamagedWords(n), backup.NextRunMends(n))
}

// damagedSince is when task t's copies were found damaged, as far as its
// record tells: by hand since its last run, or the end of that run,
// whose verify found them.
func damagedSince(t *Task, now time.Time) time.Time {
	at := t.LastFinished
	if !t.FoundAt.IsZero() {
		at = t.FoundAt
	}
	if at.IsZero() || at.After(now) {
		return now
	}
	return at
}

// badSince is when task t entered state st (failed, overdue), as far as
// its record tells: the end of its failing run, or the moment its last
// success grew older than its overdue-after.
func badSince(t *Task, st State, now time.Time) time.Time {
	var at time.Time
	switch st {
	case StateFailed:
		at = t.LastFinished
	case StateOverdue:
		base := t.LastSuccess
		if base.IsZero() {
			base = t.Cursor.Created
		}
		at = base.Add(t.OverdueAfter)
	}
	if at.IsZero() || at.After(now) {
		return now
	}
	return at
}
