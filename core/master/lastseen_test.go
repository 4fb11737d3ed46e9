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
