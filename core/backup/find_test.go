//go:build unix

package backup_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/lanyard/lanyard/core/backup"
)

// A file is found in every snapshot that holds it, newest first, by its
// name in any case or by a pattern of its path, as many as asked for.
func TestFindLooksForAFileInEverySnapshot(t *testing.T) {
	f, e, first := backedUpRichTree(t)
	report := filepath.Join(f.src, "docs/report.txt")
	later := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	_ = os.WriteFile(report, []byte("the report, longer now"), 0o640)
	_ = os.Chtimes(report, later, later)
	f.mustRun(e, backup.ResultCompleted)
	snaps := f.snapshots()
	if len(snaps) != 2 {
		t.Fatalf("%d snapshots", len(snaps))
	}
	second := snaps[1]
	if second.ID == first.ID {
		second = snaps[0]
	}

	var each []backup.FindPart // what each snapshot held, as it was searched
	rep, err := e.Find(context.Background(), snaps, "docs", "REPORT.TXT", 0, nil, func(p backup.FindPart) { each = append(each, p) })
	if err != nil || rep.Snapshots != 2 || rep.More || len(rep.Found) != 2 {
		t.Fatalf("by its name: %+v %v", rep, err)
	}
	if len(each) != 2 || len(each[0].New) != 1 || len(each[1].New) != 1 || each[0].New[0] != rep.Found[0] || each[1].New[0] != rep.Found[1] {
		t.Errorf("heard %+v as the snapshots were searched, want %+v one by one", each, rep.Found)
	}
	newest, oldest := rep.Found[0], rep.Found[1]
	if newest.Snapshot != second.ID || newest.Path != report || newest.Size != 22 || !newest.MTime.Equal(later) || newest.Type != backup.TypeFile ||
		oldest.Snapshot != first.ID || oldest.Size != 10 || newest.In != 1 || newest.Oldest != second.ID || oldest.Oldest != first.ID {
		t.Errorf("found %+v", rep.Found)
	}
	// Its path in the snapshot is the one browsing it names.
	page, err := backup.Browse(second, filepath.Dir(report), "", 0)
	if err != nil || !slices.ContainsFunc(page.Entries, func(en backup.BrowseEntry) bool { return page.Dir+"/"+en.Name == newest.InSnapshot }) {
		t.Errorf("%s is not in the folder browsed, %s: %v", newest.InSnapshot, page.Dir, err)
	}
	// A path pattern, across folders.
	// The two pictures did not change: each is one version, in both.
	rep, err = e.Find(context.Background(), snaps, "docs", filepath.Join(f.src, "**", "*.jpg"), 0, nil, nil)
	if err != nil || len(rep.Found) != 2 || rep.Found[0].In != 2 || rep.Found[0].Snapshot != second.ID || rep.Found[0].Oldest != first.ID {
		t.Errorf("by a path pattern: %+v %v", rep, err)
	}
	// At most as many as asked for, and it says there are more.
	rep, err = e.Find(context.Background(), snaps, "docs", "*", 3, nil, nil)
	if err != nil || len(rep.Found) != 3 || !rep.More || rep.Snapshots != 1 {
		t.Errorf("a limit of 3: %d found, more %v, %d snapshots searched, %v", len(rep.Found), rep.More, rep.Snapshots, err)
	}
	if rep, err := e.Find(context.Background(), snaps, "docs", "no-such-file", 0, nil, nil); err != nil || len(rep.Found) != 0 || rep.Snapshots != 2 {
		t.Errorf("nothing found: %+v %v", rep, err)
	}
	for _, bad := range []string{"", "  ", "report[.txt"} {
		if _, err := e.Find(context.Background(), snaps, "docs", bad, 0, nil, nil); !errors.Is(err, backup.ErrInvalid) {
			t.Errorf("pattern %q: %v", bad, err)
		}
	}
}

// A file that did not change is one version, listed once with the
// newest snapshot that holds it, however many snapshots hold it; each
// change makes another, and the limit counts versions: older versions
// are not crowded out by copies of newer ones.
func TestFindListsEachVersionOnceWithTheSnapshotsThatHoldIt(t *testing.T) {
	f := newFixture(t)
	budget, notes := filepath.Join(f.src, "budget.xlsx"), filepath.Join(f.src, "notes.txt")
	e := backup.New(backup.Options{})
	stamp := func(p, content string, day int) {
		t.Helper()
		at := time.Date(2026, 11, day, 9, 0, 0, 0, time.UTC)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, at, at); err != nil {
			t.Fatal(err)
		}
	}
	stamp(budget, "first", 1)
	stamp(notes, "notes", 1)
	for range 3 {
		f.mustRun(e, backup.ResultCompleted)
	}
	stamp(budget, "second", 2)
	f.mustRun(e, backup.ResultCompleted)
	stamp(budget, "third", 3)
	f.mustRun(e, backup.ResultCompleted)
	snaps := f.snapshots() // oldest first
	if len(snaps) != 5 {
		t.Fatalf("%d snapshots", len(snaps))
	}

	var parts []backup.FindPart
	rep, err := e.Find(context.Background(), snaps, "docs", "*.*", 0, nil, func(p backup.FindPart) { parts = append(parts, p) })
	if err != nil || rep.Snapshots != 5 || rep.More {
		t.Fatalf("%+v %v", rep, err)
	}
	type row struct {
		name           string
		in             int
		newest, oldest string
	}
	var got []row
	for _, ff := range rep.Found {
		got = append(got, row{filepath.Base(ff.Path), ff.Snapshots(), ff.Snapshot, ff.Oldest})
	}
	want := []row{
		{"budget.xlsx", 1, snaps[4].ID, snaps[4].ID}, // third
		{"notes.txt", 5, snaps[4].ID, snaps[0].ID},
		{"budget.xlsx", 1, snaps[3].ID, snaps[3].ID}, // second
		{"budget.xlsx", 3, snaps[2].ID, snaps[0].ID}, // first
	}
	if !slices.Equal(got, want) {
		t.Errorf("found\n%+v\nwant\n%+v", got, want)
	}
	if !rep.Found[3].OldestTime.Equal(snaps[0].Time) || !rep.Found[3].Time.Equal(snaps[2].Time) {
		t.Errorf("the first budget: newest %v, oldest %v", rep.Found[3].Time, rep.Found[3].OldestTime)
	}
	// The parts heard as it went make the same report.
	again := backup.FindReport{Task: rep.Task, Pattern: rep.Pattern, Snapshots: rep.Snapshots, Found: []backup.FoundFile{}}
	for _, p := range parts {
		again.Add(p)
	}
	again.Finish(rep.Newest, rep.NewestTime)
	if !reflect.DeepEqual(again, rep) {
		t.Errorf("the parts made\n%+v\nnot\n%+v", again, rep)
	}
	// Two versions at most: the search stops after the second newest
	// snapshot, which holds a third, however many snapshots hold the
	// first two, and has counted them in the two it searched.
	rep, err = e.Find(context.Background(), snaps, "docs", "*.*", 2, nil, nil)
	if err != nil || len(rep.Found) != 2 || !rep.More || rep.Snapshots != 2 || rep.Found[1].In != 2 {
		t.Errorf("a limit of 2: %+v %v", rep, err)
	}
	// A part's place that the report does not hold is passed over.
	rep.Add(backup.FindPart{Snapshot: "x", Again: []int{-1, 2, 99}})
	if len(rep.Found) != 2 || rep.Found[1].In != 2 {
		t.Errorf("a part out of place counted: %+v", rep.Found)
	}
}

// A file the newest snapshot no longer holds (deleted since) has its
// newest version marked gone; an older version of a file still there,
// and every file of a report without the newest snapshot, are not.
func TestFindSaysWhichFilesTheNewestSnapshotNoLongerHolds(t *testing.T) {
	f := newFixture(t)
	e := backup.New(backup.Options{})
	a, b := filepath.Join(f.src, "a.txt"), filepath.Join(f.src, "b.txt")
	f.write("a.txt", "one", 0o644)
	f.write("b.txt", "bee", 0o644)
	f.mustRun(e, backup.ResultCompleted)
	f.mustRun(e, backup.ResultCompleted)
	if err := os.Remove(b); err != nil {
		t.Fatal(err)
	}
	f.write("a.txt", "three", 0o644)
	f.mustRun(e, backup.ResultCompleted)
	snaps := f.snapshots()
	rep, err := e.Find(context.Background(), snaps, "docs", "*.txt", 0, nil, nil)
	if err != nil || len(rep.Found) != 3 || rep.Newest != snaps[2].ID || !rep.NewestTime.Equal(snaps[2].Time) {
		t.Fatalf("%+v %v", rep, err)
	}
	gone := map[string]bool{}
	for _, ff := range rep.Found {
		gone[fmt.Sprintf("%s in %d", filepath.Base(ff.Path), ff.In)] = ff.Gone
	}
	if want := map[string]bool{"a.txt in 1": false, "b.txt in 2": true, "a.txt in 2": false}; !reflect.DeepEqual(gone, want) {
		t.Errorf("gone: %v, want %v (%s, %s)", gone, want, a, b)
	}
	unknown := backup.FindReport{Found: []backup.FoundFile{{Path: "/x", Snapshot: "s1"}}}
	if unknown.Finish("", time.Time{}); unknown.Found[0].Gone {
		t.Error("a file marked gone with the newest snapshot not known")
	}
}

// A search passes over the manifest lines that cannot match, by a plain
// piece of its pattern that every match holds, and only then: a class,
// alternatives or an escape give it none to rely on.
func TestFindPassesOverLinesByAPlainPieceOfItsPattern(t *testing.T) {
	for pattern, want := range map[string]string{
		"budget*.xlsx":           "budget",
		"/home/alice/**/*.xlsx":  "home/alice",
		"**/build/**":            "build",
		"*.odt":                  ".odt",
		"report[0-9].odt":        "",
		"report.{odt,doc}":       "",
		`report\*`:               "",
		"*":                      "",
		"a*b":                    "",
		"année*.txt":             ".txt",
		"<b>*":                   "",
		"quarterly report *.ods": "quarterly report ",
	} {
		if got := string(backup.FindHint(pattern)); got != want {
			t.Errorf("%q: hint %q, want %q", pattern, got, want)
		}
	}
}

// What a search finds does not depend on whether it passed over lines:
// names in other cases, with characters JSON escapes, or not ASCII.
func TestFindFindsWhatItsPatternMatchesWhateverTheName(t *testing.T) {
	f := newFixture(t)
	for _, name := range []string{"Budget-2025.XLSX", "budget<draft>.xlsx", "Année budget.xlsx", "notes.txt", "sub/BUDGET.xlsx"} {
		f.write(name, "x", 0o644)
	}
	e := backup.New(backup.Options{})
	f.mustRun(e, backup.ResultCompleted)
	snaps := f.snapshots()
	for pattern, want := range map[string]int{
		"budget*.xlsx":         3, // Budget-2025.XLSX, budget<draft>.xlsx, BUDGET.xlsx
		"*budget*":             4,
		"année*":               1,
		"budget<draft>.xlsx":   1,
		f.src + "/sub/*.xlsx":  1,
		f.src + "/**/budget.*": 1,
		"*.{xlsx,txt}":         5,
		"budget[-.]*":          2,
		"NOTES.TXT":            1,
		"sub/*.xlsx":           1, // the end of the path
		"**/sub/**":            2, // the folder and what it holds
		"sub/":                 1, // the folder, by its name
	} {
		rep, err := e.Find(context.Background(), snaps, "docs", pattern, 0, nil, nil)
		if err != nil || len(rep.Found) != want {
			t.Errorf("%q: %d found, want %d (%v): %+v", pattern, len(rep.Found), want, err, rep.Found)
		}
	}
}

// endsAfter is a context that ends at its n-th look.
type endsAfter struct {
	context.Context
	looks, n int
}

func (c *endsAfter) Err() error {
	if c.looks++; c.looks >= c.n {
		return context.Canceled
	}
	return nil
}

// A search looks at whether it was called off while it reads a long
// manifest, not only between snapshots, and stops once it was.
func TestFindStopsInTheMiddleOfAManifestWhenCalledOff(t *testing.T) {
	f := newFixture(t)
	many := filepath.Join(f.src, "many")
	if err := os.MkdirAll(many, 0o755); err != nil {
		t.Fatal(err)
	}
	for i := range 4200 { // a little over findCheckEvery lines
		if err := os.WriteFile(filepath.Join(many, "file-"+strconv.Itoa(i)), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	e := backup.New(backup.Options{})
	f.mustRun(e, backup.ResultCompleted)
	going := &endsAfter{Context: context.Background(), n: 1 << 30}
	// One look before the snapshot, one after it, and one within it.
	if rep, err := e.Find(going, f.snapshots(), "docs", "no-such-name", 0, nil, nil); err != nil || len(rep.Found) != 0 || going.looks < 3 {
		t.Fatalf("a search not called off: %v, %d looks at the context in 4,200 lines", err, going.looks)
	}
	ends := &endsAfter{Context: context.Background(), n: 2} // ends at its first look within the manifest
	rep, err := e.Find(ends, f.snapshots(), "docs", "no-such-name", 0, nil, nil)
	if !errors.Is(err, context.Canceled) || rep.Snapshots != 1 {
		t.Fatalf("called off: %v, %d snapshots searched", err, rep.Snapshots)
	}
}

// A search called off keeps what the snapshots it searched held: it
// says so with its context's error, and what it found came as it went.
func TestAFindCalledOffKeepsWhatItFound(t *testing.T) {
	f, e, _ := backedUpRichTree(t)
	for range 2 {
		f.mustRun(e, backup.ResultCompleted)
	}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	heard := 0
	rep, err := e.Find(ctx, f.snapshots(), "docs", "report.txt", 0, nil, func(p backup.FindPart) {
		heard += len(p.New)
		stop() // after the newest snapshot
	})
	if !errors.Is(err, context.Canceled) || rep.Snapshots != 1 || len(rep.Found) != 1 || heard != 1 {
		t.Fatalf("called off after one snapshot: %+v %v, heard %d", rep, err, heard)
	}
}

// A search says how far it has got: snapshots read of how many, and
// the bytes of their manifests, all of them once it is done.
func TestFindSaysHowManySnapshotsItHasRead(t *testing.T) {
	f, e, _ := backedUpRichTree(t)
	for range 2 {
		f.mustRun(e, backup.ResultCompleted)
	}
	var mu sync.Mutex
	var got []backup.Status
	rep, err := e.Find(context.Background(), f.snapshots(), "docs", "no-such-name", 0, backup.ProgressFunc(func(s backup.Status) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, s)
	}), nil)
	if err != nil || rep.Snapshots != 3 || len(got) == 0 {
		t.Fatalf("%+v %v, %d updates", rep, err, len(got))
	}
	last := got[len(got)-1]
	if last.Phase != backup.PhaseSearching || last.Counted() != "snapshots" || last.FilesDone != 3 || last.FilesTotal != 3 ||
		last.BytesTotal == 0 || last.BytesDone != last.BytesTotal || last.Task != "docs" {
		t.Errorf("the last update: %+v", last)
	}
}

// A pattern is checked as the agent's system reads it: a backslash at
// the end is an unfinished escape on Unix and a folder on Windows; a
// console that does not know the agent's system refuses only what no
// agent would take.
func TestValidFindPatternReadsAsTheAgentsSystem(t *testing.T) {
	for _, c := range []struct {
		goos, pattern string
		ok            bool
	}{
		{"linux", `C:\Users\`, false},
		{"windows", `C:\Users\`, true},
		{"", `C:\Users\`, true},
		{"linux", "report*.odt", true},
		{"", "[", false},
		{"windows", "[", false},
		{"", "   ", false},
	} {
		err := backup.ValidFindPattern(c.goos, c.pattern)
		if (err == nil) != c.ok {
			t.Errorf("ValidFindPattern(%q, %q) = %v, want ok %v", c.goos, c.pattern, err, c.ok)
		}
		if err != nil && !errors.Is(err, backup.ErrInvalid) {
			t.Errorf("ValidFindPattern(%q, %q): %v is not ErrInvalid", c.goos, c.pattern, err)
		}
	}
}

// A search's summary says what it found where, how many versions of it
// when it changed, and that a task without snapshots had nothing to look
// in.
func TestAFindsSummary(t *testing.T) {
	one := []backup.FoundFile{{Path: "/home/alice/report.odt"}}
	two := append(one, backup.FoundFile{Path: "/home/alice/report-old.odt"})
	for _, c := range []struct {
		rep  backup.FindReport
		want string
	}{
		{backup.FindReport{Pattern: "report*", Snapshots: 12, Found: two}, "2 found in 12 snapshots"},
		{backup.FindReport{Pattern: "report*", Snapshots: 12, Found: append(two, one...)}, "2 found (3 versions) in 12 snapshots"},
		{backup.FindReport{Pattern: "report*", Snapshots: 1}, `nothing matches "report*" in 1 snapshot`},
		{backup.FindReport{Pattern: "budget", Snapshots: 12}, `nothing is named "budget" in 12 snapshots: for names with budget in them, look for "*budget*"`},
		{backup.FindReport{Pattern: "Documents/budget", Snapshots: 12}, `nothing matches "Documents/budget" in 12 snapshots`},
		{backup.FindReport{Pattern: "report*"}, "no snapshots to look in yet"},
		{backup.FindReport{Pattern: "*", Snapshots: 3, Found: one, More: true}, "the first 1 found, in the newest 3 snapshots; there are more: narrow the pattern"},
		{backup.FindReport{Pattern: "report*", Snapshots: 12, Found: one, Unreadable: []string{"2026-12-01T020000Z"}},
			"1 found in 12 snapshots; snapshot 2026-12-01T020000Z could not be read (see the agent's log)"},
		{backup.FindReport{Pattern: "report*", Snapshots: 12, Unreadable: []string{"A", "B", "C", "D"}},
			`nothing matches "report*" in 12 snapshots; 4 snapshots could not be read: A, B, C and 1 more (see the agent's log)`},
	} {
		if got := c.rep.Summary(); got != c.want {
			t.Errorf("%+v: %q, want %q", c.rep, got, c.want)
		}
	}
}

// A snapshot whose manifest cannot be read is passed over and named in
// the report: what it holds is not said to be nowhere. One removed while
// the search ran is passed over unnamed.
func TestFindNamesTheSnapshotsItCouldNotRead(t *testing.T) {
	f, e, first := backedUpRichTree(t)
	f.mustRun(e, backup.ResultCompleted)
	snaps := f.snapshots()
	if err := os.WriteFile(backup.ManifestPath(first.Path), []byte("not a manifest\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	rep, err := e.Find(context.Background(), snaps, "docs", "report.txt", 0, nil, nil)
	if err != nil || len(rep.Found) != 1 || rep.Snapshots != 2 || !slices.Equal(rep.Unreadable, []string{first.ID}) {
		t.Fatalf("a search with a damaged manifest: %+v, %v", rep, err)
	}
	if err := os.RemoveAll(first.Path); err != nil {
		t.Fatal(err)
	}
	if rep, err := e.Find(context.Background(), snaps, "docs", "report.txt", 0, nil, nil); err != nil || len(rep.Unreadable) != 0 {
		t.Fatalf("a search with a snapshot removed meanwhile: %+v, %v", rep, err)
	}
}
