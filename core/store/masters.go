package store

import (
	"encoding/json"
	"fmt"
	"strings"

	"go.etcd.io/bbolt"
)

// Master is a console the agent dials.
type Master struct {
	Address    string `json:"address"`     // host:port
	PinnedCert string `json:"pinned_cert"` // hex SHA-256 of the console's DER certificate; "" until first success
}

// Masters are keyed by addressKey(Address), so lookups and the uniqueness
// rule ignore the host's case while the value keeps the address as typed.

func (m *Master) validate() error {
	if strings.TrimSpace(m.Address) == "" {
		return errorf(ErrInvalid, "a master needs an address (host:port)")
	}
	return nil
}

func (db *DB) decodeMaster(key, value []byte) (Master, error) {
	var m Master
	if err := json.Unmarshal(value, &m); err != nil {
		return Master{}, db.damaged(bucketMasters, fmt.Sprintf("%q", key), err)
	}
	return m, nil
}

func putMaster(b *bbolt.Bucket, m *Master) error {
	value, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("master %s cannot be stored: %w", m.Address, err)
	}
	return b.Put([]byte(addressKey(m.Address)), value)
}

func masterNotFound(address string) error {
	return &notFoundError{fmt.Sprintf("%s is not in the masters list", address)}
}

// Masters returns the consoles to dial, sorted by address.
func (db *DB) Masters() ([]Master, error) {
	var masters []Master
	err := db.view(func(tx *bbolt.Tx) error {
		b, err := db.bucket(tx, bucketMasters)
		if err != nil {
			return err
		}
		return b.ForEach(func(key, value []byte) error {
			m, err := db.decodeMaster(key, value)
			if err != nil {
				return err
			}
			masters = append(masters, m)
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	return masters, nil
}

// AddMaster adds a console to dial. An address already in the list
// (case-insensitively) returns *DuplicateError{Field: "master"}.
func (db *DB) AddMaster(m Master) error {
	if err := m.validate(); err != nil {
		return err
	}
	return db.update(func(tx *bbolt.Tx) error {
		b, err := db.bucket(tx, bucketMasters)
		if err != nil {
			return err
		}
		key := []byte(addressKey(m.Address))
		if value := b.Get(key); value != nil {
			existing, err := db.decodeMaster(key, value)
			if err != nil {
				return err
			}
			return &DuplicateError{Field: "master", Value: m.Address, Existing: existing.Address}
		}
		return putMaster(b, &m)
	})
}

// UpdateMaster lets fn change the master with this address, in one
// transaction; if fn errors nothing is written. fn may change the address
// too, as long as the new one is not already in the list.
func (db *DB) UpdateMaster(addr string, fn func(*Master) error) error {
	return db.update(func(tx *bbolt.Tx) error {
		b, err := db.bucket(tx, bucketMasters)
		if err != nil {
			return err
		}
		oldKey := []byte(addressKey(addr))
		value := b.Get(oldKey)
		if value == nil {
			return masterNotFound(addr)
		}
		m, err := db.decodeMaster(oldKey, value)
		if err != nil {
			return err
		}
		if err := fn(&m); err != nil {
			return err
		}
		if err := m.validate(); err != nil {
			return err
		}
		if newKey := []byte(addressKey(m.Address)); string(newKey) != string(oldKey) {
			if clashing := b.Get(newKey); clashing != nil {
				existing, err := db.decodeMaster(newKey, clashing)
				if err != nil {
					return err
				}
				return &DuplicateError{Field: "master", Value: m.Address, Existing: existing.Address}
			}
			if err := b.Delete(oldKey); err != nil {
				return err
			}
		}
		return putMaster(b, &m)
	})
}

// RemoveMaster removes the master with this address (case-insensitively).
// The error matches ErrNotFound when there is none.
func (db *DB) RemoveMaster(addr string) error {
	return db.update(func(tx *bbolt.Tx) error {
		b, err := db.bucket(tx, bucketMasters)
		if err != nil {
			return err
		}
		key := []byte(addressKey(addr))
		if b.Get(key) == nil {
			return masterNotFound(addr)
		}
		return b.Delete(key)
	})
}

// ReplaceMasters sets the whole list in one transaction. Two entries with
// the same address (case-insensitively) return *DuplicateError and change
// nothing.
func (db *DB) ReplaceMasters(ms []Master) error {
	seen := make(map[string]string, len(ms))
	for i := range ms {
		if err := ms[i].validate(); err != nil {
			return err
		}
		key := addressKey(ms[i].Address)
		if first, dup := seen[key]; dup {
			return &DuplicateError{Field: "master", Value: ms[i].Address, Existing: first}
		}
		seen[key] = ms[i].Address
	}
	return db.update(func(tx *bbolt.Tx) error {
		if _, err := db.bucket(tx, bucketMasters); err != nil {
			return err
		}
		if err := tx.DeleteBucket(bucketMasters); err != nil {
			return err
		}
		b, err := tx.CreateBucket(bucketMasters)
		if err != nil {
			return err
		}
		for i := range ms {
			if err := putMaster(b, &ms[i]); err != nil {
				return err
			}
		}
		return nil
	})
}
