package console

import (
	"bytes"
	"testing"
	"time"

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
		group string
		code  int
		want  string
	}{
		{"", checkCritical, "LANYARD CRITICAL - 1 server offline, 1 backup failed, 1 backup overdue; 3 servers, 2 connected; 2 backup tasks | servers=3 connected=2 offline=0 error=1 tasks=2 failed=1 overdue=1\n" +
			"FS01 / docs: overdue since 13:00:00 (2 h 0 min ago), last success 1 Dec 2026 13:00 (2 d 2 h ago)\n" +
			"FS02: offline since 14:00:00 (1 h 0 min ago), now in error: it answers but refuses this console\n" +
			"WEB / site: failed since 14:59:00 (1 min ago): \"disk full\\nLANYARD OK - all is well\"\n"},
		{"acme", checkCritical, "LANYARD CRITICAL - 1 server offline, 1 backup overdue; 2 servers, 1 connected; 1 backup task | servers=2 connected=1 offline=0 error=1 tasks=1 failed=0 overdue=1\n" +
			"FS01 / docs: overdue since 13:00:00 (2 h 0 min ago), last success 1 Dec 2026 13:00 (2 d 2 h ago)\n" +
			"FS02: offline since 14:00:00 (1 h 0 min ago), now in error: it answers but refuses this console\n"},
	}
	for _, c := range cases {
		res, err := newCheckResult(views, r.Rows, r.Alerts, c.group)
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		res.write(&out, now)
		if res.Code != c.code || out.String() != c.want {
			t.Errorf("group %q: code %d, want %d:\n%s\nwant:\n%s", c.group, res.Code, c.code, out.String(), c.want)
		}
	}
	// Lateness alone warns; a failure not yet past the grace (no alert in
	// force) is counted but is not news.
	if res, _ := newCheckResult(views, r.Rows, r.Alerts, "globex"); res.Code != checkCritical {
		t.Errorf("Globex with a failed backup: code %d", res.Code)
	}
	r.Alerts = r.Alerts[:1]
	if res, _ := newCheckResult(views, r.Rows, r.Alerts, "Globex"); res.Code != checkOK {
		t.Errorf("Globex with nothing in force: code %d", res.Code)
	}
	if res, _ := newCheckResult(views, r.Rows, r.Alerts, "Acme"); res.Code != checkWarning {
		t.Errorf("an overdue backup alone: code %d, want WARNING", res.Code)
	}
}
