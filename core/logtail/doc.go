// Package logtail reads the agent's log file as `lanyard-agent logs` and
// the console's Log tab show it: the last lines, or those written since a
// time, at a level and above, and then new lines as they are written,
// following the file through rotation (renamed, a new file created) and
// truncation. It understands logrus's text and JSON lines; a line without
// a level or time (a panic's stack trace) goes with the line before it.
// Message splits a text line into its message and fields for reading (the
// console's Log tab).
package logtail
