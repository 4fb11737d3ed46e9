package store

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

func TestAuditAppendAndRead(t *testing.T) {
	path := filepath.Join(t.TempDir(), "console.db")
	db := openTestDBAt(t, path, testOptions())
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for i := range 5 {
		// Equal times must not overwrite each other.
		r := AuditRecord{Time: at, Slave: "FS01", Command: fmt.Sprintf("run task %d", i), Result: "ok"}
		if err := db.AppendAudit(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = openTestDBAt(t, path, testOptions())

	all, err := db.Audit(0)
	if err != nil || len(all) != 5 {
		t.Fatalf("Audit(0) = %d records, %v; want 5", len(all), err)
	}
	last, err := db.Audit(2)
	if err != nil || len(last) != 2 || last[0].Command != "run task 3" || last[1].Command != "run task 4" {
		t.Errorf("Audit(2) = %+v, %v; want tasks 3 and 4, oldest first", last, err)
	}
	if !last[1].Time.Equal(at) {
		t.Errorf("time %v, want %v", last[1].Time, at)
	}
}

func TestAuditBadJSONNamesKey(t *testing.T) {
	db := openTestDB(t, testOptions())
	key := encodeKey(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC).UnixNano(), 9)
	putRaw(t, db, bucketAudit, key, []byte("]"))
	_, err := db.Audit(0)
	assertDamaged(t, err, "audit", "2026-03-01T00:00:00Z")
}
