package master

import (
	"cmp"
	"context"
	"time"

	"github.com/lanyard/lanyard/core/human"
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

// aliveEvery is how often the console notes itself running
// (store.Running): 16 bytes, so that after a kill its next start knows
// how long the slaves linked then were there to within this, not
// lastSeenEvery (resumeLastSeen).
const aliveEvery = 30 * time.Second

// refreshLastSeen notes the linked slaves as seen, every lastSeenEvery
// (Config.LastSeenEvery), and the console as running, every aliveEvery
// (Config.AliveEvery), until ctx ends.
func (m *Master) refreshLastSeen(ctx context.Context) {
	seen := time.NewTicker(cmp.Or(m.cfg.LastSeenEvery, lastSeenEvery))
	defer seen.Stop()
	alive := time.NewTicker(cmp.Or(m.cfg.AliveEvery, aliveEvery))
	defer alive.Stop()
	var refreshed time.Time // the last seenLinked's time
	failing := false
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-seen.C:
			m.seenLinked(now)
			refreshed = now
		case now := <-alive.C:
			failing = m.noteRunning(store.Running{Alive: now, Refreshed: refreshed}, failing)
		}
	}
}

// noteRunning saves r, and says whether that failed. A failure is logged
// when it begins (failing was false), not at every try.
func (m *Master) noteRunning(r store.Running, failing bool) bool {
	err := m.cfg.DB.SaveRunning(r)
	if err != nil && !failing {
		m.log.WithError(err).Warn("could not note in the database that the console is running; after a crash, the slaves linked then may be shown last seen up to 5 min early")
	}
	return err != nil
}

// resumeLastSeen amends entries as read at the start. A console that
// stopped without closing its links (killed, or cut off from its power)
// saved them as seen only at its last refresh, but they were there as
// long as it ran, which it noted more often: an entry whose last-seen
// time is that refresh's, no later, was linked then and its link's end
// was never saved, so it is given the last note's time, and saved so.
// The note then starts again, with no refresh yet.
func (m *Master) resumeLastSeen(entries []store.Slave, now time.Time) {
	last, err := m.cfg.DB.Running()
	if err != nil {
		m.log.WithError(err).Warn("could not read when the console was last running; it is noted again from now")
	}
	if !last.Refreshed.IsZero() && last.Alive.After(last.Refreshed) {
		var pins []store.Pin
		for i := range entries {
			if e := &entries[i]; e.LastSeen.Equal(last.Refreshed) {
				e.LastSeen = last.Alive
				pins = append(pins, store.Pin{ID: e.ID, LastSeen: last.Alive})
			}
		}
		if len(pins) > 0 {
			m.log.Infof("the console last stopped without closing its links; it was still running at %s: taking the %s linked then as last seen at that time",
				last.Alive.Local().Format(time.DateTime), human.Plural(len(pins), "slave", "slaves"))
			m.pins.queue(pins...)
		}
	}
	m.noteRunning(store.Running{Alive: now}, false)
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
