package backup

import (
	"os"

	"golang.org/x/sys/unix"
)

// syncTree makes everything written under dir durable. On Linux one
// syncfs flushes the whole destination file system (files, links and
// folders) at once, far cheaper than an fsync per file.
func syncTree(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := unix.Syncfs(int(f.Fd())); err != nil {
		return err
	}
	return nil
}

// syncRestored makes what a restore wrote below target durable: the
// paths asked for, and the folders made to hold them. One syncfs of the
// target's file system covers them all; a restore to where the files
// were (target "") syncs each path's file system.
func syncRestored(target string, paths []string) error {
	if target != "" {
		return syncTree(target)
	}
	for _, p := range paths {
		if err := syncTree(p); err != nil {
			return err
		}
	}
	return nil
}
