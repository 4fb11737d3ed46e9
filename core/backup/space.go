package backup

import (
	"context"
	"fmt"

	"github.com/shirou/gopsutil/v4/disk"

	"github.com/lanyard/lanyard/core/human"
)

// A run reads its destination's free space once it is done (retention
// included), keeps it in its report, and warns when the next runs may
// not fit: a full share fails the backups of every server on it at once,
// and the warning comes while there is still time to act.

// Thresholds of SpaceWarning.
const (
	spaceRunsAhead  = 2 // free space for fewer runs like this one than this warns
	spaceLowPercent = 5 // free space under this share of the disk warns
)

// destSpace is the free and total size of the file system dest is on
// (free as the agent's user may use it); zeros when it cannot be read.
func destSpace(ctx context.Context, dest string) (free, total uint64) {
	u, err := disk.UsageWithContext(ctx, dest)
	if err != nil {
		return 0, 0
	}
	return u.Free, u.Total
}

// SpaceWarning is the warning a run leaves when its destination dest,
// with free of total bytes left, may not take the next runs: less free
// than twice what the run wrote, or under 5 % of the disk. "" when
// there is room, or the space is not known.
func SpaceWarning(dest string, free, total uint64, wrote int64) string {
	switch {
	case total == 0:
		return ""
	case wrote > 0 && free < spaceRunsAhead*uint64(wrote):
		return fmt.Sprintf("the destination %s has %s free, less than twice what this run wrote (%s): the next runs may not fit; free space there or keep fewer snapshots",
			dest, human.Bytes(free), human.Bytes(wrote))
	case free*100 < total*spaceLowPercent:
		return fmt.Sprintf("the destination %s is %d %% full (%s free of %s): free space there or keep fewer snapshots before it fills up",
			dest, 100-free*100/total, human.Bytes(free), human.Bytes(total))
	}
	return ""
}
