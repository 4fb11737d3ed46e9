package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// columns are a table's column widths: each column gets its narrowest
// width, and what the table has beyond goes to the columns by their
// shares (which add up to 1). A table narrower than the narrowest widths
// keeps them and scrolls sideways.
type columns struct {
	min, shares []float32
	widths      []float32 // as last fitted
}

func newColumns(min, shares []float32) columns {
	return columns{min: min, shares: shares, widths: append([]float32(nil), min...)}
}

// fit sets t's column widths for a table width wide. Fyne's table puts a
// padding between columns and at each end.
func (c *columns) fit(t *widget.Table, width float32) {
	extra := width - c.need()
	for i := range c.min {
		c.widths[i] = c.min[i] + max(extra, 0)*c.shares[i]
		t.SetColumnWidth(i, c.widths[i])
	}
}

// need is the table width at which every column has its narrowest width.
func (c *columns) need() float32 {
	all := theme.Padding() * float32(len(c.min)+2)
	for _, w := range c.min {
		all += w
	}
	return all
}

// fittedTable is a table whose columns share its width as cols say.
type fittedTable struct {
	widget.Table
	cols columns
	// canvas is the window's: Escape typed once a click gave the table
	// the keyboard goes to it (closeKeys: the window closes).
	canvas fyne.Canvas
}

// TypedKey hands Escape to the window.
func (t *fittedTable) TypedKey(k *fyne.KeyEvent) { passEscape(t.canvas, k, t.Table.TypedKey) }

// Resize shares the width among the columns.
func (t *fittedTable) Resize(size fyne.Size) {
	t.cols.fit(&t.Table, size.Width)
	t.Table.Resize(size)
}
