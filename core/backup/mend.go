package backup

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/lanyard/lanyard/core/human"
)

// A copy a verify found damaged is, through its hard links, in every
// snapshot that linked it: copying the file afresh into the next snapshot
// (recopy.go) leaves the older ones holding the damaged copy, and a
// restore from one of them would bring it back without a word. So the
// run that copies a file afresh mends the older snapshots too: each that
// holds the file as the new snapshot does (its manifest's entry the same
// in every field: content by hash, size, time, mode and owner) gets the
// fresh copy in its place, as a hard link, swapped in by a rename so that
// a restore reading it meanwhile reads one copy or the other (a copy gone
// missing is put back). A snapshot
// that holds other content at that path is left as it is (it is another
// version of the file); a copy that cannot be mended is a warning of the
// run, which says where to restore the file from. A run stopped while it
// mends keeps the notes, so that the next one copies and mends again.

// mendSuffix names the link a mend makes beside the copy it replaces,
// until the rename: one left by a crash is replaced by the next mend.
const mendSuffix = ".lanyard-mend"

// mendOlder gives the older snapshots in taskDir the fresh copies of the
// files the new snapshot id copied afresh over damaged copies (entries: the new
// snapshot's manifest). It counts the copies it replaced in Report.Mended
// and says whether it went through every older snapshot (false: it was
// stopped, and the notes are kept).
func (r *run) mendOlder(taskDir, id string, entries []Entry) bool {
	if r.recopy.size() == 0 {
		return true
	}
	if r.recopy.all {
		r.log.Info("every file was copied afresh over possibly damaged copies: the older snapshots are not mended (restore from the newest)")
		return true
	}
	fresh := map[string]*Entry{}
	for i := range entries {
		if e := &entries[i]; e.Type == TypeFile && r.recopy.has(e.Path) {
			fresh[e.Path] = e
		}
	}
	if len(fresh) == 0 {
		return true
	}
	names, err := snapshotNames(taskDir)
	if err == nil {
		var root *os.Root
		if root, err = os.OpenRoot(taskDir); err == nil {
			defer root.Close()
		}
		for i := 0; err == nil && i < len(names); i++ {
			if names[i].name != id && !r.mendSnapshot(root, taskDir, names[i].name, id, fresh) {
				return false
			}
		}
	}
	if err != nil {
		r.warn("the older snapshots keep the damaged copies the new one replaced (%v): restore those files from snapshot %s", plainErr(err), id)
	}
	if r.rep.Mended > 0 {
		r.log.Infof("mended %s in older snapshots with those copied afresh over damaged ones", human.Plural(int(r.rep.Mended), "copy", "copies"))
	}
	return true
}

// mendSnapshot mends snapshot name of the task's folder root with the
// fresh copies in snapshot id; false when the run was stopped first. It
// looks at the run's context every findCheckEvery manifest lines, as a
// search does.
func (r *run) mendSnapshot(root *os.Root, taskDir, name, id string, fresh map[string]*Entry) bool {
	defer r.e.hold(filepath.Join(taskDir, name))()
	var due []string
	lines := 0
	keep := func(line []byte) bool {
		if lines++; lines%findCheckEvery == 0 && r.ctx.Err() != nil {
			return true // for the entry's own look, below, to stop the scan
		}
		p, ok := linePath(line)
		return !ok || fresh[p] != nil // decoded only when it may be one
	}
	err := scanManifest(filepath.Join(taskDir, name), keep, func(en *Entry) error {
		if err := r.ctx.Err(); err != nil {
			return err
		}
		if f := fresh[en.Path]; f != nil && *f == *en {
			due = append(due, en.Path)
		}
		return nil
	})
	switch {
	case r.ctx.Err() != nil:
		return false
	case err != nil:
		// Not a snapshot of Lanyard's (copied in by hand), or damaged: a
		// verify of it says so.
		r.log.WithError(err).Warnf("cannot mend snapshot %s: its manifest cannot be read", name)
		return true
	}
	for _, rel := range due {
		old := filepath.Join(name, inRoot(rel))
		switch mended, err := mendFile(root, filepath.Join(id, inRoot(rel)), old); {
		case err != nil:
			r.warn("%s in snapshot %s keeps its damaged copy (%v): restore the file from snapshot %s", originalPath(rel), name, plainErr(err), id)
		case mended:
			_ = syncDir(filepath.Join(taskDir, filepath.Dir(old))) // once durable, the note may go
			r.mu.Lock()
			r.rep.Mended++
			r.mu.Unlock()
		}
	}
	return true
}

// mendFile puts a hard link to fresh in old's place, both in root; false
// when old is fresh already (a snapshot linked from the new one). A copy
// missing (a verify found it so) is put back, in its folder if that is
// still there.
func mendFile(root *os.Root, fresh, old string) (bool, error) {
	nfi, err := root.Lstat(fresh)
	if err != nil {
		return false, err
	}
	ofi, err := root.Lstat(old)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		switch err := root.Link(fresh, old); {
		case err == nil:
			return true, nil
		case errors.Is(err, fs.ErrNotExist), errors.Is(err, fs.ErrExist):
			return false, nil // its folder gone too, or made meanwhile: left to a verify
		default:
			return false, err
		}
	case err != nil:
		return false, err
	case !ofi.Mode().IsRegular() || !nfi.Mode().IsRegular():
		return false, nil // not what the manifests say: left to a verify
	case os.SameFile(nfi, ofi):
		return false, nil
	}
	tmp := old + mendSuffix
	_ = root.Remove(tmp)
	if err := root.Link(fresh, tmp); err != nil {
		return false, err
	}
	if err := root.Rename(tmp, old); err != nil {
		_ = root.Remove(tmp)
		return false, err
	}
	return true, nil
}
