// Package master is the console's fleet: the slave entries, one state
// machine per slave, the one-link-per-slave rule, the listener for inbound
// slaves, a redialer per outbound slave, the connection log, and the event
// stream the UI and the headless console consume.
//
// It never touches Fyne; ui/ talks to it through small interfaces.
package master
