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
