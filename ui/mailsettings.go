package ui

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/lanyard/lanyard/core/human"
	"github.com/lanyard/lanyard/core/mail"
	"github.com/lanyard/lanyard/core/master"
)

// The mail settings in the Alerts and mail tab of Remote Management
// Settings (below the alert grace, settingsdialog.go): the SMTP server, its
// security and login, sender and recipients, which alerts are mailed, the
// daily summary's time and each group's own summary's recipients, and
// Send test message, which tries the values as typed and shows the
// server's own refusal. Above them, while mail is not getting through:
// why, and when it is tried again. The password field never shows the
// stored password: it says one is stored, and a typed one replaces it.

// MailEditor reads and saves the console's mail settings; *master.Master
// provides it.
type MailEditor interface {
	MailSettings() (mail.Settings, bool, error)
	SetMailSettings(s mail.Settings, password *string) error
	TestMail(ctx context.Context, s *mail.Settings, password *string) (string, error)
}

// Texts of the Mail tab.
const (
	mailTabLabel       = "Alerts and mail"
	mailTestLabel      = "Send test message"
	mailRetryLabel     = "Try Again Now"
	mailRetrying       = "Trying again within seconds; the status bar says whether the mail went through."
	mailPasswordStored = "(stored; type to replace)"
	mailSecurityNone   = "None"
	mailSecuritySTART  = "STARTTLS"
	mailSecurityTLS    = "TLS"
	mailTestTimeout    = 60 * time.Second
)

type mailForm struct {
	ed                                 MailEditor
	do                                 func(func())
	old                                mail.Settings
	server, user, password             *dialogEntry
	from, to, daily                    *dialogEntry
	groups                             *dialogEntry // each group's own summary's recipients (mail.FormatGroupTo)
	security                           *dialogSelect
	onFailed, onOverdue, onOff, onFull *dialogCheck
	onDamaged                          *dialogCheck
	groupAlerts                        *dialogCheck // each group's recipients get its alerts too
	test                               *widget.Button
	result                             *widget.Label
	// failing says, above the form, that mail is not getting through
	// and why, with retry to try again now; hidden while it is.
	failing     *widget.Label
	retry       *widget.Button
	failingArea fyne.CanvasObject
	// rows are the form's rows (label, field), which the tab lays out in
	// one form with the alert grace so that every field lines up; below
	// goes under that form.
	rows  []fyne.CanvasObject
	below fyne.CanvasObject
	// resultShown, when set, brings a test's result into view.
	resultShown func()
}

var securityNames = map[string]mail.Security{mailSecurityNone: mail.SecurityNone, mailSecuritySTART: mail.SecuritySTARTTLS, mailSecurityTLS: mail.SecurityTLS}

func newMailForm(c fyne.Canvas, ed MailEditor, do func(func())) *mailForm {
	f := &mailForm{ed: ed, do: do}
	s, stored, err := ed.MailSettings()
	f.old = s
	entry := func(text, hint string) *dialogEntry {
		e := newDialogEntry(c)
		e.SetText(text)
		e.SetPlaceHolder(hint)
		return e
	}
	f.server = entry(s.Server, "smtp.example.com:587")
	f.user = entry(s.User, "none")
	f.password = newDialogEntry(c)
	f.password.Password = true // with its reveal button
	if stored {
		f.password.SetPlaceHolder(mailPasswordStored)
	}
	f.from = entry(s.From, "lanyard@example.com")
	f.to = entry(strings.Join(s.To, ", "), "ops@example.com, boss@example.com")
	f.daily = entry(s.DailyAt, "HH:MM, empty for none")
	f.groups = entry(mail.FormatGroupTo(s.GroupTo), "Acme = it@acme.example, boss@acme.example; Globex = …")
	f.security = newDialogSelect(c, []string{mailSecuritySTART, mailSecurityTLS, mailSecurityNone}, nil)
	for name, sec := range securityNames {
		if sec == s.Security {
			f.security.SetSelected(name)
		}
	}
	f.onFailed = newDialogCheck(c, "a backup failed", nil)
	f.onFailed.SetChecked(s.OnFailed)
	f.onOverdue = newDialogCheck(c, "is overdue", nil)
	f.onOverdue.SetChecked(s.OnOverdue)
	f.onDamaged = newDialogCheck(c, "has damaged copies", nil)
	f.onDamaged.SetChecked(s.OnDamaged)
	f.onOff = newDialogCheck(c, "a slave is offline past its grace", nil)
	f.onOff.SetChecked(s.OnOffline)
	f.onFull = newDialogCheck(c, "a destination is nearly full", nil)
	f.onFull.SetChecked(s.OnFull)
	f.groupAlerts = newDialogCheck(c, "also mail each group's alerts to its summary recipients", nil)
	f.groupAlerts.SetChecked(s.GroupAlerts)
	f.result = widget.NewLabel("")
	f.result.Wrapping = fyne.TextWrapWord
	if err != nil {
		f.result.SetText("Could not read the mail settings: " + err.Error())
		f.result.Importance = widget.DangerImportance
	}
	f.failing = widget.NewLabel("")
	f.failing.Wrapping = fyne.TextWrapWord
	f.failing.Importance = widget.DangerImportance
	f.retry = widget.NewButtonWithIcon(mailRetryLabel, theme.ViewRefreshIcon(), f.retryNow)
	f.failingArea = container.NewVBox(f.failing, container.NewHBox(f.retry))
	if ms := readMailStatus(ed); ms != nil && ms.Failing {
		f.failing.SetText(mailFailingText(*ms))
		if ms.Waiting() == "" {
			f.retry.Hide() // nothing to try again: the test message says
		}
	} else {
		f.failingArea.Hide()
	}
	f.test = widget.NewButtonWithIcon(mailTestLabel, theme.MailSendIcon(), f.sendTest)

	f.rows = []fyne.CanvasObject{
		widget.NewLabel("SMTP server"), container.NewBorder(nil, nil, nil, f.security, f.server),
		widget.NewLabel("User"), f.user,
		widget.NewLabel("Password"), f.password,
		widget.NewLabel("From"), f.from,
		widget.NewLabel("To"), f.to,
		// A backup's three share a line ("a backup failed, is overdue,
		// has damaged copies"), so that the tab's Send test message
		// stays in view at the dialog's first size.
		widget.NewLabel("Mail when"), container.NewVBox(container.NewHBox(f.onFailed, f.onOverdue, f.onDamaged), container.NewHBox(f.onOff, f.onFull), f.groupAlerts),
		widget.NewLabel("Daily summary at"), f.daily,
		widget.NewLabel("Group summaries"), f.groups,
	}
	note := lowNote("The password is kept in this console's database (readable by you only), because the mail server needs it as typed; it is never shown again.")
	f.below = container.NewVBox(note, container.NewHBox(f.test), f.result)
	return f
}

// retryNow asks the console to try what waits again at once: the mail
// server is back, mended outside this console.
func (f *mailForm) retryNow() {
	mw, ok := f.ed.(MailWatch)
	if !ok {
		return
	}
	mw.RetryMail()
	f.retry.Disable()
	f.failing.SetText(mailRetrying)
	f.failing.Importance = widget.MediumImportance
	f.failing.Refresh()
}

// mailFailingText says, above the mail settings, that mail is not
// getting through: since when, the server's words, what waits and when it
// is tried again, or with nothing waiting how to learn whether it gets
// through again.
func mailFailingText(ms master.MailStatus) string {
	text := fmt.Sprintf("Mail is not getting through since %s: %s.", ms.Since.Local().Format("15:04"), ms.Error)
	if w := ms.Waiting(); w != "" {
		return text + fmt.Sprintf(" Waiting: %s, tried again at %s, or at once with %s or %s.", w, ms.NextTry.Local().Format("15:04"), mailRetryLabel, settingsApplyLabel)
	}
	return text + fmt.Sprintf(" Nothing waits to be sent; %s shows whether the server takes mail again.", mailTestLabel)
}

// settings are the values typed, checked.
func (f *mailForm) settings() (mail.Settings, error) {
	s := f.old
	s.Server, s.User, s.From = strings.TrimSpace(f.server.Text), strings.TrimSpace(f.user.Text), strings.TrimSpace(f.from.Text)
	s.To = mail.SplitAddresses(f.to.Text)
	s.DailyAt = strings.TrimSpace(f.daily.Text)
	s.Security = securityNames[f.security.Selected]
	if s.Security == "" {
		s.Security = mail.SecuritySTARTTLS
	}
	s.OnFailed, s.OnOverdue, s.OnOffline, s.OnFull = f.onFailed.Checked, f.onOverdue.Checked, f.onOff.Checked, f.onFull.Checked
	s.OnDamaged = f.onDamaged.Checked
	s.GroupAlerts = f.groupAlerts.Checked
	groups, err := mail.ParseGroupsTo(f.groups.Text)
	if err != nil {
		return s, errors.New("group summaries: " + err.Error())
	}
	s.GroupTo = groups
	return s, s.Validate()
}

// typedPassword is the password typed, nil when none was (keep the
// stored one).
func (f *mailForm) typedPassword() *string {
	if f.password.Text == "" {
		return nil
	}
	pw := f.password.Text
	return &pw
}

// changed says whether anything differs from what is stored.
func (f *mailForm) changed() bool {
	s, err := f.settings()
	return err != nil || f.password.Text != "" || !sameMail(s, f.old)
}

func sameMail(a, b mail.Settings) bool {
	return a.Server == b.Server && a.Security == b.Security && a.User == b.User && a.From == b.From &&
		strings.Join(a.To, ",") == strings.Join(b.To, ",") && a.DailyAt == b.DailyAt &&
		a.OnFailed == b.OnFailed && a.OnOverdue == b.OnOverdue && a.OnOffline == b.OnOffline && a.OnFull == b.OnFull && a.OnDamaged == b.OnDamaged && a.GroupAlerts == b.GroupAlerts &&
		maps.EqualFunc(a.GroupTo, b.GroupTo, slices.Equal)
}

// save stores what was typed; it runs off the Fyne thread.
func (f *mailForm) save(s mail.Settings, pw *string) error { return f.ed.SetMailSettings(s, pw) }

func (f *mailForm) setResult(text string, imp widget.Importance) {
	f.result.SetText(text)
	f.result.Importance = imp
	f.result.Refresh()
	if f.resultShown != nil {
		f.resultShown()
	}
}

// sendTest sends a test message with the values as typed.
func (f *mailForm) sendTest() {
	s, err := f.settings()
	if err != nil {
		f.setResult(capitalize(err.Error())+".", widget.DangerImportance)
		return
	}
	if missing := s.Missing(); len(missing) > 0 {
		f.setResult("Fill in "+human.List(missing, len(missing))+" above to send a test message.", widget.DangerImportance)
		return
	}
	pw := f.typedPassword()
	f.test.Disable()
	f.setResult("Sending a test message…", widget.MediumImportance)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), mailTestTimeout)
		defer cancel()
		msg, err := f.ed.TestMail(ctx, &s, pw)
		f.do(func() {
			f.test.Enable()
			if err != nil {
				f.setResult(capitalize(err.Error())+".", widget.DangerImportance)
				return
			}
			f.setResult(capitalize(msg)+".", widget.SuccessImportance)
		})
	}()
}
