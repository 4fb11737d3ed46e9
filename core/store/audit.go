package store

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.etcd.io/bbolt"
)

// AuditRecord says who sent which command to which slave, and the result.
type AuditRecord struct {
	Time    time.Time `json:"time"`
	Slave   string    `json:"slave"`
	Command string    `json:"command"`
	Result  string    `json:"result"`
	// Origin is where the command came from: the console's window, or its
	// command line (with the user's uid).
	Origin string `json:"origin,omitempty"`
}

// Results of an audited command: AuditOK, AuditSent, AuditStarted, or
// AuditRefused or AuditFailed followed by why.
const (
	AuditOK = "ok"
	// AuditSent: a command on its way, recorded before it is sent; its
	// answer takes its place (EndAudit). A console stopped before the
	// answer came leaves it, and CloseUnansweredAudit says so at the next
	// start.
	AuditSent    = "sent, no answer yet"
	AuditStarted = "started" // a long command on its way: its result is a record of its own
	AuditRefused = "refused: "
	AuditFailed  = "failed: "
)

// AuditKey names one stored audit record, for EndAudit.
type AuditKey string

// Problem: the command failed, or was refused.
func (r AuditRecord) Problem() bool {
	return strings.HasPrefix(r.Result, AuditRefused) || strings.HasPrefix(r.Result, AuditFailed)
}

// AppendAudit stores r durably. Zero Time = now. Commands are rare next to
// connection events, so each record has its own transaction. Now and
// then (every hundredth of the cap) the oldest records beyond
// Options.AuditMaxRecords go, in the same transaction.
func (db *DB) AppendAudit(r AuditRecord) error {
	_, err := db.BeginAudit(r)
	return err
}

// BeginAudit stores r as AppendAudit does and returns its key, for
// EndAudit to put the command's result in it.
func (db *DB) BeginAudit(r AuditRecord) (AuditKey, error) {
	if r.Time.IsZero() {
		r.Time = db.now()
	}
	value, err := json.Marshal(r)
	if err != nil {
		return "", fmt.Errorf("audit record for %q cannot be stored: %w", r.Command, err)
	}
	var key []byte
	err = db.update(func(tx *bbolt.Tx) error {
		b, err := db.bucket(tx, bucketAudit)
		if err != nil {
			return err
		}
		// Same key layout as the connection log: time ‖ sequence, with
		// the bucket's own sequence keeping equal times apart.
		seq, err := b.NextSequence()
		if err != nil {
			return err
		}
		key = encodeKey(timeNanos(r.Time), seq)
		if err := b.Put(key, value); err != nil {
			return err
		}
		if max := db.opts.AuditMaxRecords; seq%uint64(max/100+1) == 0 {
			return trimOldest(b, max)
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	return AuditKey(key), nil
}

// EndAudit puts result in the record BeginAudit stored under k, in place
// of what it said (AuditSent). ErrNotFound: the record is gone (the cap
// took it).
func (db *DB) EndAudit(k AuditKey, result string) error {
	return db.update(func(tx *bbolt.Tx) error {
		b, err := db.bucket(tx, bucketAudit)
		if err != nil {
			return err
		}
		return setAuditResult(b, []byte(k), result)
	})
}

func setAuditResult(b *bbolt.Bucket, key []byte, result string) error {
	value := b.Get(key)
	if value == nil {
		return ErrNotFound
	}
	var r AuditRecord
	if err := json.Unmarshal(value, &r); err != nil {
		return err
	}
	r.Result = result
	value, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return b.Put(key, value)
}

// unansweredScan is how many of the newest audit records
// CloseUnansweredAudit reads: more than the commands a console has on
// their way at once.
const unansweredScan = 1000

// CloseUnansweredAudit gives the commands the audit still holds as sent
// with no answer (AuditSent: the console stopped before the answer came)
// result instead, among the newest records, and says how many. A console
// calls it at start, before it sends anything.
func (db *DB) CloseUnansweredAudit(result string) (int, error) {
	// Read first: at nearly every start there is nothing to mark, and a
	// write would cost the start a commit to disk for nothing.
	var keys [][]byte
	err := db.view(func(tx *bbolt.Tx) error {
		b, err := db.bucket(tx, bucketAudit)
		if err != nil {
			return err
		}
		c := b.Cursor()
		key, value := c.Last()
		for i := 0; key != nil && i < unansweredScan; i++ {
			var r AuditRecord
			if json.Unmarshal(value, &r) == nil && r.Result == AuditSent {
				keys = append(keys, slices.Clone(key)) // a key lives only as long as its transaction
			}
			key, value = c.Prev()
		}
		return nil
	})
	if err != nil || len(keys) == 0 {
		return 0, err
	}
	err = db.update(func(tx *bbolt.Tx) error {
		b, err := db.bucket(tx, bucketAudit)
		if err != nil {
			return err
		}
		for _, key := range keys {
			if err := setAuditResult(b, key, result); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return len(keys), nil
}

// trimOldest removes b's oldest keys beyond the newest max.
func trimOldest(b *bbolt.Bucket, max int) error {
	over := b.Stats().KeyN - max
	c := b.Cursor()
	for k, _ := c.First(); k != nil && over > 0; k, _ = c.First() {
		if err := b.Delete(k); err != nil {
			return err
		}
		over--
	}
	return nil
}

// AuditQuery selects audit records: those at or after Since (zero: all)
// that Match (nil: every one), the newest Limit of them (0: all).
type AuditQuery struct {
	Since time.Time
	Match func(AuditRecord) bool
	Limit int
}

// Audit returns the records q selects, oldest first. It reads from the
// newest back, and stops at q.Limit or at the first record before
// q.Since.
func (db *DB) Audit(q AuditQuery) ([]AuditRecord, error) {
	var records []AuditRecord
	err := db.view(func(tx *bbolt.Tx) error {
		b, err := db.bucket(tx, bucketAudit)
		if err != nil {
			return err
		}
		c := b.Cursor()
		for key, value := c.Last(); key != nil; key, value = c.Prev() {
			var r AuditRecord
			if err := json.Unmarshal(value, &r); err != nil {
				return db.damaged(bucketAudit, describeKey(key), err)
			}
			if !q.Since.IsZero() && r.Time.Before(q.Since) {
				break
			}
			if q.Match != nil && !q.Match(r) {
				continue
			}
			records = append(records, r)
			if q.Limit > 0 && len(records) >= q.Limit {
				break
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.Reverse(records)
	return records, nil
}
