package logtail_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/lanyard/lanyard/core/logtail"
)

func TestLevelsAndTimesAreReadFromTextAndJSONLines(t *testing.T) {
	local := func(s string) time.Time {
		tm, err := time.ParseInLocation("2006-01-02 15:04:05.000", s, time.Local)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	for _, tc := range []struct {
		line     string
		want     logrus.Level
		hasLevel bool
		time     time.Time
	}{
		{`time="2026-01-02 10:00:00.250" level=info msg="agent running"`, logrus.InfoLevel, true, local("2026-01-02 10:00:00.250")},
		{`time="2026-01-02 10:00:00.000" level=warning msg="x" event=dial_failed`, logrus.WarnLevel, true, local("2026-01-02 10:00:00.000")},
		{`time="2026-01-02 10:00:00.000" level=error msg="level=info is in the message"`, logrus.ErrorLevel, true, local("2026-01-02 10:00:00.000")},
		{`time="2026-01-02T10:00:00Z" level=info msg="logrus's default format"`, logrus.InfoLevel, true, time.Date(2026, 1, 2, 10, 0, 0, 0, time.UTC)},
		{`{"level":"debug","msg":"x","time":"2026-01-02T10:00:00Z"}`, logrus.DebugLevel, true, time.Date(2026, 1, 2, 10, 0, 0, 0, time.UTC)},
		{`{"msg":"x","level":"error"}`, logrus.ErrorLevel, true, time.Time{}},
		{`goroutine 1 [running]:`, 0, false, time.Time{}},
		{`{"not":"a log line"}`, 0, false, time.Time{}},
		{``, 0, false, time.Time{}},
	} {
		got := logtail.Parse([]byte(tc.line))
		if got.HasLevel != tc.hasLevel || (got.HasLevel && got.Level != tc.want) || !got.Time.Equal(tc.time) {
			t.Errorf("Parse(%q) = %v, %v, %v; want %v, %v, %v", tc.line, got.Level, got.HasLevel, got.Time, tc.want, tc.hasLevel, tc.time)
		}
	}
}

const sampleLog = `time="2026-01-02 10:00:01.000" level=debug msg="d1"
time="2026-01-02 10:00:02.000" level=info msg="i1"
time="2026-01-02 10:00:03.000" level=warning msg="w1"
time="2026-01-02 10:00:04.000" level=error msg="e1"
panic: something
goroutine 1 [running]:
{"level":"info","msg":"i2"}
{"level":"warning","msg":"w2"}
`

func writeLog(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "lanyard-agent.log")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// collector gathers emitted lines for any goroutine to wait on.
type collector struct {
	mu      sync.Mutex
	lines   []string
	batches int
	changed chan struct{}
}

func newCollector() *collector { return &collector{changed: make(chan struct{}, 1)} }

func (c *collector) emit(lines []logtail.Line) error {
	c.mu.Lock()
	for _, l := range lines {
		c.lines = append(c.lines, string(l.Text))
	}
	c.batches++
	c.mu.Unlock()
	select {
	case c.changed <- struct{}{}:
	default:
	}
	return nil
}

func (c *collector) text() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return strings.Join(c.lines, "\n")
}

// waitFor waits until the collected text contains s.
func (c *collector) waitFor(t *testing.T, s string) string {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		if txt := c.text(); strings.Contains(txt, s) {
			return txt
		}
		select {
		case <-c.changed:
		case <-deadline:
			t.Fatalf("%q not seen within 5s; got:\n%s", s, c.text())
		}
	}
}

func TestTheBacklogIsTheLinesAskedForAtTheLevelAsked(t *testing.T) {
	since := func(s string) time.Time {
		tm, _ := time.ParseInLocation("2006-01-02 15:04:05.000", s, time.Local)
		return tm
	}
	for _, tc := range []struct {
		name string
		o    logtail.Options
		want []string
	}{
		{"all of it", logtail.Options{All: true, MinLevel: logrus.TraceLevel}, []string{"d1", "i1", "w1", "e1", "panic: something", "goroutine 1", "i2", "w2"}},
		{"the last two", logtail.Options{Last: 2, MinLevel: logrus.TraceLevel}, []string{"i2", "w2"}},
		{"none when no count is given", logtail.Options{MinLevel: logrus.TraceLevel}, nil},
		{"warnings and worse, with the stack trace that follows an error", logtail.Options{All: true, MinLevel: logrus.WarnLevel}, []string{"w1", "e1", "panic: something", "goroutine 1", "w2"}},
		{"errors only", logtail.Options{All: true, MinLevel: logrus.ErrorLevel}, []string{"e1", "panic: something", "goroutine 1"}},
		{"the last warning or worse", logtail.Options{Last: 1, MinLevel: logrus.WarnLevel}, []string{"w2"}},
		{"everything from a time on", logtail.Options{Since: since("2026-01-02 10:00:03.000"), MinLevel: logrus.TraceLevel}, []string{"w1", "e1", "panic: something", "goroutine 1", "i2", "w2"}},
		{"errors from a time on", logtail.Options{Since: since("2026-01-02 10:00:03.500"), MinLevel: logrus.ErrorLevel}, []string{"e1", "panic: something", "goroutine 1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newCollector()
			if err := logtail.Tail(context.Background(), writeLog(t, sampleLog), tc.o, c.emit); err != nil {
				t.Fatal(err)
			}
			if len(c.lines) != len(tc.want) {
				t.Fatalf("emitted %d lines, want %d:\n%s", len(c.lines), len(tc.want), c.text())
			}
			for i, w := range tc.want {
				if !strings.Contains(c.lines[i], w) {
					t.Errorf("line %d = %q, want it to contain %q", i, c.lines[i], w)
				}
			}
		})
	}
}

func TestALongBacklogComesInBoundedBatches(t *testing.T) {
	var b strings.Builder
	for range 1000 {
		b.WriteString("time=\"2026-01-02 10:00:00.000\" level=info msg=x\n")
	}
	var sizes []int
	err := logtail.Tail(context.Background(), writeLog(t, b.String()), logtail.Options{All: true, MinLevel: logrus.TraceLevel},
		func(l []logtail.Line) error { sizes = append(sizes, len(l)); return nil })
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, n := range sizes {
		if n > 256 {
			t.Fatalf("a batch of %d lines", n)
		}
		total += n
	}
	if total != 1000 {
		t.Fatalf("%d lines in %d batches", total, len(sizes))
	}
}

func TestWithoutAFileTailSaysSo(t *testing.T) {
	err := logtail.Tail(context.Background(), filepath.Join(t.TempDir(), "lanyard-agent.log"), logtail.Options{Last: 10}, newCollector().emit)
	if !errors.Is(err, logtail.ErrNoLog) {
		t.Errorf("err = %v", err)
	}
}

func appendTo(t *testing.T, path, text string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(text); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestFollowSurvivesRotationAndTruncation(t *testing.T) {
	for _, holdOpen := range []bool{true, false} {
		name := "holding the file open"
		if !holdOpen {
			name = "reopening it at every look, as on Windows"
		}
		t.Run(name, func(t *testing.T) { testFollow(t, holdOpen) })
	}
}

func testFollow(t *testing.T, holdOpen bool) {
	path := writeLog(t, "time=\"t0\" level=info msg=\"before\"\n")
	c := newCollector()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- logtail.Tail(ctx, path, logtail.Options{Last: 10, MinLevel: logrus.InfoLevel, Follow: true,
			Interval: 5 * time.Millisecond, HoldOpen: holdOpen}, c.emit)
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("follow: %v", err)
		}
	}()
	c.waitFor(t, "before")

	// A line written in two parts is emitted once it is whole.
	appendTo(t, path, "time=\"t1\" level=info msg=\"appen")
	appendTo(t, path, "ded\"\ntime=\"t1\" level=debug msg=\"filtered out\"\n")
	c.waitFor(t, `msg="appended"`)

	// Rotation, as lumberjack does it: rename, then a new file.
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	appendTo(t, path+".1", "time=\"t2\" level=info msg=\"last words of the old file\"\n")
	appendTo(t, path, "time=\"t3\" level=info msg=\"first of the new file\"\n")
	c.waitFor(t, "first of the new file")

	// Truncation in place (copytruncate): start over.
	appendTo(t, path, "time=\"t4\" level=info msg=\"padding to make the file longer than what follows\"\n")
	c.waitFor(t, "padding")
	if err := os.Truncate(path, 0); err != nil {
		t.Fatal(err)
	}
	appendTo(t, path, "time=\"t5\" level=warning msg=\"after\"\n")
	s := c.waitFor(t, `msg="after"`)

	if holdOpen && !strings.Contains(s, "last words of the old file") {
		t.Errorf("lines written to the old file after the rename were lost:\n%s", s)
	}
	if strings.Contains(s, "filtered out") {
		t.Errorf("a debug line got through --level info:\n%s", s)
	}
	if strings.Count(s, "appended") != 1 {
		t.Errorf("the split line was emitted %d times:\n%s", strings.Count(s, "appended"), s)
	}
}

func TestFollowWaitsForALogNotWrittenYet(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lanyard-agent.log")
	c := newCollector()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- logtail.Tail(ctx, path, logtail.Options{Last: 10, MinLevel: logrus.TraceLevel, Follow: true, Interval: 5 * time.Millisecond}, c.emit)
	}()
	appendTo(t, path, "time=\"t\" level=info msg=\"hello\"\n")
	c.waitFor(t, "hello")
	cancel()
	if err := <-done; err != nil {
		t.Error(err)
	}
}
