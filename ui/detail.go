package ui

import (
	"cmp"
	"fmt"
	"image/color"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/lanyard/lanyard/core/human"
	"github.com/lanyard/lanyard/core/master"
	"github.com/lanyard/lanyard/core/store"
	"github.com/lanyard/lanyard/core/version"
	"github.com/lanyard/lanyard/core/wire"
	"github.com/lanyard/lanyard/core/wire/pb"
)

// Tab titles of the detail pane.
const (
	tabOverview = "Overview"
	tabTasks    = "Tasks"
	tabLog      = "Log"
	tabSettings = "Settings"
)

// openTasksLink is the link beside the Overview's Backups line.
const openTasksLink = "Open the Tasks tab"

// Overview field labels, in the order shown.
const (
	fHost      = "Host name"
	fOS        = "Operating system"
	fUptime    = "Uptime"
	fAgent     = "Agent version"
	fCPU       = "CPU"
	fMemory    = "Memory"
	fDisk      = "Disks"
	fClock     = "Clock"
	fState     = "State"
	fGroup     = "Group"
	fNotes     = "Notes"
	fAlerts    = "Alerts"
	fBackups   = "Backups"
	fDirection = "Direction"
	fAddress   = "Address"
	fRemote    = "Remote address"
	fSSL       = "SSL"
	fRTT       = "Round-trip time"
	fSince     = "Connected since"
	fSeen      = "Last seen"
)

var (
	serverFields = []string{fHost, fOS, fUptime, fAgent, fClock, fCPU, fMemory, fDisk}
	linkFields   = []string{fState, fAlerts, fBackups, fGroup, fNotes, fDirection, fAddress, fRemote, fSSL, fRTT, fSince, fSeen}
)

// none stands for a value not known (no link, no status yet).
const none = "—"

// detailPane is the right pane: the selected slave's tabs, a group's
// summary, or the whole fleet's when nothing is selected.
type detailPane struct {
	obj fyne.CanvasObject

	summary *summaryPane // a group's, or the fleet's when nothing is selected
	tabs    *container.AppTabs

	icon     *widget.Icon
	title    *widget.Label
	subtitle *widget.RichText
	refresh  *widget.Button
	values   map[string]*widget.Label
	keys     map[string]fyne.CanvasObject
	note     *widget.Label
	noteRow  fyne.CanvasObject

	// tasksLink, beside the Backups line, opens the Tasks tab.
	tasksLink *widget.Hyperlink

	problem      fyne.CanvasObject
	problemBg    *canvas.Rectangle
	problemTitle *widget.Label
	problemText  *widget.Label
	trust        *widget.Button

	now   func() time.Time
	shown string // the slave ID on show, "" for none
	view  master.SlaveView
	looks stateLooks

	// The live Log and Settings tabs, when the console can manage slaves
	// (detailremote.go).
	tasksTab *tasksTab
	logTab   *logTab
	setTab   *settingsTab

	// onRefresh asks for fresh status of the slave shown; onTrust trusts
	// its new certificate.
	onRefresh func()
	onTrust   func(name string)
}

func newDetailPane(now func() time.Time) *detailPane {
	d := &detailPane{now: now, values: map[string]*widget.Label{}, keys: map[string]fyne.CanvasObject{}, looks: stateLooks{}}

	d.summary = newSummaryPane(d.looks)

	d.icon = widget.NewIcon(nil)
	d.title = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	d.title.SizeName = theme.SizeNameSubHeadingText
	d.subtitle = widget.NewRichText(&widget.TextSegment{
		Style: widget.RichTextStyle{ColorName: theme.ColorNamePlaceHolder, Inline: true, SizeName: theme.SizeNameText}})
	d.refresh = widget.NewButtonWithIcon(refreshStatus, theme.ViewRefreshIcon(), func() {
		if d.onRefresh != nil {
			d.onRefresh()
		}
	})
	header := container.NewBorder(nil, nil, container.NewHBox(container.NewCenter(d.icon), d.title), d.refresh, d.subtitle)

	d.note = widget.NewLabel("")
	d.note.Importance = widget.LowImportance
	d.note.Wrapping = fyne.TextWrapWord

	d.problemTitle = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	d.problemTitle.Importance = widget.DangerImportance
	d.problemText = widget.NewLabel("")
	d.problemText.Wrapping = fyne.TextWrapWord
	d.trust = widget.NewButtonWithIcon("Trust the new certificate", theme.ConfirmIcon(), func() {
		if d.onTrust != nil {
			d.onTrust(d.view.Name)
		}
	})
	d.problemBg = canvas.NewRectangle(color.Transparent)
	d.problemBg.CornerRadius = theme.InputRadiusSize()
	d.problem = container.NewVBox(container.NewStack(d.problemBg,
		container.NewPadded(container.NewVBox(d.problemTitle, d.problemText, container.NewHBox(d.trust)))))

	d.tasksLink = widget.NewHyperlink(openTasksLink, nil)
	d.tasksLink.OnTapped = func() { d.selectTab(tabTasks) }
	d.noteRow = layout.NewSpacer()
	rows := d.fieldRows("Link", linkFields)
	rows = append(rows, d.fieldRows("Server", nil)...)
	rows = append(rows, d.noteRow, d.note)
	rows = append(rows, d.fieldRows("", serverFields)...)
	d.values[fNotes].Wrapping = fyne.TextWrapWord // the user's own words, as long as they are
	d.values[fAlerts].Wrapping = fyne.TextWrapWord
	d.values[fBackups].Wrapping = fyne.TextWrapWord
	grid := container.NewThemeOverride(container.New(layout.NewFormLayout(), rows...), newCompactTheme())
	overview := container.NewVBox(header, widget.NewSeparator(), d.problem, grid)
	d.tabs = container.NewAppTabs(
		container.NewTabItemWithIcon(tabOverview, theme.InfoIcon(), container.NewVScroll(container.NewPadded(overview))),
		container.NewTabItemWithIcon(tabTasks, theme.ListIcon(), arrivesLater("Backup tasks, their schedules and live progress")),
		container.NewTabItemWithIcon(tabLog, theme.DocumentIcon(), arrivesLater("A live tail of this agent's log, with a level filter")),
		container.NewTabItemWithIcon(tabSettings, theme.SettingsIcon(), arrivesLater("This agent's settings, edited from here")),
	)
	d.obj = container.NewStack(d.summary.obj, d.tabs)
	d.showOnly(d.summary.obj)
	return d
}

// fieldRows are a section's heading and its field labels and values, for
// one form layout shared by every section so that the columns line up.
func (d *detailPane) fieldRows(title string, fields []string) []fyne.CanvasObject {
	var objs []fyne.CanvasObject
	if title != "" {
		h := widget.NewLabelWithStyle(title, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
		objs = append(objs, h, layout.NewSpacer())
	}
	for _, f := range fields {
		v := widget.NewLabel(none)
		v.Selectable = true
		v.Wrapping = fyne.TextWrapWord
		k := fieldName(f)
		d.values[f], d.keys[f] = v, k
		var cell fyne.CanvasObject = v
		if f == fBackups {
			cell = container.NewBorder(nil, nil, nil, d.tasksLink, v)
		}
		objs = append(objs, k, cell)
	}
	return objs
}

// showField shows or hides a field's row.
func (d *detailPane) showField(f string, show bool) {
	showIf(d.keys[f], show)
	showIf(d.values[f], show)
}

// fieldName is a field's label, quieter than its value, in a column wide
// enough for the longest so that values line up from slave to slave.
func fieldName(s string) fyne.CanvasObject {
	return container.New(&minWidthLayout{width: 140}, widget.NewRichText(&widget.TextSegment{Text: s,
		Style: widget.RichTextStyle{ColorName: theme.ColorNamePlaceHolder, Inline: true, SizeName: theme.SizeNameText}}))
}

// minWidthLayout stacks its objects, at least width wide.
type minWidthLayout struct{ width float32 }

func (l *minWidthLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objs {
		o.Move(fyne.NewPos(0, 0))
		o.Resize(size)
	}
}

func (l *minWidthLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	s := fyne.NewSize(l.width, 0)
	for _, o := range objs {
		s = s.Max(o.MinSize())
	}
	return s
}

// compactTheme tightens the padding of the overview's rows; everything
// else is the app's theme, as it is now (View > Appearance changes it).
// (Inside the override theme.Current() is the override itself, so the
// base is the app's settings' theme.)
type compactTheme struct{}

func newCompactTheme() compactTheme { return compactTheme{} }

func (compactTheme) base() fyne.Theme { return fyne.CurrentApp().Settings().Theme() }

func (c compactTheme) Color(n fyne.ThemeColorName, v fyne.ThemeVariant) color.Color {
	return c.base().Color(n, v)
}
func (c compactTheme) Font(s fyne.TextStyle) fyne.Resource     { return c.base().Font(s) }
func (c compactTheme) Icon(n fyne.ThemeIconName) fyne.Resource { return c.base().Icon(n) }
func (c compactTheme) Size(n fyne.ThemeSizeName) float32 {
	switch n {
	case theme.SizeNameInnerPadding:
		return 4
	case theme.SizeNamePadding:
		return 3
	}
	return c.base().Size(n)
}

// arrivesLater is a tab's placeholder until its feature lands.
func arrivesLater(what string) fyne.CanvasObject {
	title := widget.NewLabelWithStyle("Arrives with remote management", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	body := widget.NewLabelWithStyle(what+".", fyne.TextAlignCenter, fyne.TextStyle{})
	body.Importance = widget.LowImportance
	return container.NewCenter(container.NewVBox(title, body))
}

func (d *detailPane) showOnly(o fyne.CanvasObject) {
	for _, c := range []fyne.CanvasObject{d.summary.obj, d.tabs} {
		if c == o {
			c.Show()
		} else {
			c.Hide()
		}
	}
}

// showSummary shows the summary of group node, or of the whole fleet
// for "".
func (d *detailPane) showSummary(node string, s fleetSummary) {
	d.shown = ""
	d.summary.show(node, s, d.now())
	d.showOnly(d.summary.obj)
	d.clearRemote()
}

// show fills the tabs with v. The tab selected stays selected from one
// slave to the next: going down the tree on the Tasks tab shows server
// after server's tasks.
func (d *detailPane) show(v master.SlaveView) {
	d.shown, d.view = v.ID, v
	d.showHeader(&v)
	d.showLink(&v)
	d.showHost(&v)
	d.showProblem(&v)
	d.showOnly(d.tabs)
	d.showRemote(v)
}

// selectTab selects the tab called text.
func (d *detailPane) selectTab(text string) {
	for _, it := range d.tabs.Items {
		if it.Text == text {
			d.tabs.Select(it)
			return
		}
	}
}

// showHeader shows the slave's icon, name, state and direction, and
// whether it can be asked again, or tried, now.
func (d *detailPane) showHeader(v *master.SlaveView) {
	d.icon.SetResource(d.looks.of(v.State))
	d.title.SetText(v.Name)
	dir := "outbound"
	if v.Direction == store.Inbound {
		dir = "inbound"
	}
	d.subtitle.Segments[0].(*widget.TextSegment).Text = stateWord(v) + " · " + dir
	d.subtitle.Refresh()
	text, on := refreshStatus, v.State == master.StateConnected
	if canTryNow(v) {
		text, on = tryNow, true
	}
	if d.refresh.Text != text {
		d.refresh.SetText(text)
	}
	if on {
		d.refresh.Enable()
	} else {
		d.refresh.Disable()
	}
}

// The header's button: a linked slave's status asked again, or a slave
// the console dials tried now rather than after its backoff.
const (
	refreshStatus = "Refresh status"
	tryNow        = "Try now"
)

// canTryNow: v is an outbound slave that is down, which the console will
// dial again after its backoff, or now when asked.
func canTryNow(v *master.SlaveView) bool {
	return v.Direction == store.Outbound && (v.State == master.StateOffline || v.State == master.StateError)
}

// set shows s (none when empty) as the value of field f.
func (d *detailPane) set(f, s string) {
	if s == "" {
		s = none
	}
	if l := d.values[f]; l.Text != s {
		l.SetText(s)
	}
}

// showLink fills in the entry and its link: state, group, direction and
// address; while connected the remote address, SSL, round trip and since
// when, and while not when it was last seen.
func (d *detailPane) showLink(v *master.SlaveView) {
	d.set(fState, stateSentence(v, d.now()))
	d.set(fGroup, cmp.Or(v.Group, ungroupedLabel))
	d.set(fNotes, v.Notes)
	d.showField(fNotes, v.Notes != "")
	muted := mutedText(v, d.now())
	d.set(fAlerts, muted)
	d.showField(fAlerts, muted != "")
	text, bad := backupsField(v)
	d.set(fBackups, text)
	showIf(d.tasksLink, !(v.Backup.Total() == 0 && v.NeverLinked()))
	if l := d.values[fBackups]; (l.Importance == widget.DangerImportance) != bad {
		l.Importance = widget.MediumImportance
		if bad {
			l.Importance = widget.DangerImportance
		}
		l.Refresh()
	}
	if v.Direction == store.Inbound {
		d.set(fDirection, "Inbound: the slave dials this console")
		d.set(fAddress, "(the slave dials in)")
	} else {
		d.set(fDirection, "Outbound: this console dials the slave")
		d.set(fAddress, v.Address)
	}
	linked := v.State == master.StateConnected
	if linked {
		d.set(fRemote, v.Remote)
		if v.SSL {
			d.set(fSSL, "On (TLS 1.3, certificate pinned)")
		} else {
			d.set(fSSL, "Off: traffic after login can be read on the network")
		}
		d.set(fRTT, cmp.Or(human.RoundTrip(v.RTT), "measured at the first heartbeat"))
		d.set(fSince, d.since(v.ConnectedSince))
	} else {
		for _, f := range []string{fRemote, fSSL, fRTT, fSince} {
			d.set(f, none)
		}
	}
	for _, f := range []string{fRemote, fSSL, fRTT, fSince} {
		d.showField(f, linked)
	}
	// While linked it is now; once not, when the link ended.
	seen := "never: it has not linked to this console yet"
	if !v.LastSeen.IsZero() {
		seen = d.since(v.LastSeen)
	}
	d.set(fSeen, seen)
	d.showField(fSeen, !linked)
}

// backupsField is the Overview's line of a slave's backup tasks by state,
// with what else needs a look ("2 ok · 1 failed · 1 task with damaged
// copies"; a link beside it opens the Tasks tab), and whether a task
// failed, is overdue or has damaged copies.
func backupsField(v *master.SlaveView) (text string, bad bool) {
	b := v.Backup
	switch {
	case b.Total() == 0 && v.NeverLinked():
		return "not known until it links", false
	case b.Total() == 0:
		return "no backup tasks", false
	}
	text = b.Line()
	if b.LastKnown {
		text += " (last known)"
	}
	return text, b.NeedsALook()
}

// showHost fills in the host's details from the slave's last status,
// with a note when there are none yet or they are not current.
func (d *detailPane) showHost(v *master.SlaveView) {
	linked := v.State == master.StateConnected
	st := v.Status
	for _, f := range serverFields {
		d.showField(f, st != nil)
	}
	showIf(d.noteRow, true)
	if st == nil {
		for _, f := range serverFields {
			d.set(f, none)
		}
		d.set(fAgent, version.OfAgent(v.Software))
		if linked {
			d.note.SetText("Asking " + v.Name + " for its details…")
		} else {
			d.note.SetText("Host details appear once " + v.Name + " is connected.")
		}
		d.note.Show()
		return
	}
	d.set(fHost, st.Hostname)
	d.set(fOS, osLine(st))
	d.set(fUptime, fmtUptime(st.UptimeSeconds))
	d.set(fAgent, cmp.Or(st.AgentVersion, version.OfAgent(v.Software))) // an older agent's status has none
	d.set(fCPU, fmt.Sprintf("%.0f %%", st.CpuPercent))
	d.set(fMemory, human.Usage(st.MemoryUsed, st.MemoryTotal))
	d.set(fDisk, disksLine(st))
	d.set(fClock, "")
	if st.TimeUnixNano != 0 {
		d.set(fClock, master.DescribeSkew(v.ClockSkew))
	}
	if linked {
		d.note.Hide()
		d.noteRow.Hide()
	} else {
		d.note.SetText("Last known details; " + v.Name + " is not connected.")
		d.note.Show()
	}
}

// showProblem shows the last failure and its fix, when it matters now.
func (d *detailPane) showProblem(v *master.SlaveView) {
	d.trust.Hide()
	switch {
	case v.State == master.StateDisabled:
		d.problemTitle.SetText("Disconnected")
		d.problemTitle.Importance = widget.MediumImportance
		d.problemText.SetText("You disconnected " + v.Name + ". It stays offline, across restarts, until you click Connect.")
	case v.State == master.StateConnected && v.Rival.Current(d.now()):
		d.problemTitle.SetText("Refused: " + problemTitle(v.Rival.Code))
		d.problemTitle.Importance = widget.DangerImportance
		d.problemText.SetText(sentence(v.Rival.Reason) + " Last refused " + human.Ago(v.Rival.At, d.now()) + ".")
		d.offerTrust(v.Rival.Code)
	case v.State != master.StateConnected && v.LastError != "":
		title := "Last error"
		if t := problemTitle(v.LastCode); t != "" {
			title += ": " + t
		}
		d.problemTitle.SetText(title)
		d.problemTitle.Importance = widget.DangerImportance
		d.problemText.SetText(sentence(v.LastError))
		d.offerTrust(v.LastCode)
	default:
		d.problem.Hide()
		return
	}
	d.problemTitle.Refresh()
	tint := theme.Color(theme.ColorNameError)
	if v.State == master.StateDisabled {
		tint = theme.Color(theme.ColorNameDisabled)
	}
	r, g, b, _ := tint.RGBA()
	d.problemBg.FillColor = color.NRGBA{R: uint8(r >> 8), G: uint8(g >> 8), B: uint8(b >> 8), A: 0x26}
	d.problemBg.Refresh()
	d.problem.Show()
}

// offerTrust shows the Trust button when a refusal with code is one the
// user may end by trusting what the slave presents now. A copy of the
// server (shared_install) is not: the copy needs an identity of its own.
func (d *detailPane) offerTrust(code string) {
	switch wire.Code(code) {
	case wire.CodeCertChanged:
		d.trust.SetText("Trust the new certificate")
		d.trust.Show()
	case wire.CodeDuplicateInstall:
		d.trust.SetText("Trust the new installation")
		d.trust.Show()
	}
}

// problemTitle names a close or failure code in a few plain words, as
// the command line's list does (wire.Code.Words).
func problemTitle(code string) string { return wire.Code(code).Words() }

// stateSentence says the state and for how long.
func stateSentence(v *master.SlaveView, now time.Time) string {
	var s, why string
	switch v.State {
	case master.StateConnected:
		s = "Connected"
	case master.StateConnecting:
		s = "Connecting"
	case master.StateError:
		s = "Error"
	case master.StateDisabled:
		s, why = "Disabled", "disconnected by you"
	default:
		s = "Offline"
		if v.Direction == store.Inbound {
			why = "waiting for the slave to dial in"
		}
	}
	if since := human.Ago(v.StateSince, now); since != "" && v.State != master.StateConnected && v.State != master.StateConnecting {
		s += " since " + since // a failure tried again and again is as old as its first time
	}
	if why != "" {
		s += ": " + why
	}
	if v.Retrying {
		s += " · trying again now"
	}
	if v.PasswordInDoubt {
		s += " · a password change awaits its answer: the next link settles it"
	}
	return s
}

func (d *detailPane) since(t time.Time) string {
	return cmp.Or(human.Ago(t, d.now()), none)
}

func osLine(st *pb.StatusResponse) string {
	var parts []string
	if st.Platform != "" {
		parts = append(parts, st.Platform)
	}
	if st.Os != "" || st.Arch != "" {
		parts = append(parts, "("+strings.Trim(st.Os+"/"+st.Arch, "/")+")")
	}
	return strings.Join(parts, " ")
}

func fmtUptime(sec uint64) string {
	if sec == 0 {
		return ""
	}
	return human.Seconds(sec)
}

// disksLine is every disk the agent reported, one per line, or the data
// directory's disk from an agent that reports only that.
func disksLine(st *pb.StatusResponse) string {
	if len(st.Disks) == 0 {
		return human.Usage(st.DiskUsed, st.DiskTotal)
	}
	lines := make([]string, 0, len(st.Disks))
	for _, d := range st.Disks {
		lines = append(lines, d.Mountpoint+"  "+human.Usage(d.Used, d.Total))
	}
	return strings.Join(lines, "\n")
}
