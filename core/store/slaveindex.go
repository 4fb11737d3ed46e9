package store

import (
	"encoding/json"
	"maps"
	"strings"
	"sync"

	"go.etcd.io/bbolt"

	"github.com/lanyard/lanyard/core/human"
)

// slaveIndex maps what must be unique among the slaves, their names and
// their outbound addresses, to entry IDs, so that a clash check or a
// lookup by name reads one entry instead of decoding every one: adding a
// slave to a console of 19,000, or importing 19,000 at once, costs what
// the new entries cost.
//
// It lives in memory, built from the bucket the first time a writer or a
// lookup needs it; one process at a time has the file open, and every
// change to the slaves bucket goes through the writers below, which hold
// mu across their transaction and undo their changes to the maps if it
// does not commit.
type slaveIndex struct {
	mu    sync.Mutex
	built bool
	names map[string]string // NormalizeName-style lower-case name -> ID
	addrs map[string]string // addressKey of an outbound entry -> ID
	undo  []func()          // how to take back this transaction's changes
}

// indexed is the part of an entry the index needs: decoding only it keeps
// building the index cheap.
type indexed struct {
	Name      string    `json:"name"`
	Direction Direction `json:"direction"`
	Address   string    `json:"address"`
}

// build fills the index from the bucket, once. ix.mu is held.
func (ix *slaveIndex) build(db *DB, tx *bbolt.Tx) error {
	if ix.built {
		return nil
	}
	b, err := db.bucket(tx, bucketSlaves)
	if err != nil {
		return err
	}
	names, addrs := map[string]string{}, map[string]string{}
	err = b.ForEach(func(key, value []byte) error {
		var e indexed
		if err := json.Unmarshal(value, &e); err != nil {
			return db.damaged(bucketSlaves, string(key), err)
		}
		names[strings.ToLower(e.Name)] = string(key)
		if e.Direction == Outbound {
			addrs[addressKey(e.Address)] = string(key)
		}
		return nil
	})
	if err != nil {
		return err
	}
	ix.names, ix.addrs, ix.built = names, addrs, true
	return nil
}

// set and unset change one mapping and note how to take the change back.
func (ix *slaveIndex) set(m map[string]string, key, id string) {
	old, had := m[key]
	m[key] = id
	ix.undo = append(ix.undo, func() {
		if had {
			m[key] = old
		} else {
			delete(m, key)
		}
	})
}

func (ix *slaveIndex) unset(m map[string]string, key string) {
	old, had := m[key]
	if !had {
		return
	}
	delete(m, key)
	ix.undo = append(ix.undo, func() { m[key] = old })
}

// add indexes s, and remove takes s out (by its values as stored).
func (ix *slaveIndex) add(s *Slave) {
	ix.set(ix.names, strings.ToLower(s.Name), s.ID)
	if s.Direction == Outbound {
		ix.set(ix.addrs, addressKey(s.Address), s.ID)
	}
}

func (ix *slaveIndex) remove(s *Slave) {
	if ix.names[strings.ToLower(s.Name)] == s.ID {
		ix.unset(ix.names, strings.ToLower(s.Name))
	}
	if s.Direction == Outbound && ix.addrs[addressKey(s.Address)] == s.ID {
		ix.unset(ix.addrs, addressKey(s.Address))
	}
}

// clash returns the *DuplicateError if s would clash with an indexed
// entry other than itself.
func (ix *slaveIndex) clash(db *DB, tx *bbolt.Tx, s *Slave) error {
	if id, ok := ix.names[strings.ToLower(s.Name)]; ok && id != s.ID {
		existing := s.Name
		if e, err := db.getSlave(tx, id); err == nil {
			existing = e.Name
		}
		return &DuplicateError{Field: "name", Value: s.Name, Existing: existing}
	}
	if s.Direction != Outbound {
		return nil
	}
	if id, ok := ix.addrs[addressKey(s.Address)]; ok && id != s.ID {
		existing := id
		if e, err := db.getSlave(tx, id); err == nil {
			existing = e.Name
		}
		return &DuplicateError{Field: "address", Value: s.Address, Existing: existing}
	}
	return nil
}

// writeSlaves runs fn in a write transaction with the index built and
// held; fn keeps the index in step with what it writes (add, remove). If
// the transaction does not commit, fn's changes to the index are undone.
func (db *DB) writeSlaves(fn func(tx *bbolt.Tx, ix *slaveIndex) error) error {
	ix := &db.slaveIndex
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.undo = ix.undo[:0]
	err := db.update(func(tx *bbolt.Tx) error {
		if err := ix.build(db, tx); err != nil {
			return err
		}
		return fn(tx, ix)
	})
	if err != nil {
		for i := len(ix.undo) - 1; i >= 0; i-- {
			ix.undo[i]()
		}
	}
	ix.undo = ix.undo[:0]
	return err
}

// idByName looks a name up in the index (building it if need be).
func (db *DB) idByName(name string) (string, bool, error) {
	ix := &db.slaveIndex
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if !ix.built {
		if err := db.view(func(tx *bbolt.Tx) error { return ix.build(db, tx) }); err != nil {
			return "", false, err
		}
	}
	id, ok := ix.names[strings.ToLower(name)]
	return id, ok, nil
}

// noSlave refuses name, which no slave has, with the name it is likely a
// slip for, as that slave's entry writes it (the index keeps names in
// lower case). ix.mu is held and the index built; tx reads the entry.
func (ix *slaveIndex) noSlave(db *DB, tx *bbolt.Tx, name string) error {
	near := human.Nearest(name, maps.Keys(ix.names))
	if near != "" {
		if e, err := db.getSlave(tx, ix.names[near]); err == nil {
			near = e.Name
		}
	}
	return &NoSlaveError{Name: name, Near: near}
}

// noSlave is ix.noSlave for a lookup that found no slave named name.
func (db *DB) noSlave(name string) error {
	ix := &db.slaveIndex
	ix.mu.Lock()
	defer ix.mu.Unlock()
	var err error
	if verr := db.view(func(tx *bbolt.Tx) error { err = ix.noSlave(db, tx, name); return nil }); verr != nil {
		return &NoSlaveError{Name: name}
	}
	return err
}
