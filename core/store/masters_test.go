package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"path/filepath"
	"testing"

	"go.etcd.io/bbolt"
)

// one is a master at a single address.
func one(addr string) Master { return Master{Addresses: []string{addr}} }

// specs is how a list of masters reads in a failure message.
func specs(ms []Master) string {
	var out []string
	for _, m := range ms {
		s := m.Spec()
		if m.PinnedCert != "" {
			s += "=" + m.PinnedCert
		}
		if m.LastGood != "" {
			s += " (last " + m.LastGood + ")"
		}
		out = append(out, s)
	}
	return fmt.Sprint(out)
}

func TestMastersAddListPersist(t *testing.T) {
	path := filepath.Join(t.TempDir(), "agent.db")
	db := openTestDBAt(t, path, testOptions())
	for _, addr := range []string{"console-b.example:16888", "Console-A.example:16888"} {
		if err := db.AddMaster(one(addr)); err != nil {
			t.Fatal(err)
		}
	}
	err := db.AddMaster(one("console-a.EXAMPLE:16888"))
	var dup *DuplicateError
	if !errors.As(err, &dup) || dup.Field != "master" || dup.Existing != "Console-A.example:16888" {
		t.Errorf("duplicate AddMaster = %v", err)
	} else if err.Error() != "the masters list already has Console-A.example:16888" {
		t.Errorf("message %q", err)
	}
	if err := db.AddMaster(Master{}); !errors.Is(err, ErrInvalid) {
		t.Errorf("AddMaster(empty) = %v, want ErrInvalid", err)
	}

	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = openTestDBAt(t, path, testOptions())
	masters, err := db.Masters()
	if err != nil {
		t.Fatal(err)
	}
	if specs(masters) != "[Console-A.example:16888 console-b.example:16888]" {
		t.Errorf("Masters() = %v, want both, sorted, as typed", specs(masters))
	}
}

func TestOneConsoleAtSeveralAddressesIsOneMaster(t *testing.T) {
	db := openTestDB(t, testOptions())
	office := Master{Addresses: []string{"office.example:16888", "office.example:50000"}, PinnedCert: "cafe"}
	if err := db.AddMaster(office); err != nil {
		t.Fatal(err)
	}
	// Each address belongs to one master only, whichever position it has.
	err := db.AddMaster(Master{Addresses: []string{"lan.example:16888", "OFFICE.example:50000"}})
	if !errors.Is(err, ErrDuplicate) || err.Error() != "the masters list already has OFFICE.example:50000, in office.example:16888,office.example:50000" {
		t.Errorf("a second master sharing an address: %v", err)
	}
	if err := db.AddMaster(Master{Addresses: []string{"a:1", "A:1"}}); !errors.Is(err, ErrInvalid) {
		t.Errorf("one address twice in a master: %v, want ErrInvalid", err)
	}
	// Any of its addresses finds it; the address that worked is kept.
	if err := db.UpdateMaster("office.example:50000", func(m *Master) error { m.LastGood = m.Addresses[1]; return nil }); err != nil {
		t.Fatal(err)
	}
	ms, _ := db.Masters()
	if specs(ms) != "[office.example:16888,office.example:50000=cafe (last office.example:50000)]" {
		t.Errorf("Masters() = %v", specs(ms))
	}
	// Taking the address that worked out of the list forgets it; the
	// first address may change, and the entry with it.
	if err := db.UpdateMaster("office.example:16888", func(m *Master) error {
		m.Addresses = []string{"new.example:16888", "office.example:16888"}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	ms, _ = db.Masters()
	if specs(ms) != "[new.example:16888,office.example:16888=cafe]" {
		t.Errorf("Masters() after changing the addresses = %v", specs(ms))
	}
	if err := db.RemoveMaster("OFFICE.example:16888"); err != nil {
		t.Fatal(err)
	}
	if ms, _ = db.Masters(); len(ms) != 0 {
		t.Errorf("removing by its second address left %v", specs(ms))
	}
}

func TestUpdateMaster(t *testing.T) {
	db := openTestDB(t, testOptions())
	for _, addr := range []string{"a:1", "b:1"} {
		if err := db.AddMaster(one(addr)); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.UpdateMaster("A:1", func(m *Master) error { m.PinnedCert = "cafe"; return nil }); err != nil {
		t.Fatal(err)
	}
	if err := db.UpdateMaster("a:1", func(m *Master) error { m.Addresses = []string{"c:1"}; return nil }); err != nil {
		t.Fatal(err)
	}
	if err := db.UpdateMaster("c:1", func(m *Master) error { m.Addresses = []string{"B:1"}; return nil }); !errors.Is(err, ErrDuplicate) {
		t.Errorf("readdress onto b:1 = %v, want ErrDuplicate", err)
	}
	if err := db.UpdateMaster("zz:1", func(*Master) error { return nil }); !errors.Is(err, ErrNotFound) {
		t.Errorf("UpdateMaster(missing) = %v, want ErrNotFound", err)
	}
	masters, _ := db.Masters()
	if specs(masters) != "[b:1 c:1=cafe]" {
		t.Errorf("Masters() = %v", specs(masters))
	}
}

func TestRemoveAndReplaceMasters(t *testing.T) {
	db := openTestDB(t, testOptions())
	if err := db.AddMaster(one("a:1")); err != nil {
		t.Fatal(err)
	}
	if err := db.RemoveMaster("A:1"); err != nil {
		t.Fatal(err)
	}
	if err := db.RemoveMaster("a:1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("second RemoveMaster = %v, want ErrNotFound", err)
	}

	if err := db.AddMaster(one("old:1")); err != nil {
		t.Fatal(err)
	}
	if err := db.ReplaceMasters([]Master{one("x:1"), {Addresses: []string{"y:1", "X:1"}}}); !errors.Is(err, ErrDuplicate) {
		t.Errorf("ReplaceMasters with a duplicate = %v, want ErrDuplicate", err)
	}
	if masters, _ := db.Masters(); specs(masters) != "[old:1]" {
		t.Errorf("a refused ReplaceMasters changed the list: %v", specs(masters))
	}
	if err := db.ReplaceMasters([]Master{{Addresses: []string{"y:1"}, PinnedCert: "01"}, one("x:1")}); err != nil {
		t.Fatal(err)
	}
	if masters, _ := db.Masters(); specs(masters) != "[x:1 y:1=01]" {
		t.Errorf("Masters() = %v", specs(masters))
	}
	if err := db.ReplaceMasters(nil); err != nil {
		t.Fatal(err)
	}
	if masters, _ := db.Masters(); len(masters) != 0 {
		t.Errorf("Masters() after clearing = %v", masters)
	}
}

func TestMasterBadJSONNamesKey(t *testing.T) {
	db := openTestDB(t, testOptions())
	putRaw(t, db, bucketMasters, []byte("bad:1"), []byte("nope"))
	_, err := db.Masters()
	assertDamaged(t, err, "masters", "bad:1")
}

func TestMastersOfSchema2GetAnAddressListAndKeepTheirPin(t *testing.T) {
	path := filepath.Join(t.TempDir(), "agent.db")
	db := openTestDBAt(t, path, testOptions())
	// What an agent of schema 2 wrote.
	err := db.bolt.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketMasters)
		if err := b.Put([]byte("office.example:16888"), []byte(`{"address":"Office.example:16888","pinned_cert":"cafe"}`)); err != nil {
			return err
		}
		if err := b.Put([]byte("lan:1"), []byte(`{"address":"lan:1","pinned_cert":""}`)); err != nil {
			return err
		}
		return tx.Bucket(bucketMeta).Put(metaSchema, binary.BigEndian.AppendUint32(nil, 2))
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = openTestDBAt(t, path, testOptions())
	if v, err := db.SchemaVersion(); err != nil || v != CurrentSchema {
		t.Errorf("SchemaVersion() = %d, %v", v, err)
	}
	ms, err := db.Masters()
	if err != nil || specs(ms) != "[lan:1 Office.example:16888=cafe]" {
		t.Fatalf("Masters() after the migration = %v, %v", specs(ms), err)
	}
	// The migrated entry is found and updated like any other.
	if err := db.UpdateMaster("office.example:16888", func(m *Master) error {
		m.Addresses = append(m.Addresses, "office.example:50000")
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if ms, _ = db.Masters(); specs(ms) != "[lan:1 Office.example:16888,office.example:50000=cafe]" {
		t.Errorf("Masters() = %v", specs(ms))
	}
}
