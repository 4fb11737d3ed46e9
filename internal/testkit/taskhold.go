package testkit

import (
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// TaskHold holds a backup run, or a snapshot's deletion, of one task
// where it is about to read whose the task's folder is, until Let: a
// test holds a task busy without timing anything. Its Claiming is the
// engine's hook (backup.Options.Claiming); Hold says which task folder
// to hold, and only the next run or deletion there is held. It holds
// once: a second Hold holds nothing.
type TaskHold struct {
	mu   sync.Mutex
	dir  string        // the folder to hold; "" holds nothing
	used bool          // it held one already
	held chan struct{} // closed when one is held
	let  chan struct{} // closed by Let
}

// NewTaskHold makes a hold that holds nothing yet; the test's end lets
// whatever it holds go.
func NewTaskHold(t testing.TB) *TaskHold {
	h := &TaskHold{held: make(chan struct{}), let: make(chan struct{})}
	t.Cleanup(h.Let)
	return h
}

// Hold holds the next run or deletion that reads the claim of the task
// folder dir.
func (h *TaskHold) Hold(dir string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.dir = filepath.Clean(dir)
}

// Claiming is the engine's hook: it waits for Let when taskDir is the
// folder to hold.
func (h *TaskHold) Claiming(taskDir string) {
	h.mu.Lock()
	hold := !h.used && h.dir != "" && filepath.Clean(taskDir) == h.dir
	if hold {
		h.dir, h.used = "", true // the next one only
		close(h.held)
	}
	h.mu.Unlock()
	if hold {
		<-h.let
	}
}

// WaitHeld waits until a run or deletion is held. done ending first
// (what was to be held ended without reading the claim) fails the test;
// nil: nothing to watch.
func (h *TaskHold) WaitHeld(t testing.TB, done <-chan error) {
	t.Helper()
	select {
	case <-h.held:
	case err := <-done:
		t.Fatalf("ended before reading whose the task's folder is: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("nothing read whose the task's folder is within 10 s")
	}
}

// Let lets what is held go on; a second call does nothing.
func (h *TaskHold) Let() {
	h.mu.Lock()
	defer h.mu.Unlock()
	select {
	case <-h.let:
	default:
		close(h.let)
	}
}
