package backup

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/lanyard/lanyard/core/human"
)

// Browse pages are small enough to travel as one message of under 16 KiB
// whatever the names: at most BrowseMaxEntries entries, and at most
// browseMaxBytes as JSON (a page always holds at least one entry).
const (
	BrowseDefaultEntries = 100
	BrowseMaxEntries     = 200
	browseMaxBytes       = 14 << 10
)

// BrowseEntry is one file, folder or link in a snapshot's folder.
type BrowseEntry struct {
	Name   string      `json:"name"`
	Type   string      `json:"type"` // dir, file, symlink
	Size   int64       `json:"size,omitempty"`
	Mode   fs.FileMode `json:"mode"`
	MTime  time.Time   `json:"mtime"`
	Target string      `json:"target,omitempty"`
}

// BrowsePage is one page of a folder's listing: its folders first, then
// its files and links, each in name order (human.CompareNames). Next,
// when not empty, is the cursor for the next page (pass it as After): the
// last entry's name, with a "/" after a folder's. A cursor stays valid
// however long it is kept: the server needs no state between pages, and
// keeps a large folder's sorted names a short while only to make its
// later pages cheap (listcache.go).
type BrowsePage struct {
	Snapshot string        `json:"snapshot,omitempty"` // "" for a folder of the server itself
	Dir      string        `json:"dir"`                // as an original absolute path: /home/alice
	Entries  []BrowseEntry `json:"entries"`
	Total    int           `json:"total"` // entries in the folder
	Next     string        `json:"next,omitempty"`
}

// Browse lists one folder of a snapshot: dir is an original absolute path
// (/home/alice) or a path inside the snapshot; "" or "/" is the top. It
// returns the entries after the name after, at most limit of them (0:
// BrowseDefaultEntries).
func Browse(snap SnapshotInfo, dir, after string, limit int) (BrowsePage, error) {
	rel, ok := cleanRel(dir)
	if !ok {
		return BrowsePage{}, invalidf("folder %q leaves the snapshot", dir)
	}
	page := BrowsePage{Snapshot: snap.ID, Dir: "/" + rel, Entries: []BrowseEntry{}}
	// Through the snapshot's root, as a restore reads it (snapfile.go):
	// a link put in place of a folder does not list one of the server's.
	snapRoot, err := os.OpenRoot(snap.Path)
	if err != nil {
		return page, fmt.Errorf("cannot read snapshot %s: %w", snap.ID, plainErr(err))
	}
	defer snapRoot.Close()
	folder, err := snapRoot.OpenRoot(inRoot(rel))
	switch err = snapshotPathErr(rel, err); {
	case err == nil:
	case errors.Is(err, errOutside):
		return page, invalidf("%s in snapshot %s %v", page.Dir, snap.ID, errOutside)
	case errors.Is(err, fs.ErrNotExist):
		return page, invalidf("%s is not a folder in snapshot %s (a folder is named by the path it was backed up from: list the top, /, to start)", page.Dir, snap.ID)
	case errors.Is(err, syscall.ENOTDIR):
		return page, invalidf("%s is not a folder in snapshot %s", page.Dir, snap.ID)
	default:
		return page, err
	}
	defer folder.Close()
	f, err := folder.Open(".")
	if err != nil {
		return page, err
	}
	defer f.Close()
	path := nativeRel(snap.Path, rel)
	all, err := listings.sorted(listingKey{path: path, hideMeta: rel == ""}, f, after == "")
	if err != nil {
		return page, invalidf("%s is not a folder in snapshot %s", page.Dir, snap.ID)
	}
	return listPage(page, folder, all, after, limit), nil
}

// listed is a folder's entry by where a listing puts it: folders first,
// then the rest, each by name as people count (file2 before file10).
type listed struct {
	dir  bool
	name string
}

func compareListed(a, b listed) int {
	if a.dir != b.dir {
		if a.dir {
			return -1
		}
		return 1
	}
	return human.CompareNames(a.name, b.name)
}

// cursor is the Next that marks e's place, and cursorOf reads it back.
func cursor(e listed) string {
	if e.dir {
		return e.name + "/"
	}
	return e.name
}

func cursorOf(after string) listed {
	name, dir := strings.CutSuffix(after, "/")
	return listed{dir: dir, name: name}
}

// listPage fills page with the entries of the folder dir, all as sorted by
// compareListed, after the cursor after: at most limit (0:
// BrowseDefaultEntries), and no more than fit in one message.
func listPage(page BrowsePage, dir *os.Root, all []listed, after string, limit int) BrowsePage {
	if limit <= 0 {
		limit = BrowseDefaultEntries
	}
	limit = min(limit, BrowseMaxEntries)
	page.Total = len(all)
	i := 0
	if after != "" {
		var found bool
		if i, found = slices.BinarySearchFunc(all, cursorOf(after), compareListed); found {
			i++
		}
	}
	envelope, _ := json.Marshal(page)
	bytes := len(envelope) + len(after)
	for ; i < len(all) && len(page.Entries) < limit; i++ {
		name := all[i].name
		fi, err := dir.Lstat(name)
		if err != nil {
			continue
		}
		be := BrowseEntry{Name: name, Mode: entryMode(fi.Mode()), MTime: fi.ModTime()}
		switch {
		case fi.IsDir():
			be.Type = TypeDir
		case fi.Mode()&fs.ModeSymlink != 0:
			be.Type = TypeSymlink
			be.Target, _ = dir.Readlink(name)
		default:
			be.Type, be.Size = TypeFile, fi.Size()
		}
		b, _ := json.Marshal(be)
		if bytes+len(b)+1 > browseMaxBytes && len(page.Entries) > 0 {
			break
		}
		bytes += len(b) + 1
		page.Entries = append(page.Entries, be)
	}
	if i < len(all) && len(page.Entries) > 0 {
		page.Next = cursor(all[i-1]) // the last entry read, as it was sorted
	}
	return page
}

// ListFolder lists one folder of this computer, a page at a time as
// Browse lists a snapshot's, for choosing a task's sources and
// destination from the console: dir is an absolute path; "" is the top
// (/, or on Windows its drives). A folder that changes between pages may
// show an entry twice or miss one; a person browsing sees it again on
// the next read.
func ListFolder(dir, after string, limit int) (BrowsePage, error) {
	if dir == "" {
		if names := driveRoots(); names != nil {
			page := BrowsePage{Entries: []BrowseEntry{}, Total: len(names)}
			for _, n := range names {
				if after == "" || human.CompareNames(n, after) > 0 {
					page.Entries = append(page.Entries, BrowseEntry{Name: n, Type: TypeDir, Mode: fs.ModeDir | 0o755})
				}
			}
			return page, nil
		}
		dir = string(filepath.Separator)
	}
	if !filepath.IsAbs(dir) {
		return BrowsePage{}, invalidf("%q is not an absolute path: give the folder's full path, such as %s", dir, exampleFolder)
	}
	dir = filepath.Clean(dir)
	page := BrowsePage{Dir: dir, Entries: []BrowseEntry{}}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return page, folderError(dir, err)
	}
	defer root.Close()
	f, err := root.Open(".")
	if err != nil {
		return page, folderError(dir, err)
	}
	defer f.Close()
	all, err := listings.sorted(listingKey{path: dir}, f, after == "")
	if err != nil {
		return page, folderError(dir, err)
	}
	return listPage(page, root, all, after, limit), nil
}

// folderError says why folder dir could not be listed.
func folderError(dir string, err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return invalidf("%s does not exist on this server", dir)
	case errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("%s may not be read by the agent (permission denied)", dir)
	}
	if fi, serr := os.Stat(dir); serr == nil && !fi.IsDir() {
		return invalidf("%s is a file, not a folder", dir)
	}
	return fmt.Errorf("could not read the folder %s: %w", dir, err)
}
