package backup

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"
	"strings"
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
		return fmt.Sprintf("the destination is read-only (%v): %s", err, readOnlyAdvice(errPath(err), "choose a destination elsewhere"))
	case errors.Is(err, fs.ErrPermission):
		return fmt.Sprintf("cannot write to the destination (%v): give the agent's user write access to it", err)
	}
	return fmt.Sprintf("cannot write to the destination: %v", err)
}

// restoreElsewhere is what to do when a restore may not write where it
// was asked to.
const restoreElsewhere = "restore into a folder elsewhere and copy from there"

// restoreErr is a failure to restore dst, saying what to do about it.
func restoreErr(dst string, err error) error {
	return fmt.Errorf("cannot restore %s: %w", dst, restoreAdvice(err, dst))
}

// restoreAgain is how a restore that stopped at a failure goes on once
// it is mended.
const restoreAgain = "what was restored before it is kept: restore again, leaving the files already there as they are"

// restoreAdvice is err, a restore's write refused at path, followed by
// what to do about it: a read-only, full or forbidden place.
func restoreAdvice(err error, path string) error {
	switch {
	case errors.Is(err, syscall.EROFS):
		return fmt.Errorf("%w: %s", err, readOnlyAdvice(path, restoreElsewhere))
	case errors.Is(err, syscall.ENOSPC):
		return fmt.Errorf("%w: the disk is full: free some room on it, or restore into a folder on another disk; %s", err, restoreAgain)
	case errors.Is(err, syscall.EDQUOT):
		return fmt.Errorf("%w: the agent's disk quota there is used up: raise it, or restore into a folder on another disk; %s", err, restoreAgain)
	case errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("%w: the agent may not write there: give its user write access, or restore into a folder it may write to", err)
	}
	return err
}

// systemdReadOnly are the folders the agent's systemd unit makes
// read-only to it (ProtectSystem=full), whatever their mounts say.
var systemdReadOnly = []string{"/usr", "/boot", "/efi", "/etc"}

// readOnlyAdvice says what to do about a write refused as read-only at
// path: under the agent's systemd unit (systemd sets INVOCATION_ID for
// a service's processes), elsewhere names what else to do, and how the
// unit allows it; otherwise, remount the file system read-write.
func readOnlyAdvice(path, elsewhere string) string {
	if runtime.GOOS == "linux" && os.Getenv("INVOCATION_ID") != "" {
		for _, dir := range systemdReadOnly {
			if path == dir || strings.HasPrefix(path, dir+"/") {
				return fmt.Sprintf("%s is read-only to the agent's service (its systemd unit has ProtectSystem=full): %s, or allow it with systemctl edit lanyard-agent (ReadWritePaths=%s)", dir, elsewhere, dir)
			}
		}
	}
	return "remount it read-write"
}

// errPath is the path err names, "" when it names none.
func errPath(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Path
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.New
	}
	return ""
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
