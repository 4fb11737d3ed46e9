package backup

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/lanyard/lanyard/core/wire"
)

// Files in a snapshot's metaDir.
const (
	manifestFile = "manifest.jsonl"
	summaryFile  = "snapshot.json"
)

// Bounds of what a snapshot's files are read to (snapfile.go): a
// manifest's entry holds two paths of at most 4 KiB each, escaped; a
// summary, the task's sources.
const (
	maxManifestLine = 1 << 20
	maxSummary      = 4 << 20
)

// ManifestPath is where the manifest of the snapshot in snapDir is: the
// file a search reads.
func ManifestPath(snapDir string) string { return filepath.Join(snapDir, metaDir, manifestFile) }

// HashName is the content hash of every manifest this build writes.
const HashName = "blake3"

// Entry types in a manifest.
const (
	TypeDir     = "dir"
	TypeFile    = "file"
	TypeSymlink = "symlink"
)

// Entry is one line of a snapshot's manifest: a folder, file or symbolic
// link, at its path relative to the snapshot's root (slash-separated; the
// source's full path, so /home/alice/a.txt is home/alice/a.txt).
type Entry struct {
	Path  string      `json:"path"`
	Type  string      `json:"type"`
	Size  int64       `json:"size,omitempty"`
	Mode  fs.FileMode `json:"mode"`  // permission and set-id/sticky bits
	MTime int64       `json:"mtime"` // Unix nanoseconds
	UID   int         `json:"uid,omitempty"`
	GID   int         `json:"gid,omitempty"`
	Hash  string      `json:"hash,omitempty"`   // hex BLAKE3-256 of a file's content
	Link  string      `json:"target,omitempty"` // a symbolic link's target
}

// ModTime is the entry's modification time.
func (e *Entry) ModTime() time.Time { return time.Unix(0, e.MTime) }

// manifestHeader is the manifest's first line.
type manifestHeader struct {
	Format int    `json:"lanyard_manifest"`
	Hash   string `json:"hash"`
}

// writeManifest writes entries (already in path order) to path.
func writeManifest(path string, entries []Entry) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return destErr(err)
	}
	w := bufio.NewWriterSize(f, 256<<10)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	err = enc.Encode(manifestHeader{Format: 1, Hash: HashName})
	for i := 0; err == nil && i < len(entries); i++ {
		err = enc.Encode(&entries[i])
	}
	if err == nil {
		err = w.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return destErr(err)
	}
	return nil
}

// readManifest reads a snapshot's manifest, calling fn for every entry in
// order.
func readManifest(snapDir string, fn func(*Entry) error) error {
	return scanManifest(snapDir, nil, fn)
}

// scanManifest is readManifest that reads only the entries whose line
// keep accepts (nil: every one): a search passes over most lines without
// decoding them.
func scanManifest(snapDir string, keep func(line []byte) bool, fn func(*Entry) error) error {
	path := ManifestPath(snapDir)
	f, err := openOnDest(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("snapshot %s has no manifest (%s): it is not a complete Lanyard snapshot", filepath.Base(snapDir), path)
		}
		return fmt.Errorf("cannot read the manifest of snapshot %s: %w", filepath.Base(snapDir), err)
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 256<<10)
	h, err := readManifestHeader(r)
	if err != nil || h.Format != 1 {
		return fmt.Errorf("the manifest %s is damaged or from a newer Lanyard (%v)", path, err)
	}
	if h.Hash != HashName {
		return fmt.Errorf("the manifest %s uses the hash %s, which this Lanyard does not know: upgrade it", path, wire.Quote(h.Hash))
	}
	var long []byte // a line longer than r's buffer, put together
	for line := 2; ; line++ {
		b, err := readLine(r, &long)
		if err != nil && err != io.EOF {
			return fmt.Errorf("cannot read the manifest %s at entry %d: %w", path, line, err)
		}
		if len(bytes.TrimSpace(b)) > 0 && (keep == nil || keep(b)) {
			if err := manifestEntry(path, line, b, fn); err != nil {
				return err
			}
		}
		if err == io.EOF {
			return nil
		}
	}
}

// readLine reads the next line of r, valid until the next read: in r's
// buffer, without a copy, or in *long when it is longer than the buffer.
func readLine(r *bufio.Reader, long *[]byte) ([]byte, error) {
	b, err := r.ReadSlice('\n')
	if !errors.Is(err, bufio.ErrBufferFull) {
		return b, err
	}
	*long = append((*long)[:0], b...)
	for errors.Is(err, bufio.ErrBufferFull) {
		if len(*long) > maxManifestLine {
			return nil, fmt.Errorf("a line longer than %d bytes, which no entry is", maxManifestLine)
		}
		b, err = r.ReadSlice('\n')
		*long = append(*long, b...)
	}
	return *long, err
}

// readManifestHeader reads a manifest's first line.
func readManifestHeader(r *bufio.Reader) (manifestHeader, error) {
	var h manifestHeader
	var long []byte
	b, err := readLine(r, &long)
	if err != nil && err != io.EOF {
		return h, err
	}
	return h, json.Unmarshal(b, &h)
}

// manifestEntry decodes line number n of the manifest at path, and hands
// the entry to fn.
func manifestEntry(path string, n int, b []byte, fn func(*Entry) error) error {
	var e Entry
	if err := json.Unmarshal(b, &e); err != nil {
		return fmt.Errorf("the manifest %s is damaged at entry %d: %v", path, n, err)
	}
	if !inSnapshot(e.Path) {
		return fmt.Errorf("the manifest %s is damaged at entry %d: path %s leaves the snapshot", path, n, wire.Quote(e.Path))
	}
	return fn(&e)
}

// loadManifest is the whole manifest as a map by path.
func loadManifest(snapDir string) (map[string]*Entry, error) {
	m := map[string]*Entry{}
	err := readManifest(snapDir, func(e *Entry) error {
		c := *e
		m[c.Path] = &c
		return nil
	})
	return m, err
}
