package backup

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"sort"
	"time"
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

// BrowsePage is one page of a folder's listing, in name order. Next, when
// not empty, is the cursor for the next page (pass it as After); pages are
// computed afresh from the snapshot, which never changes, so a cursor
// stays valid and the server keeps no state between pages.
type BrowsePage struct {
	Snapshot string        `json:"snapshot"`
	Dir      string        `json:"dir"` // as an original absolute path: /home/alice
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
	if limit <= 0 {
		limit = BrowseDefaultEntries
	}
	limit = min(limit, BrowseMaxEntries)
	page := BrowsePage{Snapshot: snap.ID, Dir: "/" + rel, Entries: []BrowseEntry{}}
	path := nativeRel(snap.Path, rel)
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return page, invalidf("%s is not a folder in snapshot %s", page.Dir, snap.ID)
		}
		return page, err
	}
	defer f.Close()
	names, err := f.Readdirnames(-1)
	if err != nil {
		return page, invalidf("%s is not a folder in snapshot %s", page.Dir, snap.ID)
	}
	if rel == "" {
		names = removeName(names, metaDir)
	}
	sort.Strings(names)
	page.Total = len(names)
	i := sort.SearchStrings(names, after)
	if after != "" && i < len(names) && names[i] == after {
		i++
	}
	envelope, _ := json.Marshal(page)
	bytes := len(envelope) + len(after)
	for ; i < len(names) && len(page.Entries) < limit; i++ {
		fi, err := os.Lstat(nativeRel(path, names[i]))
		if err != nil {
			continue
		}
		be := BrowseEntry{Name: names[i], Mode: entryMode(fi.Mode()), MTime: fi.ModTime()}
		switch {
		case fi.IsDir():
			be.Type = TypeDir
		case fi.Mode()&fs.ModeSymlink != 0:
			be.Type = TypeSymlink
			be.Target, _ = os.Readlink(nativeRel(path, names[i]))
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
	if i < len(names) && len(page.Entries) > 0 {
		page.Next = page.Entries[len(page.Entries)-1].Name
	}
	return page, nil
}

func removeName(names []string, name string) []string {
	out := names[:0]
	for _, n := range names {
		if n != name {
			out = append(out, n)
		}
	}
	return out
}
