package ui

import (
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
)

// keyText writes a shortcut as the list does: Ctrl+Shift+A, F5, Del.
func keyText(sc fyne.KeyboardShortcut) string {
	var b strings.Builder
	if sc.Mod()&(fyne.KeyModifierControl|fyne.KeyModifierSuper) != 0 {
		b.WriteString("Ctrl+")
	}
	if sc.Mod()&fyne.KeyModifierShift != 0 {
		b.WriteString("Shift+")
	}
	if sc.Key() == fyne.KeyDelete {
		return b.String() + "Del"
	}
	return b.String() + string(sc.Key())
}

// The list names every key the menus show and every key the window binds,
// each in the main window's part.
func TestTheKeyListNamesEveryKeyOfTheMainWindow(t *testing.T) {
	mw, _ := openMainWindow(t, newFakeConsole(demoFleet()...), nil)
	var listed []string
	for _, k := range keyboardShortcuts()[0].keys {
		listed = append(listed, k.keys)
	}
	var bound []string
	for _, m := range mw.win.MainMenu().Items {
		for _, it := range m.Items {
			if sc, ok := it.Shortcut.(fyne.KeyboardShortcut); ok {
				bound = append(bound, keyText(sc)+" ("+it.Label+")")
			}
		}
	}
	bound = append(bound, keyText(shortcutEdit().(fyne.KeyboardShortcut))+" (window)", keyText(shortcutFilter().(fyne.KeyboardShortcut))+" (window)",
		keyText(&desktop.CustomShortcut{KeyName: desktop.KeyMenu})+" (key handler)")
	if len(bound) < 12 {
		t.Fatalf("only %d keys found bound: %v", len(bound), bound)
	}
	for _, b := range bound {
		key, _, _ := strings.Cut(b, " (")
		if !slices.Contains(listed, key) {
			t.Errorf("%s is bound but not in the list", b)
		}
	}
}

// F1 opens the list, also from the filter box; a second F1 behind it
// opens no other, and Escape closes it.
func TestF1ListsTheKeys(t *testing.T) {
	mw, _ := openMainWindow(t, newFakeConsole(demoFleet()...), nil)
	keyOpensOnce(t, mw.win, fyne.KeyF1, "Run the selected task")
	mw.win.Canvas().Focus(mw.filter)
	pressKey(mw.win, fyne.KeyF1)
	if got := overlayText(mw.win); !strings.Contains(got, itemKeys) {
		t.Errorf("F1 in the filter box opened %q", got)
	}
}
