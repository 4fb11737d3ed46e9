// Package human writes counts, sizes, durations and past times the way people read
// them, the same in the console's window, both command lines and the
// agent's log: "10,000", "3.1 GiB", "3 h 5 min", "3.1 GiB of 7.8 GiB (40 %)",
// "14:03:07 (12 min ago)". It reads the one kind of time people type
// for the end of something, "18:30" or "2026-12-24 08:00" (ParseUntil).
package human
