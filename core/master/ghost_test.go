package master

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/lanyard/lanyard/core/internal/netsim"
	"github.com/lanyard/lanyard/core/store"
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
