package ui

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/lanyard/lanyard/core/address"
	"github.com/lanyard/lanyard/core/human"
	"github.com/lanyard/lanyard/core/link"
	"github.com/lanyard/lanyard/core/master"
	"github.com/lanyard/lanyard/core/store"
	"github.com/lanyard/lanyard/core/wire/pb"
)

// The Settings tab: the selected slave's agent settings, read when the
// tab shows a connected slave and edited here. Apply sends only what
// changed; a change that would end or endanger this console's own link
// (SSL, management off, this console removed from the masters, a new
// listen address this console dials) asks first and says what will
// happen.

// Texts of the Settings tab.
const (
	setTabListen     = "Listen for consoles"
	setTabSSL        = "Use SSL (must match on every console)"
	setTabManagement = "Accept remote management"
	setTabAddMaster  = "Add"
	setTabApply      = "Apply"
	setTabDiscard    = "Discard changes"
	setTabReload     = "Reload"
	setTabMasterHint = "console address:port to dial"
	setTabConfirm    = "Change the settings of %s?"
	setTabFollow     = "Change, and dial it at %s"
	setTabTimeout    = 30 * time.Second
	// setTabFollowUp is how long after a change the tab reads again
	// while a console the agent dials is still connecting, and
	// setTabFollowUps how many times at most: a console just added
	// links, or fails, within seconds, and the tab shows which.
	setTabFollowUp  = 3 * time.Second
	setTabFollowUps = 4
)

type settingsTab struct {
	obj fyne.CanvasObject
	r   runner
	rm  Remote
	win fyne.Window
	now func() time.Time

	status     *widget.Label
	listen     *widget.Check
	address    *widget.Entry
	addressMsg *widget.Label // what is wrong with the address typed
	ssl        *widget.Check
	sslRisk    *widget.Label // what the SSL setting exposes
	management *widget.Check
	masters    *fyne.Container
	newMaster  *widget.Entry
	masterMsg  *widget.Label // what is wrong with the console typed to add
	addMaster  *widget.Button
	consoles   *widget.Label
	apply      *widget.Button
	discard    *widget.Button
	reload     *widget.Button
	form       fyne.CanvasObject
	scroll     *container.Scroll // of form

	view master.SlaveView
	// editAddress changes the address this console dials a slave at (its
	// entry, as Edit Slave does); nil: the tab offers no such change.
	editAddress func(v master.SlaveView, addr string) error
	following
	loaded  *pb.AgentSettings // as read from the agent
	removed []string          // masters marked for removal
	added   []string          // masters to add
	loading bool
	filling bool          // the widgets are being set from loaded: no change events
	again   time.Duration // setTabFollowUp; shorter in tests
}

func newSettingsTab(r runner, rm Remote, win fyne.Window, now func() time.Time) *settingsTab {
	t := &settingsTab{r: r, rm: rm, win: win, now: now, again: setTabFollowUp}
	t.status = widget.NewLabel("")
	t.status.Wrapping = fyne.TextWrapWord
	t.address = widget.NewEntry()
	t.address.SetPlaceHolder(":16888")
	t.address.OnChanged = func(string) { t.edited() }
	t.addressMsg = problemLine()
	t.listen = widget.NewCheck(setTabListen, func(on bool) {
		if on {
			t.address.Enable()
		} else {
			t.address.Disable()
		}
		t.edited()
	})
	t.sslRisk = newSSLRisk(false)
	t.ssl = widget.NewCheck(setTabSSL, func(on bool) {
		showSSLRisk(t.sslRisk, on)
		t.edited()
	})
	t.management = widget.NewCheck(setTabManagement, func(bool) { t.edited() })
	t.masters = container.NewVBox()
	t.newMaster = widget.NewEntry()
	t.newMaster.SetPlaceHolder(setTabMasterHint)
	t.newMaster.OnSubmitted = func(string) { t.addNewMaster() }
	t.newMaster.OnChanged = func(string) { sayProblem(t.masterMsg, nil) }
	t.masterMsg = problemLine()
	t.addMaster = widget.NewButtonWithIcon(setTabAddMaster, theme.ContentAddIcon(), t.addNewMaster)
	t.consoles = widget.NewLabel("")
	t.consoles.Wrapping = fyne.TextWrapWord
	t.apply = widget.NewButtonWithIcon(setTabApply, theme.ConfirmIcon(), t.confirmApply)
	t.apply.Importance = widget.HighImportance
	t.discard = widget.NewButtonWithIcon(setTabDiscard, theme.CancelIcon(), func() { t.fill() })
	t.reload = widget.NewButtonWithIcon(setTabReload, theme.ViewRefreshIcon(), t.load)

	heading := func(s string) fyne.CanvasObject {
		return widget.NewLabelWithStyle(s, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	}
	listenRow := container.NewBorder(nil, nil, t.listen, nil, t.address)
	t.form = container.NewVBox(
		heading("Listening"), listenRow, t.addressMsg,
		lowNote("Consoles that dial this server use this address:port. Consoles already linked stay linked when it changes."),
		heading("Security"), t.ssl, t.sslRisk,
		lowNote("Changing SSL closes every console's link to this server, this one included; a console links again only when its SSL setting matches."),
		t.management,
		lowNote("Off: the server refuses every console, this one included, until someone turns it on at the server (lanyard-agent set management on)."),
		heading("Masters: consoles this server dials"), t.masters,
		container.NewBorder(nil, nil, nil, t.addMaster, t.newMaster), t.masterMsg,
		heading("Consoles linked now"), t.consoles,
	)
	buttons := container.NewHBox(t.reload, layout.NewSpacer(), t.discard, t.apply)
	t.scroll = formScroll(container.NewPadded(t.form))
	t.obj = container.NewBorder(t.status, buttons, nil, nil, t.scroll)
	t.showState()
	return t
}

// show follows the slave shown in the detail pane.
func (t *settingsTab) show(v master.SlaveView) {
	t.view = v
	switch other, relinked, _ := t.follow(v); {
	case other:
		t.loaded, t.loading = nil, false
		t.added, t.removed = nil, nil
		t.fill()
	case relinked:
		t.loaded = nil // read afresh: it may have changed meanwhile
	}
	t.sync()
}

func (t *settingsTab) setVisible(on bool) {
	t.visible = on
	t.sync()
}

func (t *settingsTab) clear() {
	t.forget()
	t.loaded = nil
}

// sync reads the settings when the tab first shows a connected slave.
func (t *settingsTab) sync() {
	if t.wanted() && t.loaded == nil && !t.loading {
		t.load()
	}
	t.showState()
}

// load reads the agent's settings in the background.
func (t *settingsTab) load() {
	if t.slave == "" || !t.linked {
		return
	}
	gen, slave := t.begin()
	t.loading = true
	t.status.SetText("Reading the settings of " + slave + "…")
	t.showState()
	t.r.spawn(func(ctx context.Context) {
		ctx, cancel := context.WithTimeout(ctx, setTabTimeout)
		defer cancel()
		s, err := t.rm.AgentSettings(ctx, slave)
		t.r.do(func() {
			if !t.latest(gen) {
				return
			}
			t.loading = false
			if err != nil {
				t.status.SetText(capitalize(err.Error()))
				t.showState()
				return
			}
			t.loaded = s
			t.added, t.removed = nil, nil
			t.fill()
			t.status.SetText(fmt.Sprintf("The settings of %s, read at %s.", slave, t.now().Format("15:04:05")))
		})
	})
}

// fill sets the widgets from what was read, forgetting edits.
func (t *settingsTab) fill() {
	t.filling = true
	defer func() { t.filling = false }()
	t.added, t.removed = nil, nil
	s := t.loaded
	if s == nil {
		s = &pb.AgentSettings{}
	}
	t.listen.SetChecked(s.Listen != "")
	t.address.SetText(s.Listen)
	if s.Listen == "" {
		t.address.Disable()
	}
	t.ssl.SetChecked(s.Ssl)
	showSSLRisk(t.sslRisk, s.Ssl)
	t.management.SetChecked(s.Management)
	t.newMaster.SetText("")
	t.fillMasters()
	t.fillConsoles()
	t.showState()
	t.scroll.Refresh() // rows came or went, and lines with them
}

func (t *settingsTab) fillMasters() {
	var rows []fyne.CanvasObject
	if t.loaded != nil {
		for _, m := range t.loaded.Masters {
			addr := m.Address
			gone := slices.Contains(t.removed, addr)
			// Wrapped, not cut: why a console cannot be reached is
			// often longer than a line, and read nowhere else here.
			label := widget.NewLabel(master.DescribeMaster(m, t.now()))
			label.Wrapping = fyne.TextWrapWord
			label.Selectable = true
			var btn *widget.Button
			if gone {
				label.Importance = widget.LowImportance
				label.SetText(addr + " · to be removed")
				btn = widget.NewButtonWithIcon("Keep", theme.ContentUndoIcon(), func() {
					t.removed = slices.DeleteFunc(t.removed, func(a string) bool { return a == addr })
					t.fillMasters()
					t.edited()
				})
			} else {
				btn = widget.NewButtonWithIcon("Remove", theme.DeleteIcon(), func() {
					t.removed = append(t.removed, addr)
					t.fillMasters()
					t.edited()
				})
			}
			rows = append(rows, container.NewBorder(nil, nil, nil, btn, label))
		}
	}
	for _, a := range t.added {
		addr := a
		label := widget.NewLabel(addr + " · to be added")
		btn := widget.NewButtonWithIcon("Undo", theme.ContentUndoIcon(), func() {
			t.added = slices.DeleteFunc(t.added, func(x string) bool { return x == addr })
			t.fillMasters()
			t.edited()
		})
		rows = append(rows, container.NewBorder(nil, nil, nil, btn, label))
	}
	if len(rows) == 0 {
		l := widget.NewLabel("None: this server dials no console.")
		l.Importance = widget.LowImportance
		rows = append(rows, l)
	}
	t.masters.Objects = rows
	// A wrapped row knows its height once it knows its width: lay the
	// rows out, then the tab around them.
	t.masters.Refresh()
	t.obj.Refresh()
}

func (t *settingsTab) fillConsoles() {
	if t.loaded == nil {
		t.consoles.SetText("")
		return
	}
	var lines []string
	for _, c := range t.loaded.Consoles {
		lines = append(lines, master.DescribeConsole(c, t.now()))
	}
	if len(lines) == 0 {
		lines = append(lines, "None.")
	}
	t.consoles.SetText(strings.Join(lines, "\n"))
}

func (t *settingsTab) addNewMaster() {
	a := strings.TrimSpace(t.newMaster.Text)
	if a == "" || slices.Contains(t.added, a) {
		return
	}
	// The agent reads it by the same rule: what it would refuse is
	// said here, under the field, before anything is sent.
	if _, _, err := link.ParseMasterSpec(a); err != nil {
		sayProblem(t.masterMsg, err)
		return
	}
	t.added = append(t.added, a)
	t.newMaster.SetText("")
	t.fillMasters()
	t.edited()
}

func (t *settingsTab) edited() {
	if !t.filling {
		t.showState()
	}
}

// request is what the edits change; nil when nothing.
func (t *settingsTab) request() *pb.SettingsSetRequest {
	s := t.loaded
	if s == nil {
		return nil
	}
	req := &pb.SettingsSetRequest{MastersAdd: t.added, MastersRemove: t.removed}
	listen := ""
	if t.listen.Checked {
		listen = strings.TrimSpace(t.address.Text)
	}
	if listen != s.Listen {
		v := listen
		if v == "" {
			v = "off"
		}
		req.Listen = &v
	}
	if t.ssl.Checked != s.Ssl {
		req.Ssl = ptr(t.ssl.Checked)
	}
	if t.management.Checked != s.Management {
		req.Management = ptr(t.management.Checked)
	}
	if req.Listen == nil && req.Ssl == nil && req.Management == nil && len(req.MastersAdd)+len(req.MastersRemove) == 0 {
		return nil
	}
	return req
}

// showState enables what applies now.
func (t *settingsTab) showState() {
	ready := t.loaded != nil && t.linked && !t.loading
	for _, w := range []fyne.Disableable{t.listen, t.ssl, t.management, t.newMaster, t.addMaster} {
		enableIf(w, ready)
	}
	enableIf(t.address, ready && t.listen.Checked)
	bad := t.listenProblem()
	sayProblem(t.addressMsg, bad)
	// A change that cannot be applied yet can still be discarded.
	changed := ready && t.request() != nil
	enableIf(t.apply, changed && bad == nil)
	enableIf(t.discard, changed)
	enableIf(t.reload, t.linked && t.slave != "" && !t.loading)
	if !t.linked && t.slave != "" {
		t.status.SetText(t.notLinked("its settings can be read and changed once it is"))
	}
	// Settings never read are not shown: a form of defaults (SSL off,
	// its warning in orange) would read as the server's.
	if read := t.loaded != nil; read != t.form.Visible() {
		showIf(t.form, read)
		t.scroll.Refresh()
	}
}

// listenProblem is what is wrong with the listen address typed, read by
// the agent's own rule; nil when nothing is, or when listening is off.
func (t *settingsTab) listenProblem() error {
	if t.loaded == nil || !t.listen.Checked {
		return nil
	}
	a := strings.TrimSpace(t.address.Text)
	if a == t.loaded.Listen {
		return nil // as the agent has it
	}
	_, err := address.ParseListen(a)
	return err
}

// consequences says, in plain words, what the change does to this
// console's own link; empty when nothing.
func (t *settingsTab) consequences(req *pb.SettingsSetRequest) []string {
	name, v := t.slave, t.view
	var you *pb.ConsoleInfo
	for _, c := range t.loaded.GetConsoles() {
		if c.You {
			you = c
		}
	}
	var out []string
	if req.Ssl != nil {
		next := "on"
		if !req.GetSsl() {
			next = "off"
		}
		s := fmt.Sprintf("SSL turns %s on %s: every console's link to it closes at once, this one included.", next, name)
		if req.GetSsl() == v.SSL {
			s += " This console uses the same setting, so it links again within seconds."
		} else {
			s += fmt.Sprintf(" This console has SSL %s, so it cannot link to %s again until the two match (Settings → Remote Management Settings).", human.OnOff(v.SSL), name)
		}
		out = append(out, s)
	}
	if req.Management != nil && !req.GetManagement() {
		out = append(out, fmt.Sprintf("%s will refuse every console, this one included, until someone turns remote management on at the server (lanyard-agent set management on). It cannot be undone from here.", name))
	}
	if you != nil && you.Master != "" && slices.ContainsFunc(req.MastersRemove, func(a string) bool { return strings.EqualFold(a, you.Master) }) {
		out = append(out, fmt.Sprintf("%s stops dialing this console (%s) and closes this link. It comes back only if this console is added again on the server.", name, you.Master))
	}
	if req.Listen != nil && you != nil && you.Master == "" && v.Direction == "outbound" {
		if req.GetListen() == "off" {
			out = append(out, fmt.Sprintf("%s stops listening. This console dials it at %s, so it will not reach %s again once this link ends.", name, v.Address, name))
		} else {
			out = append(out, fmt.Sprintf("%s will listen on %s. This link stays up, but this console dials it at %s: edit the slave's address to match, or it will not reach %s again once this link ends.", name, req.GetListen(), v.Address, name))
		}
	}
	return out
}

// followAddress is where this console should dial the slave once it
// listens as req asks: its entry's host at the new port, when the entry
// dials the port the agent listens on now (no router between forwards
// another port to it); "" when there is nothing to follow or the window
// cannot edit the entry.
func (t *settingsTab) followAddress(req *pb.SettingsSetRequest) string {
	if t.editAddress == nil || req.Listen == nil || t.view.Direction != store.Outbound {
		return ""
	}
	return master.FollowAddress(t.view.Address, t.loaded, req.GetListen())
}

// confirmApply asks first when the change touches this console's link;
// when the agent moves to another port this console can follow, it
// offers to change the address it dials too.
func (t *settingsTab) confirmApply() {
	req := t.request()
	if req == nil {
		return
	}
	cons := t.consequences(req)
	if len(cons) == 0 {
		t.send(req, "")
		return
	}
	msg := widget.NewLabel(strings.Join(cons, "\n\n"))
	msg.Wrapping = fyne.TextWrapWord
	var d *dialog.CustomDialog
	answer := func(follow string) func() {
		return func() { d.Hide(); t.send(req, follow) }
	}
	change := widget.NewButtonWithIcon("Change", theme.ConfirmIcon(), answer(""))
	buttons := []fyne.CanvasObject{widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), func() { d.Hide() }), change}
	if follow := t.followAddress(req); follow != "" {
		both := widget.NewButtonWithIcon(fmt.Sprintf(setTabFollow, follow), theme.ConfirmIcon(), answer(follow))
		both.Importance = widget.HighImportance
		buttons = append(buttons, both)
	} else {
		change.Importance = widget.HighImportance
	}
	d = dialog.NewCustomWithoutButtons(fmt.Sprintf(setTabConfirm, t.slave), msg, t.win)
	d.SetButtons(buttons)
	guardDialog(t.win, d, d.Hide, nil)
	d.Resize(fyne.NewSize(560, 0))
	d.Show()
}

// sayFailed says a change to slave's settings failed, or, when it was
// cancelled or no answer came, that it may have been made after all.
func (t *settingsTab) sayFailed(slave string, err error, cancelled bool) {
	msg, title := capitalize(err.Error()), "The settings of "+slave+" were not changed"
	switch {
	case cancelled:
		msg, title = "Cancelled; the change may still reach "+slave+". Reload to see its settings.", "The settings of "+slave+" may have changed"
	case errors.Is(err, master.ErrNoAnswer): // sent, and no answer came
		msg, title = msg+". Reload to see its settings.", "The settings of "+slave+" may have changed"
	}
	t.status.SetText(msg)
	showInfo(t.win, title, msg)
}

// send applies req in the background behind a waiting dialog; once the
// agent took it, follow, when given, becomes the address this console
// dials it at.
func (t *settingsTab) send(req *pb.SettingsSetRequest, follow string) {
	gen, slave := t.begin()
	ctx, cancel := context.WithTimeout(context.Background(), setTabTimeout)
	wait := showWait(t.win, "Changing settings", "Sending the change to "+slave+"…", cancel)
	var resp *pb.SettingsSetResponse
	spawnCancellable(t.r, ctx, cancel, func(ctx context.Context) (err error) {
		resp, err = t.rm.SetAgentSettings(ctx, slave, req)
		return err
	}, func(err error, cancelled bool) {
		wait.hide()
		if !t.latest(gen) {
			return
		}
		if err != nil {
			t.sayFailed(slave, err, cancelled)
			return
		}
		if resp.Settings != nil {
			t.loaded = resp.Settings
		}
		t.fill()
		done := "nothing changed"
		if len(resp.Changes) > 0 {
			done = strings.Join(resp.Changes, "; ")
		}
		t.status.SetText("Done: " + done + ".")
		t.followUp(gen, slave, setTabFollowUps)
		if follow != "" {
			t.dialAt(t.view, follow)
		}
	})
}

// dialAt makes addr the address this console dials v at, in the
// background, and says how that went.
func (t *settingsTab) dialAt(v master.SlaveView, addr string) {
	t.r.spawn(func(context.Context) {
		err := t.editAddress(v, addr)
		t.r.do(func() {
			if err != nil {
				msg := fmt.Sprintf("%s listens on its new port, but this console's entry still dials %s: %s. Edit the slave (Ctrl+E) and give it %s.",
					v.Name, v.Address, err, addr)
				t.status.SetText(msg)
				showInfo(t.win, "The address of "+v.Name+" was not changed", msg)
				return
			}
			t.status.SetText(t.status.Text + " This console now dials " + v.Name + " at " + addr + ".")
		})
	})
}

// followUp reads the masters again after a moment while one of them is
// still connecting, up to times more, so that a console just added shows
// whether it linked (or why not) without a Reload. It gives way to
// anything begun since, and to edits not applied yet.
func (t *settingsTab) followUp(gen int, slave string, times int) {
	if times == 0 || !slices.ContainsFunc(t.loaded.GetMasters(), func(m *pb.MasterInfo) bool { return m.State == "connecting" }) {
		return
	}
	t.r.spawn(func(ctx context.Context) {
		select {
		case <-time.After(t.again):
		case <-ctx.Done():
			return
		}
		ctx, cancel := context.WithTimeout(ctx, setTabTimeout)
		defer cancel()
		s, err := t.rm.AgentSettings(ctx, slave)
		t.r.do(func() {
			if err != nil || !t.latest(gen) || t.loading || t.request() != nil {
				return
			}
			t.loaded = s
			t.fillMasters()
			t.fillConsoles()
			t.followUp(gen, slave, times-1)
		})
	})
}
