// Package fleetsim runs a simulated fleet in one process: Count agents,
// each the real core/agent with its real handlers, run in memory (no
// database per agent: settings given, pins and state kept in memory), each
// with its own installation identity and certificate, and each from its
// own address on 127.0.0.0/8, so a console on the same machine sees what a
// real fleet looks like: thousands of servers at thousands of addresses.
//
// Agents either dial one console (its inbound slaves) or listen, each at
// its own address, for a console that dials them (outbound slaves). Their
// keys come from a seed (HMAC-SHA256(seed, name)), not from passwords, so a
// fleet of 19,000 needs no 19,000 Argon2id derivations, and a fleet spread
// over several processes, or run again, shares its keys: Entries gives the
// console's import file for it (core/slavefile).
//
// The agents of one process dial through one link.DialGate
// (DialsPerCore): each connects only when the process can send its first
// flight at once, as a real agent with a CPU of its own would, so that the
// console's hello deadline measures the agent, not the queue for this
// process's CPU.
//
// `lanyard-agent simulate` is its command line; the scale benchmarks and
// fault tests run it against a real console.
package fleetsim
