package backup

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/lanyard/lanyard/core/human"
)

// A file whose copy in a snapshot a verify found damaged must not be
// linked into the next snapshot: a hard link is the same damaged file
// under another name, and the run links any file whose size and time are
// those the manifest records (bit rot changes neither). So a verify that
// finds damage leaves a note in the task's folder, one file per verify
// under recopyDir; the next run reads every note there, copies the files
// they name afresh from the server, and once its snapshot is complete
// and the older snapshots mended (mend.go) removes the notes it read (a
// verify that ends during the run leaves its note for the run after). A
// note only ever makes a run copy more, so one that cannot be read is
// taken to name every file.

const (
	recopyDir = ".lanyard-recopy"
	// maxRecopyPaths bounds the files a note names; a verify that found
	// more notes that every file is to be copied.
	maxRecopyPaths = 100_000
	// maxRecopyNote bounds what a note is read to, and maxRecopyNotes how
	// many are read: more (verifies with no run between) and every file
	// is copied.
	maxRecopyNote  = 32 << 20
	maxRecopyNotes = 64
	recopyExt      = ".json"
)

// recopyNote is what a verify leaves for the next run.
type recopyNote struct {
	Snapshot string    `json:"snapshot"`
	Verified time.Time `json:"verified"`
	All      bool      `json:"all,omitempty"` // copy every file
	Paths    []string  `json:"paths,omitempty"`
}

// add names path in the note; with more than maxRecopyPaths it notes
// every file instead.
func (n *recopyNote) add(path string) {
	switch {
	case n.All:
	case len(n.Paths) < maxRecopyPaths:
		n.Paths = append(n.Paths, path)
	default: // too many to name: the next run copies every file
		n.All, n.Paths = true, nil
	}
}

// recopyPromise says, as a clause, what the next run does about the
// damaged copies a note named; noteErr: why the note could not be left.
func recopyPromise(noteErr string) string {
	if noteErr != "" {
		return "the next run could not be told to copy these files afresh (" + noteErr + "), so it may link the damaged copies: fix that and verify again"
	}
	return "the next run copies these files afresh from the server and mends the older snapshots that hold the same copies"
}

// writeRecopyNote leaves n in the task's folder taskDir for the next run.
func writeRecopyNote(taskDir string, n recopyNote) error {
	root, err := os.OpenRoot(taskDir)
	if err != nil {
		return destErr(err)
	}
	defer root.Close()
	if err := root.Mkdir(recopyDir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return destErr(err)
	}
	// Inside the task's folder only: a link put in the note folder's
	// place cannot have a note written elsewhere.
	dir, err := root.OpenRoot(recopyDir)
	if err != nil {
		return destErr(err)
	}
	defer dir.Close()
	b, err := json.Marshal(n)
	if err != nil {
		return err
	}
	name := n.Snapshot + "-" + strconv.FormatInt(n.Verified.UnixNano(), 10) + recopyExt
	f, err := dir.OpenFile(name+partialSuffix, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return destErr(err)
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = dir.Rename(name+partialSuffix, name)
	}
	if err != nil {
		_ = dir.Remove(name + partialSuffix)
		return destErr(err)
	}
	_ = syncDir(filepath.Join(taskDir, recopyDir))
	return nil
}

// recopySet is what the notes in a task's folder ask of a run.
type recopySet struct {
	all   bool
	paths map[string]bool
	notes []string // the notes read, removed once the snapshot is complete
}

// has says whether the file at rel in the snapshot is to be copied afresh.
func (s *recopySet) has(rel string) bool { return s.all || s.paths[rel] }

// size is how many files the notes name; -1 for all of them.
func (s *recopySet) size() int {
	if s.all {
		return -1
	}
	return len(s.paths)
}

// readRecopyNotes reads every note in the task's folder taskDir.
func readRecopyNotes(log logrus.FieldLogger, taskDir string) recopySet {
	s := recopySet{paths: map[string]bool{}}
	root, err := os.OpenRoot(taskDir)
	if err != nil {
		return s
	}
	defer root.Close()
	dir, err := root.OpenRoot(recopyDir)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			log.WithError(err).Warnf("cannot read %s in %s: every file is copied afresh", recopyDir, taskDir)
			s.all = true
		}
		return s
	}
	defer dir.Close()
	f, err := dir.Open(".")
	if err != nil {
		s.all = true
		return s
	}
	names, err := f.Readdirnames(-1)
	_ = f.Close()
	if err != nil {
		s.all = true
	}
	for _, name := range names {
		if !strings.HasSuffix(name, recopyExt) {
			continue
		}
		s.notes = append(s.notes, name)
		if len(s.notes) > maxRecopyNotes {
			s.all = true
			continue
		}
		if err := s.add(dir, name); err != nil {
			log.WithError(err).Warnf("cannot read the note %s in %s: every file is copied afresh", name, filepath.Join(taskDir, recopyDir))
			s.all = true
		}
	}
	return s
}

func (s *recopySet) add(dir *os.Root, name string) error {
	f, err := dir.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxRecopyNote+1))
	if err != nil {
		return err
	}
	if len(b) > maxRecopyNote {
		return fmt.Errorf("larger than %d bytes", maxRecopyNote)
	}
	var n recopyNote
	if err := json.Unmarshal(b, &n); err != nil {
		return err
	}
	s.all = s.all || n.All
	for _, p := range n.Paths {
		s.paths[p] = true
	}
	return nil
}

// done removes the notes read, the run's snapshot holding fresh copies.
func (s *recopySet) done(log logrus.FieldLogger, taskDir string) {
	if len(s.notes) == 0 {
		return
	}
	root, err := os.OpenRoot(taskDir)
	if err != nil {
		return
	}
	defer root.Close()
	dir, err := root.OpenRoot(recopyDir)
	if err != nil {
		return
	}
	defer dir.Close()
	for _, name := range s.notes {
		if err := dir.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
			log.WithError(err).Warnf("cannot remove the note %s in %s: the next run copies its files afresh again", name, filepath.Join(taskDir, recopyDir))
		}
	}
	_ = root.Remove(recopyDir) // once empty: a verify since keeps it
}

// recopyWords says how many files a run copies afresh: n, or -1 for all.
func recopyWords(n int) string {
	if n < 0 {
		return "every file"
	}
	return human.Plural(n, "file", "files")
}
