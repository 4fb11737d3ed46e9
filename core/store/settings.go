package store

import (
	"encoding/json"
	"errors"
	"fmt"

	"go.etcd.io/bbolt"
)

// GetSettings decodes the JSON value stored under key into v (a pointer).
// found is false, and v untouched, when the key is absent.
func (db *DB) GetSettings(key string, v any) (found bool, err error) {
	err = db.view(func(tx *bbolt.Tx) (err error) {
		found, err = db.getSettings(tx, key, v)
		return err
	})
	return found, err
}

func (db *DB) getSettings(tx *bbolt.Tx, key string, v any) (bool, error) {
	b, err := db.bucket(tx, bucketSettings)
	if err != nil {
		return false, err
	}
	raw := b.Get([]byte(key))
	if raw == nil {
		return false, nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		var notAPointer *json.InvalidUnmarshalError
		if errors.As(err, &notAPointer) {
			return true, fmt.Errorf("read setting %q: %w", key, err) // the caller's mistake, not the file's
		}
		return true, db.damaged(bucketSettings, fmt.Sprintf("%q", key), err)
	}
	return true, nil
}

func (db *DB) putSettings(tx *bbolt.Tx, key string, v any) error {
	if key == "" {
		return errorf(ErrInvalid, "a setting needs a name")
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("setting %q cannot be stored: %w", key, err)
	}
	b, err := db.bucket(tx, bucketSettings)
	if err != nil {
		return err
	}
	return b.Put([]byte(key), raw)
}

// PutSettings stores v as JSON under key.
func (db *DB) PutSettings(key string, v any) error {
	return db.update(func(tx *bbolt.Tx) error { return db.putSettings(tx, key, v) })
}

// UpdateSettings reads key into v (leaving v as is when absent), calls fn,
// and writes v back, all in one transaction; if fn errors nothing is
// written and its error is returned. v is a pointer that fn modifies.
func (db *DB) UpdateSettings(key string, v any, fn func() error) error {
	return db.update(func(tx *bbolt.Tx) error {
		if _, err := db.getSettings(tx, key, v); err != nil {
			return err
		}
		if err := fn(); err != nil {
			return err
		}
		return db.putSettings(tx, key, v)
	})
}
