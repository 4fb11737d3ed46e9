package store

import (
	"errors"
	"fmt"
	"path/filepath"
	"testing"
)

func TestMastersAddListPersist(t *testing.T) {
	path := filepath.Join(t.TempDir(), "agent.db")
	db := openTestDBAt(t, path, testOptions())
	for _, addr := range []string{"console-b.example:16888", "Console-A.example:16888"} {
		if err := db.AddMaster(Master{Address: addr}); err != nil {
			t.Fatal(err)
		}
	}
	err := db.AddMaster(Master{Address: "console-a.EXAMPLE:16888"})
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
	if fmt.Sprint(masters) != "[{Console-A.example:16888 } {console-b.example:16888 }]" {
		t.Errorf("Masters() = %v, want both, sorted, as typed", masters)
	}
}

func TestUpdateMaster(t *testing.T) {
	db := openTestDB(t, testOptions())
	for _, addr := range []string{"a:1", "b:1"} {
		if err := db.AddMaster(Master{Address: addr}); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.UpdateMaster("A:1", func(m *Master) error { m.PinnedCert = "cafe"; return nil }); err != nil {
		t.Fatal(err)
	}
	if err := db.UpdateMaster("a:1", func(m *Master) error { m.Address = "c:1"; return nil }); err != nil {
		t.Fatal(err)
	}
	if err := db.UpdateMaster("c:1", func(m *Master) error { m.Address = "B:1"; return nil }); !errors.Is(err, ErrDuplicate) {
		t.Errorf("readdress onto b:1 = %v, want ErrDuplicate", err)
	}
	if err := db.UpdateMaster("zz:1", func(*Master) error { return nil }); !errors.Is(err, ErrNotFound) {
		t.Errorf("UpdateMaster(missing) = %v, want ErrNotFound", err)
	}
	masters, _ := db.Masters()
	if fmt.Sprint(masters) != "[{b:1 } {c:1 cafe}]" {
		t.Errorf("Masters() = %v", masters)
	}
}

func TestRemoveAndReplaceMasters(t *testing.T) {
	db := openTestDB(t, testOptions())
	if err := db.AddMaster(Master{Address: "a:1"}); err != nil {
		t.Fatal(err)
	}
	if err := db.RemoveMaster("A:1"); err != nil {
		t.Fatal(err)
	}
	if err := db.RemoveMaster("a:1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("second RemoveMaster = %v, want ErrNotFound", err)
	}

	if err := db.AddMaster(Master{Address: "old:1"}); err != nil {
		t.Fatal(err)
	}
	if err := db.ReplaceMasters([]Master{{Address: "x:1"}, {Address: "X:1"}}); !errors.Is(err, ErrDuplicate) {
		t.Errorf("ReplaceMasters with a duplicate = %v, want ErrDuplicate", err)
	}
	if masters, _ := db.Masters(); fmt.Sprint(masters) != "[{old:1 }]" {
		t.Errorf("a refused ReplaceMasters changed the list: %v", masters)
	}
	if err := db.ReplaceMasters([]Master{{Address: "y:1", PinnedCert: "01"}, {Address: "x:1"}}); err != nil {
		t.Fatal(err)
	}
	if masters, _ := db.Masters(); fmt.Sprint(masters) != "[{x:1 } {y:1 01}]" {
		t.Errorf("Masters() = %v", masters)
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
