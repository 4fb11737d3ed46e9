package ui

import (
	"context"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"github.com/lanyard/lanyard/core/backup"
)

// The folder tree's paths are the server's: / on Unix, \ and drives on
// Windows, whichever computer the console runs on.
func TestServerPathsJoinAndSplitAsTheServerWritesThem(t *testing.T) {
	for _, tt := range []struct{ dir, name, joined, parent string }{
		{"", "home", "/home", "/"},
		{"/", "home", "/home", "/"},
		{"/home", "alice", "/home/alice", "/home"},
		{"/home/alice", "a b.txt", "/home/alice/a b.txt", "/home/alice"},
		{"", "C:", `C:\`, ""},
		{`C:\`, "Users", `C:\Users`, `C:\`},
		{`C:\Users`, "alice", `C:\Users\alice`, `C:\Users`},
		{`\\nas\share`, "docs", `\\nas\share\docs`, `\\nas\share`},
	} {
		got := joinServerPath(tt.dir, tt.name)
		if got != tt.joined {
			t.Errorf("joinServerPath(%q, %q) = %q, want %q", tt.dir, tt.name, got, tt.joined)
		}
		if p := parentServerPath(got); p != tt.parent {
			t.Errorf("parentServerPath(%q) = %q, want %q", got, p, tt.parent)
		}
	}
	for p, want := range map[string]string{"/": "", `C:\`: "", "/home": "/", "": ""} {
		if got := parentServerPath(p); got != want {
			t.Errorf("parentServerPath(%q) = %q, want %q", p, got, want)
		}
	}
	ft := &folderTree{ticked: map[string]bool{`C:\Users`: true, "/srv/a": true}}
	for id, want := range map[string]bool{`C:\`: true, `C:\Users`: false, `C:\Program Files`: false, "/srv": true, "/": true, "/sr": false} {
		if got := ft.descendantTicked(id); got != want {
			t.Errorf("descendantTicked(%q) = %v, want %v", id, got, want)
		}
	}
	if !ft.ancestorTicked(`C:\Users\alice\x`) || ft.ancestorTicked(`C:\Users`) || !ft.ancestorTicked("/srv/a/b") {
		t.Error("ancestorTicked does not follow the server's folders")
	}
}

// A name that could pass for another (a line break, a bidi override) is
// shown quoted; a plain one as it is.
func TestAFolderTreeRowQuotesANameThatIsNotPlain(t *testing.T) {
	test.NewTempApp(t)
	ft := newFolderTree(nil, nil, context.Background(), nil, func(string) {})
	ft.nodes = map[string]*folderNode{
		"/a":   {entry: backup.BrowseEntry{Name: "report.odt", Type: backup.TypeFile}},
		"/b":   {entry: backup.BrowseEntry{Name: "evil\nroot.txt", Type: backup.TypeFile}},
		"/c":   {entry: backup.BrowseEntry{Name: "gpj.\u202eexe", Type: backup.TypeFile}},
		"/lnk": {entry: backup.BrowseEntry{Name: "lnk", Type: backup.TypeSymlink, Target: "x\ny"}},
	}
	for id, want := range map[string]string{"/a": "report.odt", "/b": `"evil\nroot.txt"`, "/c": `"gpj.\u202eexe"`} {
		row := ft.newNode(false).(*folderRow)
		ft.updateNode(id, false, row)
		if row.name.Text != want {
			t.Errorf("%s shows %q, want %q", id, row.name.Text, want)
		}
	}
	row := ft.newNode(false).(*folderRow)
	ft.updateNode("/lnk", false, row)
	if row.size.Text != `→ "x\ny"` {
		t.Errorf("a link's target shows %q", row.size.Text)
	}
}

// What is ticked is said as a person checks it before a restore: one
// thing by what it is and its name, several by their count and size.
func TestAFolderTreeSaysWhatIsTickedInWords(t *testing.T) {
	test.NewTempApp(t)
	ft := newFolderTree(nil, nil, context.Background(), nil, func(string) {})
	ft.nodes = map[string]*folderNode{
		"/C":     {entry: backup.BrowseEntry{Name: "C", Type: backup.TypeDir}},
		"/d":     {entry: backup.BrowseEntry{Name: "invoices", Type: backup.TypeDir}},
		"/d2":    {entry: backup.BrowseEntry{Name: "letters", Type: backup.TypeDir}},
		"/a.odt": {entry: backup.BrowseEntry{Name: "a.odt", Type: backup.TypeFile, Size: 2048}},
		"/b.odt": {entry: backup.BrowseEntry{Name: "b.odt", Type: backup.TypeFile, Size: 1024}},
		"/evil":  {entry: backup.BrowseEntry{Name: "evil\nroot.txt", Type: backup.TypeFile, Size: 1}},
		"/lnk":   {entry: backup.BrowseEntry{Name: "lnk", Type: backup.TypeSymlink, Target: "x"}},
	}
	ft.snapOf = "windows"
	for _, c := range []struct {
		paths []string
		want  string
	}{
		{[]string{"/a.odt"}, "the file a.odt (2.0 KiB)"},
		{[]string{"/d"}, "the folder invoices"},
		{[]string{"/C"}, "the folder C:"}, // a drive, as the tree names it
		{[]string{"/lnk"}, "the link lnk"},
		{[]string{"/evil"}, `the file "evil\nroot.txt" (1 B)`},
		{[]string{"/home/alice/found.txt"}, "/home/alice/found.txt"}, // ticked from Find, not read
		{[]string{"/a.odt", "/b.odt"}, "2 files (3.0 KiB)"},
		{[]string{"/a.odt", "/d", "/d2"}, "1 file (2.0 KiB) and 2 folders"},
		{[]string{"/a.odt", "/d", "/x", "/y"}, "1 file (2.0 KiB), 1 folder and 2 items"},
	} {
		if got := ft.describe(c.paths); got != c.want {
			t.Errorf("describe(%q) = %q, want %q", c.paths, got, c.want)
		}
	}
}

// Whatever names a server sends, walking up from a path ends, each step a
// shorter prefix of it: the tree's ticks walk up from every row drawn.
func FuzzParentServerPath(f *testing.F) {
	for _, p := range []string{"/home/alice", `C:\Users\alice`, `\\nas\share\x`, "/", `C:\`, "a/:/b", "x:/y", "//", `\`, ":", ""} {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, p string) {
		steps := 0
		for q := parentServerPath(p); q != ""; q = parentServerPath(q) {
			if !strings.HasPrefix(p, q) || len(q) >= len(p) {
				t.Fatalf("parentServerPath walked from %q to %q, not a prefix", p, q)
			}
			if steps++; steps > len(p) {
				t.Fatalf("walking up from %q does not end", p)
			}
		}
	})
}
