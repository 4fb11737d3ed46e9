package taskcli

import (
	"testing"
	"time"

	"github.com/lanyard/lanyard/core/backup"
)

// A plain progress line says how far a run is, how fast and how long it
// has left as a person types a duration, and nothing of it while that is
// not known.
func TestAPlainProgressLineSaysHowLongARunHasLeft(t *testing.T) {
	copying := backup.Status{Phase: backup.PhaseCopying, FilesDone: 10, FilesTotal: 40, BytesDone: 1 << 20, BytesTotal: 4 << 20,
		Rate: 1 << 20, Current: "/home/alice/a.odt"}
	for eta, want := range map[time.Duration]string{
		0:                         "copying 10/40 files, 1.0 MiB/4.0 MiB, 1.0 MiB/s, /home/alice/a.odt",
		2*time.Minute + 400e6:     "copying 10/40 files, 1.0 MiB/4.0 MiB, 1.0 MiB/s, ETA 2m, /home/alice/a.odt",
		time.Hour + 5*time.Minute: "copying 10/40 files, 1.0 MiB/4.0 MiB, 1.0 MiB/s, ETA 1h5m, /home/alice/a.odt",
		95 * time.Second:          "copying 10/40 files, 1.0 MiB/4.0 MiB, 1.0 MiB/s, ETA 1m35s, /home/alice/a.odt",
	} {
		s := copying
		s.ETA = eta
		if got := plainProgress(s); got != want {
			t.Errorf("ETA %v: %q, want %q", eta, got, want)
		}
	}
}
