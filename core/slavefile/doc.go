// Package slavefile reads and writes the slave list file: a console's
// slave entries as CSV or JSON, for `lanyard slave import` and `export`,
// File > Import/Export slaves in the window, and the file `lanyard-agent
// simulate --entries-out` writes for the console that manages its fleet.
//
// A row names a slave, its direction, its address (outbound), its group
// and notes, its pinned certificate fingerprint, and either a password
// (import only: the console derives the key) or a key a console exported
// (FormatKey: the Argon2id parameters and the derived key, never the
// password). A file with keys is as secret as the passwords themselves.
//
// Reading reports every malformed line with its number and goes on, so
// one pass shows the user every mistake; validating the values themselves
// (names, addresses, clashes) is the importer's job (core/master).
package slavefile
