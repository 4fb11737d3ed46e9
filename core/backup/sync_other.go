//go:build !linux

package backup

import (
	"io/fs"
	"os"
	"path/filepath"
)

// syncTree makes everything written under dir durable: an fsync of every
// file and folder, deepest first.
func syncTree(dir string) error {
	var dirs []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			dirs = append(dirs, p)
		case d.Type().IsRegular():
			return syncPath(p)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for i := len(dirs) - 1; i >= 0; i-- {
		if err := syncPath(dirs[i]); err != nil {
			return err
		}
	}
	return nil
}

// syncRestored makes what a restore wrote below target durable: each
// path asked for (a file, or a folder and all it holds), then every
// folder from its parent up to target's parent, which record their names.
func syncRestored(target string, paths []string) error {
	if target == "" { // to where the files were: each path and its folder
		for _, p := range paths {
			if err := syncTree(p); err != nil {
				return err
			}
			if err := syncDir(filepath.Dir(p)); err != nil {
				return err
			}
		}
		return nil
	}
	done := map[string]bool{}
	for _, p := range paths {
		if err := syncTree(p); err != nil {
			return err
		}
		for d := p; d != target && within(d, target); {
			d = filepath.Dir(d)
			if done[d] {
				break
			}
			done[d] = true
			if err := syncDir(d); err != nil {
				return err
			}
		}
	}
	return syncDir(filepath.Dir(target))
}

func syncPath(p string) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Sync(); err != nil && !isUnsupportedSync(err) {
		return err
	}
	return nil
}
