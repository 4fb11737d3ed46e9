// Package store is Lanyard's persistence: one bbolt file per process
// (console.db for the console, agent.db for the agent), opened by Open and
// released by Close.
//
// # The file
//
// The file and its pid file are 0600 and their directory 0700 when Open
// creates it: the file holds the TLS private key and the slaves' derived
// keys. bbolt locks the file for one writer; a second Open, from another
// process or from this one, waits Options.LockTimeout and then returns a
// *LockedError that names the holder's pid (read from "<path>.pid", which
// the holder writes once it has the lock and removes on Close).
//
// Buckets:
//
//	meta      "schema" → uint32 big-endian; "connlog_last" → newest connlog key at the last prune;
//	          "console_running" → when the console last noted itself running: Unix nanoseconds, int64 big-endian
//	identity  install_id, cert_pem, key_pem
//	settings  name → JSON
//	slaves    slave ID (hex) → JSON Slave, without LastSeen (console)
//	lastseen  slave ID (hex) → when it was last seen: Unix nanoseconds, int64 big-endian, then a byte 1
//	          when it was linked then and that link's end is not saved (console)
//	masters   lower-cased host:port → JSON Master    (agent)
//	connlog   time ‖ sequence → JSON Event
//	audit     time ‖ sequence → JSON AuditRecord     (console)
//	tasks     lower-cased task name → JSON backup task (agent; the document is core/agent's)
//	runs      lower-cased task name → bucket: sequence → JSON run report (agent)
//	health    slave ID (hex) → JSON backup health of its tasks (console; the document is core/health's)
//
// Schema changes are migrations, an append-only list run at Open, each in
// its own transaction with the bump of meta/schema. A file from a newer
// build is refused rather than guessed at.
//
// Every error that comes from the file itself (a non-bbolt file, an entry
// that does not decode) names the file and, where there is one, the entry's
// key, and matches ErrDamaged; nothing in the file makes the package panic
// short of bbolt's own page-level corruption checks.
//
// # Slaves
//
// A slave's name, and an outbound slave's address, are unique. The checks
// read an index of both kept in memory (slaveindex.go): built from the
// bucket at first use, changed only by the writers (AddSlaves, UpdateSlave,
// RemoveSlave) once their transaction commits, so adding to, or importing
// into, a console of 19,000 slaves costs what the new entries cost.
// SavePins writes what a link changes (the pinned certificate and
// installation, when it was last seen) for many entries in one transaction,
// touching nothing else and checking nothing, as none of it is unique.
// Last-seen times change with every link's start and end, thousands at a
// time when a console stops, so they live in a bucket of their own
// (lastseen.go, schema 5): saving one writes eight bytes and decodes no
// entry. Every read of a slave (Slaves, SlaveByID, SlaveByName) fills
// Slave.LastSeen from it, and RemoveSlave deletes it with the entry.
//
// The callbacks of LoadOrCreateIdentity, UpdateSettings, UpdateSlave and
// UpdateMaster run inside a write transaction, which bbolt serialises: they
// must not call back into the DB (Append and Flush would wait for a writer
// that waits for them).
//
// # The connection log
//
// Connection events arrive in storms (ten thousand slaves relinking after a
// console restart), and one durable bbolt transaction costs an fsync, so
// events are group-committed: Record and Append put the event on a bounded
// queue; one writer goroutine, owned by the DB, takes whatever has piled up
// (up to 1024 events) and writes it in one transaction, then releases every
// Append waiting on that batch. A batch therefore costs one commit (two
// fsyncs) however many events it holds, and callers that wait for
// durability (Append) and callers that don't (Record) share it. Record never
// drops an event: a full queue makes it wait; should the disk fail a write,
// the loss is logged and the next Flush returns it. Close commits everything
// queued before it returns. After each commit the writer tells the OnCommit
// listeners which records it made durable, with their keys: a reader told
// of a record finds it, with no retrying.
//
// Keys are the big-endian time in Unix nanoseconds followed by a big-endian
// sequence number, so byte order is time order and a key is a cursor both
// ways: EventFilter.AfterKey pages forward (Events), EventFilter.Before
// pages backward (LastEvents). The sequence only grows, across
// restarts too, and a key's time part never goes below the previous key's,
// so keys follow commit order even when the clock steps back; the event's
// own Time is kept in the value.
//
// Retention (Options.LogRetention, Options.LogMaxRecords) is enforced at
// Open and by the writer about every tenth of LogMaxRecords appended or
// every minute while events keep arriving. Beyond LogMaxRecords, records
// of peers turned away before they authenticated (Event.Refusal) go
// first, then the oldest of any kind: strangers cannot push out what
// linked peers did.
//
// # Refusals
//
// A RefusalLog (refusals.go), one for the console's listener and one for
// the agent's, decides which refusals before authentication are recorded
// and counts the rest, so that neither a relink storm nor a stranger
// hammering the port washes out the log: the first of a kind from an
// address in a minute is recorded (at most five a second), its repeats
// are counted into one record when the minute ends, refusals for load
// only counted, and at most one counted record is written a second. It
// hands its records to the caller, which writes them (Record) and logs
// them, so an agent without a database coalesces its log file the same
// way.
package store
