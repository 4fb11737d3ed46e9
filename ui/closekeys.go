package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
)

// closeKeys makes Escape and Ctrl+W close w, a window beside the main
// one (the Remote Management Log, Backups), as people expect of a window
// they opened to look something up. Escape acts when no field has the
// keyboard (in a field it is the field's); their lists and tables hand
// it here (dialogfield.go, fittedTable).
func closeKeys(w fyne.Window) {
	c := w.Canvas()
	c.AddShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyW, Modifier: fyne.KeyModifierShortcutDefault}, func(fyne.Shortcut) { w.Close() })
	prev := c.OnTypedKey()
	c.SetOnTypedKey(func(k *fyne.KeyEvent) {
		if k.Name == fyne.KeyEscape {
			w.Close()
			return
		}
		if prev != nil {
			prev(k)
		}
	})
}
