//go:build unix

package backup

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// openRead opens a file to read, without changing its access time where
// the system allows (Linux, for the file's owner or root): a backup, a
// verify or a restore leaves the files it reads as they were. os.Open
// would also try (and fail) to register a regular file with the runtime's
// poller, four system calls wasted per file.
func openRead(path string) (*os.File, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC|openNoATime, 0)
	if err == unix.EPERM && openNoATime != 0 {
		// Not the owner: read it the ordinary way.
		fd, err = unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	}
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	return os.NewFile(uintptr(fd), path), nil
}

// openNoWait opens the file at path to read, without waiting for a
// writer if it is a fifo.
func openNoWait(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDONLY|unix.O_NONBLOCK, 0)
}

// openInRoot opens the file at name in root to read, as openRead does,
// and without waiting for a writer if it is a fifo.
func openInRoot(root *os.Root, name string) (*os.File, error) {
	f, err := root.OpenFile(name, unix.O_RDONLY|unix.O_NONBLOCK|openNoATime, 0)
	if errors.Is(err, unix.EPERM) && openNoATime != 0 {
		f, err = root.OpenFile(name, unix.O_RDONLY|unix.O_NONBLOCK, 0)
	}
	return f, err
}

// createExcl creates a new owner-only file to write; it fails if
// something is at path already.
func createExcl(path string) (*os.File, error) {
	fd, err := unix.Open(path, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	return os.NewFile(uintptr(fd), path), nil
}
