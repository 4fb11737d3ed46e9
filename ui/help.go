package ui

import (
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/lanyard/lanyard/assets"
	"github.com/lanyard/lanyard/core/version"
)

// troubleshootingTip is one item of the README's troubleshooting list (a
// test keeps the two in step): a bold title and the text that follows it,
// punctuation included.
type troubleshootingTip struct{ title, text string }

const troubleshootingIntro = "Check the Remote Management Log (View menu, Ctrl+L), a task's last run in the Tasks tab, and the agent's output: every failure carries its reason. Then:"

func troubleshootingTips() []troubleshootingTip {
	return []troubleshootingTip{
		{"Use static IP addresses", " for the console and for agents the console dials, or host names that always resolve to the same machine."},
		{"Use one high port above 5000, the same everywhere.", " The default is 16888. Ports below 1024 need administrator rights."},
		{"Find a free port", ": Settings → Remote Management Settings → Check port names the process holding it (or ss -ltnp | grep 16888 on Linux, netstat -ano | findstr 16888 on Windows). \"the port is already in use\" in the log means exactly that."},
		{"Check the name and the password.", " The name is part of the key: the console's entry and lanyard-agent init --name must match (case does not matter). name_mismatch shows both names; auth_failed means the passwords differ. Retype the password on both ends; watch the keyboard layout."},
		{"SSL must match", " on both ends (ssl_mismatch). A firewall or proxy that inspects traffic may rewrite a link without SSL: both ends then log protocol_error, \"altered on the way\"; turn SSL on at both ends."},
		{"Name lookup", ": diagnose says whether the host name resolves; if not, use the IP address."},
		{"Test on the LAN first", ", then across the Internet."},
		{"ISPs block some ports", ", and many home connections refuse inbound connections: use inbound mode (the agent dials the console), and have the office router forward a second port (such as 50000) to the console too. Give the agent both: Remote Management Settings → Agents' addresses has the line. It uses whichever gets through, and lanyard-agent status says why the other failed."},
		{"Firewalls", ": open the listening port for TCP on the listening side (ufw allow 16888/tcp, firewall-cmd --add-port=16888/tcp --permanent, or on Windows netsh advfirewall firewall add rule name=Lanyard dir=in action=allow protocol=TCP localport=16888). A connection that times out rather than being refused usually means a firewall drops it."},
		{"cert_changed", ": the agent was reinstalled (new certificate) or something else answers at that address. If you reinstalled it, select the slave and click \"Trust the new certificate\" (or run lanyard slave trust NAME)."},
		{"rate_limited", ": too many failed attempts from that address or for that name; fix the password and wait the time given."},
		{"\"broke off the TLS handshake\"", " (protocol_error, counted as \"broken handshakes\"): the other end sent its first bytes and went before the handshake was done, usually because it gave up waiting for this end (a server that was stopped, or swamped, for a while). It needs nothing from you when it stops once this end answers again; the other end tries again by itself."},
		{"lanyard-agent diagnose HOST:PORT", " runs all of the above checks in order and names the first that fails. Add Slave → Test connection does the same from here."},
		{"\"is the share it is on mounted?\"", ": a backup run found no task folder where its last run wrote one, so the share its destination is on (a NAS, a USB disk) is not mounted. Mount it and run again; to begin afresh there on purpose, create the folder DEST/TASK yourself."},
		{"A verify found files changed", " (or a run's warnings begin \"verify:\"): the destination's disk altered them after they were written (or someone edited the snapshot). The next run copies them afresh; check that disk (its SMART status, the NAS's scrub), and restore such a file from a snapshot made since. To have this found without asking, give the task Verify the snapshots."},
		{"\"holds task … of the server …\"", ": two servers back up into one folder, and each would remove the other's snapshots. Give each a destination of its own (/mnt/nas/{server} in Copy To…)."},
	}
}

// showTroubleshooting opens the troubleshooting list over w.
func showTroubleshooting(w fyne.Window) {
	segs := []widget.RichTextSegment{&widget.TextSegment{Style: widget.RichTextStyleParagraph, Text: troubleshootingIntro}}
	for i, t := range troubleshootingTips() {
		segs = append(segs,
			&widget.TextSegment{Style: widget.RichTextStyleStrong, Text: fmt.Sprintf("%d. %s", i+1, t.title)},
			&widget.TextSegment{Style: widget.RichTextStyleParagraph, Text: t.text},
		)
	}
	rt := widget.NewRichText(segs...)
	rt.Wrapping = fyne.TextWrapWord
	d := dialog.NewCustom("Troubleshooting", "Close", container.NewVScroll(rt), w)
	guardDialog(w, d, d.Hide, d.Hide)
	d.Resize(fyne.NewSize(720, 560))
	d.Show()
}

// Icon returns the application icon as a Fyne resource, for the window and
// for fyne.App.SetIcon.
func Icon() fyne.Resource {
	return fyne.NewStaticResource("icon.png", assets.IconPNG)
}

// showAbout shows the product name, icon and version in a dialog over w,
// and where the console keeps its data (dataDir, when known), to back it
// up or to move it to another machine.
func showAbout(w fyne.Window, dataDir string) {
	name := widget.NewLabelWithStyle("Lanyard", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	ver := widget.NewLabelWithStyle("Version "+version.String(), fyne.TextAlignCenter, fyne.TextStyle{})
	what := widget.NewLabelWithStyle("Centralized remote management console", fyne.TextAlignCenter, fyne.TextStyle{})
	content := container.NewVBox(iconImage(64), name, ver, what)
	if dataDir != "" {
		where := widget.NewLabelWithStyle("Data folder: "+dataDir, fyne.TextAlignCenter, fyne.TextStyle{})
		where.Wrapping = fyne.TextWrapBreak
		copyPath := widget.NewButtonWithIcon("Copy Path", theme.ContentCopyIcon(), func() {
			fyne.CurrentApp().Clipboard().SetContent(dataDir)
		})
		content.Add(where)
		content.Add(container.NewCenter(copyPath))
	}
	d := dialog.NewCustom("About Lanyard", "Close", content, w)
	guardDialog(w, d, d.Hide, d.Hide)
	d.Show()
}

// iconImage returns the app icon drawn at size × size.
func iconImage(size float32) fyne.CanvasObject {
	img := canvas.NewImageFromResource(Icon())
	img.FillMode = canvas.ImageFillContain
	img.SetMinSize(fyne.NewSize(size, size))
	return container.NewCenter(img)
}
