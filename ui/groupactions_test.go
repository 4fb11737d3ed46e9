package ui

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/lanyard/lanyard/core/master"
	"github.com/lanyard/lanyard/core/store"
)

// A group row's menu connects or disconnects every server of the group
// that is not so already; Disconnect All asks first, and an item that
// would change nothing is disabled.
func TestAGroupIsDisconnectedAndConnectedAtOnce(t *testing.T) {
	fc := newFakeConsole(demoFleet()...)
	mw, q := openMainWindow(t, fc, nil)
	web := groupNodeID("Web") // web-1 connecting, web-2 connected
	if on := menuItemLabelled(mw.rowMenu(web), itemGroupConnect); on == nil || !on.Disabled {
		t.Fatalf("Web, none of it disconnected, is offered Connect All: %+v", on)
	}
	mw.tree.Select(web)
	mw.showSelectedRowMenu()
	tapMenuItem(t, mw.win, itemGroupDisconnect)
	if got := overlayText(mw.win); !strings.Contains(got, "Disconnect 2 servers of Web?") || !strings.Contains(got, "Nothing of them is announced") {
		t.Fatalf("Disconnect All did not ask first: %q", got)
	}
	tapButton(t, mw.win, "Disconnect All")
	q.runUntil(t, "both disconnected", func() bool {
		c := fc.called()
		return slices.Contains(c, "disconnect web-1") && slices.Contains(c, "disconnect web-2")
	})

	lab := groupNodeID("") // lab-pc alone, disconnected
	if off := menuItemLabelled(mw.rowMenu(lab), itemGroupDisconnect); off == nil || !off.Disabled {
		t.Fatalf("a group all disconnected is offered Disconnect All: %+v", off)
	}
	mw.tree.Select(lab)
	mw.showSelectedRowMenu()
	tapMenuItem(t, mw.win, itemGroupConnect)
	q.runUntil(t, "lab-pc connected", func() bool { return slices.Contains(fc.called(), "connect lab-pc") })
	if slices.Contains(fc.called(), "connect web-1") {
		t.Error("Connect All of one group connected another's")
	}
}

// Rename Group… moves the group's servers to the new name; the tree
// then shows them under it. The ungrouped have no name to change.
func TestAGroupIsRenamedFromItsMenu(t *testing.T) {
	fc := newFakeConsole(demoFleet()...)
	mw, q := openMainWindow(t, fc, nil)
	if menuItemLabelled(mw.rowMenu(groupNodeID("")), itemGroupRename) != nil {
		t.Fatal("the ungrouped are offered Rename Group…")
	}
	name := groupDialogField(t, mw, "Web", itemGroupRename)
	if name.Text != "Web" {
		t.Fatalf("the dialog's name field says %q", name.Text)
	}
	// A name another group has already merges the two, and says so first.
	name.SetText("office")
	if got := labelsIn(mw.win); !strings.Contains(got, "Office exists already: the 2 servers of Web join its 3 servers") {
		t.Errorf("the dialog with another group's name:\n%s", got)
	}
	buttonLabelled(t, mw.win, "Merge") // fails the test when there is none
	name.SetText("Web Farm")
	tapButton(t, mw.win, "Rename")
	q.runUntil(t, "the group renamed in the tree", func() bool {
		return slices.Contains(fc.called(), "rename group Web to Web Farm") && slices.ContainsFunc(rowTexts(mw), func(r string) bool {
			return strings.HasPrefix(r, "[Web Farm]")
		})
	})
	if mw.tree.selected != groupNodeID("Web Farm") {
		t.Errorf("the renamed group is not selected: %q", mw.tree.selected)
	}
}

// A group's name matches in any case, as everywhere in the console: two
// servers whose entries say "Web" and "WEB" are in one branch, and a
// rename that changes only the case shows.
func TestAGroupIsOneBranchWhateverItsCase(t *testing.T) {
	fleet := demoFleet()
	fleet[4].Group = "WEB" // web-2; web-1 says "Web"
	fc := newFakeConsole(fleet...)
	mw, q := openMainWindow(t, fc, nil)
	var webRows []string
	for _, r := range rowTexts(mw) {
		if strings.HasPrefix(strings.ToLower(r), "[web]") {
			webRows = append(webRows, r)
		}
	}
	if len(webRows) != 1 || !strings.HasPrefix(webRows[0], "[Web] 1 of 2 connected") && !strings.HasPrefix(webRows[0], "[WEB] 1 of 2 connected") {
		t.Fatalf("the Web branches: %q", webRows)
	}
	if _, err := fc.RenameGroup("web", "Web"); err != nil {
		t.Fatal(err)
	}
	q.runUntil(t, "the case-only rename shown", func() bool {
		return slices.ContainsFunc(rowTexts(mw), func(r string) bool { return strings.HasPrefix(r, "[Web] 1 of 2 connected") })
	})
}

// Report Recipients… sets the group's own daily summary's addresses
// where the group is, in the mail settings; a bad address is refused in
// the dialog, nothing saved.
func TestAGroupsReportRecipientsAreSetFromItsMenu(t *testing.T) {
	mc := newMailConsole(t)
	mc.fakeConsole = newFakeConsole(demoFleet()...)
	mw, q := openMainWindow(t, mc, nil)
	if menuItemLabelled(mw.rowMenu(groupNodeID("")), itemGroupMail) != nil {
		t.Fatal("the ungrouped are offered Report Recipients…")
	}
	to := groupDialogField(t, mw, "Web", itemGroupMail)
	if to.Text != "" {
		t.Fatalf("the dialog's field says %q", to.Text)
	}
	if !strings.Contains(overlayText(mw.win), "Mail or the daily time is not set up yet") {
		t.Errorf("no word that mail is not set up: %q", overlayText(mw.win))
	}
	to.SetText("it@web.example, not-mail")
	tapButton(t, mw.win, "Save")
	if got := overlayText(mw.win); !strings.Contains(got, `"not-mail" is not a mail address: write name@example.com.`) || strings.Contains(got, "Group Web's") {
		t.Fatalf("a bad address: %q", got)
	}
	to.SetText("it@web.example, boss@web.example")
	tapButton(t, mw.win, "Save")
	q.runUntil(t, "the recipients saved", func() bool {
		st, _, _ := mc.MailSettings()
		return slices.Equal(st.GroupRecipients("web"), []string{"it@web.example", "boss@web.example"})
	})
}

// groupDialogField opens item of group's row menu, a dialog, and returns
// the field it focuses.
func groupDialogField(t *testing.T, mw *mainWindow, group, item string) *dialogEntry {
	t.Helper()
	mw.tree.Select(groupNodeID(group))
	mw.showSelectedRowMenu()
	tapMenuItem(t, mw.win, item)
	e, ok := mw.win.Canvas().Focused().(*dialogEntry)
	if !ok {
		t.Fatalf("%s focused %v, not a field", item, mw.win.Canvas().Focused())
	}
	return e
}

// A customer's site of many servers is disconnected with a progress bar;
// Cancel stops before the next server, and says how far it got.
func TestDisconnectingABigGroupShowsProgressAndStopsOnCancel(t *testing.T) {
	var fleet []master.SlaveView
	for i := range 12 {
		fleet = append(fleet, master.SlaveView{ID: fmt.Sprintf("s%02d", i), Name: fmt.Sprintf("acme-%02d", i), Group: "Acme",
			Direction: store.Inbound, State: master.StateConnected})
	}
	fc := newFakeConsole(fleet...)
	gate := make(chan struct{})
	fc.connGate = gate
	mw, q := openMainWindow(t, fc, nil)
	mw.tree.Select(groupNodeID("Acme"))
	mw.showSelectedRowMenu()
	tapMenuItem(t, mw.win, itemGroupDisconnect)
	tapButton(t, mw.win, "Disconnect All")
	if got := overlayText(mw.win); !strings.Contains(got, "Disconnecting 12 servers of Acme…") {
		t.Fatalf("no progress shown: %q", got)
	}
	for range 3 {
		gate <- struct{}{}
	}
	q.runUntil(t, "3 done", func() bool {
		return strings.Contains(overlayText(mw.win), "Disconnecting 12 servers of Acme: 3 done…")
	})
	tapButton(t, mw.win, "Cancel")
	gate <- struct{}{} // the server being disconnected when Cancel was pressed
	q.runUntil(t, "the word that it stopped", func() bool {
		return strings.Contains(overlayText(mw.win), "Cancelled after 4 of 12 servers of Acme; the others were left as they were.")
	})
	n := 0
	for _, c := range fc.called() {
		if strings.HasPrefix(c, "disconnect ") {
			n++
		}
	}
	if n != 4 {
		t.Errorf("%d servers disconnected, want the 4 done before Cancel", n)
	}
}

// Merging says how many servers join how many, in agreement.
func TestMergeWordsCountTheServersOfBothGroups(t *testing.T) {
	if got := mergeWords("Head office", 2, "Branch", 1); !strings.HasPrefix(got, "Head office exists already: the 1 server of Branch joins its 2 servers,") {
		t.Errorf("one server: %q", got)
	}
	if got := mergeWords("Office", 1, "Web", 2); !strings.HasPrefix(got, "Office exists already: the 2 servers of Web join its 1 server,") {
		t.Errorf("two servers: %q", got)
	}
}
