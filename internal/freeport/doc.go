// Package freeport gives tests loopback addresses that stay free until
// they bind them: ports below the kernel's ephemeral range, which no
// outgoing connection is handed; and one that hangs up on every
// connection (HangUp), where a dial connects and then fails. Only tests import it; it imports nothing
// of Lanyard's, so any package's tests can.
package freeport
