package master

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/lanyard/lanyard/core/agent"
	"github.com/lanyard/lanyard/core/backup"
	"github.com/lanyard/lanyard/core/health"
	"github.com/lanyard/lanyard/core/link"
	"github.com/lanyard/lanyard/core/store"
	"github.com/lanyard/lanyard/core/wire"
	"github.com/lanyard/lanyard/core/wire/pb"
)

// The fleet's backup health (core/health keeps the record and the rules):
// fed by what agents push about their tasks, and, each time a slave
// links, by what changed since this console last saw it (task.health; an
// older agent's whole task list instead). Every change is published as an
// EventBackup of its slave, so the server tree's mark, the Backups view
// and the status bar follow it through the one event stream; alerts go to
// WatchAlerts subscribers (the desktop notifier, the mailer).

// EventBackup: a slave's backup health changed (Event.SlaveID).
const EventBackup = "backup"

// healthTick is how often the states are checked against the clock
// (tasks become overdue with time) and alerts that came due are raised.
const healthTick = 10 * time.Second

// healthSyncTimeout bounds one slave's health sync.
const healthSyncTimeout = 30 * time.Second

func (m *Master) openHealth(s Settings) error {
	tr, err := health.Open(m.cfg.DB, health.Options{Logger: m.log, Grace: m.alertGrace(s), OnChange: m.backupChanged})
	if err != nil {
		return err
	}
	m.health = tr
	tr.Start(m.ctx)
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		m.tickHealth(m.ctx)
	}()
	return nil
}

// watchOutages watches, from the console's start, each slave that linked
// before: one that does not link again is announced offline since it was
// last seen, once the grace has passed after the time it had to dial in
// again (Relinking). Of a slave the user disconnected, nothing is news;
// of one muted, nothing until its mute ends.
func (m *Master) watchOutages(entries []store.Slave) {
	from := m.relinkUntil
	for _, e := range entries {
		if !e.MutedUntil.IsZero() {
			m.health.Mute(e.ID, e.Name, e.MutedUntil)
		}
		switch {
		case e.Disabled:
			m.health.Silence(e.ID, e.Name)
		case !e.LastSeen.IsZero():
			m.health.Watch(e.ID, e.Name, e.LastSeen, from)
		}
	}
}

// Relinking says when this console started, and until when the slaves
// linked before may still be dialing in again (the longest an agent waits
// between two dials, this console's own redial bound standing for the
// agents'). Till then an inbound slave last seen before the start is
// likelier on its way than gone.
func (m *Master) Relinking() (started, until time.Time) {
	return m.started, m.relinkUntil
}

// alertGrace is the grace period of alerts: the configuration's (tests),
// else the settings'.
func (m *Master) alertGrace(s Settings) time.Duration {
	if m.cfg.AlertGrace > 0 {
		return m.cfg.AlertGrace
	}
	return s.AlertGrace()
}

// tickHealth re-evaluates the fleet's health against the clock and
// publishes the alerts that came due.
func (m *Master) tickHealth(ctx context.Context) {
	every := healthTick
	if m.cfg.HealthTick > 0 {
		every = m.cfg.HealthTick
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		alerts := m.named(m.health.Tick())
		for _, a := range alerts {
			m.alertArrived(a)
		}
		if len(alerts) > 0 {
			m.queueAlerts(alerts)
		}
		now := time.Now()
		m.mailQueued(now)
		m.dailyDue(now)
	}
}

// backupChanged publishes the slaves whose backup health changed.
func (m *Master) backupChanged(ids []string) {
	now := time.Now()
	for _, id := range ids {
		m.mu.Lock()
		s := m.slaves[id]
		if m.closed {
			// Stopping: every link's end marks its slave offline here,
			// thousands at once, and nobody will look any more.
			m.mu.Unlock()
			return
		}
		if s == nil {
			m.mu.Unlock()
			continue
		}
		e := Event{Time: now, Kind: EventBackup, SlaveID: id, Slave: s.entry.Name, Direction: s.entry.Direction, State: s.state}
		m.mu.Unlock()
		m.hub.publish(e)
	}
}

// withBackup adds the slave's backup summary to views.
func (m *Master) withBackup(views []SlaveView) {
	if m.health == nil {
		return
	}
	for i := range views {
		views[i].Backup = m.health.Summary(views[i].ID)
	}
}

// BackupRow is one task's health with its slave's entry.
type BackupRow = health.Row

// BackupRows is the health of every task of the given slaves (every
// slave's when none is given), evaluated now, with each slave's group.
func (m *Master) BackupRows(ids ...string) []BackupRow {
	if m.health == nil {
		return nil
	}
	rows := m.health.Rows(ids...)
	now := time.Now()
	m.mu.Lock()
	defer m.mu.Unlock()
	out := rows[:0]
	for _, r := range rows {
		s := m.slaves[r.SlaveID]
		if s == nil {
			continue // removed
		}
		r.Slave, r.Group, r.Disconnected = s.entry.Name, s.entry.Group, s.entry.Disabled
		if s.entry.MutedUntil.After(now) {
			r.MutedUntil = s.entry.MutedUntil // a mute over is none
		}
		out = append(out, r)
	}
	return out
}

// Alerting is every backup and outage alert in force now (announced by
// mail and notification, and not yet over), with each slave's entry's
// name and group. An outage's start is the tracker's: the last-seen time
// the start's watch was given (watchOutages), or the link's end.
func (m *Master) Alerting() []health.Alert {
	if m.health == nil {
		return nil
	}
	return m.named(m.health.Alerting())
}

// named gives alerts their slaves' names and groups as the entries have
// them now, and leaves out those of slaves removed since.
func (m *Master) named(alerts []health.Alert) []health.Alert {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := alerts[:0]
	for _, a := range alerts {
		s := m.slaves[a.SlaveID]
		if s == nil {
			continue // removed
		}
		a.Slave, a.Row.Slave, a.Row.Group = s.entry.Name, s.entry.Name, s.entry.Group
		out = append(out, a)
	}
	return out
}

// linkedHealth notes a slave linked and reads what changed in its tasks.
func (m *Master) linkedHealth(l *link.Link, id, name string) {
	if m.health == nil {
		return
	}
	m.health.Linked(id, name, true)
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		m.syncHealth(l)
	}()
}

// unlinkedHealth notes a slave's link gone.
func (m *Master) unlinkedHealth(id, name string) {
	if m.health != nil {
		m.health.Linked(id, name, false)
	}
}

// healthSyncs keeps one sync per link at a time; a sync asked for while
// one runs runs again after it.
type healthSyncs struct {
	mu      sync.Mutex
	running map[*link.Link]bool
	again   map[*link.Link]bool
}

// syncHealth reads what changed in l's agent's tasks since this console
// last saw them.
func (m *Master) syncHealth(l *link.Link) {
	hs := &m.healthSyncs
	hs.mu.Lock()
	if hs.running == nil {
		hs.running, hs.again = map[*link.Link]bool{}, map[*link.Link]bool{}
	}
	if hs.running[l] {
		hs.again[l] = true
		hs.mu.Unlock()
		return
	}
	hs.running[l] = true
	hs.mu.Unlock()
	for {
		m.syncHealthOnce(l)
		hs.mu.Lock()
		if !hs.again[l] {
			delete(hs.running, l)
			hs.mu.Unlock()
			return
		}
		delete(hs.again, l)
		hs.mu.Unlock()
	}
}

func (m *Master) syncHealthOnce(l *link.Link) {
	m.mu.Lock()
	s := m.byName[strings.ToLower(l.Peer().Name)]
	if s == nil || s.link != l || m.ctx == nil {
		m.mu.Unlock()
		return
	}
	id, name := s.entry.ID, s.entry.Name
	m.mu.Unlock()
	ctx, cancel := context.WithTimeout(m.ctx, healthSyncTimeout)
	defer cancel()
	req := &pb.TaskHealthRequest{}
	for n, c := range m.health.Cursors(id) {
		req.Known = append(req.Known, agent.CursorToPB(n, c))
	}
	var resp pb.TaskHealthResponse
	parts, err := collect(ctx, l, wire.MethodTaskHealth, req, &resp, nil)
	var re *link.RequestError
	switch {
	case errors.As(err, &re) && re.Code == wire.ErrUnknownMethod:
		m.syncHealthFull(ctx, l, id, name)
		return
	case err != nil:
		if ctx.Err() == nil && l.Err() == nil {
			m.log.WithError(err).WithField("slave", name).Warn("could not read the backup health of the slave's tasks; it is read again at the next link")
		}
		return
	}
	changed := make([]health.Task, 0, len(parts.GetHealth()))
	for _, ph := range parts.GetHealth() {
		h := agent.HealthFromPB(ph)
		plain(&h.LastError, &h.LastWarning) // shown in the Backups window, alerts and mail
		changed = append(changed, h)
	}
	m.health.Sync(id, name, changed, resp.Removed, false, int(resp.UtcOffsetS))
	m.log.WithField("slave", name).Debugf("%s: backup health read: %d changed, %d unchanged, %d removed", name, len(changed), resp.Unchanged, len(resp.Removed))
}

// syncHealthFull reads an older agent's whole task list (it has no
// task.health) and, for a task whose last run failed, its history, to
// count the failures since its last success.
func (m *Master) syncHealthFull(ctx context.Context, l *link.Link, id, name string) {
	parts, err := collect(ctx, l, wire.MethodTaskList, &pb.TaskListRequest{}, &pb.TaskListResponse{}, nil)
	if err != nil {
		return
	}
	var tasks []health.Task
	for _, ti := range parts.GetTasks() {
		info := infoFromAgent(ti)
		h := healthOfInfo(info)
		if r := info.LastRun; r != nil && !r.Result.Succeeded() {
			hist, err := collect(ctx, l, wire.MethodTaskHistory, &pb.TaskHistoryRequest{Name: info.Task.Name}, nil, nil)
			if err == nil {
				h.FailuresSinceSuccess = failuresSince(hist.GetRuns())
			}
		}
		tasks = append(tasks, h)
	}
	_, off := time.Now().Zone()
	m.health.Sync(id, name, tasks, nil, true, off)
}

// healthOfInfo is what a task's info says of its health (not the
// failures since the last success: the info does not count them).
func healthOfInfo(info agent.TaskInfo) health.Task {
	h := health.Task{Name: info.Task.Name, Cursor: health.Cursor{Created: info.Task.Created, Version: info.Task.Version},
		Schedule: info.Task.ScheduleInForce(), Paused: info.Task.Paused, OverdueAfter: time.Duration(info.OverdueAfter), Running: info.Running,
		LastSuccess: info.LastSuccess, NextRun: info.NextRun}
	if info.Progress != nil {
		h.RunningSince = info.Progress.Started
	}
	if r := info.LastRun; r != nil {
		h.LastResult, h.LastStarted, h.LastFinished, h.LastError = r.Result, r.Started, r.Finished, health.CutError(r.Error)
		h.RetryAt = r.RetryAt
		h.Dest = health.DestOf(*r)
		if r.Result == backup.ResultFailed || r.Result == backup.ResultInterrupted {
			h.FailuresSinceSuccess = 1
		}
	}
	return h
}

func failuresSince(runs []*pb.RunReport) int {
	n := 0
	for i := len(runs) - 1; i >= 0; i-- {
		r := backup.Result(runs[i].GetResult())
		if r.Succeeded() {
			break
		}
		if r == backup.ResultFailed || r == backup.ResultInterrupted {
			n++
		}
	}
	return n
}

// healthEvent applies what an agent pushed about a task to the record;
// an event about a task the record does not know reads the agent's
// tasks again.
func (m *Master) healthEvent(l *link.Link, ev TaskEvent, body []byte) {
	if m.health == nil {
		return
	}
	m.mu.Lock()
	s := m.byName[strings.ToLower(ev.Slave)]
	if s == nil || s.link != l {
		m.mu.Unlock()
		return
	}
	id := s.entry.ID
	m.mu.Unlock()
	known := true
	switch ev.Kind {
	case agent.EventStarted:
		known = m.health.Started(id, ev.Slave, ev.Task, runSeq(body), ev.Report.Started)
	case agent.EventFinished:
		known = m.health.Finished(id, ev.Slave, *ev.Report, runSeq(body))
	case agent.EventChanged:
		i := ev.Info
		m.health.Changed(id, ev.Slave, health.Def{Name: i.Task.Name, Created: i.Task.Created, Version: i.Task.Version,
			Schedule: i.Task.ScheduleInForce(), Paused: i.Task.Paused, OverdueAfter: time.Duration(i.OverdueAfter), NextRun: i.NextRun,
			LastRun: i.LastRun})
	case agent.EventRemoved:
		m.health.Removed(id, ev.Slave, ev.Task)
	case agent.EventDeleted:
		m.health.Room(id, ev.Slave, ev.Task, ev.Deleted.DestFree, ev.Deleted.DestTotal)
	case TaskEventResync:
		known = false
	}
	if !known {
		m.wg.Add(1)
		go func() {
			defer m.wg.Done()
			m.syncHealth(l)
		}()
	}
}

// runSeq is the run record's sequence a run event carries (0 from an
// older agent).
func runSeq(body []byte) uint64 {
	var r pb.RunReport
	if proto.Unmarshal(body, &r) != nil {
		return 0
	}
	return r.GetRunSeq()
}

// ---- alerts ----

// WatchAlerts streams the backup alerts that come due: a task failed or
// overdue, its destination nearly full, a slave offline, each past the
// grace period and once per state. A subscriber that does not keep up
// loses alerts (they are in the log and the daily report too). cancel
// ends it and closes the channel.
func (m *Master) WatchAlerts(buffer int) (<-chan health.Alert, func()) {
	return m.alerts.subscribe(max(buffer, 16))
}

// newAlertHub fans alerts out; one that finds no room is dropped.
func newAlertHub() fanout[health.Alert] {
	return fanout[health.Alert]{expendable: func(health.Alert) bool { return true }}
}

// alertArrived logs an alert that came due and publishes it.
func (m *Master) alertArrived(a health.Alert) {
	e := m.log.WithField("event", "backup_"+string(a.Kind)).WithField("slave", a.Slave)
	switch a.Kind {
	case health.AlertOffline:
		e.Warnf("%s has been offline since %s", a.Slave, a.Since.Format(time.DateTime))
	case health.AlertFailed:
		e.WithField("task", a.Task).Errorf("%s: backup task %s failed: %s", a.Slave, a.Task, a.Row.LastError)
	case health.AlertFull:
		e.WithField("task", a.Task).Warnf("%s: the destination of backup task %s %s: the next runs may not fit; %s", a.Slave, a.Task, a.Row.Dest.Low(), backup.SpaceAdvice)
	case health.AlertDamaged:
		e.WithField("task", a.Task).Warnf("%s: backup task %s: %s", a.Slave, a.Task, health.DamagedWords(a.Row.LastDamaged))
	default:
		e.WithField("task", a.Task).Warnf("%s: backup task %s is overdue: last success %s", a.Slave, a.Task, whenOrNever(a.Row.LastSuccess))
	}
	m.alerts.publish(a)
}

func whenOrNever(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.Local().Format(time.DateTime)
}

// ReadBackupRows is BackupRows from a console's database while no
// console runs: every slave's last known health, marked as such.
func ReadBackupRows(db *store.DB, now time.Time) ([]BackupRow, error) {
	recs, err := health.Load(db)
	if err != nil {
		return nil, err
	}
	entries, err := db.Slaves()
	if err != nil {
		return nil, err
	}
	byID := make(map[string]store.Slave, len(entries))
	for _, e := range entries {
		byID[e.ID] = e
	}
	var out []BackupRow
	for i := range recs {
		e, ok := byID[recs[i].ID]
		if !ok {
			continue
		}
		n := len(out)
		out = recs[i].Rows(out, false, now)
		for j := n; j < len(out); j++ {
			out[j].Slave, out[j].Group, out[j].Disconnected = e.Name, e.Group, e.Disabled
		}
	}
	return out, nil
}
