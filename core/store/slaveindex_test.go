package store

import (
	"errors"
	"testing"
	"time"
)

func TestARenamedOrMovedSlaveFreesItsOldNameAndAddress(t *testing.T) {
	db := openTestDB(t, testOptions())
	fs1, err := db.AddSlave(outbound("FS01", "10.0.0.1:16888"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.UpdateSlave(fs1.ID, func(s *Slave) error {
		s.Name, s.Address = "FS01-old", "10.0.0.9:16888"
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	// The old name and address are free, the new ones taken.
	if _, err := db.AddSlave(outbound("fs01", "10.0.0.1:16888")); err != nil {
		t.Errorf("the old name and address are still taken: %v", err)
	}
	var dup *DuplicateError
	if _, err := db.AddSlave(outbound("FS01-OLD", "10.0.0.2:16888")); !errors.As(err, &dup) || dup.Field != "name" || dup.Existing != "FS01-old" {
		t.Errorf("adding the new name again: %v, want a name clash with FS01-old", err)
	}
	if _, err := db.AddSlave(outbound("FS03", "10.0.0.9:16888")); !errors.As(err, &dup) || dup.Field != "address" || dup.Existing != "FS01-old" {
		t.Errorf("adding the new address again: %v, want an address clash with FS01-old", err)
	}
	if got, err := db.SlaveByName("fs01-OLD"); err != nil || got.ID != fs1.ID {
		t.Errorf("SlaveByName after the rename = %+v, %v", got, err)
	}
	if err := db.RemoveSlave("FS01-old"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.AddSlave(outbound("FS01-old", "10.0.0.9:16888")); err != nil {
		t.Errorf("a removed slave's name and address are still taken: %v", err)
	}
	if _, err := db.SlaveByName("nobody"); !errors.Is(err, ErrNotFound) {
		t.Errorf("SlaveByName of an unknown name: %v, want ErrNotFound", err)
	}
}

func TestAnUpdateThatFailsLeavesNameAndAddressAsTheyWere(t *testing.T) {
	db := openTestDB(t, testOptions())
	a, _ := db.AddSlave(outbound("a", "a:1"))
	if _, err := db.AddSlave(outbound("b", "b:1")); err != nil {
		t.Fatal(err)
	}
	if _, err := db.UpdateSlave(a.ID, func(s *Slave) error { s.Name, s.Address = "c", "b:1"; return nil }); !errors.Is(err, ErrDuplicate) {
		t.Fatalf("moving a onto b's address: %v, want a clash", err)
	}
	if _, err := db.AddSlave(outbound("c", "c:1")); err != nil {
		t.Errorf("the failed update took the name c: %v", err)
	}
	if _, err := db.AddSlave(outbound("a2", "a:1")); !errors.Is(err, ErrDuplicate) {
		t.Errorf("the failed update freed a's address: %v", err)
	}
}

func TestPinsAreSavedWithoutTouchingTheUsersLastChange(t *testing.T) {
	db := openTestDB(t, testOptions())
	at := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	db.now = fixedClock(&at)
	a, _ := db.AddSlave(inbound("a"))
	b, _ := db.AddSlave(inbound("b"))
	if err := db.RemoveSlave("b"); err != nil {
		t.Fatal(err)
	}
	seen := at.Add(time.Hour)
	err := db.SavePins([]Pin{
		{ID: a.ID, Cert: "c0ffee", InstallID: "1d", LastSeen: seen},
		{ID: b.ID, Cert: "removed meanwhile"},
		{ID: a.ID, LastSeen: seen.Add(time.Minute)}, // a later one keeps the pins
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := db.SlaveByID(a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.PinnedCert != "c0ffee" || got.PinnedInstallID != "1d" || !got.LastSeen.Equal(seen.Add(time.Minute)) || !got.Updated.Equal(at) {
		t.Errorf("after SavePins = %+v", got)
	}
}
