package agent_test

import (
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lanyard/lanyard/core/agent"
	"github.com/lanyard/lanyard/core/link"
	"github.com/lanyard/lanyard/core/store"
)

// cutter accepts connections and closes them at once, as a firewall that
// cuts a protocol it dislikes does; it counts them.
type cutter struct {
	ln    net.Listener
	mu    sync.Mutex
	count int
	wg    sync.WaitGroup
}

func startCutter(t *testing.T) *cutter {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := &cutter{ln: ln}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			c.mu.Lock()
			c.count++
			c.mu.Unlock()
			_ = conn.Close()
		}
	}()
	t.Cleanup(func() { _ = ln.Close(); c.wg.Wait() })
	return c
}

func (c *cutter) addr() string { return c.ln.Addr().String() }

func (c *cutter) cuts() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.count
}

// slowRounds is an agent whose rounds of dialing wait a minute between
// them: whatever links within seconds did not wait between addresses.
func slowRounds(c *agent.Config) { c.RedialInitial, c.RedialMax = time.Minute, time.Minute }

func TestAConsoleAtSeveralAddressesIsDialedAtTheNextAtOnceAndTheOneThatWorkedIsTriedFirst(t *testing.T) {
	cut, cons := startCutter(t), listenAsConsole(t, true)
	spec := cut.addr() + "," + cons.Addr().String()
	db := initializedDB(t)
	mustInit(t, db, agent.InitOptions{SSL: ptr(true), Masters: []string{spec}})

	a := newAgentWith(t, db, slowRounds)
	if err := a.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	linkedMaster(t, cons)
	m := masterStatus(t, a.Snapshot(), spec)
	if m.State != agent.MasterConnected || m.Via != cons.Addr().String() || m.Preferred != cons.Addr().String() {
		t.Errorf("master %+v, want connected through %s, and it preferred next time", m, cons.Addr())
	}
	if len(m.AddressErrors) != 1 || m.AddressErrors[0].Address != cut.addr() ||
		m.AddressErrors[0].Error != "connected, but what came back was not Lanyard (altered or cut on the way?)" {
		t.Errorf("why the other address failed: %+v", m.AddressErrors)
	}
	if ms := masters(t, db); len(ms) != 1 || ms[0].LastGood != cons.Addr().String() || ms[0].PinnedCert != cons.id.Fingerprint {
		t.Errorf("stored %+v, want the address that worked remembered and the certificate pinned for the console", ms)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}

	// Started again, it dials the address that worked first.
	again := newAgentWith(t, db, slowRounds)
	if err := again.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	linkedMaster(t, cons)
	if n := cut.cuts(); n != 1 {
		t.Errorf("the address that failed was dialed %d times, want once: the one that worked goes first", n)
	}
}

func TestTheCertificateExpectedOfAConsoleHoldsAtEveryAddress(t *testing.T) {
	cons := listenAsConsole(t, true)
	wrong := link.FormatFingerprint(strings.Repeat("ab", 32))
	spec := freeAddr(t) + "," + cons.Addr().String()
	db := initializedDB(t)
	mustInit(t, db, agent.InitOptions{SSL: ptr(true), Masters: []string{spec + "=" + wrong}})
	a := newAgent(t, db)
	if err := a.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	a.watch.WaitEvent(t, 0, "cert_changed", cons.Addr().String())
	if a.Links() != 0 {
		t.Fatal("the agent linked to a console that presented another certificate")
	}
	// Trusting the right one, named by either address, holds for both.
	changes, err := a.TrustMaster(cons.Addr().String() + "=" + link.FormatFingerprint(cons.id.Fingerprint))
	if err != nil {
		t.Fatal(err)
	}
	wantChanges(t, changes, "masters: "+spec+" must present the certificate")
	linkedMaster(t, cons)
	if m := masterStatus(t, a.Snapshot(), spec); m.Fingerprint != cons.id.Fingerprint || m.Via != cons.Addr().String() {
		t.Errorf("master %+v", m)
	}
}

func TestOneConsolesAddressesAreOneMasterInEveryCommand(t *testing.T) {
	a := newAgent(t, initializedDB(t))
	if err := a.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	office, lan := "office.example:16888,office.example:50000", "10.0.0.3:16888"
	if changes, err := a.AddMaster(office); err != nil {
		t.Fatal(err)
	} else {
		wantChanges(t, changes, "masters: added "+office, "dialing "+office)
	}
	_, err := a.AddMaster(lan + ",OFFICE.example:50000")
	if !agent.IsUsage(err) || !strings.Contains(err.Error(), "already has OFFICE.example:50000, in "+office) {
		t.Errorf("a second master sharing an address: %v", err)
	}
	if changes, err := a.RetryMasters("office.example:50000"); err != nil || len(changes) != 1 || !strings.HasPrefix(changes[0], office+":") {
		t.Errorf("retry by the second address: %q, %v", changes, err)
	}
	if changes, err := a.RemoveMaster("office.example:50000"); err != nil {
		t.Fatal(err)
	} else {
		wantChanges(t, changes, "masters: removed "+office)
	}
	if ms := masters(t, a.db); len(ms) != 0 || len(a.Snapshot().Masters) != 0 {
		t.Errorf("removing by one address left %v", ms)
	}
}

// A master stored before the address parser refused its form (a name
// whose last part is digits) is removed as the list writes it; such an
// address that is not in the list is refused as malformed.
func TestAMasterStoredInAFormNowRefusedCanStillBeRemoved(t *testing.T) {
	db := initializedDB(t)
	old := "console.lan.5:16888"
	if err := db.AddMaster(store.Master{Addresses: []string{old}}); err != nil {
		t.Fatal(err)
	}
	a := newAgent(t, db)
	if err := a.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := a.AddMaster("console.lan.6:16888"); err == nil || !strings.Contains(err.Error(), `its last part, "6", is all digits`) {
		t.Errorf("adding one today: %v", err)
	}
	if changes, err := a.RemoveMaster(old); err != nil {
		t.Fatal(err)
	} else {
		wantChanges(t, changes, "masters: removed "+old)
	}
	if ms := masters(t, a.db); len(ms) != 0 {
		t.Errorf("still listed: %v", ms)
	}
	if _, err := a.RemoveMaster("other.lan.7:16888"); err == nil || !strings.Contains(err.Error(), "all digits") {
		t.Errorf("removing one not listed: %v", err)
	}
}
