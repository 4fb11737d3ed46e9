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
// It has no GUI and no cgo: it runs inside the headless lanyard-agent
// service.
package agent
