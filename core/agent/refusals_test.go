package agent_test

import (
	"testing"

	"github.com/lanyard/lanyard/core/store"
	"github.com/lanyard/lanyard/internal/testkit"
)

// A stranger cannot wash the agent's history out of its connection log:
// 20,000 garbage connections from four addresses leave the console that
// linked and the one that failed in place and add a few counted records.
func TestAFloodOfGarbageLeavesTheAgentsHistory(t *testing.T) {
	a := startAgent(t, false, true)
	newConsole(t).link(t, a, false)
	if _, err := newConsole(t).dial(t, a.ListenAddr(), false, slaveName, keyFor(t, slaveName, "not-the-password")); err == nil {
		t.Fatal("a wrong password linked")
	}
	a.event(t, store.KindConnected)
	a.event(t, "auth_failed")
	before, err := a.db.Events(store.EventFilter{})
	if err != nil {
		t.Fatal(err)
	}

	const total = 20_000
	opened := testkit.Garbage(t, a.ListenAddr(), total, 4)
	// Close writes what the refusal log counted and flushes the log.
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	after, err := a.db.Events(store.EventFilter{})
	if err != nil {
		t.Fatal(err)
	}
	testkit.LogKeptHistory(t, before, after, opened)
}
