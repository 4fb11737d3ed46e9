package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"github.com/lanyard/lanyard/core/link"
)

// newSSLRisk is the label that stands beside every SSL checkbox and says,
// in core/link's words, what the setting exposes: a warning with SSL off,
// a quieter note with it on.
func newSSLRisk(on bool) *widget.Label {
	l := widget.NewLabel("")
	l.Wrapping = fyne.TextWrapWord
	showSSLRisk(l, on)
	return l
}

// showSSLRisk sets l to what the SSL setting on exposes.
func showSSLRisk(l *widget.Label, on bool) {
	if on {
		l.Importance = widget.LowImportance
		l.SetText(sentence(link.SSLOnRisk))
		return
	}
	l.Importance = widget.WarningImportance
	l.SetText(sentence(link.SSLOffRisk) + " " + sentence(link.SSLAdvice))
}
