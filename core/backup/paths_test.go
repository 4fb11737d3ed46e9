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

// The top of a Windows server's snapshot is named as Windows names it:
// its drives and its network shares; elsewhere a folder is its name.
func TestTheTopOfASnapshotIsNamedAsItsSystemNamesIt(t *testing.T) {
	for _, c := range []struct{ goos, name, want string }{
		{"windows", "C", "C:"},
		{"windows", "d", "d:"},
		{"windows", "UNC", `\\ (network shares)`},
		{"windows", "CD", "CD"},
		{"linux", "C", "C"},
		{"linux", "UNC", "UNC"},
	} {
		if got := backup.TopName(c.goos, c.name); got != c.want {
			t.Errorf("%s %q: %q, want %q", c.goos, c.name, got, c.want)
		}
	}
}

// An exclude or a search is written as the agent's system writes paths:
// on Windows with its drive or share and backslashes, in any case where
// file names are; elsewhere a backslash escapes, as in any glob.
func TestPatternsAreReadAsTheAgentsSystemWritesPaths(t *testing.T) {
	cases := []struct {
		goos, pattern string
		fold          bool
		rel           string
		want          bool
	}{
		{"windows", `C:\Users\*\AppData\**`, true, "C/Users/alice/AppData/Local/x.db", true},
		{"windows", `c:/users/*/appdata`, true, "C/Users/alice/AppData", true},
		{"windows", `C:\Users\*\AppData`, true, "D/Users/alice/AppData", false},
		{"windows", `\Users\*\AppData`, true, "D/Users/alice/AppData", true}, // no drive: any drive
		{"windows", `\\fs01\share\tmp\**`, true, "UNC/fs01/share/tmp/a/b.txt", true},
		{"windows", `\\fs01\share\tmp\**`, true, "C/fs01/share/tmp/a", false},
		{"windows", `*.TMP`, true, "C/Users/alice/x.tmp", true},
		{"windows", `*.TMP`, false, "C/Users/alice/x.tmp", false},
		{"windows", `**\build\**`, true, "C/src/app/build/out.o", true},
		{"windows", `node_modules`, true, "C/src/app/node_modules", true},
		{"linux", `/home/*/.cache`, false, "home/alice/.cache", true},
		{"linux", `*.tmp`, false, "home/alice/X.TMP", false},
		{"linux", `*.tmp`, true, "home/alice/X.TMP", true},
		{"linux", `\*.tmp`, false, "home/alice/*.tmp", true}, // an escaped star is a star
		{"linux", `\*.tmp`, false, "home/alice/a.tmp", false},
		{"linux", `C:\Users\**`, false, "C/Users/alice", false},
		// A folder written with a separator after it, as people often do.
		{"linux", `/home/*/.cache/`, false, "home/alice/.cache", true},
		{"linux", `build/`, false, "home/alice/src/build", true},
		{"windows", `C:\Users\*\AppData\Local\Temp\`, true, "C/Users/alice/AppData/Local/Temp", true},
		{"linux", `/`, false, "home", false},
		// A path not named from the top matches the end of the path.
		{"linux", `Documents/tmp`, false, "home/alice/Documents/tmp", true},
		{"linux", `home/alice/*.txt`, false, "home/alice/a.txt", true},
		{"linux", `*/cache`, false, "home/cache", true},
		{"linux", `/Documents/tmp`, false, "home/alice/Documents/tmp", false},
		{"windows", `Documents\tmp`, true, "C/Users/alice/Documents/tmp", true},
		{"windows", `D:`, true, "C/Users/alice/d", false}, // a drive, not a name
		{"windows", `D:\`, true, "D", true},
	}
	for _, c := range cases {
		valid, got := backup.PatternMatches(c.goos, c.pattern, c.fold, c.rel)
		if !valid || got != c.want {
			t.Errorf("%s %q (fold %v) on %q: valid %v, match %v; want a valid pattern, match %v", c.goos, c.pattern, c.fold, c.rel, valid, got, c.want)
		}
	}
	if valid, _ := backup.PatternMatches("windows", `C:\Users\[a`, true, "C/Users/a"); valid {
		t.Error(`an unclosed class is a valid pattern on Windows`)
	}
}
