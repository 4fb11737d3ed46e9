package backup

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/lanyard/lanyard/core/human"
)

// How many files a search lists: by default, and at most.
const (
	FindDefaultLimit = 100
	FindMaxLimit     = 1000
)

// FoundFile is one version of a file, folder or link a search found:
// listed once, with the newest snapshot searched that holds it (the one
// to restore it from) and how many hold it. A version is its type, size,
// modification time and content: an unchanged file in 30 daily
// snapshots is one version, in 30 snapshots.
type FoundFile struct {
	Snapshot string    `json:"snapshot"`
	Time     time.Time `json:"time"` // the snapshot's
	Path     string    `json:"path"` // where it was backed up from
	// InSnapshot is its path as task browse and a restore's tree name
	// it: /home/alice/a.txt, or /C/Users/alice/a.txt from Windows.
	InSnapshot string    `json:"in_snapshot"`
	Type       string    `json:"type"` // dir, file, symlink
	Size       int64     `json:"size,omitempty"`
	MTime      time.Time `json:"mtime"`
	// In is how many of the snapshots searched hold this version, and
	// Oldest the oldest of them (its ID and time). An agent older than
	// this listed a version once for each snapshot: 0 there is 1.
	In         int       `json:"in_snapshots"`
	Oldest     string    `json:"oldest_snapshot"`
	OldestTime time.Time `json:"oldest_time"`
	// Gone: this is its path's newest version, and the newest snapshot
	// searched does not hold the path: it was deleted, moved or excluded
	// after Snapshot (FindReport.Finish says so).
	Gone bool `json:"gone,omitempty"`
}

// Snapshots is how many of the snapshots searched hold f's version.
func (f *FoundFile) Snapshots() int { return max(f.In, 1) }

// Modified is f's modification time as Find shows it, to the second
// (two versions of one size saved within a minute differ only there):
// "2026-12-04 17:41:09".
func (f *FoundFile) Modified() string { return f.MTime.Local().Format("2006-01-02 15:04:05") }

// AlsoIn counts one more snapshot, older than those counted, that holds
// f's version: snapshot, taken at t.
func (f *FoundFile) AlsoIn(snapshot string, t time.Time) {
	f.In = f.Snapshots() + 1
	f.Oldest, f.OldestTime = snapshot, t
}

// FindReport is what a search found, newest snapshot first.
type FindReport struct {
	Task      string      `json:"task"`
	Pattern   string      `json:"pattern"`
	Snapshots int         `json:"snapshots"` // how many were searched
	Found     []FoundFile `json:"found"`     // each version once
	// More: the search stopped at its limit; older snapshots, or more of
	// the last one searched, may hold more.
	More bool `json:"more,omitempty"`
	// Newest is the newest snapshot searched (empty: none, or from an
	// agent older than this).
	Newest     string    `json:"newest_snapshot,omitempty"`
	NewestTime time.Time `json:"newest_time,omitzero"`
	// Unreadable are the snapshots searched whose manifest could not be
	// read (damaged, or changed on the destination; the agent's log says
	// why): what they hold is not in Found.
	Unreadable []string `json:"unreadable,omitempty"`
}

// FindPart is what searching one snapshot, taken at Time, added to a
// search: the versions no newer snapshot held (New), and the places in
// the report's Found of those found before that it holds too (Again).
// A search hands its parts on as it goes; Add makes the report of them.
type FindPart struct {
	Snapshot string
	Time     time.Time
	New      []FoundFile
	Again    []int
}

// Add puts what part found into r: an agent's parts, one after another,
// make its report. A place in Again that r does not hold (a part out of
// order, or not an agent's) is passed over.
func (r *FindReport) Add(part FindPart) {
	for _, i := range part.Again {
		if i >= 0 && i < len(r.Found) {
			r.Found[i].AlsoIn(part.Snapshot, part.Time)
		}
	}
	r.Found = append(r.Found, part.New...)
}

// Finish ends a report made of parts: newest, taken at t, was the newest
// snapshot searched, and each path whose newest version is in an older
// one is marked Gone. (Newer snapshots are searched first, so a path a
// newer one held has a newer version listed before.)
func (r *FindReport) Finish(newest string, t time.Time) {
	r.Newest, r.NewestTime = newest, t
	if newest == "" {
		return
	}
	seen := make(map[string]bool, len(r.Found))
	for i := range r.Found {
		f := &r.Found[i]
		p := cmp.Or(f.InSnapshot, f.Path)
		if !seen[p] {
			seen[p] = true
			f.Gone = f.Snapshot != newest
		}
	}
}

// Summary says how many were found in how many snapshots: "3 found in
// 12 snapshots", "1 found (2 versions) in 12 snapshots" for a file that
// changed, `nothing matches "report*.odt" in 12 snapshots` (for a name
// alone, how to look for names holding it), "no
// snapshots to look in yet", and at the limit what to do for the rest.
func (r *FindReport) Summary() string { return r.summary() + r.unread() }

func (r *FindReport) summary() string {
	in := human.Plural(r.Snapshots, "snapshot", "snapshots")
	switch {
	case r.Snapshots == 0 && len(r.Found) == 0:
		return "no snapshots to look in yet"
	case len(r.Found) == 0 && isPlainName(r.Pattern):
		return fmt.Sprintf("nothing is named %q in %s: for names with %s in them, look for %q", r.Pattern, in, r.Pattern, "*"+r.Pattern+"*")
	case len(r.Found) == 0:
		return fmt.Sprintf("nothing matches %q in %s", r.Pattern, in)
	case r.More:
		return fmt.Sprintf("the first %s found, in the newest %s; there are more: narrow the pattern", human.Count(len(r.Found)), in)
	}
	paths := r.paths()
	found := human.Count(paths) + " found"
	if paths < len(r.Found) {
		found += " (" + human.Plural(len(r.Found), "version", "versions") + ")"
	}
	return found + " in " + in
}

// isPlainName says whether pattern is a name alone, no wildcard and no
// folder: a search for "budget" finds only files named budget, and a
// person who meant a part of a name is told how to ask for that.
func isPlainName(pattern string) bool {
	return pattern != "" && !strings.ContainsAny(pattern, `*?[{/\`)
}

// unread is what Summary adds for the snapshots that could not be read:
// "; snapshot 2026-12-01T020000Z could not be read (see the agent's
// log)".
func (r *FindReport) unread() string {
	switch n := len(r.Unreadable); n {
	case 0:
		return ""
	case 1:
		return "; snapshot " + r.Unreadable[0] + " could not be read (see the agent's log)"
	default:
		return fmt.Sprintf("; %s snapshots could not be read: %s (see the agent's log)", human.Count(n), human.List(r.Unreadable[:min(n, 3)], n))
	}
}

// paths is how many files, folders and links r found, each however many
// versions of it there are.
func (r *FindReport) paths() int {
	seen := make(map[string]bool, len(r.Found))
	for _, f := range r.Found {
		seen[cmp.Or(f.InSnapshot, f.Path)] = true
	}
	return len(seen)
}

// errFindFull stops reading a manifest once a search has all it lists.
var errFindFull = errors.New("the search has found as many as it lists")

// ValidFindPattern checks a search's pattern as an agent on the system
// goos (runtime.GOOS's words) reads it: C:\Users\ is a folder on Windows
// and an unfinished escape elsewhere. With goos "" (the agent's system
// not known) it refuses only what no agent would take.
func ValidFindPattern(goos, pattern string) error {
	if strings.TrimSpace(pattern) == "" {
		return invalidf("give a name or a pattern to look for, such as report*.odt or /home/alice/**/*.xlsx")
	}
	valid := compilePattern(goos, pattern, true).valid()
	if goos == "" {
		valid = valid || compilePattern("windows", pattern, true).valid()
	}
	if !valid {
		return invalidf("%q is not a valid pattern: use *, ** and ? (e.g. report*.odt or /home/alice/**/*.xlsx)", pattern)
	}
	return nil
}

// Find looks through the manifests of snaps, newest first, for the files,
// folders and links pattern matches, as an exclude would, but regardless
// of case: "report*.odt" matches any such name, "/home/alice/**/*.xlsx"
// whole paths. It lists each version once, with the newest snapshot that
// holds it and how many do, and at most limit versions (0:
// FindDefaultLimit). A snapshot removed meanwhile is passed over, and
// one whose manifest cannot be read too, named in the report's
// Unreadable. p (nil: none) hears how many snapshots, and how much of their
// manifests, it has read, and found (nil: none) what each snapshot added
// to the report once it is searched, also when the search is called off
// in it: a search that ends early, the report's error its context's, has
// still found that. The report is Finished: a file the newest snapshot
// does not hold is marked Gone.
func (e *Engine) Find(ctx context.Context, snaps []SnapshotInfo, task, pattern string, limit int, p Progress, found func(FindPart)) (FindReport, error) {
	rep := FindReport{Task: task, Pattern: pattern, Found: []FoundFile{}}
	if err := ValidFindPattern(runtime.GOOS, pattern); err != nil {
		return rep, err
	}
	if limit <= 0 {
		limit = FindDefaultLimit
	}
	s := search{pattern: findPattern(pattern), limit: min(limit, FindMaxLimit), seen: map[version]int{}}
	newest := slices.Clone(snaps)
	slices.SortStableFunc(newest, func(a, b SnapshotInfo) int { return b.Time.Compare(a.Time) })
	m := newMeter(task, p, 0)
	defer m.close()
	m.setPhase(PhaseSearching)
	m.filesTotal.Store(int64(len(newest)))
	sizes, total := manifestSizes(newest)
	m.bytesTotal.Store(total)
	var through int64         // the bytes of the manifests searched to the end
	var searched SnapshotInfo // the newest searched to its end
	finish := func(err error) (FindReport, error) {
		rep.Finish(searched.ID, searched.Time)
		return rep, err
	}
	for i, snap := range newest {
		if err := ctx.Err(); err != nil {
			return finish(err)
		}
		rep.Snapshots++
		m.setCurrent(snap.ID)
		part, err := e.findIn(ctx, snap, &s, m)
		if searched.ID == "" && (err == nil || errors.Is(err, errFindFull)) {
			searched = snap
		}
		if err != nil && !errors.Is(err, errFindFull) && ctx.Err() == nil && !gone(snap.Path) {
			e.log.WithError(err).Warnf("task %s: cannot search snapshot %s; passed over", task, snap.ID)
			rep.Unreadable = append(rep.Unreadable, snap.ID)
		}
		rep.Add(part)
		if found != nil && (len(part.New) > 0 || len(part.Again) > 0) {
			found(part)
		}
		m.filesDone.Add(1)
		if through += sizes[i]; err == nil {
			m.bytesDone.Store(through) // with the header line, which keep does not see
		}
		switch {
		case errors.Is(err, errFindFull):
			rep.More = true
			return finish(nil)
		case ctx.Err() != nil:
			return finish(ctx.Err())
		}
	}
	return finish(nil)
}

// search is what a Find goes by from one snapshot to the next: its
// pattern, how many versions it lists, and the place in its report of
// each version found so far.
type search struct {
	pattern pathPattern
	limit   int
	seen    map[version]int
}

// version is what makes entries of two snapshots the same version of a
// file: the same path, type, size, modification time, content and, for a
// link, target. A permission change alone does not make a new one.
type version struct {
	path, typ, hash, target string
	size, mtime             int64
}

func versionOf(en *Entry) version {
	return version{path: en.Path, typ: en.Type, hash: en.Hash, target: en.Link, size: en.Size, mtime: en.MTime}
}

// manifestSizes are the sizes of the manifests of snaps, what a search of
// them reads, and their sum.
func manifestSizes(snaps []SnapshotInfo) (sizes []int64, total int64) {
	sizes = make([]int64, len(snaps))
	for i, s := range snaps {
		if fi, err := os.Stat(ManifestPath(s.Path)); err == nil {
			sizes[i] = fi.Size()
			total += fi.Size()
		}
	}
	return sizes, total
}

// findCheckEvery is how many manifest lines a search reads between two
// looks at whether it was called off.
const findCheckEvery = 4096

// findPattern reads a search's pattern: as the agent's system writes
// paths, regardless of case.
func findPattern(pattern string) pathPattern { return compilePattern(runtime.GOOS, pattern, true) }

// findIn searches snap for s's pattern: what it finds that no newer
// snapshot held is new, the rest again. It says errFindFull when snap
// holds a version more than s may list (having counted those it lists
// that snap holds), and stops within findCheckEvery lines of
// ctx's end. m counts the bytes read.
func (e *Engine) findIn(ctx context.Context, snap SnapshotInfo, s *search, m *meter) (FindPart, error) {
	defer e.hold(snap.Path)()
	part := FindPart{Snapshot: snap.ID, Time: snap.Time}
	hint, lines, read := findHint(s.pattern.glob), 0, int64(0)
	keep := func(line []byte) bool {
		read += int64(len(line))
		if lines++; lines%findCheckEvery == 0 {
			m.bytesDone.Add(read)
			read = 0
			if ctx.Err() != nil {
				return true // for the entry's own look, below, to stop the scan
			}
		}
		if hint != nil && !containsFold(line, hint) {
			return false
		}
		if p, ok := linePath(line); ok {
			return s.pattern.match(p) // decoded only when it matches
		}
		return true
	}
	defer func() { m.bytesDone.Add(read) }()
	full := false
	err := scanManifest(snap.Path, keep, func(en *Entry) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if !s.pattern.match(en.Path) {
			return nil
		}
		v := versionOf(en)
		if i, ok := s.seen[v]; ok {
			part.Again = append(part.Again, i)
			return nil
		}
		if len(s.seen) == s.limit {
			full = true // the rest of snap may still hold versions listed
			return nil
		}
		s.seen[v] = len(s.seen)
		part.New = append(part.New, FoundFile{Snapshot: snap.ID, Time: snap.Time, Path: originalPath(en.Path), InSnapshot: "/" + en.Path,
			Type: en.Type, Size: en.Size, MTime: en.ModTime(), In: 1, Oldest: snap.ID, OldestTime: snap.Time})
		return nil
	})
	if err == nil && full {
		err = errFindFull
	}
	return part, err
}

// findHint is a piece of a glob (in lower case) that the manifest line
// of every entry it matches holds as it is, the longest there is: a
// search then decodes only the lines that hold it. It is nil when the
// pattern has none to rely on: a class ([0-9]), alternatives ({a,b}) or
// an escape, or no plain piece of two characters or more.
func findHint(pattern string) []byte {
	if strings.ContainsAny(pattern, `[]{}\`) {
		return nil
	}
	best := ""
	for _, part := range strings.FieldsFunc(pattern, func(r rune) bool { return r == '*' || r == '?' }) {
		// A separator beside a star may stand for none: **/build/**
		// matches the folder build at the top.
		part = strings.Trim(part, "/")
		if len(part) > len(best) && plainInJSON(part) {
			best = part
		}
	}
	if len(best) < 2 {
		return nil
	}
	return []byte(best)
}

// linePath is the path of a manifest line's entry, read without decoding
// the line: its first field, when it is written as it is (no escape), as
// the manifest writes every plain path. ok is false otherwise: decode.
func linePath(line []byte) (p string, ok bool) {
	rest, ok := bytes.CutPrefix(line, []byte(`{"path":"`))
	if !ok {
		return "", false
	}
	end := bytes.IndexAny(rest, `"\`)
	if end < 0 || rest[end] != '"' {
		return "", false
	}
	return string(rest[:end]), true
}

// containsFold says whether line holds hint, a piece of lower-case ASCII,
// in any case, as bytes.Contains(bytes.ToLower(line), hint) does, and on
// an ASCII line (most are) without making a lower-case copy. What it
// finds with ASCII's case rules the slow way finds too (hint, ASCII,
// matches only ASCII bytes, which ToLower leaves where they are); only a
// line it does not find hint in and that is not all ASCII is lowered.
func containsFold(line, hint []byte) bool {
	if containsFoldASCII(line, hint) {
		return true
	}
	if isASCII(line) {
		return false
	}
	return bytes.Contains(bytes.ToLower(line), hint) // Unicode's case rules (K, the Kelvin sign, is k)
}

// containsFoldASCII says whether line holds hint (lower-case ASCII) with
// its letters in either case. It goes from one place where hint's first
// byte is, in either case, to the next (bytes.IndexByte: many bytes at a
// step), and compares hint there.
func containsFoldASCII(line, hint []byte) bool {
	lower, upper := hint[0], upperASCII(hint[0])
	for len(line) >= len(hint) {
		starts := line[:len(line)-len(hint)+1]
		i := bytes.IndexByte(starts, lower)
		if upper != lower {
			if i >= 0 {
				starts = starts[:i]
			}
			if j := bytes.IndexByte(starts, upper); j >= 0 {
				i = j
			}
		}
		if i < 0 {
			return false
		}
		if equalFoldASCII(line[i+1:i+len(hint)], hint[1:]) {
			return true
		}
		line = line[i+1:]
	}
	return false
}

// isASCII says whether every byte of b is ASCII, eight at a step.
func isASCII(b []byte) bool {
	const high = 0x8080808080808080
	for ; len(b) >= 8; b = b[8:] {
		if binary.LittleEndian.Uint64(b)&high != 0 {
			return false
		}
	}
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// equalFoldASCII: a, ASCII, is b (lower case) in any case.
func equalFoldASCII(a, b []byte) bool {
	for i := range b {
		if lowerASCII(a[i]) != b[i] {
			return false
		}
	}
	return true
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func upperASCII(c byte) byte {
	if 'a' <= c && c <= 'z' {
		return c - ('a' - 'A')
	}
	return c
}

// plainInJSON: s is written as it is inside a JSON string (no quote,
// backslash, control or non-ASCII character, nor one that Go escapes).
func plainInJSON(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return false
		}
	}
	return true
}

// gone says whether the folder at path is no longer there (a snapshot
// retention or a deletion removed while it was searched).
func gone(path string) bool {
	_, err := os.Lstat(path)
	return errors.Is(err, fs.ErrNotExist)
}
