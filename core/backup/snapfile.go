package backup

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"syscall"
)

// A snapshot's files are read through an os.Root of its folder by the
// restore and the verify, and a run checks the previous snapshot's copy
// of a file through one before it links it. A snapshot is an ordinary
// folder on a destination that others may write to (a share, a NAS):
// whoever could put a link there in place of a file, or of a folder on
// the way to one, would otherwise have a restore, run as root, copy
// whatever the link points to (another user's files, /etc/shadow) into
// the restore's folder, with the mode and owner the manifest gives.
// Through the root, no link and no ".." leads out of the snapshot, and
// only a regular file opens: a fifo put there would hang the restore, a
// device never end it.

// errOutside is a snapshot path that leads out of the snapshot.
var errOutside = errors.New("leads outside the snapshot (a link put there after the backup): not followed")

// openSnapshotFile opens the file at rel (a manifest's path) in the
// snapshot held by root, to read.
func openSnapshotFile(root *os.Root, rel string) (*os.File, error) {
	f, err := openInRoot(root, inRoot(rel))
	if err == nil {
		f, err = onlyRegular(f)
	}
	if err != nil {
		return nil, snapshotPathErr(rel, err)
	}
	return f, nil
}

// snapshotPathErr says what went wrong reading rel in a snapshot in a
// person's words, keeping the error's kind (errors.Is(err,
// fs.ErrNotExist) still holds); nil stays nil.
func snapshotPathErr(rel string, err error) error {
	if err == nil {
		return nil
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	// os.Root does not export its errors for a path that escapes, nor
	// for opening a file as a folder.
	switch msg := err.Error(); {
	case strings.Contains(msg, "path escapes"):
		err = errOutside
	case msg == "not a directory":
		err = syscall.ENOTDIR
	}
	return &fs.PathError{Op: "read", Path: rel, Err: err}
}

// What Lanyard itself keeps on a destination (a manifest, a summary, a
// task folder's owner) is read as what it may have become: none is read
// beyond a bound, so that a link to /dev/zero or to a large file put in
// its place cannot have the agent read without end, and a snapshot's
// files open only when regular, without waiting on a fifo.

// errNotRegular is a file of Lanyard's on a destination, or in a
// snapshot, that is no longer a file.
var errNotRegular = errors.New("is not a regular file (it was changed after Lanyard wrote it)")

// onlyRegular passes f on when it is a regular file, and otherwise
// closes it and says why not.
func onlyRegular(f *os.File) (*os.File, error) {
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = errNotRegular
	}
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	return f, nil
}

// openOnDest opens a file Lanyard wrote on a destination, to read.
func openOnDest(path string) (*os.File, error) {
	f, err := openNoWait(path)
	if err != nil {
		return nil, err
	}
	if f, err = onlyRegular(f); err != nil {
		return nil, &fs.PathError{Op: "read", Path: path, Err: err}
	}
	return f, nil
}

// readOnDest reads such a file whole; one longer than limit bytes is an
// error.
func readOnDest(path string, limit int64) ([]byte, error) {
	f, err := openOnDest(path)
	if err != nil {
		return nil, err
	}
	return readUpTo(f, limit)
}

// readUpTo reads f whole and closes it; more than limit bytes is an
// error.
func readUpTo(f *os.File, limit int64) ([]byte, error) {
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err == nil && int64(len(b)) > limit {
		err = &tooLongError{path: f.Name(), limit: limit}
	}
	return b, err
}

// tooLongError is a file of Lanyard's on a destination longer than it
// writes such a file.
type tooLongError struct {
	path  string
	limit int64
}

func (e *tooLongError) Error() string {
	return fmt.Sprintf("%s is longer than the %d bytes Lanyard writes there at most", e.path, e.limit)
}

// notAsWritten says whether err is a file of Lanyard's on a destination
// found to be other than it wrote it: not a file, or too long.
func notAsWritten(err error) bool {
	return errors.Is(err, errNotRegular) || errors.As(err, new(*tooLongError))
}
