package ui

import (
	"image/color"
	"slices"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// dialogRadio is a dialog's choice of one of a few options, in a row,
// drawn as radio buttons. Fyne's radio group keeps every key typed once
// an option was clicked, so a dialog did not close on Escape after a
// click on one; these options hand Escape to the dialog (passEscape), as
// the dialog's other fields do. Space, or a click, chooses the option
// that has the keyboard; the arrow keys choose the one before or after.
type dialogRadio struct {
	widget.BaseWidget
	canvas    fyne.Canvas
	options   []string
	Selected  string
	OnChanged func(string) // also when SetSelected changes it
	items     []*radioOption
}

func newDialogRadio(c fyne.Canvas, options []string, changed func(string)) *dialogRadio {
	r := &dialogRadio{canvas: c, options: options, OnChanged: changed}
	for _, o := range options {
		r.items = append(r.items, newRadioOption(r, o))
	}
	r.ExtendBaseWidget(r)
	return r
}

// SetSelected chooses option.
func (r *dialogRadio) SetSelected(option string) {
	if r.Selected == option || !slices.Contains(r.options, option) {
		return
	}
	r.Selected = option
	for _, it := range r.items {
		it.Refresh()
	}
	if r.OnChanged != nil {
		r.OnChanged(option)
	}
}

// step chooses the option n after from's (before it for a negative n),
// if there is one, and gives it the keyboard.
func (r *dialogRadio) step(from *radioOption, n int) {
	i := slices.Index(r.items, from) + n
	if i < 0 || i >= len(r.items) {
		return
	}
	r.SetSelected(r.items[i].option)
	r.canvas.Focus(r.items[i])
}

func (r *dialogRadio) CreateRenderer() fyne.WidgetRenderer {
	objs := make([]fyne.CanvasObject, len(r.items))
	for i, it := range r.items {
		objs[i] = it
	}
	return widget.NewSimpleRenderer(container.NewHBox(objs...))
}

// radioOption is one option of a dialogRadio.
type radioOption struct {
	widget.BaseWidget
	group            *dialogRadio
	option           string
	focused, hovered bool
}

func newRadioOption(g *dialogRadio, option string) *radioOption {
	o := &radioOption{group: g, option: option}
	o.ExtendBaseWidget(o)
	return o
}

func (o *radioOption) Tapped(*fyne.PointEvent) {
	o.group.canvas.Focus(o)
	o.group.SetSelected(o.option)
}

func (o *radioOption) FocusGained() { o.focused = true; o.Refresh() }
func (o *radioOption) FocusLost()   { o.focused = false; o.Refresh() }

func (o *radioOption) TypedRune(r rune) {
	if r == ' ' {
		o.group.SetSelected(o.option)
	}
}

func (o *radioOption) TypedKey(k *fyne.KeyEvent) {
	switch k.Name {
	case fyne.KeyLeft, fyne.KeyUp:
		o.group.step(o, -1)
	case fyne.KeyRight, fyne.KeyDown:
		o.group.step(o, 1)
	default:
		passEscape(o.group.canvas, k, func(*fyne.KeyEvent) {})
	}
}

func (o *radioOption) MouseIn(*desktop.MouseEvent)    { o.hovered = true; o.Refresh() }
func (o *radioOption) MouseMoved(*desktop.MouseEvent) {}
func (o *radioOption) MouseOut()                      { o.hovered = false; o.Refresh() }

func (o *radioOption) CreateRenderer() fyne.WidgetRenderer {
	ring := canvas.NewCircle(color.Transparent)
	fill, edge := widget.NewIcon(nil), widget.NewIcon(nil)
	size := theme.IconInlineSize() + theme.InnerPadding()
	spot := container.NewGridWrap(fyne.NewSize(size, size), container.NewStack(ring, container.NewCenter(container.NewStack(fill, edge))))
	rr := &radioOptionRenderer{o: o, ring: ring, fill: fill, edge: edge,
		WidgetRenderer: widget.NewSimpleRenderer(container.NewHBox(container.NewCenter(spot), widget.NewLabel(o.option)))}
	rr.Refresh()
	return rr
}

// radioOptionRenderer lays the option out as a simple renderer does, and
// draws its state: chosen or not, with the keyboard or the mouse on it.
type radioOptionRenderer struct {
	fyne.WidgetRenderer
	o          *radioOption
	ring       *canvas.Circle // the keyboard's or the mouse's mark
	fill, edge *widget.Icon   // the button: its inside and its edge
}

func (r *radioOptionRenderer) Refresh() {
	fill, edge := theme.ColorNameInputBackground, theme.ColorNameInputBorder
	if r.o.group.Selected == r.o.option {
		fill, edge = theme.ColorNamePrimary, theme.ColorNameForeground
	}
	r.fill.SetResource(theme.NewColoredResource(theme.RadioButtonFillIcon(), fill))
	r.edge.SetResource(theme.NewColoredResource(theme.RadioButtonIcon(), edge))
	switch {
	case r.o.focused:
		r.ring.FillColor = theme.Color(theme.ColorNameFocus)
	case r.o.hovered:
		r.ring.FillColor = theme.Color(theme.ColorNameHover)
	default:
		r.ring.FillColor = color.Transparent
	}
	r.ring.Refresh()
	r.WidgetRenderer.Refresh()
}
