package backup

import (
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/sirupsen/logrus"
)

// applyRetention deletes the snapshots t's retention no longer keeps,
// after a successful run that made newest (which is always kept). The
// caller holds the task's run slot, so nothing else writes there; a
// snapshot a restore or verify reads is left to the next run. A
// snapshot is renamed aside before it is deleted, so a crash midway never
// leaves a final name on half a snapshot (removeSnapshot).
func (e *Engine) applyRetention(log logrus.FieldLogger, t Task, taskDir, newest string) []string {
	if t.Retention.KeepsAll() {
		return nil
	}
	snaps, err := ListSnapshots(t.Destination, t.Name)
	if err != nil {
		log.WithError(err).Warn("retention skipped: cannot list the snapshots")
		return nil
	}
	remove := removable(snaps, t.Retention, e.opts.Location, time.Time{})
	var removed []string
	for _, snap := range remove {
		id := snap.ID
		if id == newest {
			continue
		}
		p := filepath.Join(taskDir, id)
		if e.beingRead(p) {
			log.WithField("snapshot", id).Infof("retention kept snapshot %s for now: a restore or verify reads it; the next run removes it", id)
			continue
		}
		if err := removeSnapshot(p); errors.As(err, new(*partlyRemovedError)) {
			log.WithError(err).Warnf("retention: snapshot %s is only partly removed; the next run finishes it", id)
		} else if err != nil {
			log.WithError(err).Warnf("retention: cannot remove snapshot %s", id)
			continue
		}
		removed = append(removed, id)
		log.WithField("snapshot", id).Infof("retention (%s) removed snapshot %s", t.Retention, id)
	}
	return removed
}

// removable is what r removes of snaps: of those a run of Lanyard made
// (what it did not make is not its to judge), the ones whose time r does
// not keep. next, when not zero, is a run to come, counted as the newest
// snapshot (it is never among those removed).
func removable(snaps []SnapshotInfo, r Retention, loc *time.Location, next time.Time) []SnapshotInfo {
	byTime := map[time.Time][]SnapshotInfo{}
	var times []time.Time
	if !next.IsZero() {
		times = append(times, next)
	}
	for _, s := range snaps {
		if !s.Result.Succeeded() {
			continue
		}
		if _, seen := byTime[s.Time]; !seen {
			times = append(times, s.Time)
		}
		byTime[s.Time] = append(byTime[s.Time], s)
	}
	_, remove := r.Decide(times, loc)
	var out []SnapshotInfo
	for _, tm := range remove {
		out = append(out, byTime[tm]...)
	}
	return out
}

// RetentionPreview is what a task's retention would do at its next run.
type RetentionPreview struct {
	// Snapshots counts the task's complete snapshots a run of Lanyard
	// made, which retention judges.
	Snapshots int
	// Removes counts those the next run would remove, the oldest and the
	// newest of them taken at OldestRemoved and NewestRemoved.
	Removes                      int
	OldestRemoved, NewestRemoved time.Time
}

// PreviewRetention says what retention r would remove of task's
// snapshots under dest at a run starting at next (which makes one more).
func (e *Engine) PreviewRetention(dest, task string, r Retention, next time.Time) (RetentionPreview, error) {
	snaps, err := ListSnapshots(dest, task)
	if err != nil {
		return RetentionPreview{}, err
	}
	var p RetentionPreview
	for _, s := range snaps {
		if s.Result.Succeeded() {
			p.Snapshots++
		}
	}
	for _, s := range removable(snaps, r, e.opts.Location, next) {
		p.Removes++
		if p.OldestRemoved.IsZero() || s.Time.Before(p.OldestRemoved) {
			p.OldestRemoved = s.Time
		}
		if s.Time.After(p.NewestRemoved) {
			p.NewestRemoved = s.Time
		}
	}
	return p, nil
}

// Describe says what the next run's retention does, in words that follow
// "the next run": "removes 23 of the 30 snapshots there are now, taken
// from 2026-10-01 to 2026-10-23". Times are read in loc.
func (p RetentionPreview) Describe(loc *time.Location) string {
	var what string
	switch {
	case p.Removes == 0:
		return "removes none of the snapshots there are now"
	case p.Snapshots == 1:
		what = "removes the only snapshot there is now"
	case p.Removes == p.Snapshots:
		what = fmt.Sprintf("removes all %d snapshots there are now", p.Snapshots)
	default:
		what = fmt.Sprintf("removes %d of the %d snapshots there are now", p.Removes, p.Snapshots)
	}
	oldest, newest := p.OldestRemoved.In(loc), p.NewestRemoved.In(loc)
	const day = "2006-01-02"
	switch {
	case oldest.Equal(newest):
		return what + ", taken " + oldest.Format("2006-01-02 15:04")
	case oldest.Format(day) == newest.Format(day):
		return fmt.Sprintf("%s, taken %s from %s to %s", what, oldest.Format(day), oldest.Format("15:04"), newest.Format("15:04"))
	}
	return fmt.Sprintf("%s, taken from %s to %s", what, oldest.Format(day), newest.Format(day))
}
