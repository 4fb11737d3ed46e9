package console

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lanyard/lanyard/core/backup"
	"github.com/lanyard/lanyard/core/health"
	"github.com/lanyard/lanyard/core/master"
)

func TestACheckIsCriticalForOutagesAndFailuresAndWarnsOfLateness(t *testing.T) {
	now := time.Date(2026, 12, 3, 15, 0, 0, 0, time.Local)
	views := []master.SlaveView{{Name: "FS01", Group: "Acme", State: master.StateConnected},
		{Name: "FS02", Group: "Acme", State: master.StateError}, {Name: "WEB", Group: "Globex", State: master.StateConnected}}
	r := struct {
		Rows   []health.Row
		Alerts []health.Alert
	}{
		Rows: []health.Row{{Slave: "FS01", Group: "Acme", Task: "docs", Eval: health.Eval{State: health.StateOverdue}},
			{Slave: "WEB", Group: "Globex", Task: "site", Eval: health.Eval{State: health.StateFailed}}},
		Alerts: []health.Alert{
			{Kind: health.AlertOverdue, Slave: "FS01", Task: "docs", Since: now.Add(-2 * time.Hour),
				Row: health.Row{Group: "Acme", LastSuccess: now.Add(-50 * time.Hour)}},
			{Kind: health.AlertOffline, Slave: "FS02", Since: now.Add(-time.Hour), Row: health.Row{Group: "Acme"}},
			{Kind: health.AlertFailed, Slave: "WEB", Task: "site", Since: now.Add(-time.Minute),
				Row: health.Row{Group: "Globex", LastError: "disk full\nLANYARD OK - all is well"}},
		},
	}
	cases := []struct {
		group, slave string
		code         int
		want         string
	}{
		{"", "", checkCritical, "LANYARD CRITICAL - 1 server offline, 1 backup failed, 1 backup overdue; 3 servers, 2 connected; 2 backup tasks | servers=3 connected=2 offline=0 error=1 disconnected=0 muted=0 tasks=2 failed=1 overdue=1 dest_full=0 warned=0 never_linked=1\n" +
			"FS01 / docs: overdue since 13:00:00 (2 h 0 min ago), last success 1 Dec 2026 13:00 (2 d 2 h ago)\n" +
			"FS02: offline since 14:00:00 (1 h 0 min ago), now in error: it answers but refuses this console\n" +
			"WEB / site: failed since 14:59:00 (1 min ago): \"disk full\\nLANYARD OK - all is well\"\n"},
		{"acme", "", checkCritical, "LANYARD CRITICAL - 1 server offline, 1 backup overdue; 2 servers, 1 connected; 1 backup task | servers=2 connected=1 offline=0 error=1 disconnected=0 muted=0 tasks=1 failed=0 overdue=1 dest_full=0 warned=0 never_linked=1\n" +
			"FS01 / docs: overdue since 13:00:00 (2 h 0 min ago), last success 1 Dec 2026 13:00 (2 d 2 h ago)\n" +
			"FS02: offline since 14:00:00 (1 h 0 min ago), now in error: it answers but refuses this console\n"},
		// One server, as a monitoring system with a service per server asks.
		{"", "fs01", checkWarning, "LANYARD WARNING - 1 backup overdue; 1 server, 1 connected; 1 backup task | servers=1 connected=1 offline=0 error=0 disconnected=0 muted=0 tasks=1 failed=0 overdue=1 dest_full=0 warned=0 never_linked=0\n" +
			"FS01 / docs: overdue since 13:00:00 (2 h 0 min ago), last success 1 Dec 2026 13:00 (2 d 2 h ago)\n"},
		{"Globex", "web", checkCritical, "LANYARD CRITICAL - 1 backup failed; 1 server, 1 connected; 1 backup task | servers=1 connected=1 offline=0 error=0 disconnected=0 muted=0 tasks=1 failed=1 overdue=0 dest_full=0 warned=0 never_linked=0\n" +
			"WEB / site: failed since 14:59:00 (1 min ago): \"disk full\\nLANYARD OK - all is well\"\n"},
	}
	for _, c := range cases {
		res, err := newCheckResult(views, r.Rows, r.Alerts, fleetScope{group: c.group, slave: c.slave}, now)
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		res.write(&out, now)
		if res.Code != c.code || out.String() != c.want {
			t.Errorf("group %q, slave %q: code %d, want %d:\n%s\nwant:\n%s", c.group, c.slave, res.Code, c.code, out.String(), c.want)
		}
	}
	// Lateness alone warns; a failure not yet past the grace (no alert in
	// force) is counted but is not news.
	if res, _ := newCheckResult(views, r.Rows, r.Alerts, fleetScope{group: "globex"}, now); res.Code != checkCritical {
		t.Errorf("Globex with a failed backup: code %d", res.Code)
	}
	r.Alerts = r.Alerts[:1]
	if res, _ := newCheckResult(views, r.Rows, r.Alerts, fleetScope{group: "Globex"}, now); res.Code != checkOK {
		t.Errorf("Globex with nothing in force: code %d", res.Code)
	}
	if res, _ := newCheckResult(views, r.Rows, r.Alerts, fleetScope{group: "Acme"}, now); res.Code != checkWarning {
		t.Errorf("an overdue backup alone: code %d, want WARNING", res.Code)
	}
}

// Many servers offline together: the details open with what that points
// to, the line the alert mail opens with.
func TestACheckSaysWhenManyWentOfflineTogether(t *testing.T) {
	now := time.Date(2026, 12, 3, 15, 0, 0, 0, time.Local)
	var views []master.SlaveView
	var alerts []health.Alert
	for i := range 5 {
		name := fmt.Sprintf("acme-%d", i)
		views = append(views, master.SlaveView{Name: name, Group: "Acme", State: master.StateOffline})
		alerts = append(alerts, health.Alert{Kind: health.AlertOffline, Slave: name, Since: now.Add(-time.Hour + time.Duration(i)*time.Second)})
	}
	res, err := newCheckResult(views, nil, alerts, fleetScope{}, now)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	res.write(&out, now)
	lines := strings.Split(out.String(), "\n")
	if len(lines) < 3 || !strings.HasPrefix(lines[0], "LANYARD CRITICAL - 5 servers offline;") ||
		lines[1] != "5 servers went offline within 2 min, from 14:00: a network outage (this console's connection, or their site's) is likelier than 5 servers down." ||
		!strings.HasPrefix(lines[2], "acme-0: offline since 14:00:00") {
		t.Errorf("the check:\n%s", out.String())
	}
}

// A destination that may not take the next runs warns, with a line
// that says how; a muted server's does not, as nothing of it is news.
// Its alert, once announced, is the same news: it is not counted twice,
// nor made critical.
func TestACheckWarnsOfADestinationNearlyFull(t *testing.T) {
	now := time.Date(2026, 12, 3, 15, 0, 0, 0, time.Local)
	views := []master.SlaveView{{Name: "FS01", Group: "Acme", State: master.StateConnected},
		{Name: "FS02", Group: "Acme", State: master.StateConnected, MutedUntil: now.Add(time.Hour)}}
	full := health.DestSpace{Free: 80 << 30, Total: 2 << 40, Wrote: 1 << 30}
	rows := []health.Row{{Slave: "FS01", Group: "Acme", Task: "docs", Eval: health.Eval{State: health.StateOK}, Dest: full},
		{Slave: "FS02", Group: "Acme", Task: "docs", Eval: health.Eval{State: health.StateOK}, Dest: full, MutedUntil: now.Add(time.Hour)}}
	alerts := []health.Alert{{Kind: health.AlertFull, Slave: "FS01", Task: "docs", Since: now, Row: rows[0]}}
	checkSays(t, views, rows, alerts, fleetScope{}, now, checkWarning,
		"LANYARD WARNING - 1 task's destination nearly full; 2 servers, 2 connected, 1 muted; 2 backup tasks | servers=2 connected=2 offline=0 error=0 disconnected=0 muted=1 tasks=2 failed=0 overdue=0 dest_full=1 warned=0 never_linked=0\n"+
			"FS01 / docs: the destination is 96 % full (80.0 GiB free of 2.0 TiB)\n")
}

// Copies a verify found damaged warn, counted apart from the servers
// offline, with a line that says what was found.
func TestACheckWarnsOfDamagedCopies(t *testing.T) {
	now := time.Date(2026, 12, 3, 15, 0, 0, 0, time.Local)
	views := []master.SlaveView{{Name: "FS01", Group: "Acme", State: master.StateConnected}}
	rows := []health.Row{{Slave: "FS01", Group: "Acme", Task: "docs", Eval: health.Eval{State: health.StateOK}, LastDamaged: 2}}
	alerts := []health.Alert{{Kind: health.AlertDamaged, Slave: "FS01", Task: "docs", Since: now.Add(-time.Hour), Row: rows[0]}}
	checkSays(t, views, rows, alerts, fleetScope{}, now, checkWarning,
		"LANYARD WARNING - 1 backup with damaged copies; 1 server, 1 connected; 1 backup task | servers=1 connected=1 offline=0 error=0 disconnected=0 muted=0 tasks=1 failed=0 overdue=0 dest_full=0 warned=0 never_linked=0\n"+
			"FS01 / docs: damaged copies since 14:00:00 (1 h 0 min ago): 2 copies found damaged (the destination's disk may be failing; the next run copies them afresh and mends the older snapshots)\n")
}

// A run that could not read a file raises no state (it is no alert), but
// the performance data counts it, so that a monitoring system may graph
// it or put a threshold of its own on it; damaged copies are counted as
// such, not as warnings.
func TestACheckCountsTheRunsWithWarningsWithoutWarning(t *testing.T) {
	now := time.Date(2026, 12, 3, 15, 0, 0, 0, time.Local)
	views := []master.SlaveView{{Name: "FS01", Group: "Acme", State: master.StateConnected}}
	warned := health.Row{Slave: "FS01", Group: "Acme", Task: "docs", Eval: health.Eval{State: health.StateOK},
		LastResult: backup.ResultWarnings, LastWarnings: 1, LastWarning: "/srv/docs/locked.pst: permission denied"}
	damaged := warned
	damaged.Task, damaged.LastDamaged = "pics", 1
	checkSays(t, views, []health.Row{warned, damaged}, nil, fleetScope{}, now, checkOK,
		"LANYARD OK - 1 server, 1 connected; 2 backup tasks | servers=1 connected=1 offline=0 error=0 disconnected=0 muted=0 tasks=2 failed=0 overdue=0 dest_full=0 warned=1 never_linked=0\n")
}

// checkSays runs a check of scope at now and holds its code and its
// words to want.
func checkSays(t *testing.T, views []master.SlaveView, rows []health.Row, alerts []health.Alert, scope fleetScope, now time.Time, code int, want string) {
	t.Helper()
	res, err := newCheckResult(views, rows, alerts, scope, now)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	res.write(&out, now)
	if res.Code != code || out.String() != want {
		t.Errorf("code %d, want %d:\n%s\nwant:\n%s", res.Code, code, out.String(), want)
	}
}

// A server that keeps refusing a copy of itself (a cloned VM dialing in
// under its name) warns, with a line that says where the copy is, for as
// long as the copy keeps dialing; a muted server's does not.
func TestACheckWarnsOfAServerClaimedByAnotherAgent(t *testing.T) {
	now := time.Date(2026, 12, 3, 15, 0, 0, 0, time.Local)
	copyOf := func(at time.Time) master.Rival {
		return master.Rival{Code: "shared_install", From: "198.51.100.9", At: at}
	}
	views := []master.SlaveView{
		{Name: "FS01", Group: "Acme", State: master.StateConnected, Rival: copyOf(now.Add(-40 * time.Second))},
		{Name: "FS02", Group: "Acme", State: master.StateConnected, Rival: copyOf(now.Add(-master.RivalFresh))}, // it stopped
		{Name: "FS03", Group: "Acme", State: master.StateConnected, Rival: copyOf(now), MutedUntil: now.Add(time.Hour)}}
	checkSays(t, views, nil, nil, fleetScope{}, now, checkWarning,
		"LANYARD WARNING - 1 server claimed by another agent; 3 servers, 3 connected, 1 muted; 0 backup tasks | servers=3 connected=3 offline=0 error=0 disconnected=0 muted=1 tasks=0 failed=0 overdue=0 dest_full=0 warned=0 never_linked=0\n"+
			"FS01: a copy of this server at 198.51.100.9, refused 14:59:20 (40 s ago)\n")
}

// A server that never linked because it answers and refuses this
// console (a wrong password) raises no outage alert, yet warns, named
// with why; one that is only offline (perhaps not set up yet) does not,
// nor does a muted one.
func TestACheckWarnsOfAServerThatNeverLinkedBecauseItRefusesThisConsole(t *testing.T) {
	now := time.Date(2026, 12, 3, 15, 0, 0, 0, time.Local)
	views := []master.SlaveView{
		{Name: "FS01", Group: "Acme", State: master.StateConnected, LastSeen: now},
		{Name: "FS02", Group: "Acme", State: master.StateError,
			LastError: "wrong management password for FS02: 192.0.2.7:16888 refused it;\nenter the same password on the console and on the agent"},
		{Name: "FS03", Group: "Acme", State: master.StateOffline},
		{Name: "FS04", Group: "Acme", State: master.StateError, LastError: "wrong management password", MutedUntil: now.Add(time.Hour)}}
	checkSays(t, views, nil, nil, fleetScope{}, now, checkWarning,
		"LANYARD WARNING - 1 server refusing this console; 4 servers, 1 connected, 1 muted; 0 backup tasks | servers=4 connected=1 offline=1 error=2 disconnected=0 muted=1 tasks=0 failed=0 overdue=0 dest_full=0 warned=0 never_linked=3\n"+
			"FS02: never linked: wrong management password for FS02: 192.0.2.7:16888 refused it; enter the same password on the console and on the agent\n")
	views[1].LastSeen = now.Add(-time.Hour) // linked before: its outage is the alert, past the grace
	checkSays(t, views, nil, nil, fleetScope{}, now, checkOK,
		"LANYARD OK - 4 servers, 1 connected, 1 muted; 0 backup tasks | servers=4 connected=1 offline=1 error=2 disconnected=0 muted=1 tasks=0 failed=0 overdue=0 dest_full=0 warned=0 never_linked=2\n")
}

// A server the user disconnected is counted apart, and its tasks not at
// all: its overdue backup is not a warning (the console announces
// nothing of it, so it raised no alert), nor in the performance data. A
// server whose alerts are muted is counted as muted, its tasks as any
// other's; its failure, announced to nobody, is no alert either.
func TestACheckLeavesADisconnectedServersTasksOut(t *testing.T) {
	now := time.Now()
	views := []master.SlaveView{{Name: "FS01", Group: "Acme", State: master.StateConnected},
		{Name: "FS02", Group: "Acme", State: master.StateDisabled},
		{Name: "FS03", Group: "Acme", State: master.StateConnected, MutedUntil: now.Add(time.Hour)},
		{Name: "FS04", Group: "Acme", State: master.StateConnected, MutedUntil: now.Add(-time.Hour)}} // its mute ended
	rows := []health.Row{{Slave: "FS01", Group: "Acme", Task: "docs", Eval: health.Eval{State: health.StateOK}},
		{Slave: "FS02", Group: "Acme", Task: "docs", Eval: health.Eval{State: health.StateOverdue}, Disconnected: true},
		{Slave: "FS03", Group: "Acme", Task: "docs", Eval: health.Eval{State: health.StateFailed}}}
	checkSays(t, views, rows, nil, fleetScope{group: "Acme"}, now, checkOK,
		"LANYARD OK - 4 servers, 3 connected, 1 disconnected, 1 muted; 2 backup tasks | servers=4 connected=3 offline=0 error=0 disconnected=1 muted=1 tasks=2 failed=1 overdue=0 dest_full=0 warned=0 never_linked=0\n")
}

func TestACheckOfNoServerIsAMistake(t *testing.T) {
	views := []master.SlaveView{{Name: "FS01", Group: "Acme"}, {Name: "WEB", Group: "Globex"}}
	for scope, want := range map[fleetScope]string{
		{group: "Initech"}:               `no server is in the group "Initech"`,
		{slave: "FS09"}:                  `no server is named "FS09"`,
		{group: "Globex", slave: "fs01"}: `no server named "fs01" is in the group "Globex"`,
	} {
		if _, err := newCheckResult(views, nil, nil, scope, time.Now()); err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%+v: %v, want %q", scope, err, want)
		}
	}
	// A fleet with no server yet is not a mistake in the command.
	if res, err := newCheckResult(nil, nil, nil, fleetScope{}, time.Now()); err != nil || res.Code != checkOK {
		t.Errorf("an empty fleet: %+v %v", res, err)
	}
}

// Mail that is not getting through is a warning of the whole fleet's
// check, with the mail server's words and what waits; mail that is fine
// adds its count to the performance data alone.
func TestACheckWarnsWhileMailIsNotGettingThrough(t *testing.T) {
	now := time.Date(2026, 12, 3, 15, 0, 0, 0, time.Local)
	views := []master.SlaveView{{Name: "FS01", State: master.StateConnected}}
	res, err := newCheckResult(views, nil, nil, fleetScope{}, now)
	if err != nil {
		t.Fatal(err)
	}
	res.withMail(master.MailStatus{Failing: true, Error: `the mail server said "421 4.3.2 service not available"`,
		Since: now.Add(-20 * time.Minute), NextTry: now.Add(5 * time.Minute), Alerts: 2})
	var out bytes.Buffer
	res.write(&out, now)
	want := "LANYARD WARNING - mail not getting through; 1 server, 1 connected; 0 backup tasks | servers=1 connected=1 offline=0 error=0 disconnected=0 muted=0 tasks=0 failed=0 overdue=0 dest_full=0 warned=0 never_linked=0 mail_waiting=2\n" +
		"mail: NOT getting through since 14:40: the mail server said \"421 4.3.2 service not available\"; 2 alerts waiting, tried again at 15:05\n"
	if res.Code != checkWarning || out.String() != want {
		t.Errorf("code %d:\n%s\nwant:\n%s", res.Code, out.String(), want)
	}

	res, _ = newCheckResult(views, nil, nil, fleetScope{}, now)
	res.withMail(master.MailStatus{})
	out.Reset()
	res.write(&out, now)
	if want := "LANYARD OK - 1 server, 1 connected; 0 backup tasks | servers=1 connected=1 offline=0 error=0 disconnected=0 muted=0 tasks=0 failed=0 overdue=0 dest_full=0 warned=0 never_linked=0 mail_waiting=0\n"; res.Code != checkOK || out.String() != want {
		t.Errorf("with mail fine, code %d:\n%s\nwant:\n%s", res.Code, out.String(), want)
	}
}
