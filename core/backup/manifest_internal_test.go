package backup

import (
	"bufio"
	"io"
	"path/filepath"
	"strings"
	"testing"
)

// A line longer than the reader's buffer is read whole, and the lines
// around it as they are.
func TestReadLineReadsALineLongerThanItsBuffer(t *testing.T) {
	long := strings.Repeat("x", 100)
	r := bufio.NewReaderSize(strings.NewReader("a\n"+long+"\nb"), 16)
	var buf []byte
	for _, want := range []string{"a\n", long + "\n", "b"} {
		got, err := readLine(r, &buf)
		if string(got) != want || (err != nil && err != io.EOF) {
			t.Fatalf("read %q (%v), want %q", got, err, want)
		}
	}
	if _, err := readLine(r, &buf); err != io.EOF {
		t.Fatalf("after the last line: %v", err)
	}
}

// A manifest's path names something inside the snapshot only when it is
// relative and has no ".." part as written, before any cleaning.
func TestAManifestPathStaysInsideTheSnapshot(t *testing.T) {
	for p, want := range map[string]bool{
		"home/alice/a.txt": true, "": true, " ": true, " /00/0": true, "a/..b": true, "..a": true, "a/b..": true,
		" /00/../0": false, " /../../x": false, "../x": false, "a/../b": false, "a/..": false, "..": false,
		"/abs": false, "/": false,
	} {
		if got := inSnapshot(p); got != want {
			t.Errorf("inSnapshot(%q) = %v, want %v", p, got, want)
		}
	}
	// A backslash is a name's character here, a separator on Windows.
	if got, want := inSnapshot(`a\..\..\x`), filepath.Separator != '\\'; got != want {
		t.Errorf(`inSnapshot(a\..\..\x) = %v on this system, want %v`, got, want)
	}
}
