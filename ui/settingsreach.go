package ui

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/lanyard/lanyard/core/address"
	"github.com/lanyard/lanyard/core/human"
	"github.com/lanyard/lanyard/core/master"
)

// The Remote Management Settings' part on where agents reach this
// console: its addresses on this computer's networks, the office router's
// public address or name and the ports it forwards (filled in by the
// user), this console's certificate, and the `lanyard-agent init` line
// for a new customer site, ready to copy. The line follows the form as
// the user types.

// agentsTab builds the part, the dialog's second tab; validate keeps it
// current.
func (f *settingsForm) agentsTab() fyne.CanvasObject {
	f.lanAddrs = widget.NewLabel("")
	f.lanAddrs.Selectable = true
	f.lanAddrs.Wrapping = fyne.TextWrapWord

	f.public = newDialogEntry(f.canvas)
	f.public.SetPlaceHolder("e.g. office.example.com")
	f.public.SetText(f.old.PublicHost)
	f.public.OnChanged = func(string) { f.validate() }
	f.pubPorts = newDialogEntry(f.canvas)
	f.pubPorts.SetPlaceHolder("16888, 50000")
	f.pubPorts.SetText(master.FormatPorts(f.old.PublicPorts))
	f.pubPorts.OnChanged = func(string) { f.validate() }
	takesWholeAddress(f.public, f.pubPorts, intoPortList)
	f.pubMsg = problemLine()

	f.initLine = widget.NewLabel("")
	f.initLine.Selectable = true
	f.initLine.Wrapping = fyne.TextWrapBreak
	f.initLine.TextStyle = fyne.TextStyle{Monospace: true}
	f.copyLine = widget.NewButtonWithIcon("Copy", theme.ContentCopyIcon(), func() {
		fyne.CurrentApp().Clipboard().SetContent(f.initLine.Text)
	})
	f.lineNote = widget.NewLabel("")
	f.lineNote.Wrapping = fyne.TextWrapWord
	f.lineNote.SizeName = theme.SizeNameCaptionText

	publicHint := widget.NewLabel(settingsPublicHint)
	publicHint.Wrapping = fyne.TextWrapWord
	publicHint.SizeName = theme.SizeNameCaptionText
	portsRow := container.NewBorder(nil, nil, container.New(&fixedWidthLayout{width: 140}, f.pubPorts), nil,
		widget.NewLabel(settingsPortsHint))
	form := container.New(layout.NewFormLayout(),
		widget.NewLabel("On this network"), f.lanAddrs,
		widget.NewLabel("Public address"), container.NewVBox(f.public, publicHint),
		widget.NewLabel(settingsPortsLabel), portsRow,
	)
	line := container.NewVBox(widget.NewLabelWithStyle(settingsLineLabel, fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		container.NewBorder(nil, nil, nil, f.copyLine, f.initLine), f.lineNote)
	return container.NewVBox(form, f.pubMsg, f.certificateRow(), widget.NewSeparator(), line)
}

// publicSettings reads the public address and ports into s, and says
// what is wrong with them.
func (f *settingsForm) publicSettings(s *master.Settings) error {
	if _, _, ok := portToMove(f.public, f.pubPorts, intoPortList); ok {
		return errors.New(portMovesWords(settingsPortsLabel))
	}
	s.PublicHost = strings.TrimSpace(f.public.Text)
	ports, err := master.ParsePorts(f.pubPorts.Text)
	if err != nil {
		return fmt.Errorf("forwarded ports: %w", err)
	}
	s.PublicPorts = ports
	return s.ValidatePublic()
}

// showReach brings the addresses, the line and its note up to date with
// the form: s is what it says, pubErr what is wrong with its public part.
func (f *settingsForm) showReach(s master.Settings, pubErr error) {
	f.pubMsg.SetText("")
	if pubErr != nil {
		f.pubMsg.SetText(capitalize(pubErr.Error()) + ".")
		s.PublicHost, s.PublicPorts = "", nil
	}
	showIf(f.pubMsg, f.pubMsg.Text != "")

	lan := f.rs.LANAddresses(s.ListenAddress)
	f.lanAddrs.SetText(textOr(strings.Join(lan, ", "), "no network address found on this computer"))
	f.initLine.SetText(master.AgentInitLine("", s.AgentAddresses(lan), s.SSL, f.rs.Fingerprint()))

	_, port := address.Split(s.ListenAddress)
	note, imp := "", widget.LowImportance
	switch pub := s.PublicAddresses(); {
	case !s.Listen:
		note, imp = "Listening is off: no agent can reach this console until “"+settingsListenLabel+"” is ticked.", widget.WarningImportance
	case len(pub) == 0:
		note = "For agents on this network. For a customer site on the Internet, enter the office router's public address or name above, and forward its ports to this computer."
	default:
		to := "this computer"
		if len(lan) > 0 {
			to, _ = address.Split(lan[0])
		}
		note = fmt.Sprintf("On the office router, forward TCP %s to %s, port %s. "+
			"The agent tries the ports in order and keeps the one that works: a second port helps where an ISP blocks the first.",
			portList(s.PublicPorts, port), to, port)
	}
	f.lineNote.Importance = imp
	f.lineNote.SetText(note + " NAME is the server's name; the command asks for its password (Enter makes one).")
}

// portList words the forwarded ports: "port 16888", "ports 16888 and 50000".
func portList(ports []int, listenPort string) string {
	if len(ports) == 0 {
		return "port " + listenPort
	}
	words := make([]string, len(ports))
	for i, p := range ports {
		words[i] = strconv.Itoa(p)
	}
	if len(words) == 1 {
		return "port " + words[0]
	}
	return "ports " + human.List(words, len(words))
}
