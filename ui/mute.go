package ui

import (
	"context"
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/lanyard/lanyard/core/human"
	"github.com/lanyard/lanyard/core/master"
)

// Mute Alerts: a server in maintenance, or a whole group, stays linked
// and managed while nothing of it is announced until the mute ends
// (master.Mute). A submenu of the Slave menu, a slave row's and a group
// row's context menus.

// Labels of the Mute Alerts submenu.
const (
	itemMute         = "Mute Alerts"
	itemGroupMute    = "Mute Alerts in This Group"
	itemMuteHour     = "For 1 Hour"
	itemMuteHours    = "For 4 Hours"
	itemMuteTomorrow = "Until Tomorrow 08:00"
	itemMuteUntil    = "Until…"
	itemUnmute       = "Unmute"
	muteUntilHint    = "18:30, or 2026-12-24 08:00"
	muteLayout       = "2 Jan 15:04"
)

// muteChoices are the submenu's ends, at now: each item's label and the
// mute's end (zero: Unmute).
func muteChoices(now time.Time) []struct {
	label string
	until time.Time
} {
	n := now.Local()
	morning := time.Date(n.Year(), n.Month(), n.Day()+1, 8, 0, 0, 0, time.Local)
	return []struct {
		label string
		until time.Time
	}{{itemMuteHour, now.Add(time.Hour)}, {itemMuteHours, now.Add(4 * time.Hour)}, {itemMuteTomorrow, morning}, {itemUnmute, time.Time{}}}
}

// muteItem is a Mute Alerts submenu labelled label, of what (a slave's
// or a group's name, when chosen), whose choices mute (or unmute) with
// act; muted says whether Unmute applies.
func (mw *mainWindow) muteItem(label string, what func() string, muted bool, act func(until time.Time)) *fyne.MenuItem {
	var items []*fyne.MenuItem
	for _, c := range muteChoices(time.Now()) {
		unmute := c.until.IsZero()
		if unmute {
			ask := func() {
				if name := what(); name != "" { // the main menu's, with nothing selected: as Edit…
					mw.askMuteUntil(name, act)
				}
			}
			items = append(items, fyne.NewMenuItem(itemMuteUntil, ask), fyne.NewMenuItemSeparator())
		}
		// The end is counted from when the item is chosen, not when the
		// menu was built.
		it := fyne.NewMenuItem(c.label, func() { act(muteEnd(c.label, time.Now())) })
		it.Disabled = unmute && !muted
		items = append(items, it)
	}
	m := fyne.NewMenuItem(label, nil)
	m.Icon = theme.VolumeMuteIcon()
	m.ChildMenu = fyne.NewMenu("", items...)
	return m
}

// askMuteUntil asks until when to mute what's alerts, a time of day
// (its next coming) or a date and time, then mutes with act.
func (mw *mainWindow) askMuteUntil(what string, act func(until time.Time)) {
	end := newDialogEntry(mw.win.Canvas())
	end.SetPlaceHolder(muteUntilHint)
	problem := problemLine()
	note := widget.NewLabel(muteUntilNote)
	note.Importance = widget.LowImportance
	// What is typed, once it reads as a time, says the day it means.
	end.OnChanged = func(s string) {
		note.SetText(muteUntilNote)
		now := time.Now()
		if until, err := human.ParseUntil(s, now); err == nil && strings.TrimSpace(s) != "" {
			sayProblem(problem, nil)
			note.SetText("Mutes until " + muteUntilWords(until, now) + ".")
		}
	}
	var d *dialog.CustomDialog
	mute := func() bool {
		until, err := human.ParseUntil(end.Text, time.Now())
		if err != nil {
			sayProblem(problem, err)
			return false
		}
		act(until)
		return true
	}
	d, _ = askDialog(mw.win, "Mute Alerts of "+what, container.NewVBox(end, note, problem), "Mute", theme.VolumeMuteIcon(),
		widget.HighImportance, mute)
	end.OnSubmitted = func(string) {
		if mute() {
			d.Hide()
		}
	}
	d.Resize(fyne.NewSize(420, d.MinSize().Height))
	d.Show()
	mw.win.Canvas().Focus(end)
}

// muteUntilNote says how Until… reads a time of day.
const muteUntilNote = "A time of day is its next coming: today's, or tomorrow's once it is past."

// muteUntilWords is the end of a mute typed, with its weekday, and its
// year when not now's: "Tue 8 Dec 07:45".
func muteUntilWords(until, now time.Time) string {
	until, now = until.Local(), now.Local()
	if until.Year() != now.Year() {
		return until.Format("Mon 2 Jan 2006 15:04")
	}
	return until.Format("Mon 2 Jan 15:04")
}

// muteEnd is the end of the submenu's choice labelled label, chosen at
// now.
func muteEnd(label string, now time.Time) time.Time {
	for _, c := range muteChoices(now) {
		if c.label == label {
			return c.until
		}
	}
	return time.Time{}
}

// muted: v's alerts are muted at now.
func muted(v *master.SlaveView, now time.Time) bool { return v.MutedUntil.After(now) }

// muteSelected mutes the selected slave's alerts until until (zero:
// unmutes them), in the background.
func (mw *mainWindow) muteSelected(until time.Time) {
	v, ok := mw.selectedSlave()
	if !ok {
		return
	}
	mw.goDo(func(context.Context) func() {
		if _, err := mw.c.Mute(v.Name, until); err != nil {
			return func() { mw.showError("Could not mute "+v.Name, err) }
		}
		return nil
	})
}

// groupMuteItem is a group row's Mute Alerts in This Group; Unmute
// applies when any of its servers is muted.
func (mw *mainWindow) groupMuteItem(id string) *fyne.MenuItem {
	now, anyMuted := mw.opts.now(), false
	for _, v := range mw.model.members(id) {
		anyMuted = anyMuted || muted(&v, now)
	}
	return mw.muteItem(itemGroupMute, func() string { return mw.model.groupLabel(id) }, anyMuted, func(until time.Time) {
		var names []string
		for _, v := range mw.model.members(id) {
			if !until.IsZero() || muted(&v, mw.opts.now()) {
				names = append(names, v.Name)
			}
		}
		what, doing := "mute", "Muting"
		if until.IsZero() {
			what, doing = "unmute", "Unmuting"
		}
		mw.eachMember(id, what, doing, names, func(name string) error {
			_, err := mw.c.Mute(name, until)
			return err
		})
	})
}

// mutedText is the Overview's word on a muted slave's alerts, at now;
// "" when they are not muted.
func mutedText(v *master.SlaveView, now time.Time) string {
	if !muted(v, now) {
		return ""
	}
	end := v.MutedUntil.Local()
	return fmt.Sprintf("muted until %s: nothing of it is announced until then (Slave > %s > %s)", end.Format(muteLayout), itemMute, itemUnmute)
}
