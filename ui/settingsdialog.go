package ui

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/lanyard/lanyard/core/address"
	"github.com/lanyard/lanyard/core/health"
	"github.com/lanyard/lanyard/core/link"
	"github.com/lanyard/lanyard/core/master"
)

// Settings dialog texts.
const (
	settingsTitle            = "Remote Management Settings"
	settingsListenLabel      = "Listen for incoming slave connections"
	settingsSSLLabel         = "SSL (TLS 1.3)"
	settingsSSLWarning       = "Every console and slave must use the same SSL setting."
	settingsCertLabel        = "This console's certificate"
	settingsCertHint         = "Give it to an agent that dials this console (lanyard-agent masters add HOST:PORT=SHA256:…), so its first contact is checked."
	settingsListeningTab     = "Listening and SSL"
	settingsAgentsTab        = "Agents' addresses"
	settingsPublicHint       = "The office router's public address or name, for agents at customer sites"
	settingsPortsLabel       = "Forwarded ports"
	settingsPortsHint        = "forwarded to this console, tried in this order"
	settingsLineLabel        = "A new site's agent"
	settingsCheckPortLabel   = "Check port"
	settingsApplyLabel       = "Apply"
	settingsCancelLabel      = "Cancel"
	settingsDefaultHeartbeat = 15
	settingsAlertsTab        = "Alerts"
	settingsGraceLabel       = "Alert after"
	settingsGraceUnit        = "seconds (1–86400)"
	settingsGraceHint        = "How long a backup failed, overdue or damaged, a destination nearly full or a slave offline lasts before a notification or mail says so: what clears sooner is not news."
)

// ShowSettingsDialog opens the Remote Management Settings over parent:
// listening, its address and port (with a port check), SSL and the
// heartbeat. Apply saves and applies them at once, in the background, and
// closes the dialog unless something failed. tickListen starts with the
// listen box ticked (the welcome panel's "Listen for incoming
// connections…").
func ShowSettingsDialog(parent fyne.Window, rs RemoteSettings, ports PortChecker, tickListen bool) {
	showSettingsDialog(parent, rs, ports, tickListen, fyne.Do)
}

// settingsForm is the dialog's state; do runs a function on the Fyne
// thread (fyne.Do, or a test's queue).
type settingsForm struct {
	rs    RemoteSettings
	ports PortChecker
	do    func(func())
	old   master.Settings
	mail  *mailForm // the Mail tab, when the console can send mail (MailEditor)
	// canvas is the window's the dialog shows on: its fields hand it
	// Escape (dialogfield.go).
	canvas fyne.Canvas

	listen      *dialogCheck
	address     *dialogEntry
	port        *dialogEntry
	portMsg     *widget.Label
	check       *widget.Button
	checkResult *widget.Label
	use         *widget.Button
	suggested   int
	ssl         *dialogCheck
	sslRisk     *widget.Label // what the SSL setting exposes, in link's words
	heartbeat   *dialogEntry
	hbMsg       *widget.Label
	grace       *dialogEntry // the alert grace, in seconds
	graceMsg    *widget.Label

	// Where agents reach this console (settingsreach.go).
	lanAddrs *widget.Label
	public   *dialogEntry
	pubPorts *dialogEntry
	pubMsg   *widget.Label
	initLine *widget.Label
	lineNote *widget.Label
	copyLine *widget.Button

	result *widget.Label
	apply  *widget.Button
	cancel *widget.Button

	tabs   *container.AppTabs
	dlg    *dialog.CustomDialog
	closed bool
	busy   bool
}

func showSettingsDialog(parent fyne.Window, rs RemoteSettings, ports PortChecker, tickListen bool, do func(func())) *settingsForm {
	f := &settingsForm{rs: rs, ports: ports, do: do, old: rs.Settings(), canvas: parent.Canvas()}
	f.result = widget.NewLabel("")
	f.result.Wrapping = fyne.TextWrapWord
	f.result.Hide()
	// One row of tabs: the alerts, with the mail settings where the
	// console has them, are a third tab beside the two of the links.
	alerts, alertsName := f.alertsTab()
	tallest := f.addTabs(
		container.NewTabItem(settingsListeningTab, f.listeningTab(tickListen)),
		container.NewTabItem(settingsAgentsTab, f.agentsTab()),
		container.NewTabItem(alertsName, alerts),
	)
	if f.mail != nil {
		page := f.page(alertsName)
		f.mail.resultShown = func() {
			// The result is the page's last line, often below the
			// fold, and as many lines as it takes: lay the page out
			// again around it and bring it into view.
			page.Content.Refresh()
			page.Refresh()
			page.ScrollToBottom()
		}
	}
	body := container.NewBorder(nil, f.result, nil, nil, f.tabs)
	f.apply = widget.NewButtonWithIcon(settingsApplyLabel, theme.ConfirmIcon(), f.applyNow)
	f.apply.Importance = widget.HighImportance
	f.cancel = widget.NewButtonWithIcon(settingsCancelLabel, theme.CancelIcon(), f.close)
	f.dlg = dialog.NewCustomWithoutButtons(settingsTitle, body, parent)
	f.dlg.SetButtons([]fyne.CanvasObject{f.cancel, f.apply})
	f.dlg.SetOnClosed(dialogKeys(parent.Canvas(), f.close, nil))
	f.dlg.SetOnClosed(func() { f.closed = true })
	f.validate()
	if err := rs.ListenError(); err != nil && f.old.Listen {
		f.setResult(cannotListenWords("The console cannot listen", err), widget.DangerImportance)
	}
	f.dlg.Resize(dialogSize(parent, 600, tallest+f.tabs.MinSize().Height+f.result.MinSize().Height+120))
	f.dlg.Show()
	return f
}

// selectTab shows the tab named name.
func (f *settingsForm) selectTab(name string) {
	for _, it := range f.tabs.Items {
		if it.Text == name {
			f.tabs.Select(it)
		}
	}
}

// addTabs makes the dialog's tabs of items, each page in a scroll so the
// dialog fits a small window, and returns the tallest page's height.
func (f *settingsForm) addTabs(items ...*container.TabItem) (tallest float32) {
	f.tabs = container.NewAppTabs()
	for _, it := range items {
		tallest = max(tallest, it.Content.MinSize().Height)
		it.Content = formScroll(it.Content)
		f.tabs.Append(it)
	}
	return tallest
}

// page is the scroll that holds the tab called name.
func (f *settingsForm) page(name string) *container.Scroll {
	for _, it := range f.tabs.Items {
		if it.Text == name {
			return it.Content.(*container.Scroll)
		}
	}
	return nil
}

// listeningTab is the first tab: whether and where the console listens
// (with the port check), SSL, and the heartbeat.
func (f *settingsForm) listeningTab(tickListen bool) fyne.CanvasObject {
	f.listen = newDialogCheck(f.canvas, settingsListenLabel, nil)
	f.listen.SetChecked(f.old.Listen || tickListen)
	f.listen.OnChanged = func(bool) { f.validate() }
	listenForm := f.listenFields()
	checkRow := container.NewBorder(nil, nil, nil, container.NewVBox(f.use), f.checkResult)

	f.ssl = newDialogCheck(f.canvas, settingsSSLLabel, nil)
	sslWarn := widget.NewLabelWithStyle(settingsSSLWarning, fyne.TextAlignLeading, fyne.TextStyle{Italic: true})
	f.sslRisk = newSSLRisk(f.old.SSL)
	f.ssl.SetChecked(f.old.SSL)
	f.ssl.OnChanged = func(on bool) { showSSLRisk(f.sslRisk, on); f.validate() }

	note := lowNote("Apply takes effect at once: the listener restarts, and every link is remade when SSL or the heartbeat changes.")
	return container.NewVBox(
		f.listen,
		indent(container.NewVBox(listenForm, f.portMsg, checkRow)),
		widget.NewSeparator(),
		f.ssl,
		indent(container.NewVBox(sslWarn, f.sslRisk)),
		widget.NewSeparator(),
		f.heartbeatRow(),
		f.hbMsg,
		note,
	)
}

// listenFields is the listening address and port, with Check port and
// its answer (shown below the form by listeningTab).
func (f *settingsForm) listenFields() fyne.CanvasObject {
	host, port := address.Split(f.old.ListenAddress)
	f.address = newDialogEntry(f.canvas)
	f.address.SetPlaceHolder("all addresses of this computer")
	f.address.SetText(host)
	f.address.OnChanged = func(string) { f.validate() }

	f.port = newDialogEntry(f.canvas)
	f.port.SetText(portOrDefault(port))
	f.port.OnChanged = func(string) { f.clearCheck(); f.validate() }
	takesWholeAddress(f.address, f.port, intoPortField)
	f.portMsg = problemLine()

	f.check = widget.NewButtonWithIcon(settingsCheckPortLabel, theme.SearchIcon(), f.checkPort)
	f.checkResult = widget.NewLabel("")
	f.checkResult.Wrapping = fyne.TextWrapWord
	f.checkResult.Hide()
	f.use = widget.NewButton("", func() {
		f.port.SetText(strconv.Itoa(f.suggested))
	})
	f.use.Hide()

	portRow := container.NewHBox(container.New(&fixedWidthLayout{width: 110}, f.port), f.check)
	return container.New(layout.NewFormLayout(),
		widget.NewLabel("Address"), f.address,
		widget.NewLabel("Port"), portRow,
	)
}

// heartbeatRow is the heartbeat's field, as a form row.
func (f *settingsForm) heartbeatRow() fyne.CanvasObject {
	f.heartbeat = newDialogEntry(f.canvas)
	hb := f.old.HeartbeatSeconds
	if hb <= 0 {
		hb = settingsDefaultHeartbeat
	}
	f.heartbeat.SetText(strconv.Itoa(hb))
	f.heartbeat.OnChanged = func(string) { f.validate() }
	f.hbMsg = problemLine()
	row := container.NewHBox(container.New(&fixedWidthLayout{width: 80}, f.heartbeat), widget.NewLabel("seconds between pings (1–600)"))
	return container.New(layout.NewFormLayout(), widget.NewLabel("Heartbeat"), row)
}

// alertsTab is the third tab and its name: the alert grace, and the mail
// settings when the console can send mail (a MailEditor), in one form so
// that their labels and fields line up.
func (f *settingsForm) alertsTab() (fyne.CanvasObject, string) {
	rows := f.graceRows()
	me, ok := f.rs.(MailEditor)
	if !ok {
		return container.New(layout.NewFormLayout(), rows...), settingsAlertsTab
	}
	f.mail = newMailForm(f.canvas, me, f.do)
	rows = append(rows, f.mail.rows...)
	return container.NewVBox(f.mail.failingArea, container.New(layout.NewFormLayout(), rows...), f.mail.below), mailTabLabel
}

// graceRows are the alert grace's form row: how long a problem lasts
// before a notification or a mail says so, with what is wrong with the
// value typed and what it is for under the field.
func (f *settingsForm) graceRows() []fyne.CanvasObject {
	f.grace = newDialogEntry(f.canvas)
	f.grace.SetText(strconv.Itoa(int(f.old.AlertGrace() / time.Second)))
	f.grace.OnChanged = func(string) { f.validate() }
	f.graceMsg = problemLine()
	row := container.NewHBox(container.New(&fixedWidthLayout{width: 80}, f.grace), widget.NewLabel(settingsGraceUnit))
	hint := widget.NewLabel(settingsGraceHint)
	hint.Wrapping = fyne.TextWrapWord
	hint.SizeName = theme.SizeNameCaptionText
	return []fyne.CanvasObject{widget.NewLabel(settingsGraceLabel), container.NewVBox(row, f.graceMsg, hint)}
}

// certificateRow shows this console's certificate fingerprint, to read out
// or copy to an agent.
func (f *settingsForm) certificateRow() fyne.CanvasObject {
	fp := link.FormatFingerprint(f.rs.Fingerprint())
	if fp == "" {
		return container.NewVBox()
	}
	value := widget.NewLabel(fp)
	value.Selectable = true
	value.Wrapping = fyne.TextWrapBreak
	value.TextStyle = fyne.TextStyle{Monospace: true}
	hint := widget.NewLabel(settingsCertHint)
	hint.Wrapping = fyne.TextWrapWord
	hint.SizeName = theme.SizeNameCaptionText
	copyBtn := widget.NewButtonWithIcon("Copy", theme.ContentCopyIcon(), func() {
		fyne.CurrentApp().Clipboard().SetContent(fp)
	})
	return container.NewVBox(widget.NewLabelWithStyle(settingsCertLabel, fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		container.NewBorder(nil, nil, nil, copyBtn, value), hint)
}

// indent shifts o right, under the checkbox it belongs to.
func indent(o fyne.CanvasObject) fyne.CanvasObject {
	return container.NewBorder(nil, nil, container.New(&fixedWidthLayout{width: 24}), nil, o)
}

func portOrDefault(p string) string {
	if p == "" {
		return strconv.Itoa(address.DefaultPort)
	}
	return p
}

// settings is what the form says, and the first problem with it.
func (f *settingsForm) settings() (master.Settings, error) {
	s := master.Settings{Listen: f.listen.Checked, SSL: f.ssl.Checked, AlertGraceSeconds: f.old.AlertGraceSeconds}
	if err := f.graceSeconds(&s); err != nil {
		return s, err
	}
	host := strings.TrimSpace(f.address.Text)
	portErr := f.portError()
	if portErr == nil {
		s.ListenAddress = address.Join(host, f.port.Text)
	}
	var hbErr error
	hbText := strings.TrimSpace(f.heartbeat.Text)
	if hbText != "" {
		hb, err := strconv.Atoi(hbText)
		if err != nil || hb < 1 || hb > 600 {
			hbErr = fmt.Errorf("the heartbeat is a number of seconds from 1 to 600 (the default is %d)", settingsDefaultHeartbeat)
		}
		s.HeartbeatSeconds = hb
	}
	if hbErr != nil {
		return s, hbErr
	}
	if err := f.publicSettings(&s); err != nil {
		return s, err
	}
	if !s.Listen {
		// Not listening: the address is kept for later, but need not be
		// valid now.
		if _, err := address.ParseListen(s.ListenAddress); portErr != nil || err != nil {
			s.ListenAddress = f.old.ListenAddress
		}
		return s, nil
	}
	if portErr != nil {
		return s, portErr
	}
	_, err := address.ParseListen(s.ListenAddress)
	return s, err
}

// graceSeconds reads the alert grace into s.
func (f *settingsForm) graceSeconds(s *master.Settings) error {
	text := strings.TrimSpace(f.grace.Text)
	if text == "" {
		s.AlertGraceSeconds = 0 // the default
		return nil
	}
	g, err := strconv.Atoi(text)
	if err != nil || g < 1 || g > 24*3600 {
		return errGrace
	}
	s.AlertGraceSeconds = g
	return nil
}

var errGrace = fmt.Errorf("the alert grace is a number of seconds from 1 to 86400 (the default is %d)", int(health.DefaultGrace/time.Second))

func (f *settingsForm) portError() error {
	_, err := address.ParsePort(strings.TrimSpace(f.port.Text))
	return err
}

// validate enables what applies and shows each problem beside its field.
func (f *settingsForm) validate() {
	on := f.listen.Checked
	for _, w := range []fyne.Disableable{f.address, f.port, f.check} {
		if on {
			w.Enable()
		} else {
			w.Disable()
		}
	}
	f.portMsg.SetText("")
	if on {
		if _, _, ok := portToMove(f.address, f.port, intoPortField); ok {
			f.portMsg.SetText(sentence(portMovesWords("the Port field")))
		} else if err := f.portError(); err != nil {
			f.portMsg.SetText(capitalize(err.Error()) + ".")
		} else if _, err := address.ParseListen(address.Join(f.address.Text, f.port.Text)); err != nil {
			f.portMsg.SetText(capitalize(err.Error()) + ".")
		}
	}
	if f.portError() != nil {
		f.check.Disable()
	}
	showIf(f.portMsg, f.portMsg.Text != "")
	s, err := f.settings()
	if s.ListenAddress == "" {
		s.ListenAddress = f.old.ListenAddress // a port being typed
	}
	f.showReach(s, f.publicSettings(&s))
	f.hbMsg.SetText("")
	if err != nil && strings.Contains(err.Error(), "heartbeat") {
		f.hbMsg.SetText(capitalize(err.Error()) + ".")
	}
	showIf(f.hbMsg, f.hbMsg.Text != "")
	f.graceMsg.SetText("")
	if errors.Is(err, errGrace) {
		f.graceMsg.SetText(capitalize(err.Error()) + ".")
	}
	showIf(f.graceMsg, f.graceMsg.Text != "")
	f.markTabs(f.portMsg.Visible() || f.hbMsg.Visible(), f.pubMsg.Visible(), f.graceMsg.Visible())
	if f.apply != nil {
		if err != nil || f.busy {
			f.apply.Disable()
		} else {
			f.apply.Enable()
		}
	}
}

// markTabs marks each tab whose page shows a problem (one flag per tab,
// in their order) with a sign, so that an Apply greyed out by a field on
// another tab says where to look.
func (f *settingsForm) markTabs(problem ...bool) {
	if f.tabs == nil {
		return
	}
	changed := false
	for i, it := range f.tabs.Items {
		bad := i < len(problem) && problem[i]
		if (it.Icon != nil) == bad {
			continue
		}
		it.Icon, changed = nil, true
		if bad {
			it.Icon = theme.NewErrorThemedResource(theme.ErrorIcon())
		}
	}
	if changed {
		f.tabs.Refresh()
	}
}

// capitalize starts a message shown as a sentence with a capital,
// unless its first word is a name as typed rather than a word: one with
// a digit or a '-', '_' or '.' in it ("fs01 answered: …", "web-02 is
// not linked"), which keeps its case.
func capitalize(s string) string {
	first, _, _ := strings.Cut(s, " ")
	if s == "" || strings.ContainsAny(first, "0123456789-_.") {
		return s
	}
	r, size := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[size:]
}

func (f *settingsForm) clearCheck() {
	f.setCheck("", widget.MediumImportance)
	f.use.Hide()
}

// setCheck shows the port check's answer (nothing hides the line).
func (f *settingsForm) setCheck(text string, imp widget.Importance) {
	f.checkResult.Importance = imp
	f.checkResult.SetText(text)
	showIf(f.checkResult, text != "")
}

// setResult shows Apply's progress or failure (nothing hides the line).
func (f *settingsForm) setResult(text string, imp widget.Importance) {
	f.result.Importance = imp
	f.result.SetText(text)
	showIf(f.result, text != "")
}

// checkPort asks the PortChecker in the background. A port this console
// already listens on is reported as such, not as taken by "lanyard".
func (f *settingsForm) checkPort() {
	port, err := address.ParsePort(strings.TrimSpace(f.port.Text))
	if err != nil {
		return
	}
	f.clearCheck()
	if own, err := address.ParseListen(f.rs.ListenAddr()); err == nil && own.Port == port {
		f.setCheck(fmt.Sprintf("Port %d is in use by this console: it is listening there now. Apply keeps it.", port), widget.SuccessImportance)
		return
	}
	if f.ports == nil {
		f.setCheck("Checking ports is not available here.", widget.MediumImportance)
		return
	}
	f.setCheck(fmt.Sprintf("Checking port %d…", port), widget.MediumImportance)
	f.check.Disable()
	go func() {
		r := f.ports(port)
		f.do(func() {
			if f.closed {
				return
			}
			f.check.Enable()
			if strings.TrimSpace(f.port.Text) != strconv.Itoa(port) {
				return // the user typed another port meanwhile
			}
			f.showCheck(port, r)
		})
	}()
}

func (f *settingsForm) showCheck(port int, r PortReport) {
	switch {
	case r.Err != nil:
		f.setCheck(fmt.Sprintf("Could not check port %d: %v", port, r.Err), widget.DangerImportance)
	case r.Free:
		f.setCheck(textOr(r.Text, fmt.Sprintf("Port %d is free.", port)), widget.SuccessImportance)
	default:
		f.setCheck(textOr(r.Text, fmt.Sprintf("Port %d is in use.", port)), widget.WarningImportance)
	}
	if !r.Free && r.Suggested > 0 {
		f.suggested = r.Suggested
		f.use.SetText(fmt.Sprintf("Use %d", r.Suggested))
		f.use.Show()
	}
}

func textOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// applyNow applies in the background; the dialog closes on success and
// otherwise says what went wrong.
func (f *settingsForm) applyNow() {
	s, err := f.settings()
	if err != nil {
		f.setResult(capitalize(err.Error())+".", widget.DangerImportance)
		return
	}
	f.busy = true
	f.apply.Disable()
	f.cancel.Disable()
	f.setResult("Applying…", widget.MediumImportance)
	var saveMail func() error
	if f.mail != nil && f.mail.changed() {
		ms, merr := f.mail.settings()
		if merr != nil {
			f.busy = false
			f.cancel.Enable()
			f.validate()
			f.setResult("Mail: "+capitalize(merr.Error())+".", widget.DangerImportance)
			return
		}
		pw := f.mail.typedPassword()
		saveMail = func() error { return f.mail.save(ms, pw) }
	}
	go func() {
		var err error
		if saveMail != nil {
			if err = saveMail(); err != nil {
				err = fmt.Errorf("mail settings: %w", err)
			}
		}
		if err == nil {
			err = f.rs.ApplySettings(s)
		}
		var listenErr error
		if err == nil && s.Listen {
			listenErr = f.rs.ListenError()
		}
		f.do(func() {
			f.busy = false
			if f.closed {
				return
			}
			f.cancel.Enable()
			f.validate()
			switch {
			case err != nil:
				f.setResult("Not applied: "+err.Error(), widget.DangerImportance)
			case listenErr != nil:
				f.old = f.rs.Settings()
				f.setResult(cannotListenWords("Saved, but the console cannot listen", listenErr), widget.DangerImportance)
			default:
				f.close()
			}
		})
	}()
}

// cannotListenWords says that the console cannot listen, why, and what
// to do.
func cannotListenWords(what string, err error) string {
	return what + ": " + err.Error() + ". Choose another port (Check port suggests one) and apply again."
}

func (f *settingsForm) close() {
	f.closed = true
	f.dlg.Hide()
}

// fixedWidthLayout gives its objects a fixed width and their own height.
type fixedWidthLayout struct{ width float32 }

func (l *fixedWidthLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objs {
		o.Move(fyne.NewPos(0, 0))
		o.Resize(fyne.NewSize(l.width, size.Height))
	}
}

func (l *fixedWidthLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	h := float32(0)
	for _, o := range objs {
		h = max(h, o.MinSize().Height)
	}
	return fyne.NewSize(l.width, h)
}

// formScroll scrolls a page of fields up and down, with a gutter on its
// right as wide as the scroll bar, so the bar never covers the end of a
// field (an entry's eye, a select's arrow, a tick box's words).
func formScroll(page fyne.CanvasObject) *container.Scroll {
	return container.NewVScroll(container.New(layout.NewCustomPaddedLayout(0, 0, 0, theme.ScrollBarSize()), page))
}

// dialogSize is width × height, the height cut to what the window
// leaves: a dialog taller than its window would lose its buttons.
func dialogSize(parent fyne.Window, width, height float32) fyne.Size {
	if room := parent.Canvas().Size().Height - 24; room > 0 && height > room {
		height = room
	}
	return fyne.NewSize(width, height)
}

// enableIf enables or disables w.
func enableIf(w fyne.Disableable, on bool) {
	if on {
		w.Enable()
	} else {
		w.Disable()
	}
}

// showIf shows or hides o.
func showIf(o fyne.CanvasObject, show bool) {
	if show {
		o.Show()
	} else {
		o.Hide()
	}
}
