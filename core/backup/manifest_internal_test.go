package backup

import (
	"bufio"
	"io"
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
