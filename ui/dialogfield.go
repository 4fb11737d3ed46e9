package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"
)

// A dialog's fields. A field with the keyboard gets every key typed (Fyne
// gives it no one else), so Escape typed in a plain field did nothing,
// and a dialog that opens with its first field focused did not close on
// Escape. These fields hand Escape to the dialog: it does what it does
// where no field has the keyboard (dialogKeys: cancel, or nothing where
// the dialog says Escape is too easy to press).

// escapeIn does what Escape does on canvas c while no field has the
// keyboard: the handler of the dialog open on top (dialogKeys).
func escapeIn(c fyne.Canvas) {
	if c == nil {
		return
	}
	if h := c.OnTypedKey(); h != nil {
		h(&fyne.KeyEvent{Name: fyne.KeyEscape})
	}
}

// dialogEntry is a dialog's text field (Password or MultiLine may be set
// before it is shown; a password keeps its reveal button). onBlur, if
// set, checks the field the user leaves.
type dialogEntry struct {
	widget.Entry
	canvas fyne.Canvas
	onBlur func()
}

// newDialogEntry is a field of a dialog shown on canvas c.
func newDialogEntry(c fyne.Canvas) *dialogEntry {
	e := &dialogEntry{canvas: c}
	e.Wrapping = fyne.TextWrap(fyne.TextTruncateClip)
	e.ExtendBaseWidget(e)
	return e
}

// TypedKey hands Escape to the dialog.
func (e *dialogEntry) TypedKey(k *fyne.KeyEvent) {
	if k.Name == fyne.KeyEscape {
		escapeIn(e.canvas)
		return
	}
	e.Entry.TypedKey(k)
}

// FocusLost checks the field the user leaves.
func (e *dialogEntry) FocusLost() {
	e.Entry.FocusLost()
	if e.onBlur != nil {
		e.onBlur()
	}
}

// dialogSelectEntry is a dialog's field with a list to pick from.
type dialogSelectEntry struct {
	widget.SelectEntry
	canvas fyne.Canvas
}

func newDialogSelectEntry(c fyne.Canvas, options []string) *dialogSelectEntry {
	e := &dialogSelectEntry{canvas: c}
	e.ExtendBaseWidget(e)
	e.Wrapping = fyne.TextWrap(fyne.TextTruncateClip)
	e.SetOptions(options)
	return e
}

// TypedKey hands Escape to the dialog.
func (e *dialogSelectEntry) TypedKey(k *fyne.KeyEvent) {
	if k.Name == fyne.KeyEscape {
		escapeIn(e.canvas)
		return
	}
	e.SelectEntry.TypedKey(k)
}

// dialogSelect is a dialog's drop-down (a click gives it the keyboard).
type dialogSelect struct {
	widget.Select
	canvas fyne.Canvas
}

func newDialogSelect(c fyne.Canvas, options []string, changed func(string)) *dialogSelect {
	s := &dialogSelect{canvas: c}
	s.Options, s.OnChanged = options, changed
	s.ExtendBaseWidget(s)
	return s
}

// TypedKey hands Escape to the dialog.
func (s *dialogSelect) TypedKey(k *fyne.KeyEvent) {
	if k.Name == fyne.KeyEscape {
		escapeIn(s.canvas)
		return
	}
	s.Select.TypedKey(k)
}

// dialogCheck is a dialog's check box (a click gives it the keyboard).
type dialogCheck struct {
	widget.Check
	canvas fyne.Canvas
}

func newDialogCheck(c fyne.Canvas, label string, changed func(bool)) *dialogCheck {
	k := &dialogCheck{canvas: c}
	k.Text, k.OnChanged = label, changed
	k.ExtendBaseWidget(k)
	return k
}

// TypedKey hands Escape to the dialog.
func (k *dialogCheck) TypedKey(ev *fyne.KeyEvent) {
	if ev.Name == fyne.KeyEscape {
		escapeIn(k.canvas)
		return
	}
	k.Check.TypedKey(ev)
}
