package master

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/lanyard/lanyard/core/agent"
	"github.com/lanyard/lanyard/core/backup"
	"github.com/lanyard/lanyard/core/store"
	"github.com/lanyard/lanyard/core/wire"
	"github.com/lanyard/lanyard/core/wire/pb"
	"github.com/lanyard/lanyard/internal/freeport"
	"github.com/lanyard/lanyard/internal/testkit"
	"github.com/sirupsen/logrus"
)

// startAgentWith is startAgent (listening on loopback) with changes to
// the agent's configuration.
func startAgentWith(t *testing.T, name, password string, ssl bool, configure func(*agent.Config)) *agent.Agent {
	t.Helper()
	return testkit.Agent(t, testkit.AgentOptions{Name: name, Password: password, SSL: ssl, Listen: true,
		Tune: func(c *agent.Config) {
			c.Version = "test-7.1"
			if configure != nil {
				configure(c)
			}
		}})
}

// linked is a console with one outbound slave FS01, linked.
func linked(t *testing.T, ssl bool, configure func(*agent.Config)) (*console, *agent.Agent) {
	t.Helper()
	c := startConsole(t, ssl, nil)
	a := startAgentWith(t, "FS01", "pw-one", ssl, configure)
	if _, err := c.AddSlave(SlaveSpec{Name: "FS01", Direction: store.Outbound, Address: a.ListenAddr(), Password: []byte("pw-one")}); err != nil {
		t.Fatal(err)
	}
	c.waitState(t, "FS01", StateConnected)
	return c, a
}

// addDownSlave adds FS01, outbound to a port nobody listens on, and waits
// for its first dial to fail (offline is also where an entry starts).
func addDownSlave(t *testing.T, c *console) {
	t.Helper()
	addr := freeport.Closed(t)
	if _, err := c.AddSlave(SlaveSpec{Name: "FS01", Direction: store.Outbound, Address: addr, Password: []byte("pw")}); err != nil {
		t.Fatal(err)
	}
	c.until(t, "FS01's first dial fails", func() bool { v, _ := c.Slave("FS01"); return v.LastError != "" })
}

func lastAudit(t *testing.T, c *console) store.AuditRecord {
	t.Helper()
	recs, err := c.Audit(AuditFilter{Slave: "fs01", Last: 1})
	if err != nil || len(recs) != 1 {
		t.Fatalf("audit: %v, %v", recs, err)
	}
	return recs[0]
}

func TestACommandForAnOfflineSlaveIsRefusedAtOnceAndAudited(t *testing.T) {
	c := startConsole(t, false, nil)
	addDownSlave(t, c)
	ctx := WithOrigin(context.Background(), "command line (uid 1000)")
	_, err := c.SetAgentSettings(ctx, "fs01", &pb.SettingsSetRequest{Ssl: ptrTo(true)})
	var nl *NotLinkedError
	if !errors.As(err, &nl) || !errors.Is(err, ErrNotLinked) || !strings.Contains(err.Error(), "FS01 is offline") ||
		!strings.Contains(err.Error(), "nothing was sent") {
		t.Fatalf("a command for an offline slave: %v", err)
	}
	r := lastAudit(t, c)
	if r.Slave != "FS01" || r.Command != "settings set: ssl on" || !strings.HasPrefix(r.Result, "refused: FS01 is offline") ||
		r.Origin != "command line (uid 1000)" {
		t.Fatalf("audit record %+v", r)
	}
	c.waitFor(t, "the audit's event", func(e Event) bool { return e.Kind == EventAudit && e.Slave == "FS01" })
	if _, err := c.AgentSettings(context.Background(), "nobody"); err == nil || err.Error() != `no slave named "nobody"` {
		t.Fatalf("a command for an unknown slave: %v", err)
	}
	if _, err := c.AgentSettings(context.Background(), "FS10"); err == nil || err.Error() != `no slave named "FS10" (did you mean FS01?)` {
		t.Fatalf("a command for a slave named with a slip: %v", err)
	}
}

// A refused command says why the slave is not linked, from the state
// its transitions left it in, and when this console last had a link with
// it. A slave that is down stays "offline" while its redialer tries
// again: each retry is not news, the failure is.
func TestARefusedCommandSaysWhyTheSlaveIsNotLinked(t *testing.T) {
	at := time.Date(2026, 3, 7, 10, 0, 0, 0, time.Local)
	now := at.Add(time.Minute)
	seen := time.Date(2026, 3, 6, 14, 3, 0, 0, time.Local)
	out := store.Slave{Name: "FS01", Direction: store.Outbound, Address: "127.0.0.1:16888"}
	outSeen := out
	outSeen.LastSeen = seen
	in := store.Slave{Name: "FS01", Direction: store.Inbound}
	inSeen := in
	inSeen.LastSeen = seen
	refused := func(s *slave) { s.failed(wire.CodeDialFailed, "connection refused", at.Add(2*time.Second)) }
	cases := []struct {
		name  string
		entry store.Slave
		steps func(s *slave)
		want  string
	}{
		{"never dialed", out, func(*slave) {}, "FS01 is offline, never linked to this console yet: nothing was sent"},
		{"never dialed, seen before", outSeen, func(*slave) {},
			"FS01 is offline, last seen 6 Mar 2026 14:03 (19 h 58 min ago): nothing was sent"},
		{"first attempt", out, func(s *slave) { s.connecting(at.Add(time.Second)) },
			"FS01 is connecting since 10:00:01, not connected yet: try again in a moment; nothing was sent"},
		{"failed", outSeen, refused,
			"FS01 is offline (connection refused), last seen 6 Mar 2026 14:03 (19 h 58 min ago): nothing was sent"},
		{"retrying after a failure", outSeen, func(s *slave) {
			refused(s)
			s.connecting(at.Add(3 * time.Second))
		}, "FS01 is offline (connection refused), last seen 6 Mar 2026 14:03 (19 h 58 min ago), trying again now: nothing was sent"},
		{"link ended", out, func(s *slave) {
			s.linked(nil, at.Add(10*time.Second))
			s.closed(wire.CodeTimeout, "no frame for 45 s", at.Add(20*time.Second))
		}, "FS01 is offline (no frame for 45 s), last seen 10:00:20 (40 s ago): nothing was sent"},
		{"waiting for an inbound slave", in, func(*slave) {}, "FS01 is offline: it has never dialed in to this console; nothing was sent"},
		{"an inbound slave seen before", inSeen, func(*slave) {},
			"FS01 is offline: it has not dialed in to this console since 6 Mar 2026 14:03 (19 h 58 min ago); nothing was sent"},
		{"refused by the agent", out, func(s *slave) { s.failed(wire.CodeAuthFailed, "wrong management password", at.Add(2*time.Second)) },
			"FS01 is not linked (wrong management password), never linked to this console yet: nothing was sent"},
		{"disconnected by the user", out, func(s *slave) { s.disabled(at.Add(4 * time.Second)) },
			"FS01 is disconnected (you disconnected it): Connect it first; nothing was sent"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newSlave(tc.entry, at)
			tc.steps(s)
			if got := notLinkedReason(s, now); got != tc.want {
				t.Fatalf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

// A server that is down stays offline (or in error) while its redialer
// tries it again, rather than flickering to connecting at every try; the
// view says a try is under way. A try the user asked for shows as
// connecting.
func TestARetryKeepsTheFailuresState(t *testing.T) {
	at := time.Date(2026, 3, 7, 10, 0, 0, 0, time.Local)
	s := newSlave(store.Slave{Name: "FS01", Direction: store.Outbound, Address: "127.0.0.1:16888"}, at)
	step := func(what string, st State, retrying bool, since time.Time) {
		t.Helper()
		if v := s.view(); v.State != st || v.Retrying != retrying || !v.StateSince.Equal(since) {
			t.Fatalf("%s: %s retrying=%v since %s, want %s retrying=%v since %s", what, v.State, v.Retrying,
				v.StateSince.Format("15:04:05"), st, retrying, since.Format("15:04:05"))
		}
	}
	sec := func(n int) time.Time { return at.Add(time.Duration(n) * time.Second) }
	s.connecting(sec(1))
	step("the first try", StateConnecting, false, sec(1))
	s.failed(wire.CodeDialFailed, "connection refused", sec(2))
	step("it failed", StateOffline, false, sec(2))
	s.connecting(sec(3))
	step("a retry", StateOffline, true, sec(2))
	s.failed(wire.CodeDialFailed, "connection refused", sec(4))
	step("the retry failed the same way", StateOffline, false, sec(2))
	s.connecting(sec(5))
	s.failed(wire.CodeAuthFailed, "wrong password", sec(6))
	step("a retry failed otherwise", StateError, false, sec(6))
	s.connecting(sec(7))
	step("a retry of an error", StateError, true, sec(6))
	s.failed(wire.CodeAuthFailed, "wrong password", sec(8))
	s.kickDialer()
	s.connecting(sec(9))
	step("a try the user asked for", StateConnecting, false, sec(9))
	s.linked(nil, sec(10))
	step("linked", StateConnected, false, sec(10))
	s.closed(wire.CodeTimeout, "no frame for 45 s", sec(11))
	s.connecting(sec(12))
	step("the first try after a link ended", StateConnecting, false, sec(12))
}

// The same with a real redialer against a port nobody listens on: after
// the first failure, every state it publishes is offline.
func TestASlaveThatIsDownStaysOfflineWhileRetried(t *testing.T) {
	c := startConsole(t, false, nil)
	addDownSlave(t, c)
	// A state event holds the state when it was made, and its time, both
	// read under the console's lock: those made after the failure count.
	v, _ := c.Slave("FS01")
	failedAt := v.StateSince
	deadline := time.After(10 * time.Second)
	logged := 0 // the first failure's record may come meanwhile; no other
	for seen := 0; seen < 8; {
		select {
		case e := <-c.events:
			if e.IsRecord() && e.Slave == "FS01" && e.Kind == string(wire.CodeDialFailed) {
				if logged++; logged > 1 {
					t.Fatalf("a retry failing the same way was logged again: %+v", e)
				}
			}
			if e.Kind != EventState || e.Slave != "FS01" || !e.Time.After(failedAt) {
				continue
			}
			if e.State != StateOffline {
				t.Fatalf("a retry published %s", e.State)
			}
			seen++
		case <-deadline:
			t.Fatalf("only %d state changes within 10s", seen)
		}
	}
	// A try a person asks for (Connect) is news again.
	if err := c.Connect("FS01"); err != nil {
		t.Fatal(err)
	}
	c.waitFor(t, "the failure of the try asked for, logged", func(e Event) bool {
		return e.IsRecord() && e.Slave == "FS01" && e.Kind == string(wire.CodeDialFailed)
	})
}

// A server that is down can be disconnected: its redialer stops, and it
// stays disconnected across a restart of the console.
func TestDisconnectingASlaveThatIsDownStopsItsRetries(t *testing.T) {
	c := startConsole(t, false, nil)
	addDownSlave(t, c)
	if err := c.Disconnect("FS01"); err != nil {
		t.Fatal(err)
	}
	c.waitState(t, "FS01", StateDisabled)
	c.mu.Lock()
	dialing := c.byName["fs01"].stopDial != nil
	c.mu.Unlock()
	if dialing {
		t.Fatal("FS01 is still dialed after Disconnect")
	}
	c.stop()
	again := startConsoleWith(t, false, c.db, nil)
	if v, _ := again.Slave("FS01"); v.State != StateDisabled {
		t.Fatalf("after a restart FS01 is %s, want disabled", v.State)
	}
}

func TestACommandForASlaveWithManagementOffSaysSo(t *testing.T) {
	c := startConsole(t, false, nil)
	a := startAgentWith(t, "FS01", "pw-one", false, nil)
	if _, err := a.SetManagement(false); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AddSlave(SlaveSpec{Name: "FS01", Direction: store.Outbound, Address: a.ListenAddr(), Password: []byte("pw-one")}); err != nil {
		t.Fatal(err)
	}
	c.waitState(t, "FS01", StateError)
	_, err := c.AgentSettings(context.Background(), "FS01")
	if !errors.Is(err, ErrNotLinked) || !strings.Contains(err.Error(), "does not accept remote management") {
		t.Fatalf("a command with management off: %v", err)
	}
}

func TestAMethodTheAgentLacksIsNotSupportedByItsVersion(t *testing.T) {
	c, _ := linked(t, false, func(cfg *agent.Config) { cfg.WithoutMethods = []string{wire.MethodSettingsGet, wire.MethodSettingsSet} })
	// What it knows still works.
	rep, err := c.RemoteStatus(context.Background(), "FS01")
	if err != nil {
		t.Fatal(err)
	}
	if d := rep.ClockSkew; d > time.Second || d < -time.Second {
		t.Fatalf("clock skew %s between two clocks of one machine", d)
	}
	if v, _ := c.Slave("FS01"); v.Status == nil || v.Status.TimeUnixNano == 0 {
		t.Fatalf("the fresh status was not kept: %+v", v.Status)
	}
	_, err = c.AgentSettings(context.Background(), "FS01")
	var ns *NotSupportedError
	if !errors.As(err, &ns) || err.Error() != "FS01: the agent's settings is not supported by this agent version (test-7.1): upgrade lanyard-agent on it" {
		t.Fatalf("settings on an agent without them: %v", err)
	}
}

func TestSettingsAreChangedAndTheChangeIsAudited(t *testing.T) {
	c, a := linked(t, false, nil)
	extra := "192.0.2.10:16888"
	resp, err := c.SetAgentSettings(context.Background(), "FS01", &pb.SettingsSetRequest{MastersAdd: []string{extra}})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Changes) == 0 || !strings.Contains(resp.Changes[0], "masters: added "+extra) {
		t.Fatalf("changes %q", resp.Changes)
	}
	if ms := a.Snapshot().Masters; len(ms) != 1 || ms[0].Address != extra {
		t.Fatalf("the agent's masters: %+v", ms)
	}
	if r := lastAudit(t, c); r.Command != "settings set: masters add "+extra || r.Result != "ok" || r.Origin != "window" {
		t.Fatalf("audit %+v", r)
	}
	// The agent's own refusal comes back in its words, and is audited.
	_, err = c.SetAgentSettings(context.Background(), "FS01", &pb.SettingsSetRequest{Listen: ptrTo("nonsense:port")})
	var ae *AgentError
	if !errors.As(err, &ae) || !ae.Mistake() || !strings.HasPrefix(err.Error(), `FS01 answered: `) ||
		!strings.Contains(err.Error(), `port "port" is not a number`) || strings.Contains(err.Error(), `\"`) {
		t.Fatalf("a bad listen address: %v", err)
	}
	if r := lastAudit(t, c); !strings.HasPrefix(r.Result, "failed: FS01 answered") {
		t.Fatalf("audit of a refused change %+v", r)
	}
}

// A command given up here (a dialog's Cancel, Ctrl-C at the command
// line) says so in words, which the audit keeps too, and still reads as
// a cancel to the callers that stay quiet about one.
func TestACancelledCommandSaysSoInWords(t *testing.T) {
	c, _ := linked(t, false, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := c.SetAgentSettings(ctx, "FS01", &pb.SettingsSetRequest{MastersAdd: []string{"192.0.2.10:16888"}})
	const want = "cancelled before FS01 answered: the command may still be carried out"
	if !errors.Is(err, context.Canceled) || !errors.Is(err, ErrNoAnswer) || err.Error() != want {
		t.Fatalf("a cancelled command: %v", err)
	}
	if r := lastAudit(t, c); r.Result != "failed: "+want {
		t.Fatalf("its audit: %+v", r)
	}
	// A question changes nothing: it is only said to be given up.
	if _, err := c.AgentSettings(ctx, "FS01"); !errors.Is(err, context.Canceled) || errors.Is(err, ErrNoAnswer) || err.Error() != "cancelled before FS01 answered" {
		t.Fatalf("a cancelled question: %v", err)
	}
}

// The settings name the consoles linked to the agent, this one marked,
// each with its round trip, in the words the window and the command
// line both show.
func TestTheSettingsDescribeTheConsolesLinkedNow(t *testing.T) {
	c, _ := linked(t, false, nil)
	s, err := c.AgentSettings(context.Background(), "FS01")
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Consoles) != 1 || !s.Consoles[0].You || s.Consoles[0].RttMs <= 0 {
		t.Fatalf("consoles linked %+v, want this one with its round trip", s.Consoles)
	}
	line := DescribeConsole(s.Consoles[0], time.Now())
	if !strings.HasPrefix(line, s.Consoles[0].Remote+" · dialed in · SSL off · since ") ||
		!strings.Contains(line, " · round trip ") || !strings.HasSuffix(line, " ms · this console") {
		t.Fatalf("described as %q", line)
	}
}

func TestAMasterIsDescribedInOneLine(t *testing.T) {
	now := time.Date(2026, 12, 6, 15, 0, 0, 0, time.Local)
	for _, c := range []struct {
		in   *pb.MasterInfo
		want string
	}{
		{&pb.MasterInfo{Address: "office.example.net:16888", State: "connected", SinceUnixNano: now.Add(-time.Hour).UnixNano(),
			LastError: "an old failure, mended since"}, "office.example.net:16888 · connected since 14:00:00"},
		{&pb.MasterInfo{Address: "192.0.2.7:16888", State: "error", SinceUnixNano: now.Add(-30 * time.Hour).UnixNano(), LastError: "connection refused"},
			"192.0.2.7:16888 · error since 5 Dec 2026 09:00: connection refused"},
		{&pb.MasterInfo{Address: "192.0.2.8:16888", State: "connecting"}, "192.0.2.8:16888 · connecting"},
	} {
		if got := DescribeMaster(c.in, now); got != c.want {
			t.Errorf("DescribeMaster(%v)\n got %q\nwant %q", c.in, got, c.want)
		}
	}
}

func TestALinkedConsoleIsDescribedInOneLine(t *testing.T) {
	now := time.Date(2026, 12, 6, 15, 0, 0, 0, time.Local)
	for _, c := range []struct {
		in   *pb.ConsoleInfo
		want string
	}{
		{&pb.ConsoleInfo{Remote: "10.0.0.9:50211", Ssl: true, SinceUnixNano: now.Add(-time.Hour).UnixNano(), RttMs: 0.4, You: true},
			"10.0.0.9:50211 · dialed in · SSL on · since 14:00:00 · round trip 0.4 ms · this console"},
		{&pb.ConsoleInfo{Remote: "10.0.0.2:16888", Master: "10.0.0.2:16888", SinceUnixNano: now.Add(-26 * time.Hour).UnixNano(), RttMs: 48.7},
			"10.0.0.2:16888 · dialed by the server · SSL off · since 5 Dec 2026 13:00 · round trip 48 ms"},
		{&pb.ConsoleInfo{Remote: "198.51.100.7:16888", Master: "office.example.net:16888", Ssl: true}, // an older agent: no round trip
			"198.51.100.7:16888 · dialed by the server as office.example.net:16888 · SSL on"},
	} {
		if got := DescribeConsole(c.in, now); got != c.want {
			t.Errorf("DescribeConsole(%v)\n got %q\nwant %q", c.in, got, c.want)
		}
	}
}

// What an agent's settings answer says is shown as it is when plain,
// quoted and cut when not: a hostile agent cannot write a line of its
// own into the window or a terminal.
func TestAnAgentsSettingsAreShownPlain(t *testing.T) {
	s := plainSettings(&pb.AgentSettings{Name: "FS01", ListenError: "bind: \x1b[2Jaddress in use",
		Masters:  []*pb.MasterInfo{{Address: "10.0.0.2:16888", State: "error", LastError: strings.Repeat("x", 2*maxAgentText)}},
		Consoles: []*pb.ConsoleInfo{{Remote: "10.0.0.9:1\nFS02 · dialed in", Software: "lanyard \u202e1.0"}}})
	if s.Name != "FS01" || s.Masters[0].Address != "10.0.0.2:16888" {
		t.Fatalf("plain words changed: %+v", s)
	}
	for what, v := range map[string]string{"listen error": s.ListenError, "last error": s.Masters[0].LastError,
		"remote": s.Consoles[0].Remote, "software": s.Consoles[0].Software} {
		if !strings.HasPrefix(v, `"`) || strings.ContainsAny(v, "\x1b\n\u202e") || len(v) > maxAgentText+10 {
			t.Errorf("the %s is shown as %q", what, v)
		}
	}
	if plainSettings(nil) != nil {
		t.Error("no settings became some")
	}
}

// What an agent says of its runs (the report, the progress, a task's
// last run, a snapshot) is shown as it is when plain, quoted and cut when
// not: the console's log, the History view and the command line show it.
func TestAnAgentsRunReportsAreShownPlain(t *testing.T) {
	forged := "disk full\nlevel=info msg=\"FS02: task docs: completed\""
	long := strings.Repeat("é", maxAgentText)
	r := reportFromAgent(&pb.RunReport{Task: "docs", Snapshot: "2026-12-06T020000Z", Result: "failed", Error: forged,
		Warnings: []string{"/srv/docs/a.txt: permission denied", long}, WarningCount: 2, Removed: []string{"2026-11-01\u202eT020000Z"},
		Destination: "/mnt/nas\n", Expect: "\x1b[2J", VerifyNote: forged})
	if r.Task != "docs" || r.Snapshot != "2026-12-06T020000Z" || r.Warnings[0] != "/srv/docs/a.txt: permission denied" {
		t.Fatalf("plain words changed: %+v", r)
	}
	for what, v := range map[string]string{"error": r.Error, "long warning": r.Warnings[1], "removed": r.Removed[0],
		"destination": r.Destination, "expected snapshot": r.Expect, "verify's note": r.VerifyNote} {
		if !strings.HasPrefix(v, `"`) || strings.ContainsAny(v, "\n\u202e") || len(v) > maxAgentText+10 {
			t.Errorf("the %s is shown as %q", what, v)
		}
	}
	if line := r.Ended(); strings.Contains(line, "\n") {
		t.Errorf("the log's line for the run is two lines: %q", line)
	}

	info := infoFromAgent(&pb.TaskInfo{Task: &pb.Task{Name: "docs"}, Running: true,
		Progress: &pb.Progress{Task: "docs", Phase: "copying", Current: "/srv/docs/\x1b[2Jreport.pdf"},
		LastRun:  &pb.RunReport{Task: "docs", Result: "failed", Error: forged}})
	if cur := info.Progress.Current; !strings.HasPrefix(cur, `"`) || strings.Contains(cur, "\x1b") || info.Progress.Phase != "copying" {
		t.Errorf("the file being copied is shown as %q (phase %q)", cur, info.Progress.Phase)
	}
	if e := info.LastRun.Error; !strings.HasPrefix(e, `"`) || strings.Contains(e, "\n") {
		t.Errorf("the last run's error is shown as %q", e)
	}
	if p := progressFromAgent(&pb.Progress{Task: "docs", Current: "/srv/docs/plain.txt"}); p.Current != "/srv/docs/plain.txt" {
		t.Errorf("a plain path became %q", p.Current)
	}
	snap := snapshotFromAgent(&pb.Snapshot{Id: "2026-12-06T020000Z", Result: "unreadable: \x1b[2Jsnapshot.json", Sources: []string{"/srv/docs"}})
	if snap.ID != "2026-12-06T020000Z" || !strings.HasPrefix(string(snap.Result), `"`) || snap.Sources[0] != "/srv/docs" {
		t.Errorf("a snapshot read as %+v", snap)
	}
}

// A command is in the audit from before it is sent: its answer takes the
// place of "sent, no answer yet" in the same record, and a record a
// stopped console left so says at the next start that no answer came.
func TestACommandIsAuditedBeforeItIsSentAndItsAnswerInPlace(t *testing.T) {
	db := testkit.Store(t, "console", store.Options{})
	sentAt := time.Now().Add(-time.Minute)
	if _, err := db.BeginAudit(store.AuditRecord{Time: sentAt, Slave: "FS01", Command: "password set", Result: store.AuditSent}); err != nil {
		t.Fatal(err)
	}
	// Read with no console running, it is already what the next start
	// makes of it.
	if recs, err := ReadAudit(db, AuditFilter{}); err != nil || len(recs) != 1 || recs[0].Result != unanswered {
		t.Fatalf("read with no console running: %+v, %v", recs, err)
	}
	log, hook := testkit.Logger()
	c := startConsoleWith(t, false, db, func(cfg *Config) { cfg.Logger = log })
	r := lastAudit(t, c)
	if r.Command != "password set" || !r.Time.Equal(sentAt) || r.Result != unanswered || !r.Problem() {
		t.Fatalf("the command the last console left unanswered: %+v", r)
	}
	if !slices.ContainsFunc(hook.AllEntries(), func(e *logrus.Entry) bool {
		return strings.HasPrefix(e.Message, "1 command sent before the console last stopped had no answer recorded")
	}) {
		t.Error("the console's log does not say a command had no answer")
	}

	a := startAgentWith(t, "FS01", "pw-one", false, nil)
	if _, err := c.AddSlave(SlaveSpec{Name: "FS01", Direction: store.Outbound, Address: a.ListenAddr(), Password: []byte("pw-one")}); err != nil {
		t.Fatal(err)
	}
	c.waitState(t, "FS01", StateConnected)
	if _, err := c.SetAgentSettings(context.Background(), "FS01", &pb.SettingsSetRequest{MastersAdd: []string{"192.0.2.10:16888"}}); err != nil {
		t.Fatal(err)
	}
	isAudit := func(e Event) bool { return e.Kind == EventAudit && e.Slave == "FS01" }
	c.waitFor(t, "the record made before the command was sent", isAudit)
	c.waitFor(t, "the answer put in it", isAudit)
	recs, err := c.Audit(AuditFilter{Slave: "FS01"})
	if err != nil || len(recs) != 2 || recs[1].Result != store.AuditOK || recs[1].Command != "settings set: masters add 192.0.2.10:16888" {
		t.Fatalf("after a command answered: %+v, %v; want one record for it, ok", recs, err)
	}
}

func TestAPasswordChangeKeepsTheLinkAndTheConsoleLinksAgainWithIt(t *testing.T) {
	c := startConsole(t, false, nil)
	a := startAgentWith(t, "FS01", "pw-one", false, nil)
	if _, err := c.AddSlave(SlaveSpec{Name: "FS01", Direction: store.Outbound, Address: a.ListenAddr(), Password: []byte("pw-one")}); err != nil {
		t.Fatal(err)
	}
	c.waitState(t, "FS01", StateConnected)
	if _, err := c.ChangePassword(context.Background(), "FS01", []byte("pw-two")); !errors.Is(err, ErrPasswordNeedsSSL) {
		t.Fatalf("a password change without SSL: %v", err)
	}

	// What is tested is the password change, not liveness: the links
	// here outlast the seconds Argon2id takes under -race on a loaded
	// machine, during which an 800 ms dead window can expire while the
	// process is starved (core/link's tests cover that).
	patient := func(cfg *Config) { cfg.DeadAfter = time.Minute }
	db := testkit.Store(t, "console", store.Options{})
	c = startConsoleWith(t, true, db, patient)
	a = startAgentWith(t, "FS01", "pw-one", true, func(cfg *agent.Config) { cfg.DeadAfter = time.Minute })
	if _, err := c.AddSlave(SlaveSpec{Name: "FS01", Direction: store.Outbound, Address: a.ListenAddr(), Password: []byte("pw-one")}); err != nil {
		t.Fatal(err)
	}
	before := c.waitState(t, "FS01", StateConnected)
	changes, err := c.ChangePassword(context.Background(), "FS01", []byte("pw-two"))
	if err != nil {
		t.Fatal(err)
	}
	if len(changes) == 0 || changes[0] != "password: changed" {
		t.Fatalf("changes %q", changes)
	}
	after, _ := c.Slave("FS01")
	if after.State != StateConnected || !after.ConnectedSince.Equal(before.ConnectedSince) {
		t.Fatalf("the link did not survive: %+v", after)
	}
	if _, err := c.RemoteStatus(context.Background(), "FS01"); err != nil {
		t.Fatalf("the link after the change: %v", err)
	}
	if r := lastAudit(t, c); r.Command != "password set" || r.Result != "ok" {
		t.Fatalf("audit %+v", r)
	}
	// A restarted console links with the key it saved.
	c.stop()
	c = startConsoleWith(t, true, db, patient)
	c.waitState(t, "FS01", StateConnected)
}

func TestTheAgentsLogComesThroughTheConsole(t *testing.T) {
	path := filepath.Join(t.TempDir(), "agent.log")
	content := "time=\"2026-01-02 10:00:00.000\" level=info msg=\"one\"\n" +
		"time=\"2026-01-02 10:00:01.000\" level=error msg=\"two\"\n"
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	c, _ := linked(t, false, func(cfg *agent.Config) { cfg.LogFile = path })
	var got []*pb.LogLine
	err := c.AgentLog(context.Background(), "FS01", LogQuery{All: true, MinLevel: "error"}, func(l []*pb.LogLine) error {
		got = append(got, l...)
		return nil
	})
	if err != nil || len(got) != 1 || !strings.Contains(got[0].Text, "two") || got[0].Level != "error" {
		t.Fatalf("log: %v, %+v", err, got)
	}
}

func ptrTo[T any](v T) *T { return &v }

func TestAStatusReportCarriesTheSlaveWithTheFreshStatusAndIsTheCallers(t *testing.T) {
	c, _ := linked(t, false, nil)
	// The status the console asks for at link time first: its answer
	// must not land after the one asked for here.
	c.until(t, "the link's first status", func() bool { v, _ := c.Slave("FS01"); return v.Status != nil })
	rep, err := c.RemoteStatus(context.Background(), "FS01")
	if err != nil {
		t.Fatal(err)
	}
	if rep.Slave.Name != "FS01" || rep.Slave.State != StateConnected || rep.Slave.Remote == "" {
		t.Fatalf("the report's slave: %+v", rep.Slave)
	}
	if rep.Slave.Status == nil || rep.Slave.Status.TimeUnixNano != rep.Status.TimeUnixNano || rep.Slave.ClockSkew != rep.ClockSkew {
		t.Fatalf("the report's slave has status %v and skew %s, want the fresh answer %v and %s",
			rep.Slave.Status, rep.Slave.ClockSkew, rep.Status, rep.ClockSkew)
	}
	// The report is the caller's: changing it changes nothing the console
	// keeps, which is this answer or one newer (an agent pushes its
	// status when it changes).
	rep.Status.Hostname, rep.Slave.Status.Hostname = "changed", "changed"
	if v, _ := c.Slave("FS01"); v.Status == nil || v.Status.Hostname == "changed" || v.Status.TimeUnixNano < rep.Status.TimeUnixNano {
		t.Fatalf("the console's kept status: %v", v.Status)
	}
}

// The audit of a group is that of the slaves in it now, in any case of
// its name; a group no slave is in is a mistake to say, not an empty
// audit.
func TestTheAuditOfAGroupIsItsSlavesCommands(t *testing.T) {
	db := testkit.Store(t, "console", store.Options{})
	for _, spec := range []SlaveSpec{
		{Name: "FS01", Group: "Acme", Direction: store.Inbound, Password: []byte("pw")},
		{Name: "FS02", Group: "Globex", Direction: store.Inbound, Password: []byte("pw")},
		{Name: "FS03", Group: "acme", Direction: store.Inbound, Password: []byte("pw")},
	} {
		if _, err := AddSlave(db, spec); err != nil {
			t.Fatal(err)
		}
	}
	for _, slave := range []string{"FS01", "FS02", "fs03", "FS09"} { // FS09: removed since
		if err := db.AppendAudit(store.AuditRecord{Slave: slave, Command: "task run: docs", Result: "ok"}); err != nil {
			t.Fatal(err)
		}
	}
	recs, err := ReadAudit(db, AuditFilter{Group: "ACME"})
	if err != nil || len(recs) != 2 || recs[0].Slave != "FS01" || recs[1].Slave != "fs03" {
		t.Fatalf("Acme's audit: %+v, %v", recs, err)
	}
	if recs, err := ReadAudit(db, AuditFilter{Group: "acme", Slave: "FS03"}); err != nil || len(recs) != 1 {
		t.Fatalf("FS03's of Acme's: %+v, %v", recs, err)
	}
	if _, err := ReadAudit(db, AuditFilter{Group: "Initech"}); err == nil || !strings.Contains(err.Error(), `no server is in the group "Initech"`) {
		t.Fatalf("a group nobody is in: %v", err)
	}
	// A running console knows its entries, and reads the same.
	c := startConsoleWith(t, false, db, nil)
	if live, err := c.Audit(AuditFilter{Group: "ACME"}); err != nil || !slices.Equal(live, recs) {
		t.Fatalf("Acme's audit from the running console: %+v, %v; want %+v", live, err, recs)
	}
}

// An agent's clock skew reads as every other time does: within a second
// is in step, then seconds to a tenth, then minutes and seconds.
func TestAClockSkewIsSaidInAPersonsWords(t *testing.T) {
	for d, want := range map[time.Duration]string{
		400 * time.Millisecond:                   "in step with this console (within a second)",
		-900 * time.Millisecond:                  "in step with this console (within a second)",
		2340 * time.Millisecond:                  "2.3 s ahead of this console",
		-(3*time.Minute + 4200*time.Millisecond): "3 min 4 s behind this console",
	} {
		if got := DescribeSkew(d); got != want {
			t.Errorf("DescribeSkew(%s) = %q, want %q", d, got, want)
		}
	}
}

// What an agent's files_exist answer names is bounded before anyone shows
// it, and an answer without a detail it can read (an older agent's, or a
// damaged one) is still a restore refused over files.
func TestAFilesExistDetailIsBoundedAndOptional(t *testing.T) {
	detail := func(fe *pb.FilesExist) []byte {
		b, err := proto.Marshal(fe)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	many := make([]string, 50)
	for i := range many {
		many[i] = "/srv/" + strings.Repeat("x", 5000)
	}
	for _, tt := range []struct {
		name   string
		detail []byte
		paths  int // -1: no *backup.ExistsError
	}{
		{"none, from an older agent", nil, -1},
		{"not a message", []byte{0xff, 0xff, 0xff}, -1},
		{"no file counted", detail(&pb.FilesExist{Paths: []string{"/srv/a"}}), -1},
		{"three files named", detail(&pb.FilesExist{Paths: []string{"/srv/a", "/srv/b", "/srv/c"}, Count: 24}), 3},
		{"fifty long names", detail(&pb.FilesExist{Paths: many, Count: 50}), maxExistingNamed},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := error(&AgentError{Slave: "FS01", Code: wire.ErrFilesExist, Message: "files exist", Detail: tt.detail})
			if !errors.Is(err, backup.ErrExists) {
				t.Fatalf("%v is not backup.ErrExists", err)
			}
			var ex *backup.ExistsError
			if got := errors.As(err, &ex); got != (tt.paths >= 0) {
				t.Fatalf("errors.As(*backup.ExistsError) = %v", got)
			}
			if tt.paths < 0 {
				return
			}
			if len(ex.Paths) != tt.paths {
				t.Errorf("%d paths named, want %d", len(ex.Paths), tt.paths)
			}
			for _, p := range ex.Paths {
				if len(p) > maxExistingPath {
					t.Errorf("a path of %d bytes kept", len(p))
				}
			}
		})
	}
}

// An agent's refusal reads as it wrote it when its words are plain, and
// is quoted and cut when they are not: a newline or a bidi override of a
// hostile agent cannot forge a line of the console's own.
func TestAnAgentsRefusalIsShownPlainOrQuoted(t *testing.T) {
	for _, tt := range []struct{ msg, want string }{
		{`listen port "99999" is out of range`, `FS01 answered: listen port "99999" is out of range`},
		{"busy\nFS02 answered: ok", `FS01 answered: "busy\nFS02 answered: ok"`},
		{"ok\u202etxt.exe", `FS01 answered: "ok\u202etxt.exe"`},
	} {
		if got := (&AgentError{Slave: "FS01", Message: tt.msg}).Error(); got != tt.want {
			t.Errorf("%q: %s, want %s", tt.msg, got, tt.want)
		}
	}
	long := (&AgentError{Slave: "FS01", Message: strings.Repeat("x", 2*maxAgentText)}).Error()
	if len(long) > maxAgentText+len(`FS01 answered: ""…`) || !strings.HasSuffix(long, `"…`) {
		t.Errorf("a long refusal is not cut: %d bytes", len(long))
	}
}

// A console follows an agent to its new port only where it dials the
// port the agent is bound to: not a port a router forwards, nor a port
// it leaves unchanged.
func TestAConsoleFollowsAnAgentToItsNewPortOnlyWhereItDialsItsOwn(t *testing.T) {
	listening := func(listen, bound string) *pb.AgentSettings {
		return &pb.AgentSettings{Listen: listen, ListenAddr: bound}
	}
	for _, c := range []struct {
		name, entry string
		now         *pb.AgentSettings
		next, want  string
	}{
		{"the port it dials", "10.0.0.4:16888", listening(":16888", "[::]:16888"), ":17000", "10.0.0.4:17000"},
		{"by name, on one address", "fs01.example.com:16888", listening(":16888", ""), "10.0.0.4:17000", "fs01.example.com:17000"},
		{"the port bound for any", "127.0.0.1:40123", listening("127.0.0.1:0", "127.0.0.1:40123"), "127.0.0.1:17000", "127.0.0.1:17000"},
		{"an IPv6 entry", "[2001:db8::4]:16888", listening(":16888", "[::]:16888"), ":17000", "[2001:db8::4]:17000"},
		{"a port a router forwards", "office.example.com:50000", listening(":16888", "[::]:16888"), ":17000", ""},
		{"the same port", "10.0.0.4:16888", listening(":16888", "[::]:16888"), "10.0.0.5:16888", ""},
		{"off", "10.0.0.4:16888", listening(":16888", "[::]:16888"), "off", ""},
		{"any port", "10.0.0.4:16888", listening(":16888", "[::]:16888"), ":0", ""},
	} {
		if got := FollowAddress(c.entry, c.now, c.next); got != c.want {
			t.Errorf("%s: FollowAddress(%s, %s → %s) = %q, want %q", c.name, c.entry, c.now.GetListen(), c.next, got, c.want)
		}
	}
}
