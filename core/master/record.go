package master

import (
	"time"

	"github.com/sirupsen/logrus"

	"github.com/lanyard/lanyard/core/store"
)

// Recording: every connection-log record is written to the store, logged,
// and published to subscribers; a state change is only published.

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
}

// record writes a connection-log record, logs it, and tells subscribers.
func (m *Master) record(a recordArgs) {
	e := Event{Time: time.Now(), Kind: a.kind, Slave: a.name, Direction: a.direction,
		Remote: a.remote, Severity: a.severity, Reason: a.reason}
	if a.slave != nil {
		m.mu.Lock()
		e.SlaveID, e.Slave, e.Direction, e.State = a.slave.entry.ID, a.slave.entry.Name, a.slave.entry.Direction, a.slave.state
		m.mu.Unlock()
	}
	m.cfg.DB.Record(store.Event{Time: e.Time, Slave: e.Slave, Direction: string(e.Direction), Remote: e.Remote,
		Kind: e.Kind, Severity: e.Severity, Reason: e.Reason})
	entry := m.log.WithFields(logrus.Fields{"event": e.Kind})
	if e.Slave != "" {
		entry = entry.WithField("slave", e.Slave)
	}
	if e.Remote != "" {
		entry = entry.WithField("remote", e.Remote)
	}
	entry.Log(e.Severity.Level(), e.Reason)
	m.hub.publish(e)
}
