package ui

import (
	"fmt"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/lanyard/lanyard/core/address"
	"github.com/lanyard/lanyard/core/health"
	"github.com/lanyard/lanyard/core/human"
	"github.com/lanyard/lanyard/core/master"
)

// statusBar is the strip along the window's bottom: how many slaves are
// connected and offline, whether mail is getting through (only while it
// is not: a button to the mail settings), and whether the console
// listens.
type statusBar struct {
	counts *widget.Label
	mail   *widget.Button
	listen *widget.Label
	// notListening stands in for listen while the console cannot
	// listen: a short warning that opens the settings, which say why
	// (the reason is too long for the bar, and would widen the window).
	notListening *widget.Button
	obj          fyne.CanvasObject
}

// newStatusBar is the bar; onMail opens the mail settings, onListen the
// listening settings.
func newStatusBar(onMail, onListen func()) *statusBar {
	s := &statusBar{counts: widget.NewLabel(""), listen: widget.NewLabel(""),
		mail:         widget.NewButtonWithIcon("", theme.MailComposeIcon(), onMail),
		notListening: widget.NewButtonWithIcon("", theme.WarningIcon(), onListen)}
	s.listen.Alignment = fyne.TextAlignTrailing
	for _, b := range []*widget.Button{s.mail, s.notListening} {
		b.Importance = widget.DangerImportance
		b.Hide()
	}
	s.obj = container.NewVBox(widget.NewSeparator(), container.NewHBox(s.counts, layout.NewSpacer(), s.mail, s.listen, s.notListening))
	return s
}

// text is the whole bar as one line, as the tests and a screen reader see it.
func (s *statusBar) text() string {
	parts := []string{s.counts.Text}
	for _, b := range []*widget.Button{s.mail, s.notListening} {
		if b.Visible() {
			parts = append(parts, b.Text)
		}
	}
	if s.listen.Visible() {
		parts = append(parts, s.listen.Text)
	}
	return strings.Join(parts, " · ")
}

// setMail shows the mail warning while mail is not getting through.
func (s *statusBar) setMail(ms master.MailStatus) {
	if !ms.Failing {
		s.mail.Hide()
		return
	}
	s.mail.SetText(mailBarText(ms))
	s.mail.Show()
}

// mailBarText is the status bar's word that mail is not getting through:
// what waits, or since when.
func mailBarText(ms master.MailStatus) string {
	if w := ms.Waiting(); w != "" {
		return "Mail not getting through: " + w + " waiting"
	}
	return "Mail not getting through since " + ms.Since.Local().Format("15:04")
}

// setCounts shows the slaves by state and their tasks by backup state,
// with the slaves that never linked, whose tasks nobody knows: "2
// connected · 0 offline · 1 error · backups: 2 ok · 1 failed · 1 server
// never linked".
func (s *statusBar) setCounts(c *stateCounts, backup health.Counts, never int) {
	var b []string
	if backup.Total() > 0 {
		b = append(b, backup.String())
	}
	if never > 0 {
		b = append(b, health.NeverLinkedWords(never))
	}
	text := countsText(c)
	if len(b) > 0 {
		text += " · backups: " + strings.Join(b, " · ")
	}
	s.counts.SetText(text)
}

func (s *statusBar) setListen(li listenInfo) {
	text, bad := listenText(li)
	if bad {
		s.notListening.SetText(text)
		s.notListening.Show()
		s.listen.Hide()
		return
	}
	s.listen.SetText(text)
	s.listen.Show()
	s.notListening.Hide()
}

// countsText is "N connected · M offline", with connecting, error and
// disabled counts added when there are any.
func countsText(c *stateCounts) string {
	parts := []string{
		human.Count(c.of(master.StateConnected)) + " connected",
		human.Count(c.of(master.StateOffline)) + " offline",
	}
	if n := c.of(master.StateConnecting); n > 0 {
		parts = append(parts, human.Count(n)+" connecting")
	}
	if n := c.of(master.StateError); n > 0 {
		parts = append(parts, human.Plural(n, "error", "errors"))
	}
	if n := c.of(master.StateDisabled); n > 0 {
		parts = append(parts, human.Count(n)+" disabled")
	}
	return strings.Join(parts, " · ")
}

// listenText is "listening on :16888 (SSL)", "not listening" or "NOT
// listening on :16888" (the reason is in the settings); bad is true for
// the last.
func listenText(li listenInfo) (text string, bad bool) {
	if li.err != nil {
		return "NOT listening on " + li.settings.ListenAddress, true
	}
	if li.addr == "" {
		return "not listening", false
	}
	ssl := "no SSL"
	if li.settings.SSL {
		ssl = "SSL"
	}
	return fmt.Sprintf("listening on %s (%s)", shownListenAddr(li), ssl), false
}

// shownListenAddr is the address as the user set it (":16888" for every
// address) with the port actually bound.
func shownListenAddr(li listenInfo) string {
	bound, err := address.ParseListen(li.addr)
	if err != nil || bound.Port == 0 {
		return li.addr
	}
	host, _ := address.Split(li.settings.ListenAddress)
	return address.Join(host, strconv.Itoa(bound.Port))
}
