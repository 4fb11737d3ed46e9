// Package link owns Lanyard's connections: listening and dialing, TLS or
// plain TCP, detecting an SSL mismatch in plain words, the authentication
// handshake, heartbeats, and the one Link type both the console and the
// agent use once a connection is authenticated.
//
// Which side dialed matters only until the handshake ends: after it, a Link
// is the same whichever way it was made. The console sends requests, the
// agent answers them and pushes events.
//
// link knows nothing about the fleet, the database or the UI. What to do
// with a new link (the duplicate-link rule, logging) is decided by its
// caller, core/master or core/agent.
package link
