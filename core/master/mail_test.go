package master

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lanyard/lanyard/core/backup"
	"github.com/lanyard/lanyard/core/mail"
	"github.com/lanyard/lanyard/core/store"
	"github.com/lanyard/lanyard/internal/smtptest"
)

func TestAFailedRunIsMailedAndTheDailySummaryListsEveryFailure(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{})
	c := startConsoleWith(t, false, nil, func(cfg *Config) { cfg.AlertGrace = 50 * time.Millisecond; cfg.HealthTick = 20 * time.Millisecond })
	st := mail.Defaults()
	st.Server, st.Security, st.From, st.To, st.OnOverdue = srv.Addr, mail.SecurityNone, "lanyard@example.com", []string{"ops@example.com", "boss@example.com"}, false
	// An hour from now: the console's own clock does not find the
	// summary due while the test runs (or finds today's long past), and
	// the test sends it by calling dailyDue at times of its own.
	dailyAt := time.Now().Local().Add(time.Hour)
	st.DailyAt = dailyAt.Format("15:04")
	// Acme's IT gets a summary of Acme's servers of its own; Globex has
	// no server, so no summary.
	st.SetGroupTo("acme", []string{"it@acme.example"})
	st.SetGroupTo("Globex", []string{"it@globex.example"})
	if err := c.SetMailSettings(st, nil); err != nil {
		t.Fatal(err)
	}
	a := startAgentWith(t, "FS01", "pw-one", false, nil)
	if _, err := c.AddSlave(SlaveSpec{Name: "FS01", Direction: store.Outbound, Address: a.ListenAddr(), Password: []byte("pw-one"), Group: "Acme"}); err != nil {
		t.Fatal(err)
	}
	c.waitState(t, "FS01", StateConnected)
	ctx := context.Background()
	src, dest := sourceTree(t, 2)
	for _, task := range []backup.Task{
		{Name: "docs", Sources: []string{src}, Destination: dest, Schedule: "manual"},
		{Name: "offsite", Sources: []string{src}, Destination: filepath.Join(dest, "gone"), Schedule: "manual"},
		{Name: "archive", Sources: []string{src}, Destination: filepath.Join(dest, "also-gone"), Schedule: "manual"},
	} {
		if _, _, err := c.PutTask(ctx, "FS01", task); err != nil {
			t.Fatal(err)
		}
		if _, err := c.RunTaskAndWait(ctx, "FS01", task.Name, nil); err != nil {
			t.Fatal(err)
		}
	}
	alert := srv.Wait(t, "about the failures", func(m smtptest.Message) bool { return strings.Contains(m.Subject(), "failed") })
	if strings.Join(alert.To, ",") != "ops@example.com,boss@example.com" || !strings.Contains(alert.Data, "FS01 / offsite failed") {
		t.Fatalf("alert mail to %v:\n%s", alert.To, alert.Data)
	}

	// The daily summary, at its time: once.
	at := time.Now().Local()
	slot := time.Date(at.Year(), at.Month(), at.Day(), dailyAt.Hour(), dailyAt.Minute(), 0, 0, time.Local)
	if err := mail.MarkDailySent(c.db, slot.Add(-24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	c.dailyDue(slot.Add(-time.Minute))
	c.dailyDue(slot.Add(time.Minute))
	c.dailyDue(slot.Add(2 * time.Minute))
	daily := srv.Wait(t, "with the daily summary", func(m smtptest.Message) bool { return strings.HasPrefix(m.Subject(), "Lanyard daily report: Backups:") })
	if daily.Subject() != "Lanyard daily report: Backups: 2 failed of 3 tasks" || strings.Join(daily.To, ",") != "ops@example.com,boss@example.com" {
		t.Fatalf("subject %q to %v", daily.Subject(), daily.To)
	}
	acme := srv.Wait(t, "with Acme's summary", func(m smtptest.Message) bool { return strings.Contains(m.Subject(), "Backups of Acme") })
	if acme.Subject() != "Lanyard daily report: Backups of Acme: 2 failed of 3 tasks" || strings.Join(acme.To, ",") != "it@acme.example" ||
		!strings.Contains(acme.Data, "Lanyard backup report for Acme") {
		t.Fatalf("Acme's summary %q to %v:\n%s", acme.Subject(), acme.To, acme.Data)
	}
	for _, want := range []string{"FS01 / offsite", "FS01 / archive", "multipart/alternative", "text/html"} {
		if !strings.Contains(daily.Data, want) {
			t.Errorf("the summary lacks %q:\n%s", want, daily.Data)
		}
	}
	c.stop() // waits for every send
	n := 0
	for _, m := range srv.Messages() {
		if strings.HasPrefix(m.Subject(), "Lanyard daily report") {
			n++
		}
	}
	if n != 2 {
		t.Fatalf("%d daily summaries, want the fleet's and Acme's", n)
	}
}
