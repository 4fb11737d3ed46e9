package ui

import (
	"image/color"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// paintedCells names the cells of a table drawn in the selection colour
// behind their label.
func paintedCells(t *testing.T, table *gridTable) map[string]bool {
	t.Helper()
	sel := table.Theme().Color(theme.ColorNameSelection, fyne.CurrentApp().Settings().ThemeVariant())
	out := map[string]bool{}
	for _, o := range renderedObjects(table) {
		c, ok := o.(*fyne.Container)
		if !ok || len(c.Objects) != 2 {
			continue
		}
		bg, ok1 := c.Objects[0].(*canvas.Rectangle)
		l, ok2 := c.Objects[1].(*widget.Label)
		if !ok1 || !ok2 || l.Text == "" {
			continue
		}
		switch bg.FillColor {
		case sel:
			out[l.Text] = true
		case color.Color(color.Transparent):
		default:
			t.Errorf("cell %s is painted %v, neither the selection colour nor nothing", l.Text, bg.FillColor)
		}
	}
	return out
}

// renderedObjects lists o and what it draws as the window drew it.
// (test.LaidOutObjects makes each widget a new renderer, and a table's
// new renderer holds no cells yet.)
func renderedObjects(o fyne.CanvasObject) []fyne.CanvasObject {
	out := []fyne.CanvasObject{o}
	switch c := o.(type) {
	case fyne.Widget:
		for _, child := range test.WidgetRenderer(c).Objects() {
			out = append(out, renderedObjects(child)...)
		}
	case *fyne.Container:
		for _, child := range c.Objects {
			out = append(out, renderedObjects(child)...)
		}
	}
	return out
}

func TestSelectingACellShowsItsWholeRowSelected(t *testing.T) {
	test.NewTempApp(t)
	rows := [][]string{{"a1", "b1", "c1"}, {"a2", "b2", "c2"}, {"a3", "b3", "c3"}}
	told := -1
	table := newGridTable([]string{"A", "B", "C"}, []float32{60, 60, 60},
		func() [][]string { return rows }, func(row int) { told = row })
	w := test.NewTempWindow(t, table)
	w.Resize(fyne.NewSize(300, 200))

	if got := paintedCells(t, table); len(got) != 0 {
		t.Fatalf("before any choice, cells painted as selected: %v", got)
	}
	table.Select(widget.TableCellID{Row: 1, Col: 0})
	if told != 1 {
		t.Errorf("the view was told row %d was chosen, want 1", told)
	}
	// Fyne marks the chosen cell itself; the rest of its row is painted.
	if got := paintedCells(t, table); len(got) != 2 || !got["b2"] || !got["c2"] {
		t.Errorf("after choosing a2, painted %v, want b2 and c2", got)
	}
	table.Select(widget.TableCellID{Row: 2, Col: 1})
	if got := paintedCells(t, table); len(got) != 2 || !got["a3"] || !got["c3"] {
		t.Errorf("after choosing b3, painted %v, want a3 and c3 (and row 2 no more)", got)
	}
	table.UnselectAll()
	if got := paintedCells(t, table); len(got) != 0 {
		t.Errorf("after the choice was cleared, cells painted as selected: %v", got)
	}
}
