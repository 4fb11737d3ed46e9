package ui

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/lanyard/lanyard/core/master"
	"github.com/lanyard/lanyard/core/store"
	"github.com/lanyard/lanyard/internal/testkit"
)

// auditConsole is a fake console whose audit is a real console database's.
type auditConsole struct {
	*fakeConsole
	db *store.DB
}

func (a *auditConsole) Audit(f master.AuditFilter) ([]store.AuditRecord, error) {
	return master.ReadAudit(a.db, f)
}

// slavesRead is how many times the fleet was read.
func (a *auditConsole) slavesRead() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.slavesCalls
}

// record appends a command to the audit and tells subscribers, as the
// console does.
func (a *auditConsole) record(t *testing.T, r store.AuditRecord) {
	t.Helper()
	if err := a.db.AppendAudit(r); err != nil {
		t.Fatal(err)
	}
	a.publish(master.Event{Time: time.Now(), Kind: master.EventAudit, Slave: r.Slave})
}

var auditStart = time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)

func newAuditConsole(t *testing.T) *auditConsole {
	t.Helper()
	a := &auditConsole{fakeConsole: newFakeConsole(demoFleet()...), db: testkit.Store(t, "console", store.Options{})}
	for _, v := range demoFleet() { // the audit of a group reads the entries
		if _, err := a.db.AddSlave(store.Slave{Name: v.Name, Group: v.Group, Direction: store.Inbound}); err != nil {
			t.Fatal(err)
		}
	}
	for i, r := range []store.AuditRecord{
		{Slave: "FS01", Command: "settings set: ssl on", Result: "ok", Origin: "window"},
		{Slave: "MAIL", Command: "task run: spool", Result: "refused: MAIL is offline (last linked 2 h ago); nothing was sent", Origin: "command line (uid 1000)"},
		{Slave: "FS01", Command: "task put: docs", Result: "failed: the agent says \"the destination /mnt/nas is not mounted\"", Origin: "window"},
	} {
		r.Time = auditStart.Add(time.Duration(i) * time.Minute)
		if err := a.db.AppendAudit(r); err != nil {
			t.Fatal(err)
		}
	}
	return a
}

func openAudit(t *testing.T, src CommandAudit, scope master.AuditFilter, most int) (*auditWindow, *uiQueue) {
	return openAuditFor(t, src, scope, most, nil)
}

func openAuditFor(t *testing.T, src CommandAudit, scope master.AuditFilter, most int, openSlave func(string) bool) (*auditWindow, *uiQueue) {
	t.Helper()
	noLeaksAfter(t)
	test.NewTempApp(t)
	q := newUIQueue()
	o := auditOptions{do: q.do, every: 10 * time.Millisecond, loc: time.UTC, now: func() time.Time { return auditStart.Add(time.Hour) }, most: most}
	aw := showAuditWindow(fyne.CurrentApp(), src, scope, openSlave, o)
	aw.win.Resize(fyne.NewSize(1100, 420))
	t.Cleanup(func() {
		if aw.ctx.Err() == nil { // a test may have closed it
			aw.win.Close()
		}
		q.runPending()
	})
	q.runUntil(t, "the first read", func() bool { return aw.loaded })
	return aw, q
}

// shownCommands are the table's rows, "slave command".
func shownCommands(aw *auditWindow) string {
	var out []string
	for _, r := range aw.rows {
		out = append(out, r.Slave+" "+r.Command)
	}
	return strings.Join(out, " | ")
}

// The Command Audit window shows every command sent, newest first, a
// failure's result in red; a command recorded while it is open comes in
// at the top; the search keeps the rows that hold its text, the slave
// chosen reads that slave's alone; a row selected reads in full below,
// and stays while commands come in.
func TestTheCommandAuditShowsTheCommandsSentNewestFirstAndLive(t *testing.T) {
	src := newAuditConsole(t)
	aw, q := openAudit(t, src, master.AuditFilter{}, auditShownMost)
	if got, want := shownCommands(aw), "FS01 task put: docs | MAIL task run: spool | FS01 settings set: ssl on"; got != want {
		t.Fatalf("rows %q, want %q", got, want)
	}
	if got := aw.status.Text; got != "3 commands" {
		t.Fatalf("status %q", got)
	}
	test.AssertRendersToMarkup(t, "auditwindow.xml", aw.win.Canvas())

	fleetReads := src.slavesRead()
	src.record(t, store.AuditRecord{Time: auditStart.Add(10 * time.Minute), Slave: "NAS", Command: "password set", Result: "ok", Origin: "window"})
	q.runUntil(t, "the new command", func() bool { return len(aw.rows) == 4 })
	if aw.rows[0].Command != "password set" {
		t.Fatalf("the new command is not at the top: %q", shownCommands(aw))
	}
	if n := src.slavesRead() - fleetReads; n != 0 {
		t.Fatalf("a command recorded read the fleet %d times", n)
	}
	// A slave added is offered once its entry's record comes.
	src.set(master.SlaveView{ID: "n1", Name: "NEW-1", Group: "Lab", State: master.StateOffline})
	src.publish(master.Event{Kind: store.KindAdded, SlaveID: "n1", Slave: "NEW-1"})
	q.runUntil(t, "NEW-1 offered", func() bool {
		return slices.Contains(aw.slave.Options, "NEW-1") && slices.Contains(aw.group.Options, "Lab")
	})

	aw.search.SetText("OFFLINE")
	if got := shownCommands(aw); got != "MAIL task run: spool" || aw.status.Text != "1 command of 4" {
		t.Fatalf("searching offline: %q, status %q", got, aw.status.Text)
	}
	aw.search.SetText("nothing like it")
	if !aw.empty.Visible() || aw.empty.Text != auditNoMatch {
		t.Fatalf("no match says %q (shown %v)", aw.empty.Text, aw.empty.Visible())
	}
	aw.search.SetText("")

	aw.slave.SetSelected("FS01")
	q.runUntil(t, "FS01's commands", func() bool { return len(aw.rows) == 2 })
	if got := shownCommands(aw); got != "FS01 task put: docs | FS01 settings set: ssl on" {
		t.Fatalf("FS01's rows %q", got)
	}
	aw.table.Select(widget.TableCellID{Row: 0, Col: 2})
	if want := "2026-12-03 09:02:00 · FS01 · from window\ntask put: docs\nfailed: the agent says \"the destination /mnt/nas is not mounted\""; aw.detail.Text != want {
		t.Fatalf("the detail says %q, want %q", aw.detail.Text, want)
	}
	// A command recorded meanwhile does not take the one being read away.
	read := aw.detail.Text
	src.record(t, store.AuditRecord{Time: auditStart.Add(20 * time.Minute), Slave: "FS01", Command: "task run: docs", Result: "ok", Origin: "window"})
	q.runUntil(t, "FS01's new command", func() bool { return len(aw.rows) == 3 })
	if aw.detail.Text != read || aw.chosen == nil || aw.chosen.Command != "task put: docs" {
		t.Fatalf("after a new command the detail says %q", aw.detail.Text)
	}
	aw.search.SetText("run")
	if aw.detail.Text != auditPickHint {
		t.Fatalf("with the command read filtered out the detail says %q", aw.detail.Text)
	}
	aw.search.SetText("")

	// A group: the commands of the servers in it now.
	src.record(t, store.AuditRecord{Time: auditStart.Add(30 * time.Minute), Slave: "FS02", Command: "task run: docs", Result: "ok", Origin: "window"})
	aw.slave.SetSelected(logAllSlaves)
	aw.group.SetSelected("Office")
	q.runUntil(t, "Office's commands", func() bool { return len(aw.rows) == 4 })
	if got := shownCommands(aw); !strings.HasPrefix(got, "FS02 ") || strings.Contains(got, "MAIL") || strings.Contains(got, "NAS") {
		t.Fatalf("Office's rows %q", got)
	}
	aw.group.SetSelected(backupsAllGroups)

	// Asked again for another slave, the open window shows that one's.
	showAuditWindow(fyne.CurrentApp(), src, master.AuditFilter{Slave: "MAIL"}, nil, aw.o)
	q.runUntil(t, "MAIL's commands", func() bool { return shownCommands(aw) == "MAIL task run: spool" })
	if aw.slave.Selected != "MAIL" {
		t.Fatalf("the slave shown is %q", aw.slave.Selected)
	}
}

// A console with no command recorded says what will be; one with more
// than the window holds says it shows the newest, and Export CSV saves
// them all (those the search lets through), oldest first.
func TestTheCommandAuditHoldsTheNewestAndExportsThemAll(t *testing.T) {
	empty := &auditConsole{fakeConsole: newFakeConsole(), db: testkit.Store(t, "console", store.Options{})}
	aw, _ := openAudit(t, empty, master.AuditFilter{}, auditShownMost)
	if !aw.empty.Visible() || aw.empty.Text != auditNone || aw.table.Visible() {
		t.Fatalf("an empty audit says %q (shown %v) over a table shown %v", aw.empty.Text, aw.empty.Visible(), aw.table.Visible())
	}
	aw.win.Close()

	src := newAuditConsole(t)
	for i := range 5 {
		if err := src.db.AppendAudit(store.AuditRecord{Time: auditStart.Add(time.Hour + time.Duration(i)*time.Second),
			Slave: "NAS", Command: fmt.Sprintf("task run: media %d", i), Result: "ok", Origin: "window"}); err != nil {
			t.Fatal(err)
		}
	}
	aw, _ = openAudit(t, src, master.AuditFilter{}, 4)
	if got, want := aw.status.Text, "4 commands, the newest 4; Export CSV… saves them all"; got != want {
		t.Fatalf("status %q, want %q", got, want)
	}
	if aw.rows[0].Command != "task run: media 4" || aw.rows[3].Command != "task run: media 1" {
		t.Fatalf("rows %q", shownCommands(aw))
	}

	var out bytes.Buffer
	n, err := exportAudit(&out, src, master.AuditFilter{}, "", time.UTC)
	if err != nil || n != 8 {
		t.Fatalf("exported %d commands, %v; want all 8", n, err)
	}
	lines, err := csv.NewReader(&out).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(lines[0], ","); got != "time,slave,command,result,from" {
		t.Fatalf("header %q", got)
	}
	if got := lines[1]; got[0] != "2026-12-03T09:00:00Z" || got[2] != "settings set: ssl on" {
		t.Fatalf("the first line %q, want the oldest command", got)
	}
	if got := lines[3][3]; got != `failed: the agent says "the destination /mnt/nas is not mounted"` {
		t.Fatalf("a failure's result is written %q", got)
	}
	out.Reset()
	if n, err := exportAudit(&out, src, master.AuditFilter{Slave: "fs01"}, "docs", time.UTC); err != nil || n != 1 {
		t.Fatalf("FS01's commands holding docs: %d, %v", n, err)
	}
}

// View → Command Audit (Ctrl+Shift+A) opens every slave's commands; a
// server's menu, that server's; a group's, its servers'.
func TestTheCommandAuditOpensFromTheViewMenuAndAServersMenu(t *testing.T) {
	fc := newFakeConsole(demoFleet()...)
	mw, _ := openMainWindow(t, fc, nil)
	var opened []string
	mw.opts.audit = func(scope master.AuditFilter) { opened = append(opened, "["+scope.Slave+"|"+scope.Group+"]") }
	item := menuItemWithShortcut(mw.win.MainMenu(), shortcutAudit())
	if item == nil || item.Label != itemAudit {
		t.Fatalf("Ctrl+Shift+A is on %+v", item)
	}
	item.Action()
	test.TapSecondary(mw.tree.bound["a1"].(fyne.SecondaryTappable))
	tapMenuItem(t, mw.win, itemAudit)
	test.TapSecondary(mw.tree.bound[groupNodeID("Office")].(fyne.SecondaryTappable))
	tapMenuItem(t, mw.win, itemGroupAudit)
	if got := strings.Join(opened, " "); got != "[|] [FS01|] [|Office]" {
		t.Fatalf("opened %s, want every slave's, then FS01's, then Office's", got)
	}
	// What the window does with a command double-clicked.
	if !mw.openSlaveNamed("fs02") || mw.tree.selected != "a2" {
		t.Fatalf("opening fs02 selected %q", mw.tree.selected)
	}
	if mw.openSlaveNamed("MAIL") {
		t.Fatal("a slave this console has not was opened")
	}
}

// A command double-clicked, or chosen and Enter pressed, shows its slave
// in the main window; one removed since is said to be gone.
func TestACommandOpensItsSlave(t *testing.T) {
	src := newAuditConsole(t)
	var opened []string
	aw, _ := openAuditFor(t, src, master.AuditFilter{}, auditShownMost, func(name string) bool {
		opened = append(opened, name)
		return name != "MAIL"
	})
	cell := newAuditCell(aw)
	cell.id = widget.TableCellID{Row: 0, Col: 1}
	test.DoubleTap(cell)
	aw.table.Select(widget.TableCellID{Row: 1, Col: 2})
	aw.win.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if got := strings.Join(opened, " "); got != "FS01 MAIL" {
		t.Fatalf("opened %q, want FS01's (double click), then MAIL's (Enter)", got)
	}
	if want := "MAIL is no longer among this console's slaves."; aw.status.Text != want {
		t.Fatalf("status %q, want %q", aw.status.Text, want)
	}
}
