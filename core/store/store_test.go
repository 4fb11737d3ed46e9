package store

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.etcd.io/bbolt"
)

func TestMigrationsMatchCurrentSchema(t *testing.T) {
	if len(migrations) != CurrentSchema {
		t.Fatalf("len(migrations) = %d, CurrentSchema = %d: bump CurrentSchema with every migration", len(migrations), CurrentSchema)
	}
}

func TestOpenCreatesPrivateFileAndBuckets(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "new", "data")
	path := filepath.Join(dir, "console.db")
	db := openTestDBAt(t, path, testOptions())

	if db.Path() != path {
		t.Errorf("Path() = %q, want %q", db.Path(), path)
	}
	version, err := db.SchemaVersion()
	if err != nil || version != CurrentSchema {
		t.Errorf("SchemaVersion() = %d, %v; want %d", version, err, CurrentSchema)
	}
	if runtime.GOOS != "windows" {
		assertMode(t, path, 0o600)
		assertMode(t, path+".pid", 0o600)
		assertMode(t, dir, 0o700|os.ModeDir)
	}
	err = db.bolt.View(func(tx *bbolt.Tx) error {
		for _, name := range []string{"meta", "identity", "settings", "slaves", "masters", "connlog", "audit"} {
			if tx.Bucket([]byte(name)) == nil {
				t.Errorf("bucket %s missing", name)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func assertMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := info.Mode() & (os.ModePerm | os.ModeDir); got != want {
		t.Errorf("mode of %s = %v, want %v", path, got, want)
	}
}

func TestOpenMakesExistingFilePrivate(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix permission bits on Windows")
	}
	path := filepath.Join(t.TempDir(), "console.db")
	db := openTestDBAt(t, path, testOptions())
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	openTestDBAt(t, path, testOptions())
	assertMode(t, path, 0o600)
}

func TestPIDFileWrittenAndRemoved(t *testing.T) {
	path := filepath.Join(t.TempDir(), "console.db")
	db := openTestDBAt(t, path, testOptions())
	if pid := readPIDFile(path + ".pid"); pid != os.Getpid() {
		t.Errorf("pid file holds %d, want %d", pid, os.Getpid())
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path + ".pid"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("pid file still there after Close: %v", err)
	}
}

func TestCloseTwice(t *testing.T) {
	db := openTestDB(t, testOptions())
	if err := db.Close(); err != nil {
		t.Fatalf("first Close: %v", err)
	}
	if err := db.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

func TestUseAfterClose(t *testing.T) {
	db := openTestDB(t, testOptions())
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Slaves(); !errors.Is(err, ErrClosed) {
		t.Errorf("Slaves after Close: %v, want ErrClosed", err)
	}
	if _, err := db.SchemaVersion(); !errors.Is(err, ErrClosed) {
		t.Errorf("SchemaVersion after Close: %v, want ErrClosed", err)
	}
}

func TestSecondOpenInSameProcessIsLocked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "console.db")
	openTestDBAt(t, path, testOptions())

	start := time.Now()
	second, err := Open(path, testOptions())
	if err == nil {
		_ = second.Close()
		t.Fatal("second Open of a held file succeeded")
	}
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Errorf("second Open took %v, want about the 100ms lock timeout", elapsed)
	}
	var locked *LockedError
	if !errors.As(err, &locked) || !errors.Is(err, ErrAlreadyRunning) {
		t.Fatalf("second Open: %v (%T), want *LockedError matching ErrAlreadyRunning", err, err)
	}
	if locked.PID != os.Getpid() || locked.Path != path {
		t.Errorf("LockedError = %+v, want PID %d and Path %s", locked, os.Getpid(), path)
	}
	want := "a console is already running with this data directory (pid " + strconv.Itoa(os.Getpid()) + ", " + path + "): stop it first, or use --data-dir to pick another directory"
	if err.Error() != want {
		t.Errorf("message:\n got %s\nwant %s", err, want)
	}
	// The failed Open must not have removed the holder's pid file.
	if pid := readPIDFile(path + ".pid"); pid != os.Getpid() {
		t.Errorf("pid file holds %d after the failed Open, want %d", pid, os.Getpid())
	}
}

func TestLockedErrorMessages(t *testing.T) {
	for _, tc := range []struct {
		err  LockedError
		want string
	}{
		{LockedError{Path: "/x/agent.db", PID: 7, Kind: "agent"}, "an agent is already running with this data directory (pid 7, /x/agent.db): stop it first, or use --data-dir to pick another directory"},
		{LockedError{Path: "/x/console.db", Kind: "console"}, "a console is already running with this data directory (/x/console.db): stop it first, or use --data-dir to pick another directory"},
		{LockedError{Path: "/x/l.db"}, "another Lanyard process is already running with this data directory (/x/l.db): stop it first, or use --data-dir to pick another directory"},
	} {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("got  %s\nwant %s", got, tc.want)
		}
	}
}

func TestOpenHeldByAnotherProcessIsLocked(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	path := filepath.Join(t.TempDir(), "agent.db")
	child := exec.Command(os.Args[0], "-test.run=^$")
	child.Env = append(os.Environ(), holdEnv+"="+path)
	stdin, err := child.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = stdin.Close()
		if err := child.Wait(); err != nil {
			t.Errorf("child: %v", err)
		}
	}()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "ready" {
		t.Fatalf("child said %q, %v; want ready", line, err)
	}

	db, err := Open(path, Options{Kind: "agent", LockTimeout: 100 * time.Millisecond})
	if err == nil {
		_ = db.Close()
		t.Fatal("Open of a file held by another process succeeded")
	}
	var locked *LockedError
	if !errors.As(err, &locked) {
		t.Fatalf("Open: %v, want *LockedError", err)
	}
	if locked.PID != child.Process.Pid {
		t.Errorf("LockedError.PID = %d, want the child's %d", locked.PID, child.Process.Pid)
	}
	if !strings.HasPrefix(err.Error(), "an agent is already running") {
		t.Errorf("message %q", err)
	}
}

func TestReopenAfterCloseWorks(t *testing.T) {
	path := filepath.Join(t.TempDir(), "console.db")
	for range 3 {
		db, err := Open(path, testOptions())
		if err != nil {
			t.Fatal(err)
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestOpenRejectsNonDatabaseFiles(t *testing.T) {
	random := make([]byte, 64<<10)
	_, _ = rand.Read(random)
	for name, content := range map[string][]byte{
		"text":   []byte("this is not a database\n"),
		"random": random,
		"zeros":  make([]byte, 64<<10),
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "console.db")
			if err := os.WriteFile(path, content, 0o600); err != nil {
				t.Fatal(err)
			}
			db, err := Open(path, testOptions())
			if err == nil {
				_ = db.Close()
				t.Fatal("Open of a non-database file succeeded")
			}
			t.Logf("message: %v", err)
			if !errors.Is(err, ErrDamaged) || !strings.Contains(err.Error(), path) {
				t.Errorf("Open: %v; want ErrDamaged naming %s", err, path)
			}
			if _, statErr := os.Stat(path + ".pid"); !errors.Is(statErr, os.ErrNotExist) {
				t.Errorf("pid file left behind: %v", statErr)
			}
		})
	}
}

func TestOpenRejectsCorruptedMetaPages(t *testing.T) {
	path := filepath.Join(t.TempDir(), "console.db")
	db := openTestDBAt(t, path, testOptions())
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// Both meta pages (the first two pages) carry checksums; flipping bytes
	// in each is the damage a torn copy or a bad disk does.
	pageSize := os.Getpagesize()
	for _, page := range []int{0, 1} {
		for i := 32; i < 64; i++ {
			raw[page*pageSize+i] ^= 0xff
		}
	}
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	if db, err := Open(path, testOptions()); err == nil {
		_ = db.Close()
		t.Fatal("Open of a corrupted file succeeded")
	} else if !errors.Is(err, ErrDamaged) {
		t.Errorf("Open: %v, want ErrDamaged", err)
	} else {
		t.Logf("message: %v", err)
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "console.db")
	db := openTestDBAt(t, path, testOptions())
	err := db.bolt.Update(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketMeta).Put(metaSchema, binary.BigEndian.AppendUint32(nil, CurrentSchema+5))
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	again, err := Open(path, testOptions())
	if err == nil {
		_ = again.Close()
		t.Fatal("Open of a newer-schema file succeeded")
	}
	if !errors.Is(err, ErrNewerSchema) {
		t.Errorf("Open: %v, want ErrNewerSchema", err)
	}
	want := fmt.Sprintf("created by a newer Lanyard (schema %d, this build knows %d): upgrade Lanyard", CurrentSchema+5, CurrentSchema)
	if !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), path) {
		t.Errorf("message %q, want it to name %s and contain %q", err, path, want)
	}
	if _, statErr := os.Stat(path + ".pid"); !errors.Is(statErr, os.ErrNotExist) {
		t.Errorf("pid file left behind: %v", statErr)
	}
}

func TestOpenMigratesBareBoltFile(t *testing.T) {
	// A bbolt file with no meta bucket is schema 0: Open must bring it up
	// to date, keeping what is in it.
	path := filepath.Join(t.TempDir(), "console.db")
	raw, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = raw.Update(func(tx *bbolt.Tx) error {
		b, err := tx.CreateBucket([]byte("settings"))
		if err != nil {
			return err
		}
		return b.Put([]byte("theme"), []byte(`"dark"`))
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := raw.Close(); err != nil {
		t.Fatal(err)
	}

	db := openTestDBAt(t, path, testOptions())
	if version, err := db.SchemaVersion(); err != nil || version != CurrentSchema {
		t.Errorf("SchemaVersion() = %d, %v; want %d", version, err, CurrentSchema)
	}
	var theme string
	if found, err := db.GetSettings("theme", &theme); err != nil || !found || theme != "dark" {
		t.Errorf("GetSettings(theme) = %v, %v, %q; want the value kept", found, err, theme)
	}
}

func TestMissingBucketIsAnErrorNotAPanic(t *testing.T) {
	db := openTestDB(t, testOptions())
	err := db.bolt.Update(func(tx *bbolt.Tx) error { return tx.DeleteBucket(bucketSlaves) })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Slaves(); !errors.Is(err, ErrDamaged) {
		t.Errorf("Slaves with the bucket gone: %v, want ErrDamaged", err)
	}
}

func TestDamagedErrorNamesFileBucketAndKey(t *testing.T) {
	err := error(&DamagedError{Path: "/x/console.db", Bucket: "settings", Key: `"listen"`, Err: errors.New("unexpected end of JSON input")})
	msg := err.Error()
	for _, want := range []string{"/x/console.db", "settings", `"listen"`, "unexpected end", "restore"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q lacks %q", msg, want)
		}
	}
	if !errors.Is(err, ErrDamaged) {
		t.Error("DamagedError does not match ErrDamaged")
	}
}

// putRaw stores value under key in bucket, bypassing the package's encoding.
func putRaw(t *testing.T, db *DB, bucket []byte, key, value []byte) {
	t.Helper()
	err := db.bolt.Update(func(tx *bbolt.Tx) error { return tx.Bucket(bucket).Put(key, value) })
	if err != nil {
		t.Fatal(err)
	}
}

// assertDamaged checks err is a *DamagedError for bucket whose key
// mentions keyPart.
func assertDamaged(t *testing.T, err error, bucket, keyPart string) {
	t.Helper()
	var damaged *DamagedError
	if !errors.As(err, &damaged) {
		t.Fatalf("err = %v (%T), want *DamagedError", err, err)
	}
	if damaged.Bucket != bucket || !strings.Contains(damaged.Key, keyPart) || !bytes.Contains([]byte(err.Error()), []byte(keyPart)) {
		t.Errorf("DamagedError %+v, want bucket %s and a key naming %s", damaged, bucket, keyPart)
	}
}
