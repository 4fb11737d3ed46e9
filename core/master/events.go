package master

import (
	"sync"
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

// hub fans events out to subscribers without ever blocking the sender: a
// subscriber that falls behind loses events and is told to resync.
type hub struct {
	mu   sync.Mutex
	subs map[*subscriber]struct{}
}

type subscriber struct {
	ch     chan Event
	lagged bool
}

func (h *hub) subscribe(buffer int) (<-chan Event, func()) {
	s := &subscriber{ch: make(chan Event, buffer)}
	h.mu.Lock()
	if h.subs == nil {
		h.subs = make(map[*subscriber]struct{})
	}
	h.subs[s] = struct{}{}
	h.mu.Unlock()
	var once sync.Once
	return s.ch, func() {
		once.Do(func() {
			h.mu.Lock()
			delete(h.subs, s)
			h.mu.Unlock()
			close(s.ch)
		})
	}
}

func (h *hub) publish(e Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs {
		if s.lagged {
			select {
			case s.ch <- Event{Time: e.Time, Kind: EventResync}:
				s.lagged = false
			default:
				continue
			}
		}
		select {
		case s.ch <- e:
		default:
			s.lagged = true
		}
	}
}

// Events pages the connection log (oldest first), for the log window.
func (m *Master) Events(f store.EventFilter) ([]store.Event, error) { return m.cfg.DB.Events(f) }

// LastEvents returns the newest n matching records, oldest first.
func (m *Master) LastEvents(f store.EventFilter, n int) ([]store.Event, error) {
	return m.cfg.DB.LastEvents(f, n)
}
