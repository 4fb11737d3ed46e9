// Package freeport gives tests loopback addresses that stay free until
// they bind them: ports below the kernel's ephemeral range, which no
// outgoing connection is handed; and ones where something other than
// Lanyard answers (HangUp): one that hangs up on every connection, where
// a dial connects and then fails, and ones that answer as another program
// would (an SSH server's greeting, a web server's reply). Only tests
// import it; it imports nothing of Lanyard's, so any package's tests can.
package freeport
