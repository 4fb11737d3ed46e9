// Package master is the console's fleet: the slave entries, one state
// machine per slave, the one-link-per-slave rule, the listener for inbound
// slaves, a redialer per outbound slave, the connection log, and the event
// stream the UI and the headless console consume.
//
// It never touches Fyne; ui/ talks to it through small interfaces.
//
// # Files
//
//	master.go          Master: Start, Close, the settings in force, the listener, a redialer per outbound slave
//	state.go           a slave's state and its named transitions (connecting, linked, failed, closed, disabled,
//	                   enabled, removed): the only place a slave's state changes
//	admission.go       who may link (Admit), the one-link-per-slave rule, adopting a link, pinning; refusals
//	                   go to the store's RefusalLog, which records or counts them
//	links.go           what redialers and links report (attempts, failures, pushed status, closes)
//	slaves.go          the user's changes (add, edit, remove, connect, disconnect, trust) and SlaveView
//	entries.go         SlaveSpec: validating an entry and deriving its key, also for the CLI without a Master
//	settings.go        the Remote Management Settings, stored and validated
//	reach.go           where agents reach the console: LAN and public addresses, a new site's init line
//	record.go          writing and logging a connection-log record; publishing it once the store committed it
//	pins.go            saving pinned certificates and last-seen times in batches, off the links' path
//	lastseen.go        the linked slaves' last-seen times, saved every few minutes, and the console's running note, so a killed console knows them
//	events.go          Event, its hub, and the log queries the log window pages through
//	fanout.go          fanout: events to subscribers without blocking the sender, resync for the slow
//	testconnection.go  Test connection in the Add/Edit Slave dialog
//	remote.go          remote management: commands to a linked agent (status, log, settings, password),
//	                   refusals in plain words, "not supported by this agent version", the audit
//	remote_tasks.go    a linked agent's backup tasks (list, check, put, run, history, restore…) and the
//	                   task events agents push, fanned out to WatchTasks subscribers; RunTasks, many at once
//	copytask.go        a task of one slave given to others (copied, replaced, run; a folder each with
//	                   {server}), each one's result
//	pool.go            EachSlave: one command to many slaves, a bounded number at once; forEach
//	groups.go          a group: the name its slaves share; renaming it with its mail recipients
//	bulk.go            importing and exporting entries in bulk (core/slavefile), keys derived by a pool
//	mail.go            the mail settings, a test message, a report on demand, the daily summaries (each
//	                   one's record kept, so a failed or interrupted one is sent later, never twice)
//	alertmail.go       alert mail through the outbox: written as alerts come due, one message per set of
//	                   recipients, tried again until taken, left unsent once an alert is over
//	health.go          the fleet's backup health (core/health's Tracker): read from each agent as it links
//	                   (task.health: only what changed since; an older agent's whole list), kept up to date
//	                   from pushed task events, published as EventBackup; alerts to WatchAlerts subscribers
//
// # Locking
//
// Master.mu guards the settings, the listener and every slave. Nothing
// that can block (the store, a link's Close, the hub) is called with it
// held, except starting goroutines: a redialer's, and a new link's reader,
// which is started in the same step that makes it a slave's link (adopt).
// Queueing pins (pins.go) never blocks; the last-seen refresh does it
// under Master.mu, so its times are queued in order (lastseen.go).
package master
