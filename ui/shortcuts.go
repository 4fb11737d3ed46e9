package ui

import (
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// Keyboard shortcuts of the main window. Each is bound in exactly one
// place, because in Fyne 2.7 a main-menu item's shortcut fires by itself
// and wins over a window shortcut for the same keys:
//
//   - Ctrl+N (File → Add Slave…), Ctrl+Q (File → Quit), Ctrl+L (View →
//     Remote Management Log), Ctrl+B (View → Backups), Ctrl+Shift+A
//     (View → Command Audit), Ctrl+R (Slave → Run Task), Ctrl+Shift+R
//     (Slave → Run Task, Reading Every File) and Ctrl+Shift+F (Slave →
//     Find a File…) live on their menu items, which also show them.
//   - Ctrl+E (edit) and Ctrl+F (filter) have no menu item: they are window
//     shortcuts. The filter box, which takes every shortcut while it has
//     the focus, hands these two back to the window.
//   - Enter in the Tasks tab's table edits the selected task and Delete
//     removes it (once confirmed); the table takes these two, and F5,
//     while it has the focus.
//   - Delete (remove), F5 (refresh), Escape (View → All Servers: nothing
//     selected) and the Menu key (the selected row's
//     context menu, as a right click opens it) are plain keys, which Fyne
//     never turns into shortcuts: the window's key handler takes them
//     when nothing has the focus and the server tree hands them over when
//     it has. The filter box keeps Delete for its text and passes F5 on.
//     (Shift+F10 reaches Fyne's handlers as a plain F10, so it cannot be
//     told apart and is not bound.)
//
// The menu items whose keys are bound elsewhere show them all the same
// (View → All Servers Escape and Refresh F5; Slave → Edit… Ctrl+E and
// Remove… Delete; Help →
// Keyboard Shortcuts F1), through shownKey, which only labels. F1, like
// F5, is a plain key the window's key handler takes.
//
// The Backups window binds Ctrl+F (its filter) and Ctrl+S (Save Report…)
// on its own canvas, where no menu is; the Command Audit window the same
// two (its search, Export CSV…).
//
// On macOS Fyne maps Ctrl to Cmd (KeyModifierShortcutDefault).

func shortcutAdd() fyne.Shortcut      { return ctrl(fyne.KeyN) }
func shortcutQuit() fyne.Shortcut     { return ctrl(fyne.KeyQ) }
func shortcutLog() fyne.Shortcut      { return ctrl(fyne.KeyL) }
func shortcutBackups() fyne.Shortcut  { return ctrl(fyne.KeyB) }
func shortcutEdit() fyne.Shortcut     { return ctrl(fyne.KeyE) }
func shortcutFilter() fyne.Shortcut   { return ctrl(fyne.KeyF) }
func shortcutRunTask() fyne.Shortcut  { return ctrl(fyne.KeyR) }
func shortcutSave() fyne.Shortcut     { return ctrl(fyne.KeyS) }
func shortcutAudit() fyne.Shortcut    { return ctrlShift(fyne.KeyA) }
func shortcutFindFile() fyne.Shortcut { return ctrlShift(fyne.KeyF) }
func shortcutReread() fyne.Shortcut   { return ctrlShift(fyne.KeyR) }

// shownKey is the key a menu item shows beside its label when that key is
// bound elsewhere (a window shortcut, or a plain key the window's key
// handler takes). Its name matches no shortcut Fyne makes, so the menu
// never fires it: the key keeps its one binding.
type shownKey struct {
	key fyne.KeyName
	mod fyne.KeyModifier
}

func (k shownKey) Key() fyne.KeyName     { return k.key }
func (k shownKey) Mod() fyne.KeyModifier { return k.mod }
func (k shownKey) ShortcutName() string  { return fmt.Sprintf("shown:%d+%s", k.mod, k.key) }
func shownEdit() shownKey                { return shownKey{fyne.KeyE, fyne.KeyModifierShortcutDefault} }
func shownRefresh() shownKey             { return shownKey{key: fyne.KeyF5} }
func shownRemove() shownKey              { return shownKey{key: fyne.KeyDelete} }
func shownHelp() shownKey                { return shownKey{key: fyne.KeyF1} }
func shownAllServers() shownKey          { return shownKey{key: fyne.KeyEscape} }

func ctrl(k fyne.KeyName) *desktop.CustomShortcut {
	return &desktop.CustomShortcut{KeyName: k, Modifier: fyne.KeyModifierShortcutDefault}
}

func ctrlShift(k fyne.KeyName) *desktop.CustomShortcut {
	return &desktop.CustomShortcut{KeyName: k, Modifier: fyne.KeyModifierShortcutDefault | fyne.KeyModifierShift}
}

// windowShortcuts are the shortcuts bound on the canvas; menu shortcuts
// are not among them.
func (mw *mainWindow) windowShortcuts() map[string]func() {
	return map[string]func(){
		shortcutEdit().ShortcutName():   mw.editSelected,
		shortcutFilter().ShortcutName(): mw.focusFilter,
	}
}

// bindKeys registers the window shortcuts and the plain-key handler.
func (mw *mainWindow) bindKeys() {
	c := mw.win.Canvas()
	for _, sc := range []fyne.Shortcut{shortcutEdit(), shortcutFilter()} {
		action := mw.windowShortcuts()[sc.ShortcutName()]
		c.AddShortcut(sc, func(fyne.Shortcut) { action() })
	}
	c.SetOnTypedKey(func(e *fyne.KeyEvent) { mw.typedKey(e) })
	mw.tree.onKey = mw.typedKey
}

// typedKey handles the window's plain keys; it reports whether it did.
func (mw *mainWindow) typedKey(e *fyne.KeyEvent) bool {
	switch e.Name {
	case fyne.KeyDelete:
		mw.removeSelected()
		return true
	case fyne.KeyF5:
		mw.refresh()
		return true
	case fyne.KeyF1:
		mw.showKeys()
		return true
	case fyne.KeyEscape:
		if mw.win.Canvas().Overlays().Top() != nil {
			return false // a menu or dialog's to close
		}
		mw.showAllServers()
		return true
	case desktop.KeyMenu:
		mw.showSelectedRowMenu()
		return true
	}
	return false
}

// filterEntry is the tree's filter box: a searchEntry (Escape clears it,
// and in an empty one selects nothing) that passes the window's own keys
// and shortcuts on.
type filterEntry struct {
	searchEntry
	mw *mainWindow
}

func newFilterEntry(mw *mainWindow) *filterEntry {
	e := &filterEntry{searchEntry: searchEntry{canvas: mw.win.Canvas()}, mw: mw}
	e.ExtendBaseWidget(e)
	e.SetPlaceHolder(filterPlaceholder)
	e.ActionItem = widget.NewIcon(theme.SearchIcon())
	e.OnChanged = mw.filterChanged
	return e
}

// TypedShortcut passes the window's own shortcuts back to it.
func (e *filterEntry) TypedShortcut(s fyne.Shortcut) {
	if action, ok := e.mw.windowShortcuts()[s.ShortcutName()]; ok {
		action()
		return
	}
	e.Entry.TypedShortcut(s)
}

// TypedKey passes F5 and F1 on; Escape and the rest are the search
// field's.
func (e *filterEntry) TypedKey(k *fyne.KeyEvent) {
	switch k.Name {
	case fyne.KeyF5:
		e.mw.refresh()
	case fyne.KeyF1:
		e.mw.showKeys()
	default:
		e.searchEntry.TypedKey(k)
	}
}
