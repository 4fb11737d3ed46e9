package ui

import (
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
	var d *dialog.CustomDialog
	ok := widget.NewButtonWithIcon(label, icon, func() {
		if act() {
			d.Hide()
		}
	})
	ok.Importance = imp
	cancel := widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), func() { d.Hide() })
	d = dialog.NewCustomWithoutButtons(title, content, win)
	d.SetButtons([]fyne.CanvasObject{cancel, ok})
	giveKeysBack := dialogKeys(win.Canvas(), d.Hide, nil)
	d.SetOnClosed(func() {
		giveKeysBack()
		if closed != nil {
			closed()
		}
	})
	return d, ok
}

// dialogKeys gives the keys typed while nothing in a modal dialog has
// the focus to the dialog: Escape cancels, Enter or Return submits (nil:
// nothing), and every other key is swallowed, so that the main window's
// own keys (Delete, F5…) never act behind the dialog. The returned
// function gives the keys back, as the dialog closes.
func dialogKeys(c fyne.Canvas, cancel, submit func()) (restore func()) {
	prev := c.OnTypedKey()
	c.SetOnTypedKey(func(k *fyne.KeyEvent) {
		switch k.Name {
		case fyne.KeyEscape:
			cancel()
		case fyne.KeyReturn, fyne.KeyEnter:
			if submit != nil {
				submit()
			}
		}
	})
	return func() { c.SetOnTypedKey(prev) }
}
