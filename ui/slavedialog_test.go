package ui

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	"go.uber.org/goleak"

	"github.com/lanyard/lanyard/core/address"
	"github.com/lanyard/lanyard/core/link"
	"github.com/lanyard/lanyard/core/master"
	"github.com/lanyard/lanyard/core/store"
	"github.com/lanyard/lanyard/internal/testkit"
	"github.com/lanyard/lanyard/internal/testkit/mastertest"
)

// ---- Shared helpers of the slave dialog, log window and notifier tests ----

// noLeaksAfter fails the test if it leaves goroutines behind. Call it
// first, so that its check runs after every other cleanup.
func noLeaksAfter(t *testing.T) {
	t.Helper()
	before := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, before) })
}

// uiQueue stands in for fyne.Do: work that background goroutines hand to
// the Fyne thread waits here until the test runs it on its own goroutine,
// so widgets are only ever touched by the test's goroutine.
type uiQueue struct{ ch chan func() }

func newUIQueue() *uiQueue { return &uiQueue{ch: make(chan func(), 1<<16)} }

func (q *uiQueue) do(f func()) { q.ch <- f }

// runUntil runs queued work until done reports true, checking done also
// between items (work that finishes in the background without queueing
// anything), and fails after 20 s.
func (q *uiQueue) runUntil(t testing.TB, what string, done func() bool) {
	t.Helper()
	deadline := time.NewTimer(20 * time.Second)
	defer deadline.Stop()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !done() {
		select {
		case f := <-q.ch:
			f()
		case <-tick.C:
		case <-deadline.C:
			t.Fatalf("gave up waiting for %s", what)
		}
	}
}

// runPending runs the work already queued, without waiting for more.
func (q *uiQueue) runPending() {
	for {
		select {
		case f := <-q.ch:
			f()
		default:
			return
		}
	}
}

// ---- The Add/Edit Slave dialog ----

// openSlaveDialog shows the dialog in a test window and returns it with
// the queue its background work reports to.
func openSlaveDialog(t *testing.T, editor SlaveEditor, editing *master.SlaveView, prefill string) (*slaveDialog, *uiQueue, fyne.Window) {
	t.Helper()
	test.NewTempApp(t)
	w := test.NewTempWindow(t, widget.NewLabel("main window"))
	w.Resize(fyne.NewSize(900, 760))
	q := newUIQueue()
	d := newSlaveDialog(w, editor, editing, prefill, q.do)
	d.show()
	return d, q, w
}

// typeInto replaces an entry's text as a user would: clear it (as one
// who typed and erased, so an empty field counts as visited), type, and
// move on to the next field.
func typeInto(e fyne.Focusable, text string) {
	switch e := e.(type) {
	case *dialogEntry:
		e.SetText("x")
		e.SetText("")
	case *dialogSelectEntry:
		e.SetText("")
	}
	test.Type(e, text)
	e.FocusLost()
}

func shown(l *widget.Label) string {
	if !l.Visible() {
		return ""
	}
	return l.Text
}

func TestAddedSlaveAppearsInTheFleet(t *testing.T) {
	noLeaksAfter(t)
	m := mastertest.Start(t, mastertest.Options{Listen: true})
	a := testkit.Agent(t, testkit.AgentOptions{Name: "FS01", Password: "pw-one", Listen: true})
	host, port := address.Split(a.ListenAddr())

	d, q, _ := openSlaveDialog(t, m, nil, "")
	typeInto(d.name, "FS01")
	typeInto(d.address, host)
	typeInto(d.port, port)
	typeInto(d.password, "pw-one")
	typeInto(d.group, "Lab")
	if d.save.Disabled() {
		t.Fatalf("Save is disabled with valid values; messages: %q %q %q",
			shown(d.nameMsg), shown(d.addressMsg), shown(d.passwordMsg))
	}
	test.Tap(d.save)
	q.runUntil(t, "the dialog to close after saving", func() bool { return d.closed })

	var got *master.SlaveView
	for _, s := range m.Slaves() {
		if s.Name == "FS01" {
			got = &s
		}
	}
	if got == nil {
		t.Fatalf("FS01 is not among the slaves: %+v", m.Slaves())
	}
	if got.Address != a.ListenAddr() || got.Group != "Lab" || got.Direction != store.Outbound {
		t.Errorf("saved %+v", *got)
	}
	if d.password.Text != "" {
		t.Error("the password entry still holds the password after closing")
	}
}

// fleetOf is a SlaveEditor with a fixed fleet, for checks that need no
// links.
type fleetOf struct {
	slaves []master.SlaveView
	added  []master.SlaveSpec
	err    error
	// test, when set, replaces TestConnection.
	test func(ctx context.Context, spec master.SlaveSpec, report func(link.Step)) bool
}

func (f *fleetOf) AddSlave(spec master.SlaveSpec) (master.SlaveView, error) {
	if f.err != nil {
		return master.SlaveView{}, f.err
	}
	spec.Password = append([]byte(nil), spec.Password...)
	f.added = append(f.added, spec)
	return master.SlaveView{Name: spec.Name}, nil
}

func (f *fleetOf) EditSlave(name string, spec master.SlaveSpec) (master.SlaveView, error) {
	return f.AddSlave(spec)
}

func (f *fleetOf) TestConnection(ctx context.Context, spec master.SlaveSpec, report func(link.Step)) bool {
	if f.test != nil {
		return f.test(ctx, spec, report)
	}
	return false
}

func (f *fleetOf) Slaves() []master.SlaveView { return f.slaves }

var twoSlaves = []master.SlaveView{
	{ID: "1", Name: "FS01", Group: "Lab", Direction: store.Outbound, Address: "10.0.0.4:16888", Notes: "rack 4"},
	{ID: "2", Name: "WEB02", Group: "DMZ", Direction: store.Inbound},
}

func TestEachFieldIsValidatedAsTheUserTypes(t *testing.T) {
	tests := []struct {
		name                    string
		slave, addr, port, pass string
		inbound                 bool
		field                   string // which message
		want                    string // "" = no message in that field
		saveEnabled             bool
	}{
		{name: "valid outbound values pass", slave: "FS09", addr: "10.0.0.9", port: "16888", pass: "pw", field: "name", saveEnabled: true},
		{name: "an empty name is refused", slave: "", addr: "10.0.0.9", port: "16888", pass: "pw", field: "name", want: "Slave name is empty"},
		{name: "a space in the name is refused", slave: "FS 09", addr: "10.0.0.9", port: "16888", pass: "pw", field: "name", want: "has a space"},
		{name: "a slash in the name is refused and named", slave: "FS/09", addr: "10.0.0.9", port: "16888", pass: "pw", field: "name", want: `'/' at position 3`},
		{name: "a name of 64 characters is too long", slave: strings.Repeat("a", 64), addr: "10.0.0.9", port: "16888", pass: "pw", field: "name", want: "at most 63"},
		{name: "a name of 63 characters is fine", slave: strings.Repeat("a", 63), addr: "10.0.0.9", port: "16888", pass: "pw", field: "name", saveEnabled: true},
		{name: "a duplicate name is refused with the clash named", slave: "fs01", addr: "10.0.0.9", port: "16888", pass: "pw", field: "name", want: "A slave named FS01 already exists (group Lab)"},
		{name: "an empty address is refused", slave: "FS09", addr: "", port: "16888", pass: "pw", field: "address", want: "host name or IP address"},
		{name: "a host name with an underscore is refused", slave: "FS09", addr: "bad_host", port: "16888", pass: "pw", field: "address", want: `"bad_host" is not a valid host name`},
		{name: "a host name is accepted", slave: "FS09", addr: "fs09.example.com", port: "16888", pass: "pw", field: "address", saveEnabled: true},
		{name: "an IPv6 address is accepted", slave: "FS09", addr: "2001:db8::9", port: "16888", pass: "pw", field: "address", saveEnabled: true},
		{name: "an IPv6 address in brackets is accepted", slave: "FS09", addr: "[2001:db8::9]", port: "16888", pass: "pw", field: "address", saveEnabled: true},
		{name: "a port typed into the address moves to the Port field", slave: "FS09", addr: "10.0.0.9:16888", port: "16888", pass: "pw", field: "address", saveEnabled: true},
		{name: "a duplicate outbound address and port is refused with the clash named", slave: "FS09", addr: "10.0.0.4", port: "16888", pass: "pw", field: "address", want: "FS01 already uses 10.0.0.4:16888"},
		{name: "the same host on another port is fine", slave: "FS09", addr: "10.0.0.4", port: "16889", pass: "pw", field: "address", saveEnabled: true},
		{name: "port 0 is refused", slave: "FS09", addr: "10.0.0.9", port: "0", pass: "pw", field: "port", want: "1 to 65535"},
		{name: "port 65536 is refused", slave: "FS09", addr: "10.0.0.9", port: "65536", pass: "pw", field: "port", want: "1 to 65535"},
		{name: "a port that is not a number is refused", slave: "FS09", addr: "10.0.0.9", port: "http", pass: "pw", field: "port", want: "not a number"},
		{name: "an empty port is refused", slave: "FS09", addr: "10.0.0.9", port: "", pass: "pw", field: "port", want: "Enter the port"},
		{name: "port 65535 is fine", slave: "FS09", addr: "10.0.0.9", port: "65535", pass: "pw", field: "port", saveEnabled: true},
		{name: "the password is required when adding", slave: "FS09", addr: "10.0.0.9", port: "16888", pass: "", field: "password", want: "Enter the management password"},
		{name: "an inbound slave needs no address", slave: "FS09", addr: "", port: "", pass: "pw", inbound: true, field: "address", saveEnabled: true},
		{name: "an inbound slave still needs a unique name", slave: "WEB02", pass: "pw", inbound: true, field: "name", want: "A slave named WEB02 already exists"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, _, _ := openSlaveDialog(t, &fleetOf{slaves: twoSlaves}, nil, "")
			if tt.inbound {
				d.direction.SetSelected(directionInbound)
			}
			// typeInto clears each field first, so every field counts as
			// visited, as for a user who filled in the form.
			typeInto(d.name, tt.slave)
			typeInto(d.address, tt.addr)
			typeInto(d.port, tt.port)
			typeInto(d.password, tt.pass)
			msgs := map[string]*widget.Label{"name": d.nameMsg, "address": d.addressMsg, "port": d.addressMsg, "password": d.passwordMsg}
			got := shown(msgs[tt.field])
			if tt.want == "" && got != "" || !strings.Contains(got, tt.want) {
				t.Errorf("%s message = %q, want %q", tt.field, got, tt.want)
			}
			if d.save.Disabled() == tt.saveEnabled {
				t.Errorf("Save enabled = %v, want %v (messages %q %q %q)", !d.save.Disabled(), tt.saveEnabled,
					shown(d.nameMsg), shown(d.addressMsg), shown(d.passwordMsg))
			}
		})
	}
}

// An address is often written, copied and pasted whole: leaving the
// Address field moves its port to the Port field, unless the Port field
// holds another port the user typed.
func TestAPortInTheAddressMovesToThePortField(t *testing.T) {
	const untouched = "(as the dialog filled it in)"
	tests := []struct {
		name, typed        string
		port               string // what the user typed in the Port field first, or untouched
		wantHost, wantPort string
		whileTyping, after string // the address's message
	}{
		{name: "over the port the dialog filled in", typed: "fs09.example.com:2000", port: untouched,
			wantHost: "fs09.example.com", wantPort: "2000",
			whileTyping: "leaving this field moves it there"},
		{name: "into an emptied Port field", typed: "10.0.0.9:16889", port: "",
			wantHost: "10.0.0.9", wantPort: "16889",
			whileTyping: "leaving this field moves it there"},
		{name: "onto the same port typed there", typed: "10.0.0.9:2000", port: "2000",
			wantHost: "10.0.0.9", wantPort: "2000",
			whileTyping: "leaving this field moves it there"},
		{name: "an IPv6 address in brackets", typed: "[2001:db8::9]:16889", port: untouched,
			wantHost: "2001:db8::9", wantPort: "16889",
			whileTyping: "leaving this field moves it there"},
		{name: "not over another port the user typed", typed: "10.0.0.9:2000", port: "16999",
			wantHost: "10.0.0.9:2000", wantPort: "16999",
			whileTyping: "Enter only the host here", after: "Enter only the host here"},
		{name: "not a port that is not one", typed: "10.0.0.9:99999", port: untouched,
			wantHost: "10.0.0.9:99999", wantPort: "16888",
			whileTyping: "Enter only the host here", after: "Enter only the host here"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, _, _ := openSlaveDialog(t, &fleetOf{slaves: twoSlaves}, nil, "")
			typeInto(d.name, "FS09")
			typeInto(d.password, "pw")
			if tt.port != untouched {
				typeInto(d.port, tt.port)
			}
			test.Type(d.address, tt.typed)
			if got := shown(d.addressMsg); !strings.Contains(got, tt.whileTyping) {
				t.Errorf("while typing the message is %q, want %q", got, tt.whileTyping)
			}
			d.address.FocusLost()
			if d.address.Text != tt.wantHost || d.port.Text != tt.wantPort {
				t.Errorf("after leaving the field: address %q, port %q; want %q, %q",
					d.address.Text, d.port.Text, tt.wantHost, tt.wantPort)
			}
			got := shown(d.addressMsg)
			if tt.after == "" && got != "" || !strings.Contains(got, tt.after) {
				t.Errorf("after leaving the field the message is %q, want %q", got, tt.after)
			}
			if d.save.Disabled() == (tt.after == "") {
				t.Errorf("Save enabled = %v with the message %q", !d.save.Disabled(), got)
			}
		})
	}
}

// A field reached with Tab has its text selected while it is what the
// dialog filled in, so that typing replaces it: Tab to the Port field and
// type a port, and the port is that one, not "200016888". A click puts the
// cursor where it falls instead, and what the user typed is not selected
// again when the window gets the keyboard back.
func TestTypingIntoAFieldReachedWithTabReplacesWhatTheDialogFilledIn(t *testing.T) {
	t.Run("Tab to the Port field", func(t *testing.T) {
		d, _, w := openSlaveDialog(t, &fleetOf{slaves: twoSlaves}, nil, "")
		w.Canvas().Focus(d.address)
		test.Type(d.address, "10.0.0.9")
		w.Canvas().FocusNext()
		if w.Canvas().Focused() != d.port {
			t.Fatalf("Tab from the Address field went to %T, not the Port field", w.Canvas().Focused())
		}
		test.Type(d.port, "2000")
		if d.port.Text != "2000" {
			t.Errorf("Port = %q after Tab and typing 2000", d.port.Text)
		}
	})
	t.Run("Tab from an address with its port", func(t *testing.T) {
		d, _, w := openSlaveDialog(t, &fleetOf{slaves: twoSlaves}, nil, "")
		w.Canvas().Focus(d.address)
		test.Type(d.address, "10.0.0.9:2000")
		w.Canvas().FocusNext()
		if d.address.Text != "10.0.0.9" || d.address.SelectedText() != "" {
			t.Errorf("the field left holds %q with %q selected", d.address.Text, d.address.SelectedText())
		}
		test.Type(d.port, "2001")
		if d.port.Text != "2001" {
			t.Errorf("Port = %q after the port moved there and 2001 was typed", d.port.Text)
		}
	})
	t.Run("the group being edited", func(t *testing.T) {
		d, _, w := openSlaveDialog(t, &fleetOf{slaves: twoSlaves}, &twoSlaves[0], "")
		w.Canvas().Focus(d.group)
		test.Type(d.group, "Acme")
		if d.group.Text != "Acme" {
			t.Errorf("Group = %q after it got the keyboard and Acme was typed (it was %q)", d.group.Text, twoSlaves[0].Group)
		}
	})
	t.Run("a click in the Port field", func(t *testing.T) {
		d, _, w := openSlaveDialog(t, &fleetOf{slaves: twoSlaves}, nil, "")
		d.port.MouseDown(&desktop.MouseEvent{Button: desktop.MouseButtonPrimary,
			PointEvent: fyne.PointEvent{Position: fyne.NewPos(d.port.Size().Width-2, d.port.Size().Height/2)}})
		if w.Canvas().Focused() != d.port {
			t.Fatal("a click did not give the Port field the keyboard")
		}
		if got := d.port.SelectedText(); got != "" {
			t.Errorf("a click selected %q", got)
		}
	})
	t.Run("the name being edited, and the window back", func(t *testing.T) {
		d, _, w := openSlaveDialog(t, &fleetOf{slaves: twoSlaves}, &twoSlaves[0], "")
		if w.Canvas().Focused() != d.name || d.name.SelectedText() != twoSlaves[0].Name {
			t.Fatalf("the Edit dialog opened with %T focused and %q selected", w.Canvas().Focused(), d.name.SelectedText())
		}
		test.Type(d.name, "FS0")
		if d.name.Text != "FS0" {
			t.Fatalf("typing over the name made %q", d.name.Text)
		}
		d.name.FocusLost() // the window loses the keyboard and gets it back
		d.name.FocusGained()
		test.Type(d.name, "9")
		if d.name.Text != "FS09" {
			t.Errorf("typing after the window came back made %q, want FS09", d.name.Text)
		}
	})
}

func TestAnUntouchedFormShowsNoErrorsUntilTheUserTriesToSave(t *testing.T) {
	d, _, _ := openSlaveDialog(t, &fleetOf{}, nil, "")
	for _, l := range []*widget.Label{d.nameMsg, d.addressMsg, d.passwordMsg} {
		if l.Visible() {
			t.Errorf("a fresh dialog shows %q", l.Text)
		}
	}
	if !d.save.Disabled() {
		t.Error("Save is enabled on an empty form")
	}
	d.name.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn}) // Enter: try to save
	for _, l := range []*widget.Label{d.nameMsg, d.addressMsg, d.passwordMsg} {
		if !l.Visible() {
			t.Errorf("after Enter on an empty form a message is still hidden (%q)", l.Text)
		}
	}
	if d.closed {
		t.Error("Enter on an invalid form closed the dialog")
	}
}

func TestEnterSavesWhenValidAndEscapeCancels(t *testing.T) {
	ed := &fleetOf{}
	d, q, _ := openSlaveDialog(t, ed, nil, "")
	typeInto(d.name, "FS09")
	typeInto(d.address, "fs09.lan")
	typeInto(d.password, "secret")
	d.password.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	q.runUntil(t, "the dialog to save and close", func() bool { return d.closed })
	if len(ed.added) != 1 || ed.added[0].Name != "FS09" || ed.added[0].Address != "fs09.lan:16888" || string(ed.added[0].Password) != "secret" {
		t.Fatalf("added %+v", ed.added)
	}

	ed2 := &fleetOf{}
	d2, _, _ := openSlaveDialog(t, ed2, nil, "")
	typeInto(d2.name, "FS10")
	d2.name.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	if !d2.closed || len(ed2.added) != 0 {
		t.Errorf("Escape: closed=%v added=%+v", d2.closed, ed2.added)
	}
}

// The direction is chosen with a click, Space or the arrow keys; once
// it has the keyboard, Escape still cancels the dialog.
func TestTheDirectionIsChosenByClickOrKeysAndEscapeStillCancels(t *testing.T) {
	d, _, w := openSlaveDialog(t, &fleetOf{}, nil, "")
	inbound, outbound := d.direction.items[1], d.direction.items[0]
	test.Tap(inbound)
	if d.direction.Selected != directionInbound || d.addrBox.Visible() || w.Canvas().Focused() != inbound {
		t.Fatalf("after a click on Inbound: %q, address shown %v, focus on %T", d.direction.Selected, d.addrBox.Visible(), w.Canvas().Focused())
	}
	inbound.TypedKey(&fyne.KeyEvent{Name: fyne.KeyLeft})
	if d.direction.Selected != directionOutbound || !d.addrBox.Visible() || w.Canvas().Focused() != outbound {
		t.Fatalf("after Left: %q, address shown %v", d.direction.Selected, d.addrBox.Visible())
	}
	outbound.TypedKey(&fyne.KeyEvent{Name: fyne.KeyLeft}) // the first: stays
	w.Canvas().Focus(inbound)
	test.Type(inbound, " ")
	if d.direction.Selected != directionInbound {
		t.Fatalf("after Space on Inbound: %q", d.direction.Selected)
	}
	if d.closed {
		t.Fatal("the dialog closed before Escape")
	}
	inbound.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	if !d.closed {
		t.Error("Escape on the direction did not cancel the dialog")
	}
}

func TestTheSaveErrorIsShownAndTheTypedValuesKept(t *testing.T) {
	noLeaksAfter(t)
	m := mastertest.Start(t, mastertest.Options{Listen: true})
	d, q, _ := openSlaveDialog(t, m, nil, "")
	d.now = func() time.Time { return d.slavesAt } // the dialog's view of the fleet stays as it was
	typeInto(d.name, "FS02")
	typeInto(d.address, "10.0.0.2")
	typeInto(d.password, "pw")
	// Someone else adds FS02 after the dialog last looked.
	if _, err := m.AddSlave(master.SlaveSpec{Name: "fs02", Direction: store.Inbound, Password: []byte("x")}); err != nil {
		t.Fatal(err)
	}
	test.Tap(d.save)
	q.runUntil(t, "the save to fail", func() bool { return !d.saving })
	if d.closed {
		t.Fatal("the dialog closed although AddSlave failed")
	}
	if !d.saveErrBox.Visible() || !strings.Contains(d.saveErr.Text, `"fs02" already exists`) {
		t.Errorf("save error = %q (visible %v)", d.saveErr.Text, d.saveErrBox.Visible())
	}
	if d.name.Text != "FS02" || d.address.Text != "10.0.0.2" || d.password.Text != "pw" {
		t.Errorf("typed values lost: %q %q %q", d.name.Text, d.address.Text, d.password.Text)
	}
	if !strings.Contains(shown(d.nameMsg), "already exists") {
		t.Errorf("after the refusal the name message is %q", shown(d.nameMsg))
	}
}

func TestEditingKeepsThePasswordUnlessRetypedAndRenamingNeedsIt(t *testing.T) {
	ed := &fleetOf{slaves: twoSlaves}
	editing := twoSlaves[0]
	d, q, _ := openSlaveDialog(t, ed, &editing, "")
	if d.dlg == nil || d.title != "Edit Slave FS01" {
		t.Errorf("title %q", d.title)
	}
	if d.password.Text != "" || d.password.PlaceHolder != "unchanged" {
		t.Errorf("password entry: text %q placeholder %q", d.password.Text, d.password.PlaceHolder)
	}
	if d.name.Text != "FS01" || d.address.Text != "10.0.0.4" || d.port.Text != "16888" || d.group.Text != "Lab" || d.notes.Text != "rack 4" {
		t.Errorf("prefilled %q %q %q %q %q", d.name.Text, d.address.Text, d.port.Text, d.group.Text, d.notes.Text)
	}
	if d.save.Disabled() {
		t.Errorf("Save is disabled for an unchanged entry: %q", shown(d.passwordMsg))
	}
	typeInto(d.name, "FS01B")
	if !strings.Contains(shown(d.passwordMsg), "Renaming FS01 to FS01B needs the password") || !d.save.Disabled() {
		t.Errorf("rename without password: message %q, save disabled %v", shown(d.passwordMsg), d.save.Disabled())
	}
	typeInto(d.password, "pw")
	if d.save.Disabled() {
		t.Errorf("rename with password still refused: %q", shown(d.passwordMsg))
	}
	test.Tap(d.save)
	q.runUntil(t, "the edit to save", func() bool { return d.closed })
	if len(ed.added) != 1 || ed.added[0].Name != "FS01B" || string(ed.added[0].Password) != "pw" {
		t.Errorf("edited %+v", ed.added)
	}
	if len(ed.added) == 1 && ed.added[0].Notes != "rack 4" {
		t.Errorf("editing dropped the entry's notes: %q", ed.added[0].Notes)
	}

	// The notes are the user's to change.
	d, q, _ = openSlaveDialog(t, ed, &editing, "")
	typeInto(d.notes, "  rack 5, call Bob on 555-0100  ")
	test.Tap(d.save)
	q.runUntil(t, "the notes to save", func() bool { return d.closed })
	if got := ed.added[len(ed.added)-1].Notes; got != "rack 5, call Bob on 555-0100" {
		t.Errorf("saved notes %q", got)
	}
}

// An inbound slave cannot link to a console that does not listen: the
// dialog says so when one is chosen, and how to turn listening on.
func TestAnInboundSlaveWarnsOfAConsoleThatDoesNotListen(t *testing.T) {
	for _, listen := range []bool{true, false} {
		fc := newFakeConsole()
		fc.settings.Listen = listen
		d, _, _ := openSlaveDialog(t, fc, nil, "")
		d.direction.SetSelected(directionInbound)
		want, imp := inboundHint, widget.MediumImportance
		if !listen {
			want, imp = inboundNotListening, widget.WarningImportance
		}
		if d.dirHint.Text != want || d.dirHint.Importance != imp {
			t.Errorf("listening %v: the hint says %q (importance %v)", listen, d.dirHint.Text, d.dirHint.Importance)
		}
		d.direction.SetSelected(directionOutbound)
		if d.dirHint.Text != outboundHint || d.dirHint.Importance != widget.MediumImportance {
			t.Errorf("listening %v, outbound: the hint says %q (importance %v)", listen, d.dirHint.Text, d.dirHint.Importance)
		}
	}
}

func TestAPrefilledNameStartsAsInbound(t *testing.T) {
	d, _, _ := openSlaveDialog(t, &fleetOf{}, nil, "STRANGER")
	if d.name.Text != "STRANGER" || d.direction.Selected != directionInbound || d.addrBox.Visible() {
		t.Errorf("name %q direction %q address shown %v", d.name.Text, d.direction.Selected, d.addrBox.Visible())
	}
	if d.dirHint.Text != inboundHint {
		t.Errorf("hint %q", d.dirHint.Text)
	}
}

// stepsShown returns the steps the dialog lists.
func stepsShown(d *slaveDialog) []link.Step {
	var out []link.Step
	for _, o := range d.steps.Objects {
		if r, ok := o.(*stepRow); ok {
			out = append(out, r.step)
		}
	}
	return out
}

func TestTestConnectionShowsEveryStep(t *testing.T) {
	noLeaksAfter(t)
	m := mastertest.Start(t, mastertest.Options{Listen: true})
	a := testkit.Agent(t, testkit.AgentOptions{Name: "FS01", Password: "right", Listen: true})
	host, port := address.Split(a.ListenAddr())

	run := func(t *testing.T, password string) (*slaveDialog, *uiQueue, []link.Step) {
		d, q, _ := openSlaveDialog(t, m, nil, "")
		typeInto(d.name, "FS01")
		typeInto(d.address, host)
		typeInto(d.port, port)
		typeInto(d.password, password)
		test.Tap(d.test)
		if !d.progress.Visible() || d.test.Text != stopTestLabel {
			t.Error("no progress shown while the test runs")
		}
		q.runUntil(t, "the test to finish", func() bool { return d.testCancel == nil })
		if d.progress.Visible() {
			t.Error("the progress bar is still shown after the test")
		}
		return d, q, stepsShown(d)
	}

	t.Run("with the right password every step passes", func(t *testing.T) {
		d, _, steps := run(t, "right")
		var names []string
		for _, s := range steps {
			names = append(names, s.Name)
			if !s.OK {
				t.Errorf("step %s failed: %s", s.Name, s.Detail)
			}
		}
		if got, want := strings.Join(names, ","), "name lookup,TCP,SSL,hello,version,password"; got != want {
			t.Errorf("steps %s, want %s", got, want)
		}
		if d.testStatus.Text != "All checks passed." {
			t.Errorf("status %q", d.testStatus.Text)
		}
	})
	t.Run("without a password the rest passes and the status says what was not checked", func(t *testing.T) {
		d, _, steps := run(t, "")
		if last := steps[len(steps)-1]; last.Name != "password" || !last.OK || !last.Skipped {
			t.Errorf("last step %+v", last)
		}
		if d.testStatus.Text != "Passed, but the password was not checked." || d.testStatus.Importance != widget.WarningImportance {
			t.Errorf("status %q (importance %v)", d.testStatus.Text, d.testStatus.Importance)
		}
	})
	t.Run("with a wrong password the password step fails with a fix", func(t *testing.T) {
		d, _, steps := run(t, "wrong")
		last := steps[len(steps)-1]
		if last.Name != "password" || last.OK || !strings.Contains(last.Fix, "same management password") {
			t.Errorf("last step %+v", last)
		}
		for _, s := range steps[:len(steps)-1] {
			if !s.OK {
				t.Errorf("step %s failed before the password: %s", s.Name, s.Detail)
			}
		}
		if d.testStatus.Text != "Failed at password." {
			t.Errorf("status %q", d.testStatus.Text)
		}
	})
	t.Run("a value changed after the test is told to test again", func(t *testing.T) {
		d, q, steps := run(t, "wrong")
		typeInto(d.notes, "rack 4") // the test does not use the notes
		if d.testStatus.Text != "Failed at password." {
			t.Errorf("after a note: status %q", d.testStatus.Text)
		}
		typeInto(d.password, "right")
		if d.testStatus.Text != testStale || !d.testStatus.Visible() || len(stepsShown(d)) != len(steps) {
			t.Errorf("after the password changed: status %q (shown %v), %d steps of %d", d.testStatus.Text, d.testStatus.Visible(), len(stepsShown(d)), len(steps))
		}
		test.Tap(d.test)
		q.runUntil(t, "the test again", func() bool { return d.testCancel == nil })
		if d.testStatus.Text != "All checks passed." {
			t.Errorf("tested again: status %q", d.testStatus.Text)
		}
	})
	if n := len(m.Slaves()); n != 0 {
		t.Errorf("testing saved %d entries", n)
	}
}

func TestClosingTheDialogCancelsTheTest(t *testing.T) {
	noLeaksAfter(t)
	started := make(chan struct{})
	ended := make(chan error, 1)
	ed := &fleetOf{test: func(ctx context.Context, spec master.SlaveSpec, report func(link.Step)) bool {
		report(link.Step{Name: "name lookup", OK: true, Detail: "10.0.0.9 is an IP address"})
		close(started)
		<-ctx.Done()
		ended <- ctx.Err()
		return false
	}}
	d, q, _ := openSlaveDialog(t, ed, nil, "")
	typeInto(d.name, "FS09")
	typeInto(d.address, "10.0.0.9")
	test.Tap(d.test)
	<-started
	q.runUntil(t, "the first step to show", func() bool { return len(stepsShown(d)) == 1 })
	test.Tap(d.cancel)
	if err := <-ended; err != context.Canceled {
		t.Errorf("the test's context ended with %v", err)
	}
	q.runPending()
	if !d.closed {
		t.Error("Cancel did not close the dialog")
	}
}

func TestInboundTestSaysWhetherTheSlaveTriedToConnect(t *testing.T) {
	noLeaksAfter(t)
	m := mastertest.Start(t, mastertest.Options{Listen: true})
	d, q, _ := openSlaveDialog(t, m, nil, "")
	d.direction.SetSelected(directionInbound)
	if d.testIntro.Text != testIntroInbound {
		t.Errorf("an inbound entry's test says %q before it runs", d.testIntro.Text)
	}
	typeInto(d.name, "FS77")
	test.Tap(d.test)
	q.runUntil(t, "the inbound test to finish", func() bool { return d.testCancel == nil })
	steps := stepsShown(d)
	if len(steps) != 2 || steps[0].Name != "listening" || !steps[0].OK || steps[1].Name != "connection" || steps[1].OK ||
		!strings.Contains(steps[1].Detail, "no slave named FS77 has tried to connect") {
		t.Fatalf("steps %+v", steps)
	}
	// The fix is the command to run there, this console's address in it,
	// and a button copies it.
	if fix := steps[1].Fix; !strings.Contains(fix, "lanyard-agent init --name FS77 --password-stdin --ssl ") ||
		!strings.Contains(fix, "--master "+m.ListenAddr()) || !strings.Contains(fix, steps[1].Command) {
		t.Errorf("fix %q, command %q", fix, steps[1].Command)
	}
	var row *stepRow
	for _, o := range d.steps.Objects {
		if r, ok := o.(*stepRow); ok && r.step.Name == "connection" {
			row = r
		}
	}
	test.WidgetRenderer(row) // built as it is shown
	if row.copy == nil {
		t.Fatal("no Copy Command button on the step")
	}
	test.Tap(row.copy)
	if got := fyne.CurrentApp().Clipboard().Content(); got != steps[1].Command {
		t.Errorf("copied %q, want %q", got, steps[1].Command)
	}
}

func TestSlaveDialogGoldens(t *testing.T) {
	t.Run("empty", func(t *testing.T) {
		_, _, w := openSlaveDialog(t, &fleetOf{slaves: twoSlaves}, nil, "")
		test.AssertRendersToMarkup(t, "slavedialog_add_empty.xml", w.Canvas())
	})
	t.Run("with validation errors", func(t *testing.T) {
		d, _, w := openSlaveDialog(t, &fleetOf{slaves: twoSlaves}, nil, "")
		typeInto(d.name, "fs01")
		typeInto(d.port, "70000")
		typeInto(d.address, "10.0.0.9:22") // stays: the Port field holds another port
		d.name.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
		test.AssertRendersToMarkup(t, "slavedialog_add_errors.xml", w.Canvas())
	})
	t.Run("after a failed test", func(t *testing.T) {
		ed := &fleetOf{test: func(_ context.Context, spec master.SlaveSpec, report func(link.Step)) bool {
			report(link.Step{Name: "name lookup", OK: true, Detail: "10.0.0.9 is an IP address; nothing to look up"})
			report(link.Step{Name: "TCP", OK: true, Detail: "connected to 10.0.0.9:16888"})
			report(link.Step{Name: "SSL", OK: true, Detail: "SSL is on at both ends"})
			report(link.Step{Name: "hello", OK: true, Detail: "a Lanyard peer answered"})
			report(link.Step{Name: "version", OK: true, Detail: "protocol 1 is supported at both ends"})
			report(link.Step{Name: "password", Detail: fmt.Sprintf("%s refused the password", spec.Name),
				Fix: "enter the same management password on the console and on the agent (lanyard-agent password set)"})
			return false
		}}
		d, q, w := openSlaveDialog(t, ed, nil, "")
		typeInto(d.name, "FS09")
		typeInto(d.address, "10.0.0.9")
		typeInto(d.password, "secret")
		test.Tap(d.test)
		q.runUntil(t, "the test to finish", func() bool { return d.testCancel == nil })
		test.AssertRendersToMarkup(t, "slavedialog_test_failed.xml", w.Canvas())
	})
}

func TestTheExpectedFingerprintIsCheckedAsTypedAndSaved(t *testing.T) {
	ed := &fleetOf{slaves: twoSlaves}
	d, q, _ := openSlaveDialog(t, ed, nil, "")
	typeInto(d.name, "FS09")
	typeInto(d.address, "10.0.0.9")
	typeInto(d.password, "secret")
	typeInto(d.fingerprint, "SHA256:12")
	if !d.fpMsg.Visible() || !strings.Contains(d.fpMsg.Text, "64 hex digits") || !d.save.Disabled() {
		t.Fatalf("a short fingerprint: message %q (shown %v), Save disabled %v", d.fpMsg.Text, d.fpMsg.Visible(), d.save.Disabled())
	}
	typeInto(d.fingerprint, "sha256:9F:86:D0:81:88:4C:7D:65:9A:2F:EA:A0:C5:5A:D0:15:A3:BF:4F:1B:2B:0B:82:2C:D1:5D:6C:15:B0:F0:0A:08")
	if d.fpMsg.Visible() || d.save.Disabled() {
		t.Fatalf("a fingerprint as openssl prints it is refused: %q", d.fpMsg.Text)
	}
	test.Tap(d.save)
	q.runUntil(t, "the dialog to save and close", func() bool { return d.closed })
	if len(ed.added) != 1 {
		t.Fatalf("saved %d entries", len(ed.added))
	}
	if got := ed.added[0].Fingerprint; got != testConsoleFingerprint {
		t.Errorf("saved fingerprint %q", got)
	}
}

// Editing a pinned slave, the Certificate field says which certificate is
// pinned the way lanyard-agent status begins it, and keeps it when empty.
func TestEditingAPinnedSlaveShowsItsCertificateAsTheAgentPrintsIt(t *testing.T) {
	editing := twoSlaves[0]
	editing.PinnedCert = testConsoleFingerprint
	d, _, _ := openSlaveDialog(t, &fleetOf{slaves: twoSlaves}, &editing, "")
	if want := "pinned: SHA256:" + testConsoleFingerprint[:16] + "… (empty keeps it)"; d.fingerprint.PlaceHolder != want {
		t.Errorf("certificate placeholder %q, want %q", d.fingerprint.PlaceHolder, want)
	}
}
