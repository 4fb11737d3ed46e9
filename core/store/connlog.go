package store

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sirupsen/logrus"
	"go.etcd.io/bbolt"
)

// Severity is how much a connection-log record matters.
type Severity string

// Severities, named once for the console, the agent and the log window.
const (
	SeverityInfo    Severity = "info"
	SeverityWarning Severity = "warning"
	SeverityError   Severity = "error"
)

// Problem reports whether a person should look: a warning or an error.
func (s Severity) Problem() bool { return s == SeverityWarning || s == SeverityError }

// Level is the logrus level a record of this severity is logged at.
func (s Severity) Level() logrus.Level {
	switch s {
	case SeverityError:
		return logrus.ErrorLevel
	case SeverityWarning:
		return logrus.WarnLevel
	}
	return logrus.InfoLevel
}

// Kinds of connection-log records (Event.Kind). A refusal or a closed link
// is recorded under its close code (wire.Code) too: auth_failed,
// ssl_mismatch, dial_failed and the others.
const (
	KindConnecting   = "connecting"    // dialing a peer
	KindConnected    = "connected"     // a link is up
	KindDisconnected = "disconnected"  // a link ended
	KindListening    = "listening"     // the listener is up (or off)
	KindListenFailed = "listen_failed" // the listener could not start
	KindSettings     = "settings"      // settings applied
	KindAdded        = "added"         // an entry (slave or master) was added
	KindRemoved      = "removed"       // an entry was removed
	KindEdited       = "edited"        // a slave's entry was edited
	KindEnabled      = "enabled"       // the user connected a disconnected slave
	KindDisabled     = "disabled"      // the user disconnected a slave
	KindMuted        = "muted"         // the user muted a slave's alerts, or unmuted them
	KindTrusted      = "trusted"       // the user trusted a slave's new certificate
	KindRefusals     = "refusals"      // refusals counted together (RefusalLog)
	KindDiagnosed    = "diagnosed"     // a diagnosis (lanyard-agent diagnose) reached the listener
)

// Event is one connection-log record.
type Event struct {
	Seq       uint64    `json:"-"` // filled on read: the key's sequence part; a cursor
	Time      time.Time `json:"time"`
	Slave     string    `json:"slave,omitempty"`
	SlaveID   string    `json:"slave_id,omitempty"`  // the console's entry, when the record is about one
	Direction string    `json:"direction,omitempty"` // "inbound"/"outbound"
	Remote    string    `json:"remote,omitempty"`
	Kind      string    `json:"event"` // connecting, connected, disconnected, auth_failed, ssl_mismatch, ...
	Severity  Severity  `json:"severity"`
	Reason    string    `json:"reason,omitempty"` // plain words
	Error     string    `json:"error,omitempty"`
	// Refusal marks a record of peers turned away before they
	// authenticated (RefusalLog): pruning removes such records first.
	Refusal bool `json:"refusal,omitempty"`
	// Count is how many refusals a counted record stands for; 0 for one.
	Count int `json:"count,omitempty"`

	// keyNanos is the time part of the record's key, filled on read. It can
	// be later than Time (see nextKey), so Key must not rebuild it from Time.
	keyNanos int64
}

// Key returns the record's key: pass it as EventFilter.AfterKey to read the
// records logged after this one, or as Before for those logged before it.
// It is set on every Event read from the store or announced by OnCommit;
// for another Event it is built from Time and Seq.
func (e Event) Key() []byte {
	nanos := e.keyNanos
	if nanos == 0 {
		// keyNanos is only ever raised above the event time, never
		// lowered, so 0 means "not read from the store" or a time at or
		// before 1970; timeNanos gives the right answer for both.
		nanos = timeNanos(e.Time)
	}
	return encodeKey(nanos, e.Seq)
}

// EventFilter selects connection-log records.
type EventFilter struct {
	Slave      string    // case-insensitive exact match; "" = all
	Since      time.Time // zero = no lower bound
	AfterKey   []byte    // resume after this key (exclusive), for paging forward
	Before     []byte    // only records before this key (exclusive), for paging backward
	Limit      int       // 0 = no limit
	ErrorsOnly bool      // Severity warning or error
}

func (f EventFilter) match(e *Event) bool {
	if f.Slave != "" && !strings.EqualFold(f.Slave, e.Slave) {
		return false
	}
	if f.ErrorsOnly && !e.Severity.Problem() {
		return false
	}
	return true
}

// lowerBound returns the smallest key the filter accepts and whether that
// key itself is excluded.
func (f EventFilter) lowerBound() (key []byte, exclusive bool) {
	if !f.Since.IsZero() {
		key = encodeKey(timeNanos(f.Since), 0)
	}
	if f.AfterKey != nil && bytes.Compare(f.AfterKey, key) >= 0 {
		return f.AfterKey, true
	}
	return key, false
}

// below reports whether key is under the filter's upper bound.
func (f EventFilter) below(key []byte) bool {
	return f.Before == nil || bytes.Compare(key, f.Before) < 0
}

// Group-commit tuning.
const (
	// eventQueueSize bounds the memory a burst can take; Record blocks
	// beyond it rather than drop.
	eventQueueSize = 4096
	// maxBatch caps one bbolt transaction so that a reconnect storm still
	// releases waiters every few milliseconds.
	maxBatch = 1024
	// recordLinger is how long a batch that nobody waits for (Record
	// only) gathers more before it is committed. In a reconnect storm the
	// records come a few at a time, and committing each few on its own
	// costs a transaction and an fdatasync apiece; lingering makes it one
	// for all that came meanwhile. An Append or a Flush commits at once,
	// with whatever lingered.
	recordLinger = 20 * time.Millisecond
	// pruneInterval and the record count in pruneEvery decide how often the
	// writer enforces retention; the log may exceed LogMaxRecords by about
	// a tenth in between.
	pruneInterval = time.Minute
	// pruneChunk caps the deletions per transaction (and a transaction
	// looks at four times as many records at most), so that pruning a
	// large backlog does not build one huge transaction in memory.
	pruneChunk = 10_000
)

// eventKeyLen: big-endian uint64 unix nanoseconds ‖ big-endian uint64 sequence.
const eventKeyLen = 16

func encodeKey(nanos int64, seq uint64) []byte {
	key := make([]byte, eventKeyLen)
	binary.BigEndian.PutUint64(key[:8], uint64(nanos))
	binary.BigEndian.PutUint64(key[8:], seq)
	return key
}

func decodeKey(key []byte) (nanos int64, seq uint64, ok bool) {
	if len(key) != eventKeyLen {
		return 0, 0, false
	}
	nanos = int64(binary.BigEndian.Uint64(key[:8]))
	if nanos < 0 {
		return 0, 0, false
	}
	return nanos, binary.BigEndian.Uint64(key[8:]), true
}

// timeNanos maps t onto the non-negative int64 range, where the big-endian
// encoding sorts like the time itself. Times before 1970 (never produced by
// a running clock) become 0; times past 2262 saturate.
func timeNanos(t time.Time) int64 {
	switch {
	case t.Unix() < 0:
		return 0
	case t.Unix() >= math.MaxInt64/int64(time.Second):
		return math.MaxInt64
	}
	return t.UnixNano()
}

// describeKey names a connlog or audit key in an error message.
func describeKey(key []byte) string {
	nanos, seq, ok := decodeKey(key)
	if !ok {
		return hex.EncodeToString(key)
	}
	return fmt.Sprintf("%s (logged %s, #%d)", hex.EncodeToString(key), time.Unix(0, nanos).UTC().Format(time.RFC3339Nano), seq)
}

// connLog is the group-commit machinery behind Record, Append and Flush.
type connLog struct {
	queue chan pendingEvent
	stop  chan struct{} // closed by Close: drain the queue and exit
	done  chan struct{} // closed by the writer when it has exited

	// sendMu makes "not closed, so send" atomic with respect to Close:
	// senders hold it shared while they send, Close takes it exclusively to
	// set closed. Once Close holds it no sender is mid-send, so the final
	// drain sees every record that was accepted.
	sendMu sync.RWMutex
	closed bool

	pruneMu sync.Mutex // PruneEvents runs one at a time

	// Owned by the writer goroutine once it runs.
	lastNanos    int64  // time part of the newest key written
	nextSeq      uint64 // sequence part of the next key
	sincePrune   int
	lastPruned   time.Time
	pruneEvery   int
	finalErr     error // a commit error while draining at Close
	unflushedErr error // the first failure since a Flush last returned
	lostTotal    int   // Record events lost, for the log
	// committed counts batches and records written, so that the benchmark
	// can report the batch size the group commit achieves.
	committedBatches, committedRecords int

	// Who hears of committed records (OnCommit).
	listenMu  sync.Mutex
	listeners map[*commitListener]struct{}
}

type commitListener struct{ fn func([]Event) }

// OnCommit has fn told, after every commit of the connection log, which
// records it made durable, oldest first, each with its key (Event.Key): a
// reader that pages the log finds every record it was told of, and can
// start at its key. It returns a function that stops the announcements;
// after it returns fn is not called again. fn runs on the log's writer
// goroutine, so it must return quickly and must not call Record, Append or
// Flush; it must not keep the slice.
func (db *DB) OnCommit(fn func([]Event)) (stop func()) {
	cl := &db.connlog
	l := &commitListener{fn: fn}
	cl.listenMu.Lock()
	if cl.listeners == nil {
		cl.listeners = map[*commitListener]struct{}{}
	}
	cl.listeners[l] = struct{}{}
	cl.listenMu.Unlock()
	return func() {
		cl.listenMu.Lock()
		delete(cl.listeners, l)
		cl.listenMu.Unlock()
	}
}

// announce tells the OnCommit listeners of the records in batch that were
// written.
func (cl *connLog) announce(batch []pendingEvent) {
	cl.listenMu.Lock()
	defer cl.listenMu.Unlock()
	if len(cl.listeners) == 0 {
		return
	}
	written := make([]Event, 0, len(batch))
	for i := range batch {
		if p := &batch[i]; !p.flush && p.err == nil {
			written = append(written, p.event)
		}
	}
	if len(written) == 0 {
		return
	}
	for l := range cl.listeners {
		l.fn(written)
	}
}

type pendingEvent struct {
	event Event
	flush bool       // a Flush marker, not a record
	done  chan error // nil for Record; buffered so the writer never blocks
	err   error      // this record's own failure (it could not be encoded)
}

func (db *DB) startConnLog() error {
	cl := &db.connlog
	cl.queue = make(chan pendingEvent, eventQueueSize)
	cl.stop = make(chan struct{})
	cl.done = make(chan struct{})
	cl.pruneEvery = db.opts.LogMaxRecords/10 + 1

	// Seed the sequence from the newest key ever written: the last key in
	// the bucket, or the high-water mark in meta if pruning removed it.
	err := db.view(func(tx *bbolt.Tx) error {
		log, err := db.bucket(tx, bucketConnLog)
		if err != nil {
			return err
		}
		meta, err := db.bucket(tx, bucketMeta)
		if err != nil {
			return err
		}
		lastKey, _ := log.Cursor().Last()
		if mark := meta.Get(metaConnLogLast); bytes.Compare(mark, lastKey) > 0 {
			lastKey = mark
		}
		if lastKey == nil {
			return nil
		}
		nanos, seq, ok := decodeKey(lastKey)
		if !ok {
			return db.damaged(bucketConnLog, describeKey(lastKey), errors.New("malformed key"))
		}
		cl.lastNanos, cl.nextSeq = nanos, seq+1
		return nil
	})
	if err != nil {
		return err
	}
	if removed, err := db.PruneEvents(db.now()); err != nil {
		return err
	} else if removed > 0 {
		db.log.WithField("removed", removed).Info("connection log pruned")
	}
	cl.lastPruned = time.Now()
	go db.runConnLogWriter()
	return nil
}

// stopConnLog makes further sends fail with ErrClosed, lets the writer
// commit everything already queued, and waits for it to exit.
func (db *DB) stopConnLog() error {
	cl := &db.connlog
	cl.sendMu.Lock()
	cl.closed = true
	cl.sendMu.Unlock()
	close(cl.stop)
	<-cl.done
	return cl.finalErr
}

func (db *DB) enqueue(ctx context.Context, p pendingEvent) error {
	cl := &db.connlog
	cl.sendMu.RLock()
	defer cl.sendMu.RUnlock()
	if cl.closed {
		return ErrClosed
	}
	select {
	case cl.queue <- p:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Record queues e for the next group commit and returns at once (a bounded
// queue; when full it waits, it never drops). Zero Time = now. After Close
// the event is discarded with a warning in the log, since there is no
// caller to tell.
func (db *DB) Record(e Event) {
	if e.Time.IsZero() {
		e.Time = db.now()
	}
	if err := db.enqueue(context.Background(), pendingEvent{event: e}); err != nil {
		db.log.WithError(err).WithField("event", e.Kind).Warn("connection log event discarded")
	}
}

// Append queues e and waits until the batch holding it is durably committed.
// Zero Time = now. If ctx ends first Append returns ctx.Err(), and the
// record may or may not be written. After Close it returns ErrClosed.
func (db *DB) Append(ctx context.Context, e Event) error {
	// Checked first because select picks at random among ready cases: a
	// caller that has already given up must not get its record written.
	if err := ctx.Err(); err != nil {
		return err
	}
	if e.Time.IsZero() {
		e.Time = db.now()
	}
	done := make(chan error, 1)
	if err := db.enqueue(ctx, pendingEvent{event: e, done: done}); err != nil {
		return err
	}
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Flush waits until everything queued before the call is committed. It
// returns the first write failure since a Flush last returned (Record has
// no other way to report one), and ErrClosed after Close (which flushes by
// itself).
func (db *DB) Flush() error {
	done := make(chan error, 1)
	if err := db.enqueue(context.Background(), pendingEvent{flush: true, done: done}); err != nil {
		return err
	}
	return <-done
}

func (db *DB) runConnLogWriter() {
	cl := &db.connlog
	defer close(cl.done)
	batch := make([]pendingEvent, 0, maxBatch)
	linger := time.NewTimer(recordLinger)
	linger.Stop()
	for {
		select {
		case p := <-cl.queue:
			batch = cl.linger(cl.fill(append(batch[:0], p)), linger)
			db.commitBatch(batch)
			clear(batch) // drop references to the events until reused
			db.pruneIfDue()
			cl.letReleasedWaitersQueue()
		case <-cl.stop:
			// No sender can be mid-send any more (see sendMu), so what
			// is in the channel now is everything left.
			for {
				batch = cl.fill(batch[:0])
				if len(batch) == 0 {
					return
				}
				if err := db.commitBatch(batch); err != nil {
					cl.finalErr = fmt.Errorf("write the connection log before closing: %w", err)
				}
				clear(batch)
			}
		}
	}
}

// letReleasedWaitersQueue yields until the queue stops growing (or holds a
// full batch). Without it, appenders that wait for durability split into two
// groups that alternate: the next batch is cut from those that queued during
// the last commit, a moment before the group that commit just released has
// queued again, and every batch is half the size it could be. Yielding lets
// the released goroutines run first; it costs one yield when nobody is
// waiting, and correctness does not depend on it.
func (cl *connLog) letReleasedWaitersQueue() {
	queued := len(cl.queue)
	for queued < maxBatch {
		runtime.Gosched()
		now := len(cl.queue)
		if now == queued {
			return
		}
		queued = now
	}
}

// linger lets a batch that nobody waits for gather more, for up to
// recordLinger: until then, a full batch, a waiter (Append or Flush), or
// Close, whichever comes first. A batch with a waiter is returned as it is.
func (cl *connLog) linger(batch []pendingEvent, t *time.Timer) []pendingEvent {
	if slices.ContainsFunc(batch, waited) {
		return batch
	}
	t.Reset(recordLinger)
	defer t.Stop()
	for len(batch) < maxBatch {
		select {
		case p := <-cl.queue:
			batch = append(batch, p)
			if waited(p) {
				return batch
			}
		case <-t.C:
			return batch
		case <-cl.stop:
			return batch
		}
	}
	return batch
}

// waited reports whether somebody waits for p's commit.
func waited(p pendingEvent) bool { return p.done != nil }

// fill adds whatever is already queued, up to maxBatch, without waiting:
// the batch is whatever piled up while the previous commit was syncing.
func (cl *connLog) fill(batch []pendingEvent) []pendingEvent {
	for len(batch) < maxBatch {
		select {
		case p := <-cl.queue:
			batch = append(batch, p)
		default:
			return batch
		}
	}
	return batch
}

// commitBatch writes every record of batch in one durable transaction and
// then releases the waiters.
func (db *DB) commitBatch(batch []pendingEvent) error {
	cl := &db.connlog
	written := 0
	err := db.update(func(tx *bbolt.Tx) error {
		log, err := db.bucket(tx, bucketConnLog)
		if err != nil {
			return err
		}
		// Keys only ever grow, so pages can be packed full instead of
		// split in half.
		log.FillPercent = 0.95
		for i := range batch {
			p := &batch[i]
			if p.flush {
				continue
			}
			value, err := json.Marshal(p.event)
			if err != nil {
				p.err = fmt.Errorf("connection log event %q cannot be stored: %w", p.event.Kind, err)
				continue
			}
			p.event.keyNanos, p.event.Seq = cl.nextKey(p.event.Time)
			if err := log.Put(encodeKey(p.event.keyNanos, p.event.Seq), value); err != nil {
				return err
			}
			written++
		}
		return nil
	})
	if err != nil {
		err = fmt.Errorf("write the connection log to %s: %w", db.path, err)
		written = 0
	} else {
		cl.announce(batch)
	}

	// Records queued by Record have nobody waiting to hear that they were
	// lost: log it, and keep the error for the next Flush.
	lost := 0
	var lostErr error
	for i := range batch {
		p := &batch[i]
		if recordErr := cmp.Or(err, p.err); recordErr != nil && p.done == nil && !p.flush {
			lost++
			lostErr = cmp.Or(lostErr, recordErr)
		}
	}
	if lost > 0 {
		cl.lostTotal += lost
		db.log.WithError(lostErr).WithField("lost", lost).WithField("lost_total", cl.lostTotal).Error("connection log records lost")
		what := fmt.Sprintf("%d connection log records were", lost)
		if lost == 1 {
			what = "a connection log record was"
		}
		cl.unflushedErr = cmp.Or(cl.unflushedErr, fmt.Errorf("%s lost: %w", what, lostErr))
	}
	cl.unflushedErr = cmp.Or(cl.unflushedErr, err)

	flushed := false
	for i := range batch {
		p := &batch[i]
		switch {
		case p.flush:
			p.done <- cl.unflushedErr
			flushed = true
		case p.done != nil:
			p.done <- cmp.Or(err, p.err)
		}
	}
	if flushed {
		cl.unflushedErr = nil
	}

	cl.sincePrune += written
	cl.committedBatches++
	cl.committedRecords += written
	return err
}

// nextKey returns a key greater than every key written before, also across
// restarts. Its time part is the event's time, or the previous key's time if
// that is later (the clock stepped back, or a record was stamped just before
// a record that won the race to the queue): keys then follow commit order,
// so a reader paging with AfterKey never misses a record committed after
// its cursor. The event keeps its own Time in the value.
func (cl *connLog) nextKey(t time.Time) (nanos int64, seq uint64) {
	cl.lastNanos = max(cl.lastNanos, timeNanos(t))
	seq = cl.nextSeq
	cl.nextSeq++
	return cl.lastNanos, seq
}

func (db *DB) pruneIfDue() {
	cl := &db.connlog
	if cl.sincePrune < cl.pruneEvery && time.Since(cl.lastPruned) < pruneInterval {
		return
	}
	cl.sincePrune = 0
	cl.lastPruned = time.Now()
	removed, err := db.PruneEvents(db.now())
	if err != nil {
		db.log.WithError(err).Error("cannot prune the connection log")
		return
	}
	if removed > 0 {
		db.log.WithField("removed", removed).Debug("connection log pruned")
	}
}

// PruneEvents removes records older than Options.LogRetention before now,
// then, while the log holds more than Options.LogMaxRecords, the oldest
// refusals (Event.Refusal: strangers turned away cannot push out what
// linked peers did), then the oldest records of any kind. The writer calls
// it every so often and Open calls it once; callers rarely need to. Calls
// take turns: two at once would each remove the same excess.
func (db *DB) PruneEvents(now time.Time) (removed int, err error) {
	db.connlog.pruneMu.Lock()
	defer db.connlog.pruneMu.Unlock()
	cutoff := timeNanos(now.Add(-db.opts.LogRetention))
	total, err := db.CountEvents()
	if err != nil {
		return 0, err
	}
	over := func() bool { return total > db.opts.LogMaxRecords }
	passes := []func(key, value []byte) (remove, stop bool){
		func(key, _ []byte) (bool, bool) {
			// A malformed key decodes as time 0 and goes first: pruning
			// is where such debris gets cleared.
			nanos, _, _ := decodeKey(key)
			return nanos < cutoff, nanos >= cutoff
		},
		func(_, value []byte) (bool, bool) { return over() && isRefusal(value), !over() },
		func(_, _ []byte) (bool, bool) { return over(), !over() },
	}
	for _, pass := range passes {
		n, err := db.prunePass(pass, func() { total-- })
		removed += n
		if err != nil {
			return removed, fmt.Errorf("prune the connection log in %s: %w", db.path, err)
		}
	}
	return removed, nil
}

// isRefusal reports whether a stored record is a refusal, without decoding
// all of it.
func isRefusal(value []byte) bool { return bytes.Contains(value, []byte(`"refusal":true`)) }

// prunePass walks the log from its oldest record and removes those pass
// says to, until pass says stop or the log ends. It works in transactions
// of at most pruneChunk removals, so that pruning a large backlog does not
// build one huge transaction; removed is called after every removal.
func (db *DB) prunePass(pass func(key, value []byte) (remove, stop bool), removedOne func()) (int, error) {
	var resume []byte // the last key looked at
	total := 0
	for {
		var doomed [][]byte
		looked, finished := 0, false
		err := db.update(func(tx *bbolt.Tx) error {
			log, err := db.bucket(tx, bucketConnLog)
			if err != nil {
				return err
			}
			c := log.Cursor()
			if err := db.keepHighWaterMark(tx, c); err != nil {
				return err
			}
			key, value := c.First()
			if resume != nil {
				if key, value = c.Seek(resume); key != nil && bytes.Equal(key, resume) {
					key, value = c.Next()
				}
			}
			for ; ; key, value = c.Next() {
				if key == nil {
					finished = true
					break
				}
				if len(doomed) == pruneChunk || looked == 4*pruneChunk {
					break
				}
				looked++
				resume = append(resume[:0], key...)
				remove, stop := pass(key, value)
				if remove {
					doomed = append(doomed, bytes.Clone(key))
					removedOne()
				}
				if stop {
					finished = true
					break
				}
			}
			for _, k := range doomed {
				if err := log.Delete(k); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return total, err
		}
		total += len(doomed)
		if finished {
			return total, nil
		}
	}
}

// keepHighWaterMark copies the newest key into meta before pruning may
// delete it, so that Open can seed the sequence above every key ever handed
// out even when the bucket is empty. Doing it here, in the pruning
// transaction, spares every commit a second write.
func (db *DB) keepHighWaterMark(tx *bbolt.Tx, c *bbolt.Cursor) error {
	newest, _ := c.Last()
	if newest == nil {
		return nil
	}
	meta, err := db.bucket(tx, bucketMeta)
	if err != nil {
		return err
	}
	if bytes.Compare(newest, meta.Get(metaConnLogLast)) <= 0 {
		return nil
	}
	return meta.Put(metaConnLogLast, newest)
}

// CountEvents returns the number of records in the connection log.
func (db *DB) CountEvents() (int, error) {
	var n int
	err := db.view(func(tx *bbolt.Tx) error {
		log, err := db.bucket(tx, bucketConnLog)
		if err != nil {
			return err
		}
		n = log.Stats().KeyN
		return nil
	})
	return n, err
}

func (db *DB) decodeEvent(key, value []byte) (Event, error) {
	nanos, seq, ok := decodeKey(key)
	if !ok {
		return Event{}, db.damaged(bucketConnLog, describeKey(key), errors.New("malformed key"))
	}
	var e Event
	if err := json.Unmarshal(value, &e); err != nil {
		return Event{}, db.damaged(bucketConnLog, describeKey(key), err)
	}
	e.Seq, e.keyNanos = seq, nanos
	return e, nil
}

// Events returns the records matching f, oldest first.
func (db *DB) Events(f EventFilter) ([]Event, error) {
	var events []Event
	err := db.view(func(tx *bbolt.Tx) error {
		log, err := db.bucket(tx, bucketConnLog)
		if err != nil {
			return err
		}
		bound, exclusive := f.lowerBound()
		c := log.Cursor()
		key, value := c.First()
		if bound != nil {
			key, value = c.Seek(bound)
		}
		for ; key != nil && f.below(key); key, value = c.Next() {
			if exclusive && bytes.Equal(key, bound) {
				continue
			}
			e, err := db.decodeEvent(key, value)
			if err != nil {
				return err
			}
			if !f.match(&e) {
				continue
			}
			events = append(events, e)
			if f.Limit > 0 && len(events) >= f.Limit {
				return nil
			}
		}
		return nil
	})
	return events, err
}

// LastEvents returns the newest n records matching f (f.Limit is ignored;
// n <= 0 means all), oldest first: for a view that opens at the bottom, and
// with f.Before for the page above the oldest record it shows.
func (db *DB) LastEvents(f EventFilter, n int) ([]Event, error) {
	var events []Event
	err := db.view(func(tx *bbolt.Tx) error {
		log, err := db.bucket(tx, bucketConnLog)
		if err != nil {
			return err
		}
		bound, exclusive := f.lowerBound()
		c := log.Cursor()
		key, value := c.Last()
		if f.Before != nil {
			if key, value = c.Seek(f.Before); key == nil {
				key, value = c.Last()
			}
			if key != nil && !f.below(key) {
				key, value = c.Prev()
			}
		}
		for ; key != nil; key, value = c.Prev() {
			if cmp := bytes.Compare(key, bound); cmp < 0 || (cmp == 0 && exclusive) {
				return nil
			}
			e, err := db.decodeEvent(key, value)
			if err != nil {
				return err
			}
			if !f.match(&e) {
				continue
			}
			events = append(events, e)
			if n > 0 && len(events) >= n {
				return nil
			}
		}
		return nil
	})
	slices.Reverse(events)
	return events, err
}
