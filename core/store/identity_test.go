package store

import (
	"bytes"
	"errors"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
)

func testIdentity(b byte) Identity {
	return Identity{
		InstallID: [16]byte{b, 1, 2, 3},
		CertPEM:   []byte("-----BEGIN CERTIFICATE-----\n" + string(b) + "\n"),
		KeyPEM:    []byte("-----BEGIN PRIVATE KEY-----\n" + string(b) + "\n"),
	}
}

func sameIdentity(a, b Identity) bool {
	return a.InstallID == b.InstallID && bytes.Equal(a.CertPEM, b.CertPEM) && bytes.Equal(a.KeyPEM, b.KeyPEM)
}

func TestLoadOrCreateIdentityCreatesOnceAndPersists(t *testing.T) {
	path := filepath.Join(t.TempDir(), "agent.db")
	db := openTestDBAt(t, path, testOptions())

	var calls atomic.Int32
	create := func() (Identity, error) {
		calls.Add(1)
		return testIdentity('a'), nil
	}
	// Concurrent first starts must agree on one identity.
	var wg sync.WaitGroup
	results := make([]Identity, 8)
	errs := make([]error, len(results))
	for i := range results {
		wg.Go(func() { results[i], errs[i] = db.LoadOrCreateIdentity(create) })
	}
	wg.Wait()
	for i := range results {
		if errs[i] != nil || !sameIdentity(results[i], testIdentity('a')) {
			t.Fatalf("caller %d got %+v, %v", i, results[i], errs[i])
		}
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("create called %d times, want 1", n)
	}

	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = openTestDBAt(t, path, testOptions())
	got, err := db.LoadOrCreateIdentity(func() (Identity, error) {
		t.Error("create called although an identity is stored")
		return testIdentity('b'), nil
	})
	if err != nil || !sameIdentity(got, testIdentity('a')) {
		t.Errorf("after reopen: %+v, %v", got, err)
	}
}

func TestLoadOrCreateIdentityCreateFails(t *testing.T) {
	db := openTestDB(t, testOptions())
	boom := errors.New("no entropy")
	if _, err := db.LoadOrCreateIdentity(func() (Identity, error) { return Identity{}, boom }); !errors.Is(err, boom) {
		t.Fatalf("err = %v, want %v", err, boom)
	}
	// Nothing stored: the next call creates.
	got, err := db.LoadOrCreateIdentity(func() (Identity, error) { return testIdentity('c'), nil })
	if err != nil || !sameIdentity(got, testIdentity('c')) {
		t.Errorf("got %+v, %v", got, err)
	}
}

func TestLoadOrCreateIdentityRefusesIncompleteResult(t *testing.T) {
	db := openTestDB(t, testOptions())
	_, err := db.LoadOrCreateIdentity(func() (Identity, error) { return Identity{InstallID: [16]byte{1}}, nil })
	if !errors.Is(err, ErrInvalid) {
		t.Errorf("err = %v, want ErrInvalid", err)
	}
}

func TestPutIdentityReplaces(t *testing.T) {
	db := openTestDB(t, testOptions())
	if _, err := db.LoadOrCreateIdentity(func() (Identity, error) { return testIdentity('a'), nil }); err != nil {
		t.Fatal(err)
	}
	if err := db.PutIdentity(testIdentity('z')); err != nil {
		t.Fatal(err)
	}
	got, err := db.LoadOrCreateIdentity(func() (Identity, error) { return Identity{}, errors.New("must not be called") })
	if err != nil || !sameIdentity(got, testIdentity('z')) {
		t.Errorf("got %+v, %v", got, err)
	}
	if err := db.PutIdentity(Identity{}); !errors.Is(err, ErrInvalid) {
		t.Errorf("PutIdentity(zero) = %v, want ErrInvalid", err)
	}
}

func TestPartialIdentityIsDamaged(t *testing.T) {
	db := openTestDB(t, testOptions())
	putRaw(t, db, bucketIdentity, identityInstallID, make([]byte, 16))
	_, err := db.LoadOrCreateIdentity(func() (Identity, error) { return testIdentity('a'), nil })
	assertDamaged(t, err, "identity", "cert_pem")
}
