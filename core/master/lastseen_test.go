package master

import (
	"slices"
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
	c.until(t, "FS01's last-seen time is saved again, as linked, while it stays linked", func() bool {
		e, err := c.db.SlaveByName("FS01")
		return err == nil && e.LastSeen.After(linkedAt) && e.LastSeenLinked
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

// A console killed while slaves were linked saved them as seen only when
// their links began, or at its last refresh (every few minutes); it noted
// itself running more often. Its next start takes a slave last seen
// linked as there until the last note, and does so once.
func TestASlaveLinkedWhenTheConsoleWasKilledIsSeenUntilItsLastNote(t *testing.T) {
	first := startConsoleWith(t, false, nil, nil)
	for _, name := range []string{"FS01", "FS02"} {
		if _, err := first.AddSlave(SlaveSpec{Name: name, Direction: store.Inbound, Password: []byte("pw-one")}); err != nil {
			t.Fatal(err)
		}
	}
	first.stop()
	db := first.db
	linked := time.Now().Add(-10 * time.Minute).Round(0)
	ended := linked.Add(-time.Minute)
	alive := linked.Add(4*time.Minute + 30*time.Second)
	fs01, _ := db.SlaveByName("FS01")
	fs02, _ := db.SlaveByName("FS02")
	// FS01 was linked when the console was killed; FS02's link had ended.
	if err := db.SavePins([]store.Pin{{ID: fs01.ID, LastSeen: linked, Linked: true}, {ID: fs02.ID, LastSeen: ended}}); err != nil {
		t.Fatal(err)
	}
	if err := db.NoteRunning(alive); err != nil {
		t.Fatal(err)
	}

	started := time.Now()
	c := startConsoleWith(t, false, db, nil)
	if v, _ := c.Slave("FS01"); !v.LastSeen.Equal(alive) {
		t.Errorf("FS01, linked when the console was killed: last seen %v, want %v (its last note)", v.LastSeen, alive)
	}
	if v, _ := c.Slave("FS02"); !v.LastSeen.Equal(ended) {
		t.Errorf("FS02, gone before: last seen %v, want %v kept", v.LastSeen, ended)
	}
	c.until(t, "FS01's last-seen time saved as its link's end", func() bool {
		e, err := db.SlaveByName("FS01")
		return err == nil && e.LastSeen.Equal(alive) && !e.LastSeenLinked
	})
	if last, err := db.LastRunning(); err != nil || last.Before(started) {
		t.Errorf("the note after the start: %v, %v; want a time since %v", last, err, started)
	}
	c.stop()
	// Once: a later start has nothing more to amend.
	again := startConsoleWith(t, false, db, nil)
	if v, _ := again.Slave("FS01"); !v.LastSeen.Equal(alive) {
		t.Errorf("after a second start FS01 is last seen %v, want %v still", v.LastSeen, alive)
	}
}

// A link's start is saved as a time the slave was linked, its end as
// not; and the console notes itself running meanwhile.
func TestALinksSavedTimesSayWhetherItWasUp(t *testing.T) {
	c := startConsoleWith(t, false, nil, func(cfg *Config) {
		cfg.LastSeenEvery, cfg.AliveEvery = time.Hour, 10*time.Millisecond // no refresh
	})
	a := startAgentWith(t, "FS01", "pw-one", false, nil)
	if _, err := c.AddSlave(SlaveSpec{Name: "FS01", Direction: store.Outbound, Address: a.ListenAddr(), Password: []byte("pw-one")}); err != nil {
		t.Fatal(err)
	}
	linkedAt := c.waitState(t, "FS01", StateConnected).LastSeen
	c.until(t, "the link's start saved as linked, and a note after it", func() bool {
		e, err := c.db.SlaveByName("FS01")
		last, err2 := c.db.LastRunning()
		return err == nil && err2 == nil && e.LastSeen.Equal(linkedAt) && e.LastSeenLinked && last.After(e.LastSeen)
	})
	if err := c.Disconnect("FS01"); err != nil {
		t.Fatal(err)
	}
	v := c.waitState(t, "FS01", StateDisabled)
	c.until(t, "the link's end saved as such", func() bool {
		e, err := c.db.SlaveByName("FS01")
		return err == nil && e.LastSeen.Equal(v.LastSeen) && !e.LastSeenLinked
	})
}

// A report names the slaves that never linked, with why: the console's
// own words of the last refusal, cut; an inbound slave that has not
// dialed in yet; a state. Not those linked before, connected, or
// disconnected by the user, nor those the report's scope leaves out.
func TestAReportNamesTheSlavesThatNeverLinkedWithWhy(t *testing.T) {
	seen := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	views := []SlaveView{
		{Name: "FS01", State: StateConnected, LastSeen: seen},
		{Name: "FS02", State: StateOffline, LastSeen: seen}, // linked before: its outage is an alert
		{Name: "FS03", State: StateError, LastError: "wrong management password for FS03:\n192.0.2.7:16888 refused it"},
		{Name: "FS04", State: StateOffline, Direction: store.Inbound},
		{Name: "FS05", State: StateConnecting, Direction: store.Outbound},
		{Name: "FS06", State: StateDisabled},
		{Name: "FS07", State: StateError, LastError: strings.Repeat("é", 300), Group: "Globex"},
	}
	var got []string
	for _, n := range NeverLinkedNotes(views, nil) {
		got = append(got, n.String())
	}
	want := []string{"FS03 (wrong management password for FS03: 192.0.2.7:16888 refused it)", "FS04 (its agent has not dialed in yet)",
		"FS05 (connecting)", "FS07 (" + strings.Repeat("é", maxNeverLinkedWhy/2) + "…)"}
	if !slices.Equal(got, want) {
		t.Errorf("never linked:\n%q\nwant:\n%q", got, want)
	}
	if got := NeverLinkedNotes(views, func(v *SlaveView) bool { return v.Group == "Globex" }); len(got) != 1 || got[0].Name != "FS07" || got[0].Group != "Globex" {
		t.Errorf("of Globex: %q", got)
	}
}
