package backup

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/lanyard/lanyard/core/human"
)

// RestoreOptions say what to restore where.
type RestoreOptions struct {
	// Target is the folder to restore into; each path keeps its full
	// original path below it (/home/alice/a.txt → TARGET/home/alice/a.txt).
	// It is empty with Original.
	Target string
	// Original restores each path to where it was backed up from
	// (/home/alice/a.txt to /home/alice/a.txt), instead of into Target.
	Original bool
	// Paths limits the restore to these files or folders (original
	// absolute paths, or paths inside the snapshot); empty restores all.
	Paths []string
	// Overwrite replaces files that exist where the restore writes;
	// SkipExisting leaves them as they are and restores only what is
	// missing. With neither the restore refuses before writing anything.
	Overwrite    bool
	SkipExisting bool
	// Within, with Original, are the only folders the restore may write
	// to: the task's sources as the agent keeps them, not as the
	// snapshot says (anyone who can write to the destination can change
	// its manifest to name any place on the server, /etc/cron.d say). An
	// entry outside them stops the restore before anything is written.
	// The agent sets it from the task; it does not travel.
	Within []string `json:"-"`
}

// place is where the snapshot's path rel is restored to.
func (o *RestoreOptions) place(rel string) string {
	if o.Original {
		return originalPath(rel)
	}
	return nativeRel(o.Target, rel)
}

// Where says where a restore writes, for messages: "into /srv/restore",
// or "to where the files were".
func (o *RestoreOptions) Where() string {
	return whereWords(o.Target, o.Original)
}

func whereWords(target string, original bool) string {
	if original {
		return "to where the files were"
	}
	return "into " + target
}

// RestoreReport is what Restore did.
type RestoreReport struct {
	Task     string `json:"task"`
	Snapshot string `json:"snapshot"`
	Target   string `json:"target"`
	Files    int64  `json:"files"`
	Bytes    int64  `json:"bytes"`
	Dirs     int64  `json:"dirs"` // folders made: restored, or to hold what was asked for (not those that were there)
	Symlinks int64  `json:"symlinks"`
	Replaced int64  `json:"replaced"` // existing files overwritten
	// Skipped counts the existing files left as they were (SkipExisting).
	Skipped int64 `json:"skipped,omitempty"`
	// Damaged counts the files restored from copies whose content is not
	// what the backup recorded (damaged on the backup disk since): they
	// were restored as they are, named in the warnings, and the next run
	// copies them afresh.
	Damaged int64 `json:"damaged,omitempty"`
	// Unreadable counts the files not restored because their copies are
	// missing from the snapshot or cannot be read (a failing disk): the
	// restore went on without them, named them in the warnings, and the
	// next run copies them afresh.
	Unreadable int64    `json:"unreadable,omitempty"`
	Original   bool     `json:"original,omitempty"` // restored to where the files were; Target is empty
	Paths      []string `json:"paths"`              // what was asked for, where it was restored
	Warnings   []string `json:"warnings,omitempty"`
}

// Where says where the restore wrote: "into /srv/restore", or "to where
// the files were".
func (r *RestoreReport) Where() string { return whereWords(r.Target, r.Original) }

// Line is Summary on one line, its lines joined by "; ", for a log.
func (r *RestoreReport) Line() string { return strings.ReplaceAll(r.Summary(), "\n", "; ") }

// Summary is the restore in a few lines, as the command line and the
// console's window say it: "restored 3 files (1.2 MiB) and 1 folder from
// snapshot … into /srv/restore" (folders and links only when there were
// any), then what was replaced or left as it was, and how many files
// came from damaged copies or could not be read.
func (r *RestoreReport) Summary() string {
	what := []string{fmt.Sprintf("%s (%s)", human.Plural(r.Files, "file", "files"), human.Bytes(max(r.Bytes, 0)))}
	if r.Dirs > 0 {
		what = append(what, human.Plural(r.Dirs, "folder", "folders"))
	}
	if r.Symlinks > 0 {
		what = append(what, human.Plural(r.Symlinks, "link", "links"))
	}
	s := fmt.Sprintf("restored %s from snapshot %s %s", human.List(what, len(what)), r.Snapshot, r.Where())
	if r.Replaced > 0 {
		s += "\n" + human.Plural(r.Replaced, "existing file was replaced", "existing files were replaced")
	}
	if r.Skipped > 0 {
		s += "\n" + human.Plural(r.Skipped, "file there already was left as it was", "files there already were left as they were")
	}
	if r.Damaged > 0 {
		s += "\n" + human.Plural(r.Damaged, "file was restored from a damaged copy", "files were restored from damaged copies") + ": see the warnings"
	}
	if r.Unreadable > 0 {
		s += "\n" + human.Plural(r.Unreadable, "file was not restored: its copy cannot be read", "files were not restored: their copies cannot be read") + " (see the warnings)"
	}
	return s
}

// ErrExists matches an *ExistsError.
var ErrExists = errors.New("files exist where the restore would write")

// ExistsError: the restore would overwrite files and was not asked to.
type ExistsError struct {
	Target   string
	Original bool     // the restore was to where the files were
	Paths    []string // the first few, where they would be restored
	Count    int
}

func (e *ExistsError) Error() string {
	exist := "already exist"
	if e.Count == 1 {
		exist = "already exists"
	}
	where := " in " + e.Target
	if e.Original {
		where = ""
	}
	// What to do comes before the files named: a console that cuts a
	// long answer cuts the names.
	return fmt.Sprintf("%s %s%s: nothing was restored; pass --skip-existing to restore only what is missing, --overwrite to replace them, or restore into an empty folder (%s)",
		human.Plural(e.Count, "file", "files"), exist, where, ListExisting(e.Paths, e.Count))
}

// ListExisting names the files that exist, first of total: "a", "a and
// b", "among them a, b and c".
func ListExisting(first []string, total int) string {
	if total > len(first) {
		return "among them " + human.List(first, len(first))
	}
	return human.List(first, total)
}

// Is makes errors.Is(err, ErrExists) true.
func (e *ExistsError) Is(target error) bool { return target == ErrExists }

// Restore copies a snapshot, or the chosen paths of it, into
// opt.Target, with modes, times and (as root) owners, and reports what it
// restored. What it restored is on disk when it returns without an error.
func (e *Engine) Restore(ctx context.Context, snap SnapshotInfo, task string, opt RestoreOptions, p Progress) (RestoreReport, error) {
	rep := RestoreReport{Task: task, Snapshot: snap.ID, Target: opt.Target, Original: opt.Original, Paths: []string{}}
	defer e.hold(snap.Path)()
	want, err := restoreWants(snap, opt)
	if err != nil {
		return rep, err
	}
	entries, above, total, err := selectEntries(snap, opt, want, &rep)
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

	made, err := makeFolders(&opt, entries, &rep)
	if err != nil {
		return rep, err
	}
	if err := e.restoreContents(ctx, snap, &opt, entries, taken, m, &rep); err != nil {
		return rep, err
	}
	restoreFolderMeta(&opt, entries, nil, &rep)
	restoreFolderMeta(&opt, above, made, &rep)
	openUnheldFolders(&opt, above, made, &rep)
	if err := syncRestored(opt.Target, rep.Paths); err != nil {
		return rep, fmt.Errorf("the restored files %s may not all be on disk yet (%v): check the disk, then restore again with --overwrite", opt.Where(), plainErr(err))
	}
	return rep, nil
}

// restoreWants checks the target and turns the paths asked for into
// paths inside the snapshot; none means all of it.
func restoreWants(snap SnapshotInfo, opt RestoreOptions) ([]string, error) {
	switch {
	case opt.Overwrite && opt.SkipExisting:
		return nil, invalidf("give either --overwrite (replace the files that exist) or --skip-existing (leave them), not both")
	case opt.Original && opt.Target != "":
		return nil, invalidf("give either a target folder or --original (to where the files were), not both")
	case opt.Original && len(opt.Within) == 0:
		return nil, invalidf("a restore to where the files were needs the task's sources to keep to")
	case opt.Original:
	case opt.Target == "" || !filepath.IsAbs(opt.Target):
		return nil, invalidf("the restore target %q must be an absolute folder path", opt.Target)
	case within(opt.Target, snap.Path) || pathKey(opt.Target) == pathKey(snap.Path):
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
// that the snapshot does not hold is an error. It fills rep.Paths. above
// are the snapshot's folders that hold what was asked for, in path order:
// those the restore has to make get their modes, owners and times too.
func selectEntries(snap SnapshotInfo, opt RestoreOptions, want []string, rep *RestoreReport) (entries, above []Entry, total int64, err error) {
	found := make([]bool, len(want))
	err = readManifest(snap.Path, func(en *Entry) error {
		if len(want) > 0 {
			hit, holds := false, false
			for i, w := range want {
				if w == "" || en.Path == w || strings.HasPrefix(en.Path, w+"/") {
					found[i], hit = true, true
				} else if en.Type == TypeDir && strings.HasPrefix(w, en.Path+"/") {
					holds = true
				}
			}
			if holds && !hit {
				above = append(above, *en)
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
		return nil, nil, 0, err
	}
	if err := keptWithin(snap, &opt, entries); err != nil {
		return nil, nil, 0, err
	}
	for i, w := range want {
		if !found[i] {
			return nil, nil, 0, invalidf("%s is not in snapshot %s (lanyard-agent task browse lists what is)", opt.Paths[i], snap.ID)
		}
		rep.Paths = append(rep.Paths, opt.place(w))
	}
	if len(want) == 0 && !opt.Original {
		rep.Paths = append(rep.Paths, opt.Target)
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Path < entries[j].Path })
	if len(want) == 0 && opt.Original {
		rep.Paths = append(rep.Paths, topPlaces(&opt, entries)...)
	}
	return entries, above, total, nil
}

// keptWithin refuses a restore to where the files were of an entry that
// is not in the task's sources (opt.Within).
func keptWithin(snap SnapshotInfo, opt *RestoreOptions, entries []Entry) error {
	if !opt.Original {
		return nil
	}
	for i := range entries {
		place := opt.place(entries[i].Path)
		if !slices.ContainsFunc(opt.Within, func(src string) bool { return pathKey(place) == pathKey(src) || within(place, src) }) {
			return invalidf("snapshot %s holds %s, which is not in the task's sources (%s): the snapshot was changed on the destination, "+
				"or the sources have changed since; restore into a folder instead and look at it there", snap.ID, place, strings.Join(opt.Within, ", "))
		}
	}
	return nil
}

// topPlaces are where the outermost of entries (in path order) are
// restored: the sources of a whole snapshot, whether or not its summary
// names them.
func topPlaces(opt *RestoreOptions, entries []Entry) []string {
	var tops []string
	last := "\x00" // the last outermost entry's path
	for i := range entries {
		if p := entries[i].Path; p != last && !strings.HasPrefix(p, last+"/") {
			tops, last = append(tops, opt.place(p)), p
		}
	}
	return tops
}

// makeFolders makes the target and every folder the entries need, owner
// only until restoreFolderMeta gives them their own modes, and counts
// those it made (a folder that was there is not said to be restored).
// made are the folders it made above the entries.
func makeFolders(opt *RestoreOptions, entries []Entry, rep *RestoreReport) (made map[string]bool, err error) {
	if !opt.Original {
		if err := os.MkdirAll(opt.Target, 0o700); err != nil {
			return nil, fmt.Errorf("cannot create the restore target %s: %w", opt.Target, restoreAdvice(err, opt.Target))
		}
	}
	made = map[string]bool{}
	ready := "" // the last folder known to exist; entries come in path order
	for i := range entries {
		en := &entries[i]
		dst := opt.place(en.Path)
		// The folders above what was asked for (a single file's) are made
		// as they are needed, and counted: a restore of one file says
		// which folders it made, not "0 folders".
		if parent := filepath.Dir(dst); parent != ready {
			dirs, err := mkdirAllCounted(parent)
			for _, d := range dirs {
				made[d] = true
			}
			rep.Dirs += int64(len(dirs))
			if err != nil {
				return nil, restoreErr(dst, err)
			}
			ready = parent
		}
		if en.Type == TypeDir {
			switch err := os.Mkdir(dst, 0o700); {
			case err == nil:
				rep.Dirs++
			case !errors.Is(err, fs.ErrExist):
				return nil, restoreErr(dst, err)
			}
		}
	}
	return made, nil
}

// restoreContents copies the files and makes the links, with the
// engine's workers, stopping at the first error or when ctx ends.
func (e *Engine) restoreContents(ctx context.Context, snap SnapshotInfo, opt *RestoreOptions, entries []Entry, taken []bool, m *meter, rep *RestoreReport) error {
	root, err := os.OpenRoot(snap.Path)
	if err != nil {
		return fmt.Errorf("cannot read snapshot %s: %w", snap.ID, plainErr(err))
	}
	defer root.Close()
	var mu sync.Mutex
	var firstErr error
	var damaged recopyNote
	defer func() { e.noteDamagedRestored(snap, damaged, rep) }()
	work := make(chan int, 256)
	var wg sync.WaitGroup
	for w := 0; w < e.opts.Workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := restorer{ctx: ctx, root: root, opt: opt, c: newCopier(nil, nil), done: &m.bytesDone}
			defer r.c.release()
			for i := range work {
				if ctx.Err() != nil {
					continue
				}
				en := &entries[i]
				dst := opt.place(en.Path)
				m.setCurrent(dst)
				r.pumped = 0
				if h := e.opts.beforeRestore; h != nil {
					h(en.Path)
				}
				done, sound, err := r.restoreEntry(dst, en, taken[i])
				if errors.Is(err, errUnreadable) {
					if gone := snapshotGone(snap); gone != nil {
						err = gone // one error, not a warning for every file left
					}
				}
				mu.Lock()
				switch {
				case errors.Is(err, errUnreadable):
					damaged.add(en.Path)
					if rep.Unreadable++; rep.Unreadable+rep.Damaged <= maxDamagedNamed {
						rep.Warnings = append(rep.Warnings, err.Error())
					}
				case err != nil && firstErr == nil && ctx.Err() == nil:
					firstErr = err
				case done == entrySkipped:
					rep.Skipped++
				case err == nil && en.Type == TypeFile:
					rep.Files++
					rep.Bytes += en.Size
				case err == nil && en.Type == TypeSymlink:
					rep.Symlinks++
				}
				if done == entryReplaced {
					rep.Replaced++
				}
				if err == nil && !sound {
					damaged.add(en.Path)
					if rep.Damaged++; rep.Unreadable+rep.Damaged <= maxDamagedNamed {
						rep.Warnings = append(rep.Warnings, dst+" was restored from a damaged copy: its content differs from what the backup recorded")
					}
				}
				mu.Unlock()
				m.filesDone.Add(1)
				m.bytesDone.Add(en.Size - r.pumped) // what the copy did not count
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

// maxDamagedNamed bounds the files restored from damaged copies, or left
// out as unreadable, that a restore names in its warnings; Damaged and
// Unreadable count them all.
const maxDamagedNamed = 20

// noteDamagedRestored has the next run copy afresh the files whose
// copies in snap were damaged or could not be read, as a verify that
// found them would (its note names them), and says so in the restore's
// warnings.
func (e *Engine) noteDamagedRestored(snap SnapshotInfo, n recopyNote, rep *RestoreReport) {
	if rep.Damaged+rep.Unreadable == 0 {
		return
	}
	if more := rep.Damaged + rep.Unreadable - maxDamagedNamed; more > 0 {
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("… and %d more from damaged copies", more))
	}
	n.Snapshot, n.Verified = snap.ID, e.opts.Now()
	noteErr, again := "", "; restore them again after it"
	if err := writeRecopyNote(filepath.Dir(snap.Path), n); err != nil {
		noteErr, again = err.Error(), ""
	}
	rep.Warnings = append(rep.Warnings, "the copies of these files were damaged on the backup disk after they were written: "+recopyPromise(noteErr)+again)
}

// restoreFolderMeta gives the folders among entries their modes and
// times, deepest first (filling a folder changes its time): all of them,
// or with only those the restore made (a folder that was there keeps
// its own). What cannot be set is a warning.
func restoreFolderMeta(opt *RestoreOptions, entries []Entry, only map[string]bool, rep *RestoreReport) {
	for i := len(entries) - 1; i >= 0; i-- {
		en := &entries[i]
		if en.Type != TypeDir || only != nil && !only[opt.place(en.Path)] {
			continue
		}
		it := item{mode: en.Mode, mtime: en.MTime, uid: en.UID, gid: en.GID, owned: canChown}
		if err := applyMeta(opt.place(en.Path), &it); err != nil {
			rep.Warnings = append(rep.Warnings, fmt.Sprintf("%s: cannot restore its mode or time: %v", opt.place(en.Path), plainErr(err)))
		}
	}
}

// openUnheldFolders opens to all to pass through (mode 0755, as mkdir -p
// makes them) the folders a restore to where the files were made above
// what the snapshot holds, above its sources: left owner-only, the files
// put back below them would be out of their users' reach. Their owner is
// the agent's, which the report warns of, naming them; elsewhere, and on
// Windows, where a new folder takes its parent's permissions, folders made
// stay as they are.
func openUnheldFolders(opt *RestoreOptions, above []Entry, made map[string]bool, rep *RestoreReport) {
	if !opt.Original || runtime.GOOS == "windows" || len(made) == 0 {
		return
	}
	held := make(map[string]bool, len(above))
	for i := range above {
		held[opt.place(above[i].Path)] = true
	}
	var opened []string
	for d := range made {
		if held[d] {
			continue
		}
		if err := os.Chmod(d, 0o755); err != nil {
			rep.Warnings = append(rep.Warnings, fmt.Sprintf("%s: cannot open it to its users (%v): give it the mode it had", d, plainErr(err)))
			continue
		}
		opened = append(opened, d)
	}
	if len(opened) == 0 {
		return
	}
	sort.Strings(opened)
	them := "them the owners they had"
	if len(opened) == 1 {
		them = "it the owner it had"
	}
	rep.Warnings = append(rep.Warnings, fmt.Sprintf("made %s above what was backed up, which the snapshot does not describe: with mode 0755 and the agent's owner; give %s",
		human.List(opened[:min(len(opened), 3)], len(opened)), them))
}

// mkdirAllCounted is os.MkdirAll (mode 0700) that returns the folders it
// made, outermost first.
func mkdirAllCounted(dir string) ([]string, error) {
	var missing []string
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Lstat(d); err == nil || filepath.Dir(d) == d {
			break
		}
		missing = append(missing, d)
	}
	var made []string
	for i := len(missing) - 1; i >= 0; i-- {
		if err := os.Mkdir(missing[i], 0o700); err != nil {
			if errors.Is(err, fs.ErrExist) {
				continue
			}
			return made, err
		}
		made = append(made, missing[i])
	}
	return made, nil
}

// checkConflicts refuses, before anything is written, a restore that would
// replace files it was not allowed to, or put a folder where a file is.
// It says which entries' places are taken (files that will be replaced,
// or left as they are).
func checkConflicts(opt RestoreOptions, entries []Entry) (taken []bool, err error) {
	ex := &ExistsError{Target: opt.Target, Original: opt.Original}
	taken = make([]bool, len(entries))
	for i := range entries {
		en := &entries[i]
		dst := opt.place(en.Path)
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
		if !opt.Overwrite && !opt.SkipExisting {
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

// What restoreEntry did.
const (
	entryWritten  = iota // into a free place (or a folder: nothing)
	entryReplaced        // over an existing file
	entrySkipped         // an existing file left as it was
)

// restorer is one worker of a restore: it reads the snapshot held by
// root, writes where opt says, and checks each file it copies against
// the manifest's hash.
type restorer struct {
	ctx    context.Context
	root   *os.Root
	opt    *RestoreOptions
	c      *copier
	done   *atomic.Int64 // bytes restored, for the progress
	pumped int64         // bytes of the entry under way counted in done
}

// restoreEntry restores one file or link at dst, and says whether its
// copy in the snapshot was sound (its content what the manifest says).
// Into a free place it is written directly (created exclusively, so
// nothing that appeared meanwhile is overwritten); an existing file
// (taken) is left as it is with SkipExisting, or with Overwrite replaced
// whole or not at all: the copy is written beside it and renamed over it.
func (r *restorer) restoreEntry(dst string, en *Entry, taken bool) (done int, sound bool, err error) {
	if en.Type != TypeFile && en.Type != TypeSymlink {
		return entryWritten, true, nil
	}
	if taken && r.opt.SkipExisting {
		return entrySkipped, true, nil
	}
	if !taken {
		sound, err := r.restoreAt(en, dst)
		switch {
		case err == nil:
			return entryWritten, sound, nil
		case errors.Is(err, fs.ErrExist) && r.opt.SkipExisting:
			return entrySkipped, true, nil // it appeared since the check
		case !errors.Is(err, fs.ErrExist) || !r.opt.Overwrite:
			return entryWritten, true, restoreErr(dst, err)
		}
		// Something appeared there since the check: replace it whole.
	}
	tmp := filepath.Join(filepath.Dir(dst), ".lanyard-restore-"+filepath.Base(dst))
	sound, err = r.restoreAt(en, tmp)
	if errors.Is(err, fs.ErrExist) {
		// Left by an interrupted restore.
		_ = os.Remove(tmp)
		sound, err = r.restoreAt(en, tmp)
	}
	if err != nil {
		return entryWritten, true, restoreErr(dst, err)
	}
	if err := os.Rename(tmp, dst); err != nil {
		_ = os.Remove(tmp)
		return entryWritten, true, restoreErr(dst, err)
	}
	return entryReplaced, sound, nil
}

// restoreAt writes the entry's file or link at path, which must not
// exist, with its mode, time and (as root) owner, and says whether the
// file's copy was sound. A failed copy is removed; a damaged one is
// kept, as the most the backup holds of the file.
func (r *restorer) restoreAt(en *Entry, path string) (sound bool, err error) {
	if en.Type == TypeSymlink {
		if err := os.Symlink(en.Link, path); err != nil {
			return true, err
		}
		_ = lchown(path, en.UID, en.GID)
		_ = lutimes(path, en.MTime)
		return true, nil
	}
	out, err := createExcl(path)
	if err != nil {
		return true, err
	}
	it := item{mode: en.Mode, mtime: en.MTime, uid: en.UID, gid: en.GID, owned: canChown}
	sound, err = r.copyChecked(en, out)
	if err == nil {
		err = closeWithMeta(out, &it)
	} else {
		_ = out.Close()
	}
	if err != nil {
		_ = os.Remove(path)
	}
	return sound, err
}

// copyChecked copies the entry's file in the snapshot into out, hashing
// what it reads, and says whether that is what the manifest recorded; a
// copy that is missing or cannot be read is errUnreadable.
func (r *restorer) copyChecked(en *Entry, out *os.File) (sound bool, err error) {
	in, err := openSnapshotFile(r.root, en.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, unreadable(err)
	}
	if err != nil {
		return true, err // not a file of the backup's: a link or the like put in since
	}
	defer in.Close()
	n, rerr, werr := r.c.pump(r.ctx, in, out, r.done)
	r.pumped += n
	switch {
	case werr != nil:
		return true, werr
	case rerr != nil && r.ctx.Err() == nil:
		return false, unreadable(rerr)
	case rerr != nil:
		return true, rerr
	}
	return n == en.Size && r.c.sum() == en.Hash, nil
}

// snapshotGone says, when a copy in snap could not be read, whether the
// snapshot itself is gone: its manifest can no longer be found by its
// path, as when its backup disk was unplugged, unmounted or has failed.
// nil: the snapshot is there, and only that copy is missing or damaged.
func snapshotGone(snap SnapshotInfo) error {
	_, err := os.Stat(ManifestPath(snap.Path))
	if err == nil || errors.Is(err, fs.ErrPermission) {
		return nil // there (one the agent may not read says so file by file)
	}
	return fmt.Errorf("snapshot %s can no longer be read (%v): is its backup disk still connected and mounted? Once it is, restore again, leaving the files already there as they are (what was restored before is kept)",
		snap.ID, plainErr(err))
}

// errUnreadable: a file's copy in the snapshot is missing or cannot be
// read to its end (a failing disk). The restore goes on without it.
var errUnreadable = errors.New("its copy in the snapshot cannot be read")

func unreadable(err error) error { return fmt.Errorf("%w (%v)", errUnreadable, plainErr(err)) }

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
