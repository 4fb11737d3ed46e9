package master

import (
	"path/filepath"
	"testing"

	"github.com/lanyard/lanyard/core/auth"
	"github.com/lanyard/lanyard/core/store"
	"github.com/lanyard/lanyard/internal/testkit"
)

// A stranger cannot wash the real history out of the connection log:
// 20,000 garbage connections from four addresses add a handful of counted
// records, what linked and failed before stays, and a log at its cap
// prunes the refusals first.
func TestAFloodOfGarbageLeavesTheHistoryAndAddsAFewCountedRecords(t *testing.T) {
	path := filepath.Join(t.TempDir(), "console.db")
	db := testkit.StoreAt(t, path, "console", store.Options{})
	c := startConsoleWith(t, false, db, func(cfg *Config) {
		cfg.Limiter = auth.NewLimiter(auth.LimiterConfig{}) // the defaults: garbage soon holds its address back
	})
	if _, err := c.AddSlave(SlaveSpec{Name: "FS01", Direction: store.Inbound, Password: []byte("pw")}); err != nil {
		t.Fatal(err)
	}
	startAgent(t, "FS01", "pw", false, false, c.ListenAddr())
	c.waitFor(t, "FS01 linked", kind(store.KindConnected, "FS01"))
	a := startAgent(t, "FS02", "right", false, true)
	if _, err := c.AddSlave(SlaveSpec{Name: "FS02", Direction: store.Outbound, Address: a.ListenAddr(), Password: []byte("wrong")}); err != nil {
		t.Fatal(err)
	}
	c.waitFor(t, "FS02's wrong password", kind("auth_failed", "FS02"))
	if err := db.Flush(); err != nil {
		t.Fatal(err)
	}
	before, err := db.Events(store.EventFilter{})
	if err != nil {
		t.Fatal(err)
	}

	opened := testkit.Garbage(t, c.ListenAddr(), 20_000, 4)
	// Close writes what the refusal log counted and flushes the log.
	c.stop()
	after, err := db.Events(store.EventFilter{})
	if err != nil {
		t.Fatal(err)
	}
	testkit.LogKeptHistory(t, before, after, opened)

	// At its cap, the log lets the refusals go first: capped at what is
	// not a refusal, it keeps all of that.
	linked := 0
	for _, e := range after {
		if !e.Refusal {
			linked++
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = testkit.StoreAt(t, path, "console", store.Options{LogMaxRecords: linked})
	pruned, err := db.Events(store.EventFilter{})
	if err != nil {
		t.Fatal(err)
	}
	testkit.LogKeptHistory(t, before, pruned, 0)
	if len(pruned) != linked {
		t.Errorf("%d records after pruning to %d", len(pruned), linked)
	}
	for _, e := range pruned {
		if e.Refusal {
			t.Errorf("a refusal stayed while what linked peers did was pruned: %s", e.Reason)
		}
	}
}
