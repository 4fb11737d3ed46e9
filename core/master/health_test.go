package master

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/lanyard/lanyard/core/agent"
	"github.com/lanyard/lanyard/core/backup"
	"github.com/lanyard/lanyard/core/health"
	"github.com/lanyard/lanyard/core/link"
	"github.com/lanyard/lanyard/core/store"
	"github.com/lanyard/lanyard/core/wire"
	"github.com/lanyard/lanyard/internal/testkit"
)

// rowsOf waits until the console's rows of slave satisfy ok.
func rowsOf(t *testing.T, c *console, what string, ok func(map[string]BackupRow) bool) map[string]BackupRow {
	t.Helper()
	var rows map[string]BackupRow
	c.until(t, what, func() bool {
		rows = map[string]BackupRow{}
		for _, r := range c.BackupRows() {
			rows[r.Task] = r
		}
		return ok(rows)
	})
	return rows
}

func TestTheConsoleKeepsEachTasksBackupHealthAcrossARestart(t *testing.T) {
	cdb := testkit.Store(t, "console", store.Options{})
	adb := testkit.Store(t, "agent", store.Options{})
	c := startConsole(t, false, cdb)
	a := startAgentOn(t, adb, "FS01", "pw-one", false, true)
	if _, err := c.AddSlave(SlaveSpec{Name: "FS01", Direction: store.Outbound, Address: a.ListenAddr(), Password: []byte("pw-one"), Group: "Acme"}); err != nil {
		t.Fatal(err)
	}
	c.waitState(t, "FS01", StateConnected)
	ctx := context.Background()
	src, dest := sourceTree(t, 3)
	missing := filepath.Join(dest, "not-mounted")
	for _, task := range []backup.Task{
		{Name: "docs", Sources: []string{src}, Destination: dest, Schedule: "daily@02:00"},
		{Name: "offsite", Sources: []string{src}, Destination: missing, Schedule: "daily@03:00"},
	} {
		if _, _, err := c.PutTask(ctx, "FS01", task, agent.PutOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"docs", "offsite", "offsite"} {
		if _, err := c.RunTaskAndWait(ctx, "FS01", name, nil); err != nil {
			t.Fatal(err)
		}
	}
	rows := rowsOf(t, c, "docs ok and offsite failed twice", func(r map[string]BackupRow) bool {
		return r["docs"].State == health.StateOK && r["offsite"].State == health.StateFailed && r["offsite"].FailuresSinceSuccess == 2
	})
	if r := rows["offsite"]; r.Group != "Acme" || r.Slave != "FS01" || r.LastResult != backup.ResultFailed || r.LastError == "" || r.LastKnown {
		t.Fatalf("offsite: %+v", r)
	}
	if v, _ := c.Slave("FS01"); v.Backup.Worst != health.StateFailed || v.Backup.OK != 1 || v.Backup.Failed != 1 || v.Backup.LastKnown {
		t.Fatalf("the slave's summary: %+v", v.Backup)
	}

	// The console stops; meanwhile the agent runs docs again.
	c.stop()
	if h, err := a.Tasks().Run(ctx, "docs", "manual"); err != nil {
		t.Fatal(err)
	} else {
		<-h.Done()
	}
	docsBefore := rows["docs"].LastRun

	// A console started on the same file shows the last known health at
	// once, before the slave has linked...
	a.Close()
	c2 := startConsole(t, false, cdb)
	rows = map[string]BackupRow{}
	for _, r := range c2.BackupRows() {
		rows[r.Task] = r
	}
	if len(rows) != 2 || rows["offsite"].State != health.StateFailed || !rows["offsite"].LastKnown || rows["offsite"].Seen.IsZero() {
		t.Fatalf("before the slave links: %+v", rows)
	}
	// ...and what changed once it has.
	a2 := startAgentOn(t, adb, "FS01", "pw-one", false, true)
	c2.stop()
	if _, err := cdb.UpdateSlave(mustEntry(t, c2, "FS01").ID, func(e *store.Slave) error { e.Address = a2.ListenAddr(); return nil }); err != nil {
		t.Fatal(err)
	}
	c3 := startConsole(t, false, cdb)
	c3.waitState(t, "FS01", StateConnected)
	rowsOf(t, c3, "the run made while the console was down", func(r map[string]BackupRow) bool {
		return r["docs"].LastRun.After(docsBefore) && !r["docs"].LastKnown && r["offsite"].FailuresSinceSuccess == 2
	})
}

func TestAFailedRunRaisesOneAlertAfterTheGrace(t *testing.T) {
	c := startConsoleWith(t, false, nil, func(cfg *Config) { cfg.AlertGrace = 50 * time.Millisecond; cfg.HealthTick = 20 * time.Millisecond })
	alerts, stop := c.WatchAlerts(16)
	defer stop()
	a := startAgentWith(t, "FS01", "pw-one", false, nil)
	if _, err := c.AddSlave(SlaveSpec{Name: "FS01", Direction: store.Outbound, Address: a.ListenAddr(), Password: []byte("pw-one")}); err != nil {
		t.Fatal(err)
	}
	c.waitState(t, "FS01", StateConnected)
	ctx := context.Background()
	src, dest := sourceTree(t, 1)
	if _, _, err := c.PutTask(ctx, "FS01", backup.Task{Name: "offsite", Sources: []string{src}, Destination: filepath.Join(dest, "gone"), Schedule: "manual"}, agent.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := c.RunTaskAndWait(ctx, "FS01", "offsite", nil); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case al := <-alerts:
		if al.Kind != health.AlertFailed || al.Slave != "FS01" || al.Task != "offsite" || al.Row.LastError == "" {
			t.Fatalf("alert %+v", al)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no alert")
	}
	select {
	case al := <-alerts:
		t.Fatalf("a second alert for the same failure: %+v", al)
	case <-time.After(300 * time.Millisecond):
	}
}

func TestAnAgentWithoutTaskHealthIsReadWhole(t *testing.T) {
	a := startAgentWith(t, "FS01", "pw-one", false, func(cfg *agent.Config) { cfg.WithoutMethods = []string{wire.MethodTaskHealth} })
	ctx := context.Background()
	src, dest := sourceTree(t, 1)
	if _, _, err := a.Tasks().Put(ctx, backup.Task{Name: "offsite", Sources: []string{src}, Destination: filepath.Join(dest, "gone"), Schedule: "hourly"}, agent.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if h, err := a.Tasks().Run(ctx, "offsite", "manual"); err != nil {
			t.Fatal(err)
		} else {
			<-h.Done()
		}
	}
	// The first link reads the whole list, and the history of what failed.
	c := startConsole(t, false, nil)
	if _, err := c.AddSlave(SlaveSpec{Name: "FS01", Direction: store.Outbound, Address: a.ListenAddr(), Password: []byte("pw-one")}); err != nil {
		t.Fatal(err)
	}
	rowsOf(t, c, "offsite failed twice, from the list and its history", func(r map[string]BackupRow) bool {
		return r["offsite"].State == health.StateFailed && r["offsite"].FailuresSinceSuccess == 2 && !r["offsite"].LastKnown
	})
}

func TestADisconnectedSlavesOutageIsNoNewsUntilItIsConnectedAgain(t *testing.T) {
	c := startConsoleWith(t, false, nil, func(cfg *Config) { cfg.AlertGrace = 50 * time.Millisecond; cfg.HealthTick = 20 * time.Millisecond })
	alerts, stop := c.WatchAlerts(16)
	defer stop()
	agents := map[string]*agent.Agent{}
	for _, name := range []string{"FS01", "FS02"} {
		agents[name] = startAgentWith(t, name, "pw-one", false, nil)
		if _, err := c.AddSlave(SlaveSpec{Name: name, Direction: store.Outbound, Address: agents[name].ListenAddr(), Password: []byte("pw-one")}); err != nil {
			t.Fatal(err)
		}
		c.waitState(t, name, StateConnected)
	}
	src, dest := sourceTree(t, 1)
	if _, _, err := agents["FS01"].Tasks().Put(context.Background(), backup.Task{Name: "docs", Sources: []string{src}, Destination: dest, Schedule: "hourly"}, agent.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	rowsOf(t, c, "FS01's docs", func(r map[string]BackupRow) bool { _, ok := r["docs"]; return ok })
	next := func(what string) health.Alert {
		t.Helper()
		select {
		case a := <-alerts:
			return a
		case <-time.After(10 * time.Second):
			t.Fatalf("no alert: %s", what)
			return health.Alert{}
		}
	}

	// FS01 disconnected by the user, then FS02 gone by itself: only FS02's
	// outage is news, by mail, notification and check alike.
	if err := c.Disconnect("FS01"); err != nil {
		t.Fatal(err)
	}
	c.waitState(t, "FS01", StateDisabled)
	// Its tasks' health is as last known from now on, as for any link's end,
	// and its rows say it was disconnected, read live or from the database.
	c.until(t, "FS01's backup health last known", func() bool { v, _ := c.Slave("FS01"); return v.Backup.LastKnown })
	rowsOf(t, c, "FS01's row marked disconnected", func(r map[string]BackupRow) bool { return r["docs"].Disconnected && r["docs"].LastKnown })
	if err := c.db.Flush(); err != nil {
		t.Fatal(err)
	}
	c.until(t, "FS01's row in the database marked disconnected", func() bool {
		rows, err := ReadBackupRows(c.db, time.Now())
		return err == nil && len(rows) == 1 && rows[0].Slave == "FS01" && rows[0].Disconnected
	})
	agents["FS01"].Close()
	agents["FS02"].Close()
	if a := next("FS02 offline"); a.Kind != health.AlertOffline || a.Slave != "FS02" {
		t.Fatalf("the first alert is %s of %s, want FS02 offline", a.Kind, a.Slave)
	}
	if in := c.Alerting(); len(in) != 1 || in[0].Slave != "FS02" || in[0].Kind != health.AlertOffline {
		t.Fatalf("alerts in force: %+v", in)
	}

	// Connected again while its agent is down: its outage is watched from
	// then on, and news past the grace.
	if err := c.Connect("FS01"); err != nil {
		t.Fatal(err)
	}
	if a := next("FS01 offline after Connect"); a.Kind != health.AlertOffline || a.Slave != "FS01" {
		t.Fatalf("after Connect: %s of %s, want FS01 offline", a.Kind, a.Slave)
	}
	c.until(t, "both outages in force", func() bool { return len(c.Alerting()) == 2 })
}

func TestAnOutageThatOutlastsTheConsolesRestartIsNews(t *testing.T) {
	db := testkit.Store(t, "console", store.Options{})
	first := startConsole(t, false, db)
	agents := map[string]*agent.Agent{}
	for _, name := range []string{"FS01", "FS02", "FS04"} {
		agents[name] = startAgentWith(t, name, "pw-one", false, nil)
		if _, err := first.AddSlave(SlaveSpec{Name: name, Direction: store.Outbound, Address: agents[name].ListenAddr(), Password: []byte("pw-one")}); err != nil {
			t.Fatal(err)
		}
		first.waitState(t, name, StateConnected)
	}
	// Never linked: not watched, however long it stays away.
	if _, err := first.AddSlave(SlaveSpec{Name: "FS03", Direction: store.Inbound, Password: []byte("pw-one")}); err != nil {
		t.Fatal(err)
	}
	// Disconnected by the user: not news, after the restart either.
	if err := first.Disconnect("FS04"); err != nil {
		t.Fatal(err)
	}
	first.stop()
	agents["FS02"].Close() // down while the console was
	agents["FS04"].Close()

	c := startConsoleWith(t, false, db, func(cfg *Config) { cfg.AlertGrace = 50 * time.Millisecond; cfg.HealthTick = 20 * time.Millisecond })
	alerts, stop := c.WatchAlerts(16)
	defer stop()
	c.waitState(t, "FS01", StateConnected)
	select {
	case a := <-alerts:
		v, _ := c.Slave("FS02")
		seen := v.LastSeen
		if a.Kind != health.AlertOffline || a.Slave != "FS02" || seen.IsZero() || !a.Since.Equal(seen) {
			t.Fatalf("alert %s of %s since %v, want FS02 offline since it was last seen (%v)", a.Kind, a.Slave, a.Since, seen)
		}
		// Not before it had the time to dial in again that the window
		// waits for too.
		started, until := c.Relinking()
		if now := time.Now(); !seen.Before(started) || now.Before(until) || until.Sub(started) != link.LongestRedialWait(testkit.RedialMax) {
			t.Errorf("FS02 last seen %v, alerted %v, the console started %v and waited for relinks until %v", seen, now, started, until)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("FS02's outage, begun before the start, was never announced")
	}
	select {
	case a := <-alerts:
		t.Fatalf("a second alert: %s of %s", a.Kind, a.Slave)
	case <-time.After(300 * time.Millisecond):
	}
}
