package ui

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/lanyard/lanyard/core/backup"
)

// pickerRows are the names the picker's tree shows, by path.
func pickerRows(fp *folderPicker) []string {
	var out []string
	for id, n := range fp.ft.nodes {
		if id != "" {
			out = append(out, id+map[bool]string{true: "/", false: ""}[n.entry.Type == "dir"])
		}
	}
	slices.Sort(out)
	return out
}

// openDestinationPicker opens Add Task's destination picker and waits
// for the server's top folder.
func openDestinationPicker(t *testing.T, mw *mainWindow, q *uiQueue) *folderPicker {
	t.Helper()
	test.Tap(mw.detail.tasksTab.add)
	td := openTaskDialog(t, mw)
	td.browseDestination()
	fp := td.picker
	q.runUntil(t, "the server's top folder", func() bool { return fp.ft.nodes[""].loaded })
	return fp
}

// The destination is chosen among the server's own folders, read as they
// are opened: only folders show, Choose waits for one, and the folder
// chosen goes into the field.
func TestTheDestinationIsChosenOnTheServer(t *testing.T) {
	mw, q, fr := tasksWindow(t)
	tt := mw.detail.tasksTab
	test.Tap(tt.add)
	td := openTaskDialog(t, mw)
	browse := 0
	for _, o := range test.LaidOutObjects(mw.win.Canvas().Overlays().Top()) {
		if b, ok := o.(*widget.Button); ok && b.Text == fpBrowse {
			browse++
		}
	}
	if got := browse; got != 2 {
		t.Fatalf("the task dialog has %d Browse… buttons, want 2 (sources, destination)", got)
	}
	td.browseDestination()
	fp := td.picker
	q.runUntil(t, "the server's top folder", func() bool { return fp.ft.nodes[""].loaded })
	if got := strings.Join(pickerRows(fp), " "); got != "/etc/ /home/ /mnt/" {
		t.Fatalf("the top shows %q: folders only", got)
	}
	if !fp.choose.Disabled() {
		t.Fatal("Choose is enabled before a folder is selected")
	}
	fp.ft.tree.OpenBranch("/mnt")
	q.runUntil(t, "/mnt read", func() bool { return fp.ft.nodes["/mnt"].loaded })
	fp.ft.tree.Select("/mnt/nas")
	if fp.choose.Disabled() || !strings.Contains(fp.status.Text, "Chosen: /mnt/nas") {
		t.Fatalf("a folder selected: Choose disabled %v, status %q", fp.choose.Disabled(), fp.status.Text)
	}
	test.AssertRendersToMarkup(t, "folderpicker.xml", mw.win.Canvas())
	test.Tap(fp.choose)
	if td.dest.Text != "/mnt/nas" {
		t.Fatalf("the destination says %q after Choose", td.dest.Text)
	}
	if n := fr.taskCalls("list-folder"); n != 2 {
		t.Errorf("%d folders read, want the top and /mnt", n)
	}

	// A folder that cannot be read says so, and the rest stays usable.
	td.browseDestination()
	fp = td.picker
	q.runUntil(t, "the top again", func() bool { return fp.ft.nodes[""].loaded })
	fp.ft.tree.OpenBranch("/etc")
	q.runUntil(t, "/etc's problem", func() bool { return strings.Contains(fp.status.Text, "/etc does not exist on this server") })
	fp.close()
}

// Browse… opens at the path the field holds, down to it, selected.
func TestThePickerOpensAtTheFieldsFolder(t *testing.T) {
	mw, q, _ := tasksWindow(t)
	tt := mw.detail.tasksTab
	tt.table.Select(widget.TableCellID{Row: 0, Col: 0}) // documents, to /mnt/backup
	test.Tap(tt.edit)
	td := openTaskDialog(t, mw)
	td.browseDestination()
	fp := td.picker
	q.runUntil(t, "/mnt/backup selected", func() bool { return fp.chosen == "/mnt/backup" })
	if !strings.Contains(fp.status.Text, "Chosen: /mnt/backup") || fp.choose.Disabled() {
		t.Fatalf("status %q, Choose disabled %v", fp.status.Text, fp.choose.Disabled())
	}
	// From the keyboard: Down and Space select the next folder, Enter
	// chooses it.
	c := mw.win.Canvas()
	c.Focus(fp.ft.tree)
	for _, k := range []fyne.KeyName{fyne.KeyDown, fyne.KeySpace, fyne.KeyReturn} {
		pressKey(mw.win, k)
	}
	if n := len(c.Overlays().List()); n != 1 || td.dest.Text != "/mnt/nas" {
		t.Fatalf("after Down, Space, Enter: %d dialogs, the destination %q", n, td.dest.Text)
	}
}

// New Folder… makes a folder in the one selected, on the server, and
// selects it: a name that is not one is refused in the dialog, and the
// server's refusal is shown in its words.
func TestANewFolderIsMadeOnTheServerAndSelected(t *testing.T) {
	mw, q, fr := tasksWindow(t)
	fp := openDestinationPicker(t, mw, q)
	if !fp.make.Disabled() {
		t.Fatal("New Folder… is enabled with no folder selected")
	}
	fp.ft.tree.OpenBranch("/mnt")
	q.runUntil(t, "/mnt read", func() bool { return fp.ft.nodes["/mnt"].loaded })
	fp.ft.tree.Select("/mnt/nas")
	c := mw.win.Canvas()
	test.Tap(fp.make)
	name, ok := c.Focused().(*dialogEntry)
	if !ok {
		t.Fatalf("the focus is on %T, want the new folder's name", c.Focused())
	}
	for _, bad := range []string{"", "fs01/docs", ".."} {
		name.SetText(bad)
		name.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
		if fr.taskCalls("make-folder") != 0 || len(c.Overlays().List()) != 3 {
			t.Fatalf("the name %q was sent, or the dialog closed", bad)
		}
	}
	typeInto(name, "fs01")
	name.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	q.runUntil(t, "the new folder selected", func() bool { return fp.chosen == "/mnt/nas/fs01" })
	// The new folder is its folder's only one, so it opens by itself: empty,
	// and no news; the line under the tree says what is chosen.
	q.runUntil(t, "the new folder read", func() bool { n := fp.ft.nodes["/mnt/nas/fs01"]; return n != nil && n.loaded })
	if fr.taskCalls("make-folder /mnt/nas/fs01") != 1 || fp.status.Text != "Chosen: /mnt/nas/fs01" {
		t.Fatalf("%d made, status %q", fr.taskCalls("make-folder"), fp.status.Text)
	}

	fr.fakeTasks.mu.Lock()
	fr.mkErr = errors.New(`FS01 answered: cannot create the folder /mnt/nas/fs01/x: permission denied`)
	fr.fakeTasks.mu.Unlock()
	test.Tap(fp.make)
	name = c.Focused().(*dialogEntry)
	typeInto(name, "x")
	name.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	q.runUntil(t, "the server's refusal", func() bool {
		return slices.ContainsFunc(test.LaidOutObjects(c.Overlays().Top()), func(o fyne.CanvasObject) bool {
			l, ok := o.(*widget.Label)
			return ok && strings.Contains(l.Text, "permission denied")
		})
	})
	if fp.chosen != "/mnt/nas/fs01" {
		t.Errorf("after a refusal %q is chosen", fp.chosen)
	}
}

// A folder opened that shows nothing says why: it is empty, or (choosing
// a folder) it holds files alone.
func TestAFolderThatShowsNothingSaysWhy(t *testing.T) {
	mw, q, fr := tasksWindow(t)
	fr.fakeTasks.mu.Lock()
	fr.server["/mnt/nas"] = nil
	fr.server["/home/bob"] = []backup.BrowseEntry{{Name: "notes.txt", Type: backup.TypeFile}}
	fr.fakeTasks.mu.Unlock()
	fp := openDestinationPicker(t, mw, q)
	fr.fakeTasks.mu.Lock()
	fr.server["/mnt/backup"] = append(fr.server["/mnt/backup"], backup.BrowseEntry{Name: "ok\nfake line", Type: backup.TypeDir})
	fr.server["/mnt/backup/ok\nfake line"] = nil
	fr.fakeTasks.mu.Unlock()
	for _, c := range []struct{ parent, dir, says string }{
		{"/mnt", "/mnt/nas", "/mnt/nas is empty."},
		{"/home", "/home/bob", "/home/bob holds no folders."},
		// The server's names are quoted when they are not plain.
		{"/mnt/backup", "/mnt/backup/ok\nfake line", `"/mnt/backup/ok\nfake line" is empty.`},
	} {
		fp.ft.tree.OpenBranch(c.parent)
		q.runUntil(t, c.parent+" read", func() bool { return fp.ft.nodes[c.parent].loaded })
		fp.ft.tree.OpenBranch(c.dir)
		q.runUntil(t, c.dir+" read", func() bool { return fp.ft.nodes[c.dir].loaded })
		if fp.status.Text != c.says {
			t.Errorf("%s opened: %q, want %q", c.dir, fp.status.Text, c.says)
		}
	}
}

// Sources are ticked, files and folders alike, and added below those
// already typed; a path typed already is not added twice.
func TestSourcesAreTickedOnTheServer(t *testing.T) {
	mw, q, _ := tasksWindow(t)
	tt := mw.detail.tasksTab
	test.Tap(tt.add)
	td := openTaskDialog(t, mw)
	td.sources.SetText("/srv/shared\n/home/bob")
	td.browseSources()
	fp := td.picker
	q.runUntil(t, "the top", func() bool { return fp.ft.nodes[""].loaded })
	fp.ft.tree.OpenBranch("/home")
	q.runUntil(t, "/home", func() bool { return fp.ft.nodes["/home"].loaded })
	fp.ft.tree.OpenBranch("/home/alice")
	q.runUntil(t, "/home/alice", func() bool { return fp.ft.nodes["/home/alice"].loaded })
	if !slices.Contains(pickerRows(fp), "/home/alice/notes.txt") {
		t.Fatalf("files are not offered as sources: %q", pickerRows(fp))
	}
	for _, p := range []string{"/home/alice/notes.txt", "/home/bob", "/home/alice/Documents"} {
		fp.ft.ticked[p] = true
	}
	fp.ft.onTicked()
	if !strings.Contains(fp.status.Text, "3 paths chosen") {
		t.Fatalf("status %q", fp.status.Text)
	}
	test.Tap(fp.choose)
	want := "/srv/shared\n/home/bob\n/home/alice/Documents\n/home/alice/notes.txt"
	if td.sources.Text != want {
		t.Fatalf("sources:\n%s\nwant:\n%s", td.sources.Text, want)
	}
}

// A folder of many thousands of entries is read only so far: choosing a
// folder, its first folderTreeMax entries are looked through, and the
// picker says the rest were not.
func TestAHugeFolderIsReadOnlySoFar(t *testing.T) {
	mw, q, fr := tasksWindow(t)
	big := []backup.BrowseEntry{{Name: "a-folder", Type: backup.TypeDir}, {Name: "zz-folder", Type: backup.TypeDir}}
	for i := range folderTreeMax + 1000 {
		big = append(big, backup.BrowseEntry{Name: fmt.Sprintf("msg-%05d.eml", i), Type: backup.TypeFile})
	}
	fr.fakeTasks.mu.Lock()
	fr.fakeTasks.server["/"] = append(fr.fakeTasks.server["/"], backup.BrowseEntry{Name: "spool", Type: backup.TypeDir})
	fr.fakeTasks.server["/spool"] = big
	fr.fakeTasks.mu.Unlock()
	fp := openDestinationPicker(t, mw, q)
	fp.ft.tree.OpenBranch("/spool")
	q.runUntil(t, "/spool read", func() bool { return fp.ft.nodes["/spool"].loaded })
	if got := strings.Join(fp.ft.childUIDs("/spool"), " "); got != "/spool/a-folder" {
		t.Errorf("/spool shows %q, want the folder among its first entries", got)
	}
	fr.fakeTasks.mu.Lock()
	pages := 0
	for _, c := range fr.fakeTasks.calls {
		if c == "list-folder /spool" {
			pages++
		}
	}
	fr.fakeTasks.mu.Unlock()
	if pages != folderTreeMax/backup.BrowseMaxEntries {
		t.Errorf("%d pages of /spool read, want %d", pages, folderTreeMax/backup.BrowseMaxEntries)
	}
	if want := "/spool holds 6,002 entries; the folders among the first 5,000 are shown (or type a path)."; fp.status.Text != want {
		t.Errorf("status %q, want %q", fp.status.Text, want)
	}
	fp.close()
}

// gatedProfiles gives the server a folder /profiles of three pages of
// folders (returned), whose pages after the first wait for gate to close.
func gatedProfiles(fr *fakeRemote) (big []backup.BrowseEntry, gate chan struct{}) {
	for i := range 3 * backup.BrowseMaxEntries {
		big = append(big, backup.BrowseEntry{Name: fmt.Sprintf("user-%04d", i), Type: backup.TypeDir})
	}
	gate = make(chan struct{})
	fr.fakeTasks.mu.Lock()
	defer fr.fakeTasks.mu.Unlock()
	fr.fakeTasks.server["/"] = append(fr.fakeTasks.server["/"], backup.BrowseEntry{Name: "profiles", Type: backup.TypeDir})
	fr.fakeTasks.server["/profiles"] = big
	fr.fakeTasks.listGate = gate
	return big, gate
}

// A large folder's first entries show while the rest are read: over a
// slow link a person need not wait for thousands of names to begin.
func TestALargeFolderShowsItsFirstEntriesWhileTheRestAreRead(t *testing.T) {
	mw, q, fr := tasksWindow(t)
	big, gate := gatedProfiles(fr)
	fr.fakeTasks.mu.Lock()
	fr.fakeTasks.server["/profiles/user-0001"] = []backup.BrowseEntry{{Name: "Documents", Type: backup.TypeDir}}
	fr.fakeTasks.mu.Unlock()
	fp := openDestinationPicker(t, mw, q)
	fp.ft.tree.OpenBranch("/profiles")
	q.runUntil(t, "the first page shown", func() bool { return len(fp.ft.childUIDs("/profiles")) == backup.BrowseMaxEntries })
	if n := fp.ft.nodes["/profiles"]; n.loaded || !n.loading {
		t.Fatalf("/profiles loaded %v, loading %v, before its other pages", n.loaded, n.loading)
	}
	fp.ft.tree.OpenBranch("/profiles/user-0001") // opened while its folder is read
	close(gate)
	q.runUntil(t, "every page shown", func() bool { return fp.ft.nodes["/profiles"].loaded })
	ids := fp.ft.childUIDs("/profiles")
	if len(ids) != len(big) || ids[0] != "/profiles/user-0000" || ids[len(ids)-1] != fmt.Sprintf("/profiles/user-%04d", len(big)-1) {
		t.Fatalf("/profiles shows %d entries, from %s", len(ids), ids[0])
	}
	q.runUntil(t, "the folder opened meanwhile shown", func() bool {
		return strings.Join(fp.ft.childUIDs("/profiles/user-0001"), " ") == "/profiles/user-0001/Documents"
	})
	fp.close()
}

// A picker opened at a folder on a large folder's later page opens down
// to it once that page has come, its first pages shown meanwhile.
func TestAPickerOpensAtAFolderOnALaterPage(t *testing.T) {
	mw, q, fr := tasksWindow(t)
	_, gate := gatedProfiles(fr)
	test.Tap(mw.detail.tasksTab.add)
	td := openTaskDialog(t, mw)
	td.dest.SetText("/profiles/user-0450")
	td.browseDestination()
	fp := td.picker
	t.Cleanup(fp.close)
	q.runUntil(t, "the first page shown", func() bool { return len(fp.ft.childUIDs("/profiles")) == backup.BrowseMaxEntries })
	if fp.chosen != "" {
		t.Fatalf("%s chosen before its page came", fp.chosen)
	}
	close(gate)
	q.runUntil(t, "the folder on the third page chosen", func() bool { return fp.chosen == "/profiles/user-0450" })
}

// The Restore dialog's target is chosen the same way.
func TestARestoresTargetIsChosenOnTheServer(t *testing.T) {
	mw, q, _ := tasksWindow(t)
	rd := openRestore(t, mw, q)
	rd.browseTarget()
	fp := rd.picker
	q.runUntil(t, "the server's top", func() bool { return fp.ft.nodes[""].loaded })
	fp.ft.tree.Select("/mnt")
	test.Tap(fp.choose)
	if rd.target.Text != "/mnt" {
		t.Fatalf("the target says %q after Choose", rd.target.Text)
	}
	if n := len(mw.win.Canvas().Overlays().List()); n != 1 {
		t.Fatalf("%d dialogs open, want the Restore dialog alone", n)
	}
}
