package ui

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/emersion/go-smtp"

	"github.com/lanyard/lanyard/core/mail"
	"github.com/lanyard/lanyard/core/master"
	"github.com/lanyard/lanyard/core/store"
	"github.com/lanyard/lanyard/internal/freeport"
	"github.com/lanyard/lanyard/internal/smtptest"
	"github.com/lanyard/lanyard/internal/testkit"
)

// mailConsole is a fake console whose mail settings live in a real
// database and whose test messages go through the real sender.
type mailConsole struct {
	*fakeConsole
	db     *store.DB
	status master.MailStatus // what MailStatus says
}

func (m *mailConsole) MailStatus() master.MailStatus {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.status
}

func (m *mailConsole) RetryMail() { m.record("retry mail") }

// setStatus changes what MailStatus says and tells subscribers.
func (m *mailConsole) setStatus(ms master.MailStatus) {
	m.mu.Lock()
	m.status = ms
	m.mu.Unlock()
	m.publish(master.Event{Time: time.Now(), Kind: master.EventMail})
}

func (m *mailConsole) MailSettings() (mail.Settings, bool, error) {
	s, err := mail.Load(m.db)
	return s, mail.HasPassword(m.db), err
}

func (m *mailConsole) SetMailSettings(s mail.Settings, pw *string) error {
	if err := mail.Save(m.db, s); err != nil {
		return err
	}
	if pw != nil {
		return mail.SetPassword(m.db, *pw)
	}
	return nil
}

func (m *mailConsole) TestMail(ctx context.Context, s *mail.Settings, pw *string) (string, error) {
	return master.TestMail(ctx, m.db, s, pw)
}

func newMailConsole(t *testing.T) *mailConsole {
	t.Helper()
	return &mailConsole{fakeConsole: newFakeConsole(), db: testkit.Store(t, "console", store.Options{})}
}

func TestTheMailTabSendsATestMessageWithTheValuesTyped(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{User: "ops", Password: "s3cret"})
	mc := newMailConsole(t)
	if err := mail.SetPassword(mc.db, "old-password"); err != nil {
		t.Fatal(err)
	}
	// Set from the command line; the tab has no field for them and keeps
	// them as they are.
	groups := mail.Defaults()
	groups.SetGroupTo("Acme", []string{"it@acme.example"})
	if err := mail.Save(mc.db, groups); err != nil {
		t.Fatal(err)
	}
	f, q, w := openSettings(t, mc, nil, false)
	m := f.mail
	if m == nil {
		t.Fatal("no Mail tab")
	}
	if m.password.Text != "" || m.password.PlaceHolder != mailPasswordStored {
		t.Fatalf("the password field shows %q / %q", m.password.Text, m.password.PlaceHolder)
	}
	m.server.SetText("smtp.example.com:587")
	m.user.SetText("ops")
	m.from.SetText("lanyard@example.com")
	m.to.SetText("ops@example.com, boss@example.com")
	m.daily.SetText("07:30")
	selectTab(t, w, mailTabLabel)
	test.AssertRendersToMarkup(t, "settingsdialog_mail.xml", w.Canvas())

	// The test server has no TLS, and listens on a port of its own.
	m.server.SetText(srv.Addr)
	m.security.SetSelected(mailSecurityNone)

	// With the stored (wrong) password: the server's words.
	test.Tap(m.test)
	q.runUntil(t, "the refusal", func() bool { return strings.Contains(m.result.Text, "refused") })
	if !strings.Contains(m.result.Text, `"535 5.7.8 Authentication credentials invalid"`) || strings.Contains(m.result.Text, "old-password") {
		t.Fatalf("result %q", m.result.Text)
	}
	test.Type(m.password, "s3cret")
	test.Tap(m.test)
	q.runUntil(t, "the test message", func() bool { return strings.Contains(m.result.Text, "sent") })
	if got := srv.Messages(); len(got) != 1 || got[0].Subject() != "Lanyard test message" || len(got[0].To) != 2 {
		t.Fatalf("messages %+v", got)
	}

	// Apply saves them, the password typed, and each group's recipients.
	if m.groups.Text != "Acme = it@acme.example" {
		t.Fatalf("group summaries shown as %q", m.groups.Text)
	}
	m.groups.SetText("Acme = it@acme.example; globex = it@globex.example, boss@globex.example")
	test.Tap(m.onDamaged)
	test.Tap(f.apply)
	q.runUntil(t, "the dialog to close", func() bool { return w.Canvas().Overlays().Top() == nil })
	s, _ := mail.Load(mc.db)
	if pw, _ := mail.Password(mc.db); pw != "s3cret" || s.Server != srv.Addr || s.DailyAt != "07:30" || len(s.To) != 2 || s.Security != mail.SecurityNone ||
		len(s.GroupTo["Acme"]) != 1 || len(s.GroupTo["globex"]) != 2 || s.OnDamaged || !s.OnFailed {
		t.Fatalf("saved %+v, password %q", s, pw)
	}
}

func TestAMailAddressMistakeIsShownAndNothingSent(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{RefuseRcpt: &smtp.SMTPError{Code: 550, Message: "no"}})
	mc := newMailConsole(t)
	f, _, _ := openSettings(t, mc, nil, false)
	// Nothing typed: the result names the fields to fill, as the tab
	// labels them, and sends nothing.
	test.Tap(f.mail.test)
	if got, want := f.mail.result.Text, "Fill in SMTP server, From and To above to send a test message."; got != want {
		t.Fatalf("with nothing typed: %q, want %q", got, want)
	}
	f.mail.server.SetText(srv.Addr)
	f.mail.to.SetText("ops@example.com")
	test.Tap(f.mail.test)
	if got, want := f.mail.result.Text, "Fill in From above to send a test message."; got != want {
		t.Fatalf("without a sender: %q, want %q", got, want)
	}
	f.mail.from.SetText("not an address")
	f.mail.to.SetText("ops@example.com")
	test.Tap(f.mail.test)
	if !strings.Contains(f.mail.result.Text, `Sender "not an address" is not a mail address`) || len(srv.Messages()) != 0 {
		t.Fatalf("result %q", f.mail.result.Text)
	}
	f.mail.from.SetText("lanyard@example.com")
	f.mail.groups.SetText("Acme it@acme.example")
	test.Tap(f.mail.test)
	if !strings.Contains(f.mail.result.Text, `Group summaries: "Acme it@acme.example": write GROUP=ADDR`) || len(srv.Messages()) != 0 {
		t.Fatalf("a group without '=': %q", f.mail.result.Text)
	}
}

// selectTab selects the tab called label of the dialog over w.
func selectTab(t *testing.T, w fyne.Window, label string) {
	t.Helper()
	var tabs *container.AppTabs
	var walk func(o fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		if at, ok := o.(*container.AppTabs); ok {
			tabs = at
			return
		}
		if c, ok := o.(*fyne.Container); ok {
			for _, k := range c.Objects {
				walk(k)
			}
		}
		if wd, ok := o.(fyne.Widget); ok && tabs == nil {
			for _, k := range test.WidgetRenderer(wd).Objects() {
				walk(k)
			}
		}
	}
	walk(w.Canvas().Overlays().Top())
	if tabs == nil {
		t.Fatal("no tabs in the dialog")
	}
	for _, it := range tabs.Items {
		if it.Text == label {
			tabs.Select(it)
			return
		}
	}
	t.Fatalf("no tab %q", label)
}

// A test message's result is read in full where the user looks: it is
// the tab's last line, below the fold, and as long as it takes to say
// what to check; the page scrolls to it.
func TestATestMessagesResultIsShownInFull(t *testing.T) {
	f, q, w := openSettings(t, newMailConsole(t), nil, false)
	selectTab(t, w, mailTabLabel)
	m, page := f.mail, f.page(mailTabLabel)
	if page.Content.MinSize().Height <= page.Size().Height {
		t.Fatalf("the page (%v) fits its scroll (%v): nothing is below the fold here", page.Content.MinSize(), page.Size())
	}
	closed := freeport.Closed(t)
	m.server.SetText(closed)
	m.from.SetText("lanyard@example.com")
	m.to.SetText("ops@example.com")
	test.Tap(m.test)
	q.runUntil(t, "the failure", func() bool { return strings.Contains(m.result.Text, "Nothing is listening on "+closed) })
	d := fyne.CurrentApp().Driver()
	top, pageTop := d.AbsolutePositionForObject(m.result).Y, d.AbsolutePositionForObject(page).Y
	if m.result.Size().Height < m.result.MinSize().Height || top < pageTop || top+m.result.Size().Height > pageTop+page.Size().Height+1 {
		t.Errorf("the result is %v at y=%v (needs %v); the page shows y=%v to %v", m.result.Size(), top, m.result.MinSize(), pageTop, pageTop+page.Size().Height)
	}
}

func TestTheAlertGraceLinesUpWithTheMailFields(t *testing.T) {
	f, _, w := openSettings(t, newMailConsole(t), nil, false)
	selectTab(t, w, mailTabLabel)
	d := fyne.CurrentApp().Driver()
	grace := d.AbsolutePositionForObject(f.grace).X
	for name, field := range map[string]fyne.CanvasObject{"SMTP server": f.mail.server, "User": f.mail.user, "Daily summary at": f.mail.daily} {
		if x := d.AbsolutePositionForObject(field).X; x != grace {
			t.Errorf("the %s field starts at x=%v, the Alert after field at x=%v", name, x, grace)
		}
	}
}

// While mail is not getting through, the status bar says what waits; a
// click on it opens the settings at the mail tab, which says why and
// when it is tried again. Once mail goes through, the warning goes.
func TestTheStatusBarWarnsWhileMailIsNotGettingThrough(t *testing.T) {
	mc := newMailConsole(t)
	since := time.Date(2026, 12, 3, 14, 20, 0, 0, time.Local)
	mc.status = master.MailStatus{Failing: true, Error: `the mail server said "535 5.7.8 authentication failed"`,
		Since: since, NextTry: since.Add(5 * time.Minute), Alerts: 3, Daily: 1}
	mw, q := openMainWindow(t, mc, nil)
	want := "Mail not getting through: 3 alerts and 1 daily summary waiting"
	if got := mw.status.text(); !strings.Contains(got, want) {
		t.Fatalf("status bar %q, want it to say %q", got, want)
	}
	test.Tap(mw.status.mail)
	got := overlayText(mw.win)
	for _, want := range []string{
		`Mail is not getting through since 14:20: the mail server said "535 5.7.8 authentication failed".`,
		"Waiting: 3 alerts and 1 daily summary, tried again at 14:25, or at once with Try Again Now or Apply.",
		"SMTP server", // the mail tab is the one shown
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the settings opened from the status bar lack %q:\n%s", want, got)
		}
	}
	tapButton(t, mw.win, mailRetryLabel)
	if got := overlayText(mw.win); !strings.Contains(got, mailRetrying) || !slices.Contains(mc.called(), "retry mail") {
		t.Errorf("Try Again Now: %v; the tab says\n%s", mc.called(), got)
	}
	tapButton(t, mw.win, settingsCancelLabel)

	mc.setStatus(master.MailStatus{})
	q.runUntil(t, "the warning to go", func() bool { return !mw.status.mail.Visible() })
	if got := mw.status.text(); strings.Contains(got, "Mail") {
		t.Fatalf("status bar %q once mail goes through", got)
	}
}

// With nothing waiting to be sent, the warning stays until mail is seen
// getting through, and the tab says how to see that: a test message, not
// a Try Again Now that would have nothing to try.
func TestMailFailingWithNothingWaitingPointsToTheTestMessage(t *testing.T) {
	mc := newMailConsole(t)
	since := time.Date(2026, 12, 3, 14, 20, 0, 0, time.Local)
	mc.status = master.MailStatus{Failing: true, Error: "could not reach the mail server", Since: since, NextTry: since.Add(5 * time.Minute)}
	mw, _ := openMainWindow(t, mc, nil)
	if got, want := mw.status.text(), "Mail not getting through since 14:20"; !strings.Contains(got, want) {
		t.Fatalf("status bar %q, want it to say %q", got, want)
	}
	test.Tap(mw.status.mail)
	want := "Mail is not getting through since 14:20: could not reach the mail server. Nothing waits to be sent; Send test message shows whether the server takes mail again."
	if got := overlayText(mw.win); !strings.Contains(got, want) {
		t.Errorf("the mail tab lacks %q:\n%s", want, got)
	}
	for _, o := range test.LaidOutObjects(mw.win.Canvas().Overlays().Top()) {
		if b, ok := o.(*widget.Button); ok && b.Text == mailRetryLabel && b.Visible() {
			t.Errorf("%s is offered with nothing to try again", mailRetryLabel)
		}
	}
	tapButton(t, mw.win, settingsCancelLabel)
}
