package store

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// holdEnv makes the test binary, when re-executed by a test, open the
// database named in it, say "ready", and hold it until stdin closes.
const holdEnv = "LANYARD_STORE_TEST_HOLD"

func TestMain(m *testing.M) {
	if path := os.Getenv(holdEnv); path != "" {
		os.Exit(holdDatabase(path))
	}
	if path := os.Getenv(appendEnv); path != "" {
		os.Exit(appendStorm(path))
	}
	if path := os.Getenv(crashMigrationEnv); path != "" {
		os.Exit(crashInMigration(path))
	}
	goleak.VerifyTestMain(m)
}

func holdDatabase(path string) int {
	db, err := Open(path, Options{Kind: "agent"})
	if err != nil {
		fmt.Println("error:", err)
		return 1
	}
	fmt.Println("ready")
	_, _ = io.Copy(io.Discard, bufio.NewReader(os.Stdin))
	if err := db.Close(); err != nil {
		fmt.Println("error:", err)
		return 1
	}
	return 0
}

// testOptions keep lock waits short so lock tests finish quickly.
func testOptions() Options {
	return Options{Kind: "console", LockTimeout: 100 * time.Millisecond}
}

// openTestDB opens a fresh database in a temporary directory and closes it
// when the test ends.
func openTestDB(t testing.TB, opts Options) *DB {
	t.Helper()
	return openTestDBAt(t, filepath.Join(t.TempDir(), "console.db"), opts)
}

func openTestDBAt(t testing.TB, path string, opts Options) *DB {
	t.Helper()
	db, err := Open(path, opts)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return db
}

// fixedClock returns a clock for DB.now that reads *at.
func fixedClock(at *time.Time) func() time.Time {
	return func() time.Time { return *at }
}
