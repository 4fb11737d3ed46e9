package ui

import (
	"slices"
	"sync"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// askDialog is the one shape of a question with an answer to act on:
// content, Cancel, and an action button of label, icon and importance.
// The button runs act, and hides the dialog when act says it is done (a
// field may be wrong: act then shows why and keeps it open). The caller
// shows the dialog at once, and may enable or disable the button. While
// it is open Escape cancels it (dialogKeys); Enter does not act, as the
// action may be one to think twice about.
func askDialog(win fyne.Window, title string, content fyne.CanvasObject, label string, icon fyne.Resource,
	imp widget.Importance, act func() (done bool)) (*dialog.CustomDialog, *widget.Button) {
	return askDialogThen(win, title, content, label, icon, imp, act, nil)
}

// askDialogThen is askDialog that also calls closed (when not nil) as
// the dialog closes, however it closes.
func askDialogThen(win fyne.Window, title string, content fyne.CanvasObject, label string, icon fyne.Resource,
	imp widget.Importance, act func() (done bool), closed func()) (*dialog.CustomDialog, *widget.Button) {
	return actionDialog(win, title, content, label, icon, imp, act, closed, false)
}

// chooseDialog is askDialogThen for a choice in a list, not a question:
// Enter takes the choice made (the version of a file found), as the
// button does, once the button is on.
func chooseDialog(win fyne.Window, title string, content fyne.CanvasObject, label string, icon fyne.Resource,
	act func() (done bool), closed func()) (*dialog.CustomDialog, *widget.Button) {
	return actionDialog(win, title, content, label, icon, widget.HighImportance, act, closed, true)
}

// actionDialog is askDialogThen and chooseDialog: with enter, Enter
// presses the action button while it is on.
func actionDialog(win fyne.Window, title string, content fyne.CanvasObject, label string, icon fyne.Resource,
	imp widget.Importance, act func() (done bool), closed func(), enter bool) (*dialog.CustomDialog, *widget.Button) {
	var d *dialog.CustomDialog
	ok := widget.NewButtonWithIcon(label, icon, func() {
		c := win.Canvas()
		before := len(c.Overlays().List())
		if !act() {
			return
		}
		// What act opened (a progress bar) stays: Fyne takes every
		// overlay above a dialog off the canvas with it, so those go back.
		opened := slices.Clone(c.Overlays().List()[min(before, len(c.Overlays().List())):])
		d.Hide()
		for _, o := range opened {
			c.Overlays().Add(o)
		}
	})
	ok.Importance = imp
	cancel := widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), func() { d.Hide() })
	d = dialog.NewCustomWithoutButtons(title, content, win)
	d.SetButtons([]fyne.CanvasObject{cancel, ok})
	var submit func()
	if enter {
		submit = func() {
			if !ok.Disabled() {
				ok.OnTapped()
			}
		}
	}
	giveKeysBack := dialogKeys(win.Canvas(), d.Hide, submit)
	d.SetOnClosed(func() {
		giveKeysBack()
		if closed != nil {
			closed()
		}
	})
	return d, ok
}

// dialogKeys gives the keys typed while nothing in a modal dialog has
// the focus to the dialog: Escape cancels and Enter or Return submits
// (either nil: nothing; a dialog of work under way stops only on its
// Cancel button), and every other key is swallowed, so that the main
// window's own keys (Delete, F5…) never act behind the dialog. The
// returned function gives the keys back, as the dialog closes; it may be
// called more than once.
//
// The dialogs open on a canvas form a stack: the newest gets the keys,
// and one that closes, in whatever order (a progress dialog hides itself
// while a message that came up meanwhile is still open), hands them to
// the newest still open, or, the last, to the window.
func dialogKeys(c fyne.Canvas, cancel, submit func()) (restore func()) {
	g := &keyGuard{cancel: cancel, submit: submit}
	guards.Lock()
	s := guards.byCanvas[c]
	if s == nil {
		s = &keyStack{window: c.OnTypedKey()}
		guards.byCanvas[c] = s
	}
	s.open = append(s.open, g)
	guards.Unlock()
	c.SetOnTypedKey(g.typed)
	return func() {
		guards.Lock()
		i := slices.Index(s.open, g)
		if i < 0 {
			guards.Unlock()
			return
		}
		s.open = slices.Delete(s.open, i, i+1)
		next := s.window
		if len(s.open) > 0 {
			next = s.open[len(s.open)-1].typed
		} else {
			delete(guards.byCanvas, c)
		}
		guards.Unlock()
		c.SetOnTypedKey(next)
	}
}

// guards are the dialogs' key guards of every canvas.
var guards = struct {
	sync.Mutex
	byCanvas map[fyne.Canvas]*keyStack
}{byCanvas: map[fyne.Canvas]*keyStack{}}

// keyStack is a canvas's open dialogs' guards, oldest first, and the
// window's own key handler, which the last to close gives back.
type keyStack struct {
	window func(*fyne.KeyEvent)
	open   []*keyGuard
}

type keyGuard struct{ cancel, submit func() }

func (g *keyGuard) typed(k *fyne.KeyEvent) {
	switch k.Name {
	case fyne.KeyEscape:
		if g.cancel != nil {
			g.cancel()
		}
	case fyne.KeyReturn, fyne.KeyEnter:
		if g.submit != nil {
			g.submit()
		}
	}
}

// guardDialog gives d the window's keys while it is open (dialogKeys:
// Escape runs escape, Enter enter; nil: nothing), for a dialog Fyne made.
// Call it before Show; d's other close callbacks stay.
func guardDialog(win fyne.Window, d dialog.Dialog, escape, enter func()) {
	d.SetOnClosed(dialogKeys(win.Canvas(), escape, enter))
}

// showInfo shows a message with its OK; Escape or Enter closes it, and
// the window's keys wait behind it.
func showInfo(win fyne.Window, title, message string) {
	d := dialog.NewInformation(title, message, win)
	guardDialog(win, d, d.Hide, d.Hide)
	d.Show()
}

// showErr shows err as Fyne's error dialog does, with the keys as
// showInfo.
func showErr(win fyne.Window, err error) {
	d := dialog.NewError(err, win)
	guardDialog(win, d, d.Hide, d.Hide)
	d.Show()
}

// showConfirm asks a yes-or-no question, Fyne's way, and tells answer;
// Escape answers no, Enter nothing, as the question may be one to think
// twice about. The window's keys wait behind it.
func showConfirm(win fyne.Window, title, message string, answer func(bool)) {
	d := dialog.NewConfirm(title, message, answer, win)
	guardDialog(win, d, d.Hide, nil)
	d.Show()
}

// showCustomConfirm is showConfirm with content and the buttons'
// labels (confirm, dismiss).
func showCustomConfirm(win fyne.Window, title, confirm, dismiss string, content fyne.CanvasObject, answer func(bool)) {
	d := dialog.NewCustomConfirm(title, confirm, dismiss, content, answer, win)
	guardDialog(win, d, d.Hide, nil)
	d.Show()
}
