package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	logtest "github.com/sirupsen/logrus/hooks/test"
	"go.etcd.io/bbolt"
)

// rawValue reads key from bucket straight from the file's buckets.
func rawValue(t *testing.T, db *DB, bucket []byte, key string) []byte {
	t.Helper()
	var v []byte
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		if b := tx.Bucket(bucket); b != nil {
			v = bytes.Clone(b.Get([]byte(key)))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestALastSeenTimeIsStoredApartFromItsEntry(t *testing.T) {
	db := openTestDB(t, testOptions())
	at := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	db.now = fixedClock(&at)
	a, _ := db.AddSlave(inbound("a"))
	entryBefore := rawValue(t, db, bucketSlaves, a.ID)

	seen := time.Date(2026, 5, 1, 10, 0, 0, 123456789, time.FixedZone("CEST", 2*3600))
	if err := db.SavePins([]Pin{{ID: a.ID, LastSeen: seen}}); err != nil {
		t.Fatal(err)
	}
	if entry := rawValue(t, db, bucketSlaves, a.ID); !bytes.Equal(entry, entryBefore) {
		t.Errorf("a last-seen time rewrote the entry:\n%s\nwas\n%s", entry, entryBefore)
	}
	if v := rawValue(t, db, bucketLastSeen, a.ID); len(v) != 8 || int64(binary.BigEndian.Uint64(v)) != seen.UnixNano() {
		t.Errorf("the lastseen bucket holds %x, want %d as 8 bytes", v, seen.UnixNano())
	}
	byID, err := db.SlaveByID(a.ID)
	if err != nil || !byID.LastSeen.Equal(seen) || byID.LastSeen.Location() != time.UTC {
		t.Errorf("SlaveByID: LastSeen %v, %v; want %v in UTC", byID.LastSeen, err, seen)
	}
	byName, err := db.SlaveByName("A")
	if err != nil || !byName.LastSeen.Equal(seen) {
		t.Errorf("SlaveByName: LastSeen %v, %v; want %v", byName.LastSeen, err, seen)
	}
	all, err := db.Slaves()
	if err != nil || len(all) != 1 || !all[0].LastSeen.Equal(seen) {
		t.Errorf("Slaves: %+v, %v; want a's LastSeen %v", all, err, seen)
	}

	// The user's edit keeps it, and does not copy it into the entry.
	edited, err := db.UpdateSlave(a.ID, func(s *Slave) error { s.Notes = "rack 4"; return nil })
	if err != nil || !edited.LastSeen.Equal(seen) {
		t.Errorf("UpdateSlave: LastSeen %v, %v; want %v", edited.LastSeen, err, seen)
	}
	if entry := rawValue(t, db, bucketSlaves, a.ID); bytes.Contains(entry, []byte("last_seen")) {
		t.Errorf("the edited entry carries last_seen: %s", entry)
	}
	if got, _ := db.SlaveByID(a.ID); !got.LastSeen.Equal(seen) || got.Notes != "rack 4" {
		t.Errorf("after the edit: %+v", got)
	}
}

func TestASlaveNeverSeenHasNoLastSeenTime(t *testing.T) {
	db := openTestDB(t, testOptions())
	a, _ := db.AddSlave(inbound("a"))
	// A pin without a time writes the entry and no time.
	if err := db.SavePins([]Pin{{ID: a.ID, Cert: "c0ffee"}}); err != nil {
		t.Fatal(err)
	}
	got, err := db.SlaveByID(a.ID)
	if err != nil || got.PinnedCert != "c0ffee" || !got.LastSeen.IsZero() {
		t.Errorf("SlaveByID = %+v, %v; want the pin and no LastSeen", got, err)
	}
	if v := rawValue(t, db, bucketLastSeen, a.ID); v != nil {
		t.Errorf("the lastseen bucket holds %x for a slave never seen", v)
	}
	// The agent's software alone is written, the pins kept.
	if err := db.SavePins([]Pin{{ID: a.ID, Software: "lanyard-agent 1.4.0"}}); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.SlaveByID(a.ID); got.Software != "lanyard-agent 1.4.0" || got.PinnedCert != "c0ffee" || !got.Updated.Equal(a.Updated) {
		t.Errorf("after the software's pin: %+v", got)
	}
	// So are the boots taken for ghosts.
	if err := db.SavePins([]Pin{{ID: a.ID, GhostBoots: []string{"b007"}}}); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.SlaveByID(a.ID); !slices.Equal(got.GhostBoots, []string{"b007"}) || got.Software != "lanyard-agent 1.4.0" || got.PinnedCert != "c0ffee" {
		t.Errorf("after the ghost boots' pin: %+v", got)
	}
}

func TestRemovingASlaveRemovesItsLastSeenTime(t *testing.T) {
	db := openTestDB(t, testOptions())
	a, _ := db.AddSlave(inbound("a"))
	b, _ := db.AddSlave(inbound("b"))
	seen := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	if err := db.SavePins([]Pin{{ID: a.ID, LastSeen: seen}, {ID: b.ID, LastSeen: seen}}); err != nil {
		t.Fatal(err)
	}
	if err := db.RemoveSlave("a"); err != nil {
		t.Fatal(err)
	}
	if v := rawValue(t, db, bucketLastSeen, a.ID); v != nil {
		t.Errorf("a removed slave's last-seen time is still stored: %x", v)
	}
	// A time that arrives after the removal is dropped, not stored for a
	// slave that no longer exists.
	if err := db.SavePins([]Pin{{ID: a.ID, LastSeen: seen.Add(time.Minute)}}); err != nil {
		t.Fatal(err)
	}
	if v := rawValue(t, db, bucketLastSeen, a.ID); v != nil {
		t.Errorf("a time saved after the removal was stored: %x", v)
	}
	if got, _ := db.SlaveByID(b.ID); !got.LastSeen.Equal(seen) {
		t.Errorf("the other slave's LastSeen = %v, want %v", got.LastSeen, seen)
	}
}

func TestADamagedLastSeenTimeNamesItsKey(t *testing.T) {
	db := openTestDB(t, testOptions())
	a, _ := db.AddSlave(inbound("a"))
	putRaw(t, db, bucketLastSeen, []byte(a.ID), []byte("nope"))
	_, err := db.SlaveByID(a.ID)
	assertDamaged(t, err, "lastseen", a.ID)
	_, err = db.Slaves()
	assertDamaged(t, err, "lastseen", a.ID)
}

// schema4Entries are slave entries as schema 4 wrote them, by ID: last_seen
// inside the JSON.
var schema4Entries = map[string]string{
	"0a": `{"id":"0a","name":"FS01","direction":"inbound","key":"BwcH","kdf":{"time":1,"memory_kib":65536,"threads":2},"pinned_cert":"cafe","pinned_install_id":"1d","created":"2026-04-01T08:00:00Z","updated":"2026-04-02T08:00:00Z","last_seen":"2026-05-01T10:00:00.123456789+02:00"}`,
	"0b": `{"id":"0b","name":"FS02","group":"Lab","direction":"outbound","address":"fs02.example:16888","key":"BwcH","kdf":{"time":1,"memory_kib":65536,"threads":2},"pinned_cert":"","pinned_install_id":"","created":"2026-04-01T08:00:00Z","updated":"2026-04-01T08:00:00Z"}`,
}

// writeSchema4File makes a real bbolt file at path the way schema 4 left
// it: the buckets of migrations 1 to 4, schema 4 in meta, and entries.
func writeSchema4File(t *testing.T, path string, entries map[string]string) {
	t.Helper()
	raw, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = raw.Update(func(tx *bbolt.Tx) error {
		for _, m := range migrations[:4] {
			if err := m(tx); err != nil {
				return err
			}
		}
		for id, v := range entries {
			if err := tx.Bucket(bucketSlaves).Put([]byte(id), []byte(v)); err != nil {
				return err
			}
		}
		return tx.Bucket(bucketMeta).Put(metaSchema, binary.BigEndian.AppendUint32(nil, 4))
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := raw.Close(); err != nil {
		t.Fatal(err)
	}
}

// assertMigratedFrom4 checks that the entries of schema4Entries came through
// schema 5 whole, their last-seen times moved into the bucket.
func assertMigratedFrom4(t *testing.T, db *DB) {
	t.Helper()
	if v, err := db.SchemaVersion(); err != nil || v != CurrentSchema {
		t.Fatalf("SchemaVersion() = %d, %v; want %d, through 5", v, err, CurrentSchema)
	}
	seen := time.Date(2026, 5, 1, 8, 0, 0, 123456789, time.UTC)
	fs01, err := db.SlaveByID("0a")
	if err != nil || fs01.Name != "FS01" || fs01.PinnedCert != "cafe" || fs01.PinnedInstallID != "1d" ||
		!fs01.LastSeen.Equal(seen) || fs01.LastSeenLinked || !fs01.Updated.Equal(time.Date(2026, 4, 2, 8, 0, 0, 0, time.UTC)) || !bytes.Equal(fs01.Key, []byte{7, 7, 7}) {
		t.Errorf("FS01 after the migration = %+v, %v", fs01, err)
	}
	fs02, err := db.SlaveByID("0b")
	if err != nil || fs02.Address != "fs02.example:16888" || fs02.Group != "Lab" || !fs02.LastSeen.IsZero() {
		t.Errorf("FS02 after the migration = %+v, %v", fs02, err)
	}
	if v := rawValue(t, db, bucketLastSeen, "0b"); v != nil {
		t.Errorf("a slave never seen got a last-seen time: %x", v)
	}
	for id := range schema4Entries {
		if entry := rawValue(t, db, bucketSlaves, id); bytes.Contains(entry, []byte("last_seen")) {
			t.Errorf("entry %s still carries last_seen: %s", id, entry)
		}
	}
}

func TestASchema4FileMovesItsLastSeenTimesIntoTheirBucket(t *testing.T) {
	path := filepath.Join(t.TempDir(), "console.db")
	entries := map[string]string{
		// A field this build does not know is kept.
		"0c": `{"id":"0c","name":"FS03","direction":"inbound","key":"BwcH","kdf":{"time":1,"memory_kib":65536,"threads":2},"pinned_cert":"","pinned_install_id":"","created":"2026-04-01T08:00:00Z","updated":"2026-04-01T08:00:00Z","last_seen":"2026-05-02T00:00:00Z","future":{"x":1}}`,
		// An entry that does not decode is left as it was.
		"0d": `{"id":"0d","name":`,
	}
	for id, v := range schema4Entries {
		entries[id] = v
	}
	writeSchema4File(t, path, entries)

	db := openTestDBAt(t, path, testOptions())
	assertMigratedFrom4(t, db)
	if entry := string(rawValue(t, db, bucketSlaves, "0c")); !strings.Contains(entry, `"future":{"x":1}`) {
		t.Errorf("the migration lost a field it does not know: %s", entry)
	}
	if entry := string(rawValue(t, db, bucketSlaves, "0d")); entry != entries["0d"] {
		t.Errorf("the migration changed an entry that does not decode: %s", entry)
	}
	_, err := db.Slaves()
	assertDamaged(t, err, "slaves", "0d")
	fs03, err := db.SlaveByID("0c")
	if err != nil || !fs03.LastSeen.Equal(time.Date(2026, 5, 2, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("FS03 after the migration = %+v, %v", fs03, err)
	}

	// Opened again, nothing moves a second time.
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = openTestDBAt(t, path, testOptions())
	assertMigratedFrom4(t, db)
}

// crashMigrationEnv makes the test binary, when re-executed, open the
// schema-4 database named in it and kill itself with SIGKILL inside the
// transaction of migration 5, after the migration did its work and before
// it committed.
const crashMigrationEnv = "LANYARD_STORE_TEST_CRASH_MIGRATION"

func crashInMigration(path string) int {
	migrate := migrations[4]
	migrations[4] = func(tx *bbolt.Tx) error {
		if err := migrate(tx); err != nil {
			return err
		}
		fmt.Println("migrated, not committed")
		self, _ := os.FindProcess(os.Getpid())
		_ = self.Kill()
		select {} // the kill arrives
	}
	_, err := Open(path, Options{Kind: "console"})
	fmt.Println("error: Open returned:", err)
	return 1
}

func TestAConsoleKilledMidMigrationReopensAndMigrates(t *testing.T) {
	path := filepath.Join(t.TempDir(), "console.db")
	writeSchema4File(t, path, schema4Entries)

	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashMigrationEnv+"="+path)
	out, err := cmd.Output()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.Success() || !strings.Contains(string(out), "migrated, not committed") {
		t.Fatalf("the migrating console was not killed mid-migration: %v\n%s", err, out)
	}
	// The kill left the file as schema 4 wrote it.
	raw, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	err = raw.View(func(tx *bbolt.Tx) error {
		if v := tx.Bucket(bucketMeta).Get(metaSchema); binary.BigEndian.Uint32(v) != 4 {
			return fmt.Errorf("schema %x after the kill, want 4", v)
		}
		if tx.Bucket(bucketLastSeen) != nil {
			return errors.New("the lastseen bucket exists after the kill")
		}
		if v := tx.Bucket(bucketSlaves).Get([]byte("0a")); string(v) != schema4Entries["0a"] {
			return fmt.Errorf("FS01's entry after the kill: %s", v)
		}
		return nil
	})
	if cerr := raw.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}

	db := openTestDBAt(t, path, testOptions())
	assertMigratedFrom4(t, db)
}

// A time a slave was seen linked is told from its link's end, through an
// edit by the user and a reopening of the file, and the next end clears it.
// A value of any other shape reads as damaged, naming where.
func TestALastSeenTimeSaysWhetherTheSlaveWasLinkedThen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "console.db")
	db := openTestDBAt(t, path, testOptions())
	a, _ := db.AddSlave(inbound("a"))
	up := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	if err := db.SavePins([]Pin{{ID: a.ID, LastSeen: up, Linked: true}}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.UpdateSlave(a.ID, func(s *Slave) error { s.Notes = "rack 4"; return nil }); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = openTestDBAt(t, path, testOptions())
	if got, err := db.SlaveByID(a.ID); err != nil || !got.LastSeen.Equal(up) || !got.LastSeenLinked {
		t.Errorf("after an edit and a reopening: %v linked %v, %v; want %v linked", got.LastSeen, got.LastSeenLinked, err, up)
	}
	end := up.Add(time.Minute)
	if err := db.SavePins([]Pin{{ID: a.ID, LastSeen: end}}); err != nil {
		t.Fatal(err)
	}
	if all, err := db.Slaves(); err != nil || !all[0].LastSeen.Equal(end) || all[0].LastSeenLinked {
		t.Errorf("after its end: %+v, %v", all, err)
	}
	if v := rawValue(t, db, bucketLastSeen, a.ID); len(v) != lastSeenSize {
		t.Errorf("an end is stored as %x, want the time alone", v)
	}
	for _, bad := range [][]byte{{1, 2, 3}, append(encodeLastSeen(end, false), 7)} {
		err := db.bolt.Update(func(tx *bbolt.Tx) error { return tx.Bucket(bucketLastSeen).Put([]byte(a.ID), bad) })
		if err != nil {
			t.Fatal(err)
		}
		var damaged *DamagedError
		if _, err := db.SlaveByID(a.ID); !errors.As(err, &damaged) || damaged.Key != fmt.Sprintf("%q", a.ID) {
			t.Errorf("a last-seen value %x: %v, want it named damaged", bad, err)
		}
	}
}

// The console's note that it is running survives the file's closing; a
// note cut short reads as damaged, naming where.
func TestTheConsolesRunningNoteIsKept(t *testing.T) {
	path := filepath.Join(t.TempDir(), "console.db")
	db := openTestDBAt(t, path, testOptions())
	if last, err := db.LastRunning(); err != nil || !last.IsZero() {
		t.Fatalf("a new file's note: %v, %v; want none", last, err)
	}
	alive := time.Date(2026, 5, 1, 10, 4, 30, 123456789, time.UTC)
	if err := db.NoteRunning(alive); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = openTestDBAt(t, path, testOptions())
	if last, err := db.LastRunning(); err != nil || !last.Equal(alive) {
		t.Errorf("read %v, %v; noted %v", last, err, alive)
	}
	err := db.bolt.Update(func(tx *bbolt.Tx) error { return tx.Bucket(bucketMeta).Put(metaRunning, []byte{1, 2, 3}) })
	if err != nil {
		t.Fatal(err)
	}
	var damaged *DamagedError
	if _, err := db.LastRunning(); !errors.As(err, &damaged) || damaged.Key != "console_running" {
		t.Errorf("a note of 3 bytes: %v, want it named damaged", err)
	}
}

// The log says in one line what opening did to the file: created a new
// one, or upgraded an older one from its schema.
func TestOpeningLogsOneLineForTheSchema(t *testing.T) {
	messages := func(path string) []string {
		logger, hook := logtest.NewNullLogger()
		opts := testOptions()
		opts.Logger = logger
		openTestDBAt(t, path, opts)
		var got []string
		for _, e := range hook.AllEntries() {
			if strings.Contains(e.Message, "database") {
				got = append(got, e.Message)
			}
		}
		return got
	}
	dir := t.TempDir()
	if got := messages(filepath.Join(dir, "new.db")); !slices.Equal(got, []string{"database created"}) {
		t.Errorf("a new file: %q", got)
	}
	old := filepath.Join(dir, "old.db")
	writeSchema4File(t, old, schema4Entries)
	if got, want := messages(old), fmt.Sprintf("database schema upgraded from 4 to %d", CurrentSchema); !slices.Equal(got, []string{want}) {
		t.Errorf("a schema 4 file: %q, want %q", got, want)
	}
}
