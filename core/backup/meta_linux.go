package backup

import (
	"io/fs"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// openNoATime keeps a read from changing the file's access time.
const openNoATime = unix.O_NOATIME

// closeWithMeta gives a file just written its owner (as root), mode and
// modification time through its descriptor, then closes it: no path is
// looked up again, and the time is set after the last write. The file
// is closed even when setting them fails.
func closeWithMeta(f *os.File, it *item) error {
	err := fileMeta(f, it)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func fileMeta(f *os.File, it *item) error {
	// The owner first: giving a file away clears its set-user-ID bit.
	if canChown && it.owned {
		if err := f.Chown(it.uid, it.gid); err != nil {
			return err
		}
	}
	if err := f.Chmod(entryMode(it.mode)); err != nil {
		return err
	}
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var terr error
	if err := rc.Control(func(fd uintptr) { terr = futimens(int(fd), it.mtime) }); err != nil {
		return err
	}
	if terr != nil {
		return &fs.PathError{Op: "utimensat", Path: f.Name(), Err: terr}
	}
	return nil
}

// futimens sets the access and modification times of the open file fd
// to mtimeNs, to the nanosecond (utimensat with no path; x/sys/unix only
// offers the microsecond futimes).
func futimens(fd int, mtimeNs int64) error {
	ts := [2]unix.Timespec{unix.NsecToTimespec(mtimeNs), unix.NsecToTimespec(mtimeNs)}
	_, _, errno := unix.Syscall6(unix.SYS_UTIMENSAT, uintptr(fd), 0, uintptr(unsafe.Pointer(&ts[0])), 0, 0, 0)
	if errno != 0 {
		return errno
	}
	return nil
}
