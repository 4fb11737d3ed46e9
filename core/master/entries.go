package master

import (
	"errors"
	"fmt"
	"strings"

	"github.com/lanyard/lanyard/core/address"
	"github.com/lanyard/lanyard/core/auth"
	"github.com/lanyard/lanyard/core/link"
	"github.com/lanyard/lanyard/core/store"
)

// SlaveSpec is what a user enters to add or edit a slave.
type SlaveSpec struct {
	Name      string
	Group     string
	Direction store.Direction
	// Address is host:port for outbound slaves; a bare host gets the
	// default port. Ignored for inbound slaves.
	Address string
	// Password is required when adding, and when renaming (the name is
	// part of the key). Empty on edit keeps the stored key. It is used
	// once, to derive the key, and never stored.
	Password []byte
	Notes    string
	// Fingerprint is the agent's certificate fingerprint as a person gave
	// it ("SHA256:…", which `lanyard-agent init` and `status` print): the
	// first contact is then checked against it instead of trusted blindly.
	// Empty keeps what is pinned (or trusts the first certificate).
	Fingerprint string
}

// validate checks a spec; adding requires a password.
func (s *SlaveSpec) validate(adding bool) error {
	s.Name = strings.TrimSpace(s.Name)
	if err := auth.ValidateName(s.Name); err != nil {
		return err
	}
	switch s.Direction {
	case store.Outbound:
		addr, err := address.ParseDial(s.Address)
		if err != nil {
			return err
		}
		s.Address = addr.String()
	case store.Inbound:
		s.Address = ""
	default:
		return fmt.Errorf("connection type %q is neither outbound (the console dials the slave) nor inbound (the slave dials the console)", s.Direction)
	}
	if adding && len(s.Password) == 0 {
		return errors.New("the management password is required: the same one set on the agent")
	}
	if strings.TrimSpace(s.Fingerprint) != "" {
		fp, err := link.ParseFingerprint(s.Fingerprint)
		if err != nil {
			return err
		}
		s.Fingerprint = fp
	}
	return nil
}

// NewEntry validates a spec and derives its key: the entry AddSlave stores.
func NewEntry(spec SlaveSpec) (store.Slave, error) {
	if err := spec.validate(true); err != nil {
		return store.Slave{}, err
	}
	k, err := auth.DeriveKey(spec.Password, spec.Name, auth.DefaultKDF)
	if err != nil {
		return store.Slave{}, err
	}
	return store.Slave{
		Name: spec.Name, Group: spec.Group, Direction: spec.Direction, Address: spec.Address,
		Key: k[:], KDF: storeKDF(auth.DefaultKDF), Notes: spec.Notes, PinnedCert: spec.Fingerprint,
	}, nil
}

// AddSlave validates, derives the key and stores a new entry. The CLI
// calls it on the database directly; a running Master wraps it.
func AddSlave(db *store.DB, spec SlaveSpec) (store.Slave, error) {
	e, err := NewEntry(spec)
	if err != nil {
		return store.Slave{}, err
	}
	return db.AddSlave(e)
}

// EditSlave changes the entry called name. Fields of spec left empty keep
// their value, except Group and Notes which are set as given.
func EditSlave(db *store.DB, name string, spec SlaveSpec) (store.Slave, error) {
	old, err := db.SlaveByName(name)
	if err != nil {
		return store.Slave{}, err
	}
	if spec.Name == "" {
		spec.Name = old.Name
	}
	if spec.Direction == "" {
		spec.Direction = old.Direction
	}
	if spec.Address == "" && spec.Direction == store.Outbound {
		spec.Address = old.Address
	}
	if err := spec.validate(false); err != nil {
		return store.Slave{}, err
	}
	renamed := !strings.EqualFold(spec.Name, old.Name)
	if renamed && len(spec.Password) == 0 {
		return store.Slave{}, fmt.Errorf("renaming %s to %s needs the management password again: the name is part of the key", old.Name, spec.Name)
	}
	var newKey []byte
	if len(spec.Password) > 0 {
		k, err := auth.DeriveKey(spec.Password, spec.Name, auth.DefaultKDF)
		if err != nil {
			return store.Slave{}, err
		}
		newKey = k[:]
	}
	return db.UpdateSlave(old.ID, func(s *store.Slave) error {
		s.Name, s.Group, s.Direction, s.Address, s.Notes = spec.Name, spec.Group, spec.Direction, spec.Address, spec.Notes
		if newKey != nil {
			// The password typed is the one to use: no other.
			s.Key, s.KDF = newKey, storeKDF(auth.DefaultKDF)
			s.NextKey, s.NextKDF = nil, store.KDFParams{}
		}
		if renamed || s.Direction != old.Direction || s.Address != old.Address {
			// Another agent may answer now: trust on first use again.
			s.PinnedCert, s.PinnedInstallID = "", ""
		}
		if spec.Fingerprint != "" {
			s.PinnedCert = spec.Fingerprint
		}
		return nil
	})
}

// Trust makes the slave called name accept the certificate and the
// installation it presents next: after a reinstall (cert_changed), or to
// let a second installation take the name over (duplicate_install). With a
// fingerprint it must present exactly that certificate. The CLI calls it on
// the database directly; a running Master wraps it.
func Trust(db *store.DB, name, fingerprint string) (store.Slave, error) {
	e, err := db.SlaveByName(name)
	if err != nil {
		return store.Slave{}, err
	}
	return db.UpdateSlave(e.ID, func(s *store.Slave) error {
		s.PinnedCert, s.PinnedInstallID = fingerprint, ""
		return nil
	})
}

func storeKDF(p auth.KDFParams) store.KDFParams {
	return store.KDFParams(p)
}

func authKDF(p store.KDFParams) auth.KDFParams {
	return auth.KDFParams(p)
}

// entryNext is the entry's next key, nil without one.
func entryNext(s store.Slave) *link.Secret {
	if !s.PasswordInDoubt() {
		return nil
	}
	n := &link.Secret{KDF: authKDF(s.NextKDF)}
	copy(n.Key[:], s.NextKey)
	return n
}

func entryKey(s store.Slave) auth.Key {
	var k auth.Key
	copy(k[:], s.Key)
	return k
}
