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
// shows the dialog, and may enable or disable the button.
func askDialog(win fyne.Window, title string, content fyne.CanvasObject, label string, icon fyne.Resource,
	imp widget.Importance, act func() (done bool)) (*dialog.CustomDialog, *widget.Button) {
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
	return d, ok
}
