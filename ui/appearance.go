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

// variantTheme is a theme in one variant, light or dark, whichever the
// system asks for.
type variantTheme struct {
	fyne.Theme
	variant fyne.ThemeVariant
}

func (t variantTheme) Color(n fyne.ThemeColorName, _ fyne.ThemeVariant) color.Color {
	return t.Theme.Color(n, t.variant)
}

// applyAppearance sets a's theme to what value says; an unknown value
// (a preference from elsewhere) follows the system.
func applyAppearance(a fyne.App, value string) {
	switch value {
	case appearanceLight:
		a.Settings().SetTheme(variantTheme{theme.DefaultTheme(), theme.VariantLight})
	case appearanceDark:
		a.Settings().SetTheme(variantTheme{theme.DefaultTheme(), theme.VariantDark})
	default:
		a.Settings().SetTheme(theme.DefaultTheme())
	}
}

// startAppearance applies the appearance kept from before, if one was
// chosen; otherwise the app's theme is left as it is (the system's).
func startAppearance(a fyne.App) {
	if v := a.Preferences().StringWithFallback(prefAppearance, appearanceSystem); v != appearanceSystem {
		applyAppearance(a, v)
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
