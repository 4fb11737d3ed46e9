package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// selectRows makes t show its selection as a whole row, as a person who
// picks a record expects: Fyne's table marks only the cell that was
// clicked, so every other cell of that row is painted in the same
// selection colour behind its content. Call it once CreateCell,
// UpdateCell, OnSelected and OnUnselected are set: it wraps them, and
// the table's callbacks still see their own cell objects.
func selectRows(t *widget.Table) {
	m := &rowMark{t: t, row: -1}
	create, update := t.CreateCell, t.UpdateCell
	t.CreateCell = func() fyne.CanvasObject {
		return container.NewStack(canvas.NewRectangle(color.Transparent), create())
	}
	t.UpdateCell = func(id widget.TableCellID, o fyne.CanvasObject) {
		c := o.(*fyne.Container)
		m.paint(c.Objects[0].(*canvas.Rectangle), id)
		update(id, c.Objects[1])
	}
	selected, unselected := t.OnSelected, t.OnUnselected
	t.OnSelected = func(id widget.TableCellID) {
		m.move(id.Row, id.Col)
		if selected != nil {
			selected(id)
		}
	}
	t.OnUnselected = func(id widget.TableCellID) {
		m.move(-1, -1)
		if unselected != nil {
			unselected(id)
		}
	}
}

// rowMark is the row a table shows selected, and the column of the cell
// Fyne marks itself.
type rowMark struct {
	t        *widget.Table
	row, col int
}

// paint colours a cell's background: the selection colour for the other
// cells of the selected row, nothing elsewhere.
func (m *rowMark) paint(bg *canvas.Rectangle, id widget.TableCellID) {
	want := color.Color(color.Transparent)
	if id.Row == m.row && id.Col != m.col {
		want = m.t.Theme().Color(theme.ColorNameSelection, fyne.CurrentApp().Settings().ThemeVariant())
	}
	if bg.FillColor != want {
		bg.FillColor = want
		bg.CornerRadius = m.t.Theme().Size(theme.SizeNameSelectionRadius)
		bg.Refresh()
	}
}

// move selects row (and col, the cell Fyne marks) and redraws the rows
// that changed.
func (m *rowMark) move(row, col int) {
	old := m.row
	m.row, m.col = row, col
	m.refreshRow(old)
	if row != old {
		m.refreshRow(row)
	}
}

func (m *rowMark) refreshRow(row int) {
	if row < 0 || m.t.Length == nil {
		return
	}
	rows, cols := m.t.Length()
	if row >= rows {
		return
	}
	for c := range cols {
		m.t.RefreshItem(widget.TableCellID{Row: row, Col: c})
	}
}
