// Package ui holds the console's Fyne windows, widgets and dialogs.
//
// It draws and reacts; it never opens sockets or databases. The console's
// domain (core/master) reaches it through small interfaces and an event
// stream wired up in the app package, so every screen can be tested with
// the fyne.io/fyne/v2/test driver and a fake, without a display or cgo.
//
// # Files
//
//	fleet.go            the small interfaces the windows see the console through (Fleet, SlaveEditor, Console…)
//	batch.go            the one batcher of fleet events, for the tree, the log window and the notifier
//	live.go             what a batch changed: the views to redraw, the listener's state, mail's, strangers
//	mainwindow.go       the main window: toolbar, menus, tree and detail pane, status bar; its actions
//	tree.go             the server tree widget (groups → slaves, state marks, badges,
//	                    a row's right click)
//	treemodel.go        the tree's model: groups, order, filter, counts, applied a batch at a time
//	statusbar.go        "412 connected · 3 offline · listening on :16888 (SSL)", and mail not getting through
//	detail.go           the detail pane: Overview, the last problem and its fix
//	summary.go          the detail pane with no server selected: the fleet's or a group's states, backups, who needs a look
//	detailremote.go     the detail pane's remote tabs, the Slave menu and a row's context menu
//	remote.go           managing one slave over its link, for those tabs
//	following.go        what the remote tabs share: the slave followed, linked or not (and why not), shown or not
//	logtab.go           the Log tab: a live tail of the agent's log
//	settingstab.go      the Settings tab: the agent's settings, edited remotely
//	taskstab.go         the Tasks tab: backup tasks, run, stop, progress
//	taskviews.go        a task's History and Snapshots, and Verify and Delete of a snapshot (with what it frees)
//	taskdialog.go       the Task dialog: a backup task's definition, checked by the agent as it is typed,
//	                    the destination's room, and creating it
//	copydialog.go       Copy To…: a task of one server given to others, each one's result, optionally run
//	restoredialog.go    the Restore dialog: a snapshot, or part of one, to a folder or where it was; Find a file
//	finddialog.go       Find a File…: a file looked for in every task's snapshots, restored from its task's dialog
//	serverpaths.go      the dialogs' example paths, written as the slave's system writes them
//	foldertree.go       a tree of a server's folders (a snapshot's, or its own) read as each opens, with ticks
//	folderpicker.go     Browse…: a task's sources, its destination or a restore's target chosen on the server
//	passworddialog.go   Change Password: a new management password for a slave and its entry
//	waitdialog.go       what a request to an agent shows while it is on its way
//	slavedialog.go      the Add/Edit Slave dialog and its Test connection
//	settingsdialog.go   Remote Management Settings, with Check port
//	settingsreach.go    its Agents' addresses tab: LAN and public addresses, a new site's init line
//	mailsettings.go     its Alerts and mail tab's mail part: SMTP server, login, recipients, a test message,
//	                    why mail is not getting through
//	sslrisk.go          the words beside every SSL checkbox on what the setting exposes
//	slavefiles.go       File → Import Slaves… and Export Slaves…, with progress
//	savefile.go         the one way the windows ask where to save a file
//	logwindow.go        the Remote Management Log window: paged both ways, live, filter, copy, CSV export
//	auditwindow.go      the Command Audit window: the commands sent to slaves, newest first, live, search, CSV export
//	backups.go          the Backups window: every task of every slave, worst first, filtered and sorted
//	backupsreport.go    its Save Report…: the group shown's report, in the format the file's name asks for
//	backupsrun.go       its Run Tasks Shown…: every task shown run again, with progress, the failures named
//	groupactions.go     a group row's Connect All, Disconnect All and Rename Group…
//	mute.go             Mute Alerts: a server's, or a group's, for a while or until a time typed, and Unmute
//	closekeys.go        Escape and Ctrl+W close the windows beside the main one
//	askdialog.go        the one shape of a question to act on, and dialogKeys: Escape cancels a dialog,
//	                    and the window's own keys wait behind it (a stack per window); showInfo,
//	                    showErr, showConfirm and guardDialog give Fyne's own dialogs the same
//	dialogfield.go      a dialog's fields, drop-downs, check boxes, lists and trees, which hand Escape to it
//	dialogradio.go      a dialog's radio buttons (the Add/Edit Slave direction), which hand Escape to it too
//	geometry.go         windows' sizes: a first size that fits a laptop, then the size they were left at,
//	                    and the dividers of record splits where they were left (splitKept);
//	                    the windows the app has one of, found again when opened again
//	columns.go          tables' column widths: each its narrowest, the rest shared out
//	rowselect.go        tables show the whole row selected, not the one cell clicked
//	recordview.go       the record selected shown in full under a list, a divider between (log, audit, Backups, Tasks, History, Snapshots)
//	emptynote.go        what a view says in place of an empty list, wrapped at a readable width
//	notify.go           desktop notifications of outages and strangers, and the tray menu
//	welcome.go          the panel shown while there are no slaves
//	help.go             the icon, Troubleshooting and About
//	keyshelp.go         Help → Keyboard Shortcuts (F1): every key, by where it acts
//	icons.go            the tree's state marks, told apart by shape as well as colour
//	shortcuts.go        the main window's keyboard shortcuts, each bound in one place
//
// # Threads
//
// Widgets are touched on the Fyne thread only. Events from the fleet and
// answers from agents arrive on other goroutines, do their slow work there
// and hand one function to fyne.Do (tests replace it with a queue they
// run themselves).
package ui
