package store

import (
	"fmt"
	"path/filepath"
	"strings"
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

	all, err := db.Audit(AuditQuery{})
	if err != nil || len(all) != 5 {
		t.Fatalf("Audit(0) = %d records, %v; want 5", len(all), err)
	}
	last, err := db.Audit(AuditQuery{Limit: 2})
	if err != nil || len(last) != 2 || last[0].Command != "run task 3" || last[1].Command != "run task 4" {
		t.Errorf("Audit(2) = %+v, %v; want tasks 3 and 4, oldest first", last, err)
	}
	if !last[1].Time.Equal(at) {
		t.Errorf("time %v, want %v", last[1].Time, at)
	}
	odd, err := db.Audit(AuditQuery{Limit: 1, Match: func(r AuditRecord) bool {
		return strings.HasSuffix(r.Command, "1") || strings.HasSuffix(r.Command, "3")
	}})
	if err != nil || len(odd) != 1 || odd[0].Command != "run task 3" {
		t.Errorf("Audit(1, tasks 1 and 3) = %+v, %v; want task 3, the newest that matches", odd, err)
	}
}

func TestAuditBadJSONNamesKey(t *testing.T) {
	db := openTestDB(t, testOptions())
	key := encodeKey(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC).UnixNano(), 9)
	putRaw(t, db, bucketAudit, key, []byte("]"))
	_, err := db.Audit(AuditQuery{})
	assertDamaged(t, err, "audit", "2026-03-01T00:00:00Z")
}

// The audit keeps the newest records up to its cap: a console that sends
// commands to thousands of servers a day does not grow its database
// without end.
func TestTheAuditKeepsTheNewestUpToItsCap(t *testing.T) {
	o := testOptions()
	o.AuditMaxRecords = 150 // trimmed every second append
	db := openTestDB(t, o)
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for i := range 400 {
		r := AuditRecord{Time: at.Add(time.Duration(i) * time.Second), Slave: "FS01", Command: fmt.Sprintf("task copy %d", i), Result: "ok"}
		if err := db.AppendAudit(r); err != nil {
			t.Fatal(err)
		}
	}
	all, err := db.Audit(AuditQuery{})
	if err != nil || len(all) < 150 || len(all) > 152 {
		t.Fatalf("%d records, %v; want about 150", len(all), err)
	}
	if all[len(all)-1].Command != "task copy 399" || all[0].Command != fmt.Sprintf("task copy %d", 400-len(all)) {
		t.Fatalf("kept %q … %q, want the newest", all[0].Command, all[len(all)-1].Command)
	}
}

// The audit since a time holds the records at or after it, oldest first.
func TestTheAuditSinceATime(t *testing.T) {
	db := openTestDB(t, testOptions())
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for i := range 4 {
		if err := db.AppendAudit(AuditRecord{Time: at.Add(time.Duration(i) * time.Minute), Slave: "FS01", Command: fmt.Sprintf("run task %d", i), Result: "ok"}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := db.Audit(AuditQuery{Since: at.Add(2 * time.Minute)})
	if err != nil || len(got) != 2 || got[0].Command != "run task 2" || got[1].Command != "run task 3" {
		t.Fatalf("since 12:02: %+v, %v; want tasks 2 and 3", got, err)
	}
}

// A command is recorded before it is sent and its answer put in the same
// record; one left without an answer (the console stopped first) is said
// to be so at the next start.
func TestACommandsRecordTakesItsAnswerOrSaysItHadNone(t *testing.T) {
	path := filepath.Join(t.TempDir(), "console.db")
	db := openTestDBAt(t, path, testOptions())
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	answered, err := db.BeginAudit(AuditRecord{Time: at, Slave: "FS01", Command: "settings set: ssl on", Result: AuditSent})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.BeginAudit(AuditRecord{Time: at.Add(time.Second), Slave: "FS02", Command: "password set", Result: AuditSent}); err != nil {
		t.Fatal(err)
	}
	if err := db.EndAudit(answered, AuditOK); err != nil {
		t.Fatal(err)
	}
	if err := db.EndAudit(AuditKey(encodeKey(at.UnixNano(), 99)), AuditOK); err != ErrNotFound {
		t.Errorf("the answer to a record that is gone: %v, want ErrNotFound", err)
	}
	if err := db.Close(); err != nil { // as a console killed before FS02 answered
		t.Fatal(err)
	}

	db = openTestDBAt(t, path, testOptions())
	const gone = AuditFailed + "no answer: the console stopped first"
	if n, err := db.CloseUnansweredAudit(gone); n != 1 || err != nil {
		t.Fatalf("closed %d, %v; want the one unanswered", n, err)
	}
	all, err := db.Audit(AuditQuery{})
	if err != nil || len(all) != 2 {
		t.Fatalf("%+v, %v", all, err)
	}
	if all[0].Result != AuditOK || !all[0].Time.Equal(at) || all[1].Result != gone || all[1].Slave != "FS02" {
		t.Errorf("records %+v", all)
	}
	if n, err := db.CloseUnansweredAudit(gone); n != 0 || err != nil {
		t.Errorf("a second start closed %d, %v", n, err)
	}
}
