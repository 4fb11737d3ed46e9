package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// searchAllColumns is the hint of a window's search over all its columns.
const searchAllColumns = "Search all columns"

// searchEntry is a search or filter field (the server tree's, the Log
// tab's, the log, Backups and Command Audit windows'). Escape clears it; in an empty one
// Escape is its window's, as if no field had the keyboard (it closes a
// window beside the main one; in the main window it selects nothing).
type searchEntry struct {
	widget.Entry
	// canvas is the window's, whose key handler takes Escape in an empty
	// field; nil leaves it there.
	canvas fyne.Canvas
}

// newSearchEntry is a search field saying hint while empty, calling
// onChanged with what is typed; c is its window's canvas (nil: set it
// once known).
func newSearchEntry(c fyne.Canvas, hint string, onChanged func(string)) *searchEntry {
	e := &searchEntry{canvas: c}
	e.ExtendBaseWidget(e)
	e.SetPlaceHolder(hint)
	e.ActionItem = widget.NewIcon(theme.SearchIcon())
	e.OnChanged = onChanged
	return e
}

// TypedKey clears the field on Escape, or hands Escape to the window when
// there is nothing to clear.
func (e *searchEntry) TypedKey(k *fyne.KeyEvent) {
	if k.Name != fyne.KeyEscape {
		e.Entry.TypedKey(k)
		return
	}
	if e.Text != "" {
		e.SetText("")
		return
	}
	keyTo(e.canvas, k)
}
