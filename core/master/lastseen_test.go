package master

import (
	"strings"
	"testing"
	"time"

	"github.com/lanyard/lanyard/core/store"
)

// While a slave is linked, the console saves now and then that it was
// seen, so a console killed without a word still knows on its next start
// when each slave was last there. Once the link ends, the slave's view
// says when, and what its agent was, and so does the next console on the
// same database.
func TestASlaveIsLastSeenWhileLinkedAndWhenItsLinkEnded(t *testing.T) {
	c := startConsoleWith(t, false, nil, func(cfg *Config) { cfg.LastSeenEvery = 20 * time.Millisecond })
	a := startAgentWith(t, "FS01", "pw-one", false, nil)
	if _, err := c.AddSlave(SlaveSpec{Name: "FS01", Direction: store.Outbound, Address: a.ListenAddr(), Password: []byte("pw-one")}); err != nil {
		t.Fatal(err)
	}
	linkedAt := c.waitState(t, "FS01", StateConnected).LastSeen
	if linkedAt.IsZero() {
		t.Fatal("a linked slave has never been seen")
	}
	c.until(t, "FS01's last-seen time is saved again while it stays linked", func() bool {
		e, err := c.db.SlaveByName("FS01")
		return err == nil && e.LastSeen.After(linkedAt)
	})

	before := time.Now()
	if err := c.Disconnect("FS01"); err != nil {
		t.Fatal(err)
	}
	v := c.waitState(t, "FS01", StateDisabled)
	if v.LastSeen.Before(before) || v.LastSeen.After(time.Now()) {
		t.Fatalf("last seen %v, want when the link ended (after %v)", v.LastSeen, before)
	}
	if !strings.HasPrefix(v.Software, "lanyard-agent ") {
		t.Fatalf("unlinked, FS01 runs %q, want the agent it said it was", v.Software)
	}
	c.stop()
	again := startConsoleWith(t, false, c.db, nil)
	if w, _ := again.Slave("FS01"); !w.LastSeen.Equal(v.LastSeen) || w.Software != v.Software {
		t.Fatalf("the next console has FS01 last seen %v running %q, want %v and %q", w.LastSeen, w.Software, v.LastSeen, v.Software)
	}
}

// A console killed while slaves were linked saved them as seen only at its
// last refresh (every few minutes); it noted itself running more often.
// Its next start takes a slave last seen at that refresh, and no later, as
// there until the last note, and does so once.
func TestASlaveLinkedWhenTheConsoleWasKilledIsSeenUntilItsLastNote(t *testing.T) {
	first := startConsoleWith(t, false, nil, nil)
	for _, name := range []string{"FS01", "FS02"} {
		if _, err := first.AddSlave(SlaveSpec{Name: name, Direction: store.Inbound, Password: []byte("pw-one")}); err != nil {
			t.Fatal(err)
		}
	}
	first.stop()
	db := first.db
	refreshed := time.Now().Add(-10 * time.Minute).Round(0)
	alive := refreshed.Add(4*time.Minute + 30*time.Second)
	fs01, _ := db.SlaveByName("FS01")
	fs02, _ := db.SlaveByName("FS02")
	// FS01 was linked at the last refresh; FS02's link had ended before.
	if err := db.SavePins([]store.Pin{{ID: fs01.ID, LastSeen: refreshed}, {ID: fs02.ID, LastSeen: refreshed.Add(-time.Minute)}}); err != nil {
		t.Fatal(err)
	}
	if err := db.SaveRunning(store.Running{Alive: alive, Refreshed: refreshed}); err != nil {
		t.Fatal(err)
	}

	started := time.Now()
	c := startConsoleWith(t, false, db, nil)
	if v, _ := c.Slave("FS01"); !v.LastSeen.Equal(alive) {
		t.Errorf("FS01, linked when the console was killed: last seen %v, want %v (its last note)", v.LastSeen, alive)
	}
	if v, _ := c.Slave("FS02"); !v.LastSeen.Equal(refreshed.Add(-time.Minute)) {
		t.Errorf("FS02, gone before: last seen %v, want it kept", v.LastSeen)
	}
	c.until(t, "FS01's last-seen time saved so", func() bool {
		e, err := db.SlaveByName("FS01")
		return err == nil && e.LastSeen.Equal(alive)
	})
	if r, err := db.Running(); err != nil || r.Alive.Before(started) || !r.Refreshed.IsZero() {
		t.Errorf("the note after the start: %+v, %v; want it running since %v, with no refresh yet", r, err, started)
	}
	c.stop()
	// Once: a later start has nothing more to amend.
	again := startConsoleWith(t, false, db, nil)
	if v, _ := again.Slave("FS01"); !v.LastSeen.Equal(alive) {
		t.Errorf("after a second start FS01 is last seen %v, want %v still", v.LastSeen, alive)
	}
}

// While it runs, the console's note pairs when it was last running with
// the time its last refresh gave the linked slaves.
func TestTheRunningNoteNamesTheLastRefresh(t *testing.T) {
	c := startConsoleWith(t, false, nil, func(cfg *Config) {
		cfg.LastSeenEvery, cfg.AliveEvery = 150*time.Millisecond, 10*time.Millisecond
	})
	a := startAgentWith(t, "FS01", "pw-one", false, nil)
	if _, err := c.AddSlave(SlaveSpec{Name: "FS01", Direction: store.Outbound, Address: a.ListenAddr(), Password: []byte("pw-one")}); err != nil {
		t.Fatal(err)
	}
	linkedAt := c.waitState(t, "FS01", StateConnected).LastSeen
	c.until(t, "a note naming a refresh that gave FS01 its saved time", func() bool {
		r, err := c.db.Running()
		e, err2 := c.db.SlaveByName("FS01")
		return err == nil && err2 == nil && r.Refreshed.After(linkedAt) && e.LastSeen.Equal(r.Refreshed) && r.Alive.After(r.Refreshed)
	})
}
