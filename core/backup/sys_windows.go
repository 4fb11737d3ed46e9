package backup

import (
	"io/fs"
	"os"
)

func ownerOf(fs.FileInfo) (uid, gid int, ok bool) { return 0, 0, false }

const canChown = false

func lchown(string, int, int) error { return nil }

func lutimes(string, int64) error { return nil }

func specialKind(m fs.FileMode) string {
	if m&fs.ModeNamedPipe != 0 {
		return "a named pipe"
	}
	return "a special file"
}

// diskUsage: Windows does not say how many names a file has in its
// FileInfo, so what a snapshot shares is not known there.
func diskUsage(fs.FileInfo) (bytes, links uint64, ok bool) { return 0, 0, false }

// driveRoots are the drives of this computer, C: and the like, the top
// of ListFolder.
func driveRoots() []string {
	roots := []string{}
	for d := 'A'; d <= 'Z'; d++ {
		if _, err := os.Stat(string(d) + `:\`); err == nil {
			roots = append(roots, string(d)+":")
		}
	}
	return roots
}

// exampleFolder is a folder's full path as people write one here.
const exampleFolder = `D:\Data`

// sameInode: a FileInfo from Lstat on Windows names the file's identity
// only by reading it again by path, so the hard link the run made is
// taken as made; the check through the snapshot's root before it stands
// alone there.
func sameInode(fs.FileInfo, fs.FileInfo) bool { return true }
