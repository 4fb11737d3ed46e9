package ui

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/lanyard/lanyard/core/master"
)

// Title is the main window's title.
const Title = "Lanyard"

// Menu, item and button labels; the tests spell them out, as a user reads
// them.
const (
	menuFile           = "File"
	menuSettings       = "Settings"
	menuView           = "View"
	menuHelp           = "Help"
	itemAddSlave       = "Add Slave…"
	itemQuit           = "Quit"
	itemSettings       = "Remote Management Settings…"
	itemAllServers     = "All Servers"
	itemLog            = "Remote Management Log"
	itemBackups        = "Backups"
	itemAudit          = "Command Audit"
	itemRefresh        = "Refresh"
	itemTroubleshoot   = "Troubleshooting"
	itemAbout          = "About"
	toolAdd            = "Add Slave"
	toolEdit           = "Edit"
	toolRemove         = "Remove"
	toolConnect        = "Connect"
	toolDisconnect     = "Disconnect"
	toolRunTask        = "Run Task"
	toolRefresh        = "Refresh"
	sortName           = "Name"
	sortState          = "State"
	filterPlaceholder  = "Filter (Ctrl+F)"
	removeConfirmTitle = "Remove slave"
)

// Preferences keys: the window remembers its size (mainSize), split and
// sort.
const (
	prefSplit = "mainwindow.split"
	prefSort  = "mainwindow.sort"
)

// mainSize is the main window's size; defaultSplit its split, both for a
// first start.
var mainSize = windowSize{key: "mainwindow", def: fyne.NewSize(1240, 760), min: fyne.NewSize(640, 420)}

const defaultSplit = 0.32

// statusTimeout bounds a Status request started by Refresh.
const statusTimeout = 10 * time.Second

// NewMainWindow builds the console's main window over c: toolbar, menus,
// the server tree with its filter, the selected slave's tabs and the status
// bar, or the welcome panel while there are no slaves. It follows the
// fleet's events until the window closes. ports answers the settings
// dialog's Check port. The caller shows the window.
// dataDir is where the console keeps its database, for Help → About.
func NewMainWindow(a fyne.App, c Console, ports PortChecker, dataDir string) fyne.Window {
	startAppearance(a)
	mw := newMainWindow(a, c, ports, windowOptions{do: fyne.Do, now: time.Now, interval: refreshInterval})
	mw.dataDir = dataDir
	return mw.win
}

// windowOptions are what tests replace: how work gets onto the Fyne thread
// (fyne.Do), the clock, the batching interval, and (when set) what opens
// the Remote Management Log instead of ShowLogWindow.
type windowOptions struct {
	do       func(func())
	now      func() time.Time
	interval time.Duration
	// ages is how often the times shown as "… ago" are redrawn when
	// nothing else changes; zero: agesEvery.
	ages    time.Duration
	showLog func()
	// backups, when set, opens the Backups window instead of
	// showBackupsOf, given the same group node ("" for every group).
	backups func(node string)
	// audit, when set, opens the Command Audit window instead of
	// showAudit, given the same scope.
	audit func(scope master.AuditFilter)
}

// mainWindow is the main window's state. Every field is touched on the
// Fyne thread only, except those the comments mark.
type mainWindow struct {
	app   fyne.App
	win   fyne.Window
	c     Console
	ports PortChecker
	opts  windowOptions
	// dataDir is the console's data directory, as About shows it; ""
	// when not known.
	dataDir string

	model       *treeModel
	tree        *serverTree
	detail      *detailPane
	status      *statusBar
	filter      *filterEntry
	noMatch     *widget.Label // in place of the tree when the filter hides every slave
	noMatchNote fyne.CanvasObject
	sort        *widget.Select
	split       *container.Split
	welcome     fyne.CanvasObject
	menu        *fyne.MainMenu
	// slaveMenuKey is what the Slave menu was last built for (syncSlaveMenu).
	slaveMenuKey string

	addBtn, editBtn, removeBtn, connBtn, runBtn, refreshBtn *widget.Button

	prompted map[string]time.Time // unknown slaves asked about, by lower-case name
	// reselect is a group node to select once the fleet shows it: a
	// group renamed while it was selected.
	reselect string
	// revealName is a slave added from this window, to select once the
	// fleet shows it.
	revealName string
	welcomeOn  bool // the welcome panel is up (no slaves)

	// Background work: cancelled, and waited for by wait, when the window
	// closes. Safe from any goroutine.
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	closed bool
}

func newMainWindow(a fyne.App, c Console, ports PortChecker, opts windowOptions) *mainWindow {
	mw := &mainWindow{app: a, c: c, ports: ports, opts: opts, model: newTreeModel(), prompted: map[string]time.Time{}}
	mw.model.started, mw.model.relinkUntil = c.Relinking()
	mw.ctx, mw.cancel = context.WithCancel(context.Background())
	mw.win = a.NewWindow(Title)
	mw.win.SetIcon(Icon())
	mw.win.SetMaster()

	mw.tree = newServerTree(mw.model, opts.now)
	mw.tree.onSelect = mw.selectionChanged
	mw.tree.onMenu = mw.showRowMenu
	mw.detail = newDetailPane(opts.now)
	mw.detail.onRefresh = mw.refreshStatus
	mw.detail.onTrust = mw.trust
	mw.detail.summary.pick = mw.pickNeedy
	mw.detail.summary.openList = mw.showBackupsOf
	mw.detail.summary.byState = func() { mw.sort.SetSelected(sortState) }
	mw.attachRemote()
	mw.status = newStatusBar(mw.showMailSettings, func() { mw.showSettings(false) })
	mw.filter = newFilterEntry(mw)
	mw.sort = widget.NewSelect([]string{sortName, sortState}, mw.sortChanged)
	mw.welcome = newWelcome(mw.addSlave, func() { mw.showSettings(true) }, mw.importSlaves)

	mw.menu = mw.mainMenu()
	mw.win.SetMainMenu(mw.menu)
	mw.win.SetContent(mw.layout())
	mw.bindKeys()
	mw.restoreGeometry()

	// Subscribe before reading the snapshot, so no change falls between.
	events, unsubscribe := c.Subscribe(4096)
	mw.applyBatch(batch{all: c.Slaves(), listen: ptr(readListenInfo(c)), mail: readMailStatus(c)})
	mw.tree.openNewGroups(true)
	mw.sort.SetSelected(map[bool]string{false: sortName, true: sortState}[a.Preferences().String(prefSort) == sortState])

	feed := newLiveFeed(c, c)
	mw.wg.Go(func() {
		defer unsubscribe()
		feed.run(mw.ctx, events, opts.interval, func(b batch) {
			mw.opts.do(func() { mw.applyBatch(b) })
		})
	})
	mw.wg.Go(func() { mw.tickAges(mw.ctx) })
	mw.win.SetOnClosed(mw.closing)
	// Quit (File menu, tray) ends the app without closing the window.
	a.Lifecycle().SetOnStopped(mw.closing)
	return mw
}

func ptr[T any](v T) *T { return &v }

// layout is toolbar, body (tree and detail, or the welcome panel) and
// status bar.
func (mw *mainWindow) layout() fyne.CanvasObject {
	mw.addBtn = toolButton(toolAdd, theme.ContentAddIcon(), mw.addSlave)
	mw.editBtn = toolButton(toolEdit, theme.DocumentCreateIcon(), mw.editSelected)
	mw.removeBtn = toolButton(toolRemove, theme.DeleteIcon(), mw.removeSelected)
	mw.connBtn = toolButton(toolDisconnect, theme.LogoutIcon(), mw.toggleConnection)
	mw.runBtn = toolButton(toolRunTask, theme.MediaPlayIcon(), mw.runTask)
	mw.refreshBtn = toolButton(toolRefresh, theme.ViewRefreshIcon(), mw.refresh)
	toolbar := container.NewHBox(mw.addBtn, mw.editBtn, mw.removeBtn, vline(), mw.connBtn, mw.runBtn, mw.refreshBtn)

	mw.noMatch = widget.NewLabel("")
	mw.noMatchNote = emptyNote(mw.noMatch, widget.NewButtonWithIcon("Clear the filter", theme.ContentClearIcon(), func() { mw.filter.SetText("") }))
	mw.noMatchNote.Hide()
	left := container.NewBorder(
		container.NewPadded(container.NewBorder(nil, nil, nil,
			container.NewHBox(widget.NewLabelWithStyle("Sort", fyne.TextAlignTrailing, fyne.TextStyle{}), mw.sort), mw.filter)),
		nil, nil, nil, container.NewStack(mw.tree, mw.noMatchNote))
	mw.split = container.NewHSplit(left, container.NewPadded(mw.detail.obj))
	mw.split.SetOffset(defaultSplit)

	body := container.NewStack(mw.split, mw.welcome)
	top := container.NewVBox(toolbar, widget.NewSeparator())
	return container.NewBorder(top, mw.status.obj, nil, nil, body)
}

func toolButton(label string, icon fyne.Resource, tapped func()) *widget.Button {
	b := widget.NewButtonWithIcon(label, icon, tapped)
	b.Importance = widget.LowImportance
	return b
}

// vline is a short vertical separator between toolbar groups.
func vline() fyne.CanvasObject {
	return container.New(layout.NewCustomPaddedLayout(6, 6, 2, 2), widget.NewSeparator())
}

func (mw *mainWindow) mainMenu() *fyne.MainMenu {
	add := fyne.NewMenuItem(itemAddSlave, mw.addSlave)
	add.Icon = theme.ContentAddIcon()
	add.Shortcut = shortcutAdd()
	importItem := fyne.NewMenuItem(itemImport, mw.importSlaves)
	importItem.Icon = theme.DownloadIcon()
	exportItem := fyne.NewMenuItem(itemExport, mw.exportSlaves)
	exportItem.Icon = theme.UploadIcon()
	quit := fyne.NewMenuItem(itemQuit, mw.app.Quit)
	quit.IsQuit = true
	quit.Shortcut = shortcutQuit()

	settings := fyne.NewMenuItem(itemSettings, func() { mw.showSettings(false) })
	settings.Icon = theme.SettingsIcon()

	all := fyne.NewMenuItem(itemAllServers, mw.showAllServers)
	all.Icon = theme.HomeIcon()
	all.Shortcut = shownAllServers() // Escape is a plain key: shortcuts.go
	connLog := fyne.NewMenuItem(itemLog, mw.showLog)
	connLog.Icon = theme.ListIcon()
	connLog.Shortcut = shortcutLog()
	backups := fyne.NewMenuItem(itemBackups, mw.showBackups)
	backups.Icon = theme.StorageIcon()
	backups.Shortcut = shortcutBackups()
	audit := fyne.NewMenuItem(itemAudit, func() { mw.showAudit(master.AuditFilter{}) })
	audit.Icon = theme.HistoryIcon()
	audit.Shortcut = shortcutAudit()
	refresh := fyne.NewMenuItem(itemRefresh, mw.refresh)
	refresh.Icon = theme.ViewRefreshIcon()
	refresh.Shortcut = shownRefresh() // F5 is a plain key: shortcuts.go

	keys := fyne.NewMenuItem(itemKeys, mw.showKeys)
	keys.Icon = theme.ComputerIcon()
	keys.Shortcut = shownHelp() // F1 is a plain key: shortcuts.go
	help := fyne.NewMenuItem(itemTroubleshoot, func() { showTroubleshooting(mw.win) })
	help.Icon = theme.HelpIcon()
	about := fyne.NewMenuItem(itemAbout, func() { showAbout(mw.win, mw.dataDir) })
	about.Icon = theme.InfoIcon()

	return fyne.NewMainMenu(
		fyne.NewMenu(menuFile, add, importItem, exportItem, fyne.NewMenuItemSeparator(), quit),
		mw.slaveMenu(),
		fyne.NewMenu(menuSettings, settings),
		fyne.NewMenu(menuView, all, connLog, backups, audit, refresh, fyne.NewMenuItemSeparator(), mw.appearanceMenu()),
		fyne.NewMenu(menuHelp, keys, help, about),
	)
}

// restoreGeometry applies the remembered size and split.
func (mw *mainWindow) restoreGeometry() {
	p := mw.app.Preferences()
	mainSize.restore(p, mw.win)
	if off := p.FloatWithFallback(prefSplit, defaultSplit); off >= 0.1 && off <= 0.8 {
		mw.split.SetOffset(off)
	}
}

// closing remembers the geometry, the other open windows' sizes too, and
// stops the background work. It runs once, when the window closes or the
// app stops.
func (mw *mainWindow) closing() {
	if mw.closed {
		return
	}
	mw.closed = true
	p := mw.app.Preferences()
	mainSize.remember(p, mw.win)
	p.SetFloat(prefSplit, mw.split.Offset)
	if t := mw.detail.tasksTab; t != nil {
		tasksSplit.remember(p, t.body)
	}
	if t := mw.detail.logTab; t != nil {
		logTabSplit.remember(p, t.body)
	}
	rememberOpenWindows(mw.app)
	mw.cancel()
}

// agesEvery is how often the detail pane's "… ago" times are redrawn:
// "Last seen: 11:48:07 (45 s ago)" moves on while the slave stays silent.
const agesEvery = 15 * time.Second

// tickAges redraws the selection's details every agesEvery until ctx ends.
// A tick still waiting for the Fyne thread is not queued again.
func (mw *mainWindow) tickAges(ctx context.Context) {
	t := time.NewTicker(cmp.Or(mw.opts.ages, agesEvery))
	defer t.Stop()
	var queued atomic.Bool
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if !queued.CompareAndSwap(false, true) {
				continue
			}
			mw.opts.do(func() {
				queued.Store(false)
				if !mw.closed {
					mw.syncDetail()
					mw.tree.refreshAges()
					mw.readRTT()
				}
			})
		}
	}
}

// readRTT reads the selected slave's round trip again, off the Fyne
// thread, and shows it. A link measures it at every heartbeat without
// publishing a change (a fleet of 10,000 would publish hundreds a
// second), so the window asks for the one slave it shows; a link that
// ended or was remade meanwhile is left to its own events.
func (mw *mainWindow) readRTT() {
	lookup, ok := mw.c.(slaveLookup)
	v, selected := mw.selectedSlave()
	if !ok || !selected || v.State != master.StateConnected {
		return
	}
	mw.goDo(func(context.Context) func() {
		fresh, ok := lookup.Slave(v.Name)
		if !ok || fresh.ID != v.ID || !fresh.ConnectedSince.Equal(v.ConnectedSince) || fresh.RTT == v.RTT {
			return nil
		}
		return func() {
			if mw.model.setRTT(v.ID, v.ConnectedSince, fresh.RTT) && mw.tree.selected == v.ID {
				mw.syncDetail()
			}
		}
	})
}

// wait blocks until the window's goroutines have ended (after close).
func (mw *mainWindow) wait() { mw.wg.Wait() }

// goDo runs work in a goroutine owned by the window and applies its result
// on the Fyne thread, unless the window closed meanwhile.
func (mw *mainWindow) goDo(work func(ctx context.Context) func()) {
	mw.wg.Go(func() {
		apply := work(mw.ctx)
		if apply == nil || mw.ctx.Err() != nil {
			return
		}
		mw.opts.do(func() {
			if !mw.closed {
				apply()
			}
		})
	})
}

// applyBatch brings the window up to date with a batch of changes.
func (mw *mainWindow) applyBatch(b batch) {
	if mw.closed {
		return
	}
	var ch change
	if b.all != nil {
		ch = mw.model.replaceAll(b.all)
	} else {
		ch = mw.model.apply(b.views, b.removed)
	}
	mw.tree.redraw(ch)
	if t := mw.detail.tasksTab; t != nil && t.lastCopy != nil {
		t.lastCopy.follow(slices.Concat(b.all, b.views))
	}
	mw.showNoMatch()
	mw.status.setCounts(&mw.model.counts, mw.model.backup, mw.model.never)
	if b.listen != nil {
		mw.status.setListen(*b.listen)
	}
	if b.mail != nil {
		mw.status.setMail(*b.mail)
	}
	mw.showWelcome(mw.model.len() == 0)
	if id := mw.reselect; id != "" {
		if _, ok := mw.model.groupsAll[id]; ok {
			mw.reselect = ""
			mw.tree.Select(id)
		}
	}
	if name := mw.revealName; name != "" {
		if id, ok := mw.model.idOf(name); ok {
			mw.revealName = ""
			mw.revealSlave(id)
		}
	}
	mw.syncDetail()
	for _, s := range b.strangers {
		mw.promptStranger(s)
	}
}

// strangerQuiet is how long the window does not ask again about the same
// unknown slave (an agent set up for this console retries every minute).
const strangerQuiet = 10 * time.Minute

// promptStranger offers to add a slave that tried to connect without an
// entry, unless the user is busy in another dialog or was asked lately.
func (mw *mainWindow) promptStranger(s strangerAttempt) {
	key := strings.ToLower(s.name)
	for _, e := range mw.model.slaves {
		if e.lname == key {
			return // an entry of the other direction; the log says why
		}
	}
	now := mw.opts.now()
	if at, ok := mw.prompted[key]; ok && now.Sub(at) < strangerQuiet {
		return
	}
	if mw.win.Canvas().Overlays().Top() != nil {
		return
	}
	mw.prompted[key] = now
	UnknownSlavePrompt(mw.win, s.name, s.remote, func(name string) { mw.newSlaveDialog(name).show() })
}

func (mw *mainWindow) showWelcome(on bool) {
	if on == mw.welcomeOn && on == mw.welcome.Visible() && on != mw.split.Visible() {
		return
	}
	wasWelcome := mw.welcomeOn
	mw.welcomeOn = on
	showIf(mw.welcome, on)
	showIf(mw.split, !on)
	if wasWelcome && !on && mw.tree.selected == "" {
		// The first slave was just added: show it.
		if g := mw.model.groups; len(g) > 0 && len(mw.model.kids[g[0]]) > 0 {
			mw.tree.Select(mw.model.kids[g[0]][0])
		}
	}
}

// selectionChanged follows the tree's selection.
func (mw *mainWindow) selectionChanged(string) {
	mw.syncDetail()
	if v, ok := mw.selectedSlave(); ok && v.State == master.StateConnected && v.Status == nil {
		mw.refreshStatus()
	}
}

// selectedSlave is the slave selected in the tree, if a slave is.
func (mw *mainWindow) selectedSlave() (master.SlaveView, bool) {
	id := mw.tree.selected
	if id == "" || isGroupNode(id) {
		return master.SlaveView{}, false
	}
	return mw.model.view(id)
}

// showAllServers selects nothing, so that the detail pane sums up the
// whole fleet.
func (mw *mainWindow) showAllServers() {
	if mw.tree.selected != "" {
		mw.tree.UnselectAll() // calls back with ""
	}
}

// syncDetail shows the selection in the detail pane and sets which
// actions apply.
func (mw *mainWindow) syncDetail() {
	id := mw.tree.selected
	switch {
	case id == "":
		mw.detail.showSummary("", mw.model.summarize("", mw.opts.now()))
	case isGroupNode(id):
		if _, ok := mw.model.group(id); !ok {
			mw.tree.UnselectAll()
			return
		}
		mw.detail.showSummary(id, mw.model.summarize(id, mw.opts.now()))
	default:
		v, ok := mw.model.view(id)
		if !ok {
			mw.tree.UnselectAll() // removed; calls back with ""
			return
		}
		mw.detail.show(v)
	}
	mw.updateActions()
}

// updateActions enables the toolbar buttons and the Slave menu's items
// that apply to the selection.
func (mw *mainWindow) updateActions() {
	v, ok := mw.selectedSlave()
	for _, b := range []*widget.Button{mw.editBtn, mw.removeBtn, mw.connBtn} {
		if ok {
			b.Enable()
		} else {
			b.Disable()
		}
	}
	if ok && mw.canRunTask(&v) {
		mw.runBtn.Enable()
	} else {
		mw.runBtn.Disable()
	}
	if ok && v.State != master.StateDisabled {
		mw.connBtn.SetText(toolDisconnect)
		mw.connBtn.SetIcon(theme.LogoutIcon())
	} else {
		mw.connBtn.SetText(toolConnect)
		mw.connBtn.SetIcon(theme.LoginIcon())
	}
	mw.syncSlaveMenu()
}

// canRunTask: Run Task (Ctrl+R) applies to slave v, linked, whose Tasks
// tab it shows first, then runs the task selected there.
func (mw *mainWindow) canRunTask(v *master.SlaveView) bool {
	return v.State == master.StateConnected && mw.detail.tasksTab != nil
}

func (mw *mainWindow) filterChanged(s string) {
	if mw.model.setFilter(s) {
		mw.tree.redraw(change{reshaped: true})
		mw.showNoMatch()
	}
}

// showNoMatch says so in place of the tree when the filter hides every
// slave, with a button to clear it: an empty tree alone reads as a fleet
// gone.
func (mw *mainWindow) showNoMatch() {
	none := mw.model.filter != "" && len(mw.model.groups) == 0 && mw.model.len() > 0
	if none {
		mw.noMatch.SetText(fmt.Sprintf("No server's name, group, address, notes or agent version holds “%s”.", strings.TrimSpace(mw.filter.Text)))
	}
	showIf(mw.noMatchNote, none)
}

func (mw *mainWindow) sortChanged(s string) {
	o := sortByName
	if s == sortState {
		o = sortByState
	}
	mw.app.Preferences().SetString(prefSort, s)
	if mw.model.setOrder(o) {
		mw.tree.redraw(change{reshaped: true})
		mw.syncDetail() // a summary says where the tree lists problems
	}
}

func (mw *mainWindow) focusFilter() {
	if mw.filter.Visible() {
		mw.win.Canvas().Focus(mw.filter)
	}
}

// ---------------------------------------------------------------------------
// Actions

// addSlave opens the Add Slave dialog in the group selected in the tree,
// or the selected slave's: a fleet is mostly added customer by customer.
func (mw *mainWindow) addSlave() {
	group := ""
	if id := mw.tree.selected; isGroupNode(id) {
		group = mw.model.groupName(id)
	} else if v, ok := mw.selectedSlave(); ok {
		group = v.Group
	}
	mw.addSlaveTo(group)
}

// addSlaveTo opens the Add Slave dialog with group filled in.
func (mw *mainWindow) addSlaveTo(group string) {
	d := mw.newSlaveDialog("")
	d.group.SetText(group)
	d.show()
}

// newSlaveDialog is an Add Slave dialog (with a name filled in, if any)
// whose slave, once added, is selected in the tree.
func (mw *mainWindow) newSlaveDialog(name string) *slaveDialog {
	d := newSlaveDialog(mw.win, mw.c, nil, name, mw.opts.do)
	d.onAdded = mw.revealAdded
	return d
}

// revealAdded selects a slave just added, now or once the fleet shows it.
func (mw *mainWindow) revealAdded(name string) {
	if id, ok := mw.model.idOf(name); ok {
		mw.revealSlave(id)
		return
	}
	mw.revealName = name
}

func (mw *mainWindow) editSelected() {
	v, ok := mw.selectedSlave()
	if !ok {
		return
	}
	ShowSlaveDialog(mw.win, mw.c, &v, "")
}

// removeSelected asks first, then removes in the background; the tree
// learns of it from the fleet's events.
func (mw *mainWindow) removeSelected() {
	v, ok := mw.selectedSlave()
	if !ok {
		return
	}
	msg := widget.NewLabel(removeQuestion(&v))
	d, _ := askDialog(mw.win, removeConfirmTitle, msg, toolRemove, theme.DeleteIcon(), widget.DangerImportance, func() bool {
		name := v.Name
		mw.goDo(func(context.Context) func() {
			if err := mw.c.RemoveSlave(name); err != nil {
				return func() { mw.showError("Could not remove "+name, err) }
			}
			return nil
		})
		return true
	})
	d.Show()
}

// removeQuestion asks whether to remove v, saying what goes with it: its
// link, when it has one, and its entry and password, never the agent.
func removeQuestion(v *master.SlaveView) string {
	gone := "Its entry and password are forgotten."
	if v.State == master.StateConnected {
		gone = "Its link is closed and its entry and password are forgotten."
	}
	return fmt.Sprintf("Remove %s from this console?\n\n%s\nThe agent keeps running, and so do its backups; add it again to manage it.", v.Name, gone)
}

// toggleConnection disconnects a linked slave, or connects (now) one that
// is not.
func (mw *mainWindow) toggleConnection() {
	v, ok := mw.selectedSlave()
	if !ok {
		return
	}
	name := v.Name
	// A slave that is offline can be disconnected too: the console stops
	// trying it (outbound) or refuses it (inbound) until Connect.
	disconnect := v.State != master.StateDisabled
	mw.goDo(func(context.Context) func() {
		var err error
		what := "connect"
		if disconnect {
			what = "disconnect"
			err = mw.c.Disconnect(name)
		} else {
			err = mw.c.Connect(name)
		}
		if err != nil {
			return func() { mw.showError(fmt.Sprintf("Could not %s %s", what, name), err) }
		}
		return nil
	})
}

// refresh re-reads the whole fleet and asks the selected slave for fresh
// status, both in the background.
func (mw *mainWindow) refresh() {
	mw.goDo(func(context.Context) func() {
		b := batch{all: mw.c.Slaves(), listen: ptr(readListenInfo(mw.c)), mail: readMailStatus(mw.c)}
		return func() { mw.applyBatch(b) }
	})
	mw.refreshStatus()
	mw.detail.refreshTab()
}

// refreshStatus asks the selected slave, if connected, for its status.
// The answer comes back the way every change does: the fleet keeps it and
// publishes the change, and the next batch shows it. Only a failure is
// shown here. An outbound slave that is offline, or in error, is tried
// again now instead of after its backoff.
func (mw *mainWindow) refreshStatus() {
	v, ok := mw.selectedSlave()
	if ok && canTryNow(&v) {
		mw.retryNow(v.Name)
		return
	}
	if !ok || v.State != master.StateConnected {
		return
	}
	id, name := v.ID, v.Name
	mw.goDo(func(ctx context.Context) func() {
		ctx, cancel := context.WithTimeout(ctx, statusTimeout)
		defer cancel()
		if _, err := mw.c.Status(ctx, name); err != nil {
			return func() {
				if mw.tree.selected == id {
					mw.detail.note.SetText("Could not refresh the details: " + err.Error())
					mw.detail.note.Show()
				}
			}
		}
		return nil
	})
}

// retryNow has the console dial the slave now.
func (mw *mainWindow) retryNow(name string) {
	mw.goDo(func(context.Context) func() {
		if err := mw.c.Connect(name); err != nil {
			return func() { mw.showError("Could not connect "+name, err) }
		}
		return nil
	})
}

func (mw *mainWindow) trust(name string) {
	mw.goDo(func(context.Context) func() {
		if err := mw.c.TrustCertificate(name); err != nil {
			return func() { mw.showError("Could not trust the new certificate of "+name, err) }
		}
		return nil
	})
}

func (mw *mainWindow) showLog() {
	if mw.opts.showLog != nil {
		mw.opts.showLog()
		return
	}
	ShowLogWindow(mw.app, mw.c, mw.c)
}

// showAudit opens the Command Audit window showing the commands of the
// slave or group scope names, or every slave's (View → Command Audit,
// Ctrl+Shift+A).
func (mw *mainWindow) showAudit(scope master.AuditFilter) {
	if mw.opts.audit != nil {
		mw.opts.audit(scope)
		return
	}
	if src, ok := mw.c.(CommandAudit); ok {
		ShowAuditWindow(mw.app, src, scope, mw.openSlaveNamed)
	}
}

// openSlaveNamed selects the slave called name in the tree and brings the
// window to the front; false when there is none of that name.
func (mw *mainWindow) openSlaveNamed(name string) bool {
	id, ok := mw.model.idOf(name)
	if !ok || !mw.revealSlave(id) {
		return false
	}
	mw.win.Show()
	mw.win.RequestFocus()
	return true
}

// showBackups opens the Backups window (View → Backups, Ctrl+B).
func (mw *mainWindow) showBackups() { mw.showBackupsOf("") }

// showBackupsOf opens the Backups window showing the tasks of group node
// (a group summary's Backups button), or of every group for "".
func (mw *mainWindow) showBackupsOf(node string) {
	if mw.opts.backups != nil {
		mw.opts.backups(node)
		return
	}
	src, ok := mw.c.(BackupSource)
	if !ok {
		return
	}
	v := showBackupsWindow(mw.app, src, mw.openTasksOf, defaultBackupsOptions())
	if isGroupNode(node) {
		v.showGroup(mw.model.groupName(node))
	}
}

// revealSlave selects slave id in the tree, clearing a filter that hides
// it and opening its group, and scrolls to it. False: no such slave.
func (mw *mainWindow) revealSlave(id string) bool {
	v, ok := mw.model.view(id)
	if !ok {
		return false
	}
	if mw.filter.Text != "" && !mw.model.slaves[id].matches(mw.model.filter) {
		mw.filter.SetText("")
	}
	mw.tree.OpenBranch(groupNodeID(v.Group))
	mw.tree.Select(id)
	mw.tree.ScrollTo(id)
	return true
}

// openTasksOf shows slave id's Tasks tab with task selected once its list
// is read (a double-click in the Backups
// window), bringing the main window to the front.
func (mw *mainWindow) openTasksOf(id, task string) {
	if !mw.revealSlave(id) {
		return
	}
	if mw.detail.tasksTab != nil {
		mw.detail.tasksTab.selectTask(task)
	}
	mw.detail.selectTab(tabTasks)
	mw.win.Show()
	mw.win.RequestFocus()
}

// pickNeedy shows slave id, named under Needs a look, on the tab that
// says why: its Tasks when only its backups need a look, else its
// Overview.
func (mw *mainWindow) pickNeedy(id string) {
	if !mw.revealSlave(id) {
		return
	}
	tab := tabOverview
	if v, ok := mw.model.view(id); ok && aboutBackups(attentionRank(&v, mw.opts.now())) {
		tab = tabTasks
	}
	mw.detail.selectTab(tab)
}

func (mw *mainWindow) showSettings(tickListen bool) {
	showSettingsDialog(mw.win, mw.c, mw.ports, tickListen, mw.opts.do)
}

// showMailSettings opens the settings on their Alerts and mail tab (the
// status bar's warning that mail is not getting through).
func (mw *mainWindow) showMailSettings() {
	showSettingsDialog(mw.win, mw.c, mw.ports, false, mw.opts.do).selectTab(mailTabLabel)
}

func (mw *mainWindow) showError(what string, err error) {
	showInfo(mw.win, what, capitalize(err.Error()))
}
