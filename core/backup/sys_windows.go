package backup

import "io/fs"

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
