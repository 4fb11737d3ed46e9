package ui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

func TestAnEmptyViewsNoteWrapsAtAReadableWidthInTheMiddle(t *testing.T) {
	test.NewTempApp(t)
	words := strings.Repeat("No backup tasks on this server yet. ", 6)
	l := widget.NewLabel(words)
	button := widget.NewButton("Add a task…", nil)
	note := emptyNote(l, button)
	oneLine := widget.NewLabel("No backup tasks").MinSize().Height

	// A wide view: the words run a readable measure, not the view's width,
	// over several lines, centred both ways, the button under them.
	note.Resize(fyne.NewSize(1400, 700))
	col := note.(*fyne.Container).Objects[0]
	if w := col.Size().Width; w != noteMeasure {
		t.Errorf("in a 1400-wide view the note is %v wide, want %v", w, noteMeasure)
	}
	if x := col.Position().X; x != (1400-noteMeasure)/2 {
		t.Errorf("the note starts at x=%v, want it centred at %v", x, (1400-noteMeasure)/2)
	}
	if h := l.Size().Height; h < 2*oneLine {
		t.Errorf("the words take %v of height, want them wrapped on several lines (one is %v)", h, oneLine)
	}
	if y := col.Position().Y; y <= 0 || y+col.Size().Height >= 700 {
		t.Errorf("the note runs from y=%v for %v, want it in the middle of 700", y, col.Size().Height)
	}
	bx := button.Position().X + button.Size().Width/2
	if d := bx - noteMeasure/2; d < -1 || d > 1 {
		t.Errorf("the button's middle is at %v in the note, want %v", bx, noteMeasure/2)
	}

	// A narrow view: the words wrap at its width, and ask for no more.
	note.Resize(fyne.NewSize(300, 700))
	if w := col.Size().Width; w != 300 {
		t.Errorf("in a 300-wide view the note is %v wide, want 300", w)
	}
	if w := note.MinSize().Width; w > 300 {
		t.Errorf("the note asks for %v of width, more than the view's 300", w)
	}
}
