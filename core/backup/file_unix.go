//go:build unix

package backup

import (
	"os"

	"golang.org/x/sys/unix"
)

// openRead opens a file to read. os.Open would also try (and fail) to
// register a regular file with the runtime's poller, four system calls
// wasted per file; a backup opens two files per file it copies.
func openRead(path string) (*os.File, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	return os.NewFile(uintptr(fd), path), nil
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
