package master

import (
	"cmp"
	"context"
	"time"

	"github.com/lanyard/lanyard/core/store"
)

// When the console last had a link with each slave. It is saved when a
// link begins and when it ends (pins.go), and every lastSeenEvery for the
// slaves linked then: a console killed, or cut off from its power, still
// knows on its next start when each slave was last there, to within that.

// lastSeenEvery is how often the linked slaves' last-seen times are saved.
// 10,000 of them cost one transaction of about 400 KB (a 32-byte key and
// an 8-byte time each).
const lastSeenEvery = 5 * time.Minute

// refreshLastSeen notes the linked slaves as seen, every lastSeenEvery
// (Config.LastSeenEvery), until ctx ends.
func (m *Master) refreshLastSeen(ctx context.Context) {
	t := time.NewTicker(cmp.Or(m.cfg.LastSeenEvery, lastSeenEvery))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			m.seenLinked(now)
		}
	}
}

// seenLinked notes every linked slave as seen at now, and queues the
// times to be saved. It queues them before it lets go of m.mu: a link
// that ends meanwhile queues its later time after these, so the saved
// time never goes back.
func (m *Master) seenLinked(now time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	pins := make([]store.Pin, 0, len(m.slaves))
	for _, s := range m.slaves {
		if s.link != nil {
			s.seen = now
			pins = append(pins, store.Pin{ID: s.entry.ID, LastSeen: now})
		}
	}
	m.pins.queue(pins...)
}
