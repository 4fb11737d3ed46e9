// Package console is the console's composition root: the `lanyard` command
// line (serve, settings, slave, log) and, with no command, the window. It
// wires core/store, core/master and ui together.
package console
