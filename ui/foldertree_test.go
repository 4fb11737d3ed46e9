package ui

import "testing"

// The folder tree's paths are the server's: / on Unix, \ and drives on
// Windows, whichever computer the console runs on.
func TestServerPathsJoinAndSplitAsTheServerWritesThem(t *testing.T) {
	for _, tt := range []struct{ dir, name, joined, parent string }{
		{"", "home", "/home", ""},
		{"/", "home", "/home", ""},
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
		if p := parentServerPath(got); p != tt.parent && !(tt.parent == "" && p == "/") {
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
