package master

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lanyard/lanyard/core/agent"
	"github.com/lanyard/lanyard/core/backup"
	"github.com/lanyard/lanyard/core/health"
	"github.com/lanyard/lanyard/core/internal/netsim"
	"github.com/lanyard/lanyard/core/mail"
	"github.com/lanyard/lanyard/core/store"
	"github.com/lanyard/lanyard/internal/smtptest"
	"github.com/lanyard/lanyard/internal/testkit"
)

// An alert the SMTP server did not take waits in the outbox: it is
// tried again five minutes later, at once by a console restarted in
// between, and at once when the mail settings are saved; one that is
// over by then (the task was mended and ran well) is not sent late. Each
// alert is mailed once, and MailStatus says while mail is not getting
// through.
func TestAnAlertTheServerDidNotTakeIsMailedLaterUnlessItIsOver(t *testing.T) {
	srv, proxy := downMailServer(t)
	db := testkit.Store(t, "console", store.Options{})
	watch := testkit.NewLogWatch()
	tune := func(cfg *Config) {
		cfg.AlertGrace, cfg.HealthTick = 50*time.Millisecond, 20*time.Millisecond
		log, _ := testkit.Logger()
		log.AddHook(watch)
		cfg.Logger = log
	}
	c := startConsoleWith(t, false, db, tune)
	st := mail.Defaults()
	st.Server, st.Security, st.From, st.To = proxy.Addr(), mail.SecurityNone, "lanyard@example.com", []string{"ops@example.com"}
	if err := c.SetMailSettings(st, nil); err != nil {
		t.Fatal(err)
	}
	a := startAgentWith(t, "FS01", "pw-one", false, nil)
	if _, err := c.AddSlave(SlaveSpec{Name: "FS01", Direction: store.Outbound, Address: a.ListenAddr(), Password: []byte("pw-one")}); err != nil {
		t.Fatal(err)
	}
	c.waitState(t, "FS01", StateConnected)
	src, dest := sourceTree(t, 2)
	fail := func(c *console, name string) string {
		t.Helper()
		gone := filepath.Join(dest, name)
		mark := watch.Mark()
		ctx := context.Background()
		if _, _, err := c.PutTask(ctx, "FS01", backup.Task{Name: name, Sources: []string{src}, Destination: gone, Schedule: "manual"}, agent.PutOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.RunTaskAndWait(ctx, "FS01", name, nil); err != nil {
			t.Fatal(err)
		}
		watch.WaitEvent(t, mark, "mail_failed", "")
		return gone
	}
	alertMailed := func(task string) smtptest.Message {
		t.Helper()
		return srv.Wait(t, "with "+task+"'s alert", func(m smtptest.Message) bool { return strings.Contains(m.Subject(), task+" failed") })
	}

	before := time.Now()
	fail(c, "offsite")
	if q, _ := mail.LoadOutbox(db); len(q) != 1 || q[0].Task != "offsite" || q[0].Kind != "failed" || q[0].To != mail.FleetSummary {
		t.Fatalf("after the failure the outbox holds %+v, want offsite's alert", q)
	}
	c.waitFor(t, "mail's status", func(e Event) bool { return e.Kind == EventMail })
	if ms := c.MailStatus(); !ms.Failing || ms.Error == "" || ms.Alerts != 1 || ms.NextTry.Before(before.Add(alertRetryEvery)) {
		t.Fatalf("while the server is down the status is %+v", ms)
	}
	proxy.Refuse(false)      // back up
	c.mailQueued(time.Now()) // before its retry
	c.waitOutbox(t)
	if n := len(srv.Messages()); n != 0 {
		t.Fatalf("%d messages before the retry was due", n)
	}
	c.mailQueued(time.Now().Add(alertRetryEvery))
	if m := alertMailed("offsite"); !strings.Contains(m.Data, "FS01 / offsite failed") {
		t.Fatalf("the alert:\n%s", m.Data)
	}
	c.waitOutbox(t)
	if ms := c.MailStatus(); ms.Failing || ms.Alerts != 0 {
		t.Fatalf("after the retry the status is %+v", ms)
	}

	// Down again. archive fails, is mended and runs well: its alert is
	// over, and not sent when later's is tried. The console restarts, the
	// server back: later's alert goes at once.
	proxy.Refuse(true)
	archive := fail(c, "archive")
	if err := os.MkdirAll(archive, 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := c.RunTaskAndWait(context.Background(), "FS01", "archive", nil); err != nil {
		t.Fatal(err)
	}
	for c.alerting("archive") {
		c.waitFor(t, "archive's alert to end", func(e Event) bool { return e.Kind == EventBackup })
	}
	fail(c, "later") // with archive's alert, over, taken out unsent
	watch.WaitEvent(t, 0, "mail_dropped", "")
	if q, _ := mail.LoadOutbox(db); len(q) != 1 || q[0].Task != "later" {
		t.Fatalf("before the restart the outbox holds %+v, want later's alert alone", q)
	}
	c.stop()
	proxy.Refuse(false)
	c2 := startConsoleWith(t, false, db, tune)
	if later := alertMailed("later"); strings.Contains(later.Data, "archive") || strings.Contains(later.Data, "offsite") {
		t.Fatalf("the mail after the restart tells of more than later:\n%s", later.Data)
	}
	c2.waitOutbox(t)
	if q, _ := mail.LoadOutbox(db); len(q) != 0 {
		t.Fatalf("after the restart the outbox holds %+v", q)
	}

	// Down once more; the user mends the settings (here: saves them as
	// they are, the server back) and the alert goes at the next tick.
	proxy.Refuse(true)
	c2.waitState(t, "FS01", StateConnected)
	fail(c2, "last")
	proxy.Refuse(false)
	if err := c2.SetMailSettings(st, nil); err != nil {
		t.Fatal(err)
	}
	alertMailed("last")
	c2.waitOutbox(t)
	c2.stop()
	if n := len(srv.Messages()); n != 3 {
		t.Fatalf("%d messages, want the alerts of offsite, later and last", n)
	}
}

// downMailServer is a mail server, and the proxy in front of it that is
// where the console reaches it: refusing every connection, as a server
// that is down, until told otherwise (Refuse(false)).
func downMailServer(t *testing.T) (*smtptest.Server, *netsim.Proxy) {
	t.Helper()
	srv := smtptest.Start(t, smtptest.Options{})
	proxy, err := netsim.NewProxy(srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(proxy.Close)
	proxy.Refuse(true)
	return srv, proxy
}

// alerting: an alert about task is in force.
func (c *console) alerting(task string) bool {
	for _, a := range c.Alerting() {
		if a.Task == task {
			return true
		}
	}
	return false
}

// waitOutbox waits until the alert outbox is not being sent.
func (c *console) waitOutbox(t *testing.T) {
	t.Helper()
	waitIdle(t, c.outbox.sending, "the alert outbox")
}

// waitIdle waits until sem, held while something is sent, is free.
func waitIdle(t *testing.T, sem chan struct{}, what string) {
	t.Helper()
	select {
	case sem <- struct{}{}:
		<-sem
	case <-time.After(30 * time.Second):
		t.Fatalf("%s was still being sent after 30 s", what)
	}
}

// A muted slave stays linked; its failure is not announced, by mail or
// as an alert in force, until the mute ends or is lifted; the mute is
// kept across a restart and written in the connection log. FS02, not
// muted, shows the alerts' ticks went by.
func TestAMutedSlavesFailureIsNotNewsUntilItIsUnmuted(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{})
	db := testkit.Store(t, "console", store.Options{})
	tune := func(cfg *Config) { cfg.AlertGrace, cfg.HealthTick = 50*time.Millisecond, 20*time.Millisecond }
	c := startConsoleWith(t, false, db, tune)
	st := mail.Defaults()
	st.Server, st.Security, st.From, st.To = srv.Addr, mail.SecurityNone, "lanyard@example.com", []string{"ops@example.com"}
	if err := c.SetMailSettings(st, nil); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"FS01", "FS02"} {
		a := startAgentWith(t, name, "pw-"+name, false, nil)
		if _, err := c.AddSlave(SlaveSpec{Name: name, Direction: store.Outbound, Address: a.ListenAddr(), Password: []byte("pw-" + name)}); err != nil {
			t.Fatal(err)
		}
		c.waitState(t, name, StateConnected)
	}
	if _, err := c.Mute("fs01", time.Now().Add(-time.Minute)); err == nil {
		t.Fatal("a mute that ended already was taken")
	}
	until := time.Now().Add(2 * time.Hour)
	v, err := c.Mute("fs01", until)
	if err != nil || !v.MutedUntil.Equal(until.Round(time.Second)) || v.State != StateConnected {
		t.Fatalf("Mute: %+v %v", v, err)
	}
	src, dest := sourceTree(t, 1)
	fail := func(c *console, slave string) {
		t.Helper()
		ctx := context.Background()
		if _, _, err := c.PutTask(ctx, slave, backup.Task{Name: "offsite", Sources: []string{src}, Destination: filepath.Join(dest, "gone"), Schedule: "manual"}, agent.PutOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.RunTaskAndWait(ctx, slave, "offsite", nil); err != nil {
			t.Fatal(err)
		}
	}
	fail(c, "FS01")
	c.stop()

	c2 := startConsoleWith(t, false, db, tune)
	c2.waitState(t, "FS01", StateConnected)
	if v, _ := c2.Slave("FS01"); !v.MutedUntil.Equal(until.Round(time.Second)) {
		t.Fatalf("after the restart, muted until %v", v.MutedUntil)
	}
	c2.waitState(t, "FS02", StateConnected)
	t.Cleanup(func() { // what the console knew, should no mail come (seen once under load)
		if t.Failed() {
			t.Logf("rows %+v\nin force %+v\nmail %+v", c2.BackupRows(), c2.Alerting(), c2.MailStatus())
		}
	})
	fail(c2, "FS02")
	srv.Wait(t, "with FS02's alert", func(m smtptest.Message) bool { return strings.Contains(m.Subject(), "FS02 / offsite failed") })
	if got := c2.Alerting(); len(got) != 1 || got[0].Slave != "FS02" {
		t.Fatalf("with FS01 muted, in force: %+v", got)
	}
	for _, m := range srv.Messages() {
		if strings.Contains(m.Data, "FS01") {
			t.Fatalf("FS01, muted, was mailed: %s", m.Subject())
		}
	}

	if _, err := c2.Mute("FS01", time.Time{}); err != nil {
		t.Fatal(err)
	}
	c2.waitFor(t, "the unmute's record", func(e Event) bool { return e.Kind == store.KindMuted })
	srv.Wait(t, "with FS01's alert, once unmuted", func(m smtptest.Message) bool { return strings.Contains(m.Subject(), "FS01 / offsite failed") })
	events, err := db.LastEvents(store.EventFilter{Slave: "FS01"}, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var muted []string
	for _, e := range events {
		if e.Kind == store.KindMuted {
			muted = append(muted, e.Reason)
		}
	}
	if len(muted) != 2 || !strings.HasPrefix(muted[0], "alerts muted by the user until ") || muted[1] != "alerts no longer muted by the user" {
		t.Fatalf("the connection log says %q", muted)
	}
}

// An alert waiting for a group's own recipients goes to the group its
// server is in when the mail is sent: a group renamed, or a server
// moved, in the meantime does not lose it, and a message never tells of
// one alert twice. One whose group has no recipients of its own any more
// is over for the group (the settings' recipients still get theirs).
func TestAGroupsAlertFollowsItsServerToTheGroupItIsInNow(t *testing.T) {
	st := mail.Defaults()
	st.To, st.GroupAlerts = []string{"ops@example.com"}, true
	st.SetGroupTo("Acme Corp", []string{"it@acme.example"})
	st.SetGroupTo("Globex", []string{"it@globex.example"})
	now := time.Now()
	failed := func(id, slave, group string) health.Alert {
		return health.Alert{Kind: health.AlertFailed, SlaveID: id, Slave: slave, Task: "docs", Since: now,
			Row: health.Row{SlaveID: id, Slave: slave, Group: group, Task: "docs"}}
	}
	inForce := []health.Alert{
		failed("s1", "FS01", "Acme Corp"), // its group was "Acme" when queued
		failed("s2", "FS02", "Globex"),    // moved from Acme to Globex
		failed("s3", "FS03", "Initech"),   // a group with no recipients of its own
	}
	q := []mail.Queued{
		{Kind: "failed", SlaveID: "s1", Task: "docs", To: "Acme"},
		{Kind: "failed", SlaveID: "s1", Task: "docs", To: "ACME CORP"}, // queued again after the rename
		{Kind: "failed", SlaveID: "s2", Task: "docs", To: "Acme"},
		{Kind: "failed", SlaveID: "s3", Task: "docs", To: "Initech"},
		{Kind: "failed", SlaveID: "s3", Task: "docs"},
	}
	mails, over := outboxMails(q, inForce, st, now)
	if len(over) != 1 || over[0] != q[3] {
		t.Fatalf("over: %+v, want Initech's alone", over)
	}
	got := map[string]outMail{}
	for _, om := range mails {
		got[strings.Join(om.to, ",")] = om
	}
	if len(mails) != 3 {
		t.Fatalf("%d messages, want the settings' recipients', Acme Corp's and Globex's", len(mails))
	}
	acme := got["it@acme.example"]
	if acme.what != " to Acme Corp" || len(acme.queued) != 2 || strings.Count(acme.msg.Text, "FS01 / docs failed") != 1 || strings.Contains(acme.msg.Text, "FS02") {
		t.Fatalf("Acme Corp's message%s (%d queued):\n%s", acme.what, len(acme.queued), acme.msg.Text)
	}
	if globex := got["it@globex.example"]; !strings.Contains(globex.msg.Text, "FS02 / docs failed") || len(globex.queued) != 1 {
		t.Fatalf("Globex's message:\n%s", globex.msg.Text)
	}
	if fleet := got[""]; fleet.to != nil || !strings.Contains(fleet.msg.Text, "FS03 / docs failed") {
		t.Fatalf("the settings' recipients' message:\n%s", fleet.msg.Text)
	}
}

func TestANearlyFullDestinationIsMailedWithWhatToDoUnlessSwitchedOff(t *testing.T) {
	st := mail.Defaults()
	st.To = []string{"ops@example.com"}
	now := time.Now()
	full := health.Alert{Kind: health.AlertFull, SlaveID: "s1", Slave: "FS01", Task: "docs", Since: now,
		Row: health.Row{SlaveID: "s1", Slave: "FS01", Task: "docs", Dest: health.DestSpace{Free: 15 << 30, Total: 1 << 40, Wrote: 10 << 30}}}
	q := []mail.Queued{{Kind: "full", SlaveID: "s1", Task: "docs"}}
	mails, over := outboxMails(q, []health.Alert{full}, st, now)
	if len(over) != 0 || len(mails) != 1 {
		t.Fatalf("%d messages, %d over", len(mails), len(over))
	}
	msg := mails[0].msg
	if msg.Subject != "Lanyard: FS01 / docs has its destination nearly full" ||
		!strings.Contains(msg.Text, "it has 15.0 GiB free, less than two runs like the last (10.0 GiB each); free space there or keep fewer snapshots") {
		t.Fatalf("subject %q:\n%s", msg.Subject, msg.Text)
	}
	st.OnFull = false
	if mails, over := outboxMails(q, []health.Alert{full}, st, now); len(mails) != 0 || len(over) != 1 {
		t.Fatalf("switched off: %d messages, %d over", len(mails), len(over))
	}
}

// Copies found damaged are mailed with what they point to (the disk may
// be failing) and what mends them, unless their own switch is off.
func TestDamagedCopiesAreMailedUnlessSwitchedOff(t *testing.T) {
	st := mail.Defaults()
	st.To = []string{"ops@example.com"}
	now := time.Now()
	damaged := health.Alert{Kind: health.AlertDamaged, SlaveID: "s1", Slave: "FS01", Task: "docs", Since: now,
		Row: health.Row{SlaveID: "s1", Slave: "FS01", Task: "docs", LastDamaged: 1}}
	q := []mail.Queued{{Kind: "damaged", SlaveID: "s1", Task: "docs"}}
	mails, over := outboxMails(q, []health.Alert{damaged}, st, now)
	if len(over) != 0 || len(mails) != 1 {
		t.Fatalf("%d messages, %d over", len(mails), len(over))
	}
	if msg := mails[0].msg; msg.Subject != "Lanyard: FS01 / docs has damaged copies" ||
		!strings.Contains(msg.Text, "1 copy found damaged (the destination's disk may be failing; the next run copies it afresh and mends the older snapshots)") {
		t.Fatalf("subject %q:\n%s", msg.Subject, msg.Text)
	}
	st.OnFailed = false
	if mails, _ := outboxMails(q, []health.Alert{damaged}, st, now); len(mails) != 1 {
		t.Fatalf("failures not mailed: %d messages, want the damaged copies' still", len(mails))
	}
	st.OnFailed, st.OnDamaged = true, false
	if mails, over := outboxMails(q, []health.Alert{damaged}, st, now); len(mails) != 0 || len(over) != 1 {
		t.Fatalf("damaged copies not mailed: %d messages, %d over", len(mails), len(over))
	}
}

// Many servers offline together: the mail says first what that points to,
// then names each. A few, or many gone one by one, it only names.
func TestAnAlertMailSaysWhenManyWentOfflineTogether(t *testing.T) {
	from := time.Date(2026, 12, 5, 14, 3, 10, 0, time.Local)
	var alerts []health.Alert
	for i := range 6 {
		alerts = append(alerts, health.Alert{Kind: health.AlertOffline, Slave: fmt.Sprintf("acme-%d", i), Since: from.Add(time.Duration(i) * 15 * time.Second)})
	}
	m := alertMail(alerts, from.Add(time.Hour), true)
	want := "6 servers went offline within 2 min, from 14:03: a network outage (this console's connection, or their site's) is likelier than 6 servers down.\n\nacme-0 is offline since 2026-12-05 14:03\n"
	if !strings.HasPrefix(m.Text, want) || !strings.Contains(m.Text, "acme-5 is offline since") {
		t.Errorf("the mail:\n%s", m.Text)
	}
	if m := alertMail(alerts[:4], from.Add(time.Hour), true); strings.Contains(m.Text, "outage") {
		t.Errorf("four servers:\n%s", m.Text)
	}
	for i := range alerts {
		alerts[i].Since = from.Add(time.Duration(i) * time.Hour)
	}
	if m := alertMail(alerts, from.Add(6*time.Hour), true); strings.Contains(m.Text, "outage") {
		t.Errorf("servers gone one by one:\n%s", m.Text)
	}
}
