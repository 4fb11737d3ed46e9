package backup

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/lanyard/lanyard/core/human"
)

// A snapshot may be deleted by hand, between runs, to make room on a
// destination at once (retention only acts after the next run). It goes
// as retention removes one: renamed aside, then deleted, so a crash
// midway never leaves a final name on half a snapshot; the next run, or
// the next deletion, finishes what is left. Files it shares with other snapshots (hard
// links) stay with them: only what was its own frees room.

// DeleteReport is what deleting one snapshot did.
type DeleteReport struct {
	Task     string `json:"task"`
	Snapshot string `json:"snapshot"`
	// Freed is the room the destination gained, as its free space
	// before and after says (0 when it cannot be read).
	Freed uint64 `json:"freed,omitempty"`
	// DestFree and DestTotal are the destination disk's free and total
	// size afterwards (zeros: not known).
	DestFree  uint64 `json:"dest_free,omitempty"`
	DestTotal uint64 `json:"dest_total,omitempty"`
	// Warning: the snapshot is gone from the list but not all of it is
	// deleted yet (the next run or deletion finishes it).
	Warning string `json:"warning,omitempty"`
}

// Describe says what the deletion did, in one line.
func (d DeleteReport) Describe() string {
	line := fmt.Sprintf("snapshot %s of task %s deleted", d.Snapshot, d.Task)
	if d.Freed > 0 {
		line += ", freeing " + human.Bytes(int64(d.Freed))
	}
	if d.DestTotal > 0 {
		line += fmt.Sprintf("; the destination has %s free of %s", human.Bytes(int64(d.DestFree)), human.Bytes(int64(d.DestTotal)))
	}
	if d.Warning != "" {
		line += "; " + d.Warning
	}
	return line
}

// DeleteSnapshot deletes snapshot id (its ID as ListSnapshots names it;
// "latest" is refused, a deletion names what it deletes) of task t,
// written by o. It refuses while t runs or another deletion of t is on
// its way (a *BusyError: a run links its new snapshot to the last one),
// while a restore or verify reads the snapshot (ErrBusy too: not now),
// and in a folder another server claimed (ErrOtherOwner). ctx bounds
// reading the destination's free space.
func (e *Engine) DeleteSnapshot(ctx context.Context, t Task, id string, o Owner) (DeleteReport, error) {
	rep := DeleteReport{Task: t.Name, Snapshot: id}
	if err := namedForDeletion(t, id); err != nil {
		return rep, err
	}
	release, err := e.claimForDelete(t.Name)
	if err != nil {
		return rep, err
	}
	defer release()
	// Only o's snapshots, and not when whose they are cannot be read.
	e.opts.Claiming(TaskDir(t.Destination, t.Name))
	if err := ownedBy(TaskDir(t.Destination, t.Name), t.Name, o); err != nil {
		return rep, err
	}
	snap, err := FindSnapshot(t.Destination, t.Name, id)
	if err != nil {
		return rep, err
	}
	rep.Snapshot = snap.ID
	if e.beingRead(snap.Path) {
		return rep, busyf("a restore or verify is reading snapshot %s of task %s: delete it once that has finished", snap.ID, t.Name)
	}
	before, _ := e.opts.space(ctx, t.Destination)
	removeStale(e.log, TaskDir(t.Destination, t.Name)) // what a deletion killed midway left is room too
	if err := removeSnapshot(snap.Path); errors.As(err, new(*partlyRemovedError)) {
		rep.Warning = err.Error()
	} else if err != nil {
		return rep, err
	}
	rep.DestFree, rep.DestTotal = e.opts.space(ctx, t.Destination)
	if rep.DestFree > before && before > 0 {
		rep.Freed = rep.DestFree - before
	}
	return rep, nil
}

// namedForDeletion refuses a snapshot not named by its ID: a deletion
// names what it deletes.
func namedForDeletion(t Task, id string) error {
	if id == "" || strings.EqualFold(id, "latest") {
		return invalidf("name the snapshot of task %s to delete by its ID (task snapshots %s lists them)", t.Name, t.Name)
	}
	return nil
}

// DeletionEstimate is what deleting one snapshot would free.
type DeletionEstimate struct {
	Task     string `json:"task"`
	Snapshot string `json:"snapshot"`
	// Frees is the room on the destination that the snapshot's own
	// files (those no other snapshot shares by a hard link) and its
	// folders take.
	Frees uint64 `json:"frees"`
	// OwnFiles are the files deleting it removes; SharedFiles stay with
	// the other snapshots that have them.
	OwnFiles    int64 `json:"own_files"`
	SharedFiles int64 `json:"shared_files"`
}

// Describe says what deleting the snapshot would free, in one line.
func (d DeletionEstimate) Describe() string {
	return fmt.Sprintf("deleting snapshot %s of task %s %s", d.Snapshot, d.Task, d.Effect())
}

// Effect is Describe without naming the snapshot, for where it is named
// already: "would free about 3.1 GiB (…)".
func (d DeletionEstimate) Effect() string {
	line := "would free about " + human.Bytes(int64(d.Frees))
	own := human.Plural(d.OwnFiles, "file", "files")
	switch {
	case d.SharedFiles == 0:
		return line + " (" + own + ", none shared with another snapshot)"
	case d.OwnFiles == 0 && d.SharedFiles == 1:
		return line + ": its one file is shared with other snapshots and stays with them"
	case d.OwnFiles == 0:
		return line + fmt.Sprintf(": all its %s files are shared with other snapshots and stay with them", human.Count(d.SharedFiles))
	}
	stay := "stay"
	if d.SharedFiles == 1 {
		stay = "stays"
	}
	return line + fmt.Sprintf(" (%s of its own; %s it shares with other snapshots %s with them)",
		own, human.Plural(d.SharedFiles, "file", "files"), stay)
}

// EstimateDeletion says what deleting snapshot id of task t would free,
// deleting nothing: the room its own files take, those with no other
// name (a hard link from another snapshot). It reads every entry of the
// snapshot once; ctx stops it. Where the system does not say how many
// names a file has (Windows) it is refused.
func (e *Engine) EstimateDeletion(ctx context.Context, t Task, id string) (DeletionEstimate, error) {
	est := DeletionEstimate{Task: t.Name, Snapshot: id}
	if err := namedForDeletion(t, id); err != nil {
		return est, err
	}
	snap, err := FindSnapshot(t.Destination, t.Name, id)
	if err != nil {
		return est, err
	}
	est.Snapshot = snap.ID
	meta := filepath.Join(snap.Path, metaDir) + string(filepath.Separator) // its manifest: room, not files
	err = filepath.WalkDir(snap.Path, func(path string, d fs.DirEntry, err error) error {
		if err == nil {
			err = ctx.Err()
		}
		var fi fs.FileInfo
		if err == nil {
			fi, err = d.Info()
		}
		if err != nil {
			return err
		}
		bytes, links, ok := diskUsage(fi)
		switch {
		case !ok:
			return errNoLinkCounts
		case d.Type().IsRegular() && links > 1:
			est.SharedFiles++
			return nil
		case d.Type().IsRegular() && !strings.HasPrefix(path, meta):
			est.OwnFiles++
		}
		est.Frees += bytes
		return nil
	})
	if errors.Is(err, errNoLinkCounts) {
		return est, invalidf("what deleting a snapshot frees is not known on this system: it does not say which files other snapshots share")
	}
	if err != nil && ctx.Err() == nil {
		return est, destErr(fmt.Errorf("cannot measure snapshot %s of task %s: %w", snap.ID, t.Name, err))
	}
	return est, err
}

var errNoLinkCounts = errors.New("no link counts")

// claimForDelete takes task's run slot for a deletion: a run, or
// another deletion, of the task is refused meanwhile.
func (e *Engine) claimForDelete(task string) (release func(), err error) {
	key := NameKey(task)
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.busy(task); err != nil {
		return nil, err
	}
	e.deleting[key] = e.opts.Now()
	return func() {
		e.mu.Lock()
		delete(e.deleting, key)
		e.mu.Unlock()
	}, nil
}

// removeSnapshot renames the snapshot at path aside and deletes it; a
// snapshot renamed aside but only partly deleted is left to the next run
// or deletion (a *partlyRemovedError).
func removeSnapshot(path string) error {
	aside := path + removingSuffix
	if err := os.Rename(path, aside); err != nil {
		return destErr(fmt.Errorf("cannot remove snapshot %s: %w", path, err))
	}
	if err := os.RemoveAll(aside); err != nil {
		return &partlyRemovedError{err}
	}
	return nil
}

// partlyRemovedError: a snapshot was renamed aside, so it is no longer
// one, but not all of it is deleted; the next run or deletion finishes
// it.
type partlyRemovedError struct{ err error }

func (e *partlyRemovedError) Error() string {
	return fmt.Sprintf("the snapshot is only partly deleted (%v); the next run or deletion finishes it", e.err)
}
func (e *partlyRemovedError) Unwrap() error { return e.err }
