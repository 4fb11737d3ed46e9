package master

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/lanyard/lanyard/core/agent"
	"github.com/lanyard/lanyard/core/auth"
	"github.com/lanyard/lanyard/core/internal/netsim"
	"github.com/lanyard/lanyard/core/store"
	"github.com/lanyard/lanyard/internal/testkit"
)

// A password change crosses two machines; if its answer never comes, the
// entry keeps the old key and the next one, and the next link settles
// which the agent has (core/link/nextkey.go).

func derived(t *testing.T, password string) []byte {
	t.Helper()
	k, err := auth.DeriveKey([]byte(password), "FS01", auth.DefaultKDF)
	if err != nil {
		t.Fatal(err)
	}
	return k[:]
}

// giveNextKey leaves entry id with next as its next key, as a change whose
// answer never came does.
func giveNextKey(t *testing.T, db *store.DB, id string, next []byte) {
	t.Helper()
	if _, err := db.UpdateSlave(id, func(e *store.Slave) error {
		e.NextKey, e.NextKDF = next, storeKDF(auth.DefaultKDF)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// settledKey waits until FS01's entry holds one key, and returns it.
func settledKey(t *testing.T, c *console) []byte {
	t.Helper()
	var e store.Slave
	c.until(t, "FS01's next key settled", func() bool {
		var err error
		e, err = c.db.SlaveByName("FS01")
		return err == nil && len(e.NextKey) == 0
	})
	return e.Key
}

// A console stopped between sending a new key and saving the agent's
// answer: whichever key the agent holds, it links, and that key stays.
func TestAConsoleStoppedMidChangeLinksWithTheKeyTheAgentHas(t *testing.T) {
	for _, dir := range []store.Direction{store.Outbound, store.Inbound} {
		for _, agentPW := range []string{"pw-one", "pw-two"} {
			t.Run(string(dir)+"/agent-has-"+agentPW, func(t *testing.T) {
				db := testkit.Store(t, "console", store.Options{})
				spec := SlaveSpec{Name: "FS01", Direction: dir, Password: []byte("pw-one")}
				var a *agent.Agent
				if dir == store.Outbound {
					a = startAgentWith(t, "FS01", agentPW, true, nil)
					spec.Address = a.ListenAddr()
				}
				e, err := AddSlave(db, spec)
				if err != nil {
					t.Fatal(err)
				}
				giveNextKey(t, db, e.ID, derived(t, "pw-two"))
				c := startConsole(t, true, db)
				if dir == store.Inbound {
					startAgent(t, "FS01", agentPW, true, false, c.ListenAddr())
				}
				words := map[string]string{"pw-one": "linked with the old password", "pw-two": "linked with the new password"}[agentPW]
				c.waitFor(t, "the record of the settled key", func(e Event) bool {
					return e.Kind == store.KindEdited && strings.Contains(e.Reason, words)
				})
				c.waitState(t, "FS01", StateConnected)
				if got := settledKey(t, c); !bytes.Equal(got, derived(t, agentPW)) {
					t.Fatalf("the entry kept the key of %s, not the agent's (%s)", map[bool]string{true: "pw-one", false: "pw-two"}[bytes.Equal(got, derived(t, "pw-one"))], agentPW)
				}
				if dir == store.Inbound {
					return // a restarted console would listen on another port
				}
				// What was settled is what a restarted console links with.
				c.stop()
				c = startConsole(t, true, db)
				c.waitState(t, "FS01", StateConnected)
			})
		}
	}
}

// A change whose answer does not come (the link drops after the agent
// took the new key, or the user cancels) says so and keeps both keys; the
// next link keeps the new one.
func TestAChangeWithoutAnAnswerKeepsBothKeysUntilTheNextLink(t *testing.T) {
	for _, tt := range []struct {
		name        string
		words       string
		staysLinked bool // the link stays up until relink
		// interrupt ends the wait for the answer; relink brings the next
		// link, once the answer is given up.
		interrupt func(path *netsim.Proxy, cancel func())
		relink    func(t *testing.T, c *console, path *netsim.Proxy)
	}{
		{"its link is cut", "closed before it answered", false,
			func(path *netsim.Proxy, _ func()) { path.SetLatency(0); path.Reset() },
			func(*testing.T, *console, *netsim.Proxy) {}},
		{"the user cancels", "cancelled before the agent answered", true,
			func(_ *netsim.Proxy, cancel func()) { cancel() },
			func(t *testing.T, c *console, path *netsim.Proxy) {
				path.SetLatency(0)
				if err := c.Disconnect("FS01"); err != nil {
					t.Fatal(err)
				}
				c.waitState(t, "FS01", StateDisabled)
				if err := c.Connect("FS01"); err != nil {
					t.Fatal(err)
				}
			}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			patient := func(cfg *Config) { cfg.DeadAfter = time.Minute }
			c := startConsoleWith(t, true, nil, patient)
			adb := testkit.Store(t, "agent", store.Options{})
			a := testkit.Agent(t, testkit.AgentOptions{DB: adb, Name: "FS01", Password: "pw-one", SSL: true, Listen: true,
				Tune: func(cfg *agent.Config) { cfg.DeadAfter = time.Minute }})
			path, err := netsim.NewProxy(a.ListenAddr())
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(path.Close)
			if _, err := c.AddSlave(SlaveSpec{Name: "FS01", Direction: store.Outbound, Address: path.Addr(), Password: []byte("pw-one")}); err != nil {
				t.Fatal(err)
			}
			c.waitState(t, "FS01", StateConnected)

			// The request takes 2 s to arrive and its answer as long to
			// come back: once the agent has the new key, the wait ends.
			path.SetLatency(2 * time.Second)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			changed := make(chan error, 1)
			go func() {
				_, err := c.ChangePassword(ctx, "FS01", []byte("pw-two"))
				changed <- err
			}()
			c.until(t, "the agent took the new key", func() bool {
				s, _, err := agent.LoadSettings(adb)
				return err == nil && bytes.Equal(s.Key, derived(t, "pw-two"))
			})
			tt.interrupt(path, cancel)
			select {
			case err := <-changed:
				if !errors.Is(err, ErrPasswordInDoubt) || !strings.Contains(err.Error(), tt.words) ||
					!strings.Contains(err.Error(), "keeps the old and the new password") ||
					tt.name == "its link is cut" && !errors.Is(err, ErrNoAnswer) {
					t.Fatalf("a change without an answer: %v", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("the change did not end")
			}
			if v, _ := c.Slave("FS01"); tt.staysLinked && !v.PasswordInDoubt {
				t.Error("the slave's view does not say its password change is in doubt")
			}
			tt.relink(t, c, path)
			c.waitState(t, "FS01", StateConnected)
			if got := settledKey(t, c); !bytes.Equal(got, derived(t, "pw-two")) {
				t.Fatal("the entry did not keep the key the agent has")
			}
			c.until(t, "the view settled", func() bool { v, _ := c.Slave("FS01"); return !v.PasswordInDoubt })
		})
	}
}

// A change cancelled before it was sent (while the key was derived) sends
// nothing and keeps nothing.
func TestAChangeCancelledBeforeItWasSentChangesNothing(t *testing.T) {
	c, _ := linked(t, true, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := c.ChangePassword(ctx, "FS01", []byte("pw-two"))
	if err == nil || !strings.Contains(err.Error(), "nothing changed") || errors.Is(err, ErrPasswordInDoubt) {
		t.Fatalf("a change cancelled before it was sent: %v", err)
	}
	if e, _ := c.db.SlaveByName("FS01"); e.NextKey != nil || !bytes.Equal(e.Key, derived(t, "pw-one")) {
		t.Fatal("the entry changed")
	}
	// The agent kept its password: a new link under the old one comes up.
	if err := c.Disconnect("FS01"); err != nil {
		t.Fatal(err)
	}
	c.waitState(t, "FS01", StateDisabled)
	if err := c.Connect("FS01"); err != nil {
		t.Fatal(err)
	}
	c.waitState(t, "FS01", StateConnected)
}

// Typing a password in the entry ends any doubt: that one is used.
func TestEditingThePasswordDropsTheNextKey(t *testing.T) {
	db := testkit.Store(t, "console", store.Options{})
	e, err := AddSlave(db, SlaveSpec{Name: "FS01", Direction: store.Inbound, Password: []byte("pw-one")})
	if err != nil {
		t.Fatal(err)
	}
	giveNextKey(t, db, e.ID, derived(t, "pw-two"))
	got, err := EditSlave(db, "FS01", SlaveSpec{Password: []byte("pw-three")})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Key, derived(t, "pw-three")) || got.NextKey != nil {
		t.Fatalf("after editing the password: next key %x", got.NextKey)
	}
}
