package store

import (
	"cmp"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/lanyard/lanyard/core/human"
	"go.etcd.io/bbolt"
)

// Direction says which side dials.
type Direction string

const (
	Outbound Direction = "outbound" // the console dials the slave
	Inbound  Direction = "inbound"  // the slave dials the console
)

// KDFParams are the Argon2id parameters Slave.Key was derived with, as
// stored. They have core/auth's KDFParams' fields, so that each converts
// to the other (auth.KDFParams(p)); store imports nothing of Lanyard's.
type KDFParams struct {
	Time      uint32 `json:"time"`
	MemoryKiB uint32 `json:"memory_kib"`
	Threads   uint32 `json:"threads"`
}

// Slave is one managed server as the console knows it.
type Slave struct {
	ID        string    `json:"id"`   // random 16-byte hex, assigned by AddSlave, stable
	Name      string    `json:"name"` // 1–63 chars; unique case-insensitively
	Group     string    `json:"group,omitempty"`
	Direction Direction `json:"direction"`
	Address   string    `json:"address,omitempty"` // host:port; outbound only; unique among outbound entries (host compared case-insensitively)
	Key       []byte    `json:"key"`               // 32-byte derived key (never a password)
	KDF       KDFParams `json:"kdf"`
	// NextKey is a key a password change sent the agent before its answer
	// came, if one did not: the agent holds it or Key, and the next link
	// tells which (core/link/nextkey.go). Empty otherwise.
	NextKey         []byte    `json:"next_key,omitempty"`
	NextKDF         KDFParams `json:"next_kdf,omitzero"`
	PinnedCert      string    `json:"pinned_cert"`       // hex SHA-256 of the peer's DER certificate; "" until first success
	PinnedInstallID string    `json:"pinned_install_id"` // hex; "" until first success
	// Software is what the slave's agent said it was at its last link,
	// "lanyard-agent 1.4.0"; "" until the first.
	Software string `json:"software,omitempty"`
	// GhostBoots are the boot IDs (hex) of the last few links replaced by
	// a link of the same installation from another boot, taken for the
	// ghosts of an agent that restarted: one that dials again is a copy of
	// the installation (core/master/admission.go). Kept across restarts of
	// the console, so that a copy is refused at its first try after one.
	GhostBoots []string `json:"ghost_boots,omitempty"`
	Notes      string   `json:"notes,omitempty"`
	Disabled   bool     `json:"disabled,omitempty"` // the user disconnected it: no link until Connect
	// MutedUntil: the user muted its alerts until then (maintenance);
	// zero, or a time past, when they are not.
	MutedUntil time.Time `json:"muted_until,omitzero"`
	Created    time.Time `json:"created"`
	Updated    time.Time `json:"updated"` // the user's last change
	// LastSeen is when a link last came up or ended (SavePins). It is kept
	// in the lastseen bucket (lastseen.go), never in the entry's JSON.
	LastSeen time.Time `json:"-"`
	// LastSeenLinked: LastSeen is a time it was linked, its link's start
	// or a refresh while it lasted, and that link's end was never saved
	// (the console stopped without a word): it was there until at least
	// the console's LastRunning.
	LastSeenLinked bool `json:"-"`
}

// SeenUntil is when s was last there, given when the console was last
// noted running (LastRunning): LastSeen, or, when it was linked then and
// that link's end was never saved, the later of it and lastRunning.
func (s Slave) SeenUntil(lastRunning time.Time) time.Time {
	if s.LastSeenLinked && lastRunning.After(s.LastSeen) {
		return lastRunning
	}
	return s.LastSeen
}

// PasswordInDoubt says a password change awaits the agent's answer: the
// entry keeps a next key beside its key.
func (s Slave) PasswordInDoubt() bool { return len(s.NextKey) > 0 }

// DuplicateError reports an entry that clashes with an existing one.
// errors.Is(err, ErrDuplicate) is true.
type DuplicateError struct {
	Field    string // "name", "address" or "master"
	Value    string // the clashing value
	Existing string // the existing entry's name (for "master": its addresses, a,b)
}

func (e *DuplicateError) Error() string {
	switch e.Field {
	case "name":
		return fmt.Sprintf("a slave named %q already exists", e.Existing)
	case "address":
		return fmt.Sprintf("slave %q already uses address %s", e.Existing, e.Value)
	case "master":
		if addressKey(e.Value) == addressKey(e.Existing) {
			return fmt.Sprintf("the masters list already has %s", e.Existing)
		}
		return fmt.Sprintf("the masters list already has %s, in %s", e.Value, e.Existing)
	default:
		return fmt.Sprintf("%s %q is already in use by %q", e.Field, e.Value, e.Existing)
	}
}

// Is makes errors.Is(err, ErrDuplicate) true.
func (e *DuplicateError) Is(target error) bool { return target == ErrDuplicate }

// notFoundError names what was missing and matches ErrNotFound.
type notFoundError struct{ what string }

func (e *notFoundError) Error() string        { return e.what }
func (e *notFoundError) Is(target error) bool { return target == ErrNotFound }

// NoSlaveError: no slave has the name asked for (it matches ErrNotFound).
// Near is the name of a slave that Name is likely a slip for, or "".
type NoSlaveError struct{ Name, Near string }

func (e *NoSlaveError) Error() string {
	if e.Near != "" {
		return fmt.Sprintf("no slave named %q (did you mean %s?)", e.Name, e.Near)
	}
	return fmt.Sprintf("no slave named %q", e.Name)
}

func (e *NoSlaveError) Is(target error) bool { return target == ErrNotFound }

func (s *Slave) validate() error {
	if strings.TrimSpace(s.Name) == "" {
		return errorf(ErrInvalid, "a slave needs a name")
	}
	switch s.Direction {
	case Outbound:
		if s.Address == "" {
			return errorf(ErrInvalid, "slave %q is outbound, so it needs an address (host:port) to dial", s.Name)
		}
	case Inbound:
		if s.Address != "" {
			return errorf(ErrInvalid, "slave %q is inbound (it dials the console), so it has no address: clear the address or make it outbound", s.Name)
		}
	default:
		return errorf(ErrInvalid, "slave %q has direction %q: choose %q or %q", s.Name, s.Direction, Outbound, Inbound)
	}
	return nil
}

// addressKey is the form in which two addresses are compared: the host's
// case does not matter (DNS names are case-insensitive), the port's form
// does not occur in practice.
func addressKey(address string) string {
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		return strings.ToLower(address)
	}
	return net.JoinHostPort(strings.ToLower(host), port)
}

func newSlaveID() string {
	var id [16]byte
	_, _ = rand.Read(id[:]) // never fails (crypto/rand crashes the program instead)
	return hex.EncodeToString(id[:])
}

// allSlaves decodes every entry, with when it was last seen, in key (ID)
// order.
func (db *DB) allSlaves(tx *bbolt.Tx) ([]Slave, error) {
	b, err := db.bucket(tx, bucketSlaves)
	if err != nil {
		return nil, err
	}
	seen, err := db.bucket(tx, bucketLastSeen)
	if err != nil {
		return nil, err
	}
	var slaves []Slave
	err = b.ForEach(func(key, value []byte) error {
		s, err := db.decodeSlave(key, value)
		if err != nil {
			return err
		}
		if err := db.readLastSeen(seen, &s); err != nil {
			return err
		}
		slaves = append(slaves, s)
		return nil
	})
	return slaves, err
}

// decodeSlave decodes an entry; its LastSeen is the caller's to fill.
func (db *DB) decodeSlave(key, value []byte) (Slave, error) {
	var s Slave
	if err := json.Unmarshal(value, &s); err != nil {
		return Slave{}, db.damaged(bucketSlaves, fmt.Sprintf("%q", key), err)
	}
	// The key is the truth: an ID field edited out of step with it would
	// otherwise make the entry unreachable by ID.
	s.ID = string(key)
	return s, nil
}

// putSlave stores s: its entry, and when it was last seen apart.
func (db *DB) putSlave(tx *bbolt.Tx, s *Slave) error {
	if err := db.putEntry(tx, s); err != nil {
		return err
	}
	seen, err := db.bucket(tx, bucketLastSeen)
	if err != nil {
		return err
	}
	return putLastSeen(seen, []byte(s.ID), s.LastSeen, s.LastSeenLinked)
}

// putEntry stores s's entry only, without LastSeen.
func (db *DB) putEntry(tx *bbolt.Tx, s *Slave) error {
	b, err := db.bucket(tx, bucketSlaves)
	if err != nil {
		return err
	}
	value, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("slave %q cannot be stored: %w", s.Name, err)
	}
	return b.Put([]byte(s.ID), value)
}

// Slaves returns every slave, sorted by name (case-insensitively).
func (db *DB) Slaves() ([]Slave, error) {
	var slaves []Slave
	err := db.view(func(tx *bbolt.Tx) (err error) {
		slaves, err = db.allSlaves(tx)
		return err
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(slaves, func(a, b Slave) int {
		return cmp.Or(human.CompareNames(a.Name, b.Name), cmp.Compare(a.ID, b.ID))
	})
	return slaves, nil
}

// SlaveByName returns the slave with this name, compared case-insensitively.
// The error matches ErrNotFound when there is none.
func (db *DB) SlaveByName(name string) (Slave, error) {
	id, ok, err := db.idByName(name)
	if err != nil {
		return Slave{}, err
	}
	if !ok {
		return Slave{}, db.noSlave(name)
	}
	notFound := &NoSlaveError{Name: name}
	var found Slave
	err = db.view(func(tx *bbolt.Tx) error {
		s, err := db.getSlave(tx, id)
		found = s
		return err
	})
	if errors.Is(err, ErrNotFound) || err == nil && !strings.EqualFold(found.Name, name) {
		// Removed or renamed between the lookup and the read.
		return Slave{}, notFound
	}
	return found, err
}

// SlaveByID returns the slave with this ID. The error matches ErrNotFound
// when there is none.
func (db *DB) SlaveByID(id string) (Slave, error) {
	var found Slave
	err := db.view(func(tx *bbolt.Tx) error {
		s, err := db.getSlave(tx, id)
		found = s
		return err
	})
	return found, err
}

// getSlave reads entry id with when it was last seen.
func (db *DB) getSlave(tx *bbolt.Tx, id string) (Slave, error) {
	s, err := db.getEntry(tx, id)
	if err != nil {
		return Slave{}, err
	}
	seen, err := db.bucket(tx, bucketLastSeen)
	if err != nil {
		return Slave{}, err
	}
	err = db.readLastSeen(seen, &s)
	return s, err
}

// getEntry reads entry id without its LastSeen.
func (db *DB) getEntry(tx *bbolt.Tx, id string) (Slave, error) {
	b, err := db.bucket(tx, bucketSlaves)
	if err != nil {
		return Slave{}, err
	}
	value := b.Get([]byte(id))
	if value == nil {
		return Slave{}, &notFoundError{fmt.Sprintf("no slave with ID %s", id)}
	}
	return db.decodeSlave([]byte(id), value)
}

// AddSlave stores a new slave and returns it with its ID, Created and
// Updated set. The name must be unique (case-insensitively) and an outbound
// address unique among outbound slaves; a clash returns *DuplicateError.
func (db *DB) AddSlave(s Slave) (Slave, error) {
	added, err := db.AddSlaves([]Slave{s})
	if err != nil {
		return Slave{}, err
	}
	return added[0], nil
}

// AddSlaves adds all of ss in one transaction, or none of them if any is
// invalid or clashes with a stored slave or with another of ss (for
// importing a list). It returns them with IDs and times set.
func (db *DB) AddSlaves(ss []Slave) ([]Slave, error) {
	now := db.now().UTC()
	added := make([]Slave, len(ss))
	for i, s := range ss {
		if err := s.validate(); err != nil {
			return nil, err
		}
		s.ID = newSlaveID()
		s.Created, s.Updated = now, now
		added[i] = s
	}
	err := db.writeSlaves(func(tx *bbolt.Tx, ix *slaveIndex) error {
		for i := range added {
			s := &added[i]
			if err := ix.clash(db, tx, s); err != nil {
				return err
			}
			if err := db.putSlave(tx, s); err != nil {
				return err
			}
			ix.add(s)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return added, nil
}

// UpdateSlave reads the slave with this ID, lets fn change it and stores the
// result, all in one transaction; if fn errors nothing is written. ID and
// Created cannot change; Updated is set. The changed entry must still be
// unique (as in AddSlave).
func (db *DB) UpdateSlave(id string, fn func(*Slave) error) (Slave, error) {
	var updated Slave
	err := db.writeSlaves(func(tx *bbolt.Tx, ix *slaveIndex) error {
		s, err := db.getSlave(tx, id)
		if err != nil {
			return err
		}
		old := s
		if err := fn(&s); err != nil {
			return err
		}
		if s.ID != id {
			return errorf(ErrInvalid, "the ID of slave %q cannot change (from %s to %s)", s.Name, id, s.ID)
		}
		if err := s.validate(); err != nil {
			return err
		}
		s.Created, s.Updated = old.Created, db.now().UTC()
		if err := ix.clash(db, tx, &s); err != nil {
			return err
		}
		ix.remove(&old)
		ix.add(&s)
		updated = s
		return db.putSlave(tx, &s)
	})
	if err != nil {
		return Slave{}, err
	}
	return updated, nil
}

// SetGroup moves every slave of group old (case ignored) to group new, in
// one transaction, and returns them as stored.
func (db *DB) SetGroup(old, new string) ([]Slave, error) {
	var moved []Slave
	err := db.writeSlaves(func(tx *bbolt.Tx, _ *slaveIndex) error {
		all, err := db.allSlaves(tx)
		if err != nil {
			return err
		}
		now := db.now().UTC()
		for _, s := range all {
			if !strings.EqualFold(s.Group, old) {
				continue
			}
			s.Group, s.Updated = new, now
			if err := db.putEntry(tx, &s); err != nil {
				return err
			}
			moved = append(moved, s)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return moved, nil
}

// RemoveSlave deletes the slave with this name (case-insensitively). The
// error matches ErrNotFound when there is none.
func (db *DB) RemoveSlave(name string) error {
	return db.writeSlaves(func(tx *bbolt.Tx, ix *slaveIndex) error {
		id, ok := ix.names[strings.ToLower(name)]
		if !ok {
			return ix.noSlave(db, tx, name)
		}
		s, err := db.getSlave(tx, id)
		if err != nil {
			return err
		}
		b, err := db.bucket(tx, bucketSlaves)
		if err != nil {
			return err
		}
		if err := b.Delete([]byte(id)); err != nil {
			return err
		}
		seen, err := db.bucket(tx, bucketLastSeen)
		if err != nil {
			return err
		}
		if err := seen.Delete([]byte(id)); err != nil {
			return err
		}
		ix.remove(&s)
		return nil
	})
}

// Pin is what a link's life changes in an entry: the certificate and
// installation pinned at its first link, and when it was last seen.
type Pin struct {
	ID string
	// Cert and InstallID, when not "", become the pinned ones.
	Cert, InstallID string
	// Software, when not "", is what the agent said it is.
	Software string
	// GhostBoots, when not nil, become the slave's boot IDs taken for
	// ghosts.
	GhostBoots []string
	// LastSeen, when not zero, is when a link came up or ended.
	LastSeen time.Time
	// Linked: LastSeen is a time the link was up (its start, or a
	// refresh while it lasts), not its end.
	Linked bool
}

// SavePins writes pins in one transaction, reading and writing only the
// entries they name: none of these fields must be unique, so nothing else
// is checked, and Updated (the user's last change) stays. A pin for an
// entry removed meanwhile is skipped. A pin of a last-seen time only (what
// most links' start and end bring) writes that time alone and decodes
// nothing.
func (db *DB) SavePins(pins []Pin) error {
	if len(pins) == 0 {
		return nil
	}
	return db.update(func(tx *bbolt.Tx) error {
		slaves, err := db.bucket(tx, bucketSlaves)
		if err != nil {
			return err
		}
		seen, err := db.bucket(tx, bucketLastSeen)
		if err != nil {
			return err
		}
		for _, p := range pins {
			if p.Cert != "" || p.InstallID != "" || p.Software != "" || p.GhostBoots != nil {
				err := db.savePin(tx, p)
				if errors.Is(err, ErrNotFound) {
					continue // removed meanwhile
				}
				if err != nil {
					return err
				}
			} else if slaves.Get([]byte(p.ID)) == nil {
				continue // removed meanwhile
			}
			if !p.LastSeen.IsZero() {
				if err := putLastSeen(seen, []byte(p.ID), p.LastSeen, p.Linked); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// savePin writes p's certificate, installation, software and ghost
// boots into its entry.
func (db *DB) savePin(tx *bbolt.Tx, p Pin) error {
	s, err := db.getEntry(tx, p.ID)
	if err != nil {
		return err
	}
	if p.Cert != "" {
		s.PinnedCert = p.Cert
	}
	if p.InstallID != "" {
		s.PinnedInstallID = p.InstallID
	}
	if p.Software != "" {
		s.Software = p.Software
	}
	if p.GhostBoots != nil {
		s.GhostBoots = p.GhostBoots
	}
	return db.putEntry(tx, &s)
}
