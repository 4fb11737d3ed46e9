package master

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lanyard/lanyard/core/backup"
	"github.com/lanyard/lanyard/core/mail"
	"github.com/lanyard/lanyard/core/store"
	"github.com/lanyard/lanyard/internal/freeport"
	"github.com/lanyard/lanyard/internal/smtptest"
	"github.com/lanyard/lanyard/internal/testkit"
)

// An alert the SMTP server did not take waits in the outbox: it is
// tried again five minutes later, and at once by a console restarted in
// between; one that is over by then (the task was mended and ran well)
// is not sent late. Each alert is mailed once.
func TestAnAlertTheServerDidNotTakeIsMailedLaterUnlessItIsOver(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{})
	down := freeport.Closed(t) // nothing listens there: the server is down
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
	st.Server, st.Security, st.From, st.To = down, mail.SecurityNone, "lanyard@example.com", []string{"ops@example.com"}
	if err := c.SetMailSettings(st, nil); err != nil {
		t.Fatal(err)
	}
	a := startAgentWith(t, "FS01", "pw-one", false, nil)
	if _, err := c.AddSlave(SlaveSpec{Name: "FS01", Direction: store.Outbound, Address: a.ListenAddr(), Password: []byte("pw-one")}); err != nil {
		t.Fatal(err)
	}
	c.waitState(t, "FS01", StateConnected)
	src, dest := sourceTree(t, 2)
	fail := func(name string) string {
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

	fail("offsite")
	if q, _ := mail.LoadOutbox(db); len(q) != 1 || q[0].Task != "offsite" || q[0].Kind != "failed" || q[0].To != mail.FleetSummary {
		t.Fatalf("after the failure the outbox holds %+v, want offsite's alert", q)
	}
	st.Server = srv.Addr // back up
	if err := c.SetMailSettings(st, nil); err != nil {
		t.Fatal(err)
	}
	c.mailQueued(time.Now()) // before its retry
	c.waitOutbox(t)
	if n := len(srv.Messages()); n != 0 {
		t.Fatalf("%d messages before the retry was due", n)
	}
	c.mailQueued(time.Now().Add(alertRetryEvery))
	m := srv.Wait(t, "with offsite's alert, retried", func(m smtptest.Message) bool { return strings.Contains(m.Subject(), "offsite failed") })
	c.waitOutbox(t)
	if q, _ := mail.LoadOutbox(db); len(q) != 0 {
		t.Fatalf("after the retry the outbox holds %+v", q)
	}
	if !strings.Contains(m.Data, "FS01 / offsite failed") {
		t.Fatalf("the alert:\n%s", m.Data)
	}

	// Down again. archive fails, is mended and runs well: its alert is
	// over, and not sent when later's is tried. The console restarts, the
	// server back: later's alert goes at once.
	st.Server = down
	if err := c.SetMailSettings(st, nil); err != nil {
		t.Fatal(err)
	}
	archive := fail("archive")
	if err := os.MkdirAll(archive, 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := c.RunTaskAndWait(context.Background(), "FS01", "archive", nil); err != nil {
		t.Fatal(err)
	}
	for c.alerting("archive") {
		c.waitFor(t, "archive's alert to end", func(e Event) bool { return e.Kind == EventBackup })
	}
	fail("later") // with archive's alert, over, taken out unsent
	watch.WaitEvent(t, 0, "mail_dropped", "")
	if q, _ := mail.LoadOutbox(db); len(q) != 1 || q[0].Task != "later" {
		t.Fatalf("before the restart the outbox holds %+v, want later's alert alone", q)
	}
	c.stop()
	st.Server = srv.Addr
	if err := mail.Save(db, st); err != nil {
		t.Fatal(err)
	}
	c2 := startConsoleWith(t, false, db, tune)
	later := srv.Wait(t, "with later's alert, after the restart", func(m smtptest.Message) bool { return strings.Contains(m.Subject(), "later failed") })
	c2.waitOutbox(t)
	if strings.Contains(later.Data, "archive") || strings.Contains(later.Data, "offsite") {
		t.Fatalf("the mail after the restart tells of more than later:\n%s", later.Data)
	}
	if q, _ := mail.LoadOutbox(db); len(q) != 0 {
		t.Fatalf("after the restart the outbox holds %+v", q)
	}
	c2.stop()
	if n := len(srv.Messages()); n != 2 {
		t.Fatalf("%d messages, want offsite's alert and later's", n)
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
