package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

// windowSize is a window's size as the user left it, kept in the app's
// preferences under key+".width" and key+".height". A window opens at its
// default until it is first closed; every default fits a screen 1280
// wide, and a window too narrow for its columns scrolls them.
type windowSize struct {
	key      string
	def, min fyne.Size
}

// restore resizes w to its remembered size, at least min, and puts the
// divider of its record split (oneWindow) where it was left.
func (s windowSize) restore(p fyne.Preferences, w fyne.Window) {
	width := p.FloatWithFallback(s.key+".width", float64(s.def.Width))
	height := p.FloatWithFallback(s.key+".height", float64(s.def.Height))
	w.Resize(fyne.NewSize(max(float32(width), s.min.Width), max(float32(height), s.min.Height)))
	if c, ok := w.Content().(splitContent); ok {
		splitKept(s.key+".split").restore(p, c.recordSplit())
	}
}

// remember keeps w's size, unless w has none (it never showed), and
// the place of its record split's divider.
func (s windowSize) remember(p fyne.Preferences, w fyne.Window) {
	size := w.Canvas().Size()
	if size.Width <= 0 || size.Height <= 0 {
		return
	}
	p.SetFloat(s.key+".width", float64(size.Width))
	p.SetFloat(s.key+".height", float64(size.Height))
	if c, ok := w.Content().(splitContent); ok {
		splitKept(s.key+".split").remember(p, c.recordSplit())
	}
}

// splitKept is where a record split's divider was left (recordSplit),
// kept in the app's preferences under its name: the share of the height
// the record has.
type splitKept string

// restore puts s's divider where it was left; nil s is left be.
func (k splitKept) restore(p fyne.Preferences, s *container.Split) {
	if s == nil {
		return
	}
	if share := p.FloatWithFallback(string(k), recordShare); share >= minRecordShare && share <= maxRecordShare {
		s.SetOffset(1 - share)
	}
}

// remember keeps where s's divider is; nil s keeps nothing.
func (k splitKept) remember(p fyne.Preferences, s *container.Split) {
	if s != nil {
		p.SetFloat(string(k), min(max(1-s.Offset, minRecordShare), maxRecordShare))
	}
}

// splitContent is the content of a window with a record split.
type splitContent interface{ recordSplit() *container.Split }

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

// oneWindow is the content of a window the app has one of (the log, the
// Backups, the Command Audit), which keeps its size: opening the window
// again finds the open one, and its state, by it.
type oneWindow[S any] struct {
	widget.BaseWidget
	state S
	obj   fyne.CanvasObject
	size  windowSize
	split *container.Split // the record split in obj, kept with the size
}

func newOneWindow[S any](state S, size windowSize, obj fyne.CanvasObject, split *container.Split) *oneWindow[S] {
	c := &oneWindow[S]{state: state, obj: obj, size: size, split: split}
	c.ExtendBaseWidget(c)
	return c
}

func (c *oneWindow[S]) recordSplit() *container.Split { return c.split }

func (c *oneWindow[S]) CreateRenderer() fyne.WidgetRenderer { return widget.NewSimpleRenderer(c.obj) }

func (c *oneWindow[S]) keptSize() windowSize { return c.size }

// frontWindow brings the open window whose state is an S to the front,
// and returns that state; false when none is open.
func frontWindow[S any](a fyne.App) (S, bool) {
	for _, w := range a.Driver().AllWindows() {
		if c, ok := w.Content().(*oneWindow[S]); ok {
			w.Show()
			w.RequestFocus()
			return c.state, true
		}
	}
	var none S
	return none, false
}
