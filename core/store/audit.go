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

// Results of an audited command: AuditOK, AuditStarted, or
// AuditRefused or AuditFailed followed by why.
const (
	AuditOK      = "ok"
	AuditStarted = "started" // a long command on its way: its result is a record of its own
	AuditRefused = "refused: "
	AuditFailed  = "failed: "
)

// Problem: the command failed, or was refused.
func (r AuditRecord) Problem() bool {
	return strings.HasPrefix(r.Result, AuditRefused) || strings.HasPrefix(r.Result, AuditFailed)
}

// AppendAudit stores r durably. Zero Time = now. Commands are rare next to
// connection events, so each record has its own transaction. Now and
// then (every hundredth of the cap) the oldest records beyond
// Options.AuditMaxRecords go, in the same transaction.
func (db *DB) AppendAudit(r AuditRecord) error {
	if r.Time.IsZero() {
		r.Time = db.now()
	}
	value, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("audit record for %q cannot be stored: %w", r.Command, err)
	}
	return db.update(func(tx *bbolt.Tx) error {
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
		if err := b.Put(encodeKey(timeNanos(r.Time), seq), value); err != nil {
			return err
		}
		if max := db.opts.AuditMaxRecords; seq%uint64(max/100+1) == 0 {
			return trimOldest(b, max)
		}
		return nil
	})
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
