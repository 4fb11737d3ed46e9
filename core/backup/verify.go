package backup

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"golang.org/x/time/rate"
)

// Problem is one thing in a snapshot that does not match its manifest.
type Problem struct {
	Path   string `json:"path"`
	Reason string `json:"reason"`
}

// MaxProblems bounds the problems a VerifyReport lists; the counts count all.
const MaxProblems = 1000

// VerifyReport is what Verify found.
type VerifyReport struct {
	Task     string    `json:"task"`
	Snapshot string    `json:"snapshot"`
	Files    int64     `json:"files"` // files and links checked
	Bytes    int64     `json:"bytes"` // bytes re-hashed
	Missing  int       `json:"missing"`
	Changed  int       `json:"changed"`
	Problems []Problem `json:"problems,omitempty"`
	// Recopy: the next run copies the files found damaged afresh from the
	// server rather than link their damaged copies (recopy.go);
	// RecopyError says why it could not be noted for it.
	Recopy      bool   `json:"recopy,omitempty"`
	RecopyError string `json:"recopy_error,omitempty"`
}

// NextRun says what the next run does about what a verify found, as a
// clause: "" when every file matched.
func (r *VerifyReport) NextRun() string {
	switch {
	case r.OK():
		return ""
	case r.Recopy || r.RecopyError != "":
		return recopyPromise(r.RecopyError)
	}
	return ""
}

// OK says every entry matches the manifest.
func (r *VerifyReport) OK() bool { return r.Missing == 0 && r.Changed == 0 }

// Verify re-reads every file of a snapshot and compares it with the
// manifest: type, size, content hash, and a link's target. It reports each
// missing or changed entry; an error means the check itself could not be
// done (no manifest, cancelled). It reads at full speed: a person waits
// for it.
func (e *Engine) Verify(ctx context.Context, snap SnapshotInfo, task string, p Progress) (VerifyReport, error) {
	return e.verify(ctx, snap, task, p, nil)
}

// verify is Verify reading at pace (nil: full speed); a run's verify
// keeps to the task's speed limit, as its copy does.
func (e *Engine) verify(ctx context.Context, snap SnapshotInfo, task string, p Progress, pace *rate.Limiter) (VerifyReport, error) {
	rep := VerifyReport{Task: task, Snapshot: snap.ID}
	defer e.hold(snap.Path)()
	var entries []Entry
	var total int64
	if err := readManifest(snap.Path, func(en *Entry) error {
		entries = append(entries, *en)
		total += en.Size
		return nil
	}); err != nil {
		return rep, err
	}
	root, err := os.OpenRoot(snap.Path)
	if err != nil {
		return rep, fmt.Errorf("cannot read snapshot %s: %w", snap.ID, plainErr(err))
	}
	defer root.Close()
	m := newMeter(task, p, 0)
	defer m.close()
	m.setPhase(PhaseVerifying)
	m.filesTotal.Store(countFiles(entries))
	m.bytesTotal.Store(total)

	var mu sync.Mutex
	note := recopyNote{Snapshot: snap.ID}
	problem := func(path, format string, args ...any) (missing bool) {
		mu.Lock()
		defer mu.Unlock()
		if len(rep.Problems) < MaxProblems {
			rep.Problems = append(rep.Problems, Problem{Path: "/" + path, Reason: fmt.Sprintf(format, args...)})
		}
		note.add(path)
		return false
	}
	work := make(chan int, 256)
	var wg sync.WaitGroup
	for w := 0; w < e.opts.Workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := newCopier(nil, pace)
			defer c.release()
			for i := range work {
				if ctx.Err() != nil {
					continue
				}
				en := &entries[i]
				m.setCurrent("/" + en.Path)
				missing, changed := e.verifyEntry(ctx, c, root, en, &m.bytesDone, problem)
				mu.Lock()
				if missing {
					rep.Missing++
				}
				if changed {
					rep.Changed++
				}
				mu.Unlock()
				if en.Type != TypeDir {
					m.filesDone.Add(1)
				}
			}
		}()
	}
	for i := range entries {
		if ctx.Err() != nil {
			break
		}
		work <- i
	}
	close(work)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return rep, errors.New("the verify was stopped before it finished")
	}
	rep.Files = m.filesDone.Load()
	rep.Bytes = m.bytesDone.Load()
	if !rep.OK() {
		note.Verified = e.opts.Now()
		if err := writeRecopyNote(filepath.Dir(snap.Path), note); err != nil {
			rep.RecopyError = err.Error()
		} else {
			rep.Recopy = true
		}
	}
	return rep, nil
}

func (e *Engine) verifyEntry(ctx context.Context, c *copier, root *os.Root, en *Entry, done interface{ Add(int64) int64 },
	problem func(path, format string, args ...any) bool) (missing, changed bool) {
	fi, err := root.Lstat(inRoot(en.Path))
	if errors.Is(err, fs.ErrNotExist) {
		problem(en.Path, "missing")
		return true, false
	}
	if err != nil {
		problem(en.Path, "cannot be read: %v", plainErr(snapshotPathErr(en.Path, err)))
		return false, true
	}
	switch en.Type {
	case TypeDir:
		if !fi.IsDir() {
			problem(en.Path, "should be a folder, is %s", kindOf(fi.Mode()))
			return false, true
		}
	case TypeSymlink:
		target, err := root.Readlink(inRoot(en.Path))
		if err != nil || target != en.Link {
			problem(en.Path, "link should point to %q, points to %q", en.Link, target)
			return false, true
		}
	case TypeFile:
		if !fi.Mode().IsRegular() {
			problem(en.Path, "should be a file, is %s", kindOf(fi.Mode()))
			return false, true
		}
		if fi.Size() != en.Size {
			problem(en.Path, "size %d, manifest says %d", fi.Size(), en.Size)
			return false, true
		}
		sum, _, err := c.hashFile(ctx, func(rel string) (*os.File, error) { return openSnapshotFile(root, rel) }, en.Path, nil)
		done.Add(en.Size)
		if err != nil {
			if ctx.Err() != nil {
				return false, false
			}
			problem(en.Path, "cannot be read: %v", plainErr(err))
			return false, true
		}
		if sum != en.Hash {
			problem(en.Path, "content differs from the manifest (hash %.16s…, expected %.16s…)", sum, en.Hash)
			return false, true
		}
	}
	return false, false
}

// kindOf names what is at a snapshot's path, for a verify's problem: "a
// link (put there after the backup)", "a folder".
func kindOf(m fs.FileMode) string {
	switch {
	case m.IsRegular():
		return "a file"
	case m.IsDir():
		return "a folder"
	case m&fs.ModeSymlink != 0:
		return "a link (put there after the backup)"
	}
	return specialKind(m)
}
