package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sirupsen/logrus"
	"go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// Defaults applied by Open to zero Options fields.
const (
	DefaultLockTimeout   = time.Second
	DefaultLogRetention  = 30 * 24 * time.Hour
	DefaultLogMaxRecords = 100_000
	// DefaultAuditMaxRecords: a year of a busy provider's commands.
	DefaultAuditMaxRecords = 200_000
)

// The file and directory modes Open enforces: the file holds the TLS private
// key and the derived slave keys, so nobody but the owner may read it.
const (
	fileMode = 0o600
	dirMode  = 0o700
)

// Options configure Open. The zero value is usable.
type Options struct {
	Kind          string        // "console" or "agent"; used in messages
	LockTimeout   time.Duration // default 1s
	LogRetention  time.Duration // connlog: drop records older than this; default 30 days
	LogMaxRecords int           // connlog: keep at most this many; default 100_000
	// AuditMaxRecords: the audit keeps at most about this many, the
	// newest; default 200_000.
	AuditMaxRecords int
	Logger          logrus.FieldLogger // optional; default a discard logger
}

func (o Options) withDefaults() Options {
	if o.LockTimeout <= 0 {
		o.LockTimeout = DefaultLockTimeout
	}
	if o.LogRetention <= 0 {
		o.LogRetention = DefaultLogRetention
	}
	if o.LogMaxRecords <= 0 {
		o.LogMaxRecords = DefaultLogMaxRecords
	}
	if o.AuditMaxRecords <= 0 {
		o.AuditMaxRecords = DefaultAuditMaxRecords
	}
	if o.Logger == nil {
		discard := logrus.New()
		discard.SetOutput(io.Discard)
		o.Logger = discard
	}
	return o
}

// Bucket names. Every bucket exists once Open has returned.
var (
	bucketMeta     = []byte("meta")
	bucketIdentity = []byte("identity")
	bucketSettings = []byte("settings")
	bucketSlaves   = []byte("slaves")
	bucketMasters  = []byte("masters")
	bucketConnLog  = []byte("connlog")
	bucketAudit    = []byte("audit")
)

// Keys in the meta bucket.
var (
	metaSchema = []byte("schema")
	// metaConnLogLast holds the newest connlog key as of the last prune,
	// so the sequence keeps increasing across restarts even after pruning
	// has emptied the bucket.
	metaConnLogLast = []byte("connlog_last")
	// metaRunning holds the console's Running note (lastseen.go).
	metaRunning = []byte("console_running")
)

// migrations bring a file from schema i to i+1 (migrations[i]). Each runs in
// its own transaction together with the schema bump, so a crash between two
// migrations leaves a file that the next Open simply continues.
// Append only: never edit or reorder an entry that has shipped.
var migrations = []func(tx *bbolt.Tx) error{
	createBuckets,
	createTaskBuckets,  // 2: the agent's backup tasks and run history (tasks.go)
	masterAddressLists, // 3: a master has a list of addresses (masters.go)
	createHealthBucket, // 4: the console's record of its fleet's backup health (health.go)
	lastSeenApart,      // 5: slaves' last-seen times in a bucket of their own (lastseen.go)
	lastSeenLinked,     // 6: a last-seen time may say the slave was linked then (lastseen.go)
}

// CurrentSchema is the schema version this build writes. A test keeps it
// equal to len(migrations).
const CurrentSchema = 6

// rewriteEach is how a migration rewrites a bucket's entries: fn sees
// every key and value and returns the new value, or nil to leave the entry
// as it is. The new values are put after the walk, as bbolt allows no
// writes to a bucket while ForEach walks it.
func rewriteEach(b *bbolt.Bucket, fn func(k, v []byte) ([]byte, error)) error {
	updates := map[string][]byte{}
	err := b.ForEach(func(k, v []byte) error {
		value, err := fn(k, v)
		if value != nil {
			updates[string(k)] = value
		}
		return err
	})
	if err != nil {
		return err
	}
	for k, v := range updates {
		if err := b.Put([]byte(k), v); err != nil {
			return err
		}
	}
	return nil
}

func createBuckets(tx *bbolt.Tx) error {
	for _, name := range [][]byte{
		bucketMeta, bucketIdentity, bucketSettings, bucketSlaves,
		bucketMasters, bucketConnLog, bucketAudit,
	} {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return fmt.Errorf("create bucket %s: %w", name, err)
		}
	}
	return nil
}

// Sentinel errors; test with errors.Is.
var (
	// ErrAlreadyRunning: another process (or another Open in this one)
	// holds the file. The error is a *LockedError.
	ErrAlreadyRunning = errors.New("already running")
	// ErrClosed: the DB was used after Close.
	ErrClosed = errors.New("the Lanyard database is closed")
	// ErrNotFound: the entry asked for does not exist.
	ErrNotFound = errors.New("not found")
	// ErrDuplicate: an entry would clash with an existing one. The error is
	// a *DuplicateError.
	ErrDuplicate = errors.New("duplicate")
	// ErrInvalid: an entry was refused because a required field is
	// missing or inconsistent.
	ErrInvalid = errors.New("invalid entry")
	// ErrNewerSchema: the file was written by a newer Lanyard.
	ErrNewerSchema = errors.New("database schema is newer than this build")
	// ErrDamaged: the file, or one entry in it, cannot be read.
	ErrDamaged = errors.New("database damaged")
)

// LockedError reports that the database file is locked by another running
// instance.
type LockedError struct {
	Path string
	PID  int    // 0 if unknown
	Kind string // "console", "agent" or ""
}

func (e *LockedError) Error() string {
	who := "another Lanyard process is"
	if e.Kind != "" {
		who = article(e.Kind) + " " + e.Kind + " is"
	}
	where := e.Path
	if e.PID > 0 {
		where = "pid " + strconv.Itoa(e.PID) + ", " + e.Path
	}
	return fmt.Sprintf("%s already running with this data directory (%s): stop it first, or use --data-dir to pick another directory", who, where)
}

// Is makes errors.Is(err, ErrAlreadyRunning) true.
func (e *LockedError) Is(target error) bool { return target == ErrAlreadyRunning }

func article(word string) string {
	if word != "" && strings.ContainsRune("aeiouAEIOU", rune(word[0])) {
		return "an"
	}
	return "a"
}

// DamagedError reports one entry that cannot be decoded. Everything else in
// the file may still be fine.
type DamagedError struct {
	Path   string
	Bucket string
	Key    string // printable form of the key
	Err    error
}

func (e *DamagedError) Error() string {
	return fmt.Sprintf("%s: the %s entry %s is unreadable (%v): restore the file from a backup, or move it aside to start with an empty one", e.Path, e.Bucket, e.Key, e.Err)
}

func (e *DamagedError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrDamaged) true.
func (e *DamagedError) Is(target error) bool { return target == ErrDamaged }

// DB is one open Lanyard database file. All methods are safe for concurrent
// use.
type DB struct {
	bolt *bbolt.DB
	path string
	opts Options
	log  logrus.FieldLogger
	now  func() time.Time // tests replace it right after Open, before any other use

	connlog    connLog
	slaveIndex slaveIndex // slaveindex.go

	closeOnce sync.Once
	closeErr  error
}

// Open opens (creating if needed) the database at path, takes its lock,
// runs pending migrations, prunes the connection log and starts the
// connection log's writer. Close releases all of it.
func Open(path string, opts Options) (*DB, error) {
	opts = opts.withDefaults()
	if err := os.MkdirAll(filepath.Dir(path), dirMode); err != nil {
		return nil, fmt.Errorf("create the data directory for %s: %w: check its permissions, or use --data-dir to pick another directory", path, err)
	}
	// bbolt passes the mode only to a file it creates; an existing file
	// (copied in, or from an older build) is made private here.
	if err := os.Chmod(path, fileMode); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("make %s readable by its owner only: %w: check who owns the file", path, err)
	}

	bdb, err := bbolt.Open(path, fileMode, &bbolt.Options{Timeout: opts.LockTimeout})
	if err != nil {
		return nil, openError(path, opts.Kind, err)
	}
	db := &DB{
		bolt: bdb,
		path: path,
		opts: opts,
		log:  opts.Logger.WithField("db", path),
		now:  time.Now,
	}
	if err := db.start(); err != nil {
		_ = bdb.Close()
		return nil, err
	}
	return db, nil
}

// start does everything after the lock is held. On error the caller closes
// the bbolt handle; the pid file is removed here.
func (db *DB) start() error {
	// The pid file is written only after the lock is ours, so it always
	// names the holder (or a holder that crashed, which the next successful
	// Open overwrites).
	if err := writePIDFile(db.pidPath()); err != nil {
		db.log.WithError(err).Warn("cannot write the pid file; a second instance will not be able to name this one")
	}
	if err := db.migrate(); err != nil {
		_ = os.Remove(db.pidPath())
		return err
	}
	if err := db.startConnLog(); err != nil {
		_ = os.Remove(db.pidPath())
		return err
	}
	return nil
}

func openError(path, kind string, err error) error {
	switch {
	case errors.Is(err, berrors.ErrTimeout):
		return &LockedError{Path: path, PID: readPIDFile(path + ".pid"), Kind: kind}
	case errors.Is(err, berrors.ErrInvalid), errors.Is(err, berrors.ErrChecksum),
		errors.Is(err, berrors.ErrVersionMismatch), errors.Is(err, berrors.ErrInvalidMapping):
		return errorf(ErrDamaged, "%s is not a Lanyard database or it is damaged (%w): restore it from a backup, or move it aside to start with an empty one", path, err)
	default:
		return fmt.Errorf("open %s: %w: check that it is a file this user may read and write, or use --data-dir to pick another directory", path, err)
	}
}

func (db *DB) pidPath() string { return db.path + ".pid" }

// writePIDFile writes through a temporary file and a rename so that a
// process reading it never sees a half-written number.
func writePIDFile(path string) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, fileMode)
	if err != nil {
		return err
	}
	_, werr := f.WriteString(strconv.Itoa(os.Getpid()) + "\n")
	cerr := f.Close()
	if err := errors.Join(werr, cerr); err != nil {
		_ = os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, path)
}

// readPIDFile returns the pid in path, or 0 when it is missing or unreadable:
// the pid only decorates the "already running" message.
func readPIDFile(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0
	}
	return pid
}

func (db *DB) migrate() error {
	version, err := db.SchemaVersion()
	if err != nil {
		return err
	}
	if version > CurrentSchema {
		return errorf(ErrNewerSchema, "%s was created by a newer Lanyard (schema %d, this build knows %d): upgrade Lanyard", db.path, version, CurrentSchema)
	}
	for v := version; v < len(migrations); v++ {
		err := db.bolt.Update(func(tx *bbolt.Tx) error {
			if err := migrations[v](tx); err != nil {
				return err
			}
			meta, err := tx.CreateBucketIfNotExists(bucketMeta)
			if err != nil {
				return err
			}
			return meta.Put(metaSchema, binary.BigEndian.AppendUint32(nil, uint32(v+1)))
		})
		if err != nil {
			return fmt.Errorf("upgrade %s to schema %d: %w: restore the file from a backup, or report this as a bug", db.path, v+1, err)
		}
	}
	// One line for what was done: a new file is created, not upgraded
	// once for each schema there has been.
	switch {
	case version == 0:
		db.log.WithField("schema", len(migrations)).Info("database created")
	case version < len(migrations):
		db.log.WithFields(logrus.Fields{"schema": len(migrations), "from": version}).Infof("database schema upgraded from %d to %d", version, len(migrations))
	}
	return nil
}

// SchemaVersion returns the schema version stored in the file (0 for a file
// no Lanyard has initialised).
func (db *DB) SchemaVersion() (int, error) {
	var version int
	err := db.view(func(tx *bbolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		if meta == nil {
			return nil
		}
		raw := meta.Get(metaSchema)
		if raw == nil {
			return nil
		}
		if len(raw) != 4 {
			return &DamagedError{Path: db.path, Bucket: "meta", Key: "schema", Err: fmt.Errorf("%d bytes, want 4", len(raw))}
		}
		version = int(binary.BigEndian.Uint32(raw))
		return nil
	})
	return version, err
}

// Path returns the database file's path.
func (db *DB) Path() string { return db.path }

// Close flushes queued connection-log records, removes the pid file and
// releases the file. Calling it again does nothing and returns nil.
func (db *DB) Close() error {
	first := false
	db.closeOnce.Do(func() {
		first = true
		flushErr := db.stopConnLog()
		// Remove the pid file while the lock is still ours, so that we
		// never delete the file of an instance that opens right after us.
		pidErr := os.Remove(db.pidPath())
		if errors.Is(pidErr, fs.ErrNotExist) {
			pidErr = nil
		}
		closeErr := db.bolt.Close()
		db.closeErr = errors.Join(flushErr, pidErr, closeErr)
	})
	if !first {
		return nil
	}
	return db.closeErr
}

// view and update translate bbolt's "database not open" into ErrClosed.
func (db *DB) view(fn func(tx *bbolt.Tx) error) error {
	return closedError(db.bolt.View(fn))
}

func (db *DB) update(fn func(tx *bbolt.Tx) error) error {
	return closedError(db.bolt.Update(fn))
}

func closedError(err error) error {
	if errors.Is(err, berrors.ErrDatabaseNotOpen) {
		return ErrClosed
	}
	return err
}

// bucket returns a bucket that Open guarantees, or a clear error if the file
// was altered behind our back.
func (db *DB) bucket(tx *bbolt.Tx, name []byte) (*bbolt.Bucket, error) {
	b := tx.Bucket(name)
	if b == nil {
		return nil, errorf(ErrDamaged, "%s has no %s bucket: the file is damaged; restore it from a backup, or move it aside to start with an empty one", db.path, name)
	}
	return b, nil
}

func (db *DB) damaged(bucket []byte, key string, err error) error {
	return &DamagedError{Path: db.path, Bucket: string(bucket), Key: key, Err: err}
}

// sentinelError carries a message that is complete on its own and also
// matches a sentinel with errors.Is, without repeating the sentinel's text.
type sentinelError struct {
	err      error
	sentinel error
}

func (e *sentinelError) Error() string   { return e.err.Error() }
func (e *sentinelError) Unwrap() []error { return []error{e.err, e.sentinel} }

// errorf is fmt.Errorf (so %w works) whose result also matches sentinel.
func errorf(sentinel error, format string, args ...any) error {
	return &sentinelError{err: fmt.Errorf(format, args...), sentinel: sentinel}
}
