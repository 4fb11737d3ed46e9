package backup

import "os"

// openRead opens a file to read.
func openRead(path string) (*os.File, error) { return os.Open(path) }

// openNoWait opens the file at path to read.
func openNoWait(path string) (*os.File, error) { return os.Open(path) }

// openInRoot opens the file at name in root to read.
func openInRoot(root *os.Root, name string) (*os.File, error) { return root.Open(name) }

// createExcl creates a new file to write; it fails if something is at
// path already.
func createExcl(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
}
