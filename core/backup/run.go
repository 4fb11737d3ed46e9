package backup

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sirupsen/logrus"
)

// Item kinds found by the scan.
const (
	kindDir byte = iota + 1
	kindFile
	kindSymlink
)

// item is one thing the scan found to back up.
type item struct {
	src   string // the path to read
	rel   string // where it goes in the snapshot
	kind  byte
	size  int64
	mode  fs.FileMode
	mtime int64
	uid   int
	gid   int
	owned bool
	prev  *Entry // the previous snapshot's entry when the file is unchanged

	// Set by the worker that stored it.
	stored bool
	linked bool
	hash   string
	link   string
}

// run is one backup run in progress.
type run struct {
	e    *Engine
	t    Task
	log  logrus.FieldLogger
	m    *meter
	rep  *Report
	ctx  context.Context
	stop context.CancelCauseFunc

	owner    Owner         // whose the task's folder is
	verify   bool          // verify the snapshot once it is complete (StartOptions.Verify)
	progress Progress      // whom the run tells how far it has got
	reread   bool          // every file is read: see store
	excludes []pathPattern // the task's, compiled
	partial  string        // the snapshot being written
	prevDir  string        // the newest complete snapshot, or ""
	prevRoot *os.Root      // prevDir held open, its files checked through it (snapfile.go)
	took     phaseTimes

	mu       sync.Mutex
	fatal    error
	expect   string    // the snapshot the last run wrote here (StartOptions.Expect)
	noLinks  bool      // the destination refused a hard link: copy instead
	recopy   recopySet // files a verify found damaged: copied, not linked (recopy.go)
	warnOnce map[string]bool
}

func (r *run) warn(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.rep.WarningCount++
	if len(r.rep.Warnings) < MaxWarnings {
		r.rep.Warnings = append(r.rep.Warnings, msg)
	}
	r.log.Warn(msg)
}

// fail records the first error that fails the run and stops the others.
func (r *run) fail(err error) {
	r.mu.Lock()
	if r.fatal == nil {
		r.fatal = err
	}
	r.mu.Unlock()
	r.stop(err)
}

// run carries out one backup of t; it always returns a report.
func (e *Engine) run(ctx context.Context, t Task, started time.Time, so StartOptions) Report {
	rep := Report{Task: t.Name, Destination: t.Destination, Expect: so.Expect, Started: started, Result: ResultRunning, Reread: so.Reread,
		LastVerified: so.LastVerified}
	rctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	r := &run{e: e, t: t, rep: &rep, ctx: rctx, stop: stop, warnOnce: map[string]bool{}, owner: so.Owner, reread: so.Reread, expect: so.Expect,
		verify: so.Verify, progress: so.Progress,
		excludes: compilePatterns(t.Excludes), log: e.log.WithField("task", t.Name)}
	r.m = newMeter(t.Name, so.Progress, so.RateHint)
	err := r.execute()
	switch {
	case r.partial == "":
	case ctx.Err() != nil && !errors.Is(context.Cause(ctx), errStopped):
		// The process is shutting down: removing a large partial
		// snapshot could outlast the service manager's patience, and the
		// next run removes it anyway.
		r.log.Infof("left the unfinished snapshot %s for the next run to remove", r.partial)
	default:
		if rmErr := os.RemoveAll(r.partial); rmErr != nil {
			r.log.WithError(rmErr).Warnf("cannot remove the unfinished snapshot %s; the next run removes it", r.partial)
		}
	}
	r.m.close()
	rep.Finished = e.opts.Now()
	r.mu.Lock()
	if r.fatal != nil {
		err = r.fatal
	}
	r.mu.Unlock()
	switch {
	case err == nil && rep.WarningCount > 0:
		rep.Result = ResultWarnings
	case err == nil:
		rep.Result = ResultCompleted
	case errors.Is(err, errStopped) || (ctx.Err() != nil && !errors.As(err, new(*destError))):
		rep.Result, rep.Error, rep.Snapshot = ResultStopped, "stopped before it finished; earlier snapshots are untouched", ""
	default:
		rep.Result, rep.Error, rep.Snapshot = ResultFailed, err.Error(), ""
	}
	return rep
}

func (r *run) execute() error {
	t := r.t
	r.took.start()
	taskDir, err := r.openTaskDir()
	if err != nil {
		return err
	}
	r.recopy = readRecopyNotes(r.log, taskDir)
	if n := r.recopy.size(); n != 0 {
		r.log.Infof("a verify found copies in the snapshots damaged: %s copied afresh, not linked", recopyWords(n))
	}
	prev, err := r.loadPrevious(taskDir)
	if err != nil {
		return err
	}
	if r.prevRoot != nil {
		defer r.prevRoot.Close()
	}

	r.took.mark("prepare")
	r.m.setPhase(PhaseScanning)
	items, err := r.scan(prev)
	if err != nil {
		return err
	}
	r.took.mark("scan")

	id, err := r.startSnapshot(taskDir)
	if err != nil {
		return err
	}
	r.m.setPhase(PhaseCopying)
	if err := r.makeDirs(items); err != nil {
		return err
	}
	r.storeAll(items)
	if err := r.ctx.Err(); err != nil {
		return context.Cause(r.ctx)
	}
	r.took.mark("copy")

	r.m.setPhase(PhaseFinishing)
	r.m.setCurrent("")
	entries := r.entries(items)
	if err := r.commit(taskDir, id, entries); err != nil {
		return err
	}
	if r.mendOlder(taskDir, id, entries) {
		r.recopy.done(r.log, taskDir)
	}
	r.took.mark("commit")
	r.log.WithFields(logrus.Fields{"snapshot": id, "took": r.took.String()}).Debug("snapshot written")
	r.rep.Snapshot = id
	r.rep.Removed = r.e.applyRetention(r.log, t, taskDir, id)
	r.rep.DestFree, r.rep.DestTotal = r.e.opts.space(r.ctx, t.Destination)
	if w := SpaceWarning(t.Destination, r.rep.DestFree, r.rep.DestTotal, r.rep.BytesCopied); w != "" {
		r.warn("%s", w)
	}
	if r.verify {
		r.verifySnapshot(SnapshotInfo{ID: id, Path: filepath.Join(taskDir, id)})
	}
	return nil
}

// verifySnapshot re-reads the snapshot the run just made against its
// manifest, as Engine.Verify does but at the task's speed limit
// (verifyevery.go): each entry that does not match is a warning of the
// run, and the next run copies it afresh. A verify that cannot finish
// leaves the run complete, and the next run verifies instead.
func (r *run) verifySnapshot(snap SnapshotInfo) {
	r.m.close() // the copy's progress ends here; the verify's follows
	began := r.e.opts.Now()
	vr, err := r.e.verify(r.ctx, snap, r.t.Name, r.progress, r.t.Speed.limiter())
	switch {
	case err != nil && r.ctx.Err() != nil:
		r.rep.VerifyNote = errVerifyStopped.Error()
		r.log.Infof("the verify of snapshot %s was stopped; the next run verifies", snap.ID)
		return
	case err != nil:
		r.rep.VerifyNote = err.Error()
		r.warn("the verify of snapshot %s could not finish: %v; the next run verifies", snap.ID, err)
		return
	}
	r.rep.Verified, r.rep.LastVerified = true, began
	r.rep.VerifyMissing, r.rep.VerifyChanged = vr.Missing, vr.Changed
	for _, p := range vr.Problems {
		r.warn("verify: %s %s", p.Path, p.Reason)
	}
	r.rep.VerifyNote = vr.NextRun()
}

// openTaskDir checks the destination, makes the task's folder there if
// need be, claims it for this server and cleans what an interrupted run
// left in it; it returns the folder.
func (r *run) openTaskDir() (string, error) {
	t := r.t
	if err := CheckDestination(t.Sources, t.Destination); err != nil {
		return "", err
	}
	fi, err := os.Stat(t.Destination)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "", fmt.Errorf("the destination %s does not exist: create it, or mount the share it is on", t.Destination)
	case err != nil:
		return "", destErr(err)
	case !fi.IsDir():
		return "", fmt.Errorf("the destination %s is not a folder", t.Destination)
	}
	taskDir := TaskDir(t.Destination, t.Name)
	if _, err := os.Lstat(taskDir); r.expect != "" && errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("the destination %s has no folder %s, though this task's last run wrote snapshot %s there: is the share it is on mounted? "+
			"Nothing was written; mount it and run again, or, to begin afresh there, create the folder %s yourself", t.Destination, t.Name, r.expect, taskDir)
	}
	if err := os.Mkdir(taskDir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return "", destErr(err)
	}
	// The run makes the task's folder: a link in its place (put there by
	// whoever can write to the destination) would have it write its
	// snapshots, and retention delete, elsewhere on the server.
	if fi, err := os.Lstat(taskDir); err == nil && !fi.IsDir() {
		return "", notTaskDir(taskDir, fi)
	}
	// Before anything in the folder is touched: another server's
	// snapshot in progress is not stale.
	r.e.opts.Claiming(taskDir)
	if err := claimTaskDir(taskDir, t.Name, r.owner); err != nil {
		return "", err
	}
	removeStale(r.log, taskDir)
	return taskDir, nil
}

// startSnapshot makes the new snapshot's folder, under its partial name,
// and returns its ID: the run's start time, with a number after it when
// a snapshot of that second is there already.
func (r *run) startSnapshot(taskDir string) (string, error) {
	id := snapshotID(r.rep.Started)
	for n := 2; ; n++ {
		_, e1 := os.Lstat(filepath.Join(taskDir, id))
		_, e2 := os.Lstat(filepath.Join(taskDir, id+partialSuffix))
		if errors.Is(e1, fs.ErrNotExist) && errors.Is(e2, fs.ErrNotExist) {
			break
		}
		id = snapshotID(r.rep.Started) + "-" + strconv.Itoa(n)
	}
	r.partial = filepath.Join(taskDir, id+partialSuffix)
	if err := os.Mkdir(r.partial, 0o700); err != nil {
		r.partial = ""
		return "", destErr(err)
	}
	r.log.WithFields(logrus.Fields{"snapshot": id, "previous": filepath.Base(r.prevDir)}).Debug("writing the snapshot")
	return id, nil
}

// commit writes the snapshot's manifest and summary and gives it its
// final name, unless the run was stopped meanwhile.
func (r *run) commit(taskDir, id string, entries []Entry) error {
	if err := r.finish(entries, id); err != nil {
		return err
	}
	if err := r.ctx.Err(); err != nil {
		return context.Cause(r.ctx)
	}
	if err := os.Rename(r.partial, filepath.Join(taskDir, id)); err != nil {
		return destErr(err)
	}
	r.partial = ""
	if err := syncDir(taskDir); err != nil {
		return destErr(err)
	}
	return nil
}

// removeStale removes what an interrupted run or deletion left behind in
// taskDir; the caller holds the task (a run, a deletion), so nothing
// else writes there.
func removeStale(log logrus.FieldLogger, taskDir string) {
	ents, err := os.ReadDir(taskDir)
	if err != nil {
		return
	}
	for _, e := range ents {
		name := e.Name()
		var what, by string
		switch {
		case strings.HasSuffix(name, partialSuffix):
			what, by = "unfinished snapshot", "an interrupted run"
		case strings.HasSuffix(name, removingSuffix):
			what, by = "half-deleted snapshot", "an interrupted deletion"
		default:
			continue
		}
		if _, ok := parseID(strings.TrimSuffix(strings.TrimSuffix(name, partialSuffix), removingSuffix)); !ok {
			continue
		}
		p := filepath.Join(taskDir, name)
		if err := os.RemoveAll(p); err != nil {
			log.WithError(err).Warnf("cannot remove the %s %s left by %s", what, p, by)
			continue
		}
		log.Infof("removed the %s %s left by %s", what, p, by)
	}
}

// notTaskDir says what to do about something other than a folder where
// a task's folder should be.
func notTaskDir(taskDir string, fi fs.FileInfo) error {
	if fi.Mode()&fs.ModeSymlink == 0 {
		return fmt.Errorf("%s should be the task's folder but is a file: move it aside, and the next run makes the folder", taskDir)
	}
	to, _ := os.Readlink(taskDir)
	return fmt.Errorf("the task's folder %s is a link (to %s), not a folder: Lanyard writes snapshots only into a folder of its own. "+
		"If you moved the snapshots there, make that folder's parent the task's destination; otherwise remove the link", taskDir, to)
}

// loadPrevious reads the manifest of the newest complete snapshot, whose
// unchanged files the run hard-links. None (or an unreadable one) means
// every file is copied.
func (r *run) loadPrevious(taskDir string) (map[string]*Entry, error) {
	snaps, err := ListSnapshots(r.t.Destination, r.t.Name)
	if err != nil {
		return nil, destErr(err)
	}
	for i := len(snaps) - 1; i >= 0; i-- {
		dir := filepath.Join(taskDir, snaps[i].ID)
		m, err := loadManifest(dir)
		var root *os.Root
		if err == nil {
			root, err = os.OpenRoot(dir)
		}
		if err != nil {
			r.log.WithError(err).Warnf("snapshot %s cannot serve as the base of this run; trying an older one", snaps[i].ID)
			continue
		}
		r.prevDir, r.prevRoot = dir, root
		return m, nil
	}
	return nil, nil
}

// excluded says whether an exclude pattern matches the item at rel (see
// pathPattern).
func (r *run) excluded(rel string) bool {
	for _, p := range r.excludes {
		if p.match(rel) {
			return true
		}
	}
	return false
}

// scan walks every source (a lstat per entry, nothing read) and lists what
// to store, with totals for the progress; the files the previous snapshot
// holds unchanged are marked to be linked.
func (r *run) scan(prev map[string]*Entry) ([]item, error) {
	t := scanTally{r: r, prev: prev}
	for _, src := range r.t.Sources {
		if err := r.ctx.Err(); err != nil {
			return nil, context.Cause(r.ctx)
		}
		walkRoot, err := sourceRoot(src)
		if err != nil {
			return nil, err
		}
		if err := filepath.WalkDir(walkRoot, r.visit(src, walkRoot, &t)); err != nil {
			if r.ctx.Err() != nil {
				return nil, context.Cause(r.ctx)
			}
			return nil, err
		}
	}
	t.publish()
	return t.items, nil
}

// scanTally gathers what scan lists, with the totals the progress shows.
type scanTally struct {
	r            *run
	prev         map[string]*Entry
	items        []item
	files, bytes int64
}

func (t *scanTally) add(it item) {
	if it.kind == kindFile {
		if p := t.prev[it.rel]; p != nil && unchanged(p, &it) {
			it.prev = p
		}
		if it.prev == nil || t.r.reread {
			t.bytes += it.size // to read
		}
		t.files++
	} else if it.kind == kindSymlink {
		t.files++
	}
	t.items = append(t.items, it)
	if len(t.items)%1024 == 0 {
		t.publish()
	}
}

func (t *scanTally) publish() {
	t.r.m.filesTotal.Store(t.files)
	t.r.m.bytesTotal.Store(t.bytes)
}

// sourceRoot is where the walk of a source starts. A whole source missing
// is not a vanished file: a share that is not mounted would make an empty
// snapshot, and retention would then push out the good ones, so the run
// fails instead. A source given as a symbolic link is followed: the
// person named it to have what it points at.
func sourceRoot(src string) (string, error) {
	if _, err := os.Stat(src); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("the source %s does not exist (is it mounted?): nothing was backed up, earlier snapshots are kept", src)
		}
		return "", fmt.Errorf("the source %s cannot be read (%v): nothing was backed up, earlier snapshots are kept", src, plainErr(err))
	}
	if fi, err := os.Lstat(src); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		if res, err := filepath.EvalSymlinks(src); err == nil {
			return res, nil
		}
	}
	return src, nil
}

// visit is the walk of one source: each entry that is not excluded and
// can be read goes to t; what cannot be read is warned of and skipped.
func (r *run) visit(src, walkRoot string, t *scanTally) fs.WalkDirFunc {
	root := relRoot(src)
	return func(p string, d fs.DirEntry, err error) error {
		if cerr := r.ctx.Err(); cerr != nil {
			return cerr
		}
		rel := root
		if p != walkRoot {
			rel = root + "/" + filepath.ToSlash(p[len(walkRoot)+1:])
		}
		if err != nil {
			if p == walkRoot && d == nil {
				r.warn("source %s cannot be read: %v", src, plainErr(err))
				return nil
			}
			r.warn("%s cannot be read: %v", p, plainErr(err))
			r.rep.FilesSkipped++
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if p != walkRoot && r.excluded(rel) {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if it, ok := r.itemOf(p, rel, d); ok {
			t.add(it)
		}
		return nil
	}
}

// itemOf is the entry at p as the snapshot stores it; ok is false, with a
// warning, when it vanished, cannot be read or is of a kind not backed up.
func (r *run) itemOf(p, rel string, d fs.DirEntry) (it item, ok bool) {
	fi, err := d.Info()
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			r.warn("%s vanished during the backup", p)
		} else {
			r.warn("%s cannot be read: %v", p, plainErr(err))
		}
		r.rep.FilesSkipped++
		return item{}, false
	}
	it = item{src: p, rel: rel, mode: fi.Mode(), mtime: fi.ModTime().UnixNano(), size: fi.Size()}
	it.uid, it.gid, it.owned = ownerOf(fi)
	switch {
	case fi.IsDir():
		it.kind, it.size = kindDir, 0
	case fi.Mode().IsRegular():
		it.kind = kindFile
	case fi.Mode()&fs.ModeSymlink != 0:
		it.kind, it.size = kindSymlink, 0
	default:
		r.warn("%s skipped: %s is not backed up", p, specialKind(fi.Mode()))
		r.rep.FilesSkipped++
		return item{}, false
	}
	return it, true
}

// unchanged: the previous snapshot's file can stand for this one.
func unchanged(p *Entry, it *item) bool {
	return p.Type == TypeFile && p.Size == it.size && p.MTime == it.mtime && p.Mode == entryMode(it.mode) &&
		p.Hash != "" && (!it.owned || p.UID == it.uid && p.GID == it.gid)
}

// entryMode is the part of a mode a manifest records and a copy restores.
func entryMode(m fs.FileMode) fs.FileMode {
	return m & (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky)
}

// makeDirs creates every folder (owner-only until finish sets its mode),
// parents first: the scan lists a folder before what it holds.
func (r *run) makeDirs(items []item) error {
	for i := range items {
		it := &items[i]
		if it.kind != kindDir {
			continue
		}
		if err := os.MkdirAll(nativeRel(r.partial, it.rel), 0o700); err != nil {
			return destErr(err)
		}
		it.stored = true
		r.rep.Dirs++
	}
	// Parents of sources that are files or links (home/alice for
	// /home/alice/notes.txt).
	for _, src := range r.t.Sources {
		if dir := filepath.Dir(nativeRel(r.partial, relRoot(src))); dir != r.partial {
			if err := os.MkdirAll(dir, 0o700); err != nil {
				return destErr(err)
			}
		}
	}
	return nil
}

// storeAll links or copies every file and link, with Workers goroutines.
func (r *run) storeAll(items []item) {
	work := make(chan int, 256)
	pace := r.t.Speed.limiter()
	var wg sync.WaitGroup
	for w := 0; w < r.e.opts.Workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := newCopier(r.e.opts.wrapWriter, pace)
			defer c.release()
			for i := range work {
				if r.ctx.Err() != nil {
					continue
				}
				r.store(c, &items[i])
			}
		}()
	}
	for i := range items {
		if items[i].kind == kindDir {
			continue
		}
		if r.ctx.Err() != nil {
			break
		}
		work <- i
	}
	close(work)
	wg.Wait()
}

// store puts one file or link into the snapshot.
func (r *run) store(c *copier, it *item) {
	if h := r.e.opts.beforeFile; h != nil {
		h(it.rel)
	}
	dst := nativeRel(r.partial, it.rel)
	r.m.setCurrent(it.src)
	defer r.m.filesDone.Add(1)
	if it.kind == kindSymlink {
		r.storeSymlink(it, dst)
		return
	}
	done := &r.m.bytesDone
	if it.prev != nil && r.reread {
		// Read once to compare, and counted then: a copy after it reads
		// the file again, which the progress does not count twice.
		if r.sameContent(c, it) && r.link(it, dst) {
			return
		}
		done = new(atomic.Int64)
	} else if it.prev != nil && r.link(it, dst) {
		return
	}
	res, err := c.copyFile(r.ctx, r.e.opts.openSource, it.src, dst, done)
	switch {
	case err == nil:
	case errors.As(err, new(*destError)):
		r.fail(err)
		return
	case r.ctx.Err() != nil:
		return
	default:
		r.warn("%s", err)
		r.mu.Lock()
		r.rep.FilesSkipped++
		r.mu.Unlock()
		return
	}
	if res.changed {
		r.warn("%s changed while it was being copied: the snapshot has the copy as read, and the next run copies it again", it.src)
	}
	// What was open is what the manifest records.
	it.size, it.mtime, it.mode = res.size, res.mtime, res.mode
	it.uid, it.gid, it.owned = res.uid, res.gid, res.owned
	it.hash, it.stored = res.hash, true
	r.mu.Lock()
	r.rep.FilesCopied++
	r.rep.BytesCopied += res.size
	r.mu.Unlock()
}

// sameContent reads a file whose size and time are those of the previous
// snapshot's copy and says whether its content is the same too; false
// also when it could not be read (the copy that follows says why). A
// file of other content is a warning: a program that keeps a file's
// time as it rewrites it, or the disk changing what it holds, which a
// run that does not read every file takes for unchanged.
func (r *run) sameContent(c *copier, it *item) bool {
	sum, _, err := c.hashFile(r.ctx, r.e.opts.openSource, it.src, &r.m.bytesDone)
	if err != nil {
		return false
	}
	if sum != it.prev.Hash {
		r.warn("%s has the size and modification time it had in the previous snapshot but other content: copied (a program that keeps a file's time, or damage on the disk)", it.src)
		return false
	}
	return true
}

// link hard-links an unchanged file from the previous snapshot; false
// means copy it instead.
func (r *run) link(it *item, dst string) bool {
	r.mu.Lock()
	noLinks := r.noLinks
	r.mu.Unlock()
	if noLinks {
		return false
	}
	if r.recopy.has(it.rel) {
		r.mu.Lock()
		r.rep.Recopied++
		r.mu.Unlock()
		return false
	}
	old := nativeRel(r.prevDir, it.rel)
	// The previous copy must still be what its manifest says (a person
	// may have edited the snapshot; its folder is an ordinary one), and
	// in the snapshot: a link put there in place of a folder on its way
	// would have the new snapshot hold a file of the server's it never
	// backed up (snapfile.go).
	fi, err := r.prevRoot.Lstat(inRoot(it.rel))
	if err != nil || !fi.Mode().IsRegular() || fi.Size() != it.size || fi.ModTime().UnixNano() != it.mtime {
		return false
	}
	if err := os.Link(old, dst); err != nil {
		if isTooManyLinks(err) {
			return false
		}
		r.mu.Lock()
		if !r.noLinks {
			r.noLinks = true
			r.log.WithError(err).Warn("the destination refuses hard links: unchanged files are copied instead")
		}
		r.mu.Unlock()
		return false
	}
	// A folder on old's way swapped for a link between the check and
	// the link would have linked another file: the new name must be the
	// file checked, or it is copied instead.
	if got, err := os.Lstat(dst); err != nil || !sameInode(fi, got) {
		_ = os.Remove(dst)
		return false
	}
	it.hash, it.stored, it.linked = it.prev.Hash, true, true
	r.mu.Lock()
	r.rep.FilesLinked++
	r.rep.BytesLinked += it.size
	r.mu.Unlock()
	return true
}

func (r *run) storeSymlink(it *item, dst string) {
	target, err := os.Readlink(it.src)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			r.warn("%s vanished during the backup", it.src)
		} else {
			r.warn("%s cannot be read: %v", it.src, plainErr(err))
		}
		r.mu.Lock()
		r.rep.FilesSkipped++
		r.mu.Unlock()
		return
	}
	if err := os.Symlink(target, dst); err != nil {
		r.fail(destErr(err))
		return
	}
	if err := lchown(dst, it.uid, it.gid); err != nil && it.owned {
		r.warnDestMeta(err)
	}
	_ = lutimes(dst, it.mtime)
	it.link, it.stored = target, true
	r.mu.Lock()
	r.rep.Symlinks++
	r.mu.Unlock()
}

// warnDestMeta warns once that owners cannot be kept at the destination.
func (r *run) warnDestMeta(err error) {
	r.mu.Lock()
	seen := r.warnOnce["owner"]
	r.warnOnce["owner"] = true
	r.mu.Unlock()
	if !seen {
		r.warn("the destination cannot keep file owners (%v): restored files will belong to the restoring user", plainErr(err))
	}
}

// applyMeta gives a stored file its mode, owner and times.
func applyMeta(path string, it *item) error {
	if it.owned {
		if err := lchown(path, it.uid, it.gid); err != nil {
			return err
		}
	}
	if err := os.Chmod(path, it.mode&fs.ModePerm|it.mode&(fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky)); err != nil {
		return err
	}
	mt := time.Unix(0, it.mtime)
	return os.Chtimes(path, mt, mt)
}

// entries is the manifest: everything stored, in path order.
func (r *run) entries(items []item) []Entry {
	out := make([]Entry, 0, len(items))
	for i := range items {
		it := &items[i]
		if !it.stored {
			continue
		}
		e := Entry{Path: it.rel, Mode: entryMode(it.mode), MTime: it.mtime}
		if it.owned {
			e.UID, e.GID = it.uid, it.gid
		}
		switch it.kind {
		case kindDir:
			e.Type = TypeDir
		case kindFile:
			e.Type, e.Size, e.Hash = TypeFile, it.size, it.hash
		case kindSymlink:
			e.Type, e.Link = TypeSymlink, it.link
		}
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// finish writes the manifest and summary, gives folders their modes and
// times (deepest first, as writing into a folder changes its time) and
// makes everything durable.
func (r *run) finish(entries []Entry, id string) error {
	meta := filepath.Join(r.partial, metaDir)
	if err := os.Mkdir(meta, 0o700); err != nil {
		return destErr(err)
	}
	if err := writeManifest(filepath.Join(meta, manifestFile), entries); err != nil {
		return err
	}
	r.took.mark("manifest")
	info := SnapshotInfo{ID: id, Time: r.rep.Started, Finished: r.e.opts.Now(), Result: ResultCompleted,
		Files: r.rep.Files(), Bytes: r.rep.BytesCopied + r.rep.BytesLinked, Dirs: r.rep.Dirs, Symlinks: r.rep.Symlinks,
		Warnings: r.rep.WarningCount, Sources: r.t.Sources}
	if r.rep.WarningCount > 0 {
		info.Result = ResultWarnings
	}
	b, _ := json.MarshalIndent(info, "", "  ")
	if err := writeFile(filepath.Join(meta, summaryFile), append(b, '\n')); err != nil {
		return err
	}
	for i := len(entries) - 1; i >= 0; i-- {
		e := &entries[i]
		if e.Type != TypeDir {
			continue
		}
		it := item{mode: e.Mode, mtime: e.MTime, uid: e.UID, gid: e.GID, owned: canChown}
		if err := applyMeta(nativeRel(r.partial, e.Path), &it); err != nil {
			return destErr(err)
		}
	}
	r.took.mark("folders")
	if err := syncTree(r.partial); err != nil {
		return destErr(err)
	}
	r.took.mark("sync")
	return nil
}

func writeFile(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return destErr(err)
	}
	_, err = f.Write(b)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return destErr(err)
}

// plainErr drops the path an *fs.PathError repeats.
func plainErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
