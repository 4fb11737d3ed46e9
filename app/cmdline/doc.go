// Package cmdline is what both command lines (the console's `lanyard` and
// the agent's `lanyard-agent`) share about talking to a person at a
// terminal: the exit codes, what counts as a mistake in the command line,
// the argument checks, on/off values, running a cobra tree so that every
// mistake ends the same way, and what a shell completion offers (Offer).
//
// Exit codes: 0 success, 1 failure, 2 a mistake in the command line (an
// unknown command or flag, a malformed value, a refusal before anything was
// done). A command group run with an unknown subcommand is a mistake too,
// never a silent help page with exit code 0.
//
// It has no GUI and no cgo: the headless agent links it.
package cmdline
