//go:build unix

package testkit

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TaskHold holds whatever reads a backup task folder's owner file (a
// run as it claims the folder, a deletion as it checks it) where it
// reads, until Let: the owner file is made a named pipe, whose reader
// waits for the test to write the file's content. It lets a test hold a
// task busy without timing anything.
type TaskHold struct {
	path, aside string
	content     []byte
	opened      chan *os.File
	w           *os.File
}

// HoldTaskFolder makes the owner file in the task folder dir (which a
// run has claimed) a named pipe.
func HoldTaskFolder(t testing.TB, dir string) *TaskHold {
	t.Helper()
	h := &TaskHold{path: filepath.Join(dir, ".lanyard-owner"), opened: make(chan *os.File, 1)}
	h.aside = h.path + ".test"
	var err error
	if h.content, err = os.ReadFile(h.path); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(h.path, h.aside); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(h.path, 0o600); err != nil {
		t.Fatal(err)
	}
	go func() {
		w, err := os.OpenFile(h.path, os.O_WRONLY, 0) // returns once a reader opened the pipe
		if err != nil {
			w = nil
		}
		h.opened <- w
	}()
	t.Cleanup(h.Let)
	return h
}

// WaitHeld waits until a reader is held at the pipe, then puts the
// owner file back for every other reader. done ending first (what was to
// be held ended without reading the file) fails the test; nil: nothing
// to watch.
func (h *TaskHold) WaitHeld(t testing.TB, done <-chan error) {
	t.Helper()
	select {
	case h.w = <-h.opened:
		if h.w == nil {
			t.Fatal("the named pipe could not be opened")
		}
		if err := os.Rename(h.aside, h.path); err != nil {
			t.Fatal(err)
		}
	case err := <-done:
		t.Fatalf("ended before reading the owner file: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("nothing read the owner file within 10 s")
	}
}

// Let hands the held reader the owner file's content; a second call does
// nothing.
func (h *TaskHold) Let() {
	if h.w == nil {
		return
	}
	_, _ = h.w.Write(h.content)
	_ = h.w.Close()
	h.w = nil
}
