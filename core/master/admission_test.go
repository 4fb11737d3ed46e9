package master

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lanyard/lanyard/core/link"
	"github.com/lanyard/lanyard/core/store"
	"github.com/lanyard/lanyard/core/wire"
)

// currentLink is the slave's link as the fleet holds it.
func (c *console) currentLink(name string) *link.Link {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s := c.byName[strings.ToLower(name)]; s != nil {
		return s.link
	}
	return nil
}

func TestASecondInstallationUnderTheSameNameIsRefusedUntilTrusted(t *testing.T) {
	for _, ssl := range []bool{false, true} {
		t.Run(map[bool]string{false: "plain", true: "tls"}[ssl], func(t *testing.T) {
			c := startConsole(t, ssl, nil)
			if _, err := c.AddSlave(SlaveSpec{Name: "FS01", Direction: store.Inbound, Password: []byte("pw")}); err != nil {
				t.Fatal(err)
			}
			startAgent(t, "FS01", "pw", ssl, false, c.ListenAddr())
			c.waitState(t, "FS01", StateConnected)
			first := c.currentLink("FS01")

			// A clone: the same name and password, its own installation.
			clone := startAgent(t, "FS01", "pw", ssl, false, c.ListenAddr())
			e := c.waitFor(t, "duplicate_install", kind(string(wire.CodeDuplicateInstall), "FS01"))
			for _, want := range []string{"a second installation claims the name FS01", "at 127.0.0.1", "the first one stays linked"} {
				if !strings.Contains(e.Reason, want) {
					t.Errorf("reason %q does not say %q", e.Reason, want)
				}
			}
			// It keeps trying (the log counts the repeats from its address
			// into one record a minute); the first installation keeps its
			// link.
			tried := clone.Snapshot().Masters[0].LastErrorAt
			c.until(t, "the clone's second try", func() bool { return clone.Snapshot().Masters[0].LastErrorAt.After(tried) })
			if cur := c.currentLink("FS01"); cur != first || first.Err() != nil {
				t.Fatalf("the first installation lost its link to the clone")
			}
			v, _ := c.Slave("FS01")
			if v.State != StateConnected || v.LastCode != "" || v.Rival.Code != string(wire.CodeDuplicateInstall) ||
				v.Rival.From != "127.0.0.1" || !v.Rival.Current(time.Now()) || v.Rival.Current(v.Rival.At.Add(RivalFresh)) {
				t.Errorf("view after the refusal: %s, last %q, rival %+v", v.State, v.LastCode, v.Rival)
			}

			// Trusting it (the same action as a changed certificate) lets
			// the clone take the name; now the first one is the stranger.
			if err := c.TrustCertificate("FS01"); err != nil {
				t.Fatal(err)
			}
			c.until(t, "the trusted clone links", func() bool {
				l := c.currentLink("FS01")
				return l != nil && l.Peer().InstallID != first.Peer().InstallID
			})
			c.until(t, "the clone's installation pinned", func() bool {
				pinned, _ := c.db.SlaveByName("FS01")
				l := c.currentLink("FS01")
				return clone.Links() == 1 && l != nil && pinned.PinnedInstallID == l.Peer().InstallID
			})
			// The first one, from the same address, is refused in turn: the
			// slave's row says so (the log counts it with the others).
			c.until(t, "the first one refused", func() bool {
				v, _ := c.Slave("FS01")
				return v.Rival.Code == string(wire.CodeDuplicateInstall) && strings.Contains(v.Rival.Reason, shortID(first.Peer().InstallID))
			})
		})
	}
}

func TestAnOutboundSlaveAnsweredByAnotherInstallationIsInError(t *testing.T) {
	c := startConsole(t, false, nil)
	a := startAgent(t, "FS01", "pw", false, true)
	if _, err := c.AddSlave(SlaveSpec{Name: "FS01", Direction: store.Outbound, Address: a.ListenAddr(), Password: []byte("pw")}); err != nil {
		t.Fatal(err)
	}
	c.waitState(t, "FS01", StateConnected)
	// Another installation now answers at the address, as after a rebuilt
	// server that kept its name.
	if _, err := c.db.UpdateSlave(mustEntry(t, c, "FS01").ID, func(e *store.Slave) error {
		e.PinnedInstallID = strings.Repeat("ab", 16)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	c.mu.Lock()
	c.byName["fs01"].entry.PinnedInstallID = strings.Repeat("ab", 16)
	c.mu.Unlock()
	c.currentLink("FS01").CloseWith(&link.Error{Code: wire.CodeNormal, Reason: "test"})
	v := c.waitState(t, "FS01", StateError)
	if v.LastCode != string(wire.CodeDuplicateInstall) || !strings.Contains(v.LastError, "abababab") {
		t.Errorf("%s: %s", v.LastCode, v.LastError)
	}
}

func mustEntry(t *testing.T, c *console, name string) store.Slave {
	t.Helper()
	e, err := c.db.SlaveByName(name)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestAClosedLinkNeverBlocksANewOneAsDuplicate(t *testing.T) {
	c := startConsole(t, false, nil)
	if _, err := c.AddSlave(SlaveSpec{Name: "FS01", Direction: store.Inbound, Password: []byte("pw")}); err != nil {
		t.Fatal(err)
	}
	startAgent(t, "FS01", "pw", false, false, c.ListenAddr())
	c.waitState(t, "FS01", StateConnected)
	cur := c.currentLink("FS01")

	// The link closes, and before its HandleClose can run (it waits for
	// the fleet's lock, held here) the same agent, same boot, is back.
	c.mu.Lock()
	go cur.CloseWith(&link.Error{Code: wire.CodeTimeout, Reason: "test"})
	<-cur.Done()
	refuse, why := c.byName["fs01"].linkVerdict(cur, time.Now())
	c.mu.Unlock()
	if refuse != nil || why != "the old link had closed" {
		t.Fatalf("a newcomer after a closed link: refused %v, why %q", refuse, why)
	}
}

// Adoption races the fleet's own changes: a link made current is always
// started, so whoever closes it (Close, ApplySettings) has it noticed, and
// the slave is never left "connected" on a closed link.
func TestAdoptionRacingApplySettingsAndClose(t *testing.T) {
	for round := range 6 {
		// A long heartbeat: a link left current but closed would not be
		// taken for a silent ghost within the test.
		c := startConsoleWith(t, false, nil, func(cfg *Config) { cfg.Heartbeat, cfg.DeadAfter = 10*time.Second, 30*time.Second })
		// Outbound, so that the listener that settings changes restart is
		// not the one the link comes through.
		if err := c.ApplySettings(Settings{Listen: false, ListenAddress: ":0"}); err != nil {
			t.Fatal(err)
		}
		a := startAgent(t, "FS01", "pw", false, true)
		if _, err := c.AddSlave(SlaveSpec{Name: "FS01", Direction: store.Outbound, Address: a.ListenAddr(), Password: []byte("pw")}); err != nil {
			t.Fatal(err)
		}
		c.waitState(t, "FS01", StateConnected)

		// Each settings change closes every link and kicks the redialer,
		// which links again while the next changes come.
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Go(func() {
				s := c.Settings()
				s.HeartbeatSeconds = 20 + (i+round)%2 // a change that remakes links
				_ = c.ApplySettings(s)
			})
		}
		wg.Wait()
		c.until(t, "linked again on an open link", func() bool {
			v, _ := c.Slave("FS01")
			l := c.currentLink("FS01")
			return v.State == StateConnected && l != nil && l.Err() == nil && a.Links() == 1
		})

		// Close while the redialer is linking again.
		c.currentLink("FS01").CloseWith(&link.Error{Code: wire.CodeNormal, Reason: "test"})
		c.waitFor(t, "the link's end", func(e Event) bool { return e.Kind == store.KindDisconnected })
		c.stop()
		c.until(t, "the agent sees every link closed", func() bool { return a.Links() == 0 })
		if l := c.currentLink("FS01"); l != nil && l.Err() == nil {
			t.Fatalf("round %d: a link outlived Close", round)
		}
	}
}
