// Package portcheck answers "can a listener use this TCP port here?": it
// tries to bind the port, names the processes that hold it (gopsutil: the
// listening socket, its pid, the process's name and command line) and, when
// the port is taken, suggests a free one above 5000.
//
// The agent's `lanyard-agent port-check` and the console's settings dialog
// both use it. It has no GUI and no cgo.
package portcheck
