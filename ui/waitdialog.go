package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// waitCancel is the label of a waiting dialog's button.
const waitCancel = "Cancel"

// waitDialog shows, while a request to an agent is on its way, what is
// being done with a spinner and a Cancel button: the user is never left
// with a window that seems stuck, and can give up on a slow agent.
type waitDialog struct {
	d   *dialog.CustomDialog
	act *widget.Activity
}

// showWait opens a waiting dialog; cancel runs when the user gives up
// (and the dialog closes).
func showWait(win fyne.Window, title, msg string, cancel func()) *waitDialog {
	w := &waitDialog{act: widget.NewActivity()}
	label := widget.NewLabel(msg)
	label.Wrapping = fyne.TextWrapWord
	body := container.NewBorder(nil, nil, w.act, nil, label)
	w.d = dialog.NewCustomWithoutButtons(title, body, win)
	giveUp := func() {
		w.hide()
		cancel()
	}
	stop := widget.NewButtonWithIcon(waitCancel, theme.CancelIcon(), giveUp)
	w.d.SetButtons([]fyne.CanvasObject{stop})
	w.d.SetOnClosed(dialogKeys(win.Canvas(), nil, nil)) // Cancel gives up; Escape is too easy to press
	w.d.Resize(fyne.NewSize(420, 0))
	w.act.Start()
	w.d.Show()
	return w
}

// hide closes the dialog; safe to call more than once.
func (w *waitDialog) hide() {
	if w == nil {
		return
	}
	w.act.Stop()
	w.d.Hide()
}
