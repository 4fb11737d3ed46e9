package ui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/lanyard/lanyard/core/auth"
	"github.com/lanyard/lanyard/core/master"
)

// The Change Password dialog (Slave → Change Password…): a new
// management password, typed twice, pushed to the agent over the current
// link and then saved in this console's entry. The link survives; other
// consoles of that slave will need the new password, and the dialog says
// so. Over a link without SSL it explains why it cannot, and offers
// nothing to type.

// Texts of the dialog.
const (
	pwTitle  = "Change Password"
	pwNew    = "New password"
	pwAgain  = "Type it again"
	pwChange = "Change"
	// pwGenerate makes a random password, as lanyard-agent password set
	// does when Enter is pressed at its prompt.
	pwGenerate = "Generate and Copy"
	pwTimeout  = 60 * time.Second
)

type passwordDialog struct {
	d       *dialog.CustomDialog
	pw      *dialogEntry
	again   *dialogEntry
	problem *widget.Label
	short   *widget.Label // a short password is taken, with a warning
	made    *widget.Label // a password made here was copied
	madeLen int           // how long it was: typed over, the label goes
	// madeText is what the label says while it shows.
	madeText string
	gen      *widget.Button
	change   *widget.Button
}

// showPasswordDialog opens the dialog for slave v.
func showPasswordDialog(win fyne.Window, r runner, rm Remote, v master.SlaveView) *passwordDialog {
	p := &passwordDialog{}
	intro := widget.NewLabel(fmt.Sprintf("The new password is turned into a key here; only the key goes to %s, over this console's SSL link, and is then saved in this console's entry. This console stays linked.", v.Name))
	intro.Wrapping = fyne.TextWrapWord
	others := widget.NewLabel(fmt.Sprintf("Other consoles that manage %s are disconnected and will need the new password (edit the slave there and type it).", v.Name))
	others.Wrapping = fyne.TextWrapWord
	others.Importance = widget.WarningImportance
	p.problem = widget.NewLabel("")
	p.problem.Wrapping = fyne.TextWrapWord
	p.problem.Importance = widget.DangerImportance
	cancel := widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), func() { p.d.Hide() })
	p.change = widget.NewButtonWithIcon(pwChange, theme.ConfirmIcon(), nil)
	p.change.Importance = widget.HighImportance

	var body fyne.CanvasObject
	switch {
	case v.State != master.StateConnected:
		p.problem.SetText(v.Name + " is not connected. The password can be changed from here only over its link; connect it first, or run `lanyard-agent password set` on the server.")
		body = container.NewVBox(p.problem)
		p.change.Disable()
	case !v.SSL:
		p.problem.SetText("This console's link to " + v.Name + " does not use SSL, so the new key could be read on the network. Turn SSL on here and on the agent first, or run `lanyard-agent password set` on the server.")
		body = container.NewVBox(p.problem)
		p.change.Disable()
	default:
		p.pw, p.again = newDialogEntry(win.Canvas()), newDialogEntry(win.Canvas())
		p.pw.Password, p.again.Password = true, true // with their reveal buttons
		p.pw.OnChanged = func(string) { p.validate(false) }
		p.again.OnChanged = func(string) { p.validate(false) }
		p.again.OnSubmitted = func(string) { p.submit(win, r, rm, v) }
		form := widget.NewForm(widget.NewFormItem(pwNew, p.pw), widget.NewFormItem(pwAgain, p.again))
		p.short, p.made = hiddenLine(widget.WarningImportance), hiddenLine(widget.MediumImportance)
		p.madeText = fmt.Sprintf("A random password was made and copied: keep it with your others; every other console that manages %s needs it.", v.Name)
		p.gen = widget.NewButtonWithIcon(pwGenerate, theme.ContentCopyIcon(), p.generate)
		body = container.NewVBox(intro, form, container.NewHBox(p.gen), p.made, p.short, p.problem, others)
		p.change.OnTapped = func() { p.submit(win, r, rm, v) }
		p.validate(false)
	}
	p.d = dialog.NewCustomWithoutButtons(pwTitle+": "+v.Name, body, win)
	p.d.SetButtons([]fyne.CanvasObject{cancel, p.change})
	guardDialog(win, p.d, p.d.Hide, nil)
	p.d.Resize(fyne.NewSize(500, 0))
	p.d.Show()
	if p.pw != nil {
		win.Canvas().Focus(p.pw)
	}
	return p
}

// generate types a long random password in both fields and copies it,
// for the other consoles that manage the server.
func (p *passwordDialog) generate() {
	pw := auth.GeneratePassword()
	p.pw.SetText(string(pw))
	p.again.SetText(string(pw))
	fyne.CurrentApp().Clipboard().SetContent(string(pw))
	p.madeLen = len(pw)
	clear(pw)
	p.made.SetText(p.madeText)
	p.made.Show()
}

// validate checks the two entries; strict also complains about an empty
// one (on Change).
func (p *passwordDialog) validate(strict bool) bool {
	msg := ""
	switch {
	case p.pw.Text == "" || p.again.Text == "":
		if strict {
			msg = "Type the new password twice."
		}
	case p.pw.Text != p.again.Text:
		msg = "The two passwords differ."
	}
	p.problem.SetText(msg)
	short := auth.ShortPasswordWarning(utf8.RuneCountInString(p.pw.Text))
	p.short.SetText(fullStop(capitalize(short)))
	showIf(p.short, short != "")
	if p.made != nil && len(p.pw.Text) != p.madeLen {
		p.made.SetText("") // typed over: what was copied is not what is sent
		p.made.Hide()
		p.madeLen = 0
	}
	ok := p.pw.Text != "" && p.pw.Text == p.again.Text && msg == ""
	if ok {
		p.change.Enable()
	} else {
		p.change.Disable()
	}
	return ok
}

// submit sends the password in the background behind a waiting dialog.
func (p *passwordDialog) submit(win fyne.Window, r runner, rm Remote, v master.SlaveView) {
	if !p.validate(true) {
		return
	}
	pw := []byte(p.pw.Text)
	p.pw.SetText("")
	p.again.SetText("")
	p.d.Hide()
	ctx, cancel := context.WithTimeout(context.Background(), pwTimeout)
	wait := showWait(win, pwTitle, "Giving "+v.Name+" its new password…", cancel)
	var changes []string
	// A cancel is said in the change's own words (sent or not).
	spawnCancellable(r, ctx, cancel, func(ctx context.Context) (err error) {
		changes, err = rm.ChangePassword(ctx, v.Name, pw)
		clear(pw)
		return err
	}, func(err error, _ bool) {
		wait.hide()
		switch {
		case errors.Is(err, master.ErrPasswordInDoubt):
			showInfo(win, "The password of "+v.Name+" may have changed", capitalize(err.Error())+
				".\n\nNothing needs retyping: the Remote Management Log will say which password "+v.Name+" has.")
			return
		case err != nil:
			showInfo(win, "The password of "+v.Name+" was not changed", capitalize(err.Error()))
			return
		}
		done := "The password of " + v.Name + " was changed and saved here; this console stayed linked."
		if len(changes) > 1 {
			done += "\n\n" + strings.Join(changes[1:], "\n")
		}
		showInfo(win, pwTitle, done+"\n\nOther consoles of "+v.Name+" need the new password.")
	})
}
