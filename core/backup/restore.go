package backup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/lanyard/lanyard/core/human"
)

// RestoreOptions say what to restore where.
type RestoreOptions struct {
	// Target is the folder to restore into; each path keeps its full
	// original path below it (/home/alice/a.txt → TARGET/home/alice/a.txt).
	Target string
	// Paths limits the restore to these files or folders (original
	// absolute paths, or paths inside the snapshot); empty restores all.
	Paths []string
	// Overwrite replaces files that exist in the target; without it the
	// restore refuses before writing anything.
	Overwrite bool
}

// RestoreReport is what Restore did.
type RestoreReport struct {
	Task     string   `json:"task"`
	Snapshot string   `json:"snapshot"`
	Target   string   `json:"target"`
	Files    int64    `json:"files"`
	Bytes    int64    `json:"bytes"`
	Dirs     int64    `json:"dirs"` // folders restored, and folders made to hold what was asked for
	Symlinks int64    `json:"symlinks"`
	Replaced int64    `json:"replaced"` // existing files overwritten
	Paths    []string `json:"paths"`    // what was asked for, as restored under Target
	Warnings []string `json:"warnings,omitempty"`
}

// ExistsError: the restore would overwrite files and was not asked to.
type ExistsError struct {
	Target string
	Paths  []string // the first few, under Target
	Count  int
}

func (e *ExistsError) Error() string {
	exist := "already exist"
	if e.Count == 1 {
		exist = "already exists"
	}
	return fmt.Sprintf("%s %s in %s (%s): nothing was restored; pass --overwrite to replace them, or restore into an empty folder",
		human.Plural(e.Count, "file", "files"), exist, e.Target, human.List(e.Paths, e.Count))
}

// Restore copies a snapshot, or the chosen paths of it, into
// opt.Target, with modes, times and (as root) owners, and reports what it
// restored. What it restored is on disk when it returns without an error.
func (e *Engine) Restore(ctx context.Context, snap SnapshotInfo, task string, opt RestoreOptions, p Progress) (RestoreReport, error) {
	rep := RestoreReport{Task: task, Snapshot: snap.ID, Target: opt.Target, Paths: []string{}}
	defer e.hold(snap.Path)()
	want, err := restoreWants(snap, opt)
	if err != nil {
		return rep, err
	}
	entries, total, err := selectEntries(snap, opt, want, &rep)
	if err != nil {
		return rep, err
	}
	taken, err := checkConflicts(opt, entries)
	if err != nil {
		return rep, err
	}
	m := newMeter(task, p, 0)
	defer m.close()
	m.setPhase(PhaseRestoring)
	m.filesTotal.Store(countFiles(entries))
	m.bytesTotal.Store(total)

	if err := makeFolders(opt.Target, entries, &rep); err != nil {
		return rep, err
	}
	if err := e.restoreContents(ctx, snap, opt, entries, taken, m, &rep); err != nil {
		return rep, err
	}
	restoreFolderMeta(opt.Target, entries, &rep)
	if err := syncRestored(opt.Target, rep.Paths); err != nil {
		return rep, fmt.Errorf("the restored files in %s may not all be on disk yet (%v): check the disk, then restore again with --overwrite", opt.Target, plainErr(err))
	}
	return rep, nil
}

// restoreWants checks the target and turns the paths asked for into
// paths inside the snapshot; none means all of it.
func restoreWants(snap SnapshotInfo, opt RestoreOptions) ([]string, error) {
	if opt.Target == "" || !filepath.IsAbs(opt.Target) {
		return nil, invalidf("the restore target %q must be an absolute folder path", opt.Target)
	}
	if within(opt.Target, snap.Path) || pathKey(opt.Target) == pathKey(snap.Path) {
		return nil, invalidf("the restore target %s is inside the snapshot: pick a folder outside it", opt.Target)
	}
	var want []string
	for _, p := range opt.Paths {
		rel, ok := cleanRel(p)
		if !ok {
			return nil, invalidf("path %q leaves the snapshot", p)
		}
		want = append(want, rel)
	}
	return want, nil
}

// selectEntries reads the manifest entries under what was asked for,
// folders before what they hold, and their total size; a path asked for
// that the snapshot does not hold is an error. It fills rep.Paths.
func selectEntries(snap SnapshotInfo, opt RestoreOptions, want []string, rep *RestoreReport) ([]Entry, int64, error) {
	found := make([]bool, len(want))
	var entries []Entry
	var total int64
	err := readManifest(snap.Path, func(en *Entry) error {
		if len(want) > 0 {
			hit := false
			for i, w := range want {
				if w == "" || en.Path == w || strings.HasPrefix(en.Path, w+"/") {
					found[i], hit = true, true
				}
			}
			if !hit {
				return nil
			}
		}
		entries = append(entries, *en)
		total += en.Size
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	for i, w := range want {
		if !found[i] {
			return nil, 0, invalidf("%s is not in snapshot %s (lanyard-agent task browse lists what is)", opt.Paths[i], snap.ID)
		}
		rep.Paths = append(rep.Paths, nativeRel(opt.Target, w))
	}
	if len(want) == 0 {
		rep.Paths = append(rep.Paths, opt.Target)
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Path < entries[j].Path })
	return entries, total, nil
}

// makeFolders makes the target and every folder the entries need, owner
// only until restoreFolderMeta gives them their own modes, and counts them.
func makeFolders(target string, entries []Entry, rep *RestoreReport) error {
	if err := os.MkdirAll(target, 0o700); err != nil {
		return fmt.Errorf("cannot create the restore target %s: %w", target, adviseReadOnly(err, target, restoreElsewhere))
	}
	ready := "" // the last folder known to exist; entries come in path order
	for i := range entries {
		en := &entries[i]
		dst := nativeRel(target, en.Path)
		// The folders above what was asked for (a single file's) are made
		// as they are needed, and counted: a restore of one file says
		// which folders it made, not "0 folders".
		if parent := filepath.Dir(dst); parent != ready {
			made, err := mkdirAllCounted(parent)
			rep.Dirs += made
			if err != nil {
				return restoreErr(dst, err)
			}
			ready = parent
		}
		if en.Type == TypeDir {
			if err := os.Mkdir(dst, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
				return restoreErr(dst, err)
			}
			rep.Dirs++
		}
	}
	return nil
}

// restoreContents copies the files and makes the links, with the
// engine's workers, stopping at the first error or when ctx ends.
func (e *Engine) restoreContents(ctx context.Context, snap SnapshotInfo, opt RestoreOptions, entries []Entry, taken []bool, m *meter, rep *RestoreReport) error {
	target := opt.Target
	var mu sync.Mutex
	var firstErr error
	work := make(chan int, 256)
	var wg sync.WaitGroup
	for w := 0; w < e.opts.Workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				if ctx.Err() != nil {
					continue
				}
				en := &entries[i]
				m.setCurrent(nativeRel(target, en.Path))
				replaced, err := restoreEntry(snap.Path, target, en, taken[i], opt.Overwrite)
				mu.Lock()
				switch {
				case err != nil && firstErr == nil:
					firstErr = err
				case err == nil && en.Type == TypeFile:
					rep.Files++
					rep.Bytes += en.Size
				case err == nil && en.Type == TypeSymlink:
					rep.Symlinks++
				}
				if replaced {
					rep.Replaced++
				}
				mu.Unlock()
				m.filesDone.Add(1)
				m.bytesDone.Add(en.Size)
			}
		}()
	}
	for i := range entries {
		if ctx.Err() != nil {
			break
		}
		if entries[i].Type == TypeDir {
			continue
		}
		mu.Lock()
		failed := firstErr != nil
		mu.Unlock()
		if failed {
			break
		}
		work <- i
	}
	close(work)
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	if ctx.Err() != nil {
		return errors.New("the restore was stopped before it finished: what is in the target may be incomplete")
	}
	return nil
}

// restoreFolderMeta gives the folders their modes and times, deepest
// first (filling a folder changes its time); what cannot be set is a
// warning.
func restoreFolderMeta(target string, entries []Entry, rep *RestoreReport) {
	for i := len(entries) - 1; i >= 0; i-- {
		en := &entries[i]
		if en.Type != TypeDir {
			continue
		}
		it := item{mode: en.Mode, mtime: en.MTime, uid: en.UID, gid: en.GID, owned: canChown}
		if err := applyMeta(nativeRel(target, en.Path), &it); err != nil {
			rep.Warnings = append(rep.Warnings, fmt.Sprintf("%s: cannot restore its mode or time: %v", nativeRel(target, en.Path), plainErr(err)))
		}
	}
}

// mkdirAllCounted is os.MkdirAll (mode 0700) that returns how many
// folders it made.
func mkdirAllCounted(dir string) (int64, error) {
	var missing []string
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Lstat(d); err == nil || filepath.Dir(d) == d {
			break
		}
		missing = append(missing, d)
	}
	var made int64
	for i := len(missing) - 1; i >= 0; i-- {
		if err := os.Mkdir(missing[i], 0o700); err != nil {
			if errors.Is(err, fs.ErrExist) {
				continue
			}
			return made, err
		}
		made++
	}
	return made, nil
}

// checkConflicts refuses, before anything is written, a restore that would
// replace files it was not allowed to, or put a folder where a file is.
// It says which entries' places are taken (files that will be replaced).
func checkConflicts(opt RestoreOptions, entries []Entry) (taken []bool, err error) {
	ex := &ExistsError{Target: opt.Target}
	taken = make([]bool, len(entries))
	for i := range entries {
		en := &entries[i]
		dst := nativeRel(opt.Target, en.Path)
		fi, err := os.Lstat(dst)
		if err != nil {
			continue
		}
		if en.Type == TypeDir {
			if !fi.IsDir() {
				return nil, fmt.Errorf("%s exists and is not a folder, but the snapshot has a folder there: move it aside first", dst)
			}
			continue
		}
		if fi.IsDir() {
			return nil, fmt.Errorf("%s is a folder, but the snapshot has a file there: move it aside first", dst)
		}
		taken[i] = true
		if !opt.Overwrite {
			ex.Count++
			if len(ex.Paths) < 3 {
				ex.Paths = append(ex.Paths, dst)
			}
		}
	}
	if ex.Count > 0 {
		return nil, ex
	}
	return taken, nil
}

// restoreEntry restores one file or link. Into a free place it is written
// directly (created exclusively, so nothing that appeared meanwhile is
// overwritten); an existing file (taken, with Overwrite) is replaced
// whole or not at all: the copy is written beside it and renamed over it.
func restoreEntry(root, target string, en *Entry, taken, overwrite bool) (replaced bool, err error) {
	if en.Type != TypeFile && en.Type != TypeSymlink {
		return false, nil
	}
	dst := nativeRel(target, en.Path)
	if !taken {
		err := restoreAt(root, en, dst)
		if err == nil || !overwrite || !errors.Is(err, fs.ErrExist) {
			if err != nil {
				return false, restoreErr(dst, err)
			}
			return false, nil
		}
		// Something appeared there since the check: replace it whole.
	}
	tmp := filepath.Join(filepath.Dir(dst), ".lanyard-restore-"+filepath.Base(dst))
	err = restoreAt(root, en, tmp)
	if errors.Is(err, fs.ErrExist) {
		// Left by an interrupted restore.
		_ = os.Remove(tmp)
		err = restoreAt(root, en, tmp)
	}
	if err != nil {
		return false, restoreErr(dst, err)
	}
	if err := os.Rename(tmp, dst); err != nil {
		_ = os.Remove(tmp)
		return false, restoreErr(dst, err)
	}
	return true, nil
}

// restoreAt writes the entry's file or link at path, which must not
// exist, with its mode, time and (as root) owner. A failed copy is
// removed.
func restoreAt(root string, en *Entry, path string) error {
	if en.Type == TypeSymlink {
		if err := os.Symlink(en.Link, path); err != nil {
			return err
		}
		_ = lchown(path, en.UID, en.GID)
		_ = lutimes(path, en.MTime)
		return nil
	}
	out, err := createExcl(path)
	if err != nil {
		return err
	}
	it := item{mode: en.Mode, mtime: en.MTime, uid: en.UID, gid: en.GID, owned: canChown}
	err = copyPlain(nativeRel(root, en.Path), out)
	if err == nil {
		err = closeWithMeta(out, &it)
	} else {
		_ = out.Close()
	}
	if err != nil {
		_ = os.Remove(path)
	}
	return err
}

// copyPlain copies the file at src into out with io.Copy between two
// *os.File, which lets the kernel copy it (copy_file_range) without
// passing through here.
func copyPlain(src string, out *os.File) error {
	in, err := openRead(src)
	if err != nil {
		return err
	}
	defer in.Close()
	_, err = io.Copy(out, in)
	return err
}

// countFiles is how many of entries a restore or verify counts as files
// in its progress: every one but the folders, which the summary counts
// apart ("5 files (…), 5 folders").
func countFiles(entries []Entry) int64 {
	var n int64
	for i := range entries {
		if entries[i].Type != TypeDir {
			n++
		}
	}
	return n
}
