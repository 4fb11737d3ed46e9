package testkit

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
)

// Logged is one line a logger under watch wrote.
type Logged struct {
	Level   logrus.Level
	Event   string // the "event" field
	Remote  string // the "remote" field
	Message string
}

// LogWatch is a logrus hook that lets a test wait for a log line without
// polling: every line wakes the waiters.
type LogWatch struct {
	mu      sync.Mutex
	lines   []Logged
	changed chan struct{}
}

// NewLogWatch is a LogWatch with no line yet; add it with AddHook.
func NewLogWatch() *LogWatch { return &LogWatch{changed: make(chan struct{})} }

func (w *LogWatch) Levels() []logrus.Level { return logrus.AllLevels }

func (w *LogWatch) Fire(e *logrus.Entry) error {
	l := Logged{Level: e.Level, Message: e.Message}
	l.Event, _ = e.Data["event"].(string)
	l.Remote, _ = e.Data["remote"].(string)
	w.mu.Lock()
	w.lines = append(w.lines, l)
	close(w.changed)
	w.changed = make(chan struct{})
	w.mu.Unlock()
	return nil
}

// Mark is a position in the log: Wait(mark, ...) looks only after it.
func (w *LogWatch) Mark() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.lines)
}

// Wait returns the first line after mark that matches, waiting for it
// up to 10 s.
func (w *LogWatch) Wait(t testing.TB, mark int, what string, match func(Logged) bool) Logged {
	t.Helper()
	timeout := time.NewTimer(10 * time.Second)
	defer timeout.Stop()
	for {
		w.mu.Lock()
		for _, l := range w.lines[mark:] {
			if match(l) {
				w.mu.Unlock()
				return l
			}
		}
		changed := w.changed
		w.mu.Unlock()
		select {
		case <-changed:
		case <-timeout.C:
			w.mu.Lock()
			defer w.mu.Unlock()
			t.Fatalf("%s was not logged within 10s; the log after the mark: %+v", what, w.lines[mark:])
		}
	}
}

// WaitEvent waits for a line of kind event about remote ("" for any).
func (w *LogWatch) WaitEvent(t testing.TB, mark int, event, remote string) Logged {
	t.Helper()
	return w.Wait(t, mark, fmt.Sprintf("a %q event about %q", event, remote), func(l Logged) bool {
		return l.Event == event && (remote == "" || l.Remote == remote)
	})
}
