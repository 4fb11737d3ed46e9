package ui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/lanyard/lanyard/core/master"
)

// Copy To… lists every other server by group; the servers ticked get the
// task, each line then says what became of it there, and the summary
// says how to overwrite a task of the same name.
func TestTheCopyDialogCopiesToTheServersTicked(t *testing.T) {
	mw, q, fr := tasksWindow(t)
	tt := mw.detail.tasksTab
	if !tt.copy.Disabled() {
		t.Error("Copy To… is enabled with no task selected")
	}
	tt.table.Select(widget.TableCellID{Row: 0, Col: 0})
	fr.fakeTasks.mu.Lock()
	fr.fakeTasks.copyErr = map[string]error{"FS02": &master.TaskExistsError{Slave: "FS02", Task: "documents"}}
	fr.fakeTasks.mu.Unlock()
	test.Tap(tt.copy)
	cd := tt.lastCopy
	if cd == nil || len(cd.slaves) != 5 || cd.groups.Selected != "Office" || len(cd.shown) != 2 {
		t.Fatalf("the dialog knows %d servers (%d shown, of %s), want the 5 besides FS01, FS01's Office first", len(cd.slaves), len(cd.shown), cd.groups.Selected)
	}
	cd.groups.SetSelected(cdAllGroups)
	if len(cd.shown) != 5 {
		t.Fatalf("All groups shows %d servers, want 5", len(cd.shown))
	}
	if !cd.copyBtn.Disabled() {
		t.Error("Copy is enabled with nothing ticked")
	}
	cd.groups.SetSelected("Office")
	if len(cd.shown) != 2 {
		t.Fatalf("Office shows %d servers, want FS02 and BACKUP-7", len(cd.shown))
	}
	test.Tap(cd.all)
	cd.groups.SetSelected("Web")
	cd.ticked["web-2"] = true
	cd.showState()
	// FS02 is offline and BACKUP-7 in error as the dialog opens: they
	// are named, but may be ticked (a server may link while it is open).
	if cd.status.Text != "3 servers ticked; FS02 and BACKUP-7 are not linked now and cannot take it." || cd.copyBtn.Disabled() {
		t.Fatalf("status %q, Copy disabled %v", cd.status.Text, cd.copyBtn.Disabled())
	}
	test.AssertRendersToMarkup(t, "copydialog.xml", mw.win.Canvas())
	test.Tap(cd.copyBtn)
	q.runUntil(t, "the copy's end", func() bool { return !cd.copying && len(cd.results) == 3 })
	if got := fr.fakeTasks.taskCalls("copy documents from FS01 to FS02,BACKUP-7,web-2 replace=false run=false"); got != 1 {
		t.Fatalf("copy calls %v", fr.fakeTasks.calls)
	}
	want := "documents copied to 2 of 3 servers. 1 server has a task of that name already: copy again with \"Replace a task of the same name\" ticked to overwrite it." +
		" Click a server for its whole answer. 3 servers ticked; FS02 and BACKUP-7 are not linked now and cannot take it."
	if cd.status.Text != want {
		t.Errorf("status %q, want %q", cd.status.Text, want)
	}
	cd.groups.SetSelected(cdAllGroups)
	cd.list.Select(0)
	if want := "FS02: not copied: has a task named \"documents\" already, left as it is"; cd.status.Text != want {
		t.Errorf("FS02's whole answer %q, want %q", cd.status.Text, want)
	}
	if cd.copyBtn.Disabled() || cd.groups.Disabled() || cd.close.Text != "Close" {
		t.Errorf("after the copy: Copy disabled %v, groups disabled %v, %q", cd.copyBtn.Disabled(), cd.groups.Disabled(), cd.close.Text)
	}

	// Again, replacing: FS02 alone this time.
	test.Tap(cd.none)
	cd.ticked["fs02"] = true
	cd.showState()
	cd.replace.SetChecked(true)
	cd.run.SetChecked(true)
	test.Tap(cd.copyBtn)
	q.runUntil(t, "the second copy's end", func() bool { return !cd.copying && len(cd.results) == 1 })
	if got := fr.fakeTasks.taskCalls("copy documents from FS01 to FS02 replace=true run=true"); got != 1 {
		t.Fatalf("copy calls %v", fr.fakeTasks.calls)
	}

	// A folder of its own on each server: the destination offered is
	// the task's, and another is sent only when changed; a relative one
	// is refused here.
	if cd.destTo.Text != "/mnt/backup" {
		t.Fatalf("the destination offered is %q, want the task's /mnt/backup", cd.destTo.Text)
	}
	cd.destTo.SetText("nas/{server}")
	test.Tap(cd.copyBtn)
	if cd.copying || !strings.Contains(cd.status.Text, `"nas/{server}" is not an absolute path on the servers`) {
		t.Fatalf("a relative destination: copying %v, status %q", cd.copying, cd.status.Text)
	}
	cd.destTo.SetText("/mnt/nas/{server}")
	cd.create.SetChecked(true) // each server makes its folder on the share
	test.Tap(cd.copyBtn)
	q.runUntil(t, "the third copy's end", func() bool { return !cd.copying && len(cd.results) == 1 })
	if got := fr.fakeTasks.taskCalls("copy documents from FS01 to FS02 replace=true run=true dest=/mnt/nas/{server} create-dest"); got != 1 {
		t.Fatalf("copy calls %v", fr.fakeTasks.calls)
	}
	test.Tap(cd.close)
	if strings.Contains(overlayText(mw.win), "Copy documents") {
		t.Error("the dialog did not close")
	}

	// A destination named after the server is offered per server: each
	// copy's backups stay apart from FS01's.
	cd = showCopyDialog(mw.win, tt.r, tt.rm, "FS01", "documents", "/mnt/nas/fs01", tt.slaves())
	if cd.destTo.Text != "/mnt/nas/{server}" {
		t.Errorf("for a task backing up to /mnt/nas/fs01 the dialog offers %q, want /mnt/nas/{server}", cd.destTo.Text)
	}
	test.Tap(cd.close)
}

// A server that links while the dialog is open is no longer named as one
// that cannot take the task, and one that drops is.
func TestTheCopyDialogFollowsTheServersLinks(t *testing.T) {
	mw, q, fr := tasksWindow(t)
	tt := mw.detail.tasksTab
	tt.table.Select(widget.TableCellID{Row: 0, Col: 0})
	test.Tap(tt.copy)
	cd := tt.lastCopy
	test.Tap(cd.all) // Office: FS02 offline, BACKUP-7 in error
	if want := "2 servers ticked; FS02 and BACKUP-7 are not linked now and cannot take it."; cd.status.Text != want {
		t.Fatalf("status %q, want %q", cd.status.Text, want)
	}
	fs02, _ := fr.Slave("FS02")
	fs02.State = master.StateConnected
	fr.set(fs02)
	q.runUntil(t, "FS02 to link", func() bool {
		return cd.status.Text == "2 servers ticked; BACKUP-7 is not linked now and cannot take it."
	})
	fs02.State = master.StateOffline
	fr.set(fs02)
	q.runUntil(t, "FS02 to drop", func() bool {
		return cd.status.Text == "2 servers ticked; FS02 and BACKUP-7 are not linked now and cannot take it."
	})
}
