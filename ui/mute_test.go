package ui

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// A slave row's Mute Alerts mutes it for the time chosen: the tree marks
// the row, the Overview says until when and how to unmute, and Unmute,
// offered only then, ends it.
func TestASlaveIsMutedAndUnmutedFromItsMenu(t *testing.T) {
	fc := newFakeConsole(demoFleet()...)
	mw, q := openMainWindow(t, fc, nil)
	id := idOf(t, mw, "FS01")
	row := func() *slaveRow { return mw.tree.bound[id].(*slaveRow) }
	mute := menuItemLabelled(mw.rowMenu(id), itemMute)
	if mute == nil || mute.ChildMenu == nil {
		t.Fatalf("FS01's menu has no %s submenu", itemMute)
	}
	if un := menuItemLabelled(mute.ChildMenu, itemUnmute); un == nil || !un.Disabled {
		t.Fatalf("FS01, not muted, is offered Unmute: %+v", un)
	}
	mw.tree.Select(id)
	mw.showSelectedRowMenu()
	tapMenuItem(t, mw.win, itemMute)
	before := time.Now()
	tapMenuItem(t, mw.win, itemMuteHours)
	q.runUntil(t, "FS01 muted", func() bool {
		return slices.ContainsFunc(fc.called(), func(c string) bool { return strings.HasPrefix(c, "mute FS01 until ") }) && row().mute.Visible()
	})
	markAfterName := func(r *slaveRow) {
		t.Helper()
		if end := r.name.Position().X + r.name.MinSize().Width; r.mute.Position().X < end {
			t.Errorf("the mute mark at x=%v is over the name %q, which ends at x=%v", r.mute.Position().X, r.name.Text, end)
		}
	}
	markAfterName(row())
	v, _ := mw.model.view(id)
	// A row the tree binds to another muted slave, of a longer name.
	other := v
	other.Name = "FS01-with-a-longer-name"
	spare := newSlaveRow(mw.tree)
	spare.Resize(row().Size())
	spare.set(&v, fixedNow)
	spare.set(&other, fixedNow)
	markAfterName(spare)
	if v.MutedUntil.Before(before.Add(4*time.Hour)) || v.MutedUntil.After(time.Now().Add(4*time.Hour)) {
		t.Fatalf("For 4 Hours muted it until %v", v.MutedUntil)
	}
	if got := mw.detail.values[fAlerts]; !got.Visible() || !strings.HasPrefix(got.Text, "muted until ") || !strings.Contains(got.Text, itemUnmute) {
		t.Fatalf("the Overview's Alerts row: %q, shown %v", got.Text, got.Visible())
	}

	// Once the mute's time has come, the mark goes by itself.
	mw.tree.now = func() time.Time { return v.MutedUntil.Add(time.Second) }
	mw.tree.refreshAges()
	if row().mute.Visible() {
		t.Fatal("the mute's mark stayed after its end")
	}

	mw.showSelectedRowMenu()
	tapMenuItem(t, mw.win, itemMute)
	tapMenuItem(t, mw.win, itemUnmute)
	q.runUntil(t, "FS01 unmuted, the Overview's Alerts row gone", func() bool {
		return slices.Contains(fc.called(), "unmute FS01") && !mw.detail.values[fAlerts].Visible()
	})
}

// A group row's Mute Alerts in This Group mutes each of its servers;
// its Unmute, each that is muted.
func TestAGroupIsMutedAtOnce(t *testing.T) {
	fc := newFakeConsole(demoFleet()...)
	mw, q := openMainWindow(t, fc, nil)
	web := groupNodeID("Web")
	mw.tree.Select(web)
	mw.showSelectedRowMenu()
	tapMenuItem(t, mw.win, itemGroupMute)
	tapMenuItem(t, mw.win, itemMuteTomorrow)
	morning := time.Now().AddDate(0, 0, 1)
	want := []string{"mute web-1 until 08:00", "mute web-2 until 08:00"}
	q.runUntil(t, "both muted", func() bool {
		for _, name := range []string{"web-1", "web-2"} {
			if v, _ := mw.model.view(idOf(t, mw, name)); v.MutedUntil.IsZero() {
				return false
			}
		}
		return !slices.ContainsFunc(want, func(c string) bool { return !slices.Contains(fc.called(), c) })
	})
	for _, name := range []string{"web-1", "web-2"} {
		v, _ := mw.model.view(idOf(t, mw, name))
		if y, m, d := v.MutedUntil.Date(); y != morning.Year() || m != morning.Month() || d != morning.Day() {
			t.Errorf("%s muted until %v, want tomorrow", name, v.MutedUntil)
		}
	}
	if slices.ContainsFunc(fc.called(), func(c string) bool { return strings.Contains(c, "FS01") }) {
		t.Error("muting Web muted another group's server")
	}
	un := menuItemLabelled(menuItemLabelled(mw.rowMenu(web), itemGroupMute).ChildMenu, itemUnmute)
	if un == nil || un.Disabled {
		t.Fatal("Web, muted, is not offered Unmute")
	}
	un.Action()
	q.runUntil(t, "both unmuted", func() bool {
		return slices.Contains(fc.called(), "unmute web-1") && slices.Contains(fc.called(), "unmute web-2")
	})
}

// Until… asks for the mute's end: a date and time, or a time of day;
// what cannot be read is said, and the dialog stays.
func TestASlaveIsMutedUntilATimeTyped(t *testing.T) {
	fc := newFakeConsole(demoFleet()...)
	mw, q := openMainWindow(t, fc, nil)
	// The main menu's, with nothing selected, asks nothing.
	mw.tree.UnselectAll()
	menuItemLabelled(menuItemLabelled(mw.slaveMenu(), itemMute).ChildMenu, itemMuteUntil).Action()
	if got := overlayText(mw.win); got != "" {
		t.Fatalf("Until… with no server selected opened %q", got)
	}
	mw.tree.Select(idOf(t, mw, "FS02"))
	mw.showSelectedRowMenu()
	tapMenuItem(t, mw.win, itemMute)
	tapMenuItem(t, mw.win, itemMuteUntil)
	end, ok := mw.win.Canvas().Focused().(*dialogEntry)
	if !ok || !strings.Contains(overlayText(mw.win), "Mute Alerts of FS02") {
		t.Fatalf("Until… opened %q, focused %v", overlayText(mw.win), mw.win.Canvas().Focused())
	}
	end.SetText("soon")
	tapButton(t, mw.win, "Mute")
	if got := overlayText(mw.win); !strings.Contains(got, `"soon" is not a time`) {
		t.Fatalf("a time that cannot be read: the dialog says\n%s", got)
	}
	next := time.Now().AddDate(1, 0, 0)
	end.SetText(next.Format("2006-01-02") + " 07:45")
	// As it is typed, the dialog says the day it means, in place of the
	// problem shown before.
	at := time.Date(next.Year(), next.Month(), next.Day(), 7, 45, 0, 0, time.Local)
	if got := overlayText(mw.win); !strings.Contains(got, "Mutes until "+at.Format("Mon 2 Jan 2006 15:04")+".") || strings.Contains(got, "is not a time") {
		t.Errorf("a time typed: the dialog says\n%s", got)
	}
	end.OnSubmitted(end.Text) // Enter
	q.runUntil(t, "FS02 muted", func() bool { return slices.Contains(fc.called(), "mute FS02 until 07:45") })
	if overlayText(mw.win) != "" {
		t.Errorf("the dialog stayed open: %q", overlayText(mw.win))
	}
}

// The end of a mute typed reads with its weekday, and its year only when
// it is not this one's.
func TestTheEndOfAMuteTypedReadsWithItsDay(t *testing.T) {
	now := time.Date(2026, 12, 7, 20, 0, 0, 0, time.Local)
	for _, c := range []struct {
		until time.Time
		want  string
	}{
		{time.Date(2026, 12, 8, 7, 45, 0, 0, time.Local), "Tue 8 Dec 07:45"},
		{time.Date(2027, 1, 4, 8, 0, 0, 0, time.Local), "Mon 4 Jan 2027 08:00"},
	} {
		if got := muteUntilWords(c.until, now); got != c.want {
			t.Errorf("%v: %q, want %q", c.until, got, c.want)
		}
	}
}
