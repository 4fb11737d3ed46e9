//go:build unix

package backup_test

import (
	"runtime"
	"testing"

	"github.com/lanyard/lanyard/core/backup"
)

// A path inside a snapshot goes back to where it was backed up from, on
// either kind of system, and a path of this system makes the round trip.
func TestAPathInASnapshotGoesBackToWhereItWas(t *testing.T) {
	cases := []struct{ goos, rel, want string }{
		{"linux", "home/alice/a.txt", "/home/alice/a.txt"},
		{"linux", "", "/"},
		{"windows", "C/Users/alice/a.txt", `C:\Users\alice\a.txt`},
		{"windows", "D", `D:\`},
		{"windows", "UNC/server/share/dir/a.txt", `\\server\share\dir\a.txt`},
	}
	for _, c := range cases {
		if got := backup.OriginalPathOn(c.goos, c.rel); got != c.want {
			t.Errorf("%s %q: %q, want %q", c.goos, c.rel, got, c.want)
		}
	}
	for _, p := range []string{"/home/alice/a.txt", "/srv", "/"} {
		if got := backup.OriginalPathOn(runtime.GOOS, backup.RelRoot(p)); got != p {
			t.Errorf("%s came back as %s", p, got)
		}
	}
}
