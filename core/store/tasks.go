package store

import (
	"encoding/binary"
	"fmt"
	"strings"

	"go.etcd.io/bbolt"
)

// The agent's backup tasks and their run history. The store keeps them as
// opaque JSON documents written by core/agent (which owns their shape and
// rules, with core/backup): tasks by lower-cased name, and per task a
// nested bucket of runs keyed by a big-endian sequence number, oldest
// first.

var (
	bucketTasks = []byte("tasks")
	bucketRuns  = []byte("runs")
)

// createTaskBuckets is schema 2: the agent's backup tasks and runs.
func createTaskBuckets(tx *bbolt.Tx) error {
	for _, name := range [][]byte{bucketTasks, bucketRuns} {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return fmt.Errorf("create bucket %s: %w", name, err)
		}
	}
	return nil
}

func taskKey(name string) []byte { return []byte(strings.ToLower(name)) }

func taskNotFound(name string) error {
	return &notFoundError{fmt.Sprintf("there is no backup task named %s", name)}
}

// Tasks returns every stored task document, in name order.
func (db *DB) Tasks() ([][]byte, error) {
	var out [][]byte
	err := db.view(func(tx *bbolt.Tx) error {
		b, err := db.bucket(tx, bucketTasks)
		if err != nil {
			return err
		}
		return b.ForEach(func(_, v []byte) error {
			out = append(out, append([]byte(nil), v...))
			return nil
		})
	})
	return out, err
}

// Task returns the document of the task with this name (case-insensitively);
// the error matches ErrNotFound when there is none.
func (db *DB) Task(name string) ([]byte, error) {
	var out []byte
	err := db.view(func(tx *bbolt.Tx) error {
		b, err := db.bucket(tx, bucketTasks)
		if err != nil {
			return err
		}
		v := b.Get(taskKey(name))
		if v == nil {
			return taskNotFound(name)
		}
		out = append([]byte(nil), v...)
		return nil
	})
	return out, err
}

// UpdateTask lets fn replace the task's document in one transaction: fn
// gets the current document (nil when there is none) and returns the new
// one, or nil to delete the task together with its runs. If fn errors,
// nothing is written. fn runs inside the write transaction and must not
// call back into the DB.
func (db *DB) UpdateTask(name string, fn func(old []byte) ([]byte, error)) error {
	return db.update(func(tx *bbolt.Tx) error {
		b, err := db.bucket(tx, bucketTasks)
		if err != nil {
			return err
		}
		key := taskKey(name)
		var old []byte
		if v := b.Get(key); v != nil {
			old = append([]byte(nil), v...)
		}
		doc, err := fn(old)
		if err != nil {
			return err
		}
		if doc != nil {
			return b.Put(key, doc)
		}
		if old == nil {
			return taskNotFound(name)
		}
		if err := b.Delete(key); err != nil {
			return err
		}
		runs, err := db.bucket(tx, bucketRuns)
		if err != nil {
			return err
		}
		if runs.Bucket(key) != nil {
			return runs.DeleteBucket(key)
		}
		return nil
	})
}

// AppendRun stores a new run record of the task and keeps only its newest
// keep records (keep ≤ 0 keeps all). It returns the record's sequence
// number, for PutRun.
func (db *DB) AppendRun(task string, doc []byte, keep int) (uint64, error) {
	var seq uint64
	err := db.update(func(tx *bbolt.Tx) error {
		runs, err := db.bucket(tx, bucketRuns)
		if err != nil {
			return err
		}
		b, err := runs.CreateBucketIfNotExists(taskKey(task))
		if err != nil {
			return err
		}
		if seq, err = b.NextSequence(); err != nil {
			return err
		}
		if err := b.Put(binary.BigEndian.AppendUint64(nil, seq), doc); err != nil {
			return err
		}
		if keep <= 0 {
			return nil
		}
		// Prune the oldest beyond keep.
		n := 0
		_ = b.ForEach(func(_, _ []byte) error { n++; return nil })
		c := b.Cursor()
		for k, _ := c.First(); k != nil && n > keep; k, _ = c.Next() {
			if err := c.Delete(); err != nil {
				return err
			}
			n--
		}
		return nil
	})
	return seq, err
}

// PutRun replaces the run record seq of the task (a run that ended).
func (db *DB) PutRun(task string, seq uint64, doc []byte) error {
	return db.update(func(tx *bbolt.Tx) error {
		runs, err := db.bucket(tx, bucketRuns)
		if err != nil {
			return err
		}
		b := runs.Bucket(taskKey(task))
		if b == nil {
			return taskNotFound(task)
		}
		return b.Put(binary.BigEndian.AppendUint64(nil, seq), doc)
	})
}

// RunRecord is one stored run document and its sequence number.
type RunRecord struct {
	Seq uint64
	Doc []byte
}

// Runs returns the task's newest limit run records (all for limit ≤ 0),
// oldest first.
func (db *DB) Runs(task string, limit int) ([]RunRecord, error) {
	var out []RunRecord
	err := db.view(func(tx *bbolt.Tx) error {
		runs, err := db.bucket(tx, bucketRuns)
		if err != nil {
			return err
		}
		b := runs.Bucket(taskKey(task))
		if b == nil {
			return nil
		}
		c := b.Cursor()
		for k, v := c.Last(); k != nil && (limit <= 0 || len(out) < limit); k, v = c.Prev() {
			if len(k) != 8 {
				return db.damaged(bucketRuns, fmt.Sprintf("%s/%x", task, k), fmt.Errorf("key of %d bytes, want 8", len(k)))
			}
			out = append(out, RunRecord{Seq: binary.BigEndian.Uint64(k), Doc: append([]byte(nil), v...)})
		}
		return nil
	})
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, err
}
