package master

import (
	"time"

	"github.com/lanyard/lanyard/core/store"
)

// Event kinds that only subscribers see; every other event is a
// connection-log record, of a kind named in store (store.KindConnected…) or
// a close code (wire.CodeAuthFailed…).
const (
	EventState  = "state"  // a slave's state or details changed
	EventResync = "resync" // events were dropped: re-read everything
)

// Event is what subscribers receive: every change of a slave's state
// (EventState, at once), and every connection-log record once the store has
// committed it (with its Key, from which the log can be read on).
type Event struct {
	Time      time.Time
	Kind      string
	SlaveID   string
	Slave     string
	Direction store.Direction
	Remote    string
	State     State          // EventState only
	Severity  store.Severity // records only
	Reason    string
	Key       []byte // a record's key in the connection log; nil for EventState, EventResync
}

// IsRecord tells a committed connection-log record from the state changes
// and resyncs that share the stream.
func (e Event) IsRecord() bool { return e.Key != nil }

// newEventHub fans Events out; a subscriber that fell behind is sent
// EventResync.
func newEventHub() fanout[Event] {
	return fanout[Event]{resync: func(e Event) Event { return Event{Time: e.Time, Kind: EventResync} }}
}

// Events pages the connection log (oldest first), for the log window.
func (m *Master) Events(f store.EventFilter) ([]store.Event, error) { return m.cfg.DB.Events(f) }

// LastEvents returns the newest n matching records, oldest first.
func (m *Master) LastEvents(f store.EventFilter, n int) ([]store.Event, error) {
	return m.cfg.DB.LastEvents(f, n)
}
