package ui

import (
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/lanyard/lanyard/core/master"
)

// The detail pane's remote-management tabs (Log, Settings) and the Slave
// menu's actions that manage the selected slave over its link. They exist
// when the console the window runs on can manage slaves (Remote).

// attachRemote puts the live tabs in place of their placeholders.
func (mw *mainWindow) attachRemote() {
	rm, ok := mw.c.(Remote)
	if !ok {
		return
	}
	tasks := newTasksTab(mw, rm, mw.c.Slaves, mw.win, mw.opts.now, mw.opts.interval)
	tasks.windowKey = mw.typedKey
	log := newLogTab(mw, rm, mw.opts.interval, mw.opts.now)
	log.search.canvas = mw.win.Canvas()
	tasksSplit.restore(mw.app.Preferences(), tasks.body)
	logTabSplit.restore(mw.app.Preferences(), log.body)
	set := newSettingsTab(mw, rm, mw.win, mw.opts.now)
	set.editAddress = mw.editAddress
	mw.detail.attachRemote(tasks, log, set)
}

// editAddress makes addr the address this console dials the outbound
// slave v at, keeping the rest of its entry (as Edit Slave would).
func (mw *mainWindow) editAddress(v master.SlaveView, addr string) error {
	_, err := mw.c.EditSlave(v.Name, v.DialedAt(addr))
	return err
}

func (d *detailPane) attachRemote(tasks *tasksTab, log *logTab, set *settingsTab) {
	d.tasksTab, d.logTab, d.setTab = tasks, log, set
	for _, it := range d.tabs.Items {
		switch it.Text {
		case tabTasks:
			it.Content = tasks.obj
		case tabLog:
			it.Content = log.obj
		case tabSettings:
			it.Content = set.obj
		}
	}
	d.tabs.OnSelected = func(*container.TabItem) { d.tabSelected() }
	d.tabs.Refresh()
}

// tabSelected tells the tabs which one shows.
func (d *detailPane) tabSelected() {
	if d.logTab == nil {
		return
	}
	sel := ""
	if it := d.tabs.Selected(); it != nil && d.shown != "" && d.tabs.Visible() {
		sel = it.Text
	}
	d.tasksTab.setVisible(sel == tabTasks)
	d.logTab.setVisible(sel == tabLog)
	d.setTab.setVisible(sel == tabSettings)
}

// showRemote passes the slave shown on to the tabs.
func (d *detailPane) showRemote(v master.SlaveView) {
	if d.logTab == nil {
		return
	}
	d.tasksTab.show(v)
	d.logTab.show(v)
	d.setTab.show(v)
	d.tabSelected()
}

// clearRemote: no slave shows.
func (d *detailPane) clearRemote() {
	if d.logTab == nil {
		return
	}
	d.tasksTab.clear()
	d.logTab.clear()
	d.setTab.clear()
	d.tabSelected()
}

// changePassword opens the Change Password dialog for the selected slave.
func (mw *mainWindow) changePassword() {
	rm, ok := mw.c.(Remote)
	if !ok {
		return
	}
	v, ok := mw.selectedSlave()
	if !ok {
		showInfo(mw.win, pwTitle, "Select a server in the tree first.")
		return
	}
	showPasswordDialog(mw.win, mw, rm, v)
}

// Labels of the Slave menu.
const (
	menuSlave      = "Slave"
	itemEditSlave  = "Edit…"
	itemPassword   = "Change Password…"
	itemRunTask    = "Run Task"
	itemReread     = "Run Task, Reading Every File"
	itemRemoveSlav = "Remove…"
)

// slaveMenu acts on the slave selected in the tree, with the items its
// row's context menu has: Connect or Disconnect as the toolbar says, Run
// Task as the toolbar allows, and with no slave selected nothing at all.
// Run Task carries Ctrl+R, Run Task, Reading Every File Ctrl+Shift+R and
// Find a File… Ctrl+Shift+F, bound here only
// (a menu shortcut wins over a window's, and works while the item is
// disabled: runTask and findFile decide); Ctrl+E
// and Delete are bound on the window (shortcuts.go).
func (mw *mainWindow) slaveMenu() *fyne.Menu {
	v, ok := mw.selectedSlave()
	return fyne.NewMenu(menuSlave, mw.itemsFor(&v, ok)...)
}

// syncSlaveMenu rebuilds the main menu's Slave menu when what it offers
// for the selection changed: rebuilding redraws the menu bar (and closes
// a menu open in it), which a status change of another slave must not.
func (mw *mainWindow) syncSlaveMenu() {
	v, ok := mw.selectedSlave()
	key := fmt.Sprint(ok, v.State == master.StateDisabled, ok && mw.canRunTask(&v), muted(&v, mw.opts.now()))
	if mw.menu == nil || key == mw.slaveMenuKey {
		return
	}
	mw.slaveMenuKey = key
	for _, m := range mw.menu.Items {
		if m.Label == menuSlave {
			m.Items = mw.itemsFor(&v, ok)
			m.Refresh()
		}
	}
}

// itemsFor are the Slave menu's items for slave v, selected if ok.
func (mw *mainWindow) itemsFor(v *master.SlaveView, ok bool) []*fyne.MenuItem {
	connect := toolDisconnect
	if !ok || v.State == master.StateDisabled {
		connect = toolConnect
	}
	items := mw.slaveItems(connect, ok && muted(v, mw.opts.now()))
	for _, it := range items {
		switch {
		case !ok:
			it.Disabled = true
		case it.Label == itemRunTask, it.Label == itemReread, it.Label == taskFind:
			it.Disabled = !mw.canRunTask(v) // as the toolbar's button
		}
	}
	return items
}

// slaveItems are the Slave menu's items, the main menu's and a tree row's
// context menu's, with connect as the Connect item's label; muted says
// whether Mute Alerts' Unmute applies. They act on the slave selected
// when chosen.
func (mw *mainWindow) slaveItems(connect string, muted bool) []*fyne.MenuItem {
	run := fyne.NewMenuItem(itemRunTask, mw.runTask)
	run.Icon = theme.MediaPlayIcon()
	run.Shortcut = shortcutRunTask()
	reread := fyne.NewMenuItem(itemReread, mw.rereadTask)
	reread.Icon = theme.MediaReplayIcon()
	reread.Shortcut = shortcutReread()
	find := fyne.NewMenuItem(taskFind, mw.findFile)
	find.Icon = theme.SearchIcon()
	find.Shortcut = shortcutFindFile()
	audit := fyne.NewMenuItem(itemAudit, func() {
		if v, ok := mw.selectedSlave(); ok {
			mw.showAudit(master.AuditFilter{Slave: v.Name})
		}
	})
	audit.Icon = theme.HistoryIcon()
	edit := fyne.NewMenuItem(itemEditSlave, mw.editSelected)
	edit.Shortcut = shownEdit() // a window shortcut: shortcuts.go
	remove := fyne.NewMenuItem(itemRemoveSlav, mw.removeSelected)
	remove.Shortcut = shownRemove()
	return []*fyne.MenuItem{
		edit,
		fyne.NewMenuItem(connect, mw.toggleConnection),
		mw.muteItem(itemMute, func() string { v, _ := mw.selectedSlave(); return v.Name }, muted, mw.muteSelected),
		fyne.NewMenuItem(itemPassword, mw.changePassword),
		run,
		reread,
		find,
		audit,
		fyne.NewMenuItemSeparator(),
		remove,
	}
}

// Labels of a group row's context menu.
const (
	itemGroupBackups = "Backups of This Group"
	itemGroupAdd     = "Add Slave to This Group…"
	itemGroupAudit   = "Command Audit of This Group"
)

// rowMenu is the context menu of tree row id, which is selected: the
// Slave menu's items for a slave (Connect or Disconnect, as the toolbar
// says); Add Slave, Backups, Command Audit, Connect All, Disconnect All,
// Mute Alerts and Rename for a group.
func (mw *mainWindow) rowMenu(id string) *fyne.Menu {
	if isGroupNode(id) {
		b := fyne.NewMenuItem(itemGroupBackups, func() { mw.showBackupsOf(id) })
		b.Icon = theme.StorageIcon()
		add := fyne.NewMenuItem(itemGroupAdd, func() { mw.addSlaveTo(mw.model.groupName(id)) })
		add.Icon = theme.ContentAddIcon()
		items := []*fyne.MenuItem{add, b}
		if !isUngrouped(id) { // the ungrouped have no name for the audit to follow
			audit := fyne.NewMenuItem(itemGroupAudit, func() { mw.showAudit(master.AuditFilter{Group: mw.model.groupName(id)}) })
			audit.Icon = theme.HistoryIcon()
			items = append(items, audit)
		}
		items = append(append(items, fyne.NewMenuItemSeparator()), mw.groupConnectItems(id)...)
		items = append(items, mw.groupMuteItem(id))
		if !isUngrouped(id) { // the ungrouped have no name to change, nor mail of their own
			rename := fyne.NewMenuItem(itemGroupRename, func() { mw.askRenameGroup(id) })
			rename.Icon = theme.DocumentCreateIcon()
			items = append(items, fyne.NewMenuItemSeparator(), rename)
			if me, ok := mw.c.(MailEditor); ok {
				to := fyne.NewMenuItem(itemGroupMail, func() { mw.askGroupRecipients(id, me) })
				to.Icon = theme.MailComposeIcon()
				items = append(items, to)
			}
		}
		return fyne.NewMenu("", items...)
	}
	v, ok := mw.model.view(id)
	return fyne.NewMenu("", mw.itemsFor(&v, ok)...)
}

// showRowMenu opens row id's context menu at pos on the window's canvas.
func (mw *mainWindow) showRowMenu(id string, pos fyne.Position) {
	widget.ShowPopUpMenuAtPosition(mw.rowMenu(id), mw.win.Canvas(), pos)
}

// showSelectedRowMenu opens the selected row's context menu below its
// name (the Menu key), or at the tree's top when the row is scrolled away.
func (mw *mainWindow) showSelectedRowMenu() {
	id := mw.tree.selected
	if id == "" {
		return
	}
	d := fyne.CurrentApp().Driver()
	pos := d.AbsolutePositionForObject(mw.tree)
	if r, ok := mw.tree.bound[id]; ok && r.boundID() == id && r.Visible() {
		pos = d.AbsolutePositionForObject(r).Add(fyne.NewPos(theme.Padding()*8, r.Size().Height))
	}
	mw.showRowMenu(id, pos)
}

// runTask runs the task selected in the Tasks tab (Ctrl+R).
func (mw *mainWindow) runTask() { mw.onSelectedTask((*tasksTab).runSelected) }

// rereadTask is runTask reading every file (Ctrl+Shift+R): a run that
// also finds a file changed with its size and time kept.
func (mw *mainWindow) rereadTask() { mw.onSelectedTask((*tasksTab).rereadSelected) }

// onSelectedTask acts on the task selected in the Tasks tab; from another
// tab the first press shows the Tasks tab, and the next acts.
func (mw *mainWindow) onSelectedTask(act func(*tasksTab)) {
	d := mw.detail
	if d.tasksTab == nil || d.shown == "" {
		return
	}
	if it := d.tabs.Selected(); it == nil || it.Text != tabTasks {
		d.tabs.SelectIndex(1)
		return
	}
	act(d.tasksTab)
}

// findFile opens Find a File… on the selected slave (Ctrl+Shift+F): its
// Tasks tab shown, and the dialog as soon as its tasks are read.
func (mw *mainWindow) findFile() {
	d := mw.detail
	if d.tasksTab == nil || d.shown == "" {
		return
	}
	d.selectTab(tabTasks)
	d.tasksTab.findWhenRead()
}

// refreshTab reads the shown tab's contents again (F5).
func (d *detailPane) refreshTab() {
	if d.tasksTab == nil || d.shown == "" {
		return
	}
	switch it := d.tabs.Selected(); {
	case it == nil:
	case it.Text == tabTasks:
		d.tasksTab.load()
	case it.Text == tabSettings:
		d.setTab.load()
	}
}
