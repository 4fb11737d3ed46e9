package master

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/lanyard/lanyard/core/address"
	"github.com/lanyard/lanyard/core/agent"
	"github.com/lanyard/lanyard/core/auth"
	"github.com/lanyard/lanyard/core/link"
	"github.com/lanyard/lanyard/core/store"
	"github.com/lanyard/lanyard/core/wire"
	"github.com/lanyard/lanyard/core/wire/pb"
	"github.com/lanyard/lanyard/internal/freeport"
	"github.com/lanyard/lanyard/internal/testkit"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// console is a Master on a fresh database, listening on loopback.
type console struct {
	*Master
	db     *store.DB
	events <-chan Event
	stop   func()
}

func startConsole(t *testing.T, ssl bool, db *store.DB) *console {
	t.Helper()
	return startConsoleWith(t, ssl, db, nil)
}

// startConsoleWith is startConsole with the config adjusted by tune. It
// builds the Master itself (mastertest cannot be imported here), from the
// test kit's parts and timing.
func startConsoleWith(t *testing.T, ssl bool, db *store.DB, tune func(*Config)) *console {
	t.Helper()
	return startConsoleOn(t, ssl, db, "127.0.0.1:0", tune)
}

// restartConsole stops c and starts a console on its database listening
// where c did, as a console restarted on its machine would: its agents
// find it again.
func restartConsole(t *testing.T, c *console, ssl bool) *console {
	t.Helper()
	addr := c.ListenAddr()
	c.stop()
	again := startConsoleOn(t, ssl, c.db, addr, nil)
	if again.ListenAddr() != addr {
		t.Fatalf("the restarted console listens on %q (%v), not %s", again.ListenAddr(), again.ListenError(), addr)
	}
	return again
}

// startConsoleOn is startConsoleWith listening on listen.
func startConsoleOn(t *testing.T, ssl bool, db *store.DB, listen string, tune func(*Config)) *console {
	t.Helper()
	if db == nil {
		db = testkit.Store(t, "console", store.Options{})
	}
	if err := SaveSettings(db, Settings{Listen: true, ListenAddress: listen, SSL: ssl}); err != nil {
		t.Fatal(err)
	}
	log, _ := testkit.Logger()
	// Every test agent dials from 127.0.0.1: one address's failure budget
	// must not throttle unrelated tests.
	lim := auth.NewLimiter(auth.LimiterConfig{IPBurst: 1000, NameBurst: 1000})
	cfg := Config{DB: db, Identity: testkit.Identity(t, db, pb.Role_ROLE_MASTER), Logger: log, Limiter: lim,
		Heartbeat: testkit.Heartbeat, DeadAfter: testkit.DeadAfter, RedialInitial: testkit.RedialInitial, RedialMax: testkit.RedialMax}
	if tune != nil {
		tune(&cfg)
	}
	m := New(cfg)
	events, cancel := m.Subscribe(1024)
	if err := m.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	c := &console{Master: m, db: db, events: events}
	c.stop = func() { _ = m.Close(); cancel() }
	t.Cleanup(c.stop)
	return c
}

// startAgent is a live agent named name with its own database: listening
// on loopback when listen is set, dialing masters.
func startAgent(t *testing.T, name, password string, ssl bool, listen bool, masters ...string) *agent.Agent {
	t.Helper()
	return testkit.Agent(t, testkit.AgentOptions{Name: name, Password: password, SSL: ssl, Listen: listen, Masters: masters})
}

// startAgentOn is startAgent on db, which keeps its settings if it has any.
func startAgentOn(t *testing.T, db *store.DB, name, password string, ssl bool, listen bool, masters ...string) *agent.Agent {
	t.Helper()
	return testkit.Agent(t, testkit.AgentOptions{DB: db, Name: name, Password: password, SSL: ssl, Listen: listen, Masters: masters})
}

// waitFor waits for an event matching ok, failing after a deadline.
func (c *console) waitFor(t *testing.T, what string, ok func(Event) bool) Event {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case e := <-c.events:
			if ok(e) {
				return e
			}
		case <-deadline:
			t.Fatalf("no %s within 10s; slaves: %+v", what, c.Slaves())
		}
	}
}

func (c *console) waitState(t *testing.T, name string, state State) SlaveView {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if v, ok := c.Slave(name); ok && v.State == state {
			return v
		}
		if time.Now().After(deadline) {
			v, _ := c.Slave(name)
			t.Fatalf("%s is %s (%s: %s), want %s", name, v.State, v.LastCode, v.LastError, state)
		}
		select {
		case <-c.events:
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// until waits for ok to hold, looking again at every event and at least
// every 20 ms, failing after a deadline.
func (c *console) until(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for !ok() {
		select {
		case <-c.events:
		case <-time.After(20 * time.Millisecond):
		case <-deadline:
			t.Fatalf("%s: not within 10s; slaves: %+v", what, c.Slaves())
		}
	}
}

func kind(k, slave string) func(Event) bool {
	return func(e Event) bool { return e.Kind == k && strings.EqualFold(e.Slave, slave) }
}

func TestOutboundAndInboundSlavesLinkAtTheSameTime(t *testing.T) {
	for _, ssl := range []bool{false, true} {
		t.Run(map[bool]string{false: "plain", true: "tls"}[ssl], func(t *testing.T) {
			c := startConsole(t, ssl, nil)
			out := startAgent(t, "FS01", "pw-one", ssl, true)
			startAgent(t, "FS02", "pw-two", ssl, false, c.ListenAddr())

			if _, err := c.AddSlave(SlaveSpec{Name: "FS01", Direction: store.Outbound, Address: out.ListenAddr(), Password: []byte("pw-one")}); err != nil {
				t.Fatal(err)
			}
			if _, err := c.AddSlave(SlaveSpec{Name: "fs02", Direction: store.Inbound, Password: []byte("pw-two")}); err != nil {
				t.Fatal(err)
			}
			for _, name := range []string{"FS01", "FS02"} {
				v := c.waitState(t, name, StateConnected)
				if v.SSL != ssl {
					t.Errorf("%s SSL = %v", name, v.SSL)
				}
				st, err := c.Status(context.Background(), name)
				if err != nil {
					t.Fatal(err)
				}
				if !strings.EqualFold(st.Name, name) || st.Hostname == "" || st.AgentVersion != "test" {
					t.Errorf("status of %s = %+v", name, st)
				}
			}
			// Trust on first use: the certificate and install ID are pinned.
			e, _ := c.db.SlaveByName("FS01")
			if e.PinnedInstallID == "" || (ssl && e.PinnedCert == "") || (!ssl && e.PinnedCert != "") {
				t.Errorf("pins after first link: cert %q install %q", e.PinnedCert, e.PinnedInstallID)
			}
		})
	}
}

func TestWrongPasswordLeavesTheSlaveInErrorAndIsLogged(t *testing.T) {
	c := startConsole(t, true, nil)
	a := startAgent(t, "FS01", "right", true, true)
	if _, err := c.AddSlave(SlaveSpec{Name: "FS01", Direction: store.Outbound, Address: a.ListenAddr(), Password: []byte("wrong")}); err != nil {
		t.Fatal(err)
	}
	v := c.waitState(t, "FS01", StateError)
	if v.LastCode != "auth_failed" || !strings.Contains(v.LastError, "wrong management password") {
		t.Errorf("last error %s: %s", v.LastCode, v.LastError)
	}
	_ = c.db.Flush()
	events, err := c.db.Events(store.EventFilter{Slave: "FS01"})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range events {
		if e.Kind == "auth_failed" && e.Direction == "outbound" && e.Remote == a.ListenAddr() && e.Severity == "error" {
			found = true
		}
	}
	if !found {
		t.Errorf("no auth_failed record in %+v", events)
	}
}

// A slave whose address is another program's (a web server's port typed
// by mistake) is in error, named for what it is, and logged so; it waits
// for a person to mend the address rather than count as unreachable.
func TestASlaveWhereAnotherProgramAnswersIsInErrorNamingIt(t *testing.T) {
	c := startConsole(t, true, nil)
	web := freeport.StartReplying(t, "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n")
	if _, err := c.AddSlave(SlaveSpec{Name: "FS01", Direction: store.Outbound, Address: web.Addr(), Password: []byte("pw")}); err != nil {
		t.Fatal(err)
	}
	v := c.waitState(t, "FS01", StateError)
	if v.LastCode != string(wire.CodeNotLanyard) || !strings.Contains(v.LastError, `is not a Lanyard agent: a web server answered ("HTTP/1.1 400 Bad Request")`) {
		t.Errorf("last error %s: %s", v.LastCode, v.LastError)
	}
	e := c.waitFor(t, "not_lanyard", kind(string(wire.CodeNotLanyard), "FS01"))
	if e.Severity != "error" || e.Remote != web.Addr() {
		t.Errorf("event = %+v", e)
	}
}

func TestUnknownInboundSlaveIsRefusedAndNamed(t *testing.T) {
	c := startConsole(t, false, nil)
	startAgent(t, "STRANGER", "pw", false, false, c.ListenAddr())
	e := c.waitFor(t, "unknown_slave", kind("unknown_slave", "STRANGER"))
	if !strings.Contains(e.Reason, `"STRANGER"`) || !strings.Contains(e.Reason, "127.0.0.1") || e.Severity != "error" {
		t.Errorf("event = %+v", e)
	}
}

// `lanyard-agent diagnose` of the console, without the agent's name and
// password, is told "unknown slave" (so it knows a console answered), but
// the console does not take it for a stranger to add, nor for an error.
func TestADiagnosisIsNoStranger(t *testing.T) {
	c := startConsole(t, false, nil)
	id, err := link.NewThrowawayIdentity(pb.Role_ROLE_AGENT, "diagnose")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var steps []link.Step
	if !link.Diagnose(ctx, link.DiagnoseOptions{Address: c.ListenAddr(), Identity: id}, func(s link.Step) { steps = append(steps, s) }) {
		t.Fatalf("the diagnosis failed: %+v", steps)
	}
	e := c.waitFor(t, "the diagnosis", func(e Event) bool { return e.Kind == store.KindDiagnosed || e.Kind == "unknown_slave" })
	if e.Kind != store.KindDiagnosed || e.Severity != store.SeverityInfo || e.Slave != "" || !strings.Contains(e.Reason, "lanyard-agent diagnose") {
		t.Errorf("event = %+v", e)
	}
}

func TestAgentDialingInUnderAnOutboundEntryIsToldWhy(t *testing.T) {
	c := startConsole(t, false, nil)
	if _, err := c.AddSlave(SlaveSpec{Name: "FS01", Direction: store.Outbound, Address: "127.0.0.1:1", Password: []byte("pw")}); err != nil {
		t.Fatal(err)
	}
	startAgent(t, "FS01", "pw", false, false, c.ListenAddr())
	e := c.waitFor(t, "refusal", func(e Event) bool { return e.Kind == "unknown_slave" && e.Slave == "FS01" })
	if !strings.Contains(e.Reason, "set up here as outbound") {
		t.Errorf("reason %q", e.Reason)
	}
}

func TestManagementOffIsShownPlainly(t *testing.T) {
	c := startConsole(t, false, nil)
	db := testkit.Store(t, "agent", store.Options{})
	off, l, ssl := false, "127.0.0.1:0", false
	if _, _, err := agent.Init(db, agent.InitOptions{Name: "FS01", Password: []byte("pw"), Listen: &l, SSL: &ssl, Management: &off}); err != nil {
		t.Fatal(err)
	}
	a := startAgentOn(t, db, "FS01", "pw", false, true)
	if _, err := c.AddSlave(SlaveSpec{Name: "FS01", Direction: store.Outbound, Address: a.ListenAddr(), Password: []byte("pw")}); err != nil {
		t.Fatal(err)
	}
	v := c.waitState(t, "FS01", StateError)
	if v.LastCode != "management_disabled" || !strings.Contains(v.LastError, "does not accept remote management") {
		t.Errorf("%s: %s", v.LastCode, v.LastError)
	}
}

func TestOneLinkPerSlave(t *testing.T) {
	c := startConsole(t, false, nil)
	if _, err := c.AddSlave(SlaveSpec{Name: "FS01", Direction: store.Inbound, Password: []byte("pw")}); err != nil {
		t.Fatal(err)
	}
	// The same agent told about this console twice, under two spellings.
	port := c.ListenAddr()[strings.LastIndex(c.ListenAddr(), ":")+1:]
	a := startAgent(t, "FS01", "pw", false, false, "127.0.0.1:"+port, "localhost:"+port)
	c.waitState(t, "FS01", StateConnected)
	e := c.waitFor(t, "duplicate_link", kind("duplicate_link", "FS01"))
	if !strings.Contains(e.Reason, "already linked") {
		t.Errorf("reason %q", e.Reason)
	}
	if v, _ := c.Slave("FS01"); v.State != StateConnected {
		t.Errorf("the first link was disturbed: %+v", v)
	}
	_ = a
}

func TestConsoleRestartBringsInboundAndOutboundSlavesBack(t *testing.T) {
	db := testkit.Store(t, "console", store.Options{})
	c := startConsole(t, true, db)
	out := startAgent(t, "FS01", "pw1", true, true)
	if _, err := c.AddSlave(SlaveSpec{Name: "FS01", Direction: store.Outbound, Address: out.ListenAddr(), Password: []byte("pw1")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AddSlave(SlaveSpec{Name: "FS02", Direction: store.Inbound, Password: []byte("pw2")}); err != nil {
		t.Fatal(err)
	}
	startAgent(t, "FS02", "pw2", true, false, c.ListenAddr())
	c.waitState(t, "FS01", StateConnected)
	c.waitState(t, "FS02", StateConnected)

	c2 := restartConsole(t, c, true)
	c2.waitState(t, "FS01", StateConnected)
	c2.waitState(t, "FS02", StateConnected)
}

func TestOneAgentServesTwoConsolesAtOnce(t *testing.T) {
	dialedTo := startConsole(t, true, nil)  // the agent dials this one
	dialingIn := startConsole(t, true, nil) // this one dials the agent
	if _, err := dialedTo.AddSlave(SlaveSpec{Name: "FS01", Direction: store.Inbound, Password: []byte("pw")}); err != nil {
		t.Fatal(err)
	}
	a := startAgent(t, "FS01", "pw", true, true, dialedTo.ListenAddr())
	if _, err := dialingIn.AddSlave(SlaveSpec{Name: "FS01", Direction: store.Outbound, Address: a.ListenAddr(), Password: []byte("pw")}); err != nil {
		t.Fatal(err)
	}
	dialedTo.waitState(t, "FS01", StateConnected)
	dialingIn.waitState(t, "FS01", StateConnected)
	for _, c := range []*console{dialedTo, dialingIn} {
		if _, err := c.Status(context.Background(), "FS01"); err != nil {
			t.Errorf("status through one of two consoles: %v", err)
		}
	}
	if n := a.Links(); n != 2 {
		t.Errorf("agent holds %d links, want 2", n)
	}
}

// linkedWithStatus is a console and a linked outbound slave FS01 whose
// status was read at link time; it returns the link and that status's time.
func linkedWithStatus(t *testing.T) (*console, *link.Link, int64) {
	t.Helper()
	c, _ := linked(t, false, nil)
	c.until(t, "the status read at link time", func() bool { v, _ := c.Slave("FS01"); return v.Status != nil })
	v, _ := c.Slave("FS01")
	return c, c.currentLink("FS01"), v.Status.TimeUnixNano
}

func TestARefreshedStatusStaysThroughLaterEvents(t *testing.T) {
	c, _, first := linkedWithStatus(t)

	st, err := c.Status(context.Background(), "FS01")
	if err != nil {
		t.Fatal(err)
	}
	if st.TimeUnixNano <= first {
		t.Fatalf("the refresh is not newer: %d after %d", st.TimeUnixNano, first)
	}
	c.waitFor(t, "the refresh published", func(e Event) bool { return e.Kind == EventState && e.Slave == "FS01" })

	// An unrelated change of that slave: its view, as a subscriber reads it
	// after the event, still carries the refreshed status.
	if _, err := c.EditSlave("FS01", SlaveSpec{Notes: "rack 4"}); err != nil {
		t.Fatal(err)
	}
	c.waitFor(t, "the edit", kind(store.KindEdited, "FS01"))
	v, _ := c.Slave("FS01")
	if v.Notes != "rack 4" || v.Status == nil || v.Status.TimeUnixNano != st.TimeUnixNano {
		t.Errorf("after an unrelated event the status is from %v, want the refresh's %d", v.Status, st.TimeUnixNano)
	}
}

// Settings that move the listener to a port another program holds change
// nothing: the console goes on listening where it did, with its old
// settings saved, and says why. Keeping the same address, or moving to
// another address on the port it holds, is applied.
func TestAPortThatCannotBeListenedOnChangesNothing(t *testing.T) {
	c := startConsole(t, true, nil)
	bound := c.ListenAddr()
	taken := freeport.StartHangUp(t).Addr() // another program's port
	err := c.ApplySettings(Settings{Listen: true, ListenAddress: taken, SSL: false, HeartbeatSeconds: 20})
	if err == nil || !strings.Contains(err.Error(), "cannot listen on "+taken+": the port is already in use") ||
		!strings.HasSuffix(err.Error(), "; nothing was changed, and the console still listens on "+bound) {
		t.Fatalf("moving to a taken port: %v", err)
	}
	saved, lerr := LoadSettings(c.db)
	if lerr != nil {
		t.Fatal(lerr)
	}
	if got := c.Settings(); got.ListenAddress != "127.0.0.1:0" || !got.SSL || saved.ListenAddress != "127.0.0.1:0" || !saved.SSL {
		t.Errorf("in force %+v, saved %+v: the refused settings were taken", got, saved)
	}
	if c.ListenAddr() != bound || c.ListenError() != nil {
		t.Errorf("listening on %q (%v), want %s as before", c.ListenAddr(), c.ListenError(), bound)
	}

	// The port it holds, on every address: the restart lets it go first.
	_, port := address.Split(bound)
	if err := c.ApplySettings(Settings{Listen: true, ListenAddress: ":" + port, SSL: true}); err != nil {
		t.Fatalf("moving to every address on the port held: %v", err)
	}
	if _, got := address.Split(c.ListenAddr()); got != port || c.ListenError() != nil {
		t.Errorf("listening on %q (%v), want port %s", c.ListenAddr(), c.ListenError(), port)
	}
}

// The log says what an edit changed, not only that there was one.
func TestAnEditIsLoggedWithWhatItChanged(t *testing.T) {
	c := startConsole(t, false, nil)
	dead := freeport.Closed(t)
	if _, err := c.AddSlave(SlaveSpec{Name: "FS01", Direction: store.Outbound, Address: dead, Password: []byte("pw"), Group: "Acme"}); err != nil {
		t.Fatal(err)
	}
	v, _ := c.Slave("FS01")
	moved := freeport.Closed(t)
	spec := v.DialedAt(moved)
	spec.Group, spec.Notes = "Globex", "moved to the new rack"
	if _, err := c.EditSlave("FS01", spec); err != nil {
		t.Fatal(err)
	}
	e := c.waitFor(t, "the edit", func(e Event) bool { return e.Kind == store.KindEdited })
	if want := "slave edited: address " + dead + " → " + moved + ", group Acme → Globex, notes changed"; e.Reason != want {
		t.Errorf("logged %q,\nwant %q", e.Reason, want)
	}
}
