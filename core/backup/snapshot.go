package backup

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Snapshot folder names: the run's start in UTC, without colons (which
// Windows and SMB shares refuse), e.g. 2025-06-01T020000Z; a second run
// in the same second gets -2, -3… A run writes into ID + partialSuffix and
// renames to ID only when everything is in place and synced; retention
// renames to ID + removingSuffix before deleting, so a final name always
// means a complete snapshot.
const (
	idLayout       = "2006-01-02T150405Z"
	partialSuffix  = ".partial"
	removingSuffix = ".removing"
)

// SnapshotInfo describes one complete snapshot.
type SnapshotInfo struct {
	ID       string    `json:"id"`
	Path     string    `json:"path"`
	Time     time.Time `json:"time"` // when its run started
	Finished time.Time `json:"finished,omitzero"`
	Result   Result    `json:"result"`
	Files    int64     `json:"files"`
	Bytes    int64     `json:"bytes"`
	Dirs     int64     `json:"dirs"`
	Symlinks int64     `json:"symlinks"`
	Warnings int       `json:"warnings"`
	Sources  []string  `json:"sources,omitempty"`
}

// snapshotID is the folder name for a run started at t.
func snapshotID(t time.Time) string { return t.UTC().Format(idLayout) }

// parseID reads the time out of a snapshot's folder name; ok is false for
// anything else.
func parseID(name string) (time.Time, bool) {
	if len(name) < len(idLayout) {
		return time.Time{}, false
	}
	t, err := time.Parse(idLayout, name[:len(idLayout)])
	if err != nil {
		return time.Time{}, false
	}
	if rest := name[len(idLayout):]; rest != "" {
		if len(rest) < 2 || rest[0] != '-' || strings.Trim(rest[1:], "0123456789") != "" {
			return time.Time{}, false
		}
	}
	return t, true
}

// TaskDir is the folder that holds a task's snapshots.
func TaskDir(dest, task string) string { return filepath.Join(dest, task) }

// ListSnapshots lists the complete snapshots of task under dest, oldest
// first. A destination or task folder that does not exist has none.
func ListSnapshots(dest, task string) ([]SnapshotInfo, error) {
	dir := TaskDir(dest, task)
	names, err := snapshotNames(dir)
	if err != nil {
		return nil, err
	}
	out := make([]SnapshotInfo, 0, len(names))
	for _, n := range names {
		out = append(out, readSummary(filepath.Join(dir, n.name), n.time))
	}
	return out, nil
}

type snapshotName struct {
	name string
	time time.Time
}

// snapshotNames are the folders of complete snapshots in a task's folder
// dir, by ID (oldest first), their summaries not read.
func snapshotNames(dir string) ([]snapshotName, error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cannot list the snapshots in %s: %w", dir, err)
	}
	var out []snapshotName
	for _, e := range ents {
		if t, ok := parseID(e.Name()); ok && e.IsDir() {
			out = append(out, snapshotName{e.Name(), t})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out, nil
}

// readSummary is a snapshot's description from its summary file; one
// without (copied in by hand, or damaged) says so in Result.
func readSummary(path string, t time.Time) SnapshotInfo {
	info := SnapshotInfo{ID: filepath.Base(path), Path: path, Time: t}
	b, err := readOnDest(filepath.Join(path, metaDir, summaryFile), maxSummary)
	if err == nil {
		err = json.Unmarshal(b, &info)
	}
	info.ID, info.Path = filepath.Base(path), path
	if err != nil {
		info.Result = Result("unreadable: " + err.Error())
	}
	return info
}

// FindSnapshot resolves id (a snapshot's ID, with or without its final
// Z, or "latest") among the complete snapshots of task under dest. It
// reads that snapshot's summary alone: a restore or a browse asks for one
// folder at a time, and a task may have thousands of snapshots on a slow
// share.
func FindSnapshot(dest, task, id string) (SnapshotInfo, error) {
	dir := TaskDir(dest, task)
	latest := id == "" || strings.EqualFold(id, "latest")
	if !latest {
		for _, name := range []string{id, id + "Z"} {
			t, ok := parseID(name)
			if !ok {
				continue
			}
			if fi, err := os.Stat(filepath.Join(dir, name)); err == nil && fi.IsDir() {
				return readSummary(filepath.Join(dir, name), t), nil
			}
		}
	}
	names, err := snapshotNames(dir)
	switch {
	case err != nil:
		return SnapshotInfo{}, err
	case len(names) == 0:
		return SnapshotInfo{}, invalidf("task %s has no snapshots in %s yet", task, dest)
	case latest:
		last := names[len(names)-1]
		return readSummary(filepath.Join(dir, last.name), last.time), nil
	}
	return SnapshotInfo{}, invalidf("task %s has no snapshot %q (task snapshots %s lists them)", task, id, task)
}
