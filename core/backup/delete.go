package backup

import (
	"context"
	"errors"
	"fmt"
	"os"
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
// while a restore or verify reads the snapshot, and in a folder another
// server claimed (ErrOtherOwner). ctx bounds reading the destination's
// free space.
func (e *Engine) DeleteSnapshot(ctx context.Context, t Task, id string, o Owner) (DeleteReport, error) {
	rep := DeleteReport{Task: t.Name, Snapshot: id}
	if id == "" || strings.EqualFold(id, "latest") {
		return rep, invalidf("name the snapshot of task %s to delete by its ID (task snapshots %s lists them)", t.Name, t.Name)
	}
	release, err := e.claimForDelete(t.Name)
	if err != nil {
		return rep, err
	}
	defer release()
	if err := CheckOwner(t.Destination, t.Name, o); err != nil {
		return rep, err
	}
	snap, err := FindSnapshot(t.Destination, t.Name, id)
	if err != nil {
		return rep, err
	}
	rep.Snapshot = snap.ID
	if e.beingRead(snap.Path) {
		return rep, invalidf("a restore or verify is reading snapshot %s of task %s: delete it once that has finished", snap.ID, t.Name)
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
