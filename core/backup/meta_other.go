//go:build !linux

package backup

import "os"

// closeWithMeta closes a file just written and gives it its owner (as
// root), mode and modification time by path.
func closeWithMeta(f *os.File, it *item) error {
	if err := f.Close(); err != nil {
		return err
	}
	return applyMeta(f.Name(), it)
}
