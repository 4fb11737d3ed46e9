package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// The window's colours (View > Appearance): the system's light or dark,
// or one of them whatever the system says. The choice is kept in the
// app's preferences and applies to every window at once.
const (
	prefAppearance   = "appearance"
	appearanceSystem = "system"
	appearanceLight  = "light"
	appearanceDark   = "dark"

	itemAppearance = "Appearance"
)

// appearanceItems are the menu's choices, in its order, with their labels.
var appearanceItems = []struct{ value, label string }{
	{appearanceSystem, "Follow the System"},
	{appearanceLight, "Light"},
	{appearanceDark, "Dark"},
}

// appTheme is the window's theme: Fyne's, in one variant or in the
// system's (variant nil), with two colours changed. Fyne draws quiet text
// (a label of low importance: the hints under a field, the second line
// of a row, a note) in the colour of disabled controls, a grey of 1.5 to
// 1 on its dark background and 1.3 to 1 on its light one, which a person
// cannot read; and the rim of an entry, an empty tick box or radio button
// in a grey as faint. Lanyard's grey for both is about 4.5 to 1 dark and
// 3.3 to 1 light: dimmer than the text beside it, a disabled button still
// reads as disabled, and an empty tick box is as plain as a disabled one
// (their fill and label tell them apart).
type appTheme struct {
	fyne.Theme
	variant *fyne.ThemeVariant
}

// quietText is the colour of quiet text, disabled controls and the rims
// of inputs.
var quietText = map[fyne.ThemeVariant]color.Color{
	theme.VariantDark:  color.NRGBA{R: 0x80, G: 0x80, B: 0x84, A: 0xff},
	theme.VariantLight: color.NRGBA{R: 0x8c, G: 0x8c, B: 0x8c, A: 0xff},
}

func (t appTheme) Color(n fyne.ThemeColorName, v fyne.ThemeVariant) color.Color {
	if t.variant != nil {
		v = *t.variant
	}
	if c, ok := quietText[v]; ok && (n == theme.ColorNameDisabled || n == theme.ColorNameInputBorder) {
		return c
	}
	return t.Theme.Color(n, v)
}

// applyAppearance sets a's theme to what value says; an unknown value
// (a preference from elsewhere) follows the system.
func applyAppearance(a fyne.App, value string) {
	t := appTheme{Theme: theme.DefaultTheme()}
	switch value {
	case appearanceLight:
		t.variant = ptr(theme.VariantLight)
	case appearanceDark:
		t.variant = ptr(theme.VariantDark)
	}
	a.Settings().SetTheme(t)
}

// startAppearance applies the appearance kept from before. Following the
// system, the app's theme stays what it is (Fyne's, or one a test set),
// with quiet text that can be read.
func startAppearance(a fyne.App) {
	if v := a.Preferences().StringWithFallback(prefAppearance, appearanceSystem); v != appearanceSystem {
		applyAppearance(a, v)
		return
	}
	if _, ours := a.Settings().Theme().(appTheme); !ours {
		a.Settings().SetTheme(appTheme{Theme: a.Settings().Theme()})
	}
}

// appearanceMenu is View > Appearance: each choice ticked when it is the
// one in force; choosing one applies and keeps it.
func (mw *mainWindow) appearanceMenu() *fyne.MenuItem {
	p := mw.app.Preferences()
	items := make([]*fyne.MenuItem, len(appearanceItems))
	tick := func(value string) {
		for i, c := range appearanceItems {
			items[i].Checked = c.value == value
		}
	}
	for i, c := range appearanceItems {
		items[i] = fyne.NewMenuItem(c.label, func() {
			p.SetString(prefAppearance, c.value)
			applyAppearance(mw.app, c.value)
			tick(c.value)
			if mw.menu != nil {
				mw.menu.Refresh()
			}
		})
	}
	tick(p.StringWithFallback(prefAppearance, appearanceSystem))
	item := fyne.NewMenuItem(itemAppearance, nil)
	item.Icon = theme.ColorPaletteIcon()
	item.ChildMenu = fyne.NewMenu("", items...)
	return item
}
