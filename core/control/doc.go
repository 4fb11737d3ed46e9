// Package control is the local control socket a running Lanyard process
// opens in its data directory, so that its own command line can reach it:
// the agent's `lanyard-agent set …` and `task …`, the console's
// `lanyard status …` and `task … --slave`.
//
// The socket is owner-only: it is bound inside a private directory with
// mode 0600 and only then moved into place, the data directory must not be
// writable by others, and on Linux the peer's uid is checked as well (only
// the same user and root may ask). A stale socket left by a crash is
// removed; one that answers belongs to a running process and is left
// alone.
//
// The protocol is JSON lines: one request line per connection; the answer
// is one line, or for a stream any number of lines until the server closes
// the connection. What the lines mean is up to the two ends (core/agent,
// app/console); this package moves them, bounds their size and time, and
// tells the server when a streaming client hangs up.
package control
