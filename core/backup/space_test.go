//go:build unix

package backup_test

import (
	"context"
	"strings"
	"testing"

	"github.com/lanyard/lanyard/core/backup"
)

func TestSpaceWarningSaysWhenTheNextRunsMayNotFit(t *testing.T) {
	const gib = 1 << 30
	cases := []struct {
		name        string
		free, total uint64
		wrote       int64
		want        string // "" for no warning
	}{
		{"room", 500 * gib, 2000 * gib, 10 * gib, ""},
		{"not known", 0, 0, 10 * gib, ""},
		{"less than two more runs", 15 * gib, 2000 * gib, 10 * gib,
			"the destination /mnt/nas has 15.0 GiB free, less than two runs like the last (10.0 GiB each): the next runs may not fit; free space there or keep fewer snapshots"},
		{"nearly full", 80 * gib, 2000 * gib, gib,
			"the destination /mnt/nas is 96 % full (80.0 GiB free of 2.0 TiB): the next runs may not fit; free space there or keep fewer snapshots"},
		{"a run that wrote nothing on a roomy disk", 100 * gib, 200 * gib, 0, ""},
	}
	for _, c := range cases {
		if got := backup.SpaceWarning("/mnt/nas", c.free, c.total, c.wrote); got != c.want {
			t.Errorf("%s:\n got %q\nwant %q", c.name, got, c.want)
		}
	}
}

// A run keeps its destination's free space in its report, and a disk
// that may not take the next runs makes it complete with a warning.
func TestARunSaysHowMuchRoomItsDestinationHasLeft(t *testing.T) {
	f := newFixture(t)
	f.random("a.bin", 64<<10)
	rep := f.run(backup.New(backup.Options{}))
	if !rep.Result.Succeeded() || rep.DestTotal == 0 || rep.DestFree == 0 || rep.DestFree > rep.DestTotal {
		t.Fatalf("%s: the destination's space: %d free of %d", rep.Result, rep.DestFree, rep.DestTotal)
	}
	if !strings.Contains(rep.Describe(), "free of") {
		t.Errorf("the report does not say the destination's space:\n%s", rep.Describe())
	}

	full := backup.WithSpace(backup.Options{}, func(context.Context, string) (uint64, uint64) { return 100 << 10, 1 << 40 })
	f.write("b.txt", "more", 0o644)
	rep = f.mustRun(backup.New(full), backup.ResultWarnings)
	if rep.WarningCount != 1 || !strings.Contains(rep.Warnings[0], "the destination "+f.dest+" is 99 % full") {
		t.Fatalf("a nearly full destination: %q", rep.Warnings)
	}
}
