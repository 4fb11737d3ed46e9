package ui

import (
	"fmt"

	"github.com/lanyard/lanyard/core/master"
)

// serverPaths are the example paths the dialogs show for a slave, written
// as its system writes them. The console learns the system from the
// slave's status (SlaveView.Status.Os) and shows Unix paths until then.
type serverPaths struct {
	goos      string // the slave's system, runtime.GOOS's words ("" not known)
	documents string // a folder to back up
	backup    string // a destination
	restore   string // a folder to restore into
	cache     string // a path pattern to exclude
	file      string // a file backed up
	inFolder  string // file, restored into a folder called FOLDER
}

var (
	unixPaths = serverPaths{documents: "/home/alice/Documents", backup: "/mnt/backup", restore: "/srv/restore",
		cache: "/home/*/.cache", file: "/home/alice/a.txt", inFolder: "FOLDER/home/alice/a.txt"}
	windowsPaths = serverPaths{documents: `C:\Users\alice\Documents`, backup: `D:\Backup`, restore: `D:\Restore`,
		cache: `C:\Users\*\AppData\Local\Temp`, file: `C:\Users\alice\a.txt`, inFolder: `FOLDER\C\Users\alice\a.txt`}
)

// pathsOn are the examples for the system goos (runtime.GOOS's words).
func pathsOn(goos string) serverPaths {
	eg := unixPaths
	if goos == "windows" {
		eg = windowsPaths
	}
	eg.goos = goos
	return eg
}

// osOf is the system v's agent last said it runs on, "" before its
// first status.
func osOf(v *master.SlaveView) string { return v.Status.GetOs() }

// intoNote says where a file restored into a folder goes.
func (p serverPaths) intoNote() string {
	return fmt.Sprintf("Each path keeps its full path below the folder: %s goes to %s.", p.file, p.inFolder)
}

// originalNote says where a file restored to where it was goes.
func (p serverPaths) originalNote() string {
	return fmt.Sprintf("Each path goes back to its own place on the server: %s to %s.", p.file, p.file)
}
