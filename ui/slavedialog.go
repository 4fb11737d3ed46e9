package ui

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/lanyard/lanyard/core/address"
	"github.com/lanyard/lanyard/core/auth"
	"github.com/lanyard/lanyard/core/link"
	"github.com/lanyard/lanyard/core/master"
	"github.com/lanyard/lanyard/core/store"
)

// Texts of the Add/Edit Slave dialog that tests and users read.
const (
	slaveDialogAddTitle = "Add Slave"
	directionOutbound   = "Outbound"
	directionInbound    = "Inbound"
	outboundHint        = "This console dials the slave at its address and port."
	inboundHint         = "The slave dials this console; the console must listen (Settings → Remote Management Settings)."
	// inboundNotListening is the inbound hint while this console does not
	// listen: such a slave could not link, and nothing else says why here.
	inboundNotListening = "The slave dials this console, which does not listen yet: tick “" + settingsListenLabel +
		"” in Settings → Remote Management Settings, or it cannot link."
	passwordUnchanged   = "unchanged"
	passwordKeepHint    = "Leave empty to keep the current password."
	testConnectionLabel = "Test connection"
	stopTestLabel       = "Stop test"
	testIntro           = "Test connection checks the values above without saving them: name lookup, TCP, SSL, hello, version and password."
	testIntroInbound    = "Test connection says whether this console listens, and whether a slave of this name has dialed it and how that went."
	// The expected fingerprint: optional, and what closes the first-use
	// blind spot (DESIGN §2).
	fingerprintPlaceholder = "optional: SHA256:… as lanyard-agent status prints it"
	fingerprintHint        = "Given, the agent's first contact is checked against it; empty, the first certificate it presents is trusted and pinned."
	slaveSnapshotMaxAge    = time.Second
	slaveDialogMinWidth    = 600
	slaveDialogTestLines   = 150
	// slaveDialogSlack is room kept for the messages under the fields, so
	// the dialog does not grow and jump while the user types.
	slaveDialogSlack = 96
)

// ShowSlaveDialog opens the Add Slave dialog over parent, or the Edit Slave
// dialog when editing is set. prefillName, when not empty, is the name of a
// slave that tried to dial in (the unknown-slave prompt): the dialog starts
// with that name and as Inbound.
//
// The dialog validates as the user types, refuses duplicates, saves through
// editor (Argon2id key derivation and the write run off the Fyne thread),
// and can test the entered values without saving. It closes itself once the
// entry is saved; the main window learns of the change from the fleet's
// events.
func ShowSlaveDialog(parent fyne.Window, editor SlaveEditor, editing *master.SlaveView, prefillName string) {
	newSlaveDialog(parent, editor, editing, prefillName, fyne.Do).show()
}

// slaveDialog is one open Add/Edit Slave dialog. Its fields are touched on
// the Fyne thread only; background work reports back through do.
type slaveDialog struct {
	parent  fyne.Window
	editor  SlaveEditor
	editing *master.SlaveView // nil when adding
	do      func(func())
	now     func() time.Time
	onAdded func(name string) // if set: called with the name of the slave added

	dlg         *dialog.CustomDialog
	title       string
	name        *dialogEntry
	nameMsg     *widget.Label
	direction   *dialogRadio
	dirHint     *widget.Label
	addrLabel   *widget.Label
	addrBox     fyne.CanvasObject
	address     *dialogEntry
	port        *dialogEntry
	addressMsg  *widget.Label // the address's and the port's
	password    *dialogEntry
	passwordMsg *widget.Label
	passwordTip *widget.Label
	fingerprint *dialogEntry
	fpMsg       *widget.Label
	group       *dialogSelectEntry
	notes       *dialogEntry
	saveErr     *widget.Label
	saveErrBox  *fyne.Container
	save        *widget.Button
	cancel      *widget.Button
	test        *widget.Button

	steps      *fyne.Container // one row per reported step
	stepScroll *container.Scroll
	testIntro  *widget.Label
	testStatus *widget.Label
	progress   *widget.ProgressBarInfinite

	// Validation state.
	touched  map[*dialogEntry]bool
	showAll  bool // after an attempt to save: show every message
	valid    bool // Save may run
	testable bool // Test connection may run: the name and address are valid

	// The fleet as last read, for the duplicate checks.
	slaves   []master.SlaveView
	slavesAt time.Time

	saving     bool
	testRun    int                // bumped by every start and stop: stale reports are dropped
	testCancel context.CancelFunc // non-nil while a test runs
	edits      int                // bumped by every change of what the test uses (all but group and notes)
	testedAt   int                // edits when the last test began
	closed     bool

	giveKeysBack func()
}

// slaveFieldErrors are the messages shown under the fields; "" is valid.
type slaveFieldErrors struct {
	name, address, port, password, fingerprint string
}

func (e slaveFieldErrors) ok() bool {
	return e.name == "" && e.address == "" && e.port == "" && e.password == "" && e.fingerprint == ""
}

func newSlaveDialog(parent fyne.Window, editor SlaveEditor, editing *master.SlaveView, prefillName string, do func(func())) *slaveDialog {
	d := &slaveDialog{parent: parent, editor: editor, editing: editing, do: do, now: time.Now,
		touched: map[*dialogEntry]bool{}}
	d.build(prefillName)
	return d
}

func (d *slaveDialog) build(prefillName string) {
	d.title = slaveDialogAddTitle
	if d.editing != nil {
		d.title = "Edit Slave " + d.editing.Name
	}
	fpHint := d.buildFields()
	d.prefill(prefillName)
	form := d.buildForm(fpHint)
	testPanel := d.buildTestPanel()
	buttons := d.buildButtons()

	width := canvas.NewRectangle(nil)
	width.SetMinSize(fyne.NewSize(slaveDialogMinWidth, 0))
	// The test panel takes whatever height the fields leave: messages
	// under the fields shrink it rather than grow the dialog.
	content := container.NewBorder(container.NewVBox(width, form, d.saveErrBox),
		container.NewVBox(widget.NewSeparator(), buttons), nil, nil, testPanel)

	d.dlg = dialog.NewCustomWithoutButtons(d.title, content, d.parent)
	d.dlg.SetOnClosed(d.onClosed)
	d.directionChanged()
}

// buildFields makes the fields and their messages; fpHint is the
// certificate field's hint.
func (d *slaveDialog) buildFields() (fpHint *widget.Label) {
	d.name = d.newEntry()
	d.name.SetPlaceHolder("for example FS01 (the name given to lanyard-agent init)")
	d.nameMsg = newFieldMessage()

	d.direction = newDialogRadio(d.parent.Canvas(), []string{directionOutbound, directionInbound}, func(string) { d.directionChanged() })
	d.dirHint = widget.NewLabel(outboundHint)
	d.dirHint.Wrapping = fyne.TextWrapWord
	d.dirHint.SizeName = theme.SizeNameCaptionText

	d.address = d.newEntry()
	d.address.SetPlaceHolder("host name or IP address")
	d.port = d.newEntry()
	takesWholeAddress(d.address, d.port, intoPortField)
	d.port.SetText(fmt.Sprint(address.DefaultPort))
	d.addressMsg = newFieldMessage()
	portBox := container.NewHBox(widget.NewLabel("Port"), container.NewGridWrap(fyne.NewSize(92, d.port.MinSize().Height), d.port))
	d.addrBox = container.NewVBox(container.NewBorder(nil, nil, nil, portBox, d.address), d.addressMsg)
	d.addrLabel = widget.NewLabel("Address")

	d.password = d.newEntry()
	d.password.Password = true // the masked entry of widget.NewPasswordEntry, reveal button included
	d.passwordMsg = newFieldMessage()
	d.passwordTip = widget.NewLabel("")
	d.passwordTip.SizeName = theme.SizeNameCaptionText
	d.passwordTip.Hide()

	d.fingerprint = d.newEntry()
	d.fingerprint.SetPlaceHolder(fingerprintPlaceholder)
	d.fpMsg = newFieldMessage()
	fpHint = widget.NewLabel(fingerprintHint)
	fpHint.Wrapping = fyne.TextWrapWord
	fpHint.SizeName = theme.SizeNameCaptionText

	d.group = newDialogSelectEntry(d.parent.Canvas(), d.groups())
	d.group.SetPlaceHolder("none")
	d.group.OnSubmitted = func(string) { d.submit() }

	d.notes = d.newEntry()
	d.notes.SetPlaceHolder("optional: the customer's contact, where it stands, …")

	return fpHint
}

// prefill fills the fields for an edit, or for an unknown slave that
// dialed in (prefillName); never the password.
func (d *slaveDialog) prefill(prefillName string) {
	switch {
	case d.editing != nil:
		d.name.SetText(d.editing.Name)
		d.group.SetText(d.editing.Group)
		d.notes.SetText(d.editing.Notes)
		if d.editing.Direction == store.Inbound {
			d.direction.SetSelected(directionInbound)
		} else {
			d.direction.SetSelected(directionOutbound)
			host, port := address.Split(d.editing.Address)
			d.address.SetText(host)
			if port != "" {
				d.port.SetText(port)
			}
		}
		d.password.SetPlaceHolder(passwordUnchanged)
		d.passwordTip.SetText(passwordKeepHint)
		d.passwordTip.Show()
		if d.editing.PinnedCert != "" {
			d.fingerprint.SetPlaceHolder("pinned: " + link.ShortFingerprint(d.editing.PinnedCert) + " (empty keeps it)")
		}
	case prefillName != "":
		d.name.SetText(prefillName)
		d.direction.SetSelected(directionInbound)
		d.password.SetPlaceHolder("the password set on the agent")
	default:
		d.direction.SetSelected(directionOutbound)
		d.password.SetPlaceHolder("the password set on the agent")
	}
	if prefillName != "" {
		d.touched[d.name] = true // a prefilled name is checked at once
	}

}

// buildForm lays the fields out, with the line that says why a save
// failed.
func (d *slaveDialog) buildForm(fpHint *widget.Label) fyne.CanvasObject {
	d.saveErr = widget.NewLabel("")
	d.saveErr.Importance = widget.DangerImportance
	d.saveErr.Wrapping = fyne.TextWrapWord
	d.saveErrBox = container.NewBorder(nil, nil, widget.NewIcon(theme.NewErrorThemedResource(theme.ErrorIcon())), nil, d.saveErr)
	d.saveErrBox.Hide()

	return container.New(layout.NewFormLayout(),
		widget.NewLabel("Name"), container.NewVBox(d.name, d.nameMsg),
		widget.NewLabel("Connection"), container.NewVBox(d.direction, d.dirHint),
		d.addrLabel, d.addrBox,
		widget.NewLabel("Password"), container.NewVBox(d.password, d.passwordMsg, d.passwordTip),
		widget.NewLabel("Certificate"), container.NewVBox(d.fingerprint, d.fpMsg, fpHint),
		widget.NewLabel("Group"), d.group,
		widget.NewLabel("Notes"), d.notes,
	)

}

// showTestIntro says what Test connection checks for the direction
// chosen (once the panel is built).
func (d *slaveDialog) showTestIntro() {
	if d.testIntro == nil {
		return
	}
	if d.outbound() {
		d.testIntro.SetText(testIntro)
	} else {
		d.testIntro.SetText(testIntroInbound)
	}
}

// buildTestPanel is the connection test's steps, progress and result.
func (d *slaveDialog) buildTestPanel() fyne.CanvasObject {
	d.testIntro = widget.NewLabel("")
	d.showTestIntro()
	d.testIntro.Wrapping = fyne.TextWrapWord
	d.steps = container.NewVBox(d.testIntro)
	d.stepScroll = container.NewVScroll(d.steps)
	d.stepScroll.SetMinSize(fyne.NewSize(slaveDialogMinWidth, slaveDialogTestLines))
	d.progress = widget.NewProgressBarInfinite()
	d.progress.Stop()
	d.progress.Hide()
	d.testStatus = widget.NewLabel("")
	d.testStatus.Hide()
	testHeader := container.NewBorder(nil, nil, widget.NewLabelWithStyle("Connection test", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), nil, d.testStatus)
	return container.NewBorder(container.NewVBox(widget.NewSeparator(), testHeader, d.progress), nil, nil, nil, d.stepScroll)

}

// buildButtons is the row of Test connection, Cancel and Save.
func (d *slaveDialog) buildButtons() fyne.CanvasObject {
	d.test = widget.NewButtonWithIcon(testConnectionLabel, theme.MediaPlayIcon(), d.toggleTest)
	d.cancel = widget.NewButton("Cancel", d.close)
	d.save = widget.NewButtonWithIcon("Save", theme.DocumentSaveIcon(), d.submit)
	d.save.Importance = widget.HighImportance
	return container.NewHBox(d.test, layout.NewSpacer(), d.cancel, d.save)

}

// newEntry returns an entry wired to this dialog: typing validates, Enter
// saves, Escape cancels, leaving it shows its message.
func (d *slaveDialog) newEntry() *dialogEntry {
	e := newDialogEntry(d.parent.Canvas())
	e.onBlur = func() {
		// Leaving a field the user filled in checks it; leaving an empty
		// one untouched (the name has the focus when the dialog opens)
		// does not scold, until the user tries to save.
		if !d.closed && e.Text != "" {
			d.touched[e] = true
			d.validate()
		}
	}
	e.OnChanged = func(string) {
		d.touched[e] = true
		if e != d.notes {
			d.edits++
		}
		d.validate()
	}
	e.OnSubmitted = func(string) { d.submit() }
	return e
}

func newFieldMessage() *widget.Label {
	l := widget.NewLabel("")
	l.Importance = widget.DangerImportance
	l.Wrapping = fyne.TextWrapWord
	l.SizeName = theme.SizeNameCaptionText
	l.Hide()
	return l
}

// show opens the dialog, focuses the first field and takes Escape and
// Enter for the dialog while nothing in it has the focus.
func (d *slaveDialog) show() {
	c := d.parent.Canvas()
	d.giveKeysBack = dialogKeys(c, d.close, d.submit)
	d.dlg.Show()
	size := d.dlg.MinSize()
	d.dlg.Resize(fyne.NewSize(size.Width, size.Height+slaveDialogSlack))
	c.Focus(d.name)
	d.validate()
}

// close cancels: a running test is stopped and nothing is saved. While
// a save runs it waits for its outcome.
func (d *slaveDialog) close() {
	if d.closed || d.saving {
		return
	}
	d.dlg.Hide() // calls onClosed through SetOnClosed
}

func (d *slaveDialog) onClosed() {
	if d.closed {
		return
	}
	d.closed = true
	d.stopTest()
	d.password.SetText("")
	d.giveKeysBack()
}

func (d *slaveDialog) outbound() bool { return d.direction.Selected != directionInbound }

func (d *slaveDialog) directionChanged() {
	if d.outbound() {
		d.dirHint.Importance = widget.MediumImportance
		d.dirHint.SetText(outboundHint)
		d.addrLabel.Show()
		d.addrBox.Show()
	} else {
		d.dirHint.Importance = widget.MediumImportance
		hint := inboundHint
		if rs, ok := d.editor.(RemoteSettings); ok && !rs.Settings().Listen {
			d.dirHint.Importance, hint = widget.WarningImportance, inboundNotListening
		}
		d.dirHint.SetText(hint)
		d.addrLabel.Hide()
		d.addrBox.Hide()
	}
	d.showTestIntro()
	d.edits++
	d.validate()
}

// fleet returns the slaves as recently read: the duplicate checks run on
// every keystroke, and reading 10,000 entries that often would be waste.
func (d *slaveDialog) fleet() []master.SlaveView {
	if d.slaves == nil || d.now().Sub(d.slavesAt) > slaveSnapshotMaxAge {
		d.slaves, d.slavesAt = d.editor.Slaves(), d.now()
	}
	return d.slaves
}

func (d *slaveDialog) groups() []string {
	var all []string
	for _, s := range d.fleet() {
		all = append(all, s.Group)
	}
	return master.DistinctGroups(all)
}

// check reads the fields into a spec and says what is wrong with them.
func (d *slaveDialog) check() (master.SlaveSpec, slaveFieldErrors) {
	var errs slaveFieldErrors
	spec := master.SlaveSpec{
		Name:     strings.TrimSpace(d.name.Text),
		Group:    strings.TrimSpace(d.group.Text),
		Password: []byte(d.password.Text),
		Notes:    strings.TrimSpace(d.notes.Text),
	}
	others := d.fleet()
	isSelf := func(s master.SlaveView) bool { return d.editing != nil && s.ID == d.editing.ID }

	if err := auth.ValidateName(spec.Name); err != nil {
		errs.name = sentence(err.Error())
	} else {
		for _, s := range others {
			if !isSelf(s) && strings.EqualFold(s.Name, spec.Name) {
				errs.name = fmt.Sprintf("A slave named %s already exists%s.", s.Name, inGroup(s.Group))
				break
			}
		}
	}

	if d.outbound() {
		spec.Direction = store.Outbound
		port := strings.TrimSpace(d.port.Text)
		if port == "" {
			errs.port = fmt.Sprintf("Enter the port the agent listens on, 1 to 65535 (the default is %d).", address.DefaultPort)
		} else if _, err := address.ParsePort(port); err != nil {
			errs.port = sentence(err.Error())
			port = ""
		}
		host := strings.TrimSpace(d.address.Text)
		switch {
		case host == "":
			errs.address = "Enter the slave's host name or IP address."
		case hasPortIn(host):
			errs.address = "Enter only the host here; the port goes in the Port field."
			if _, _, ok := portToMove(d.address, d.port, intoPortField); ok {
				errs.address = sentence(portMovesWords("the Port field"))
			}
		default:
			checkPort := port
			if checkPort == "" {
				checkPort = fmt.Sprint(address.DefaultPort) // the port has its own message
			}
			a, err := address.ParseDial(address.Join(host, checkPort))
			if err != nil {
				errs.address = sentence(err.Error())
				break
			}
			addr := a.String()
			spec.Address = addr
			if port == "" {
				break
			}
			for _, s := range others {
				if !isSelf(s) && s.Direction == store.Outbound && strings.EqualFold(s.Address, addr) {
					errs.address = fmt.Sprintf("%s already uses %s: one entry per address and port.", s.Name, addr)
					break
				}
			}
		}
	} else {
		spec.Direction = store.Inbound
	}

	if text := strings.TrimSpace(d.fingerprint.Text); text != "" {
		if fp, err := link.ParseFingerprint(text); err != nil {
			errs.fingerprint = "Not a certificate fingerprint: paste SHA256: and the 64 hex digits that lanyard-agent status prints."
		} else {
			spec.Fingerprint = fp
		}
	}

	switch {
	case d.editing == nil && len(spec.Password) == 0:
		errs.password = "Enter the management password set on the agent."
	case d.editing != nil && len(spec.Password) == 0 && errs.name == "" && !strings.EqualFold(spec.Name, d.editing.Name):
		errs.password = fmt.Sprintf("Renaming %s to %s needs the password again: the name is part of the key.", d.editing.Name, spec.Name)
	}
	return spec, errs
}

// validate shows the messages of the fields the user has been to and
// enables Save when everything is valid.
func (d *slaveDialog) validate() {
	if d.dlg == nil || d.closed {
		return // still building, or gone
	}
	spec, errs := d.check()
	clear(spec.Password)
	d.valid = errs.ok()
	d.testable = errs.name == "" && (!d.outbound() || errs.address == "" && errs.port == "")
	changed := d.setMessage(d.nameMsg, errs.name, d.touched[d.name])
	// The address and the port share a row, and one message under it.
	var addrLines []string
	if errs.address != "" && (d.touched[d.address] || d.showAll) {
		addrLines = append(addrLines, errs.address)
	}
	if errs.port != "" && (d.touched[d.port] || d.showAll) {
		addrLines = append(addrLines, errs.port)
	}
	changed = d.setMessage(d.addressMsg, strings.Join(addrLines, "\n"), d.outbound()) || changed
	// The password is the last field: say it is required once the user
	// has been there or tried to save, or is renaming.
	renaming := d.editing != nil && !strings.EqualFold(strings.TrimSpace(d.name.Text), d.editing.Name)
	changed = d.setMessage(d.passwordMsg, errs.password, d.touched[d.password] || renaming) || changed
	changed = d.setMessage(d.fpMsg, errs.fingerprint, d.touched[d.fingerprint]) || changed
	if d.editing != nil && renaming == d.passwordTip.Visible() {
		if renaming {
			d.passwordTip.Hide()
			d.password.SetPlaceHolder("required to rename")
		} else {
			d.passwordTip.Show()
			d.password.SetPlaceHolder(passwordUnchanged)
		}
		changed = true
	}
	d.updateButtons()
	d.markTestStale()
	if changed {
		d.dlg.Refresh() // a message came or went: the dialog may need to grow
	}
}

// testStale is the connection test's status once a value it used has
// changed: its steps stay to be read, but no longer speak for the form.
const testStale = "The values changed since this test: test again."

// markTestStale says so of a finished test whose values have changed.
func (d *slaveDialog) markTestStale() {
	if d.testCancel != nil || !d.testStatus.Visible() || d.edits == d.testedAt || d.testStatus.Text == testStale {
		return
	}
	d.testStatus.SetText(testStale)
	d.testStatus.Importance = widget.WarningImportance
	d.testStatus.Refresh()
}

// setMessage shows msg under a field the user has been to, and reports
// whether anything changed.
func (d *slaveDialog) setMessage(l *widget.Label, msg string, touched bool) bool {
	if msg == "" || !(touched || d.showAll) {
		if !l.Visible() {
			return false
		}
		l.Hide()
		return true
	}
	if l.Visible() && l.Text == msg {
		return false
	}
	l.SetText(msg)
	l.Show()
	return true
}

func (d *slaveDialog) updateButtons() {
	if d.valid && !d.saving {
		d.save.Enable()
	} else {
		d.save.Disable()
	}
	if d.saving {
		d.cancel.Disable()
	} else {
		d.cancel.Enable()
	}
	if d.testCancel != nil || d.testable {
		d.test.Enable()
	} else {
		d.test.Disable()
	}
}

// submit saves when the entries are valid, and otherwise shows every
// message so the user sees why Save is disabled.
func (d *slaveDialog) submit() {
	if d.closed || d.saving {
		return
	}
	spec, errs := d.check()
	if !errs.ok() {
		clear(spec.Password)
		d.showAll = true
		d.validate()
		return
	}
	d.saving = true
	d.saveErrBox.Hide()
	d.save.SetText("Saving…")
	d.updateButtons()
	editing, name := d.editing, spec.Name
	go func() {
		var err error
		if editing == nil {
			_, err = d.editor.AddSlave(spec)
		} else {
			_, err = d.editor.EditSlave(editing.Name, spec)
		}
		clear(spec.Password)
		d.do(func() { d.saved(name, err) })
	}()
}

func (d *slaveDialog) saved(name string, err error) {
	d.saving = false
	d.save.SetText("Save")
	if d.closed {
		return
	}
	if err != nil {
		// The final word: show it and keep everything the user typed.
		d.saveErr.SetText(sentence(err.Error()))
		d.saveErrBox.Show()
		d.slaves = nil // re-read: the clash is probably new
		d.validate()
		return
	}
	d.close()
	if d.editing == nil && d.onAdded != nil {
		d.onAdded(name)
	}
}

// toggleTest starts a connection test, or stops the running one.
func (d *slaveDialog) toggleTest() {
	if d.testCancel != nil {
		d.stopTest()
		d.testStatus.SetText("Stopped.")
		d.updateButtons()
		return
	}
	d.startTest()
}

func (d *slaveDialog) startTest() {
	spec, errs := d.check()
	if errs.name != "" || d.outbound() && (errs.address != "" || errs.port != "") {
		clear(spec.Password)
		d.showAll = true
		d.validate()
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	d.testRun++
	d.testedAt = d.edits
	run := d.testRun
	d.testCancel = cancel
	d.steps.RemoveAll()
	d.progress.Show()
	d.progress.Start()
	d.testStatus.SetText("Testing " + spec.Name + "…")
	d.testStatus.Importance = widget.MediumImportance
	d.testStatus.Show()
	d.test.SetText(stopTestLabel)
	d.test.SetIcon(theme.MediaStopIcon())
	d.updateButtons()

	go func() {
		ok := d.editor.TestConnection(ctx, spec, func(s link.Step) {
			d.do(func() {
				if run == d.testRun {
					d.addStep(s)
				}
			})
		})
		clear(spec.Password)
		d.do(func() {
			if run == d.testRun {
				d.testDone(ok)
			}
		})
	}()
}

// stopTest cancels a running test; its late reports are dropped.
func (d *slaveDialog) stopTest() {
	if d.testCancel == nil {
		return
	}
	d.testCancel()
	d.testCancel = nil
	d.testRun++
	d.progress.Stop()
	d.progress.Hide()
	d.test.SetText(testConnectionLabel)
	d.test.SetIcon(theme.MediaPlayIcon())
}

func (d *slaveDialog) testDone(ok bool) {
	d.testCancel = nil
	d.progress.Stop()
	d.progress.Hide()
	d.test.SetText(testConnectionLabel)
	d.test.SetIcon(theme.MediaPlayIcon())
	if ok {
		d.testStatus.SetText("All checks passed.")
		d.testStatus.Importance = widget.SuccessImportance
		if d.skippedStep() != "" {
			d.testStatus.SetText("Passed, but the " + d.skippedStep() + " was not checked.")
			d.testStatus.Importance = widget.WarningImportance
		}
	} else {
		d.testStatus.SetText("The test failed.")
		d.testStatus.Importance = widget.DangerImportance
		for _, o := range d.steps.Objects {
			if r, isStep := o.(*stepRow); isStep && !r.step.OK {
				d.testStatus.SetText("Failed at " + r.step.Name + ".")
				break
			}
		}
	}
	d.testStatus.Refresh()
	d.updateButtons()
	d.markTestStale() // changed while it ran
}

// skippedStep names the first step shown that passed unchecked ("password"
// when none was typed), or is "".
func (d *slaveDialog) skippedStep() string {
	for _, o := range d.steps.Objects {
		if r, isStep := o.(*stepRow); isStep && r.step.Skipped {
			return r.step.Name
		}
	}
	return ""
}

func (d *slaveDialog) addStep(s link.Step) {
	d.steps.Add(newStepRow(s))
	// Wrapped text knows its height once it knows its width: lay out
	// twice, then show the newest step.
	for range 2 {
		d.steps.Resize(fyne.NewSize(d.stepScroll.Size().Width, d.steps.MinSize().Height))
	}
	d.stepScroll.ScrollToBottom()
}

// stepRow shows one diagnosis step: a tick or a cross, the step, what was
// found and, for a failure, the fix.
type stepRow struct {
	widget.BaseWidget
	step link.Step
	copy *widget.Button // Copy Command, when the fix names one
}

// stepCopyCommand copies the command a step's fix names.
const stepCopyCommand = "Copy Command"

func newStepRow(s link.Step) *stepRow {
	r := &stepRow{step: s}
	r.ExtendBaseWidget(r)
	return r
}

func (r *stepRow) CreateRenderer() fyne.WidgetRenderer {
	var icon fyne.Resource = theme.NewSuccessThemedResource(theme.ConfirmIcon())
	switch {
	case !r.step.OK:
		icon = theme.NewErrorThemedResource(theme.CancelIcon())
	case r.step.Skipped:
		icon = theme.NewWarningThemedResource(theme.QuestionIcon())
	}
	name := &widget.TextSegment{Style: widget.RichTextStyleStrong, Text: stepTitle(r.step.Name) + "  "}
	name.Style.Inline = true
	text := widget.NewRichText(name, &widget.TextSegment{Style: widget.RichTextStyleParagraph, Text: sentence(r.step.Detail)})
	if !r.step.OK && r.step.Fix != "" {
		fix := widget.RichTextStyleParagraph
		fix.ColorName = theme.ColorNameError
		text.Segments = append(text.Segments, &widget.TextSegment{Style: fix, Text: "Fix: " + sentence(r.step.Fix)})
	}
	text.Wrapping = fyne.TextWrapWord
	// The tick or cross stays beside the first line however tall the text.
	mark := container.NewVBox(container.NewGridWrap(fyne.NewSize(theme.IconInlineSize(), 35), widget.NewIcon(icon)))
	var body fyne.CanvasObject = text
	if cmd := r.step.Command; cmd != "" && !r.step.OK {
		r.copy = widget.NewButtonWithIcon(stepCopyCommand, theme.ContentCopyIcon(), func() {
			fyne.CurrentApp().Clipboard().SetContent(cmd)
		})
		body = container.NewVBox(text, container.NewHBox(r.copy))
	}
	return widget.NewSimpleRenderer(container.NewBorder(nil, nil, mark, nil, body))
}

// stepTitle capitalises a step name: "name lookup" → "Name lookup".
func stepTitle(name string) string {
	if name == "" {
		return name
	}
	r, size := utf8.DecodeRuneInString(name)
	return string(unicode.ToUpper(r)) + name[size:]
}

// hasPortIn reports whether a typed host carries a port ("host:16888",
// "[::1]:16888"; an IPv6 address alone has none).
func hasPortIn(host string) bool {
	_, port := address.Split(host)
	return port != ""
}

func inGroup(group string) string {
	if group == "" {
		return ""
	}
	return " (group " + group + ")"
}

// sentence starts s with a capital letter (capitalize: not a name such
// as fs01) and ends it with a full stop, for messages from core that are
// written as clauses.
func sentence(s string) string {
	return fullStop(capitalize(strings.TrimSpace(s)))
}

// fullStop ends s with a full stop when it ends with a letter or a digit
// (not after a quote or a bracket, which end it as they are).
func fullStop(s string) string {
	if last, _ := utf8.DecodeLastRuneInString(s); unicode.IsLetter(last) || unicode.IsDigit(last) {
		s += "."
	}
	return s
}
