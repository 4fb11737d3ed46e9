package backup

import (
	"errors"
	"fmt"
	"io/fs"
	"syscall"
	"time"
)

// destError is a failure to write the destination: it fails the run,
// where a failure to read a source is only a warning.
type destError struct{ err error }

func (e *destError) Error() string { return describeDestErr(e.err) }
func (e *destError) Unwrap() error { return e.err }

func destErr(err error) error {
	var de *destError
	if err == nil || errors.As(err, &de) {
		return err
	}
	return &destError{err}
}

// describeDestErr words a destination failure so that it says what to do.
func describeDestErr(err error) string {
	switch {
	case errors.Is(err, syscall.ENOSPC):
		return fmt.Sprintf("the destination is full (%v): free some space there, or keep fewer snapshots (--keep-last and the like), then run again", err)
	case errors.Is(err, syscall.EDQUOT):
		return fmt.Sprintf("the destination's disk quota is used up (%v): raise the quota or keep fewer snapshots", err)
	case errors.Is(err, syscall.EROFS):
		return fmt.Sprintf("the destination is read-only (%v): remount it read-write", err)
	case errors.Is(err, fs.ErrPermission):
		return fmt.Sprintf("cannot write to the destination (%v): give the agent's user write access to it", err)
	}
	return fmt.Sprintf("cannot write to the destination: %v", err)
}

// BusyError: the task already has a run in progress, or a snapshot of
// it is being deleted.
type BusyError struct {
	Task  string
	Since time.Time
	// Doing is what holds the task when it is not a run ("deleting a
	// snapshot").
	Doing string
}

func (e *BusyError) Error() string {
	if e.Doing != "" {
		return fmt.Sprintf("task %s is busy %s since %s: try again in a moment", e.Task, e.Doing, clock(e.Since))
	}
	return fmt.Sprintf("task %s is already running since %s", e.Task, clock(e.Since))
}

// clock is t as a person reads it: the time of day for today, else the
// date too.
func clock(t time.Time) string {
	t = t.Local()
	if y, m, d := t.Date(); y == time.Now().Year() && m == time.Now().Month() && d == time.Now().Day() {
		return t.Format("15:04")
	}
	return t.Format("2006-01-02 15:04")
}

// ErrBusy matches a *BusyError, and every other refusal for now that
// may succeed once something under way ends (busyf).
var ErrBusy = errors.New("already running")

// Is makes errors.Is(err, ErrBusy) true.
func (e *BusyError) Is(target error) bool { return target == ErrBusy }

// busyf is a refusal for now, not a mistake in what was asked: errors.Is
// finds ErrBusy in it.
func busyf(format string, args ...any) error { return &busyNow{fmt.Sprintf(format, args...)} }

type busyNow struct{ msg string }

func (e *busyNow) Error() string        { return e.msg }
func (e *busyNow) Is(target error) bool { return target == ErrBusy }

// errStopped is the cause of a run cancelled by Stop.
var errStopped = errors.New("stopped on request")
