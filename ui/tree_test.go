package ui

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/lanyard/lanyard/core/master"
	"github.com/lanyard/lanyard/core/store"
	"github.com/lanyard/lanyard/internal/testkit"
	"github.com/lanyard/lanyard/internal/testkit/mastertest"
)

func TestAStateChangeRedrawsOneRowUnlessTheOrderDependsOnIt(t *testing.T) {
	m := newTreeModel()
	m.replaceAll(demoFleet())
	v, _ := m.view("a2")
	v.State = master.StateConnected

	c := m.apply([]master.SlaveView{v}, nil)
	if c.reshaped || !slices.Equal(c.rows, []string{"a2"}) {
		t.Errorf("sorted by name, a state change gave %+v; want row a2", c)
	}
	if got, _ := m.group(groupNodeID("Office")); got != (groupCount{total: 3, connected: 2}) {
		t.Errorf("Office counts %+v", got)
	}

	m.setOrder(sortByState)
	v.State = master.StateError
	if c := m.apply([]master.SlaveView{v}, nil); !c.reshaped {
		t.Errorf("sorted by state, a state change gave %+v; want a reshape", c)
	}
	if got := m.children(groupNodeID("Office")); !slices.Equal(got, []string{"a2", "a3", "a1"}) &&
		!slices.Equal(got, []string{"a3", "a2", "a1"}) {
		t.Errorf("errors first: %v", got)
	}
}

func TestMovesRenamesAndRemovalsReshapeTheTree(t *testing.T) {
	tests := []struct {
		name   string
		change func(v *master.SlaveView)
	}{
		{"moved to another group", func(v *master.SlaveView) { v.Group = "Lab" }},
		{"renamed", func(v *master.SlaveView) { v.Name = "AAA" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newTreeModel()
			m.replaceAll(demoFleet())
			v, _ := m.view("a1")
			tt.change(&v)
			if c := m.apply([]master.SlaveView{v}, nil); !c.reshaped {
				t.Errorf("got %+v, want a reshape", c)
			}
		})
	}
	t.Run("removed", func(t *testing.T) {
		m := newTreeModel()
		m.replaceAll(demoFleet())
		if c := m.apply(nil, []string{"c1"}); !c.reshaped || slices.Contains(m.groups, groupNodeID("")) {
			t.Errorf("got %+v, groups %v: the emptied Ungrouped branch should go", c, m.groups)
		}
		if m.counts.of(master.StateDisabled) != 0 || m.len() != 5 {
			t.Errorf("counts %v, %d slaves", m.counts, m.len())
		}
	})
}

func TestGroupsAreSortedWithUngroupedLast(t *testing.T) {
	m := newTreeModel()
	m.replaceAll([]master.SlaveView{
		{ID: "1", Name: "x", Group: "zeta"}, {ID: "2", Name: "y"}, {ID: "3", Name: "z", Group: "Alpha"}, {ID: "4", Name: "w", Group: "beta"},
	})
	want := []string{groupNodeID("Alpha"), groupNodeID("beta"), groupNodeID("zeta"), groupNodeID("")}
	if !slices.Equal(m.groups, want) {
		t.Errorf("groups %v, want %v", m.groups, want)
	}
}

// Numbered servers and groups are listed as people count: cust2 before
// cust10, Site 9 before Site 10, whatever the case.
func TestNamesAreSortedByTheirNumbers(t *testing.T) {
	m := newTreeModel()
	var fleet []master.SlaveView
	for i, name := range []string{"cust10", "Cust2", "cust1", "cust11", "cust3"} {
		fleet = append(fleet, master.SlaveView{ID: fmt.Sprint(i), Name: name, Group: []string{"Site 10", "site 9"}[i%2]})
	}
	m.replaceAll(fleet)
	if want := []string{groupNodeID("site 9"), groupNodeID("Site 10")}; !slices.Equal(m.groups, want) {
		t.Errorf("groups %v, want %v", m.groups, want)
	}
	var names []string
	for _, g := range m.groups {
		for _, id := range m.children(g) {
			v, _ := m.view(id)
			names = append(names, v.Name)
		}
	}
	if want := []string{"Cust2", "cust11", "cust1", "cust3", "cust10"}; !slices.Equal(names, want) {
		t.Errorf("listed %v, want %v", names, want)
	}
}

// The feed turns a burst of events into a few batches (at most one per
// interval, plus the first) that together carry every change.
func TestABurstOfEventsIsCoalescedIntoFewBatches(t *testing.T) {
	const n = 10000
	views := make([]master.SlaveView, n)
	for i := range views {
		views[i] = master.SlaveView{ID: fmt.Sprintf("%05d", i), Name: fmt.Sprintf("S%05d", i), State: master.StateConnected}
	}
	fc := newFakeConsole(views...)
	events := make(chan master.Event, 64)
	var (
		mu      sync.Mutex
		batches int
		got     = map[string]bool{}
	)
	f := newLiveFeed(fc, fc)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	const interval = 20 * time.Millisecond
	go func() {
		defer close(done)
		f.run(ctx, events, interval, func(b batch) {
			mu.Lock()
			defer mu.Unlock()
			batches++
			for _, v := range b.views {
				got[v.ID] = true
			}
		})
	}()
	start := time.Now()
	for _, v := range views {
		events <- master.Event{Kind: master.EventState, SlaveID: v.ID, Slave: v.Name, State: v.State}
	}
	elapsed := time.Since(start)
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		all := len(got) == n
		mu.Unlock()
		if all || time.Now().After(deadline) {
			break
		}
		select {
		case <-time.After(interval):
		case <-done:
		}
	}
	total := time.Since(start)
	cancel()
	<-done
	mu.Lock()
	defer mu.Unlock()
	if len(got) != n {
		t.Fatalf("batches carried %d of %d changes", len(got), n)
	}
	if limit := int(total/interval) + 2; batches > limit {
		t.Errorf("%d batches in %v (events sent in %v): more than one per %v", batches, total, elapsed, interval)
	}
}

// Against a real console: an outbound slave that links to an in-process
// agent and an inbound one that never dials in.
func TestALiveFleetShowsItsStatesAndFollowsThem(t *testing.T) {
	noLeaksAfter(t)
	m := mastertest.Start(t, mastertest.Options{Listen: true})
	a := testkit.Agent(t, testkit.AgentOptions{Name: "FS01", Password: "pw1", Listen: true})
	if _, err := m.AddSlave(master.SlaveSpec{Name: "FS01", Group: "Office", Direction: store.Outbound, Address: a.ListenAddr(), Password: []byte("pw1")}); err != nil {
		t.Fatal(err)
	}
	if _, err := m.AddSlave(master.SlaveSpec{Name: "FS02", Direction: store.Inbound, Password: []byte("pw2")}); err != nil {
		t.Fatal(err)
	}
	mw, q := openMainWindow(t, m, nil)

	q.runUntil(t, "FS01 to connect", func() bool { return rowOf(mw, "FS01") == "FS01 | connected | out → | ssl-off" })
	if got := rowTexts(mw); !slices.Equal(got, []string{
		"[Office] 1 of 1 connected", "FS01 | connected | out → | ssl-off",
		"[Ungrouped] 0 of 1 connected", "FS02 | offline | ← in | ",
	}) {
		t.Errorf("rows %q", got)
	}
	// FS02 never linked: nobody knows its tasks, which the bar says.
	wantStatus := fmt.Sprintf("1 connected · 1 offline · backups: 1 server never linked · listening on %s (no SSL)", m.ListenAddr())
	if got := mw.status.text(); got != wantStatus {
		t.Errorf("status bar %q, want %q", got, wantStatus)
	}

	t.Run("selecting it fills the overview from the agent", func(t *testing.T) {
		mw.tree.Select(idOf(t, mw, "FS01"))
		q.runUntil(t, "host details", func() bool { return mw.detail.values[fHost].Text != none })
		if got := mw.detail.values[fAgent].Text; got != "test" {
			t.Errorf("agent version %q", got)
		}
		if got := mw.detail.values[fRemote].Text; got != a.ListenAddr() {
			t.Errorf("remote %q, want %q", got, a.ListenAddr())
		}
		if mw.detail.values[fRTT].Text == none {
			t.Error("no round-trip time")
		}
	})
	t.Run("disconnect and connect again", func(t *testing.T) {
		tapButtonIn(t, mw.connBtn, toolDisconnect)
		q.runUntil(t, "FS01 disabled", func() bool { return rowOf(mw, "FS01") == "FS01 | disabled | out → | " })
		if !mw.detail.problem.Visible() || mw.detail.problemTitle.Text != "Disconnected" {
			t.Errorf("detail after Disconnect: %q", mw.detail.problemTitle.Text)
		}
		tapButtonIn(t, mw.connBtn, toolConnect)
		q.runUntil(t, "FS01 connected again", func() bool { return rowOf(mw, "FS01") == "FS01 | connected | out → | ssl-off" })
	})
	t.Run("remove asks, then removes", func(t *testing.T) {
		mw.tree.Select(idOf(t, mw, "FS02"))
		pressKey(mw.win, fyne.KeyDelete)
		tapButton(t, mw.win, "Remove")
		q.runUntil(t, "FS02 to leave the tree", func() bool { return rowOf(mw, "FS02") == "" && mw.tree.selected == "" })
		if n := len(m.Slaves()); n != 1 {
			t.Errorf("the console still has %d slaves", n)
		}
		if got := mw.status.counts.Text; got != "1 connected · 0 offline" {
			t.Errorf("counts %q", got)
		}
	})
}

// tapButtonIn taps b after checking its label.
func tapButtonIn(t *testing.T, b *widget.Button, label string) {
	t.Helper()
	if b.Text != label || b.Disabled() {
		t.Fatalf("the button says %q (disabled %v), want %q", b.Text, b.Disabled(), label)
	}
	test.Tap(b)
}

// A group of one whose slave changes state keeps its counts (the group is
// not forgotten while its only slave is being updated).
func TestAGroupOfOneFollowsItsSlave(t *testing.T) {
	m := newTreeModel()
	m.replaceAll([]master.SlaveView{{ID: "1", Name: "web", Group: "Web", State: master.StateOffline}})
	m.apply([]master.SlaveView{{ID: "1", Name: "web", Group: "Web", State: master.StateConnected}}, nil)
	if got, ok := m.group(groupNodeID("Web")); !ok || got != (groupCount{total: 1, connected: 1}) {
		t.Errorf("Web counts %+v (known %v), want 1 of 1 connected", got, ok)
	}
	m.apply([]master.SlaveView{{ID: "1", Name: "web", Group: "Lab", State: master.StateConnected}}, nil)
	if _, ok := m.group(groupNodeID("Web")); ok {
		t.Error("the emptied group Web is still known")
	}
	if got, _ := m.group(groupNodeID("Lab")); got != (groupCount{total: 1, connected: 1}) {
		t.Errorf("Lab counts %+v", got)
	}
}

// Refresh asks the agent again; the answer stays through later events of
// the same slave, because the window reads status from one place: the
// fleet's views.
func TestARefreshedStatusStaysThroughAnUnrelatedEvent(t *testing.T) {
	noLeaksAfter(t)
	m := mastertest.Start(t, mastertest.Options{Listen: true})
	a := testkit.Agent(t, testkit.AgentOptions{Name: "FS01", Password: "pw1", Listen: true})
	if _, err := m.AddSlave(master.SlaveSpec{Name: "FS01", Direction: store.Outbound, Address: a.ListenAddr(), Password: []byte("pw1")}); err != nil {
		t.Fatal(err)
	}
	mw, q := openMainWindow(t, m, nil)
	q.runUntil(t, "FS01 linked with its status", func() bool {
		v, ok := mw.model.view(idOf(t, mw, "FS01"))
		return ok && v.Status != nil
	})
	id := idOf(t, mw, "FS01")
	mw.tree.Select(id)
	shown := func() int64 { v, _ := mw.model.view(id); return v.Status.TimeUnixNano }
	before := shown()

	tapButtonIn(t, mw.refreshBtn, toolRefresh)
	q.runUntil(t, "the refreshed status", func() bool { return shown() > before })
	refreshed := shown()

	if _, err := m.EditSlave("FS01", master.SlaveSpec{Notes: "rack 4"}); err != nil {
		t.Fatal(err)
	}
	q.runUntil(t, "the edit", func() bool { v, _ := mw.model.view(id); return v.Notes == "rack 4" })
	if got := shown(); got != refreshed {
		t.Errorf("after an unrelated event the window shows the status of %d, want the refresh's %d", got, refreshed)
	}
}

func TestAFleetsCountsAreReadWithTheirThousandsGrouped(t *testing.T) {
	r := newGroupRow()
	r.set("Acme", groupCount{total: 19000, connected: 12345})
	if r.count.Text != "12,345 of 19,000 connected" {
		t.Errorf("the group row reads %q", r.count.Text)
	}
	var c stateCounts
	c[stateIndex(master.StateConnected)] = 18990
	c[stateIndex(master.StateOffline)] = 1005
	c[stateIndex(master.StateError)] = 5
	if got := countsText(&c); got != "18,990 connected · 1,005 offline · 5 errors" {
		t.Errorf("the status bar reads %q", got)
	}
}
