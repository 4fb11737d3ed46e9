package ui

import (
	"image/color"
	"math"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"

	"github.com/lanyard/lanyard/core/master"
)

// View > Appearance makes every window light or dark whatever the system
// says, ticks the choice, keeps it for the next start, and Follow the
// System gives the system its say again.
func TestAppearanceIsChosenFromTheViewMenuAndKept(t *testing.T) {
	mw, _ := openMainWindow(t, newFakeConsole(demoFleet()...), nil)
	a := fyne.CurrentApp()
	appearance := findItem(mw.win.MainMenu(), menuView, itemAppearance)
	if appearance == nil || appearance.ChildMenu == nil {
		t.Fatalf("no View → %s submenu in %s", itemAppearance, describe(mw.win.MainMenu()))
	}
	choice := func(label string) *fyne.MenuItem {
		t.Helper()
		it := menuItemLabelled(appearance.ChildMenu, label)
		if it == nil {
			t.Fatalf("no %q under %s", label, itemAppearance)
		}
		return it
	}
	ticked := func() (labels []string) {
		for _, it := range appearance.ChildMenu.Items {
			if it.Checked {
				labels = append(labels, it.Label)
			}
		}
		return labels
	}
	if got := ticked(); len(got) != 1 || got[0] != "Follow the System" {
		t.Fatalf("at first %v ticked, want Follow the System", got)
	}
	background := func() any { return a.Settings().Theme().Color(theme.ColorNameBackground, a.Settings().ThemeVariant()) }
	for _, c := range []struct {
		label, pref string
		variant     fyne.ThemeVariant
	}{
		{"Dark", appearanceDark, theme.VariantDark},
		{"Light", appearanceLight, theme.VariantLight},
	} {
		choice(c.label).Action()
		if want := theme.DefaultTheme().Color(theme.ColorNameBackground, c.variant); background() != want {
			t.Errorf("%s: the background is %v, want %v", c.label, background(), want)
		}
		// Whatever variant a widget asks for, the choice holds.
		for _, v := range []fyne.ThemeVariant{theme.VariantDark, theme.VariantLight} {
			if got, want := a.Settings().Theme().Color(theme.ColorNameForeground, v), theme.DefaultTheme().Color(theme.ColorNameForeground, c.variant); got != want {
				t.Errorf("%s: asked for variant %d, the text is %v, want %v", c.label, v, got, want)
			}
		}
		if got := a.Preferences().String(prefAppearance); got != c.pref {
			t.Errorf("%s: kept %q, want %q", c.label, got, c.pref)
		}
		if got := ticked(); len(got) != 1 || got[0] != c.label {
			t.Errorf("%s: %v ticked", c.label, got)
		}
	}

	choice("Follow the System").Action()
	if got := a.Preferences().String(prefAppearance); got != appearanceSystem {
		t.Errorf("Follow the System kept %q", got)
	}
	for _, v := range []fyne.ThemeVariant{theme.VariantDark, theme.VariantLight} {
		if got, want := a.Settings().Theme().Color(theme.ColorNameBackground, v), theme.DefaultTheme().Color(theme.ColorNameBackground, v); got != want {
			t.Errorf("following the system, variant %d has background %v, want %v", v, got, want)
		}
	}
}

// A choice kept from before applies when the console starts; one it does
// not know follows the system.
func TestTheAppearanceKeptAppliesAtStart(t *testing.T) {
	openMainWindow(t, newFakeConsole(), nil)
	a := fyne.CurrentApp()
	a.Preferences().SetString(prefAppearance, appearanceLight)
	startAppearance(a)
	if got, want := a.Settings().Theme().Color(theme.ColorNameBackground, theme.VariantDark), theme.DefaultTheme().Color(theme.ColorNameBackground, theme.VariantLight); got != want {
		t.Errorf("kept light: the background is %v, want %v", got, want)
	}
	a.Preferences().SetString(prefAppearance, "sepia")
	startAppearance(a)
	if got, want := a.Settings().Theme().Color(theme.ColorNameBackground, theme.VariantDark), theme.DefaultTheme().Color(theme.ColorNameBackground, theme.VariantDark); got != want {
		t.Errorf("an unknown choice: the background is %v, want the system's %v", got, want)
	}
}

// The tree's rows drawn before a change of appearance are drawn again in
// the new theme's colours: a group's name, a server's name and its
// state's word (an error in the error colour).
func TestTheTreeIsRedrawnInTheAppearanceChosen(t *testing.T) {
	mw, _ := openMainWindow(t, newFakeConsole(), nil)
	appearance := findItem(mw.win.MainMenu(), menuView, itemAppearance)
	group := newGroupRow()
	group.set("Acme", groupCount{})
	server := newSlaveRow(mw.tree)
	server.set(&master.SlaveView{Name: "FS01", State: master.StateError}, fixedNow)
	for _, c := range []struct {
		label   string
		variant fyne.ThemeVariant
	}{{"Dark", theme.VariantDark}, {"Light", theme.VariantLight}, {"Dark", theme.VariantDark}} {
		menuItemLabelled(appearance.ChildMenu, c.label).Action()
		test.WidgetRenderer(group).Refresh()
		test.WidgetRenderer(server).Refresh()
		fg := theme.DefaultTheme().Color(theme.ColorNameForeground, c.variant)
		if group.name.Color != fg || server.name.Color != fg {
			t.Errorf("%s: the names are drawn in %v and %v, want %v", c.label, group.name.Color, server.name.Color, fg)
		}
		if want := theme.DefaultTheme().Color(theme.ColorNameError, c.variant); server.state.Color != want {
			t.Errorf("%s: the error's word is drawn in %v, want %v", c.label, server.state.Color, want)
		}
	}
}

// Quiet text (hints, notes, a row's second line: labels of low
// importance, drawn in the disabled colour) can be read in every
// appearance, against the window and the dialogs alike, and stays dimmer
// than the text beside it. Fyne's own grey is 1.5 to 1 dark and 1.3 to 1
// light.
func TestQuietTextCanBeReadInEveryAppearance(t *testing.T) {
	mw, _ := openMainWindow(t, newFakeConsole(), nil)
	a := fyne.CurrentApp()
	appearance := findItem(mw.win.MainMenu(), menuView, itemAppearance)
	for _, label := range []string{"Dark", "Light", "Follow the System"} {
		menuItemLabelled(appearance.ChildMenu, label).Action()
		for _, v := range []fyne.ThemeVariant{theme.VariantDark, theme.VariantLight} {
			th := a.Settings().Theme()
			quiet, fg := th.Color(theme.ColorNameDisabled, v), th.Color(theme.ColorNameForeground, v)
			for _, bg := range []fyne.ThemeColorName{theme.ColorNameBackground, theme.ColorNameOverlayBackground} {
				back := th.Color(bg, v)
				if r := contrast(quiet, back); r < 3 {
					t.Errorf("%s, variant %d: quiet text is %.2f to 1 on %s, want at least 3", label, v, r, bg)
				}
				if contrast(quiet, back) >= contrast(fg, back) {
					t.Errorf("%s, variant %d: quiet text is no dimmer than text on %s", label, v, bg)
				}
			}
		}
	}
}

// contrast is the WCAG contrast ratio of two colours, 1 to 21.
func contrast(a, b color.Color) float64 {
	lum := func(c color.Color) float64 {
		r, g, b, _ := c.RGBA()
		lin := func(v uint32) float64 {
			s := float64(v) / 0xffff
			if s <= 0.03928 {
				return s / 12.92
			}
			return math.Pow((s+0.055)/1.055, 2.4)
		}
		return 0.2126*lin(r) + 0.7152*lin(g) + 0.0722*lin(b)
	}
	la, lb := lum(a), lum(b)
	return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)
}
