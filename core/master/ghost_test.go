package master

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/lanyard/lanyard/core/internal/netsim"
	"github.com/lanyard/lanyard/core/link"
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
	// The agent reaches the console through a path that will go dark.
	hole := inboundBehindProxy(t, c, "FS01")
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
	first := startAgentOn(t, original, "FS01", "pw", false, false, c.ListenAddr())
	firstView := c.waitState(t, "FS01", StateConnected)
	startAgentOn(t, copyOf(t, original), "FS01", "pw", false, false, c.ListenAddr())

	// The copy takes the link, as a restarted agent would; the original,
	// dialing again, is the boot taken for a ghost, back.
	c.waitFor(t, "the first link taken for a ghost", func(e Event) bool {
		return e.Kind == string(wire.CodeDuplicateLink) && strings.Contains(e.Reason, "restarted")
	})
	refused := c.waitFor(t, "the copy refused", func(e Event) bool { return e.Kind == string(wire.CodeSharedInstall) })
	v, _ := c.Slave("FS01")
	if v.State != StateConnected || v.Remote == firstView.Remote || v.Rival.Code != string(wire.CodeSharedInstall) {
		t.Fatalf("FS01 %s from %s, rival %q; want linked from the copy, not %s, and the refusal shown", v.State, v.Remote, v.Rival.Code, firstView.Remote)
	}
	if !strings.Contains(refused.Reason, "two running agents share the installation of FS01") ||
		!strings.Contains(refused.Reason, "the one at "+v.Remote+" stays linked, the one at 127.0.0.1:") {
		t.Errorf("the refusal says %q", refused.Reason)
	}
	// And so at every try, which the log records once: the link stays
	// where it is, and the refused agent hears why.
	refusedAt := func() time.Time {
		for _, ms := range first.Snapshot().Masters {
			if strings.Contains(ms.LastError, "another running agent of this very installation") {
				return ms.LastErrorAt
			}
		}
		return time.Time{}
	}
	var once time.Time
	c.until(t, "the refused agent told why", func() bool { once = refusedAt(); return !once.IsZero() })
	firstAt := v.Rival.At
	drain := func() {
		for len(c.events) > 0 {
			if e := <-c.events; e.Kind == string(wire.CodeDuplicateLink) || e.Kind == store.KindConnected || e.Kind == string(wire.CodeSharedInstall) {
				t.Errorf("after the first refusal: %s %s", e.Kind, e.Reason)
			}
		}
	}
	drain()
	c.until(t, "its next try refused too", func() bool { return refusedAt().After(once) })
	// Unlogged, but the window hears that the copy is still dialing.
	c.waitFor(t, "FS01's rival seen again", func(e Event) bool { return e.Kind == EventState && e.Slave == "FS01" })
	drain()
	now, _ := c.Slave("FS01")
	if now.Remote != v.Remote {
		t.Errorf("FS01 linked from %s, then %s", v.Remote, now.Remote)
	}
	if !now.Rival.At.After(firstAt) || !strings.HasPrefix(refused.Remote, now.Rival.From+":") {
		t.Errorf("the rival's last refusal %s from %s; want after %s, from %s", now.Rival.At, now.Rival.From, firstAt, refused.Remote)
	}
}

// A console restarted still knows which boot it took for a ghost: the
// copy of an installation is refused at its first try after the restart,
// not given the link once more.
func TestARestartedConsoleStillKnowsTheCopy(t *testing.T) {
	c := startConsole(t, false, nil)
	// The original reaches the console through a path the test can cut.
	path := inboundBehindProxy(t, c, "FS01")
	original := testkit.Store(t, "agent", store.Options{})
	startAgentOn(t, original, "FS01", "pw", false, false, path.Addr())
	c.waitState(t, "FS01", StateConnected)
	startAgentOn(t, copyOf(t, original), "FS01", "pw", false, false, c.ListenAddr())
	c.waitFor(t, "the original refused as the copy", func(e Event) bool { return e.Kind == string(wire.CodeSharedInstall) })

	// The console restarts while the original cannot reach it: the copy
	// links first, as it may after a power cut.
	path.Refuse(true)
	c = restartConsole(t, c, false)
	c.waitState(t, "FS01", StateConnected)
	path.Refuse(false)
	c.waitFor(t, "the original refused at its first try", func(e Event) bool {
		if e.Kind == string(wire.CodeDuplicateLink) {
			t.Errorf("after the restart, the link changed hands again: %s", e.Reason)
		}
		return e.Kind == string(wire.CodeSharedInstall)
	})
}

// A rival that keeps dialing (a copy of the installation, another
// installation under the name) is news once per quiet spell from each
// host, not at every try: a day of retries must not push the log's
// history out.
func TestARivalThatKeepsDialingIsNewsOncePerQuietSpell(t *testing.T) {
	now := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	s := newSlave(store.Slave{ID: "0a", Name: "FS01"}, now)
	refusal := &link.Error{Code: wire.CodeSharedInstall, Reason: "two running agents share the installation of FS01"}
	for i, tc := range []struct {
		from  string
		after time.Duration
		news  bool
	}{
		{"192.0.2.7:40001", 0, true},
		{"192.0.2.7:40002", time.Minute, false}, // the same host, from another port
		{"198.51.100.3:50000", time.Minute, true},
		{"198.51.100.3:50001", time.Minute, false},
		{"198.51.100.3:50002", store.RepeatQuiet, true},
	} {
		now = now.Add(tc.after)
		if got := s.rivalRefused(refusal, tc.from, now); got != tc.news {
			t.Errorf("try %d from %s: news %v, want %v", i+1, tc.from, got, tc.news)
		}
		if s.lastCode != string(wire.CodeSharedInstall) || s.lastErr != refusal.Reason {
			t.Errorf("try %d: shown %s %q", i+1, s.lastCode, s.lastErr)
		}
		if r := s.rival; !r.At.Equal(now) || !strings.HasPrefix(tc.from, r.From+":") || r.Code != string(wire.CodeSharedInstall) {
			t.Errorf("try %d: rival %+v", i+1, r)
		}
	}
}

// inboundBehindProxy adds an inbound entry name (password "pw") to c, and
// returns a proxy to c's listener for its agent to dial through, which the
// test can break.
func inboundBehindProxy(t *testing.T, c *console, name string) *netsim.Proxy {
	t.Helper()
	if _, err := c.AddSlave(SlaveSpec{Name: name, Direction: store.Inbound, Password: []byte("pw")}); err != nil {
		t.Fatal(err)
	}
	p, err := netsim.NewProxy(c.ListenAddr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

// copyOf is a new agent database holding original's installation, as a
// cloned server's disk does.
func copyOf(t *testing.T, original *store.DB) *store.DB {
	t.Helper()
	id, err := original.LoadOrCreateIdentity(func() (store.Identity, error) { t.Fatal("no identity"); return store.Identity{}, nil })
	if err != nil {
		t.Fatal(err)
	}
	copied := testkit.Store(t, "agent", store.Options{})
	if err := copied.PutIdentity(id); err != nil {
		t.Fatal(err)
	}
	return copied
}
