package master

import (
	"time"

	"github.com/sirupsen/logrus"

	"github.com/lanyard/lanyard/core/store"
)

// Recording: a connection-log record is written to the store and logged,
// and its slave's change published at once (EventState); the store
// announces the record itself once it is committed (committed), so a
// subscriber that reads the log after an announcement always finds it.

func (m *Master) publishState(id string) {
	m.mu.Lock()
	s := m.slaves[id]
	if s == nil {
		m.mu.Unlock()
		return
	}
	e := Event{Time: time.Now(), Kind: EventState, SlaveID: id, Slave: s.entry.Name,
		Direction: s.entry.Direction, State: s.state}
	m.mu.Unlock()
	m.hub.publish(e)
}

type recordArgs struct {
	slave     *slave // nil for events not about a known entry
	name      string // the slave's name when slave is nil
	direction store.Direction
	kind      string
	severity  store.Severity
	remote    string
	reason    string
	// unlogged records are kept in the connection log but not written to
	// the console's log one by one: the links a stopping console closes,
	// which Close logs in one line.
	unlogged bool
}

// record writes a connection-log record, logs it, and tells subscribers
// that its slave changed.
func (m *Master) record(a recordArgs) {
	e := m.event(a)
	if a.unlogged {
		m.keep(e)
		return
	}
	m.write(e)
}

// event is the record a describes.
func (m *Master) event(a recordArgs) store.Event {
	e := store.Event{Time: time.Now(), Kind: a.kind, Slave: a.name, Direction: string(a.direction),
		Remote: a.remote, Severity: a.severity, Reason: a.reason}
	if a.slave != nil {
		m.mu.Lock()
		e.SlaveID, e.Slave, e.Direction = a.slave.entry.ID, a.slave.entry.Name, string(a.slave.entry.Direction)
		m.mu.Unlock()
	}
	return e
}

// write puts a record in the connection log and the console's log, and
// tells subscribers that its slave changed.
func (m *Master) write(e store.Event) {
	m.cfg.DB.Record(e)
	m.logEvent(e)
	if e.SlaveID != "" {
		m.publishState(e.SlaveID)
	}
}

// keep puts a record in the connection log only, and tells subscribers
// that its slave changed.
func (m *Master) keep(e store.Event) {
	m.cfg.DB.Record(e)
	if e.SlaveID != "" {
		m.publishState(e.SlaveID)
	}
}

// logEvent writes a record to the console's log.
func (m *Master) logEvent(e store.Event) {
	entry := m.log.WithFields(logrus.Fields{"event": e.Kind})
	if e.Slave != "" {
		entry = entry.WithField("slave", e.Slave)
	}
	if e.Remote != "" {
		entry = entry.WithField("remote", e.Remote)
	}
	entry.Log(e.Severity.Level(), e.Reason)
}

// committed publishes the records the store made durable (store.OnCommit).
func (m *Master) committed(records []store.Event) {
	for _, r := range records {
		m.hub.publish(Event{Time: r.Time, Kind: r.Kind, SlaveID: r.SlaveID, Slave: r.Slave,
			Direction: store.Direction(r.Direction), Remote: r.Remote, Severity: r.Severity, Reason: r.Reason, Key: r.Key()})
	}
}
