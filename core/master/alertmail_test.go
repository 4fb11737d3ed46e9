package master

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lanyard/lanyard/core/backup"
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
	srv := smtptest.Start(t, smtptest.Options{})
	proxy, err := netsim.NewProxy(srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(proxy.Close)
	proxy.Refuse(true) // the mail server is down
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
		if _, _, err := c.PutTask(ctx, "FS01", backup.Task{Name: name, Sources: []string{src}, Destination: gone, Schedule: "manual"}); err != nil {
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
