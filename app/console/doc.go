// Package console is the console's composition root: the `lanyard` command
// line (serve, settings, slave, log) and, with no command, the window. It
// wires core/store, core/master and ui together.
//
// The running console (window or serve) opens a control socket in its
// data directory (controlsock.go, on core/control), so that the commands
// that manage a slave through its link (status, agent-log,
// agent-settings, password, audit; remotecmds.go) work while it runs, and
// so that its own settings and slaves can be read and changed while it
// runs (settingsedit.go, entryedit.go: one change, carried out on the
// running console or on the database when none runs). The shell's
// completion of slave and group names reads them the same way
// (completion.go). Commands to many slaves at once go through the
// running console, one line per slave as each ends: task copy
// (taskcopy.go), task rerun (taskrerun.go) and agent-settings set
// --group (groupsettings.go);
// group list and rename (groups.go), and slave mute (mute.go), work on
// the database too.
package console
