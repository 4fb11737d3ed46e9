package ui

import (
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/lanyard/lanyard/core/health"
	"github.com/lanyard/lanyard/core/master"
	"github.com/lanyard/lanyard/core/store"
)

// summaryFleet is demoFleet with backups: FS01 has a failed task its
// agent tries again at 15:10, web-2 an
// overdue one it was last known to have, and lab-pc (disabled) a failed one.
func summaryFleet() []master.SlaveView {
	vs := demoFleet()
	for i := range vs {
		switch vs[i].Name {
		case "FS01":
			vs[i].Backup = health.Summary{Counts: health.Counts{OK: 2, Failed: 1}, Worst: health.StateFailed,
				Retrying: 1, RetryAt: fixedNow.Add(10 * time.Minute)}
		case "FS02":
			vs[i].LastCode, vs[i].LastSeen = "dial_failed", fixedNow.Add(-50*time.Minute)
		case "web-2":
			vs[i].Backup = health.Summary{Counts: health.Counts{Overdue: 1}, Worst: health.StateOverdue, LastKnown: true}
		case "lab-pc":
			vs[i].Backup = health.Summary{Counts: health.Counts{Failed: 1}, Worst: health.StateFailed}
		}
	}
	return vs
}

// attentionNames are the names the summary lists, in order.
func attentionNames(p *summaryPane) []string {
	var out []string
	for _, r := range p.rows {
		if r.head.Visible() {
			out = append(out, r.name.Text)
		}
	}
	return out
}

func TestTheSummaryNamesWhatNeedsALookWorstFirst(t *testing.T) {
	mw, _ := openMainWindow(t, newFakeConsole(summaryFleet()...), nil)
	p := mw.detail.summary

	t.Run("nothing selected: the whole fleet", func(t *testing.T) {
		if !p.obj.Visible() || mw.detail.tabs.Visible() {
			t.Fatal("with nothing selected the detail pane does not show the fleet's summary")
		}
		if p.title.Text != summaryAll || p.states.Text != "6 servers: 2 connected · 1 offline · 1 connecting · 1 error · 1 disabled" {
			t.Errorf("title %q, states %q", p.title.Text, p.states.Text)
		}
		// web-1, connecting for the first time, has no task known yet.
		if p.backups.Text != "Backups: 2 ok · 2 failed · 1 overdue · 1 server never linked, so not watched." {
			t.Errorf("backups %q", p.backups.Text)
		}
		// The error first, then the one offline, then the failed backup,
		// then the overdue one; lab-pc, disabled by the user, not at all.
		if got, want := attentionNames(p), []string{"BACKUP-7", "FS02", "FS01", "web-2"}; !slices.Equal(got, want) {
			t.Errorf("named %v, want %v", got, want)
		}
		want := []string{"wrong password", "offline (unreachable), last seen 14:10:00 (50 min ago)", "backups: 1 failed (tried again at 15:10)",
			"backups: 1 overdue (last known)"}
		for i, w := range want {
			if got := p.rows[i].why.Text; got != w {
				t.Errorf("%s: %q, want %q", p.rows[i].name.Text, got, w)
			}
		}
		if p.allWell.Visible() || p.moreRow.Visible() {
			t.Error("all-well or more shown beside a full list")
		}
	})

	t.Run("a group: its own", func(t *testing.T) {
		mw.tree.Select(groupNodeID("Office"))
		if p.title.Text != "Office" || p.states.Text != "3 servers: 1 connected · 1 offline · 1 error" {
			t.Errorf("title %q, states %q", p.title.Text, p.states.Text)
		}
		if got, want := attentionNames(p), []string{"BACKUP-7", "FS02", "FS01"}; !slices.Equal(got, want) {
			t.Errorf("named %v, want %v", got, want)
		}
		if p.hint.Text != summaryPickGroup {
			t.Errorf("hint %q", p.hint.Text)
		}
	})

	t.Run("a name is a link to its server", func(t *testing.T) {
		mw.filter.SetText("web") // hides FS02
		link := p.rows[1].name
		test.TapAt(link, fyne.NewPos(link.Size().Width/2, link.Size().Height/2))
		if mw.tree.selected != "a2" || !mw.detail.tabs.Visible() || mw.detail.title.Text != "FS02" {
			t.Errorf("the link to FS02 selected %q (tabs shown %v, title %q)", mw.tree.selected, mw.detail.tabs.Visible(), mw.detail.title.Text)
		}
		if mw.filter.Text != "" {
			t.Errorf("the filter that hid FS02 still reads %q", mw.filter.Text)
		}
	})

	t.Run("a group with nothing to look at says so", func(t *testing.T) {
		mw.tree.Select(groupNodeID(""))
		if !p.allWell.Visible() || len(attentionNames(p)) != 0 {
			t.Errorf("the ungrouped lab-pc, disabled, shows all-well %v and names %v", p.allWell.Visible(), attentionNames(p))
		}
	})
}

// A linked server that refuses a copy of itself (a cloned VM dialing in
// under its name) needs a person as much as an error does, for as long
// as the copy keeps dialing.
func TestTheSummaryNamesALinkedServerThatACopyClaims(t *testing.T) {
	fc := newFakeConsole(demoFleet()...)
	mw, q := openMainWindow(t, fc, nil)
	p := mw.detail.summary
	if got, want := attentionNames(p), []string{"BACKUP-7", "FS02"}; !slices.Equal(got, want) {
		t.Fatalf("before: named %v, want %v", got, want)
	}
	v, _ := fc.Slave("web-2") // connected
	v.Rival = master.Rival{Code: "shared_install", From: "198.51.100.9", At: fixedNow.Add(-40 * time.Second)}
	fc.set(v)
	q.runUntil(t, "web-2 named", func() bool { return slices.Contains(attentionNames(p), "web-2") })
	if got, want := attentionNames(p), []string{"BACKUP-7", "web-2", "FS02"}; !slices.Equal(got, want) {
		t.Errorf("named %v, want %v", got, want)
	}
	if got, want := p.rows[1].why.Text, "a copy of this server at 198.51.100.9, refused 14:59:20 (40 s ago)"; got != want {
		t.Errorf("web-2: %q, want %q", got, want)
	}
	v.Rival.At = fixedNow.Add(-master.RivalFresh) // it stopped dialing
	fc.set(v)
	q.runUntil(t, "web-2 no longer named", func() bool { return !slices.Contains(attentionNames(p), "web-2") })
}

// A name under Needs a look opens its server on the tab that says why:
// the Tasks of one whose backups failed, the Overview of one in error,
// whichever tab was open before.
func TestTheSummaryOpensAServerOnTheTabThatSaysWhy(t *testing.T) {
	mw, _ := openMainWindow(t, newFakeConsole(summaryFleet()...), nil)
	for _, tc := range []struct{ name, tab string }{
		{"FS01", tabTasks},        // a failed backup
		{"BACKUP-7", tabOverview}, // wrong password
		{"web-2", tabTasks},       // overdue
		{"FS02", tabOverview},     // offline
	} {
		if got := tapNeedy(t, mw, tc.name); got != tc.tab {
			t.Errorf("%s opened on %q, want %q", tc.name, got, tc.tab)
		}
	}
}

// tapNeedy goes back to the fleet's summary, taps name under Needs a look
// and returns the tab its server opened on.
func tapNeedy(t *testing.T, mw *mainWindow, name string) string {
	t.Helper()
	mw.tree.UnselectAll()
	p := mw.detail.summary
	for _, r := range p.rows {
		if r.head.Visible() && r.name.Text == name {
			test.TapAt(r.name, fyne.NewPos(r.name.Size().Width/2, r.name.Size().Height/2))
			if mw.detail.title.Text != name {
				t.Fatalf("%s opened %s", name, mw.detail.title.Text)
			}
			return mw.detail.tabs.Selected().Text
		}
	}
	t.Fatalf("%s is not named: %v", name, attentionNames(p))
	return ""
}

// lastNeedy opens the window on the demo fleet with the given servers'
// backups, and returns it and the last n servers named under Needs a
// look, each as "name: why".
func lastNeedy(t *testing.T, n int, backups map[string]health.Summary) (*mainWindow, []string) {
	t.Helper()
	vs := demoFleet()
	for i := range vs {
		if b, ok := backups[vs[i].Name]; ok {
			vs[i].Backup = b
		}
	}
	mw, _ := openMainWindow(t, newFakeConsole(vs...), nil)
	p := mw.detail.summary
	names := attentionNames(p)
	var out []string
	for i := max(len(names)-n, 0); i < len(names); i++ {
		out = append(out, names[i]+": "+p.rows[i].why.Text)
	}
	return mw, out
}

// A server whose backups succeed may need a look still, after those whose
// backups failed or are overdue: one whose last verify found copies
// damaged (its backup cannot be trusted), then one whose destination may
// not take the next runs (so that its disk is freed before they fail),
// and last one whose last run could not read a file (a file is left out
// of its backups). A click on any of them opens its Tasks tab.
func TestTheSummaryNamesTheServersWhoseBackupsSucceedButNeedALook(t *testing.T) {
	full := health.Summary{Counts: health.Counts{OK: 2}, Worst: health.StateOK, Full: 1}
	for _, tc := range []struct {
		name string
		web2 health.Summary
		want []string
	}{
		{"a disk nearly full", health.Summary{}, []string{"FS01: 1 task's destination nearly full"}},
		{"damaged copies", health.Summary{Counts: health.Counts{OK: 1}, Worst: health.StateOK, Damaged: 1},
			[]string{"web-2: 1 task with damaged copies", "FS01: 1 task's destination nearly full"}},
		{"runs with warnings", health.Summary{Counts: health.Counts{OK: 3}, Worst: health.StateOK, Warned: 2},
			[]string{"FS01: 1 task's destination nearly full", "web-2: 2 tasks completed with warnings"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			backups := map[string]health.Summary{"FS01": full}
			if tc.web2 != (health.Summary{}) {
				backups["web-2"] = tc.web2
			}
			mw, got := lastNeedy(t, len(tc.want), backups)
			if !slices.Equal(got, tc.want) {
				t.Errorf("last named %q, want %q", got, tc.want)
			}
			for _, named := range got {
				name, _, _ := strings.Cut(named, ":")
				if tab := tapNeedy(t, mw, name); tab != tabTasks {
					t.Errorf("%s opened on %q, want its Tasks", name, tab)
				}
			}
		})
	}
}

func TestTheSummarysBackupsButtonOpensTheBackupsOfWhatItSums(t *testing.T) {
	test.NewTempApp(t)
	q := newUIQueue()
	var opened []string
	mw := newMainWindow(fyne.CurrentApp(), newFakeConsole(summaryFleet()...), nil, windowOptions{do: q.do,
		now: func() time.Time { return fixedNow }, interval: 10 * time.Millisecond,
		backups: func(node string) { opened = append(opened, node) }})
	mw.win.Show()
	t.Cleanup(func() { closeMainWindow(t, mw, q) })
	button := func() *widget.Button { return buttonIn(t, mw.detail.summary.obj, "Backups") }
	test.Tap(button())
	mw.tree.Select(groupNodeID("Web"))
	test.Tap(button())
	mw.tree.Select(groupNodeID(""))
	test.Tap(button())
	if want := []string{"", groupNodeID("Web"), groupNodeID("")}; !slices.Equal(opened, want) {
		t.Errorf("opened the Backups window on %q, want %q", opened, want)
	}
}

func TestTheSummaryNamesTheWorstFewAndCountsTheRest(t *testing.T) {
	m := newTreeModel()
	var vs []master.SlaveView
	for i := range 30 {
		v := master.SlaveView{ID: fmt.Sprintf("s%02d", i), Name: fmt.Sprintf("S%02d", i), Group: "Big",
			Direction: store.Inbound, State: master.StateOffline, LastSeen: fixedNow.Add(-time.Duration(i) * time.Hour)}
		if i%10 == 0 {
			v.State = master.StateConnected
		}
		vs = append(vs, v)
	}
	vs[7].LastSeen = time.Time{} // never seen: away the longest
	// Down within the same minute as S29 (at -29 h), the same site: by name.
	vs[1].LastSeen = fixedNow.Add(-29*time.Hour + 30*time.Second)
	m.replaceAll(vs)

	s := m.summarize(groupNodeID("Big"), fixedNow)
	var names []string
	for _, e := range s.attention {
		names = append(names, e.view.Name)
	}
	// 27 offline: the one never seen, then the longest away.
	want := []string{"S07", "S01", "S29", "S28", "S27", "S26", "S25", "S24"}
	if !slices.Equal(names, want) || s.more != 27-attentionMax {
		t.Errorf("named %v and %d more; want %v and %d more", names, s.more, want, 27-attentionMax)
	}
	if s.total != 30 || s.counts.of(master.StateOffline) != 27 || s.counts.of(master.StateConnected) != 3 {
		t.Errorf("total %d, counts %v", s.total, s.counts)
	}
	if got := m.summarize(groupNodeID("nobody"), fixedNow); got.total != 0 || len(got.attention) != 0 {
		t.Errorf("an unknown group summarises as %+v", got)
	}
}

// Many servers gone within a couple of minutes point to the network, and
// the summary says so; of a group, that they are all of it.
func TestTheSummarySaysWhenManyWentOfflineTogether(t *testing.T) {
	var vs []master.SlaveView
	for i := range 8 {
		vs = append(vs, master.SlaveView{ID: fmt.Sprintf("a%d", i), Name: fmt.Sprintf("acme-%d", i), Group: "Acme",
			Direction: store.Inbound, State: master.StateOffline, LastSeen: fixedNow.Add(-time.Hour + time.Duration(i)*10*time.Second)})
	}
	for i := range 3 { // elsewhere, gone one by one over the day
		vs = append(vs, master.SlaveView{ID: fmt.Sprintf("g%d", i), Name: fmt.Sprintf("globex-%d", i), Group: "Globex",
			Direction: store.Inbound, State: master.StateOffline, LastSeen: fixedNow.Add(-time.Duration(i+2) * time.Hour)})
	}
	fc := newFakeConsole(vs...)
	mw, q := openMainWindow(t, fc, nil)
	p := mw.detail.summary
	at := fixedNow.Add(-time.Hour).Format("15:04")
	if want := "8 servers went offline within 2 min, from " + at + ": a network outage (this console's connection, or their site's) is likelier than 8 servers down."; !p.outage.Visible() || p.outage.Text != want {
		t.Errorf("the fleet: %v %q, want %q", p.outage.Visible(), p.outage.Text, want)
	}
	mw.tree.Select(groupNodeID("Acme"))
	if !p.outage.Visible() || !strings.HasPrefix(p.outage.Text, "All 8 servers went offline") {
		t.Errorf("Acme: %v %q", p.outage.Visible(), p.outage.Text)
	}
	mw.tree.Select(groupNodeID("Globex"))
	if p.outage.Visible() {
		t.Errorf("Globex, whose servers went one by one: %q", p.outage.Text)
	}
	// Back up, but for four: too few to say.
	mw.tree.Select(groupNodeID("Acme"))
	for _, v := range vs[:4] {
		v.State = master.StateConnected
		fc.set(v)
	}
	q.runUntil(t, "four of Acme back", func() bool {
		s := mw.model.summarize(groupNodeID("Acme"), fixedNow)
		return s.counts.of(master.StateConnected) == 4
	})
	q.runPending()
	if p.outage.Visible() {
		t.Errorf("four offline: %q", p.outage.Text)
	}
}

// A console started after a night off has its inbound servers offline,
// last seen when it stopped, until they dial in again: for that while the
// summary and the tree wait for them rather than call them down or an
// outage.
func TestTheWindowWaitsForTheServersLinkedBeforeTheStart(t *testing.T) {
	stopped := fixedNow.Add(-20 * time.Hour) // the evening before
	var vs []master.SlaveView
	for i := range 7 {
		vs = append(vs, master.SlaveView{ID: fmt.Sprintf("a%d", i), Name: fmt.Sprintf("acme-%d", i), Group: "Acme",
			Direction: store.Inbound, State: master.StateOffline, LastSeen: stopped})
	}
	// Outbound: dialed at the start, and the dial failed; not awaited.
	vs = append(vs, master.SlaveView{ID: "o1", Name: "out-1", Group: "Acme", Direction: store.Outbound,
		State: master.StateOffline, LastSeen: stopped})
	fc := newFakeConsole(vs...)
	fc.started, fc.relinkUntil = fixedNow.Add(-10*time.Second), fixedNow.Add(80*time.Second)
	test.NewTempApp(t)
	q := newUIQueue()
	var clock atomic.Int64
	clock.Store(fixedNow.UnixNano())
	mw := newMainWindow(fyne.CurrentApp(), fc, nil, windowOptions{do: q.do,
		now: func() time.Time { return time.Unix(0, clock.Load()) }, interval: 10 * time.Millisecond, ages: 10 * time.Millisecond})
	mw.win.Show()
	t.Cleanup(func() { closeMainWindow(t, mw, q) })
	p := mw.detail.summary

	want := "7 servers linked before this console started have not dialed in again yet: they may take until " +
		fc.relinkUntil.Format("15:04:05") + "."
	if !p.awaited.Visible() || p.awaited.Text != want {
		t.Errorf("awaited: %v %q, want %q", p.awaited.Visible(), p.awaited.Text, want)
	}
	if p.outage.Visible() || p.allWell.Visible() {
		t.Errorf("while they may dial in: outage %v %q, all well %v", p.outage.Visible(), p.outage.Text, p.allWell.Visible())
	}
	if got := attentionNames(p); !slices.Equal(got, []string{"out-1"}) {
		t.Errorf("needs a look: %q, want only the outbound slave whose dial failed", got)
	}
	if a, o := rowOf(mw, "acme-1"), rowOf(mw, "out-1"); !strings.HasPrefix(a, "acme-1 | waiting… |") || !strings.HasPrefix(o, "out-1 | offline 20 h |") {
		t.Errorf("the tree's rows: %q and %q", a, o)
	}
	// One dials in; then the time they had runs out.
	vs[0].State = master.StateConnected
	fc.set(vs[0])
	q.runUntil(t, "six awaited", func() bool { return strings.HasPrefix(p.awaited.Text, "6 servers ") })
	clock.Add(int64(91 * time.Second))
	q.runUntil(t, "the outage line once their time ran out", func() bool { return p.outage.Visible() && !p.awaited.Visible() })
	if !strings.HasPrefix(p.outage.Text, "7 servers went offline within 2 min, from 13 Mar 19:00: ") {
		t.Errorf("outage %q", p.outage.Text)
	}
	if got := attentionNames(p); len(got) != 7 {
		t.Errorf("needs a look: %q, want the seven offline", got)
	}
	q.runUntil(t, "acme-1's row offline", func() bool { return strings.HasPrefix(rowOf(mw, "acme-1"), "acme-1 | offline 20 h |") })
}

func TestTheSummaryOffersToSortTheTreeForTheRest(t *testing.T) {
	var vs []master.SlaveView
	for i := range attentionMax + 3 {
		vs = append(vs, master.SlaveView{ID: fmt.Sprintf("s%02d", i), Name: fmt.Sprintf("S%02d", i), Group: "Big",
			Direction: store.Inbound, State: master.StateOffline})
	}
	mw, _ := openMainWindow(t, newFakeConsole(vs...), nil)
	p := mw.detail.summary
	if !p.moreRow.Visible() || !p.sortBtn.Visible() || p.more.Text != "… and 3 more. Sorted by State, the tree lists them all first, worst first." {
		t.Fatalf("more %v %q, sort button %v", p.moreRow.Visible(), p.more.Text, p.sortBtn.Visible())
	}
	test.Tap(p.sortBtn)
	if mw.sort.Selected != sortState || mw.model.order != sortByState {
		t.Fatalf("the tree is sorted by %q", mw.sort.Selected)
	}
	if p.sortBtn.Visible() || p.more.Text != "… and 3 more: the tree lists them first, worst first." {
		t.Errorf("after sorting: button %v, %q", p.sortBtn.Visible(), p.more.Text)
	}
}

func TestTheSummaryGolden(t *testing.T) {
	mw, _ := openMainWindow(t, newFakeConsole(summaryFleet()...), nil)
	mw.win.Resize(fyne.NewSize(1100, 700))
	mw.tree.Select(groupNodeID("Office"))
	test.AssertRendersToMarkup(t, "mainwindow_group.xml", mw.win.Canvas())
}

// The summary says which agent versions the servers ran at their last
// link, the most common first, so an upgrade round can be followed.
func TestTheSummarySaysWhichAgentVersionsTheServersRun(t *testing.T) {
	for _, c := range []struct {
		agents map[string]int
		want   string
	}{
		{map[string]int{}, ""},
		{map[string]int{"": 4}, ""},
		{map[string]int{"lanyard-agent 1.4.0": 12}, "Agents: all on 1.4.0."},
		{map[string]int{"lanyard-agent 1.3.2": 3, "lanyard-agent 1.4.0": 412, "": 2},
			"Agents: 1.4.0 on 412 · 1.3.2 on 3 · not known yet on 2."},
		{map[string]int{"lanyard-agent 1.4.0": 5, "lanyard-agent 1.3.2": 4, "lanyard-agent 1.2.0": 3, "lanyard-agent 1.1.0": 2, "lanyard-agent 1.0.0": 1},
			"Agents: 1.4.0 on 5 · 1.3.2 on 4 · 1.2.0 on 3 · 2 other versions on 3."},
		{map[string]int{"lanyard-agent 1.4.0\u202e": 1, "lanyard-agent 1.4.0": 1},
			`Agents: 1.4.0 on 1 · "1.4.0\u202e" on 1.`},
	} {
		if got := agentsText(c.agents); got != c.want {
			t.Errorf("agentsText(%v) = %q, want %q", c.agents, got, c.want)
		}
	}
}

// The summary's backups line counts the servers that never linked, whose
// backups nobody watches, also when no task is known at all (a fleet
// just added).
func TestTheSummaryCountsTheServersThatNeverLinked(t *testing.T) {
	for _, c := range []struct {
		counts health.Counts
		never  int
		want   string
	}{
		{health.Counts{OK: 3}, 0, "Backups: 3 ok."},
		{health.Counts{}, 0, "Backups: no tasks known yet."},
		{health.Counts{}, 2, "Backups: no tasks known yet · 2 servers never linked, so not watched."},
		{health.Counts{OK: 1, Failed: 1}, 1, "Backups: 1 ok · 1 failed · 1 server never linked, so not watched."},
	} {
		if got := backupsLine(c.counts, c.never); got != c.want {
			t.Errorf("%+v, %d never linked: %q, want %q", c.counts, c.never, got, c.want)
		}
	}
}

// A server's Overview says how its backups stand, red when a task failed,
// is overdue or has damaged copies, and follows the fleet's health.
func TestTheOverviewSaysHowTheServersBackupsStand(t *testing.T) {
	for _, c := range []struct {
		name string
		v    master.SlaveView
		want string
		bad  bool
	}{
		{"never linked", master.SlaveView{State: master.StateError}, "not known until it links", false},
		{"no tasks", master.SlaveView{State: master.StateConnected, LastSeen: fixedNow}, "no backup tasks", false},
		{"all well", master.SlaveView{State: master.StateConnected, LastSeen: fixedNow,
			Backup: health.Summary{Counts: health.Counts{OK: 3}, Warned: 1}},
			"3 ok · 1 task completed with warnings", false},
		{"offline, one failed", master.SlaveView{State: master.StateOffline, LastSeen: fixedNow,
			Backup: health.Summary{Counts: health.Counts{OK: 1, Failed: 1}, Full: 1, LastKnown: true}},
			"1 ok · 1 failed · 1 task's destination nearly full (last known)", true},
		{"damaged copies", master.SlaveView{State: master.StateConnected, LastSeen: fixedNow,
			Backup: health.Summary{Counts: health.Counts{OK: 2}, Damaged: 1}},
			"2 ok · 1 task with damaged copies", true},
	} {
		if got, bad := backupsField(&c.v); got != c.want || bad != c.bad {
			t.Errorf("%s: %q (bad %v), want %q (bad %v)", c.name, got, bad, c.want, c.bad)
		}
	}

	fc := newFakeConsole(demoFleet()...)
	mw, q := openMainWindow(t, fc, nil)
	mw.tree.Select(idOf(t, mw, "FS01"))
	v, _ := fc.Slave("FS01")
	v.Backup = health.Summary{Counts: health.Counts{OK: 1, Failed: 1}, Worst: health.StateFailed}
	fc.set(v)
	l := mw.detail.values[fBackups]
	q.runUntil(t, "the Overview to follow", func() bool { return strings.HasPrefix(l.Text, "1 ok · 1 failed") })
	if l.Importance != widget.DangerImportance {
		t.Errorf("a failed task's line has importance %v", l.Importance)
	}
	if !mw.detail.tasksLink.Visible() {
		t.Fatal("no link to the Tasks tab beside the Backups line")
	}
	link := mw.detail.tasksLink
	test.TapAt(link, fyne.NewPos(link.Size().Width/2, link.Size().Height/2)) // a link takes a tap on its words

	if got := mw.detail.tabs.Selected().Text; got != tabTasks {
		t.Errorf("the link beside the Backups line opened the %s tab", got)
	}
}
