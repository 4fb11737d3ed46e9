package store

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"go.etcd.io/bbolt"
)

// Master is a console the agent dials: one console, which may be reached at
// several addresses (its name at two forwarded ports, a LAN address and a
// public one), tried in order.
type Master struct {
	// Addresses are host:port, in the order the user gave them. No address
	// belongs to two masters.
	Addresses []string `json:"addresses"`
	// PinnedCert is the hex SHA-256 of the console's DER certificate, ""
	// until the first success. One console has one certificate, whichever
	// address it is reached at.
	PinnedCert string `json:"pinned_cert"`
	// LastGood is the address the last link was made through, tried first
	// next time; "" before the first link. Always one of Addresses.
	LastGood string `json:"last_good,omitempty"`
}

// Spec is the addresses as the command line takes them: host:port,host:port.
func (m Master) Spec() string { return strings.Join(m.Addresses, ",") }

// Has reports whether addr is one of m's addresses (the host's case does
// not matter).
func (m Master) Has(addr string) bool {
	key := addressKey(addr)
	return slices.ContainsFunc(m.Addresses, func(a string) bool { return addressKey(a) == key })
}

// Masters are keyed by addressKey of their first address, so lookups and
// the uniqueness rule ignore the host's case while the value keeps the
// addresses as typed.

func (m *Master) validate() error {
	if len(m.Addresses) == 0 {
		return errorf(ErrInvalid, "a master needs an address (host:port)")
	}
	seen := make(map[string]bool, len(m.Addresses))
	for _, a := range m.Addresses {
		if strings.TrimSpace(a) == "" {
			return errorf(ErrInvalid, "a master's address is empty in %q", m.Spec())
		}
		if seen[addressKey(a)] {
			return errorf(ErrInvalid, "%s is given twice for one master", a)
		}
		seen[addressKey(a)] = true
	}
	if m.LastGood != "" && !m.Has(m.LastGood) {
		// The address that worked was taken out of the list.
		m.LastGood = ""
	}
	return nil
}

func (m *Master) key() []byte { return []byte(addressKey(m.Addresses[0])) }

func (db *DB) decodeMaster(key, value []byte) (Master, error) {
	var m Master
	if err := json.Unmarshal(value, &m); err != nil {
		return Master{}, db.damaged(bucketMasters, fmt.Sprintf("%q", key), err)
	}
	if len(m.Addresses) == 0 {
		return Master{}, db.damaged(bucketMasters, fmt.Sprintf("%q", key), fmt.Errorf("no address"))
	}
	return m, nil
}

func putMaster(b *bbolt.Bucket, m *Master) error {
	value, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("master %s cannot be stored: %w", m.Spec(), err)
	}
	return b.Put(m.key(), value)
}

func masterNotFound(address string) error {
	return &notFoundError{fmt.Sprintf("%s is not in the masters list", address)}
}

// masterWith finds the master that has addr among its addresses: its key
// and value, or nil.
func (db *DB) masterWith(b *bbolt.Bucket, addr string) ([]byte, *Master, error) {
	var key []byte
	var found *Master
	err := b.ForEach(func(k, v []byte) error {
		m, err := db.decodeMaster(k, v)
		if err != nil {
			return err
		}
		if m.Has(addr) {
			key, found = k, &m
		}
		return nil
	})
	return key, found, err
}

// masterClash returns the DuplicateError when one of m's addresses is an
// address of another master; self is m's own key, nil for a new one.
func (db *DB) masterClash(b *bbolt.Bucket, m *Master, self []byte) error {
	return b.ForEach(func(k, v []byte) error {
		if self != nil && string(k) == string(self) {
			return nil
		}
		other, err := db.decodeMaster(k, v)
		if err != nil {
			return err
		}
		for _, a := range m.Addresses {
			if other.Has(a) {
				return &DuplicateError{Field: "master", Value: a, Existing: other.Spec()}
			}
		}
		return nil
	})
}

// Masters returns the consoles to dial, sorted by their first address.
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
// (case-insensitively), in any master, returns *DuplicateError{Field:
// "master"}.
func (db *DB) AddMaster(m Master) error {
	if err := m.validate(); err != nil {
		return err
	}
	return db.update(func(tx *bbolt.Tx) error {
		b, err := db.bucket(tx, bucketMasters)
		if err != nil {
			return err
		}
		if err := db.masterClash(b, &m, nil); err != nil {
			return err
		}
		return putMaster(b, &m)
	})
}

// UpdateMaster lets fn change the master that has addr among its
// addresses, in one transaction; if fn errors nothing is written. fn may
// change the addresses too, as long as none of the new ones belongs to
// another master.
func (db *DB) UpdateMaster(addr string, fn func(*Master) error) error {
	return db.update(func(tx *bbolt.Tx) error {
		b, err := db.bucket(tx, bucketMasters)
		if err != nil {
			return err
		}
		oldKey, m, err := db.masterWith(b, addr)
		if err != nil {
			return err
		}
		if m == nil {
			return masterNotFound(addr)
		}
		if err := fn(m); err != nil {
			return err
		}
		if err := m.validate(); err != nil {
			return err
		}
		if err := db.masterClash(b, m, oldKey); err != nil {
			return err
		}
		if string(m.key()) != string(oldKey) {
			if err := b.Delete(oldKey); err != nil {
				return err
			}
		}
		return putMaster(b, m)
	})
}

// RemoveMaster removes the master that has addr among its addresses (the
// host's case does not matter), with all its addresses. The error matches
// ErrNotFound when there is none.
func (db *DB) RemoveMaster(addr string) error {
	return db.update(func(tx *bbolt.Tx) error {
		b, err := db.bucket(tx, bucketMasters)
		if err != nil {
			return err
		}
		key, m, err := db.masterWith(b, addr)
		if err != nil {
			return err
		}
		if m == nil {
			return masterNotFound(addr)
		}
		return b.Delete(key)
	})
}

// ReplaceMasters sets the whole list in one transaction. An address given
// twice (case-insensitively), in one master or two, returns an error and
// changes nothing.
func (db *DB) ReplaceMasters(ms []Master) error {
	seen := make(map[string]string)
	for i := range ms {
		if err := ms[i].validate(); err != nil {
			return err
		}
		for _, a := range ms[i].Addresses {
			key := addressKey(a)
			if first, dup := seen[key]; dup {
				return &DuplicateError{Field: "master", Value: a, Existing: first}
			}
			seen[key] = ms[i].Spec()
		}
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

// masterAddressLists is schema 3: a master held one address; it holds a
// list now. An entry that cannot be read is left as it is, for Masters
// to report.
func masterAddressLists(tx *bbolt.Tx) error {
	b := tx.Bucket(bucketMasters)
	if b == nil {
		return nil
	}
	type single struct {
		Address    string `json:"address"`
		PinnedCert string `json:"pinned_cert"`
	}
	return rewriteEach(b, func(_, v []byte) ([]byte, error) {
		var old single
		if json.Unmarshal(v, &old) != nil || old.Address == "" {
			return nil, nil
		}
		return json.Marshal(Master{Addresses: []string{old.Address}, PinnedCert: old.PinnedCert})
	})
}
