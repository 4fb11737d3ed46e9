package agent_test

import (
	"context"
	"errors"
	"net"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/lanyard/lanyard/core/agent"
	"github.com/lanyard/lanyard/core/link"
	"github.com/lanyard/lanyard/core/store"
	"github.com/lanyard/lanyard/core/wire"
	"github.com/lanyard/lanyard/internal/freeport"
)

// newPassword is what the password tests change the password to.
const newPassword = "pw-rotated-2b7e41d9"

// freeAddr is a loopback address nothing listens on, whose port no other
// connection takes before the test binds it (freeport.Addr).
func freeAddr(t *testing.T) string {
	t.Helper()
	addr, err := freeport.Addr()
	if err != nil {
		t.Fatal(err)
	}
	return addr
}

// wantChanges checks that changes holds each of want, in words.
func wantChanges(t *testing.T, changes []string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !slices.ContainsFunc(changes, func(c string) bool { return strings.Contains(c, w) }) {
			t.Errorf("changes %q do not say %q", changes, w)
		}
	}
}

func stored(t *testing.T, db *store.DB) agent.Settings {
	t.Helper()
	s, _, err := agent.LoadSettings(db)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// masterStatus is the snapshot's entry for addr.
func masterStatus(t *testing.T, st agent.StatusSnapshot, addr string) agent.MasterStatus {
	t.Helper()
	for _, m := range st.Masters {
		if m.Address == addr {
			return m
		}
	}
	t.Fatalf("the snapshot has no master %s: %+v", addr, st.Masters)
	return agent.MasterStatus{}
}

// startAgentWithMasters is an initialised agent listening on loopback and
// dialing masters.
func startAgentWithMasters(t *testing.T, ssl bool, masters ...string) *runningAgent {
	t.Helper()
	db := initializedDB(t)
	mustInit(t, db, agent.InitOptions{Listen: ptr("127.0.0.1:0"), SSL: &ssl, Masters: masters})
	a := newAgent(t, db)
	if err := a.Start(context.Background()); err != nil {
		t.Fatalf("Start: %v", err)
	}
	return a
}

// linkedMaster waits for the agent's link to cons and for the agent to
// have taken it on (it answers a request only then).
func linkedMaster(t *testing.T, cons *consoleListener) (*link.Link, *handler) {
	t.Helper()
	l := cons.next(t)
	h := newHandler()
	l.Start(h, nil)
	if _, err := status(t, l); err != nil {
		t.Fatalf("status over the agent's link: %v", err)
	}
	return l, h
}

func TestSetListenMovesTheListenerWithoutARestart(t *testing.T) {
	a := startAgent(t, false, true)
	oldAddr := a.ListenAddr()
	c := newConsole(t)
	kept, _ := c.link(t, a, false)

	newAddr := freeAddr(t)
	changes, err := a.SetListen(newAddr)
	if err != nil {
		t.Fatalf("SetListen: %v", err)
	}
	wantChanges(t, changes, "listen: 127.0.0.1:0 → "+newAddr, "listening for consoles on "+newAddr+" without SSL")
	if got := a.ListenAddr(); got != newAddr {
		t.Fatalf("listening on %s, want %s", got, newAddr)
	}
	if _, err := c.dial(t, newAddr, false, slaveName, keyFor(t, slaveName, password)); err != nil {
		t.Fatalf("a console cannot dial the new address: %v", err)
	}
	if _, err := c.dial(t, oldAddr, false, slaveName, keyFor(t, slaveName, password)); link.CodeOf(err) != wire.CodeDialFailed {
		t.Fatalf("dialing the old address: %v, want nothing listening there", err)
	}
	if _, err := status(t, kept); err != nil {
		t.Fatalf("a console linked before the move lost its link: %v", err)
	}
	if s := stored(t, a.db); s.Listen != newAddr {
		t.Fatalf("stored listen address %q, want %q", s.Listen, newAddr)
	}
	if st := a.Snapshot(); st.Listen != newAddr || st.ListenAddr != newAddr || st.ListenError != "" {
		t.Fatalf("snapshot listen %q bound %q error %q", st.Listen, st.ListenAddr, st.ListenError)
	}

	// The same address again changes nothing.
	if changes, err := a.SetListen(newAddr); err != nil || len(changes) != 0 {
		t.Fatalf("setting the same address again: %q, %v; want no changes", changes, err)
	}
}

func TestSetListenOffStopsListeningAndOnStartsAgain(t *testing.T) {
	a := startAgent(t, true, true)
	oldAddr := a.ListenAddr()
	changes, err := a.SetListen("off")
	if err != nil {
		t.Fatal(err)
	}
	wantChanges(t, changes, "listen: 127.0.0.1:0 → off", "stopped listening")
	if a.ListenAddr() != "" || stored(t, a.db).Listen != "" {
		t.Fatalf("still listening on %q (stored %q)", a.ListenAddr(), stored(t, a.db).Listen)
	}
	c := newConsole(t)
	if _, err := c.dial(t, oldAddr, true, slaveName, keyFor(t, slaveName, password)); link.CodeOf(err) != wire.CodeDialFailed {
		t.Fatalf("dialing an agent that stopped listening: %v", err)
	}
	changes, err = a.SetListen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	wantChanges(t, changes, "listen: off → 127.0.0.1:0", "with SSL")
	c.link(t, a, true)
}

func TestSetListenToAPortInUseChangesNothing(t *testing.T) {
	a := startAgent(t, false, true)
	oldAddr := a.ListenAddr()
	before := take(t, a.db)
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()

	changes, err := a.SetListen(taken.Addr().String())
	if err == nil {
		t.Fatalf("moved to a port in use: %q", changes)
	}
	_, port, _ := net.SplitHostPort(taken.Addr().String())
	if !errors.Is(err, syscall.EADDRINUSE) || !strings.Contains(err.Error(), "already in use") || agent.IsUsage(err) ||
		!strings.HasSuffix(err.Error(), "(lanyard-agent port-check "+port+" names it)") {
		t.Fatalf("error %q (usage %v) does not say plainly that the port is in use, and how to find by what", err, agent.IsUsage(err))
	}
	if after := take(t, a.db); !after.equal(before) {
		t.Fatal("the failed change altered the database")
	}
	if a.ListenAddr() != oldAddr {
		t.Fatalf("listening on %q, want still %s", a.ListenAddr(), oldAddr)
	}
	newConsole(t).link(t, a, false)
}

func TestSetListenToTheSamePortOnAnotherAddressRebindsInPlace(t *testing.T) {
	a := startAgent(t, false, true)
	// A port below the ephemeral range: on every address it must be free
	// of other processes' connections too.
	addr := freeAddr(t)
	if _, err := a.SetListen(addr); err != nil {
		t.Fatalf("SetListen(%s): %v", addr, err)
	}
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	// Every address on the same port clashes with the bound loopback one,
	// so the old listener must go first.
	changes, err := a.SetListen(":" + port)
	if err != nil {
		t.Fatalf("SetListen: %v", err)
	}
	wantChanges(t, changes, "listen: "+addr+" → :"+port)
	if _, got, _ := net.SplitHostPort(a.ListenAddr()); got != port {
		t.Fatalf("listening on %s, want port %s", a.ListenAddr(), port)
	}
	if _, err := newConsole(t).dial(t, "127.0.0.1:"+port, false, slaveName, keyFor(t, slaveName, password)); err != nil {
		t.Fatal(err)
	}
}

func TestBadValuesAreUsageErrorsAndChangeNothing(t *testing.T) {
	a := startAgent(t, false, true)
	before := take(t, a.db)
	cases := []struct {
		name    string
		change  func() ([]string, error)
		mention string
	}{
		{"a listen address without a port", func() ([]string, error) { return a.SetListen("localhost") }, "host:port"},
		{"a listen port out of range", func() ([]string, error) { return a.SetListen(":70000") }, "1 to 65535"},
		{"a master address with a space", func() ([]string, error) { return a.AddMaster("a b:1") }, "not a valid host"},
		{"a master port of zero", func() ([]string, error) { return a.AddMaster("console:0") }, "1 to 65535"},
		{"removing a master that is not in the list", func() ([]string, error) { return a.RemoveMaster("console:7000") }, "not in the masters list"},
		{"an empty password", func() ([]string, error) { return a.SetPassword(nil) }, "password is empty"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			changes, err := c.change()
			if err == nil {
				t.Fatalf("accepted: %q", changes)
			}
			if !agent.IsUsage(err) || !strings.Contains(err.Error(), c.mention) {
				t.Fatalf("error %q (usage %v), want a usage error mentioning %q", err, agent.IsUsage(err), c.mention)
			}
			if !take(t, a.db).equal(before) {
				t.Fatal("the refused change altered the database")
			}
		})
	}
}

func TestSetSSLClosesEveryLinkAndRelinksWithTheNewSetting(t *testing.T) {
	cons := listenAsConsole(t, false) // a master that stays without SSL
	a := startAgentWithMasters(t, false, cons.Addr().String())
	_, masterSide := linkedMaster(t, cons)
	c := newConsole(t)
	_, consoleSide := c.link(t, a, false)
	addr := a.ListenAddr()

	mark := a.watch.Mark()
	changes, err := a.SetSSL(true)
	if err != nil {
		t.Fatalf("SetSSL: %v", err)
	}
	wantChanges(t, changes, "ssl: off → on", "listening for consoles on "+addr+" with SSL", "closed 2 console links", "dialing 1 master again")
	for side, h := range map[string]*handler{"the console that dialed in": consoleSide, "the master": masterSide} {
		e := h.waitClosed(t)
		if e.Code != wire.CodeNormal || !e.Remote || !strings.Contains(e.Reason, "the agent's SSL setting changed") {
			t.Errorf("%s saw the link close with %s %q, want the agent's reason that SSL changed", side, e.Code, e.Reason)
		}
	}
	// The listener kept its port (it is never let go), now with SSL.
	if a.ListenAddr() != addr {
		t.Fatalf("listening on %s, want %s again", a.ListenAddr(), addr)
	}
	if _, err := c.dial(t, addr, false, slaveName, keyFor(t, slaveName, password)); link.CodeOf(err) != wire.CodeSSLMismatch {
		t.Fatalf("a console without SSL: %v, want ssl_mismatch", err)
	}
	c.link(t, a, true)
	// The master is dialed again, with SSL, which it refuses.
	a.watch.WaitEvent(t, mark, string(wire.CodeSSLMismatch), cons.Addr().String())
	m := masterStatus(t, a.Snapshot(), cons.Addr().String())
	if m.State != agent.MasterError || !strings.Contains(m.LastError, "SSL is on here but off") {
		t.Fatalf("master %+v, want the error state with the SSL mismatch", m)
	}
	if s := stored(t, a.db); !s.SSL {
		t.Fatal("SSL is not stored as on")
	}
	if changes, err := a.SetSSL(true); err != nil || len(changes) != 0 {
		t.Fatalf("SSL on again: %q, %v; want no changes", changes, err)
	}
}

func TestSetManagementOffClosesEveryLinkAndOnDialsAgain(t *testing.T) {
	cons := listenAsConsole(t, true)
	a := startAgentWithMasters(t, true, cons.Addr().String())
	_, masterSide := linkedMaster(t, cons)
	c := newConsole(t)
	_, consoleSide := c.link(t, a, true)

	changes, err := a.SetManagement(false)
	if err != nil {
		t.Fatalf("SetManagement(false): %v", err)
	}
	wantChanges(t, changes, "management: on → off", "closed 2 console links with management_disabled", "stopped dialing 1 master")
	for side, h := range map[string]*handler{"the console that dialed in": consoleSide, "the master": masterSide} {
		if e := h.waitClosed(t); e.Code != wire.CodeManagementDisabled || !e.Remote {
			t.Errorf("%s saw %s (remote %v), want the agent's management_disabled", side, e.Code, e.Remote)
		}
	}
	if _, err := c.dial(t, a.ListenAddr(), true, slaveName, keyFor(t, slaveName, password)); link.CodeOf(err) != wire.CodeManagementDisabled {
		t.Fatalf("a new console: %v, want management_disabled", err)
	}
	st := a.Snapshot()
	if st.Management || masterStatus(t, st, cons.Addr().String()).State != agent.MasterOffline || a.Links() != 0 {
		t.Fatalf("snapshot %+v with %d links, want management off, the master offline and no links", st, a.Links())
	}
	if stored(t, a.db).Management {
		t.Fatal("management is stored as on")
	}

	changes, err = a.SetManagement(true)
	if err != nil {
		t.Fatalf("SetManagement(true): %v", err)
	}
	wantChanges(t, changes, "management: off → on", "dialing 1 master")
	linkedMaster(t, cons)
	c.link(t, a, true)
	if m := masterStatus(t, a.Snapshot(), cons.Addr().String()); m.State != agent.MasterConnected {
		t.Fatalf("master %+v, want connected", m)
	}
}

func TestAddMasterDialsItAndRemoveMasterClosesItsLink(t *testing.T) {
	a := startAgent(t, true, true)
	cons := listenAsConsole(t, true)
	addr := cons.Addr().String()

	changes, err := a.AddMaster(addr)
	if err != nil {
		t.Fatalf("AddMaster: %v", err)
	}
	wantChanges(t, changes, "masters: added "+addr, "dialing "+addr)
	l, h := linkedMaster(t, cons)
	m := masterStatus(t, a.Snapshot(), addr)
	if m.State != agent.MasterConnected || m.Remote == "" || m.Since.IsZero() {
		t.Fatalf("master %+v, want connected with its remote address", m)
	}
	if ms := masters(t, a.db); len(ms) != 1 || ms[0].Spec() != addr || ms[0].PinnedCert != cons.id.Fingerprint {
		t.Fatalf("stored masters %+v, want %s pinned to the console's certificate", ms, addr)
	}
	if l.Peer().Name != slaveName {
		t.Fatalf("the agent linked as %q", l.Peer().Name)
	}

	_, err = a.AddMaster(addr)
	if !agent.IsUsage(err) || !errors.Is(err, store.ErrDuplicate) || !strings.Contains(err.Error(), "already has "+addr) {
		t.Fatalf("adding %s twice: %v, want the store's duplicate error as a usage error", addr, err)
	}

	changes, err = a.RemoveMaster(addr)
	if err != nil {
		t.Fatalf("RemoveMaster: %v", err)
	}
	wantChanges(t, changes, "masters: removed "+addr, "closed the link to "+addr)
	if e := h.waitClosed(t); e.Code != wire.CodeRemoved || !strings.Contains(e.Reason, "removed from the agent's masters list") {
		t.Fatalf("the console saw %s %q, want removed", e.Code, e.Reason)
	}
	if ms := masters(t, a.db); len(ms) != 0 {
		t.Fatalf("stored masters %+v after the removal", ms)
	}
	if st := a.Snapshot(); len(st.Masters) != 0 {
		t.Fatalf("snapshot masters %+v after the removal", st.Masters)
	}
	_, err = a.RemoveMaster(addr)
	if !agent.IsUsage(err) || !errors.Is(err, store.ErrNotFound) || !strings.Contains(err.Error(), "the list is empty") {
		t.Fatalf("removing %s again: %v, want a usage error saying the list is empty", addr, err)
	}
}

func TestAddMasterWhileManagementIsOffOnlyStoresIt(t *testing.T) {
	a := startAgent(t, false, false)
	changes, err := a.AddMaster("console.example.lan")
	if err != nil {
		t.Fatal(err)
	}
	wantChanges(t, changes, "masters: added console.example.lan:16888", "not dialing console.example.lan:16888 while remote management is off")
	if m := masterStatus(t, a.Snapshot(), "console.example.lan:16888"); m.State != agent.MasterOffline {
		t.Fatalf("master %+v, want offline", m)
	}
}

func TestSetPasswordClosesEveryLinkAndOnlyTheNewPasswordWorks(t *testing.T) {
	a := startAgent(t, true, true)
	c := newConsole(t)
	_, h := c.link(t, a, true)

	changes, err := a.SetPassword([]byte(newPassword))
	if err != nil {
		t.Fatalf("SetPassword: %v", err)
	}
	wantChanges(t, changes, "password: changed", "closed 1 console link")
	if e := h.waitClosed(t); e.Code != wire.CodeNormal || !strings.Contains(e.Reason, "password changed") {
		t.Fatalf("the console saw %s %q, want the agent's reason that the password changed", e.Code, e.Reason)
	}
	if _, err := c.dial(t, a.ListenAddr(), true, slaveName, keyFor(t, slaveName, password)); link.CodeOf(err) != wire.CodeAuthFailed {
		t.Fatalf("the old password: %v, want auth_failed", err)
	}
	if _, err := c.dial(t, a.ListenAddr(), true, slaveName, keyFor(t, slaveName, newPassword)); err != nil {
		t.Fatalf("the new password: %v", err)
	}
	want := keyFor(t, slaveName, newPassword)
	if s := stored(t, a.db); string(s.Key) != string(want[:]) {
		t.Fatal("the stored key is not the new password's")
	}
}

func TestSnapshotSaysWhatTheAgentIsDoing(t *testing.T) {
	cons := listenAsConsole(t, false)
	nobody := freeAddr(t)
	before := time.Now()
	a := startAgentWithMasters(t, false, cons.Addr().String(), nobody)
	mark := a.watch.Mark()
	ml, _ := linkedMaster(t, cons)
	c := newConsole(t)
	c.link(t, a, false)
	a.watch.WaitEvent(t, mark, string(wire.CodeDialFailed), nobody)

	st := a.Snapshot()
	if !st.Running || st.Name != slaveName || st.Version != "test-1.2.3" || st.Listen != "127.0.0.1:0" ||
		st.ListenAddr != a.ListenAddr() || st.SSL || !st.Management || st.Started.Before(before) {
		t.Fatalf("snapshot %+v", st)
	}
	up := masterStatus(t, st, cons.Addr().String())
	if up.State != agent.MasterConnected || up.Since.IsZero() || up.Remote != cons.Addr().String() {
		t.Errorf("the reachable master: %+v", up)
	}
	down := masterStatus(t, st, nobody)
	if down.State != agent.MasterOffline || !strings.Contains(down.LastError, "nothing is listening on "+nobody) ||
		down.LastErrorAt.IsZero() || down.NextTry.Before(down.LastErrorAt) {
		t.Errorf("the unreachable master: %+v, want offline with the reason and the next try", down)
	}
	if len(st.Consoles) != 1 || st.Consoles[0].Remote == "" || st.Consoles[0].Since.IsZero() || st.Consoles[0].SSL {
		t.Errorf("consoles %+v, want the one that dialed in", st.Consoles)
	}

	// A master that drops the link is dialed again, and the status keeps
	// why the link went.
	ml.CloseWith(&link.Error{Code: wire.CodeShuttingDown, Reason: "the console is shutting down"})
	linkedMaster(t, cons)
	up = masterStatus(t, a.Snapshot(), cons.Addr().String())
	if up.State != agent.MasterConnected || !strings.Contains(up.LastError, `closed the link (shutting_down), saying "the console is shutting down"`) {
		t.Errorf("the master after a relink: %+v", up)
	}
}

func TestChangesAfterCloseAreRefused(t *testing.T) {
	a := startAgent(t, false, true)
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := a.SetSSL(true); err == nil || !strings.Contains(err.Error(), "shutting down") {
		t.Fatalf("SetSSL after Close: %v", err)
	}
	if st := a.Snapshot(); st.Running {
		t.Fatal("a closed agent says it is running")
	}
}

// A console that stays down is logged once, not at every try (its state
// says it meanwhile): the same failure again is news only after
// store.RepeatQuiet, as on the console's side.
func TestAConsoleThatStaysDownIsLoggedOnce(t *testing.T) {
	// A console's address at which something accepts and hangs up at
	// once: every try of the agent is a failure the test sees.
	cut := freeport.StartHangUp(t)
	addr := cut.Addr()
	a := startAgentWithMasters(t, false, addr)
	for i := range 6 {
		select {
		case <-cut.Tries():
		case <-time.After(10 * time.Second):
			t.Fatalf("the agent tried %d times in 10 s", i)
		}
	}
	logged := 0
	for _, e := range a.log.AllEntries() {
		if e.Data["remote"] == addr && e.Level <= logrus.WarnLevel {
			logged++
		}
	}
	if logged != 1 {
		t.Fatalf("6 failed tries logged %d times; want once", logged)
	}
	// A try a person asks for is news again.
	mark := a.watch.Mark()
	if _, err := a.RetryMasters(addr); err != nil {
		t.Fatal(err)
	}
	a.watch.WaitEvent(t, mark, string(wire.CodeProtocolError), addr)
	if m := masterStatus(t, a.Snapshot(), addr); m.State == agent.MasterConnected || !strings.Contains(m.LastError, "closed the connection") {
		t.Errorf("the master's state: %+v, want down with the last failure", m)
	}
}
