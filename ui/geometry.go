package ui

import "fyne.io/fyne/v2"

// windowSize is a window's size as the user left it, kept in the app's
// preferences under key+".width" and key+".height". A window opens at its
// default until it is first closed; every default fits a screen 1280
// wide, and a window too narrow for its columns scrolls them.
type windowSize struct {
	key      string
	def, min fyne.Size
}

// restore resizes w to its remembered size, at least min.
func (s windowSize) restore(p fyne.Preferences, w fyne.Window) {
	width := p.FloatWithFallback(s.key+".width", float64(s.def.Width))
	height := p.FloatWithFallback(s.key+".height", float64(s.def.Height))
	w.Resize(fyne.NewSize(max(float32(width), s.min.Width), max(float32(height), s.min.Height)))
}

// remember keeps w's size, unless w has none (it never showed).
func (s windowSize) remember(p fyne.Preferences, w fyne.Window) {
	size := w.Canvas().Size()
	if size.Width <= 0 || size.Height <= 0 {
		return
	}
	p.SetFloat(s.key+".width", float64(size.Width))
	p.SetFloat(s.key+".height", float64(size.Height))
}

// sizedContent is the content of a window that keeps its size.
type sizedContent interface{ keptSize() windowSize }

// rememberOpenWindows keeps the size of every open window that keeps
// one. The main window calls it as it closes: Fyne ends the app then
// without closing the other windows, so their own remember never runs.
func rememberOpenWindows(a fyne.App) {
	for _, w := range a.Driver().AllWindows() {
		if c, ok := w.Content().(sizedContent); ok {
			c.keptSize().remember(a.Preferences(), w)
		}
	}
}
