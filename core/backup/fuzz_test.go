//go:build unix

package backup

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzParseSchedule: whatever a person types as a schedule is refused in
// words or read into a schedule whose canonical form reads back the same
// and whose next time lies ahead.
func FuzzParseSchedule(f *testing.F) {
	for _, s := range []string{"", "manual", "hourly", "daily@02:00", "daily@2:5", "weekly@sun@03:00",
		"weekly@Wednesday@23:59", "30 2 * * 1-5", "@daily", "@every 1h", "*/5 * * * *", "0 0 29 2 *", "CRON_TZ=UTC 0 3 * * *", "61 * * * *"} {
		f.Add(s)
	}
	from := time.Date(2025, 6, 4, 10, 30, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, in string) {
		s, err := ParseSchedule(in)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("an empty error")
			}
			return
		}
		again, err := ParseSchedule(s.String())
		if err != nil || again.String() != s.String() {
			t.Fatalf("%q reads as %q, which reads back as %q (%v)", in, s.String(), again.String(), err)
		}
		if next := s.Next(from); !s.Manual() && !next.After(from) {
			t.Fatalf("%q: next %v is not after %v", in, next, from)
		}
		if s.Interval(from) < 0 {
			t.Fatalf("%q: negative interval", in)
		}
	})
}

// FuzzParseSpeed: whatever a person types as a speed limit is refused in
// words or read into none or a limit of at least MinSpeed, whose words
// read back as a limit within their rounding (one decimal: 5 %).
func FuzzParseSpeed(f *testing.F) {
	for _, s := range []string{"", "none", "OFF", "0", "20MiB/s", "20 MB/s", "500k", "1.5g", "64KiB/s", "63KiB/s", "-5M", "1e9", "9999999999999G", ".5M", "12 furlongs"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		v, err := ParseSpeed(in)
		if err != nil {
			if !strings.Contains(err.Error(), "speed limit") {
				t.Fatalf("%q: the error %q does not say what it is about", in, err)
			}
			return
		}
		if v != 0 && v < MinSpeed {
			t.Fatalf("%q reads as %d, below the least limit", in, v)
		}
		again, err := ParseSpeed(v.String())
		if err != nil || (v == 0) != (again == 0) || float64(again) < float64(v)*0.95 || float64(again) > float64(v)*1.05 {
			t.Fatalf("%q reads as %d, shown as %q, which reads back as %d (%v)", in, v, v.String(), again, err)
		}
	})
}

// FuzzCleanRel: a path a person or a console gives for something inside
// a snapshot never leads out of it.
func FuzzCleanRel(f *testing.F) {
	for _, s := range []string{"", "/", ".", "/home/alice", "home/alice/", "../etc", "/a/../../b", "a//b/./c", "..", "a/..b", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		rel, ok := cleanRel(in)
		if !ok {
			return
		}
		if strings.HasPrefix(rel, "/") || rel == ".." || strings.HasPrefix(rel, "../") || strings.Contains(rel, "/../") || strings.HasSuffix(rel, "/..") {
			t.Fatalf("%q cleans to %q, outside the snapshot", in, rel)
		}
		if !within(filepath.Join("/snap", filepath.FromSlash(rel)), "/snap") && rel != "" {
			t.Fatalf("%q cleans to %q, outside the snapshot", in, rel)
		}
	})
}

// FuzzReadManifest: a damaged manifest is refused in words, never a
// panic, and no entry it yields points outside the snapshot.
func FuzzReadManifest(f *testing.F) {
	header := `{"lanyard_manifest":1,"hash":"blake3"}` + "\n"
	f.Add([]byte(header + `{"path":"home/a.txt","type":"file","size":3,"mode":420,"mtime":1,"hash":"00"}` + "\n"))
	f.Add([]byte(header + `{"path":"../etc/passwd","type":"file"}` + "\n"))
	f.Add([]byte(header + `{"path":"/abs","type":"dir"}` + "\n"))
	f.Add([]byte(`{"lanyard_manifest":2,"hash":"blake3"}` + "\n"))
	f.Add([]byte(header + "{not json\n"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		snap := t.TempDir()
		if err := os.MkdirAll(filepath.Join(snap, metaDir), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(ManifestPath(snap), data, 0o600); err != nil {
			t.Fatal(err)
		}
		_ = readManifest(snap, func(e *Entry) error {
			if rel, ok := cleanRel(e.Path); !ok || rel != e.Path && rel+"/" != e.Path {
				if strings.HasPrefix(e.Path, "/") || strings.Contains("/"+e.Path+"/", "/../") {
					t.Fatalf("entry %q leaves the snapshot", e.Path)
				}
			}
			return nil
		})
	})
}

// FuzzFindFastPaths: a search's shortcuts agree with the slow way on any
// path: a manifest line's path read without decoding it is the path
// written, and the look for a pattern's plain piece in any case finds it
// where bytes.Contains(bytes.ToLower(line), piece) does.
func FuzzFindFastPaths(f *testing.F) {
	for _, s := range [][2]string{{"home/alice/Budget.xlsx", "budget"}, {"C/Users/ALICE/a.txt", "users/alice"},
		{"home/année/x", "ann"}, {"home/a<b>&c", "a<b"}, {"home/\"quoted\"/x", "quoted"}, {"home/\u212a.txt", "k.txt"},
		{"home/a\\b", "a\\b"}, {"home/\xff\xfe", "x"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, path, piece string) {
		line, err := json.Marshal(Entry{Path: path, Type: TypeFile, Size: 3})
		if err != nil {
			t.Skip()
		}
		if p, ok := linePath(line); ok && p != path {
			t.Fatalf("%s: read %q without decoding, wrote %q", line, p, path)
		}
		hint := []byte(strings.ToLower(piece))
		if len(hint) == 0 || !plainInJSON(string(hint)) {
			return // findHint gives no such piece
		}
		if got, want := containsFold(line, hint), bytes.Contains(bytes.ToLower(line), hint); got != want {
			t.Fatalf("%s holds %q in any case: %v, the slow way says %v", line, hint, got, want)
		}
	})
}

// FuzzPathPattern: any pattern on either system compiles and matches
// without a panic, and a path written out in full, as each system writes
// it, matches that path, from the top and, without the top, at the end of
// a longer one.
func FuzzPathPattern(f *testing.F) {
	for _, s := range [][2]string{{"home/alice/a.txt", "*.txt"}, {"C/Users/alice", `C:\Users\*`}, {"UNC/fs01/share/x", `\\fs01\share\**`},
		{"home/a b/.cache", "/home/*/.cache/"}, {"srv/data", "[a-"}, {"x", `\`}, {"Documents/tmp", "Documents/tmp"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, rel, pattern string) {
		for _, goos := range []string{"linux", "windows"} {
			for _, fold := range []bool{false, true} {
				p := compilePattern(goos, pattern, fold)
				if p.valid() {
					_ = p.match(rel)
					_ = p.outside([]string{rel})
				}
			}
		}
		if rel == "" || strings.ContainsAny(rel, "*?[]{}\\:") || slices.Contains(strings.Split(rel, "/"), "") || !utf8.ValidString(rel) {
			return // not a plain snapshot path
		}
		if !compilePattern("linux", "/"+rel, false).match(rel) {
			t.Fatalf("/%s does not match %s", rel, rel)
		}
		win := "C:\\" + strings.ReplaceAll(rel, "/", "\\")
		if !compilePattern("windows", win, true).match("C/" + rel) {
			t.Fatalf("%s does not match C/%s", win, rel)
		}
		if strings.Contains(rel, "/") && !compilePattern("linux", rel, false).match("top/"+rel) {
			t.Fatalf("%s does not match the end of top/%s", rel, rel)
		}
	})
}
