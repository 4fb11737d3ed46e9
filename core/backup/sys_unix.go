//go:build unix

package backup

import (
	"io/fs"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// ownerOf is a file's owner, when the platform has one.
func ownerOf(fi fs.FileInfo) (uid, gid int, ok bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, 0, false
	}
	return int(st.Uid), int(st.Gid), true
}

// canChown: only root can give a file away, so only root restores owners.
var canChown = os.Geteuid() == 0

// lchown sets the owner of path (not following a link), as root only.
func lchown(path string, uid, gid int) error {
	if !canChown {
		return nil
	}
	return os.Lchown(path, uid, gid)
}

// lutimes sets a symbolic link's own modification time.
func lutimes(path string, mtimeNs int64) error {
	ts := unix.NsecToTimespec(mtimeNs)
	return unix.UtimesNanoAt(unix.AT_FDCWD, path, []unix.Timespec{ts, ts}, unix.AT_SYMLINK_NOFOLLOW)
}

// specialKind names a file type that is not backed up.
func specialKind(m fs.FileMode) string {
	switch {
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO (named pipe)"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	}
	return "a special file"
}

// diskUsage is the room a file takes on its disk and how many names
// (hard links) it has; ok is false where the platform does not say.
func diskUsage(fi fs.FileInfo) (bytes, links uint64, ok bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, 0, false
	}
	return uint64(st.Blocks) * 512, uint64(st.Nlink), true
}

// driveRoots: a Unix system has one top, /, which ListFolder lists.
func driveRoots() []string { return nil }

// exampleFolder is a folder's full path as people write one here.
const exampleFolder = "/srv/data"

// sameInode says whether a and b (from Lstat) are one file.
func sameInode(a, b fs.FileInfo) bool {
	x, ok1 := a.Sys().(*syscall.Stat_t)
	y, ok2 := b.Sys().(*syscall.Stat_t)
	return ok1 && ok2 && x.Dev == y.Dev && x.Ino == y.Ino
}
