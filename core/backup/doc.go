// Package backup is the snapshot engine the agent runs: backup tasks and
// their validation, schedules, retention, the run that makes a snapshot,
// and verify, restore, deletion, snapshot listing, browsing and search. It knows
// nothing of the network, the GUI or the database: the agent
// (core/agent) stores tasks and run history and calls this package.
//
// # Snapshots on disk
//
// A task's snapshots live in DEST/<task>/, one folder per run named after
// its start in UTC (2025-06-01T020000Z). Inside, every source keeps its
// full original path (/home/alice/docs → home/alice/docs), so a snapshot
// is an ordinary folder tree a person can browse and copy from with any
// file manager. .lanyard/ at its top holds manifest.jsonl (one JSON line
// per folder, file and link: path, type, size, mode, mtime, owner, BLAKE3
// content hash, link target) and snapshot.json (the run's summary).
//
// # A run
//
// Start checks the destination (it must exist, and must not be, contain
// or lie inside a source), claims DEST/<task>/ for its server
// (StartOptions.Owner, in .lanyard-owner; a folder another server
// claimed fails the run: see owner.go), removes what an interrupted run left
// (*.partial, *.removing) with a log line, reads the newest complete
// snapshot's manifest and scans the sources (one lstat per entry; the
// totals make the first progress update's ETA). It then writes
// DEST/<task>/<id>.partial/: folders first, then files and links with
// Options.Workers goroutines. A file whose size, mtime, mode and owner
// match the previous manifest is hard-linked from the previous snapshot
// and inherits its hash; any other file is read once through a pooled
// 1 MiB buffer that feeds both the hash and the copy (on Linux without
// changing its access time), at most Task.Speed bytes a second across
// the workers when the task has a speed limit (speed.go). Modes, times
// and (as root) owners are kept; symbolic links are stored as links;
// sockets, devices and FIFOs are skipped with a warning. Last come the
// manifest, the summary, the folders' modes and times, one syncfs for
// the whole destination (an fsync per file elsewhere), and the rename to
// DEST/<task>/<id>/. A final name therefore always means a complete,
// durable snapshot.
//
// A source file that cannot be read, vanishes or changes during the run
// is a warning (ResultWarnings); a destination that cannot be written
// (full, read-only, missing, or without the task folder its last run
// wrote to: an unmounted share's empty mount point, StartOptions.Expect)
// or a whole source that is missing (an unmounted share) fails the run
// (ResultFailed), and the partial snapshot is removed. A file a verify
// found damaged is copied afresh by the next run, not linked (recopy.go),
// and the older snapshots that shared its damaged copy get the fresh one
// (mend.go). Stop ends a run within a second with ResultStopped and
// removes its partial snapshot; a run ended by its context (the agent
// shutting down) leaves that to the next run, so the stop is quick.
// Earlier snapshots are otherwise never touched; a failed scheduled run
// is tried again as the task says (retry.go). One run per task at a time
// (*BusyError); runs of different tasks overlap. After a successful run
// the task's Retention removes snapshots it no longer keeps, never the
// newest; the run then reads the destination's free space into its
// report and warns when the next runs may not fit (SpaceWarning,
// space.go). A run told its task's verify is due (StartOptions.Verify,
// Task.VerifyDue) then re-reads the whole snapshot against its manifest,
// at the task's speed limit: what does not match is its warnings, and the
// next run copies it afresh (verifyevery.go).
//
// DeleteSnapshot (delete.go) removes one snapshot by hand, between runs,
// as retention removes one (removeSnapshot serves both): it holds the
// task as a run does (a run, or a second deletion, is refused meanwhile)
// and refuses a snapshot a restore or verify reads. EstimateDeletion
// says beforehand what it would free: the room of the files no other
// snapshot shares (a hard link count of one).
//
// Browse (a snapshot's folder) and ListFolder (one of the server's own)
// list a folder a page at a time, folders first (browse.go); a large
// folder's sorted names are kept a short while between its pages
// (listcache.go).
//
// Restore (restore.go) writes into a target folder, or to where the files
// were (originalPath, relRoot's inverse), stopping, skipping or replacing
// at files that exist; folders it makes above what a snapshot describes
// are opened to pass through, and named in its warnings. Find (find.go)
// looks through every snapshot's manifest, newest first, for the names or
// paths a pattern matches, by the rule excludes use (pathPattern,
// pattern.go: a pattern read as the agent's system writes paths, C:\ and
// \server\share on Windows), with progress; it decodes only the lines
// whose path matches (linePath, containsFold), and lists each version of
// a file once (version: path, size, time, content) with the snapshots
// that hold it, its parts (FindPart) making the report as they come
// (FindReport.Add, in the engine, the console and the window alike).
//
// Progress is an interface the engine calls at most MaxUpdates times a
// second; the command line's progress bar and the link to the console are
// its implementations.
package backup
