package ui

import (
	"errors"
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"

	"github.com/lanyard/lanyard/core/master"
	"github.com/lanyard/lanyard/core/store"
	"github.com/lanyard/lanyard/core/wire"
	"github.com/lanyard/lanyard/internal/testkit/mastertest"
)

func TestMainWindowIsTitledLanyard(t *testing.T) {
	mw, _ := openMainWindow(t, newFakeConsole(), nil)
	if got := mw.win.Title(); got != "Lanyard" {
		t.Errorf("Title() = %q, want %q", got, "Lanyard")
	}
}

func TestMainMenuHasTheConsoleMenusInOrder(t *testing.T) {
	mw, _ := openMainWindow(t, newFakeConsole(demoFleet()...), nil)
	mw.tree.Select("a1") // the Slave menu acts on a selected server
	menu := mw.win.MainMenu()
	var got []string
	for _, m := range menu.Items {
		got = append(got, m.Label)
	}
	if want := []string{"File", "Slave", "Settings", "View", "Help"}; !slices.Equal(got, want) {
		t.Fatalf("menus = %v, want %v", got, want)
	}
	for _, tt := range []struct{ menu, item string }{
		{"File", "Add Slave…"},
		{"File", "Quit"},
		{"Slave", "Edit…"},
		{"Slave", "Disconnect"},
		{"Slave", "Change Password…"},
		{"Slave", "Run Task"},
		{"Slave", "Remove…"},
		{"Settings", "Remote Management Settings…"},
		{"View", "Remote Management Log"},
		{"View", "Refresh"},
		{"Help", "Troubleshooting"},
		{"Help", "About"},
	} {
		item := findItem(menu, tt.menu, tt.item)
		if item == nil {
			t.Errorf("no %s → %s item in %s", tt.menu, tt.item, describe(menu))
			continue
		}
		// Run Task applies as the toolbar's (TestTheSlaveMenuFollowsTheSelection).
		if item.Action == nil || item.Disabled && tt.item != "Run Task" {
			t.Errorf("%s → %s has no action or is disabled", tt.menu, tt.item)
		}
	}
	if quit := findItem(menu, "File", "Quit"); quit != nil && !quit.IsQuit {
		t.Error("File → Quit is not marked IsQuit, so the desktop driver would add a second Quit")
	}
}

func TestHelpMenuOpensTroubleshootingAndAbout(t *testing.T) {
	for _, item := range []string{"Troubleshooting", "About"} {
		t.Run(item, func(t *testing.T) {
			mw, _ := openMainWindow(t, newFakeConsole(), nil)
			findItem(mw.win.MainMenu(), "Help", item).Action()
			if !strings.Contains(overlayText(mw.win), item) && !strings.Contains(overlayText(mw.win), "Lanyard") {
				t.Errorf("Help → %s opened %q", item, overlayText(mw.win))
			}
		})
	}
}

// About says where the console keeps its data, and copies the path, to
// back the folder up or move it to another machine.
func TestAboutSaysWhereTheDataIsAndCopiesThePath(t *testing.T) {
	mw, _ := openMainWindow(t, newFakeConsole(), nil)
	mw.dataDir = "/home/alice/.config/lanyard"
	findItem(mw.win.MainMenu(), "Help", "About").Action()
	if text := overlayText(mw.win); !strings.Contains(text, "Data folder: /home/alice/.config/lanyard") {
		t.Fatalf("About shows %q", text)
	}
	tapButton(t, mw.win, "Copy Path")
	if got := fyne.CurrentApp().Clipboard().Content(); got != mw.dataDir {
		t.Errorf("the clipboard holds %q, want %q", got, mw.dataDir)
	}
}

// The troubleshooting dialog repeats the README's list: same items, same
// order.
func TestTroubleshootingMatchesTheREADME(t *testing.T) {
	raw, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(raw)
	start := strings.Index(readme, "## Troubleshooting")
	end := strings.Index(readme[start+3:], "\n## ")
	section := readme[start : start+3+end]
	var want []string
	for _, m := range regexp.MustCompile(`(?m)^\d+\. \*\*(.+?)\*\*`).FindAllStringSubmatch(section, -1) {
		want = append(want, strings.ReplaceAll(m[1], "`", ""))
	}
	var got []string
	for _, tip := range troubleshootingTips() {
		got = append(got, tip.title)
	}
	if !slices.Equal(got, want) {
		t.Errorf("troubleshooting titles\n got %q\nwant %q (README)", got, want)
	}
}

func TestTheTreeShowsGroupsAndSlavesWithTheirStateInWords(t *testing.T) {
	mw, _ := openMainWindow(t, newFakeConsole(demoFleet()...), nil)
	want := []string{
		"[Office] 1 of 3 connected",
		"BACKUP-7 | wrong password | out → | ",
		"FS01 | connected | out → | ssl-on",
		"FS02 | offline | ← in | ",
		"[Web] 1 of 2 connected",
		"web-1 | connecting… | out → | ",
		"web-2 | connected | ← in | ssl-off",
		"[Ungrouped] 0 of 1 connected",
		"lab-pc | disabled | out → | ",
	}
	if got := rowTexts(mw); !slices.Equal(got, want) {
		t.Errorf("tree rows\n got %q\nwant %q", got, want)
	}
}

func TestSortByStatePutsProblemsFirst(t *testing.T) {
	mw, _ := openMainWindow(t, newFakeConsole(demoFleet()...), nil)
	mw.sort.SetSelected(sortState)
	var names []string
	for _, r := range rowTexts(mw) {
		names = append(names, strings.Split(r, " | ")[0])
	}
	want := []string{"[Office] 1 of 3 connected", "BACKUP-7", "FS02", "FS01",
		"[Web] 1 of 2 connected", "web-1", "web-2", "[Ungrouped] 0 of 1 connected", "lab-pc"}
	if !slices.Equal(names, want) {
		t.Errorf("sorted by state\n got %q\nwant %q", names, want)
	}
	if got := fyne.CurrentApp().Preferences().String(prefSort); got != sortState {
		t.Errorf("the sort order is not remembered: preference %q", got)
	}
}

func TestTheMainWindowReopensAtItsSizeAndSplit(t *testing.T) {
	mw, q := openMainWindow(t, newFakeConsole(demoFleet()...), nil)
	if got := mw.win.Canvas().Size(); got != mainSize.def {
		t.Fatalf("a first start opens at %v, not the default %v", got, mainSize.def)
	}
	mw.win.Resize(fyne.NewSize(1000, 600))
	mw.split.SetOffset(0.5)
	closeMainWindow(t, mw, q)

	next := testMainWindow(newFakeConsole(), nil, q)
	t.Cleanup(func() { closeMainWindow(t, next, q) })
	if got := next.win.Canvas().Size(); got != fyne.NewSize(1000, 600) {
		t.Errorf("reopened at %v, closed at 1000x600", got)
	}
	if got := next.split.Offset; got != 0.5 {
		t.Errorf("reopened with the split at %v, closed at 0.5", got)
	}
}

func TestTheFilterMatchesNameGroupAddressNotesAndAgentIgnoringCase(t *testing.T) {
	fleet := demoFleet()
	fleet[3].Notes = "Call Bob at the branch"
	fleet[5].Software = "lanyard-agent 1.3.2-RC1"
	mw, _ := openMainWindow(t, newFakeConsole(fleet...), nil)
	tests := []struct {
		typed string
		want  []string
	}{
		{"fs0", []string{"[Office] 1 of 3 connected", "FS01", "FS02"}},
		{"WEB", []string{"[Web] 1 of 2 connected", "web-1", "web-2"}},
		{"backup7.EXAMPLE", []string{"[Office] 1 of 3 connected", "BACKUP-7"}},
		{"192.168.1", []string{"[Ungrouped] 0 of 1 connected", "lab-pc"}},
		{"bob", []string{"[Web] 1 of 2 connected", "web-1"}},
		{"1.3.2-rc", []string{"[Ungrouped] 0 of 1 connected", "lab-pc"}},
		{"lanyard-agent", nil}, // the version, not the program's name
		{"nothing-matches", nil},
	}
	for _, tt := range tests {
		t.Run(tt.typed, func(t *testing.T) {
			mw.filter.SetText("")
			test.Type(mw.filter, tt.typed)
			var got []string
			for _, r := range rowTexts(mw) {
				got = append(got, strings.Split(r, " | ")[0])
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("filter %q shows %q, want %q", tt.typed, got, tt.want)
			}
			// A filter that hides every slave says so in the tree's place.
			if shown := mw.noMatchNote.Visible(); shown != (tt.want == nil) {
				t.Errorf("filter %q: the note that nothing matches shown %v", tt.typed, shown)
			}
		})
	}
	if want := "No server's name, group, address, notes or agent version holds “nothing-matches”."; mw.noMatch.Text != want {
		t.Errorf("nothing matches: %q, want %q", mw.noMatch.Text, want)
	}
	t.Run("its button clears it", func(t *testing.T) {
		test.Tap(buttonIn(t, mw.noMatchNote, "Clear the filter"))
		if n := len(rowTexts(mw)); n != 9 || mw.filter.Text != "" || mw.noMatchNote.Visible() {
			t.Errorf("after Clear the filter: %d rows, filter %q, note shown %v; want all 9, none, hidden", n, mw.filter.Text, mw.noMatchNote.Visible())
		}
	})
	t.Run("escape clears it, then selects nothing", func(t *testing.T) {
		mw.tree.Select(idOf(t, mw, "FS01"))
		test.Type(mw.filter, "fs0")
		mw.filter.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
		if n := len(rowTexts(mw)); n != 9 || mw.tree.selected == "" {
			t.Errorf("after Escape the tree shows %d rows, want all 9, and selects %q", n, mw.tree.selected)
		}
		mw.filter.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
		if mw.tree.selected != "" {
			t.Errorf("Escape in the empty filter left %q selected", mw.tree.selected)
		}
	})
}

func TestAStateEventRedrawsThatRow(t *testing.T) {
	fc := newFakeConsole(demoFleet()...)
	mw, q := openMainWindow(t, fc, nil)
	v, _ := fc.Slave("FS02")
	v.State, v.Remote, v.SSL = master.StateConnected, "198.51.100.4:40000", true
	fc.set(v)
	q.runUntil(t, "FS02 to show connected", func() bool { return rowOf(mw, "FS02") == "FS02 | connected | ← in | ssl-on" })
	if got := rowTexts(mw)[0]; got != "[Office] 2 of 3 connected" {
		t.Errorf("the group row did not follow: %q", got)
	}
	// FS02 linked, so one server is left that never did.
	if got := mw.status.counts.Text; got != "3 connected · 0 offline · 1 connecting · 1 error · 1 disabled · backups: 1 server never linked" {
		t.Errorf("status counts %q", got)
	}
}

// "Last seen … ago" moves on while a slave stays silent and nothing else
// changes: the window redraws the selection's times now and then.
func TestLastSeenAgesWhileNothingChanges(t *testing.T) {
	test.NewTempApp(t)
	q := newUIQueue()
	var clock atomic.Int64
	clock.Store(fixedNow.UnixNano())
	mw := newMainWindow(fyne.CurrentApp(), newFakeConsole(demoFleet()...), nil, windowOptions{do: q.do,
		now: func() time.Time { return time.Unix(0, clock.Load()) }, interval: 10 * time.Millisecond, ages: 10 * time.Millisecond})
	mw.win.Show()
	t.Cleanup(func() { closeMainWindow(t, mw, q) })
	mw.tree.Select("a3")
	seen := mw.detail.values[fSeen]
	if seen.Text != "13 Mar 2026 11:48 (1 d 3 h ago)" {
		t.Fatalf("last seen %q", seen.Text)
	}
	clock.Add(int64(2 * time.Hour))
	q.runUntil(t, "the last-seen time to age by two hours", func() bool { return seen.Text == "13 Mar 2026 11:48 (1 d 5 h ago)" })
}

// A link measures its round trip at every heartbeat without publishing a
// change: the window reads the selected slave's again now and then.
func TestTheRoundTripShownFollowsTheLink(t *testing.T) {
	test.NewTempApp(t)
	q := newUIQueue()
	fc := newFakeConsole(demoFleet()...)
	mw := newMainWindow(fyne.CurrentApp(), fc, nil, windowOptions{do: q.do,
		now: func() time.Time { return fixedNow }, interval: 10 * time.Millisecond, ages: 10 * time.Millisecond})
	mw.win.Show()
	t.Cleanup(func() { closeMainWindow(t, mw, q) })
	mw.tree.Select("b2") // web-2: linked, no round trip measured yet
	rtt := mw.detail.values[fRTT]
	if rtt.Text != "measured at the first heartbeat" {
		t.Fatalf("round trip %q", rtt.Text)
	}
	fc.quietly("b2", func(v *master.SlaveView) { v.RTT = 2500 * time.Microsecond })
	q.runUntil(t, "the measured round trip", func() bool { return rtt.Text == "2.5 ms" })

	// A link remade meanwhile is shown by its own events, not by this read.
	fc.quietly("b2", func(v *master.SlaveView) {
		v.RTT, v.ConnectedSince = 9*time.Millisecond, v.ConnectedSince.Add(time.Minute)
	})
	n := fc.lookups()
	q.runUntil(t, "three more reads", func() bool { return fc.lookups() >= n+3 })
	q.runPending()
	if rtt.Text != "2.5 ms" {
		t.Errorf("the round trip of a new link was put on the old one: %q", rtt.Text)
	}
}

func TestTheTreeSaysForHowLongASlaveHasBeenOffline(t *testing.T) {
	test.NewTempApp(t)
	q := newUIQueue()
	var clock atomic.Int64
	clock.Store(fixedNow.UnixNano())
	fleet := demoFleet()
	for i := range fleet {
		if fleet[i].Name == "FS02" {
			fleet[i].LastSeen = fixedNow.Add(-59 * time.Minute)
		}
	}
	fc := newFakeConsole(fleet...)
	mw := newMainWindow(fyne.CurrentApp(), fc, nil, windowOptions{do: q.do,
		now: func() time.Time { return time.Unix(0, clock.Load()) }, interval: 10 * time.Millisecond, ages: 10 * time.Millisecond})
	mw.win.Show()
	t.Cleanup(func() { closeMainWindow(t, mw, q) })
	if got := rowOf(mw, "FS02"); !strings.HasPrefix(got, "FS02 | offline 59 min |") {
		t.Fatalf("FS02's row %q", got)
	}
	if got := rowOf(mw, "web-1"); !strings.HasPrefix(got, "web-1 | connecting… |") {
		t.Errorf("a slave connecting has an age: %q", got)
	}
	// Read as drawn: laying the tree out again would redraw every row.
	drawn := func() string {
		if r, ok := mw.tree.bound["a2"].(*slaveRow); ok && r.boundID() == "a2" {
			return r.state.Text
		}
		return ""
	}
	clock.Add(int64(time.Minute))
	q.runUntil(t, "FS02's row to age to an hour", func() bool { return drawn() == "offline 1 h" })

	// A slave that comes back loses its age; one that goes away again
	// counts from the new end of its link.
	v := fleet[1]
	v.State, v.LastSeen = master.StateConnected, time.Unix(0, clock.Load())
	fc.set(v)
	q.runUntil(t, "FS02 connected", func() bool { return strings.HasPrefix(rowOf(mw, "FS02"), "FS02 | connected |") })
	clock.Add(int64(2 * time.Minute))
	v.State = master.StateOffline
	fc.set(v)
	q.runUntil(t, "FS02 offline for 2 min", func() bool { return strings.HasPrefix(rowOf(mw, "FS02"), "FS02 | offline 2 min |") })
}

// Going from server to server keeps the tab: down the tree on the Tasks
// tab, each server's tasks.
func TestTheDetailPaneKeepsItsTabFromServerToServer(t *testing.T) {
	mw, _, _ := remoteWindow(t, tabTasks) // FS01 on its Tasks
	for _, id := range []string{"b2", "a3"} {
		mw.tree.Select(id)
		if got := mw.detail.tabs.Selected().Text; got != tabTasks {
			t.Errorf("%s shown on %q", id, got)
		}
	}
	// BACKUP-7, in error: the tab says why it shows nothing, and where to
	// read more.
	if got, want := mw.detail.tasksTab.status.Text,
		"BACKUP-7 is not connected (wrong password; its Overview says what to do): its tasks show here once it is."; got != want {
		t.Errorf("the Tasks tab of BACKUP-7 says %q, want %q", got, want)
	}
	mw.tree.Select(groupNodeID("Office")) // a summary between
	mw.tree.Select("a1")
	if got := mw.detail.tabs.Selected().Text; got != tabTasks || !mw.detail.tasksTab.visible {
		t.Errorf("after a group's summary, FS01 shown on %q (tasks tab told it shows: %v)", got, mw.detail.tasksTab.visible)
	}
}

func TestSelectingASlaveFillsTheOverview(t *testing.T) {
	mw, _ := openMainWindow(t, newFakeConsole(demoFleet()...), nil)
	mw.tree.Select("a1")
	if got := mw.detail.tabs.Selected().Text; got != tabOverview {
		t.Errorf("tab %q", got)
	}
	want := map[string]string{
		fHost:      "fs01.office.example",
		fOS:        "debian 12.5 (linux/amd64)",
		fUptime:    "3 d 4 h",
		fAgent:     "1.0.0",
		fCPU:       "12 %",
		fMemory:    "3.0 GiB of 8.0 GiB (37 %)",
		fDisk:      "120.0 GiB of 500.0 GiB (24 %)",
		fDirection: "Outbound: this console dials the slave",
		fAddress:   "10.0.0.4:16888",
		fRemote:    "10.0.0.4:16888",
		fSSL:       "On (TLS 1.3, certificate pinned)",
		fRTT:       "1.2 ms",
		fSince:     "12:55:00 (2 h 5 min ago)",
		fGroup:     "Office",
	}
	for f, w := range want {
		if got := mw.detail.values[f].Text; got != w {
			t.Errorf("%s = %q, want %q", f, got, w)
		}
	}
	if mw.detail.problem.Visible() {
		t.Error("a connected slave shows a problem")
	}
	if mw.detail.values[fSeen].Visible() {
		t.Error("a connected slave shows when it was last seen")
	}
	for _, tab := range []string{tabTasks, tabLog, tabSettings} {
		found := false
		for _, it := range mw.detail.tabs.Items {
			if it.Text == tab && slices.Contains(textsIn(it.Content), "Arrives with remote management") {
				found = true
			}
		}
		if !found {
			t.Errorf("no %s tab with its placeholder", tab)
		}
	}

	t.Run("a failing slave shows its error and fix", func(t *testing.T) {
		mw.tree.Select("a3")
		if !mw.detail.problem.Visible() || mw.detail.problemTitle.Text != "Last error: wrong password" ||
			!strings.Contains(mw.detail.problemText.Text, "enter the same management password") {
			t.Errorf("problem %v %q %q", mw.detail.problem.Visible(), mw.detail.problemTitle.Text, mw.detail.problemText.Text)
		}
		if seen := mw.detail.values[fSeen]; !seen.Visible() || seen.Text != "13 Mar 2026 11:48 (1 d 3 h ago)" {
			t.Errorf("last seen %v %q", seen.Visible(), seen.Text)
		}
		if got := mw.detail.values[fState].Text; got != "Error · trying again now" {
			t.Errorf("state %q", got)
		}
		if b := mw.detail.refresh; b.Text != tryNow || b.Disabled() {
			t.Errorf("the header's button for a slave the console dials, down: %q, disabled %v", b.Text, b.Disabled())
		}
		if mw.detail.values[fSince].Visible() {
			t.Error("a slave not connected shows since when it is connected")
		}
	})
	t.Run("a slave never linked says so", func(t *testing.T) {
		mw.tree.Select("a2")
		if seen := mw.detail.values[fSeen]; !seen.Visible() || seen.Text != "never: it has not linked to this console yet" {
			t.Errorf("last seen %v %q", seen.Visible(), seen.Text)
		}
		if b := mw.detail.refresh; b.Text != refreshStatus || !b.Disabled() {
			t.Errorf("the header's button for an inbound slave, offline: %q, disabled %v", b.Text, b.Disabled())
		}
	})
	t.Run("a group shows its summary", func(t *testing.T) {
		mw.tree.Select(groupNodeID("Web"))
		if got := mw.detail.summary.states.Text; got != "2 servers: 1 connected · 0 offline · 1 connecting" {
			t.Errorf("group summary %q", got)
		}
		if !mw.editBtn.Disabled() || !mw.removeBtn.Disabled() {
			t.Error("Edit and Remove are enabled with a group selected")
		}
	})
}

func TestTheStatusBarCountsAndSaysWhereItListens(t *testing.T) {
	tests := []struct {
		name   string
		li     listenInfo
		listen string
	}{
		{"every address with SSL", listenInfo{master.Settings{Listen: true, ListenAddress: ":16888", SSL: true}, "[::]:16888", nil}, "listening on :16888 (SSL)"},
		{"one address without SSL", listenInfo{master.Settings{Listen: true, ListenAddress: "127.0.0.1:0"}, "127.0.0.1:40123", nil}, "listening on 127.0.0.1:40123 (no SSL)"},
		{"off", listenInfo{master.Settings{ListenAddress: ":16888", SSL: true}, "", nil}, "not listening"},
		{"failed", listenInfo{master.Settings{Listen: true, ListenAddress: ":80"}, "", errString("listen tcp :80: bind: permission denied")}, "NOT listening on :80"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, _ := listenText(tt.li); got != tt.listen {
				t.Errorf("listenText = %q, want %q", got, tt.listen)
			}
		})
	}
	mw, _ := openMainWindow(t, newFakeConsole(demoFleet()...), nil)
	if got, want := mw.status.text(), "2 connected · 1 offline · 1 connecting · 1 error · 1 disabled · backups: 2 servers never linked · listening on :16888 (SSL)"; got != want {
		t.Errorf("status bar %q, want %q", got, want)
	}
}

// The reason a console cannot listen is long (what holds the port, what
// to do): the bar says only that it does not, and opens the settings,
// which say why. The reason in the bar once made the window wider than
// the screen.
func TestAConsoleThatCannotListenSaysWhyInItsSettings(t *testing.T) {
	fc := newFakeConsole(demoFleet()...)
	mw, q := openMainWindow(t, fc, nil)
	q.runUntil(t, "the bar to say where it listens", func() bool { return strings.Contains(mw.status.text(), "listening on :16888") })
	listeningWidth := mw.win.Content().MinSize().Width

	reason := "cannot listen on 127.0.0.1:22670: the port is already in use by another program; pick another port above 5000, " +
		"or find the program holding it: listen tcp 127.0.0.1:22670: bind: address already in use"
	fc.mu.Lock()
	fc.settings.ListenAddress, fc.listenErr = "127.0.0.1:22670", errors.New(reason)
	fc.mu.Unlock()
	fc.subs.publish(master.Event{Kind: "listening"})
	q.runUntil(t, "the bar to say it does not listen", func() bool { return strings.Contains(mw.status.text(), "NOT listening on 127.0.0.1:22670") })
	if got := mw.status.text(); strings.Contains(got, "already in use") || strings.Contains(got, "· listening") {
		t.Errorf("the bar %q", got)
	}
	if w := mw.win.Content().MinSize().Width; w > listeningWidth+100 {
		t.Errorf("not listening widens the window from %.0f to %.0f", listeningWidth, w)
	}
	test.Tap(mw.status.notListening)
	top := mw.win.Canvas().Overlays().Top()
	if top == nil {
		t.Fatal("the bar's warning opened nothing")
	}
	want := "The console cannot listen: " + reason + ". Choose another port (Check port suggests one) and apply again."
	if texts := textsIn(top); !slices.Contains(texts, want) {
		t.Errorf("the settings opened from the bar say %q", texts)
	}
}

type errString string

func (e errString) Error() string { return string(e) }

func TestRemoveAsksFirst(t *testing.T) {
	fc := newFakeConsole(demoFleet()...)
	mw, q := openMainWindow(t, fc, nil)
	mw.tree.Select("a2")
	test.Tap(mw.removeBtn)
	if got := overlayText(mw.win); !strings.Contains(got, "Remove FS02 from this console?") {
		t.Fatalf("Remove did not ask first: %q", got)
	}
	// FS02 is offline: it has no link to close.
	if got := overlayText(mw.win); strings.Contains(got, "link") || !strings.Contains(got, "so do its backups") {
		t.Errorf("asked about an offline slave: %q", got)
	}
	tapButton(t, mw.win, "Cancel")
	q.runPending()
	if c := fc.called(); len(c) != 0 {
		t.Fatalf("Cancel still did %q", c)
	}
	test.Tap(mw.removeBtn)
	tapButton(t, mw.win, "Remove")
	q.runUntil(t, "the removal", func() bool { return slices.Contains(fc.called(), "remove FS02") })

	mw.tree.Select("a1") // connected
	test.Tap(mw.removeBtn)
	if got := overlayText(mw.win); !strings.Contains(got, "Its link is closed") {
		t.Errorf("asked about a connected slave: %q", got)
	}
}

func TestConnectAndDisconnectFollowTheState(t *testing.T) {
	fc := newFakeConsole(demoFleet()...)
	mw, q := openMainWindow(t, fc, nil)
	mw.tree.Select("a1")
	if mw.connBtn.Text != toolDisconnect {
		t.Fatalf("a connected slave offers %q", mw.connBtn.Text)
	}
	test.Tap(mw.connBtn)
	mw.tree.Select("c1")
	if mw.connBtn.Text != toolConnect {
		t.Fatalf("a disabled slave offers %q", mw.connBtn.Text)
	}
	test.Tap(mw.connBtn)
	q.runUntil(t, "both calls", func() bool {
		c := fc.called()
		return slices.Contains(c, "disconnect FS01") && slices.Contains(c, "connect lab-pc")
	})

	// One that is offline, or failing, can be disconnected too, so the
	// console stops trying it; Refresh tries it now instead.
	for _, id := range []string{"a2", "a3"} {
		mw.tree.Select(id)
		if mw.connBtn.Text != toolDisconnect {
			t.Fatalf("%s offers %q", id, mw.connBtn.Text)
		}
	}
	test.Tap(mw.refreshBtn)
	test.Tap(mw.connBtn)
	q.runUntil(t, "a try now, then a disconnect", func() bool {
		c := fc.called()
		return slices.Contains(c, "connect BACKUP-7") && slices.Contains(c, "disconnect BACKUP-7")
	})
}

func TestEachShortcutTriggersItsAction(t *testing.T) {
	t.Run("Ctrl+N adds a slave", func(t *testing.T) {
		mw, _ := openMainWindow(t, newFakeConsole(demoFleet()...), nil)
		press(mw.win, shortcutAdd())
		if got := overlayText(mw.win); !strings.Contains(got, "Add Slave") {
			t.Errorf("Ctrl+N opened %q", got)
		}
	})
	t.Run("Ctrl+N adds a slave to the group selected, or the selected slave's", func(t *testing.T) {
		mw, _ := openMainWindow(t, newFakeConsole(demoFleet()...), nil)
		for id, want := range map[string]string{groupNodeID("Web"): "Web", "a2": "Office", "c1": ""} {
			mw.tree.Select(id)
			press(mw.win, shortcutAdd())
			if got := addSlaveGroup(t, mw.win); got != want {
				t.Errorf("with %s selected, the new slave's group is %q, want %q", id, got, want)
			}
			pressKey(mw.win, fyne.KeyEscape)
		}
	})
	t.Run("Ctrl+E edits the selected slave, also from the filter box", func(t *testing.T) {
		mw, _ := openMainWindow(t, newFakeConsole(demoFleet()...), nil)
		mw.tree.Select("a1")
		mw.win.Canvas().Focus(mw.filter)
		press(mw.win, shortcutEdit())
		if got := overlayText(mw.win); !strings.Contains(got, "Edit Slave FS01") {
			t.Errorf("Ctrl+E opened %q", got)
		}
	})
	t.Run("Delete removes the selected slave, from the tree", func(t *testing.T) {
		mw, _ := openMainWindow(t, newFakeConsole(demoFleet()...), nil)
		mw.tree.Select("a2")
		mw.win.Canvas().Focus(mw.tree)
		// Escape answers no; a second Delete, pressed by mistake behind
		// the question, does not stack another.
		keyOpensOnce(t, mw.win, fyne.KeyDelete, "Remove FS02")
	})
	t.Run("Escape, from the tree, selects nothing: the fleet's summary", func(t *testing.T) {
		mw, _ := openMainWindow(t, newFakeConsole(demoFleet()...), nil)
		mw.tree.Select("a2")
		mw.win.Canvas().Focus(mw.tree)
		if mw.detail.summary.obj.Visible() {
			t.Fatal("FS02 selected, the fleet's summary shows")
		}
		pressKey(mw.win, fyne.KeyEscape)
		if mw.tree.selected != "" || !mw.detail.summary.obj.Visible() || mw.detail.summary.title.Text != summaryAll {
			t.Errorf("after Escape: selected %q, the summary shows %v (%q)", mw.tree.selected,
				mw.detail.summary.obj.Visible(), mw.detail.summary.title.Text)
		}
		// View → All Servers does the same, from anywhere.
		mw.tree.Select(groupNodeID("Office"))
		if mw.detail.summary.title.Text != "Office" {
			t.Fatalf("Office selected, the summary is %q's", mw.detail.summary.title.Text)
		}
		menuItemLabelled(mw.win.MainMenu().Items[3], itemAllServers).Action()
		if mw.tree.selected != "" || mw.detail.summary.title.Text != summaryAll {
			t.Errorf("after View → All Servers: selected %q, title %q", mw.tree.selected, mw.detail.summary.title.Text)
		}
	})
	t.Run("Delete in the filter box edits the filter", func(t *testing.T) {
		mw, _ := openMainWindow(t, newFakeConsole(demoFleet()...), nil)
		mw.tree.Select("a2")
		mw.win.Canvas().Focus(mw.filter)
		pressKey(mw.win, fyne.KeyDelete)
		if got := overlayText(mw.win); got != "" {
			t.Errorf("Delete in the filter box opened %q", got)
		}
	})
	t.Run("Ctrl+Q is File → Quit's", func(t *testing.T) {
		mw, _ := openMainWindow(t, newFakeConsole(demoFleet()...), nil)
		if item := menuItemWithShortcut(mw.win.MainMenu(), shortcutQuit()); item == nil || !item.IsQuit {
			t.Errorf("Ctrl+Q is on %+v, not on the Quit item", item)
		}
	})
	t.Run("Ctrl+L opens the log window", func(t *testing.T) {
		// The log window runs its own background reads through fyne.Do:
		// here a stand-in records that it was asked for.
		opened := 0
		mw, _ := openMainWindow(t, newFakeConsole(demoFleet()...), nil)
		mw.opts.showLog = func() { opened++ }
		press(mw.win, shortcutLog())
		if opened != 1 {
			t.Errorf("Ctrl+L opened the log %d times", opened)
		}
	})
	t.Run("F5 refreshes, from the window and from the filter box", func(t *testing.T) {
		fc := newFakeConsole(demoFleet()...)
		mw, q := openMainWindow(t, fc, nil)
		before := fc.slavesRead()
		pressKey(mw.win, fyne.KeyF5)
		q.runUntil(t, "a fresh read", func() bool { return fc.slavesRead() > before })
		mw.win.Canvas().Focus(mw.filter)
		before = fc.slavesRead()
		pressKey(mw.win, fyne.KeyF5)
		q.runUntil(t, "a fresh read", func() bool { return fc.slavesRead() > before })
	})
	t.Run("Ctrl+F focuses the filter", func(t *testing.T) {
		mw, _ := openMainWindow(t, newFakeConsole(demoFleet()...), nil)
		press(mw.win, shortcutFilter())
		if mw.win.Canvas().Focused() != mw.filter {
			t.Errorf("focus is on %T", mw.win.Canvas().Focused())
		}
	})
}

// A menu item's shortcut fires by itself in Fyne 2.7 and wins over a window
// shortcut: no key may be bound twice.
func TestEveryShortcutIsBoundOnce(t *testing.T) {
	mw, _ := openMainWindow(t, newFakeConsole(), nil)
	seen := map[string]string{}
	shown := map[string]string{}
	for _, m := range mw.win.MainMenu().Items {
		for _, it := range m.Items {
			if k, ok := it.Shortcut.(shownKey); ok {
				shown[it.Label] = (&desktop.CustomShortcut{KeyName: k.key, Modifier: k.mod}).ShortcutName()
				continue
			}
			if it.Shortcut == nil {
				continue
			}
			name := it.Shortcut.ShortcutName()
			if other, dup := seen[name]; dup {
				t.Errorf("%s is bound to %s and %s", name, other, it.Label)
			}
			seen[name] = "menu " + it.Label
		}
	}
	for name := range mw.windowShortcuts() {
		if other, dup := seen[name]; dup {
			t.Errorf("%s is bound to %s and the window", name, other)
		}
		seen[name] = "window"
	}
	if len(seen) != 10 {
		t.Errorf("bound shortcuts %v, want Ctrl+N, Ctrl+Q, Ctrl+L, Ctrl+B, Ctrl+Shift+A, Ctrl+R, Ctrl+Shift+R, Ctrl+Shift+F, Ctrl+E, Ctrl+F", seen)
	}
	// The keys a menu only shows are the window's own: Ctrl+E one of its
	// shortcuts, F5, Delete, Escape and F1 the plain keys its key handler
	// takes.
	want := map[string]string{
		itemAllServers: (&desktop.CustomShortcut{KeyName: fyne.KeyEscape}).ShortcutName(),
		itemKeys:       (&desktop.CustomShortcut{KeyName: fyne.KeyF1}).ShortcutName(),
		itemRefresh:    (&desktop.CustomShortcut{KeyName: fyne.KeyF5}).ShortcutName(),
		itemEditSlave:  shortcutEdit().ShortcutName(),
		itemRemoveSlav: (&desktop.CustomShortcut{KeyName: fyne.KeyDelete}).ShortcutName(),
	}
	if !maps.Equal(shown, want) {
		t.Errorf("menu items showing a key bound elsewhere: %v, want %v", shown, want)
	}
	if seen[want[itemEditSlave]] != "window" {
		t.Errorf("Edit… shows Ctrl+E, which the window does not bind")
	}
}

func TestTheWelcomePanelShowsUntilTheFirstSlave(t *testing.T) {
	m := mastertest.Start(t, mastertest.Options{Listen: true})
	mw, q := openMainWindow(t, m, nil)
	if !mw.welcome.Visible() || mw.split.Visible() {
		t.Fatal("no welcome panel on an empty console")
	}
	texts := strings.Join(textsIn(mw.welcome), "\n")
	for _, want := range []string{"Outbound: the console dials the server", "Inbound: the server dials the console",
		welcomeAddLabel, welcomeListenLabel, welcomeMovingText, itemImport} {
		if !strings.Contains(texts, want) {
			t.Errorf("the welcome panel lacks %q", want)
		}
	}
	if _, err := m.AddSlave(master.SlaveSpec{Name: "FS09", Direction: store.Inbound, Password: []byte("pw")}); err != nil {
		t.Fatal(err)
	}
	q.runUntil(t, "the tree to replace the welcome panel", func() bool { return !mw.welcome.Visible() && mw.split.Visible() })
	if got := rowTexts(mw); !slices.Equal(got, []string{"[Ungrouped] 0 of 1 connected", "FS09 | offline | ← in | "}) {
		t.Errorf("rows %q", got)
	}
}

func TestWelcomeListenButtonOpensTheSettingsWithListenTicked(t *testing.T) {
	fc := newFakeConsole()
	fc.settings.Listen = false
	mw, _ := openMainWindow(t, fc, nil)
	for _, o := range test.LaidOutObjects(mw.welcome) {
		if b, ok := o.(interface {
			fyne.Tappable
			fyne.CanvasObject
		}); ok && slices.Contains(textsIn(b), welcomeListenLabel) {
			test.Tap(b)
			break
		}
	}
	if got := overlayText(mw.win); !strings.Contains(got, settingsTitle) {
		t.Fatalf("the button opened %q", got)
	}
}

// A second console gets the fleet from the first's export: the welcome
// panel offers the import beside adding one by one.
func TestWelcomeImportButtonAsksForTheFile(t *testing.T) {
	mw, _ := openMainWindow(t, newFakeConsole(), nil)
	test.Tap(buttonIn(t, mw.welcome, itemImport))
	if got := overlayText(mw.win); !strings.Contains(got, "Open") {
		t.Fatalf("the button opened %q, want the file dialog", got)
	}
}

func TestTheWindowRemembersItsSizeAndSplit(t *testing.T) {
	fc := newFakeConsole(demoFleet()...)
	mw, q := openMainWindow(t, fc, nil)
	mw.win.Resize(fyne.NewSize(900, 600))
	mw.split.SetOffset(0.41)
	closeMainWindow(t, mw, q)

	again := newMainWindow(fyne.CurrentApp(), fc, nil, windowOptions{do: q.do, now: mw.opts.now, interval: mw.opts.interval})
	defer closeMainWindow(t, again, q)
	if got := again.win.Canvas().Size(); got != fyne.NewSize(900, 600) {
		t.Errorf("size %v, want 900×600", got)
	}
	if again.split.Offset != 0.41 {
		t.Errorf("split %v, want 0.41", again.split.Offset)
	}
}

func TestMainWindowGoldens(t *testing.T) {
	t.Run("with slaves", func(t *testing.T) {
		mw, _ := openMainWindow(t, newFakeConsole(demoFleet()...), nil)
		mw.win.Resize(fyne.NewSize(1100, 700))
		mw.tree.Select("a1")
		test.AssertRendersToMarkup(t, "mainwindow_slaves.xml", mw.win.Canvas())
	})
	t.Run("welcome", func(t *testing.T) {
		mw, _ := openMainWindow(t, newFakeConsole(), nil)
		mw.win.Resize(fyne.NewSize(1100, 700))
		test.AssertRendersToMarkup(t, "mainwindow_welcome.xml", mw.win.Canvas())
	})
}

// findItem returns the item labelled item in the menu labelled menu, or nil.
func findItem(m *fyne.MainMenu, menu, item string) *fyne.MenuItem {
	for _, mm := range m.Items {
		if mm.Label != menu {
			continue
		}
		for _, it := range mm.Items {
			if it.Label == item {
				return it
			}
		}
	}
	return nil
}

// describe lists the menus and their items, for failure messages.
func describe(m *fyne.MainMenu) string {
	s := ""
	for _, mm := range m.Items {
		s += mm.Label + "["
		for i, it := range mm.Items {
			if i > 0 {
				s += ", "
			}
			s += it.Label
		}
		s += "] "
	}
	return s
}

func TestAnUnknownSlaveIsOfferedOnceAndOnlyWhenNew(t *testing.T) {
	fc := newFakeConsole(demoFleet()...)
	mw, q := openMainWindow(t, fc, nil)
	fc.publish(master.Event{Kind: "unknown_slave", Slave: "FS77", Remote: "198.51.100.9:50000"})
	q.runUntil(t, "the prompt", func() bool { return strings.Contains(overlayText(mw.win), "FS77") })
	mw.win.Canvas().Overlays().Top().Hide()
	mw.win.Canvas().Overlays().Remove(mw.win.Canvas().Overlays().Top())

	fc.publish(master.Event{Kind: "unknown_slave", Slave: "fs77", Remote: "198.51.100.9:50001"})
	fc.publish(master.Event{Kind: "unknown_slave", Slave: "FS01", Remote: "198.51.100.9:50002"}) // has an entry
	marker := demoFleet()[1]                                                                     // FS02 connects: once shown, the events before it were applied
	marker.State = master.StateConnected
	fc.set(marker)
	q.runUntil(t, "the events to be applied", func() bool { return strings.Contains(rowOf(mw, "FS02"), "| connected |") })
	if got := overlayText(mw.win); got != "" {
		t.Errorf("asked again: %q", got)
	}
}

func TestTheFirstSlaveAddedIsSelectedButNothingIsAtStart(t *testing.T) {
	fc := newFakeConsole(demoFleet()...)
	mw, _ := openMainWindow(t, fc, nil)
	if mw.tree.selected != "" {
		t.Errorf("%q is selected at start", mw.tree.selected)
	}

	empty := newFakeConsole()
	mw, q := openMainWindow(t, empty, nil)
	empty.set(demoFleet()[0])
	q.runUntil(t, "the first slave to be selected", func() bool { return mw.tree.selected == "a1" })
	if got := mw.detail.title.Text; got != "FS01" {
		t.Errorf("the detail pane shows %q", got)
	}
}

// A slave added from the window is selected in the tree once the fleet
// shows it, a filter that would hide it cleared, so that what the window
// shows next is the server just added, not the one selected before.
func TestASlaveAddedFromTheWindowIsSelected(t *testing.T) {
	noLeaksAfter(t)
	c := mastertest.Start(t, mastertest.Options{Listen: true})
	for _, name := range []string{"FS01", "FS02"} {
		if _, err := c.AddSlave(master.SlaveSpec{Name: name, Direction: store.Inbound, Password: []byte("pw")}); err != nil {
			t.Fatal(err)
		}
	}
	mw, q := openMainWindow(t, c, nil)
	q.runUntil(t, "the two slaves in the tree", func() bool { return rowOf(mw, "FS01") != "" && rowOf(mw, "FS02") != "" })
	first, _ := mw.model.idOf("FS01")
	mw.tree.Select(first)
	mw.filter.SetText("fs01")

	d := mw.newSlaveDialog("")
	d.show()
	typeInto(d.name, "FS09")
	d.direction.SetSelected(directionInbound)
	typeInto(d.password, "pw")
	test.Tap(d.save)
	q.runUntil(t, "the slave added to be selected", func() bool {
		id, ok := mw.model.idOf("FS09")
		return ok && mw.tree.selected == id
	})
	if mw.filter.Text != "" {
		t.Errorf("the filter %q still hides the slave added", mw.filter.Text)
	}
	if got := mw.detail.title.Text; got != "FS09" {
		t.Errorf("the detail pane shows %q", got)
	}
}

func TestARightClickOnATreeRowOpensItsMenu(t *testing.T) {
	fc := newFakeConsole(demoFleet()...)
	mw, q := openMainWindow(t, fc, nil)
	var backupsOf string
	mw.opts.backups = func(node string) { backupsOf = node }
	rightClick := func(id string) []string {
		t.Helper()
		r, ok := mw.tree.bound[id].(fyne.SecondaryTappable)
		if !ok {
			t.Fatalf("row %s is not on screen, or takes no right click", id)
		}
		test.TapSecondary(r)
		if mw.tree.selected != id {
			t.Fatalf("a right click on %s selected %q", id, mw.tree.selected)
		}
		return textsIn(mw.win.Canvas().Overlays().Top())
	}

	// A disconnected slave: the Slave menu's items, with Connect.
	items := rightClick("c1")
	for _, want := range []string{itemEditSlave, toolConnect, itemPassword, itemRunTask, itemRemoveSlav} {
		if !slices.Contains(items, want) {
			t.Fatalf("lab-pc's menu lacks %q: %q", want, items)
		}
	}
	if run := menuItemLabelled(mw.rowMenu("c1"), itemRunTask); run == nil || !run.Disabled {
		t.Fatalf("lab-pc, not linked, is offered Run Task: %+v", run)
	}
	if find := menuItemLabelled(mw.rowMenu("c1"), taskFind); find == nil || !find.Disabled {
		t.Fatalf("lab-pc, not linked, is offered Find a File…: %+v", find)
	}
	tapMenuItem(t, mw.win, toolConnect)
	q.runUntil(t, "the connect", func() bool { return slices.Contains(fc.called(), "connect lab-pc") })

	// A connected one offers Disconnect, and Run Task as the toolbar
	// does; Remove… asks first.
	if items := rightClick("a1"); !slices.Contains(items, toolDisconnect) || slices.Contains(items, toolConnect) {
		t.Fatalf("FS01's menu: %q", items)
	}
	if run := menuItemLabelled(mw.rowMenu("a1"), itemRunTask); run == nil || run.Disabled != mw.runBtn.Disabled() {
		t.Fatalf("FS01's Run Task, disabled %v, unlike the toolbar's", run.Disabled)
	}
	tapMenuItem(t, mw.win, itemRemoveSlav)
	if got := overlayText(mw.win); !strings.Contains(got, "Remove FS01 from this console?") {
		t.Fatalf("Remove… did not ask first: %q", got)
	}
	tapButton(t, mw.win, "Cancel")

	// A group: its backups, and a new slave in it.
	rightClick(groupNodeID("Office"))
	tapMenuItem(t, mw.win, itemGroupBackups)
	if backupsOf != groupNodeID("Office") {
		t.Fatalf("the group's Backups opened %q", backupsOf)
	}
	rightClick(groupNodeID("Web"))
	tapMenuItem(t, mw.win, itemGroupAdd)
	if got := addSlaveGroup(t, mw.win); got != "Web" {
		t.Fatalf("Add Slave to This Group… opened the dialog with group %q", got)
	}
	pressKey(mw.win, fyne.KeyEscape)

	// The Menu key opens the selected row's menu, the tree focused or not.
	for _, focus := range []bool{true, false} {
		mw.tree.Select("b2")
		if focus {
			mw.win.Canvas().Focus(mw.tree)
		} else {
			mw.win.Canvas().Unfocus()
		}
		pressKey(mw.win, desktop.KeyMenu)
		if items := textsIn(mw.win.Canvas().Overlays().Top()); !slices.Contains(items, toolDisconnect) {
			t.Fatalf("the Menu key (tree focused %v) opened %q", focus, items)
		}
		mw.win.Canvas().Overlays().Top().Hide() // a pop-up leaves the overlays as it hides
		if top := mw.win.Canvas().Overlays().Top(); top != nil {
			t.Fatalf("still open: %q", textsIn(top))
		}
	}

	// A left click on a row still selects it, as the tree's own does.
	test.Tap(mw.tree.bound["b1"].(fyne.Tappable))
	if mw.tree.selected != "b1" {
		t.Fatalf("a click selected %q", mw.tree.selected)
	}
}

// A slave's notes show in its Overview, and no Notes row for one that
// has none.
func TestTheOverviewShowsTheNotes(t *testing.T) {
	fleet := demoFleet()
	fleet[1].Notes = "rack 4; call Bob on 555-0100"
	mw, _ := openMainWindow(t, newFakeConsole(fleet...), nil)
	mw.tree.Select("a2")
	if n := mw.detail.values[fNotes]; !n.Visible() || n.Text != "rack 4; call Bob on 555-0100" {
		t.Fatalf("FS02's notes: shown %v, %q", n.Visible(), n.Text)
	}
	mw.tree.Select("a1")
	if mw.detail.values[fNotes].Visible() || mw.detail.keys[fNotes].Visible() {
		t.Fatal("a Notes row for FS01, which has none")
	}
}

// An older agent's status names no version: the Overview shows the one
// its link announced, as a version, not as the program's name.
func TestTheOverviewShowsTheVersionAnOlderAgentsLinkAnnounced(t *testing.T) {
	fleet := demoFleet()
	fleet[0].Status.AgentVersion = ""
	mw, _ := openMainWindow(t, newFakeConsole(fleet...), nil)
	mw.tree.Select("a1")
	if got := mw.detail.values[fAgent].Text; got != "1.0.0" {
		t.Fatalf("%s = %q, want the link's 1.0.0", fAgent, got)
	}
}

// The Slave menu offers what applies to the selection, as the toolbar
// does: nothing with no server selected, Connect or Disconnect as the
// server stands, Run Task only for one linked; and it is rebuilt (which
// closes a menu open in the bar) only when that changes.
func TestTheSlaveMenuFollowsTheSelection(t *testing.T) {
	fc := newFakeConsole(demoFleet()...)
	mw, q := openMainWindow(t, fc, nil)
	slaveMenu := func() []*fyne.MenuItem {
		t.Helper()
		for _, m := range mw.win.MainMenu().Items {
			if m.Label == menuSlave {
				return m.Items
			}
		}
		t.Fatalf("no Slave menu: %s", describe(mw.win.MainMenu()))
		return nil
	}
	enabled := func() (labels []string) {
		for _, it := range slaveMenu() {
			if !it.IsSeparator && !it.Disabled {
				labels = append(labels, it.Label)
			}
		}
		return labels
	}
	if got := enabled(); len(got) != 0 {
		t.Fatalf("with nothing selected the Slave menu offers %q", got)
	}

	mw.tree.Select("a1") // FS01, connected
	want := []string{itemEditSlave, toolDisconnect, itemMute, itemPassword, itemAudit, itemRemoveSlav}
	if !mw.runBtn.Disabled() {
		want = slices.Insert(want, 4, itemRunTask, taskFind)
	}
	if got := enabled(); !slices.Equal(got, want) {
		t.Fatalf("for FS01 the Slave menu offers %q, want %q", got, want)
	}

	mw.tree.Select("c1") // lab-pc, disconnected by the user
	if got := enabled(); !slices.Contains(got, toolConnect) || slices.Contains(got, itemRunTask) || slices.Contains(got, taskFind) {
		t.Fatalf("for lab-pc the Slave menu offers %q, want Connect and no Run Task nor Find a File…", got)
	}

	// Another server's change leaves the menu as it was built.
	before := slaveMenu()[0]
	v, _ := fc.Slave("FS02")
	v.State = master.StateConnected
	fc.set(v)
	q.runUntil(t, "FS02 to show connected", func() bool { return strings.Contains(rowOf(mw, "FS02"), "| connected |") })
	if slaveMenu()[0] != before {
		t.Error("FS02's change rebuilt the Slave menu of lab-pc")
	}
	// The selection's own change is followed.
	v, _ = fc.Slave("lab-pc")
	v.State = master.StateConnecting
	fc.set(v)
	q.runUntil(t, "lab-pc's menu to offer Disconnect", func() bool { return slices.Contains(enabled(), toolDisconnect) })
}

// A slave at whose address another program answers (a web server's port
// typed by mistake) says so in its tree row and its Overview, in words a
// person can act on rather than "protocol error".
func TestASlaveWhereAnotherProgramAnswersSaysSo(t *testing.T) {
	fc := newFakeConsole(demoFleet()...)
	mw, q := openMainWindow(t, fc, nil)
	v, _ := mw.model.view("a1")
	v.State, v.LastCode = master.StateError, string(wire.CodeNotLanyard)
	v.LastError = `10.0.0.21:16888 is not a Lanyard agent: a web server answered ("HTTP/1.1 400 Bad Request"); check the address and port`
	fc.set(v)
	mw.tree.Select("a1")
	q.runUntil(t, "the error shown", func() bool { return mw.detail.problemTitle.Text == "Last error: not Lanyard" })
	if got := mw.detail.problemText.Text; got != `10.0.0.21:16888 is not a Lanyard agent: a web server answered ("HTTP/1.1 400 Bad Request"); check the address and port.` {
		t.Errorf("the Overview says %q", got)
	}
	if r := mw.tree.bound["a1"].(*slaveRow); r.state.Text != "not Lanyard" {
		t.Errorf("the tree row says %q", r.state.Text)
	}
}

// A linked slave that another agent claimed shows the refusal while the
// other may still be dialing, in its tree row and its Overview: a second
// installation may be the reinstalled agent, to trust; a copy of the one
// installation (a cloned server) is no one to trust. One not refused for
// a while has stopped.
func TestALinkedSlaveShowsTheRivalItRefused(t *testing.T) {
	fc := newFakeConsole(demoFleet()...)
	mw, q := openMainWindow(t, fc, nil)
	v, _ := mw.model.view("a1") // FS01, connected
	mw.tree.Select("a1")
	row := func() *slaveRow { return mw.tree.bound["a1"].(*slaveRow) }
	for _, tc := range []struct {
		code, title, word string
		trust             bool
	}{
		{string(wire.CodeDuplicateInstall), "Refused: another installation", "rival refused", true},
		{string(wire.CodeSharedInstall), "Refused: a copy of this server", "copy refused", false},
	} {
		v.Rival = master.Rival{Code: tc.code, Reason: "refused at 10.0.0.9: see why", From: "10.0.0.9", At: fixedNow.Add(-40 * time.Second)}
		fc.set(v)
		q.runUntil(t, tc.code+" shown", func() bool { return mw.detail.problemTitle.Text == tc.title })
		if !mw.detail.problem.Visible() || mw.detail.trust.Visible() != tc.trust ||
			mw.detail.problemText.Text != "Refused at 10.0.0.9: see why. Last refused 14:59:20 (40 s ago)." {
			t.Errorf("%s: problem %v %q, trust offered %v", tc.code, mw.detail.problem.Visible(), mw.detail.problemText.Text, mw.detail.trust.Visible())
		}
		if r := row(); r.state.Text != tc.word || r.state.Color != theme.Color(theme.ColorNameWarning) {
			t.Errorf("%s: the tree row says %q in %v", tc.code, r.state.Text, r.state.Color)
		}
	}
	// The row forgets the rival by itself once it may have stopped dialing.
	mw.tree.now = func() time.Time { return v.Rival.At.Add(master.RivalFresh) }
	mw.tree.refreshAges()
	if r := row(); r.state.Text != "connected" || r.state.Color == theme.Color(theme.ColorNameWarning) {
		t.Errorf("a rival gone stale: the tree row says %q in %v", r.state.Text, r.state.Color)
	}
	v.Rival.At = fixedNow.Add(-master.RivalFresh)
	fc.set(v)
	q.runUntil(t, "the rival that stopped dialing forgotten", func() bool { return !mw.detail.problem.Visible() })
}
