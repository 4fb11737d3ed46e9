// Package health is the console's picture of its fleet's backup health:
// for every task of every slave, the last known result and when, the last
// success, the failures since, the next run, whether it is running, and
// whether it is overdue (no success within its "overdue after").
//
// # The rules (rules.go)
//
// Evaluate turns what is known of a task into its state at a given time.
// In order: a task with a failure since its last success is failed; one
// whose last success (or, never successful, its creation) is older than
// its overdue-after is overdue; one that runs is running; one that never
// succeeded is unknown; the rest are ok. A stopped run changes nothing. A
// slave that is not linked keeps its last known state, marked as such
// with the time it was last heard from: its tasks still become overdue,
// so a server that went silent is a warning, not a green row. Worst
// orders the states for a slave's mark: failed, overdue, unknown,
// running, ok.
//
// # The record (tracker.go)
//
// Tracker keeps one record per slave entry in memory and in the console's
// database (store's health bucket), fed by the console (core/master) with
// what the agents push (runs started and finished, tasks changed and
// removed) and with what a relinking agent reports as changed since the
// console last saw it (Cursor: a task's creation and version, and the
// sequence of the newest record of its run history). Writes are batched:
// whatever changed during one interval is written in one transaction, so
// a relink storm of thousands of slaves costs a handful of commits. Tick
// re-evaluates the states against the clock (tasks become overdue with
// time) and raises alerts: a task failed or overdue for longer than the
// grace period, a task whose destination may not take its next runs
// (DestSpace.Low; Room notes space made by hand), a task whose last run's
// verify found copies damaged (Task.LastDamaged, until a run finds none),
// and a slave offline for
// longer than it, once per state (a task that fails again while failed
// is not announced again; after a success it is). A failed run the agent
// tries again (Task.RetryAt) is news once its last try failed, or once a
// try has not come for the grace after its time. What was announced is
// stored, so a restart does not announce it again. A paused task runs on
// a manual schedule, so it is never overdue. Nothing of a slave the user
// disconnected (Silence)
// or muted (Mute, until a time) is announced; what is still wrong with
// a muted one when its mute ends is announced then.
//
// # Reports (report.go)
//
// Report is the fleet's health as one document: every failed and overdue
// task listed, the rest counted, rendered as text, CSV, JSON (one object
// per task) or HTML, for `lanyard report` and the daily mail.
//
// # Outages (outage.go)
//
// FindOutage tells many servers gone offline within a couple of minutes
// of one another (more likely the network than the servers), from their
// alerts too (AlertsOutage), and OutageLine says so, for the window's
// summary, the desktop notification, the alert mail and lanyard check
// alike.
package health
