package store

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

func outbound(name, address string) Slave {
	return Slave{
		Name:      name,
		Group:     "Servers",
		Direction: Outbound,
		Address:   address,
		Key:       bytes.Repeat([]byte{7}, 32),
		KDF:       KDFParams{Time: 1, MemoryKiB: 64 << 10, Threads: 2},
	}
}

func inbound(name string) Slave {
	s := outbound(name, "")
	s.Direction = Inbound
	return s
}

func TestAddSlaveAssignsIDAndTimesAndPersists(t *testing.T) {
	path := filepath.Join(t.TempDir(), "console.db")
	db := openTestDBAt(t, path, testOptions())
	at := time.Date(2026, 5, 1, 9, 30, 0, 123, time.UTC)
	db.now = fixedClock(&at)

	added, err := db.AddSlave(outbound("FS01", "fs01.example:16888"))
	if err != nil {
		t.Fatal(err)
	}
	if len(added.ID) != 32 || !added.Created.Equal(at) || !added.Updated.Equal(at) {
		t.Errorf("added = %+v; want a 32-hex ID and times %v", added, at)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = openTestDBAt(t, path, testOptions())
	got, err := db.SlaveByID(added.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "FS01" || got.Address != "fs01.example:16888" || !bytes.Equal(got.Key, added.Key) ||
		got.KDF != added.KDF || got.Direction != Outbound || !got.Created.Equal(at) {
		t.Errorf("after reopen = %+v, want %+v", got, added)
	}
}

func TestSlaveLookups(t *testing.T) {
	db := openTestDB(t, testOptions())
	for _, s := range []Slave{outbound("web2", "10.0.0.2:16888"), inbound("Alpha"), outbound("web10", "10.0.0.10:16888"), outbound("beta", "10.0.0.3:16888")} {
		if _, err := db.AddSlave(s); err != nil {
			t.Fatal(err)
		}
	}
	all, err := db.Slaves()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range all {
		names = append(names, s.Name)
	}
	if fmt.Sprint(names) != "[Alpha beta web2 web10]" {
		t.Errorf("Slaves() order = %v, want name order, case aside and numbers by value", names)
	}

	got, err := db.SlaveByName("ALPHA")
	if err != nil || got.Name != "Alpha" {
		t.Errorf("SlaveByName(ALPHA) = %+v, %v", got, err)
	}
	if _, err := db.SlaveByName("gamma"); !errors.Is(err, ErrNotFound) || err.Error() != `no slave named "gamma"` {
		t.Errorf("SlaveByName(gamma) = %v, want ErrNotFound naming it", err)
	}
	// A slip is answered with the name meant, as its entry writes it.
	if _, err := db.SlaveByName("web3"); !errors.Is(err, ErrNotFound) || err.Error() != `no slave named "web3" (did you mean web2?)` {
		t.Errorf("SlaveByName(web3) = %v", err)
	}
	if _, err := db.SlaveByName("ALPAH"); !errors.Is(err, ErrNotFound) || err.Error() != `no slave named "ALPAH" (did you mean Alpha?)` {
		t.Errorf("SlaveByName(ALPAH) = %v", err)
	}
	if err := db.RemoveSlave("alpah"); !errors.Is(err, ErrNotFound) || err.Error() != `no slave named "alpah" (did you mean Alpha?)` {
		t.Errorf("RemoveSlave(alpah) = %v", err)
	}
	if _, err := db.SlaveByID("0123"); !errors.Is(err, ErrNotFound) {
		t.Errorf("SlaveByID(unknown) = %v, want ErrNotFound", err)
	}
}

func TestAddSlaveUniqueness(t *testing.T) {
	db := openTestDB(t, testOptions())
	if _, err := db.AddSlave(outbound("FS01", "FileServer.example:16888")); err != nil {
		t.Fatal(err)
	}
	if _, err := db.AddSlave(inbound("gw")); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		slave Slave
		want  DuplicateError
		msg   string
	}{
		{outbound("fs01", "other:16888"), DuplicateError{Field: "name", Value: "fs01", Existing: "FS01"}, `a slave named "FS01" already exists`},
		{inbound("GW"), DuplicateError{Field: "name", Value: "GW", Existing: "gw"}, `a slave named "gw" already exists`},
		{outbound("FS02", "fileserver.EXAMPLE:16888"), DuplicateError{Field: "address", Value: "fileserver.EXAMPLE:16888", Existing: "FS01"}, `slave "FS01" already uses address fileserver.EXAMPLE:16888`},
	} {
		_, err := db.AddSlave(tc.slave)
		var dup *DuplicateError
		if !errors.As(err, &dup) || *dup != tc.want || !errors.Is(err, ErrDuplicate) {
			t.Errorf("AddSlave(%s) = %v, want %+v", tc.slave.Name, err, tc.want)
			continue
		}
		if err.Error() != tc.msg {
			t.Errorf("message %q, want %q", err, tc.msg)
		}
	}

	// Same host on another port is a different slave; so is an inbound
	// entry, which has no address.
	if _, err := db.AddSlave(outbound("FS01-b", "fileserver.example:16889")); err != nil {
		t.Errorf("other port: %v", err)
	}
	if all, _ := db.Slaves(); len(all) != 3 {
		t.Errorf("%d slaves stored, want 3", len(all))
	}
}

func TestAddSlaveValidation(t *testing.T) {
	db := openTestDB(t, testOptions())
	withAddress := inbound("in")
	withAddress.Address = "1.2.3.4:5"
	noDirection := outbound("x", "x:1")
	noDirection.Direction = ""
	for name, s := range map[string]Slave{
		"empty name":           outbound("", "a:1"),
		"blank name":           outbound("  ", "a:1"),
		"outbound no address":  outbound("out", ""),
		"inbound with address": withAddress,
		"no direction":         noDirection,
	} {
		if _, err := db.AddSlave(s); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: err = %v, want ErrInvalid", name, err)
		}
	}
}

func TestAddSlavesAllOrNothing(t *testing.T) {
	db := openTestDB(t, testOptions())
	_, err := db.AddSlaves([]Slave{outbound("a", "a:1"), outbound("b", "b:1"), outbound("A", "c:1")})
	if !errors.Is(err, ErrDuplicate) {
		t.Fatalf("err = %v, want a duplicate inside the batch", err)
	}
	if all, _ := db.Slaves(); len(all) != 0 {
		t.Errorf("%d slaves stored after a failed import, want 0", len(all))
	}
	added, err := db.AddSlaves([]Slave{outbound("a", "a:1"), inbound("b")})
	if err != nil || len(added) != 2 || added[0].ID == added[1].ID {
		t.Errorf("AddSlaves = %+v, %v", added, err)
	}
}

func TestUpdateSlave(t *testing.T) {
	db := openTestDB(t, testOptions())
	at := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	db.now = fixedClock(&at)
	fs01, err := db.AddSlave(outbound("FS01", "fs01:16888"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.AddSlave(outbound("FS02", "fs02:16888")); err != nil {
		t.Fatal(err)
	}

	at = at.Add(time.Hour)
	updated, err := db.UpdateSlave(fs01.ID, func(s *Slave) error {
		s.PinnedCert = "ab12"
		s.Name = "fs01" // renaming to itself in another case is fine
		s.Created = time.Time{}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if updated.PinnedCert != "ab12" || updated.Name != "fs01" || !updated.Created.Equal(fs01.Created) || !updated.Updated.Equal(at) {
		t.Errorf("updated = %+v", updated)
	}
	if stored, _ := db.SlaveByID(fs01.ID); stored.PinnedCert != "ab12" {
		t.Errorf("stored = %+v", stored)
	}

	_, err = db.UpdateSlave(fs01.ID, func(s *Slave) error { s.Name = "FS02"; return nil })
	if !errors.Is(err, ErrDuplicate) {
		t.Errorf("rename onto FS02: %v, want ErrDuplicate", err)
	}
	_, err = db.UpdateSlave(fs01.ID, func(s *Slave) error { s.Address = "FS02:16888"; return nil })
	if !errors.Is(err, ErrDuplicate) {
		t.Errorf("readdress onto FS02's: %v, want ErrDuplicate", err)
	}
	_, err = db.UpdateSlave(fs01.ID, func(s *Slave) error { s.ID = "other"; return nil })
	if !errors.Is(err, ErrInvalid) {
		t.Errorf("changing the ID: %v, want ErrInvalid", err)
	}
	boom := errors.New("cancelled")
	_, err = db.UpdateSlave(fs01.ID, func(s *Slave) error { s.Notes = "lost"; return boom })
	if !errors.Is(err, boom) {
		t.Errorf("fn error: %v", err)
	}
	if stored, _ := db.SlaveByID(fs01.ID); stored.Notes != "" || stored.Name != "fs01" {
		t.Errorf("a failed update changed the entry: %+v", stored)
	}
	if _, err := db.UpdateSlave("missing", func(*Slave) error { return nil }); !errors.Is(err, ErrNotFound) {
		t.Errorf("UpdateSlave(missing) = %v, want ErrNotFound", err)
	}
}

func TestRemoveSlave(t *testing.T) {
	db := openTestDB(t, testOptions())
	if _, err := db.AddSlave(inbound("Edge")); err != nil {
		t.Fatal(err)
	}
	if err := db.RemoveSlave("edge"); err != nil {
		t.Fatal(err)
	}
	if err := db.RemoveSlave("edge"); !errors.Is(err, ErrNotFound) {
		t.Errorf("second RemoveSlave = %v, want ErrNotFound", err)
	}
	// The name is free again.
	if _, err := db.AddSlave(inbound("EDGE")); err != nil {
		t.Errorf("re-adding: %v", err)
	}
}

func TestConcurrentAddSlaveSameNameOnlyOneWins(t *testing.T) {
	db := openTestDB(t, testOptions())
	const tries = 16
	var wg sync.WaitGroup
	errs := make(chan error, tries)
	for i := range tries {
		wg.Go(func() {
			_, err := db.AddSlave(outbound(fmt.Sprintf("Same%c", "sS"[i%2]), fmt.Sprintf("h%d:1", i)))
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	wins := 0
	for err := range errs {
		switch {
		case err == nil:
			wins++
		case !errors.Is(err, ErrDuplicate):
			t.Errorf("unexpected error %v", err)
		}
	}
	if wins != 1 {
		t.Errorf("%d adds succeeded, want exactly 1", wins)
	}
}

func TestSlaveBadJSONNamesKey(t *testing.T) {
	db := openTestDB(t, testOptions())
	putRaw(t, db, bucketSlaves, []byte("deadbeef"), []byte(`{"name": 5}`))
	_, err := db.Slaves()
	assertDamaged(t, err, "slaves", "deadbeef")
	_, err = db.AddSlave(inbound("x"))
	assertDamaged(t, err, "slaves", "deadbeef")
	_, err = db.SlaveByID("deadbeef")
	assertDamaged(t, err, "slaves", "deadbeef")
}
