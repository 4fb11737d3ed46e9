package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

// noteMeasure is the widest a view's note runs before its words wrap: a
// readable line, however wide the window.
const noteMeasure float32 = 560

// emptyNote is what a view shows in place of its list when the list is
// empty or cannot be read: l's words, centred in the view and wrapped at
// noteMeasure (or the view's width, if narrower), with below (a button,
// say) centred under them. Hiding l hides the words; a long error never
// widens the window.
func emptyNote(l *widget.Label, below ...fyne.CanvasObject) fyne.CanvasObject {
	l.Wrapping = fyne.TextWrapWord
	l.Alignment = fyne.TextAlignCenter
	col := container.NewVBox(l)
	for _, b := range below {
		col.Add(container.NewCenter(b))
	}
	return container.New(noteLayout{}, col)
}

// noteLayout centres its objects at a readable width, each as tall as
// its words need at that width.
type noteLayout struct{}

func (noteLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	w := min(size.Width, noteMeasure)
	for _, o := range objs {
		o.Resize(fyne.NewSize(w, size.Height)) // the words wrap at w…
		h := min(o.MinSize().Height, size.Height)
		o.Resize(fyne.NewSize(w, h)) // …and take the height they need there
		o.Move(fyne.NewPos((size.Width-w)/2, (size.Height-h)/2))
	}
}

// MinSize is one short line's: the note wraps to the room it is given.
func (noteLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var s fyne.Size
	for _, o := range objs {
		s = s.Max(o.MinSize())
	}
	return s
}
