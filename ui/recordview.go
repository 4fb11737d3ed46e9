package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// newRecordView is the space under a list where the record selected is
// shown in full, words wrapped and selectable to copy: a label, and the
// scroll that holds it, never less than lines high. It starts with hint.
func newRecordView(hint string, lines int) (*widget.Label, *container.Scroll) {
	l := widget.NewLabel(hint)
	l.Wrapping = fyne.TextWrapWord
	l.Selectable = true
	l.Importance = widget.LowImportance
	s := container.NewVScroll(l)
	s.SetMinSize(fyne.NewSize(0, float32(lines)*l.MinSize().Height-2*theme.InnerPadding()))
	return l, s
}

// showRecord shows text in a record view's label, or hint, greyed, when
// there is no text (nothing selected). Words already shown are left be,
// and with them what a person has selected of them to copy.
func showRecord(l *widget.Label, text, hint string) {
	imp := widget.MediumImportance
	if text == "" {
		text, imp = hint, widget.LowImportance
	}
	if l.Text == text && l.Importance == imp {
		return
	}
	l.Importance = imp
	l.SetText(text)
}

// recordShare is the part of the height a list's record view has at
// first; a divider dragged further is remembered no further than the
// bounds (splitKept).
const (
	recordShare    = 0.3
	minRecordShare = 0.1
	maxRecordShare = 0.8
)

// recordSplit puts a list above the view of its selected record, with a
// divider a person drags to read a long record (a failed run's report)
// whole (where it was left is kept: splitKept). The split is fixed
// otherwise: selecting a record never shrinks the list (a log that
// follows new records keeps following them).
func recordSplit(list, record fyne.CanvasObject) *container.Split {
	s := container.NewVSplit(list, record)
	s.Offset = 1 - recordShare
	return s
}
