// Package agent is the slave's side of Lanyard: its settings (name, key,
// listen address, SSL, whether it accepts management at all), the consoles
// it dials, the listener consoles dial, and the handlers that answer a
// console's requests.
//
// A running Agent is reconfigured without a restart (SetListen, SetSSL,
// SetManagement, AddMaster, RemoveMaster, SetPassword): each change is
// validated, persisted, then applied, and reports what changed in plain
// words; Snapshot tells what the agent is doing. The command line reaches
// a running agent through a local control socket (control.sock in the data
// directory, owner-only; DialControl, Configure) and, when none runs,
// edits the database with the same validation and messages (ApplyOffline).
//
// Tasks (tasks.go) is the agent's backup tasks: definitions in the tasks
// bucket, each saved with a version that grows by one, so an edit made
// against an older version is refused (ErrConflict); runs through the
// core/backup engine, one per task at a time, each recorded in the runs
// bucket when it starts and when it ends (a record left "running" by a
// killed process becomes "interrupted" at the next start) and logged;
// the scheduler, which starts tasks on time and, at start, runs once
// each task that missed its slot while the agent was down and says
// catch-up (a scheduled run that finds a snapshot of its task being
// deleted waits for it), and tries a failed scheduled run again as the
// task says, or one the agent's end cut short once it is back (the
// report names the time), and leaves a paused task to be run by hand;
// history, snapshots, browse, verify, restore and deleting a snapshot
// (and saying first what that would free). Every
// method takes a context and returns plain data, and Subscribe delivers
// progress, started, finished, changed, removed and deleted events, so
// the control socket, the offline command line and the link to consoles
// share it.
// The task_* control operations (taskcontrol.go) carry it over the
// socket, and list or make a folder of the server itself
// (task_list_folder and task_make_folder, as the task.list_folder and
// task.make_folder requests do for a console) to choose paths from; a
// request with Stream set gets progress lines before its answer. When no
// agent runs, TaskControl does the same in-process on the database, with
// the same validation and words.
//
// A linked console manages the agent through requests (manage*.go): one
// table says which methods this version answers (status with disks and
// the agent's clock, the log tail streamed from its log file, settings
// read and changed with the same setters as the command line, a password
// change that keeps the asking console's link, and the backup tasks, which
// call Tasks directly: manage_tasks.go); anything else is answered
// "unknown method" with the agent's version. Lists and logs are streamed
// in chunks under 16 KiB. Events (a changed status, a task's progress,
// runs started and finished, tasks changed, snapshots deleted by hand)
// are pushed to every linked console through a small per-link queue that
// never makes the agent wait (push.go); the wire forms of the task
// types are in taskwire.go. A relinking console asks for its tasks'
// backup health (health.go) with what it saw last (a cursor per task:
// its version and the sequence of its newest run record), and hears only
// of what changed since.
//
// It has no GUI and no cgo: it runs inside the headless lanyard-agent
// service.
package agent
