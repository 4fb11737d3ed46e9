package app

import "fmt"

// FilesReserved is how many open files a console or agent keeps for
// itself (its database, log, listener, control socket, window) beside its
// links.
const FilesReserved = 100

// LinksPermitted is how many links a process with the open-file limit
// limit can hold (0: no such limit).
func LinksPermitted(limit uint64) uint64 {
	if limit <= FilesReserved {
		return 0
	}
	return limit - FilesReserved
}

// FileLimitWords says in a log line what an open-file limit permits.
func FileLimitWords(limit uint64) string {
	if limit == 0 {
		return "no per-process limit on open files"
	}
	return fmt.Sprintf("open-file limit %d: up to about %d links", limit, LinksPermitted(limit))
}
