package store

import (
	"fmt"

	"go.etcd.io/bbolt"
)

// The console's record of its fleet's backup health: per slave entry ID,
// one opaque JSON document written by core/health (which owns its shape
// and rules). Writes come in batches: a relink storm changes thousands of
// slaves, and one transaction carries all of them.

var bucketHealth = []byte("health")

// createHealthBucket is schema 4: the fleet's backup health (console).
func createHealthBucket(tx *bbolt.Tx) error {
	if _, err := tx.CreateBucketIfNotExists(bucketHealth); err != nil {
		return fmt.Errorf("create bucket %s: %w", bucketHealth, err)
	}
	return nil
}

// HealthRecords returns every stored health document by slave entry ID.
func (db *DB) HealthRecords() (map[string][]byte, error) {
	out := map[string][]byte{}
	err := db.view(func(tx *bbolt.Tx) error {
		b, err := db.bucket(tx, bucketHealth)
		if err != nil {
			return err
		}
		return b.ForEach(func(k, v []byte) error {
			out[string(k)] = append([]byte(nil), v...)
			return nil
		})
	})
	return out, err
}

// PutHealth writes many health documents in one transaction: a nil
// document deletes the slave's record.
func (db *DB) PutHealth(docs map[string][]byte) error {
	if len(docs) == 0 {
		return nil
	}
	return db.update(func(tx *bbolt.Tx) error {
		b, err := db.bucket(tx, bucketHealth)
		if err != nil {
			return err
		}
		for id, doc := range docs {
			if id == "" {
				return errorf(ErrInvalid, "a health record needs a slave ID")
			}
			if doc == nil {
				err = b.Delete([]byte(id))
			} else {
				err = b.Put([]byte(id), doc)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
}
