package master

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/lanyard/lanyard/core/internal/netsim"
	"github.com/lanyard/lanyard/core/store"
	"github.com/lanyard/lanyard/core/wire"
	"github.com/lanyard/lanyard/core/wire/pb"
	"github.com/lanyard/lanyard/internal/testkit"
)

func TestRestartedAgentReplacesItsGhostLinkAtOnce(t *testing.T) {
	db := testkit.Store(t, "console", store.Options{})
	if err := SaveSettings(db, Settings{Listen: true, ListenAddress: "127.0.0.1:0"}); err != nil {
		t.Fatal(err)
	}
	log, _ := testkit.Logger()
	// A long heartbeat: the ghost must be replaced long before it could be
	// declared dead.
	m := New(Config{DB: db, Identity: testkit.Identity(t, db, pb.Role_ROLE_MASTER), Logger: log,
		Heartbeat: 5 * time.Second, DeadAfter: 15 * time.Second})
	events, cancel := m.Subscribe(1024)
	defer cancel()
	if err := m.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	c := &console{Master: m, db: db, events: events}
	if _, err := c.AddSlave(SlaveSpec{Name: "FS01", Direction: store.Inbound, Password: []byte("pw")}); err != nil {
		t.Fatal(err)
	}

	// The agent reaches the console through a path that will go dark.
	hole, err := netsim.NewBlackhole(c.ListenAddr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(hole.Close)
	agentDB := testkit.Store(t, "agent", store.Options{})
	first := startAgentOn(t, agentDB, "FS01", "pw", false, false, hole.Addr())
	ghost := c.waitState(t, "FS01", StateConnected)

	// Power cut: the path goes dark, the agent process ends.
	hole.Freeze()
	_ = first.Close()

	// It boots again (new boot ID, same installation) on a working path.
	if err := agentDB.ReplaceMasters([]store.Master{{Addresses: []string{c.ListenAddr()}}}); err != nil {
		t.Fatal(err)
	}
	restartedAt := time.Now()
	startAgentOn(t, agentDB, "FS01", "pw", false, false)
	c.waitFor(t, "the ghost replaced", func(e Event) bool {
		return e.Kind == "duplicate_link" && strings.Contains(e.Reason, "restarted")
	})
	if took := time.Since(restartedAt); took > 3*time.Second {
		t.Errorf("ghost replaced after %s; the dead-peer window is 15s", took)
	}
	v := c.waitState(t, "FS01", StateConnected)
	if v.Remote == ghost.Remote {
		t.Errorf("still on the ghost link from %s", v.Remote)
	}
}

// A cloned server runs a second agent of the same installation: each
// would take the link from the other at every reconnect, the other taken
// for the ghost of an agent that restarted. Once a boot taken for a ghost
// comes back, the console knows it for a copy: it keeps the link it has,
// refuses the other, and says which is where and what to do.
func TestACopyOfAnInstallationIsRefusedOnceItsBootComesBack(t *testing.T) {
	c := startConsole(t, false, nil)
	if _, err := c.AddSlave(SlaveSpec{Name: "FS01", Direction: store.Inbound, Password: []byte("pw")}); err != nil {
		t.Fatal(err)
	}
	original := testkit.Store(t, "agent", store.Options{})
	startAgentOn(t, original, "FS01", "pw", false, false, c.ListenAddr())
	first := c.waitState(t, "FS01", StateConnected)
	id, err := original.LoadOrCreateIdentity(func() (store.Identity, error) { t.Fatal("no identity"); return store.Identity{}, nil })
	if err != nil {
		t.Fatal(err)
	}
	copied := testkit.Store(t, "agent", store.Options{})
	if err := copied.PutIdentity(id); err != nil {
		t.Fatal(err)
	}
	startAgentOn(t, copied, "FS01", "pw", false, false, c.ListenAddr())

	// The copy takes the link, as a restarted agent would; the original,
	// dialing again, is the boot taken for a ghost, back.
	c.waitFor(t, "the first link taken for a ghost", func(e Event) bool {
		return e.Kind == string(wire.CodeDuplicateLink) && strings.Contains(e.Reason, "restarted")
	})
	refused := c.waitFor(t, "the copy refused", func(e Event) bool { return e.Kind == string(wire.CodeSharedInstall) })
	v, _ := c.Slave("FS01")
	if v.State != StateConnected || v.Remote == first.Remote || v.LastCode != string(wire.CodeSharedInstall) {
		t.Fatalf("FS01 %s from %s, last %s; want linked from the copy, not %s, and the refusal shown", v.State, v.Remote, v.LastCode, first.Remote)
	}
	if !strings.Contains(refused.Reason, "two running agents share the installation of FS01") ||
		!strings.Contains(refused.Reason, "the one at "+v.Remote+" stays linked, the one at 127.0.0.1:") {
		t.Errorf("the refusal says %q", refused.Reason)
	}
	// And so at every try: the link stays where it is.
	c.waitFor(t, "the next try refused", func(e Event) bool {
		if e.Kind == string(wire.CodeDuplicateLink) || e.Kind == store.KindConnected {
			t.Errorf("the link moved again: %s %s", e.Kind, e.Reason)
		}
		return e.Kind == string(wire.CodeSharedInstall)
	})
	if now, _ := c.Slave("FS01"); now.Remote != v.Remote {
		t.Errorf("FS01 linked from %s, then %s", v.Remote, now.Remote)
	}
}
