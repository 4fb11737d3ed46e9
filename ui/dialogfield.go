package ui

import (
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"github.com/lanyard/lanyard/core/address"
	"github.com/lanyard/lanyard/core/master"
)

// A dialog's fields, drop-downs, check boxes, lists and trees. Whatever
// has the keyboard gets every key typed (Fyne gives it no one else), so
// Escape typed in a plain field, or after a click on a check box or a
// list's row, did nothing, and a dialog that opens with its first field
// focused did not close on Escape. These hand Escape to the dialog: it
// does what it does where nothing has the keyboard (dialogKeys: cancel,
// or nothing where the dialog says Escape is too easy to press). The
// windows beside the main one hand it on from their lists and tables the
// same way (closeKeys: the window closes).

// keyTo does with k what canvas c does with a key typed while nothing
// has the keyboard: the handler of the dialog open on top (dialogKeys),
// or of the window (closeKeys).
func keyTo(c fyne.Canvas, k *fyne.KeyEvent) {
	if c == nil {
		return
	}
	if h := c.OnTypedKey(); h != nil {
		h(k)
	}
}

// passEscape hands Escape typed in a dialog's widget to the dialog, any
// other key to the widget's own handler.
func passEscape(c fyne.Canvas, k *fyne.KeyEvent, own func(*fyne.KeyEvent)) {
	if k.Name == fyne.KeyEscape {
		keyTo(c, k)
		return
	}
	own(k)
}

// passEscapeEnter is passEscape for a widget that has no use for Enter
// either (a list, a tree): the dialog's Enter acts for it.
func passEscapeEnter(c fyne.Canvas, k *fyne.KeyEvent, own func(*fyne.KeyEvent)) {
	switch k.Name {
	case fyne.KeyEscape, fyne.KeyReturn, fyne.KeyEnter:
		keyTo(c, k)
	default:
		own(k)
	}
}

// filledIn is what a dialog's field remembers to select, when it gets
// the keyboard, a one-line text that is what the dialog filled in (the
// Port field's 16888, the name being edited), as a field reached with Tab
// does on every desktop: what is typed replaces it instead of going in
// front of it. A click still puts the cursor where it falls (the entry's
// MouseDown, which follows, ends the selection), and what the user typed
// is not selected again when the window gets the keyboard back.
type filledIn struct {
	given string // the text the dialog last filled in (setText)
	keys  bool   // the field has the keyboard
}

// setText fills e in, as the dialog does: a default, the value being
// edited. A selection in the old text ends (the entry would keep it over
// the new one); in a field that has the keyboard the new text is
// selected.
func (f *filledIn) setText(e *widget.Entry, text string) {
	f.given = text
	if e.SelectedText() != "" {
		e.TypedKey(&fyne.KeyEvent{Name: fyne.KeyRight}) // ends it
	}
	e.SetText(text)
	if f.keys {
		f.selectGiven(e)
	}
}

// selectGiven selects e's text while it is what the dialog filled in.
func (f *filledIn) selectGiven(e *widget.Entry) {
	if !e.MultiLine && e.Text != "" && e.Text == f.given {
		e.TypedShortcut(&fyne.ShortcutSelectAll{})
	}
}

func (f *filledIn) focusGained(e *widget.Entry) {
	f.keys = true
	e.FocusGained()
	f.selectGiven(e)
}

func (f *filledIn) focusLost(e *widget.Entry) {
	f.keys = false
	e.FocusLost()
}

// dialogEntry is a dialog's text field (Password or MultiLine may be set
// before it is shown; a password keeps its reveal button). onBlur, if
// set, checks the field the user leaves.
type dialogEntry struct {
	widget.Entry
	filledIn
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
func (e *dialogEntry) TypedKey(k *fyne.KeyEvent) { passEscape(e.canvas, k, e.Entry.TypedKey) }

// SetText fills the field in, as the dialog does (filledIn).
func (e *dialogEntry) SetText(text string) { e.setText(&e.Entry, text) }

// FocusGained selects what the dialog filled in (filledIn).
func (e *dialogEntry) FocusGained() { e.focusGained(&e.Entry) }

// FocusLost checks the field the user leaves.
func (e *dialogEntry) FocusLost() {
	e.focusLost(&e.Entry)
	if e.onBlur != nil {
		e.onBlur()
	}
}

// portMovesWords stand under a host field holding a port that leaving
// the field moves to the field named (takesWholeAddress).
func portMovesWords(field string) string {
	return "the port goes in " + field + ": leaving this field moves it there"
}

// A portMove says what the field beside a host field holds once the port
// of an address typed whole into the host field moved there, given what
// it holds now and what the dialog filled it in with; ok is false when
// the port may not move.
type portMove func(text, port, given string) (moved string, ok bool)

// intoPortField moves the port to a Port field that is empty, holds what
// the dialog filled in, or the same port. Another port there is one the
// user typed: which is right is theirs to say.
func intoPortField(text, port, given string) (string, bool) {
	switch strings.TrimSpace(text) {
	case "", port, given:
		return port, true
	}
	return "", false
}

// intoPortList adds the port to the end of a list of ports, unless the
// list has it already: nothing in the list is lost. A list with a mistake
// in it, or with no room, takes nothing.
func intoPortList(text, port, _ string) (string, bool) {
	ports, err := master.ParsePorts(text)
	p, perr := address.ParsePort(port)
	if err != nil || perr != nil {
		return "", false
	}
	if !slices.Contains(ports, p) {
		ports = append(ports, p)
	}
	if len(ports) > master.MaxPublicPorts {
		return "", false
	}
	return master.FormatPorts(ports), true
}

// takesWholeAddress makes hostField, beside portField, take an address
// typed or pasted into it whole ("fs01.example.com:16888", as addresses
// are often written): leaving it moves the port to portField, as move
// allows (portToMove).
func takesWholeAddress(hostField, portField *dialogEntry, move portMove) {
	next := hostField.onBlur
	hostField.onBlur = func() {
		if host, moved, ok := portToMove(hostField, portField, move); ok {
			portField.SetText(moved)
			hostField.SetText(host)
		}
		if next != nil {
			next()
		}
	}
}

// portToMove is the host of an address typed whole into hostField, and
// what portField holds once its port moved there, when it may: it is a
// port, and move allows it.
func portToMove(hostField, portField *dialogEntry, move portMove) (host, moved string, ok bool) {
	host, port := address.Split(hostField.Text)
	if port == "" {
		return "", "", false
	}
	if _, err := address.ParsePort(port); err != nil {
		return "", "", false
	}
	if moved, ok = move(portField.Text, port, portField.given); !ok {
		return "", "", false
	}
	return host, moved, true
}

// dialogSelectEntry is a dialog's field with a list to pick from.
type dialogSelectEntry struct {
	widget.SelectEntry
	filledIn
	canvas fyne.Canvas
}

// SetText fills the field in, as the dialog does (filledIn).
func (e *dialogSelectEntry) SetText(text string) { e.setText(&e.SelectEntry.Entry, text) }

// FocusGained selects what the dialog filled in (filledIn).
func (e *dialogSelectEntry) FocusGained() { e.focusGained(&e.SelectEntry.Entry) }

func (e *dialogSelectEntry) FocusLost() { e.focusLost(&e.SelectEntry.Entry) }

func newDialogSelectEntry(c fyne.Canvas, options []string) *dialogSelectEntry {
	e := &dialogSelectEntry{canvas: c}
	e.ExtendBaseWidget(e)
	e.Wrapping = fyne.TextWrap(fyne.TextTruncateClip)
	e.SetOptions(options)
	return e
}

// TypedKey hands Escape to the dialog.
func (e *dialogSelectEntry) TypedKey(k *fyne.KeyEvent) {
	passEscape(e.canvas, k, e.SelectEntry.TypedKey)
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
func (s *dialogSelect) TypedKey(k *fyne.KeyEvent) { passEscape(s.canvas, k, s.Select.TypedKey) }

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
func (k *dialogCheck) TypedKey(ev *fyne.KeyEvent) { passEscape(k.canvas, ev, k.Check.TypedKey) }

// dialogTree is a dialog's tree (a click on a row gives it the keyboard).
type dialogTree struct {
	widget.Tree
	canvas fyne.Canvas
}

func newDialogTree(c fyne.Canvas, childUIDs func(widget.TreeNodeID) []widget.TreeNodeID, isBranch func(widget.TreeNodeID) bool,
	create func(bool) fyne.CanvasObject, update func(widget.TreeNodeID, bool, fyne.CanvasObject)) *dialogTree {
	t := &dialogTree{canvas: c}
	t.ChildUIDs, t.IsBranch, t.CreateNode, t.UpdateNode = childUIDs, isBranch, create, update
	t.ExtendBaseWidget(t)
	return t
}

// TypedKey hands Escape to the dialog, and Enter, which a tree does not
// use: the dialog's (the folder picker chooses the folder selected).
func (t *dialogTree) TypedKey(k *fyne.KeyEvent) { passEscapeEnter(t.canvas, k, t.Tree.TypedKey) }

// dialogList is a dialog's list (a click on a row gives it the keyboard).
type dialogList struct {
	widget.List
	canvas fyne.Canvas
}

func newDialogList(c fyne.Canvas, length func() int, create func() fyne.CanvasObject, update func(widget.ListItemID, fyne.CanvasObject)) *dialogList {
	l := &dialogList{canvas: c}
	l.Length, l.CreateItem, l.UpdateItem = length, create, update
	l.ExtendBaseWidget(l)
	return l
}

// TypedKey hands Escape to the dialog, and Enter, which a list does not
// use: the dialog's (the list of versions found restores the one
// selected).
func (l *dialogList) TypedKey(k *fyne.KeyEvent) { passEscapeEnter(l.canvas, k, l.List.TypedKey) }

// problemLine is the red line under a field that says what is wrong with
// what was typed there, wrapped to the field's width; hidden while
// nothing is (sayProblem).
func problemLine() *widget.Label { return hiddenLine(widget.DangerImportance) }

// hiddenLine is a wrapped line of a dialog, hidden until it has
// something to say, at importance imp (a warning, a problem, a note).
func hiddenLine(imp widget.Importance) *widget.Label {
	l := widget.NewLabel("")
	l.Importance = imp
	l.Wrapping = fyne.TextWrapWord
	l.Hide()
	return l
}

// sayProblem shows err in its problem line as a sentence, or hides the
// line when err is nil.
func sayProblem(l *widget.Label, err error) {
	if err == nil {
		l.SetText("")
		l.Hide()
		return
	}
	l.SetText(sentence(err.Error()))
	l.Show()
}

// lowNote is a quiet line of words that says what a field or a choice
// is for, wrapped to the width it is given.
func lowNote(s string) *widget.Label {
	l := widget.NewLabel(s)
	l.Importance = widget.LowImportance
	l.Wrapping = fyne.TextWrapWord
	return l
}
