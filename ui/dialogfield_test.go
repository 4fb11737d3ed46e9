package ui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

// Escape typed in a dialog's field, drop-down or check box does what it
// does where nothing has the keyboard: it cancels the dialog. Add Task
// opens with its name focused, so Escape there must close it at once.
func TestEscapeInADialogsFieldCancelsIt(t *testing.T) {
	mw, q, _ := tasksWindow(t)
	tt := mw.detail.tasksTab
	c := mw.win.Canvas()
	escapeCloses := func(what string, focus fyne.Focusable) {
		t.Helper()
		if c.Overlays().Top() == nil {
			t.Fatalf("%s: no dialog open", what)
		}
		c.Focus(focus)
		if c.Focused() != focus {
			t.Fatalf("%s: could not be focused", what)
		}
		pressKey(mw.win, fyne.KeyEscape)
		if top := c.Overlays().Top(); top != nil {
			t.Fatalf("Escape in %s left the dialog open:\n%s", what, overlayText(mw.win))
		}
	}

	test.Tap(tt.add)
	td := openTaskDialog(t, mw)
	if f := c.Focused(); f != td.name {
		t.Fatalf("Add Task opened with %v focused, not the name", f)
	}
	escapeCloses("Add Task's name", td.name)

	tt.table.Select(widget.TableCellID{Row: 0, Col: 0})
	for what, field := range map[string]func(td *taskDialog) fyne.Focusable{
		"the sources":     func(td *taskDialog) fyne.Focusable { return td.sources },
		"the schedule":    func(td *taskDialog) fyne.Focusable { return td.kind },
		"Catch up":        func(td *taskDialog) fyne.Focusable { return td.catchUp },
		"Keep last":       func(td *taskDialog) fyne.Focusable { return td.keep[0] },
		"Overdue after":   func(td *taskDialog) fyne.Focusable { return td.overdue },
		"the destination": func(td *taskDialog) fyne.Focusable { return td.dest },
	} {
		test.Tap(tt.edit)
		escapeCloses("Edit Task's "+what, field(openTaskDialog(t, mw)))
	}

	escapeCloses("Restore's target", openRestore(t, mw, q).target)
	escapeCloses("Restore's tree", openRestore(t, mw, q).ft.tree) // a click on a row gives it the keyboard

	// Escape in the folder picker's tree closes the picker alone.
	test.Tap(tt.add)
	td = openTaskDialog(t, mw)
	td.browseDestination()
	q.runUntil(t, "the server's folders", func() bool { return td.picker.ft.nodes[""].loaded })
	c.Focus(td.picker.ft.tree)
	pressKey(mw.win, fyne.KeyEscape)
	if n := len(c.Overlays().List()); n != 1 || !strings.Contains(overlayText(mw.win), "Add Backup Task") {
		t.Fatalf("Escape in the picker left %d dialogs: %q", n, overlayText(mw.win))
	}
	escapeCloses("Add Task's name, after the picker", td.name)
}

// The same in the dialogs of the console's own settings and of a
// server's password, which open on other paths.
func TestEscapeInTheSettingsAndPasswordFieldsCancels(t *testing.T) {
	f, _, w := openSettings(t, newFakeConsole(), nil, false)
	w.Canvas().Focus(f.port)
	pressKey(w, fyne.KeyEscape)
	if !f.closed {
		t.Error("Escape in the settings' port left the dialog open")
	}

	mw, _, _ := remoteWindow(t, tabOverview)
	findItem(mw.win.MainMenu(), menuSlave, itemPassword).Action()
	entries := passwordEntries(t, mw.win)
	mw.win.Canvas().Focus(entries[1])
	pressKey(mw.win, fyne.KeyEscape)
	if got := overlayText(mw.win); got != "" {
		t.Errorf("Escape in the password's second field left %q", got)
	}
}
