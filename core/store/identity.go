package store

import (
	"fmt"

	"go.etcd.io/bbolt"
)

// Identity is this installation's identity: a random install ID and the
// self-signed TLS certificate and key generated at first start.
type Identity struct {
	InstallID [16]byte
	CertPEM   []byte
	KeyPEM    []byte
}

// Keys in the identity bucket.
var (
	identityInstallID = []byte("install_id")
	identityCert      = []byte("cert_pem")
	identityKey       = []byte("key_pem")
)

func (id Identity) validate() error {
	switch {
	case id.InstallID == [16]byte{}:
		return errorf(ErrInvalid, "an identity needs an install ID")
	case len(id.CertPEM) == 0:
		return errorf(ErrInvalid, "an identity needs a certificate")
	case len(id.KeyPEM) == 0:
		return errorf(ErrInvalid, "an identity needs a private key")
	}
	return nil
}

// loadIdentity returns the stored identity, or found=false if none is
// stored. A partly stored identity is an error: replacing it silently would
// change the install ID that every peer has pinned.
func (db *DB) loadIdentity(tx *bbolt.Tx) (id Identity, found bool, err error) {
	b, err := db.bucket(tx, bucketIdentity)
	if err != nil {
		return Identity{}, false, err
	}
	installID, cert, key := b.Get(identityInstallID), b.Get(identityCert), b.Get(identityKey)
	if installID == nil && cert == nil && key == nil {
		return Identity{}, false, nil
	}
	for _, part := range []struct {
		name  string
		value []byte
	}{{"install_id", installID}, {"cert_pem", cert}, {"key_pem", key}} {
		if len(part.value) == 0 {
			return Identity{}, false, db.damaged(bucketIdentity, part.name, fmt.Errorf("missing while the rest of the identity is present"))
		}
	}
	if len(installID) != len(id.InstallID) {
		return Identity{}, false, db.damaged(bucketIdentity, "install_id", fmt.Errorf("%d bytes, want %d", len(installID), len(id.InstallID)))
	}
	copy(id.InstallID[:], installID)
	// Values from bbolt live only as long as the transaction.
	id.CertPEM = append([]byte(nil), cert...)
	id.KeyPEM = append([]byte(nil), key...)
	return id, true, nil
}

func (db *DB) putIdentity(tx *bbolt.Tx, id Identity) error {
	b, err := db.bucket(tx, bucketIdentity)
	if err != nil {
		return err
	}
	for _, kv := range [][2][]byte{
		{identityInstallID, id.InstallID[:]},
		{identityCert, id.CertPEM},
		{identityKey, id.KeyPEM},
	} {
		if err := b.Put(kv[0], kv[1]); err != nil {
			return err
		}
	}
	return nil
}

// LoadOrCreateIdentity returns the stored identity, or calls create, stores
// its result and returns it, atomically: two concurrent callers get the same
// identity and create runs at most once.
func (db *DB) LoadOrCreateIdentity(create func() (Identity, error)) (Identity, error) {
	// Fast path in a read transaction: the identity exists on every start
	// but the first.
	var id Identity
	var found bool
	err := db.view(func(tx *bbolt.Tx) (err error) {
		id, found, err = db.loadIdentity(tx)
		return err
	})
	if err != nil || found {
		return id, err
	}
	err = db.update(func(tx *bbolt.Tx) (err error) {
		if id, found, err = db.loadIdentity(tx); err != nil || found {
			return err
		}
		if id, err = create(); err != nil {
			return err
		}
		if err := id.validate(); err != nil {
			return fmt.Errorf("new identity refused: %w", err)
		}
		return db.putIdentity(tx, id)
	})
	if err != nil {
		return Identity{}, err
	}
	return id, nil
}

// PutIdentity replaces the stored identity (e.g. after regenerating the
// certificate).
func (db *DB) PutIdentity(id Identity) error {
	if err := id.validate(); err != nil {
		return err
	}
	return db.update(func(tx *bbolt.Tx) error { return db.putIdentity(tx, id) })
}
