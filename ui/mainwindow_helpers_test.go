package ui

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/lanyard/lanyard/core/address"
	"github.com/lanyard/lanyard/core/link"
	"github.com/lanyard/lanyard/core/master"
	"github.com/lanyard/lanyard/core/slavefile"
	"github.com/lanyard/lanyard/core/store"
	"github.com/lanyard/lanyard/core/wire/pb"
)

// ---- Helpers of the main window, tree and settings dialog tests ----

// fixedNow is the clock of every main window test: times shown never move.
var fixedNow = time.Date(2026, 3, 14, 15, 0, 0, 0, time.Local)

// openMainWindow builds the main window over c in a test app, with its
// Fyne-thread work queued for the test to run, and closes it (waiting for
// its goroutines) at the end of the test.
func openMainWindow(t *testing.T, c Console, ports PortChecker) (*mainWindow, *uiQueue) {
	t.Helper()
	test.NewTempApp(t)
	q := newUIQueue()
	mw := testMainWindow(c, ports, q)
	mw.win.Show()
	t.Cleanup(func() { closeMainWindow(t, mw, q) })
	return mw, q
}

// testMainWindow builds the main window over c in the current app, its
// Fyne-thread work queued on q, at the tests' clock.
func testMainWindow(c Console, ports PortChecker, q *uiQueue) *mainWindow {
	return newMainWindow(fyne.CurrentApp(), c, ports, windowOptions{do: q.do, now: func() time.Time { return fixedNow },
		interval: 10 * time.Millisecond})
}

// closeMainWindow closes the window and waits for its goroutines to end,
// running the work they hand over meanwhile.
func closeMainWindow(t *testing.T, mw *mainWindow, q *uiQueue) {
	t.Helper()
	if !mw.closed {
		mw.win.Close()
	}
	done := make(chan struct{})
	go func() { mw.wait(); close(done) }()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case <-done:
			q.runPending()
			return
		case f := <-q.ch:
			f()
		case <-deadline:
			t.Fatal("the main window's goroutines outlived it by 10 s")
		}
	}
}

// rowTexts is what the tree shows on screen, top to bottom, one string per
// row: "[Group] n of m connected" or "name | state | direction | ssl".
func rowTexts(mw *mainWindow) []string {
	type row struct {
		y    float32
		text string
	}
	var rows []row
	d := fyne.CurrentApp().Driver()
	for _, o := range test.LaidOutObjects(&mw.tree.Tree) {
		if !o.Visible() {
			continue
		}
		switch r := o.(type) {
		case *groupRow:
			rows = append(rows, row{d.AbsolutePositionForObject(r).Y, "[" + r.name.Text + "] " + r.count.Text})
		case *slaveRow:
			lock := ""
			if r.lock.Visible() && r.lock.Resource != nil {
				lock = strings.TrimSuffix(r.lock.Resource.Name()[strings.Index(r.lock.Resource.Name(), "_")+1:], ".svg")
			}
			rows = append(rows, row{d.AbsolutePositionForObject(r).Y,
				strings.Join([]string{r.full, r.state.Text, r.dir.text.Text, lock}, " | ")})
		}
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].y < rows[j].y })
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = r.text
	}
	return out
}

// rowOf is the on-screen row of the slave called name, or "".
func rowOf(mw *mainWindow, name string) string {
	for _, r := range rowTexts(mw) {
		if strings.HasPrefix(r, name+" | ") {
			return r
		}
	}
	return ""
}

// idOf is the ID of the slave called name in the window's model.
func idOf(t *testing.T, mw *mainWindow, name string) string {
	t.Helper()
	for id, e := range mw.model.slaves {
		if strings.EqualFold(e.view.Name, name) {
			return id
		}
	}
	t.Fatalf("no slave %s in the window", name)
	return ""
}

// textsIn lists the texts of the labels, buttons and canvas texts inside o.
func textsIn(o fyne.CanvasObject) []string {
	var out []string
	for _, c := range test.LaidOutObjects(o) {
		if !c.Visible() {
			continue
		}
		switch c := c.(type) {
		case *widget.Label:
			out = append(out, c.Text)
		case *widget.Button:
			out = append(out, c.Text)
		case *canvas.Text:
			out = append(out, c.Text)
		case *widget.RichText:
			out = append(out, c.String())
		}
	}
	return out
}

// overlayText is every text of the topmost overlay (a dialog), or "" when
// none is open.
func overlayText(w fyne.Window) string {
	top := w.Canvas().Overlays().Top()
	if top == nil {
		return ""
	}
	return strings.Join(textsIn(top), "\n")
}

// overlayImages names the images of the topmost overlay (a dialog's
// icon first), "" when none is open.
func overlayImages(w fyne.Window) string {
	top := w.Canvas().Overlays().Top()
	if top == nil {
		return ""
	}
	var out []string
	for _, c := range test.LaidOutObjects(top) {
		if img, ok := c.(*canvas.Image); ok && c.Visible() && img.Resource != nil {
			out = append(out, img.Resource.Name())
		}
	}
	return strings.Join(out, " ")
}

// tapButton taps the visible button labelled label in the topmost overlay.
func tapButton(t *testing.T, w fyne.Window, label string) {
	t.Helper()
	test.Tap(buttonLabelled(t, w, label))
}

// buttonLabelled is the visible button labelled label in the window's
// topmost overlay.
func buttonLabelled(t *testing.T, w fyne.Window, label string) *widget.Button {
	t.Helper()
	top := w.Canvas().Overlays().Top()
	if top == nil {
		t.Fatalf("no dialog open to find %q in", label)
	}
	return buttonIn(t, top, label)
}

// buttonIn is the visible button labelled label laid out in o.
func buttonIn(t *testing.T, o fyne.CanvasObject, label string) *widget.Button {
	t.Helper()
	for _, o := range test.LaidOutObjects(o) {
		if b, ok := o.(*widget.Button); ok && b.Text == label && b.Visible() {
			return b
		}
	}
	t.Fatalf("no %q button in %q", label, textsIn(o))
	return nil
}

// press types a shortcut the way the desktop driver routes it: a main-menu
// item with that shortcut first, then the focused widget if it takes
// shortcuts, else the window canvas.
func press(w fyne.Window, sc fyne.Shortcut) {
	if item := menuItemWithShortcut(w.MainMenu(), sc); item != nil {
		item.Action()
		return
	}
	if f, ok := w.Canvas().Focused().(fyne.Shortcutable); ok {
		f.TypedShortcut(sc)
		return
	}
	w.Canvas().(fyne.Shortcutable).TypedShortcut(sc)
}

// pressKey types a plain key as the desktop driver routes it: to the
// focused widget, else to the canvas's key handler.
func pressKey(w fyne.Window, k fyne.KeyName) {
	e := &fyne.KeyEvent{Name: k}
	if f := w.Canvas().Focused(); f != nil {
		f.TypedKey(e)
		return
	}
	if h := w.Canvas().OnTypedKey(); h != nil {
		h(e)
	}
}

// keyOpensOnce checks that key opens a dialog saying want, that the
// same key pressed again behind it opens no other, and that Escape
// closes it.
func keyOpensOnce(t *testing.T, w fyne.Window, key fyne.KeyName, want string) {
	t.Helper()
	pressKey(w, key)
	if got := overlayText(w); !strings.Contains(got, want) {
		t.Fatalf("%s opened %q, want %q", key, got, want)
	}
	w.Canvas().Unfocus()
	pressKey(w, key)
	if n := len(w.Canvas().Overlays().List()); n != 1 {
		t.Errorf("%s behind the dialog opened another: %d dialogs", key, n)
	}
	pressKey(w, fyne.KeyEscape)
	if got := overlayText(w); got != "" {
		t.Errorf("after Escape: %q", got)
	}
}

func menuItemWithShortcut(m *fyne.MainMenu, sc fyne.Shortcut) *fyne.MenuItem {
	if m == nil {
		return nil
	}
	for _, menu := range m.Items {
		for _, it := range menu.Items {
			if it.Shortcut != nil && it.Shortcut.ShortcutName() == sc.ShortcutName() {
				return it
			}
		}
	}
	return nil
}

// ---- A console with fixed contents, for goldens and UI-only behaviour ----

// fakeConsole is a Console whose slaves the test sets; it records what the
// window asked of it. Safe for concurrent use.
type fakeConsole struct {
	mu          sync.Mutex
	slaves      []master.SlaveView
	settings    master.Settings
	listenAddr  string
	listenErr   error
	subs        subscribers[master.Event]
	slavesCalls int
	slaveCalls  int      // lookups of one slave
	calls       []string // "remove FS01", "connect FS01", "apply …"
	applyErr    error
	connGate    chan struct{} // when set, each Connect and Disconnect takes one token first
	// started and relinkUntil: Relinking's answer (zero: long ago).
	started, relinkUntil time.Time
}

func (f *fakeConsole) Relinking() (started, until time.Time) { return f.started, f.relinkUntil }

func newFakeConsole(slaves ...master.SlaveView) *fakeConsole {
	return &fakeConsole{slaves: slaves, settings: master.Settings{Listen: true, ListenAddress: ":16888", SSL: true},
		listenAddr: "[::]:16888"}
}

func (f *fakeConsole) Slaves() []master.SlaveView {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.slavesCalls++
	return append([]master.SlaveView(nil), f.slaves...)
}

func (f *fakeConsole) Slave(name string) (master.SlaveView, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.slaveCalls++
	for _, v := range f.slaves {
		if strings.EqualFold(v.Name, name) {
			return v, true
		}
	}
	return master.SlaveView{}, false
}

func (f *fakeConsole) Subscribe(buffer int) (<-chan master.Event, func()) {
	return f.subs.subscribe(buffer)
}

// publish sends e to every subscriber.
func (f *fakeConsole) publish(e master.Event) { f.subs.publish(e) }

// subscribers are a fake's subscribers to its events of type T. The zero
// value is ready; safe for concurrent use.
type subscribers[T any] struct {
	mu   sync.Mutex
	subs map[chan T]struct{}
}

// subscribe is a new subscriber's channel, with room for buffer events,
// and the function (idempotent) that ends it and closes the channel.
func (s *subscribers[T]) subscribe(buffer int) (<-chan T, func()) {
	ch := make(chan T, buffer)
	s.mu.Lock()
	if s.subs == nil {
		s.subs = map[chan T]struct{}{}
	}
	s.subs[ch] = struct{}{}
	s.mu.Unlock()
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			s.mu.Lock()
			delete(s.subs, ch)
			s.mu.Unlock()
			close(ch)
		})
	}
}

// publish sends e to every subscriber, waiting for room.
func (s *subscribers[T]) publish(e T) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for ch := range s.subs {
		ch <- e
	}
}

// set replaces (or adds) a slave and publishes its state event.
func (f *fakeConsole) set(v master.SlaveView) {
	f.mu.Lock()
	found := false
	for i := range f.slaves {
		if f.slaves[i].ID == v.ID {
			f.slaves[i], found = v, true
		}
	}
	if !found {
		f.slaves = append(f.slaves, v)
	}
	f.mu.Unlock()
	f.publish(master.Event{Kind: master.EventState, SlaveID: v.ID, Slave: v.Name, State: v.State})
}

// quietly changes slave id as a link does between its events (its round
// trip): nothing is published.
func (f *fakeConsole) quietly(id string, change func(*master.SlaveView)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := range f.slaves {
		if f.slaves[i].ID == id {
			change(&f.slaves[i])
		}
	}
}

// lookups is how many times one slave was looked up.
func (f *fakeConsole) lookups() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.slaveCalls
}

func (f *fakeConsole) record(call string) {
	f.mu.Lock()
	f.calls = append(f.calls, call)
	f.mu.Unlock()
}

func (f *fakeConsole) called() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

func (f *fakeConsole) slavesRead() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.slavesCalls
}

func (f *fakeConsole) Connect(name string) error {
	f.waitGate()
	f.record("connect " + name)
	return nil
}
func (f *fakeConsole) Disconnect(name string) error {
	f.waitGate()
	f.record("disconnect " + name)
	return nil
}

func (f *fakeConsole) waitGate() {
	f.mu.Lock()
	gate := f.connGate
	f.mu.Unlock()
	if gate != nil {
		<-gate
	}
}

// Mute records the call, "mute FS01 until 15:04" or "unmute FS01", and
// sets the slave's view so.
func (f *fakeConsole) Mute(name string, until time.Time) (master.SlaveView, error) {
	if until.IsZero() {
		f.record("unmute " + name)
	} else {
		f.record("mute " + name + " until " + until.Local().Format("15:04"))
	}
	f.mu.Lock()
	var v master.SlaveView
	for i := range f.slaves {
		if f.slaves[i].Name == name {
			f.slaves[i].MutedUntil = until
			v = f.slaves[i]
		}
	}
	f.mu.Unlock()
	f.publish(master.Event{Time: time.Now(), Kind: master.EventState, SlaveID: v.ID, Slave: name})
	return v, nil
}

// RenameGroup moves the group's slaves in the fake fleet and announces
// the change as the console does (a resync).
func (f *fakeConsole) RenameGroup(old, new string) (int, error) {
	f.record("rename group " + old + " to " + new)
	f.mu.Lock()
	n := 0
	for i := range f.slaves {
		if strings.EqualFold(f.slaves[i].Group, old) {
			f.slaves[i].Group = new
			n++
		}
	}
	f.mu.Unlock()
	f.publish(master.Event{Kind: master.EventResync})
	return n, nil
}
func (f *fakeConsole) RemoveSlave(name string) error {
	f.record("remove " + name)
	return nil
}
func (f *fakeConsole) TrustCertificate(name string) error { f.record("trust " + name); return nil }

func (f *fakeConsole) Status(_ context.Context, name string) (*pb.StatusResponse, error) {
	v, ok := f.Slave(name)
	if !ok || v.Status == nil {
		return nil, errors.New(name + " is not connected")
	}
	return v.Status, nil
}

func (f *fakeConsole) AddSlave(spec master.SlaveSpec) (master.SlaveView, error) {
	return master.SlaveView{}, fmt.Errorf("not in this fake")
}

// EditSlave records "edit NAME address ADDR" and takes the new address,
// group and notes (the rest of an edit is not in this fake).
func (f *fakeConsole) EditSlave(name string, spec master.SlaveSpec) (master.SlaveView, error) {
	f.record("edit " + name + " address " + spec.Address)
	v, ok := f.Slave(name)
	if !ok {
		return master.SlaveView{}, &store.NoSlaveError{Name: name}
	}
	v.Address, v.Group, v.Notes = spec.Address, spec.Group, spec.Notes
	f.set(v)
	return v, nil
}

func (f *fakeConsole) TestConnection(context.Context, master.SlaveSpec, func(link.Step)) bool {
	return false
}

func (f *fakeConsole) Settings() master.Settings {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.settings
}

func (f *fakeConsole) ApplySettings(s master.Settings) error {
	f.record(fmt.Sprintf("apply %+v", s))
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.applyErr != nil {
		return f.applyErr
	}
	f.settings = s
	return nil
}

func (f *fakeConsole) ListenAddr() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.listenAddr
}

// testConsoleFingerprint is the fake console's certificate fingerprint.
const testConsoleFingerprint = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

func (f *fakeConsole) Fingerprint() string { return testConsoleFingerprint }

// LANAddresses puts the fake console on one documentation address.
func (f *fakeConsole) LANAddresses(listenAddress string) []string {
	if host, port := address.Split(listenAddress); host == "" || host == "::" || host == "0.0.0.0" {
		return []string{address.Join("192.0.2.67", port)}
	}
	return []string{listenAddress}
}

func (f *fakeConsole) ListenError() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.listenErr
}

func (f *fakeConsole) Events(store.EventFilter) ([]store.Event, error) { return nil, nil }
func (f *fakeConsole) LastEvents(store.EventFilter, int) ([]store.Event, error) {
	return nil, nil
}

// demoFleet is the fake fleet of the goldens: two groups and ungrouped
// slaves, one in each state, outbound and inbound, with and without SSL.
func demoFleet() []master.SlaveView {
	since := fixedNow.Add(-2*time.Hour - 5*time.Minute)
	return []master.SlaveView{
		{ID: "a1", Name: "FS01", Group: "Office", Direction: store.Outbound, Address: "10.0.0.4:16888",
			State: master.StateConnected, Remote: "10.0.0.4:16888", SSL: true, RTT: 1200 * time.Microsecond,
			ConnectedSince: since, Software: "lanyard-agent 1.0.0",
			Status: &pb.StatusResponse{Name: "FS01", Hostname: "fs01.office.example", Os: "linux", Platform: "debian 12.5",
				Arch: "amd64", UptimeSeconds: 3*86400 + 4*3600, AgentVersion: "1.0.0", CpuPercent: 12.4,
				MemoryTotal: 8 << 30, MemoryUsed: 3 << 30, DiskTotal: 500 << 30, DiskUsed: 120 << 30, Ssl: true, Management: true}},
		{ID: "a2", Name: "FS02", Group: "Office", Direction: store.Inbound, State: master.StateOffline},
		{ID: "a3", Name: "BACKUP-7", Group: "Office", Direction: store.Outbound, Address: "backup7.example:16888",
			State: master.StateError, LastCode: "auth_failed", LastSeen: fixedNow.Add(-27*time.Hour - 12*time.Minute),
			Retrying:  true,
			LastError: "backup7.example:16888 refused the password: enter the same management password on the console and on the agent"},
		{ID: "b1", Name: "web-1", Group: "Web", Direction: store.Outbound, Address: "10.0.1.10:16888",
			State: master.StateConnecting},
		{ID: "b2", Name: "web-2", Group: "Web", Direction: store.Inbound, State: master.StateConnected, Remote: "203.0.113.7:50122",
			SSL: false, ConnectedSince: since},
		{ID: "c1", Name: "lab-pc", Direction: store.Outbound, Address: "192.168.1.20:16888", State: master.StateDisabled,
			LastCode: "disabled", LastError: "disconnected by the console's user"},
	}
}

func (f *fakeConsole) ImportSlaves(context.Context, []slavefile.Row, master.ImportOptions, string) (master.ImportReport, error) {
	f.record("import")
	return master.ImportReport{}, errors.New("the fake console imports nothing")
}

func (f *fakeConsole) ExportSlaves(bool) ([]slavefile.Row, []string, error) { return nil, nil, nil }

// tapMenuItem taps the item labelled label in the pop-up menu on top.
func tapMenuItem(t *testing.T, w fyne.Window, label string) {
	t.Helper()
	top := w.Canvas().Overlays().Top()
	if top == nil {
		t.Fatalf("no menu open to tap %q in", label)
	}
	var item fyne.Tappable
	for _, o := range test.LaidOutObjects(top) {
		// The deepest tappable that says label: the item, not the menu.
		if tp, ok := o.(fyne.Tappable); ok && slices.Contains(textsIn(o), label) {
			item = tp
		}
	}
	if item == nil {
		t.Fatalf("no %q item in the menu: %q", label, textsIn(top))
	}
	test.Tap(item)
}

// menuItemLabelled is m's item labelled label, or nil.
func menuItemLabelled(m *fyne.Menu, label string) *fyne.MenuItem {
	for _, it := range m.Items {
		if it.Label == label {
			return it
		}
	}
	return nil
}

// addSlaveGroup is the group field of the Add Slave dialog on top.
func addSlaveGroup(t *testing.T, w fyne.Window) string {
	t.Helper()
	top := w.Canvas().Overlays().Top()
	if top == nil || !slices.Contains(textsIn(top), slaveDialogAddTitle) {
		t.Fatalf("no Add Slave dialog open")
	}
	for _, o := range test.LaidOutObjects(top) {
		if e, ok := o.(*dialogSelectEntry); ok {
			return e.Text
		}
	}
	t.Fatal("no group field in the Add Slave dialog")
	return ""
}
