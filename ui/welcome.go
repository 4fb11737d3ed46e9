package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// Welcome panel texts and buttons.
const (
	welcomeTitle       = "Welcome to Lanyard"
	welcomeAddLabel    = "Add Slave…"
	welcomeListenLabel = "Listen for incoming connections…"
	welcomeMovingText  = "Managed from another console already? Export there with keys, and no password is typed here:"
)

// newWelcome is the panel shown while the console has no slaves: the two
// ways a slave links, a button for each, and, for a console set up beside
// another, Import Slaves.
func newWelcome(onAdd, onListen, onImport func()) fyne.CanvasObject {
	title := widget.NewLabelWithStyle(welcomeTitle, fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	title.SizeName = theme.SizeNameHeadingText
	intro := widget.NewLabelWithStyle("Add the servers you manage. Each runs lanyard-agent and links in one of two directions.",
		fyne.TextAlignCenter, fyne.TextStyle{})
	intro.Wrapping = fyne.TextWrapWord

	add := widget.NewButtonWithIcon(welcomeAddLabel, theme.ContentAddIcon(), onAdd)
	add.Importance = widget.HighImportance
	listen := widget.NewButtonWithIcon(welcomeListenLabel, theme.LoginIcon(), onListen)

	outbound := welcomeCard("Outbound: the console dials the server",
		"Use this when this computer can reach the server, on the same network or over a VPN. "+
			"The agent listens on a port (16888 by default) and you add it here with its address and management password.",
		add)
	inbound := welcomeCard("Inbound: the server dials the console",
		"Use this when the server is behind NAT or a firewall that lets connections out but not in. "+
			"This console listens on a port, and each agent is given this computer's address as its master.",
		listen)

	cards := container.NewGridWithColumns(2, outbound, inbound)
	importBtn := widget.NewButtonWithIcon(itemImport, theme.DownloadIcon(), onImport)
	importBtn.Importance = widget.LowImportance
	moving := container.NewCenter(container.NewHBox(widget.NewLabel(welcomeMovingText), importBtn))
	body := container.NewVBox(iconImage(72), title, intro, layout.NewSpacer(), cards, moving)
	return container.NewCenter(container.New(&fixedWidthMeasure{width: 860}, container.NewPadded(body)))
}

func welcomeCard(title, text string, button *widget.Button) fyne.CanvasObject {
	t := widget.NewLabelWithStyle(title, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	body := widget.NewLabel(text)
	body.Wrapping = fyne.TextWrapWord
	return widget.NewCard("", "", container.NewBorder(t, container.NewHBox(button), nil, nil, body))
}

// fixedWidthMeasure lays out its objects at a fixed width (their height follows),
// so wrapped text has a sensible measure in a wide window.
type fixedWidthMeasure struct{ width float32 }

func (m *fixedWidthMeasure) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objs {
		o.Move(fyne.NewPos(0, 0))
		o.Resize(size)
	}
}

func (m *fixedWidthMeasure) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var s fyne.Size
	for _, o := range objs {
		o.Resize(fyne.NewSize(m.width, o.MinSize().Height))
		s = s.Max(fyne.NewSize(m.width, o.MinSize().Height))
	}
	return s
}
