package master

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lanyard/lanyard/core/agent"
	"github.com/lanyard/lanyard/core/backup"
	"github.com/lanyard/lanyard/core/mail"
	"github.com/lanyard/lanyard/core/store"
	"github.com/lanyard/lanyard/internal/smtptest"
	"github.com/lanyard/lanyard/internal/testkit"
)

func TestAFailedRunIsMailedAndTheDailySummaryListsEveryFailure(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{})
	c := startConsoleWith(t, false, nil, func(cfg *Config) { cfg.AlertGrace = 50 * time.Millisecond; cfg.HealthTick = 20 * time.Millisecond })
	st := mail.Defaults()
	st.Server, st.Security, st.From, st.To, st.OnOverdue = srv.Addr, mail.SecurityNone, "lanyard@example.com", []string{"ops@example.com", "boss@example.com"}, false
	// The test sends the summary by calling dailyDue at times of its own.
	var slot time.Time
	st.DailyAt, slot = dailyNotDue(time.Now())
	// Acme's IT gets a summary of Acme's servers of its own; Globex's one
	// server never linked, which its summary says; Initech has no
	// server, so no summary.
	st.SetGroupTo("acme", []string{"it@acme.example"})
	st.SetGroupTo("Globex", []string{"it@globex.example"})
	st.SetGroupTo("Initech", []string{"it@initech.example"})
	st.GroupAlerts = true // Acme's IT hears of its servers' failures as they come
	if err := c.SetMailSettings(st, nil); err != nil {
		t.Fatal(err)
	}
	a := startAgentWith(t, "FS01", "pw-one", false, nil)
	if _, err := c.AddSlave(SlaveSpec{Name: "FS01", Direction: store.Outbound, Address: a.ListenAddr(), Password: []byte("pw-one"), Group: "Acme"}); err != nil {
		t.Fatal(err)
	}
	c.waitState(t, "FS01", StateConnected)
	if _, err := c.AddSlave(SlaveSpec{Name: "FS07", Direction: store.Inbound, Password: []byte("pw-seven"), Group: "Globex"}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	src, dest := sourceTree(t, 2)
	for _, task := range []backup.Task{
		{Name: "docs", Sources: []string{src}, Destination: dest, Schedule: "manual"},
		{Name: "offsite", Sources: []string{src}, Destination: filepath.Join(dest, "gone"), Schedule: "manual"},
		{Name: "archive", Sources: []string{src}, Destination: filepath.Join(dest, "also-gone"), Schedule: "manual"},
	} {
		if _, _, err := c.PutTask(ctx, "FS01", task, agent.PutOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.RunTaskAndWait(ctx, "FS01", task.Name, nil); err != nil {
			t.Fatal(err)
		}
	}
	alert := srv.Wait(t, "about the failures", func(m smtptest.Message) bool {
		return strings.Contains(m.Subject(), "failed") && m.To[0] == "ops@example.com"
	})
	if strings.Join(alert.To, ",") != "ops@example.com,boss@example.com" || !strings.Contains(alert.Data, "FS01 / offsite failed") ||
		!strings.Contains(alert.Data, "lanyard report shows the whole fleet") {
		t.Fatalf("alert mail to %v:\n%s", alert.To, alert.Data)
	}
	acmeAlert := srv.Wait(t, "about Acme's failures, to Acme", func(m smtptest.Message) bool {
		return strings.Contains(m.Subject(), "failed") && m.To[0] == "it@acme.example"
	})
	if !strings.Contains(acmeAlert.Data, "FS01 / offsite failed") || strings.Contains(acmeAlert.Data, "lanyard report") {
		t.Fatalf("Acme's alert mail:\n%s", acmeAlert.Data)
	}

	// The daily summary, at its time: once.
	if err := mail.MarkDailySent(c.db, slot.Add(-24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	c.dailyDue(slot.Add(-time.Minute))
	c.dailyDue(slot.Add(time.Minute))
	c.dailyDue(slot.Add(2 * time.Minute)) // while the first is sent, or after
	c.waitDaily(t)
	c.dailyDue(slot.Add(3 * time.Minute))
	daily := srv.Wait(t, "with the daily summary", func(m smtptest.Message) bool { return strings.HasPrefix(m.Subject(), "Lanyard daily report: Backups:") })
	if daily.Subject() != "Lanyard daily report: Backups: 2 failed of 3 tasks; 1 server never linked" || strings.Join(daily.To, ",") != "ops@example.com,boss@example.com" {
		t.Fatalf("subject %q to %v", daily.Subject(), daily.To)
	}
	acme := srv.Wait(t, "with Acme's summary", func(m smtptest.Message) bool { return strings.Contains(m.Subject(), "Backups of Acme") })
	if acme.Subject() != "Lanyard daily report: Backups of Acme: 2 failed of 3 tasks" || strings.Join(acme.To, ",") != "it@acme.example" ||
		!strings.Contains(acme.Data, "Lanyard backup report for Acme") {
		t.Fatalf("Acme's summary %q to %v:\n%s", acme.Subject(), acme.To, acme.Data)
	}
	globex := srv.Wait(t, "with Globex's summary", func(m smtptest.Message) bool { return strings.Contains(m.Subject(), "Backups of Globex") })
	if globex.Subject() != "Lanyard daily report: Backups of Globex: no tasks; 1 server never linked" ||
		!strings.Contains(globex.Text(), "FS07 (its agent has not dialed in yet)") || strings.Contains(globex.Text(), "FS01") {
		t.Fatalf("Globex's summary %q:\n%s", globex.Subject(), globex.Text())
	}
	if want := "Never linked to this console, so their backups are not watched: FS07 (its agent has not dialed in yet)."; !strings.Contains(daily.Text(), want) {
		t.Errorf("the summary's text lacks %q:\n%s", want, daily.Text())
	}
	for _, want := range []string{"FS01 / offsite", "FS01 / archive", "multipart/alternative", "text/html"} {
		if !strings.Contains(daily.Data, want) {
			t.Errorf("the summary lacks %q:\n%s", want, daily.Data)
		}
	}
	c.stop() // waits for every send
	if n := dailySummaries(srv); n != 3 {
		t.Fatalf("%d daily summaries, want the fleet's, Acme's and Globex's", n)
	}
	for _, m := range srv.Messages() {
		if slices.Contains(m.To, "it@initech.example") {
			t.Errorf("Initech, with no server, was mailed %q", m.Subject())
		}
	}
}

// dailyNotDue is a daily summary time, and its slot today, that the
// console's own clock does not find due while a test runs, and whose
// slot and the quarter of an hour after it fall on the slot's own day
// (a test steps through them by calling dailyDue): an hour from now,
// or, late in the evening when that is tomorrow already, thirteen hours
// ago (today's summary too late to send, dailyLate).
func dailyNotDue(now time.Time) (string, time.Time) {
	now = now.Local()
	at := now.Add(time.Hour)
	if y, d := at.Add(15*time.Minute).YearDay(), now.YearDay(); y != d {
		at = now.Add(-13 * time.Hour)
	}
	return at.Format("15:04"), time.Date(at.Year(), at.Month(), at.Day(), at.Hour(), at.Minute(), 0, 0, time.Local)
}

// waitDaily waits until no daily summary is being sent.
func (c *console) waitDaily(t *testing.T) {
	t.Helper()
	waitIdle(t, c.daily, "the daily summaries")
}

// An SMTP server that is down at the daily time gets the summary when it
// is back: tried again ten minutes later, at once by a console restarted
// in between, and at once when the mail settings are saved; never twice.
func TestADailySummaryTheServerDidNotTakeIsSentLater(t *testing.T) {
	srv, proxy := downMailServer(t)
	db := testkit.Store(t, "console", store.Options{})
	c := startConsoleWith(t, false, db, nil)
	st := mail.Defaults()
	st.Server, st.Security, st.From, st.To = proxy.Addr(), mail.SecurityNone, "lanyard@example.com", []string{"ops@example.com"}
	var slot time.Time
	st.DailyAt, slot = dailyNotDue(time.Now())
	if err := c.SetMailSettings(st, nil); err != nil {
		t.Fatal(err)
	}
	if err := mail.MarkDailySent(db, slot.Add(-24*time.Hour)); err != nil {
		t.Fatal(err)
	}

	c.dailyDue(slot.Add(time.Minute))
	c.waitDaily(t)
	if d, _ := mail.LoadDaily(db); !d.Slot.Equal(slot) || len(d.Pending) != 1 {
		t.Fatalf("after the failure the record is %+v, want the fleet's summary pending", d)
	}
	if ms := c.MailStatus(); !ms.Failing || ms.Daily != 1 {
		t.Fatalf("after the failure the mail status is %+v", ms)
	}
	proxy.Refuse(false)                   // back up
	c.dailyDue(slot.Add(5 * time.Minute)) // before its retry
	c.waitDaily(t)
	if n := len(srv.Messages()); n != 0 {
		t.Fatalf("%d messages before the retry was due", n)
	}
	c.dailyDue(slot.Add(12 * time.Minute))
	srv.Wait(t, "with the summary, retried", func(m smtptest.Message) bool { return strings.HasPrefix(m.Subject(), "Lanyard daily report") })
	c.waitDaily(t)
	if d, _ := mail.LoadDaily(db); len(d.Pending) != 0 {
		t.Fatalf("after the retry the record is %+v", d)
	}
	if ms := c.MailStatus(); ms.Failing {
		t.Fatalf("after the retry the mail status is %+v", ms)
	}

	// The next day the server is down again, and the console restarts
	// before the retry was due: the new one sends it at once.
	proxy.Refuse(true)
	tomorrow := slot.AddDate(0, 0, 1)
	c.dailyDue(tomorrow.Add(time.Minute))
	c.waitDaily(t)
	c.stop()
	proxy.Refuse(false)
	c2 := startConsoleWith(t, false, db, nil)
	c2.dailyDue(tomorrow.Add(2 * time.Minute))
	c2.waitDaily(t)
	c2.dailyDue(tomorrow.Add(30 * time.Minute))
	c2.waitDaily(t)
	if n := dailySummaries(srv); n != 2 {
		t.Fatalf("%d daily summaries over two days, want 2", n)
	}

	// The day after, down again; back up, the user saves the settings
	// (or sends a test message with them): the summary goes at once, and
	// the status no longer says mail fails. A test sent another way
	// proves nothing of the stored settings, and changes neither.
	proxy.Refuse(true)
	after := slot.AddDate(0, 0, 2)
	c2.dailyDue(after.Add(time.Minute))
	c2.waitDaily(t)
	proxy.Refuse(false)
	other := st
	other.From = "someone.else@example.com"
	if _, err := c2.TestMail(context.Background(), &other, nil); err != nil {
		t.Fatal(err)
	}
	if ms := c2.MailStatus(); !ms.Failing {
		t.Fatalf("after a test sent another way the mail status is %+v", ms)
	}
	typed := st // as the window sends them
	if _, err := c2.TestMail(context.Background(), &typed, nil); err != nil {
		t.Fatal(err)
	}
	if ms := c2.MailStatus(); ms.Failing || ms.Daily != 1 {
		t.Fatalf("after a test the stored settings got through the mail status is %+v", ms)
	}
	c2.dailyDue(after.Add(2 * time.Minute))
	c2.waitDaily(t)
	if n := dailySummaries(srv); n != 3 {
		t.Fatalf("%d daily summaries over three days, want 3", n)
	}
}

// dailySummaries counts the daily summaries srv took.
func dailySummaries(srv *smtptest.Server) int {
	n := 0
	for _, m := range srv.Messages() {
		if strings.HasPrefix(m.Subject(), "Lanyard daily report") {
			n++
		}
	}
	return n
}

// report --send --group mails a customer its own servers' report: to the
// group's own recipients, or to the mail settings' when it has none; a
// group no server is in is a mistake, and nothing is sent.
func TestAGroupsReportIsMailedToItsOwnRecipients(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{})
	c := startConsole(t, false, nil)
	st := mail.Defaults()
	st.Server, st.Security, st.From, st.To = srv.Addr, mail.SecurityNone, "lanyard@example.com", []string{"ops@example.com"}
	st.SetGroupTo("acme", []string{"it@acme.example"})
	if err := c.SetMailSettings(st, nil); err != nil {
		t.Fatal(err)
	}
	for _, s := range []SlaveSpec{{Name: "FS01", Group: "Acme"}, {Name: "FS07", Group: "Globex"}} {
		s.Direction, s.Password = store.Inbound, []byte("pw-"+s.Name)
		if _, err := c.AddSlave(s); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	for _, tc := range []struct {
		group, said, to, subject string
		not                      string // a server the report must not name
	}{
		{"ACME", "report of Acme sent to it@acme.example", "it@acme.example", "Lanyard report: Backups of Acme: ", "FS07"},
		{"globex", "report of Globex sent to ops@example.com", "ops@example.com", "Lanyard report: Backups of Globex: ", "FS01"},
	} {
		said, err := c.SendReport(ctx, 0, tc.group)
		if err != nil || said != tc.said {
			t.Fatalf("SendReport(%s) = %q, %v; want %q", tc.group, said, err, tc.said)
		}
		m := srv.Wait(t, "of "+tc.group, func(m smtptest.Message) bool { return strings.HasPrefix(m.Subject(), tc.subject) })
		if strings.Join(m.To, ",") != tc.to || strings.Contains(m.Text(), tc.not) {
			t.Errorf("%s's report went to %v and says:\n%s", tc.group, m.To, m.Text())
		}
	}
	if _, err := c.SendReport(ctx, 0, "Initech"); err == nil || err.Error() != NoServerIn("Initech").Error() {
		t.Errorf("a group no server is in: %v", err)
	}
	if n := len(srv.Messages()); n != 2 {
		t.Errorf("%d messages sent, want 2", n)
	}
}
