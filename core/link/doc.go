// Package link owns Lanyard's connections: listening and dialing, TLS or
// plain TCP, detecting an SSL mismatch in plain words, the authentication
// handshake, heartbeats, and the one Link type both the console and the
// agent use once a connection is authenticated.
//
// Which side dialed matters only until the handshake ends: after it, a Link
// is the same whichever way it was made. The console sends requests, the
// agent answers them and pushes events. A large answer (a log backlog, a
// folder listing) is a stream (Stream, Chunks): chunks under 16 KiB, at
// most wire.StreamWindow of them unconsumed, so a slow reader slows the
// sender rather than growing a buffer on either side.
//
// Files: handshake.go holds the handshake's phases both sides share
// (TLS, hellos and their one check, proof, verify, welcome; with SSL the
// dialer's proof goes with its hello, and the acceptor's hello and welcome
// go together); listen.go the
// acceptor (the door: per-address caps, the hello deadline and the failure
// limit before a slot; sniffing TLS from plain) and its handshake; admit.go
// the handshake slots and the schedule a storm is turned away by (each
// connection told to come back at its own moment, the backlog spread at
// the rate the slots are served); dial.go the dialer, its handshake and
// the gate a process dialing for thousands shares; conn.go what wraps a
// connection during the handshake (the sniffed bytes replayed; what TLS
// writes last, the dialer's Finished or the acceptor's session ticket,
// held for the hello, so both go out in one write);
// link.go the authenticated Link and its frame dispatcher; watch.go the
// sweep that declares a console's silent peers dead; redial.go
// reconnecting with backoff; diagnose.go the step-by-step connection
// test; nextkey.go the rule by which a link under either of two keys
// settles a password change whose answer never came; masterspec.go how
// a console to dial is written (its addresses and expected certificate),
// read alike by the agent and by the console that adds it there.
//
// Heartbeats: only the agent's side of a link pings, every heartbeat, on
// a whole slot of the clock (pingDelay) so that a console's pings come
// together; the console's side answers and learns the round trip from
// the next ping. Until the first, both sides know it from the handshake
// (from their hello, or the acceptor's TLS flight when the dialer proved
// early, to the peer's answer). Each side declares the link
// dead after DeadAfter without a frame: the agent's with a timer per
// link, the console's with one sweep of all its links (watch.go). A TLS
// link keeps its peer certificate's fingerprint, not the parsed
// certificate, nor the buffers its handshake grew (tlsmem.go).
//
// Anything a peer says (a close reason, a code this version does not know)
// is shown as its words, quoted and cut by wire.Quote, and a retry it asks
// for is capped: MaxRetryAfterBeforeAuth before authentication, when anyone
// at the address could have sent it, MaxRetryAfterLinked after.
//
// link knows nothing about the fleet, the database or the UI. What to do
// with a new link (the duplicate-link rule, logging) is decided by its
// caller, core/master or core/agent.
package link
