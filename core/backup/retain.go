package backup

import (
	"errors"
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
	byTime := map[time.Time][]string{}
	var times []time.Time
	for _, s := range snaps {
		if !s.Result.Succeeded() {
			continue // not ours to judge: leave what Lanyard did not make
		}
		if _, seen := byTime[s.Time]; !seen {
			times = append(times, s.Time)
		}
		byTime[s.Time] = append(byTime[s.Time], s.ID)
	}
	_, remove := t.Retention.Decide(times, e.opts.Location)
	var removed []string
	for _, tm := range remove {
		for _, id := range byTime[tm] {
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
	}
	return removed
}
