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
// slaves linked then; the console notes itself running more often. A
// console killed, or cut off from its power, still knows on its next start
// when each slave was last there: one whose last saved time is of a link
// whose end was never saved was there until the console's last note.

// lastSeenEvery is how often the linked slaves' last-seen times are saved.
// 10,000 of them cost one transaction of about 400 KB (a 32-byte key and
// an 8-byte time each).
const lastSeenEvery = 5 * time.Minute

// aliveEvery is how often the console notes itself running
// (store.NoteRunning): one 8-byte time.
const aliveEvery = 30 * time.Second

// refreshLastSeen notes the linked slaves as seen, every lastSeenEvery
// (Config.LastSeenEvery), and the console as running, every aliveEvery
// (Config.AliveEvery), until ctx ends.
func (m *Master) refreshLastSeen(ctx context.Context) {
	seen := time.NewTicker(cmp.Or(m.cfg.LastSeenEvery, lastSeenEvery))
	defer seen.Stop()
	alive := time.NewTicker(cmp.Or(m.cfg.AliveEvery, aliveEvery))
	defer alive.Stop()
	failing := false
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-seen.C:
			m.seenLinked(now)
		case now := <-alive.C:
			failing = m.noteRunning(now, failing)
		}
	}
}

// noteRunning notes the console running at now, and says whether that
// failed. A failure is logged when it begins (failing was false), not at
// every try.
func (m *Master) noteRunning(now time.Time, failing bool) bool {
	err := m.cfg.DB.NoteRunning(now)
	if err != nil && !failing {
		m.log.WithError(err).Warn("could not note in the database that the console is running; after a crash, the slaves linked then may be shown last seen up to 5 min early")
	}
	return err != nil
}

// resumeLastSeen amends entries as read at the start. A console that
// stopped without closing its links (killed, or cut off from its power)
// saved none of their ends: an entry last seen linked was there until the
// console was last noted running, and is given that time, as its link's
// end, and saved so. The note then starts again.
func (m *Master) resumeLastSeen(entries []store.Slave, now time.Time) {
	last, err := m.cfg.DB.LastRunning()
	if err != nil {
		m.log.WithError(err).Warn("could not read when the console was last running; the slaves linked then keep the time they were last saved as seen")
	}
	var pins []store.Pin
	amended := 0
	for i := range entries {
		e := &entries[i]
		if !e.LastSeenLinked {
			continue
		}
		if until := e.SeenUntil(last); !until.Equal(e.LastSeen) {
			e.LastSeen = until
			amended++
		}
		e.LastSeenLinked = false
		pins = append(pins, store.Pin{ID: e.ID, LastSeen: e.LastSeen})
	}
	if amended > 0 {
		m.log.Infof("the console last stopped without closing its links; it was still running at %s: the %s linked then count as last seen at that time",
			last.Local().Format(time.DateTime), human.Plural(amended, "slave", "slaves"))
	}
	m.pins.queue(pins...)
	m.noteRunning(now, false)
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
			pins = append(pins, store.Pin{ID: s.entry.ID, LastSeen: now, Linked: true})
		}
	}
	m.pins.queue(pins...)
}
