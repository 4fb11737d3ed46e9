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

// DestinationSpace is the free and total size of the file system dest is
// on (free as the agent's user may use it); zeros when it cannot be read.
func DestinationSpace(ctx context.Context, dest string) (free, total uint64) {
	u, err := disk.UsageWithContext(ctx, dest)
	if err != nil {
		return 0, 0
	}
	return u.Free, u.Total
}

// SpaceLow says how a destination with free of total bytes left is
// short of room for the next runs, the last of which wrote wrote bytes:
// less free than twice that, or under 5 % of the disk. "" when there is
// room, or the space is not known. The words follow "the destination".
func SpaceLow(free, total uint64, wrote int64) string {
	switch {
	case total == 0:
		return ""
	case wrote > 0 && free < spaceRunsAhead*uint64(wrote):
		return fmt.Sprintf("has %s free, less than two runs like the last (%s each)", human.Bytes(free), human.Bytes(wrote))
	case free*100 < total*spaceLowPercent:
		return fmt.Sprintf("is %d %% full (%s free of %s)", (total-free)*100/total, human.Bytes(free), human.Bytes(total))
	}
	return ""
}

// SpaceAdvice is what to do about a destination short of room, in the
// words of every place that says so (a run's warning, the alert, its
// mail and notification).
const SpaceAdvice = "free space there or keep fewer snapshots"

// SpaceWarning is the warning a run of destination dest leaves when
// SpaceLow says it is short of room, with what to do; "" otherwise.
func SpaceWarning(dest string, free, total uint64, wrote int64) string {
	low := SpaceLow(free, total, wrote)
	if low == "" {
		return ""
	}
	return "the destination " + dest + " " + low + ": the next runs may not fit; " + SpaceAdvice
}
