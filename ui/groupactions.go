package ui

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/lanyard/lanyard/core/human"
	"github.com/lanyard/lanyard/core/mail"
	"github.com/lanyard/lanyard/core/master"
)

// A group row's Connect All and Disconnect All: a customer's site in
// maintenance, every server of it at once, as Disconnect and Connect
// do one; Rename Group…; and Report Recipients…, the group's own daily
// summary's (mail.Settings.GroupTo), set where the group is.

// Labels of a group row's connection and rename items.
const (
	itemGroupConnect    = "Connect All in This Group"
	itemGroupDisconnect = "Disconnect All in This Group…"
	itemGroupRename     = "Rename Group…"
	itemGroupMail       = "Report Recipients…"
)

// members are the slaves of group node id, by name.
func (m *treeModel) members(id string) []master.SlaveView {
	var out []master.SlaveView
	for _, e := range m.slaves {
		if e.group != nil && e.group.id == id {
			out = append(out, e.view)
		}
	}
	slices.SortFunc(out, func(a, b master.SlaveView) int { return human.CompareNames(a.Name, b.Name) })
	return out
}

// groupConnectItems are a group row's Connect All and Disconnect All,
// each disabled when it would change nothing.
func (mw *mainWindow) groupConnectItems(id string) []*fyne.MenuItem {
	members := mw.model.members(id)
	off := 0
	for _, v := range members {
		if v.State == master.StateDisabled {
			off++
		}
	}
	on := fyne.NewMenuItem(itemGroupConnect, func() { mw.connectGroup(id, true) })
	on.Icon = theme.LoginIcon()
	on.Disabled = off == 0
	dis := fyne.NewMenuItem(itemGroupDisconnect, func() { mw.askDisconnectGroup(id) })
	dis.Icon = theme.LogoutIcon()
	dis.Disabled = off == len(members)
	return []*fyne.MenuItem{on, dis}
}

// askDisconnectGroup asks before disconnecting every server of group
// node id.
func (mw *mainWindow) askDisconnectGroup(id string) {
	n := 0
	for _, v := range mw.model.members(id) {
		if v.State != master.StateDisabled {
			n++
		}
	}
	group := mw.model.groupLabel(id)
	msg := widget.NewLabel(fmt.Sprintf("Disconnect %s of %s?\n\nTheir links close and the console stops dialing them (or refuses them\nwhen they dial in) until you connect them again, also after a restart.\nNothing of them is announced meanwhile: no offline or backup alerts.",
		human.Plural(n, "server", "servers"), group))
	d, _ := askDialog(mw.win, "Disconnect "+group, msg, "Disconnect All", theme.LogoutIcon(), widget.DangerImportance, func() bool {
		mw.connectGroup(id, false)
		return true
	})
	d.Show()
}

// connectGroup connects (on) or disconnects every server of group node
// id that is not so already, in the background; the failures, if any,
// are shown together.
func (mw *mainWindow) connectGroup(id string, on bool) {
	var names []string
	for _, v := range mw.model.members(id) {
		if (v.State == master.StateDisabled) == on {
			names = append(names, v.Name)
		}
	}
	what, doing, act := "disconnect", "Disconnecting", mw.c.Disconnect
	if on {
		what, doing, act = "connect", "Connecting", mw.c.Connect
	}
	mw.eachMember(id, what, doing, names, act)
}

// groupProgressFrom is how many servers a command to a group takes for
// it to show a progress bar, with Cancel: a customer's site of hundreds
// takes a few seconds, each server's entry written to disk.
const groupProgressFrom = 10

// eachMember does act to each of names, servers of group node id, in
// the background, what ("disconnect") doing ("Disconnecting"); from
// groupProgressFrom servers on with a progress bar whose Cancel stops
// before the next server. The failures, if any, are shown together, the
// first few by name.
func (mw *mainWindow) eachMember(id, what, doing string, names []string, act func(name string) error) {
	group := mw.model.groupLabel(id)
	ctx, cancel := context.WithCancel(mw.ctx)
	servers := human.Plural(len(names), "server", "servers")
	var p *progressDialog
	if len(names) >= groupProgressFrom {
		p = showProgress(mw.win, doing+" "+group, fmt.Sprintf("%s %s of %s…", doing, servers, group), cancel)
	}
	mw.goDo(func(context.Context) func() {
		defer cancel()
		var errs []error
		done := 0
		for _, name := range names {
			if ctx.Err() != nil {
				break
			}
			if err := act(name); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", name, err))
			}
			done++
			if p != nil {
				n := done
				mw.opts.do(func() {
					p.bar.SetValue(float64(n) / float64(len(names)))
					p.words.SetText(fmt.Sprintf("%s %s of %s: %s done…", doing, servers, group, human.Count(n)))
				})
			}
		}
		stopped := done < len(names)
		if !stopped && len(errs) == 0 && p == nil {
			return nil
		}
		return func() {
			if p != nil {
				p.d.Hide()
			}
			if stopped {
				showInfo(mw.win, "Stopped", fmt.Sprintf("Cancelled after %s of %s of %s; the others were left as they were.",
					human.Count(done), servers, group))
			}
			if len(errs) > 0 {
				mw.showError(fmt.Sprintf("Could not %s %s of %s", what, human.Plural(len(errs), "server", "servers"), group), someErrors(errs))
			}
		}
	})
}

// askRenameGroup asks for group node id's new name, then renames it:
// every server of it, and its own mail recipients (master.RenameGroup).
func (mw *mainWindow) askRenameGroup(id string) {
	old := mw.model.groupName(id)
	name := newDialogEntry(mw.win.Canvas())
	name.SetText(old)
	note := widget.NewLabel(fmt.Sprintf("Every server of %s moves to the new name, and the group's own report\nrecipients go with it. A group of that name that exists gets both.", old))
	note.Importance = widget.LowImportance
	d, rename := askDialog(mw.win, "Rename "+old, container.NewVBox(name, note), "Rename", theme.DocumentCreateIcon(), widget.HighImportance, func() bool {
		newName := strings.TrimSpace(name.Text)
		if newName == "" || newName == old {
			return false
		}
		if mw.tree.selected == id {
			mw.reselect = groupNodeID(newName) // once the fleet shows it
		}
		mw.goDo(func(context.Context) func() {
			if _, err := mw.c.RenameGroup(old, newName); err != nil {
				return func() { mw.reselect = ""; mw.showError("Could not rename "+old, err) }
			}
			return nil
		})
		return true
	})
	plain := note.Text
	name.OnChanged = func(s string) {
		t := strings.TrimSpace(s)
		if t == "" || t == old {
			rename.Disable()
		} else {
			rename.Enable()
		}
		// A name another group has already merges the two: say so before.
		words, label := plain, "Rename"
		if other := groupNodeID(t); t != "" && other != id {
			if g, ok := mw.model.group(other); ok {
				mine, _ := mw.model.group(id)
				words = mergeWords(mw.model.groupName(other), g.total, old, mine.total)
				label = "Merge"
			}
		}
		if note.Text != words {
			note.SetText(words)
		}
		if rename.Text != label {
			rename.SetText(label)
		}
	}
	name.OnChanged(name.Text)
	name.OnSubmitted = func(string) { rename.OnTapped() }
	d.Resize(fyne.NewSize(480, d.MinSize().Height))
	d.Show()
	mw.win.Canvas().Focus(name)
}

// mergeWords says what renaming group old, of n servers, to the name of
// group into, of intoN, does.
func mergeWords(into string, intoN int, old string, n int) string {
	join := "join"
	if n == 1 {
		join = "joins"
	}
	return fmt.Sprintf("%s exists already: the %s of %s %s its %s, and the report\nrecipients of both go together. It cannot be undone in one step.",
		into, human.Plural(n, "server", "servers"), old, join, human.Plural(intoN, "server", "servers"))
}

// askGroupRecipients asks for the addresses group node id's own daily
// summary goes to (none: it gets none), and saves them in the mail
// settings.
func (mw *mainWindow) askGroupRecipients(id string, me MailEditor) {
	group := mw.model.groupName(id)
	st, _, err := me.MailSettings()
	if err != nil {
		mw.showError("Could not read the mail settings", err)
		return
	}
	to := newDialogEntry(mw.win.Canvas())
	to.SetText(strings.Join(st.GroupRecipients(group), ", "))
	to.SetPlaceHolder("it@" + strings.ToLower(strings.ReplaceAll(group, " ", "")) + ".example, … (empty: none)")
	words := fmt.Sprintf("%s's own daily summary, of its servers alone, goes to these addresses at the daily time, besides the fleet's to the usual recipients.", group)
	if !st.Configured() || st.DailyAt == "" {
		words += " Mail or the daily time is not set up yet: Settings → Remote Management Settings… → Alerts and mail."
	}
	note := lowNote(words)
	problem := problemLine()
	body := container.NewVBox(to, problem, note)
	d, save := askDialog(mw.win, "Report recipients of "+group, body, "Save", theme.DocumentSaveIcon(), widget.HighImportance, func() bool {
		addrs := mail.SplitAddresses(to.Text)
		st.SetGroupTo(group, addrs)
		// This group's own addresses are named as the dialog's: its title
		// says whose they are.
		err := mail.CheckAddresses(addrs)
		if err == nil {
			err = st.Validate()
		}
		if err != nil {
			sayProblem(problem, err)
			return false
		}
		mw.goDo(func(context.Context) func() {
			if err := me.SetMailSettings(st, nil); err != nil {
				return func() { mw.showError("Could not save "+group+"'s report recipients", err) }
			}
			return nil
		})
		return true
	})
	to.OnSubmitted = func(string) { save.OnTapped() }
	d.Resize(fyne.NewSize(520, d.MinSize().Height))
	d.Show()
	mw.win.Canvas().Focus(to)
}
