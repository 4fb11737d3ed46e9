package service

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
)

func TestLevelsAreReadFromTextAndJSONLines(t *testing.T) {
	for _, tc := range []struct {
		line string
		want logrus.Level
		ok   bool
	}{
		{`time="2026-01-02 10:00:00.000" level=info msg="agent running"`, logrus.InfoLevel, true},
		{`time="2026-01-02 10:00:00.000" level=warning msg="x" event=dial_failed`, logrus.WarnLevel, true},
		{`time="2026-01-02 10:00:00.000" level=error msg="level=info is in the message"`, logrus.ErrorLevel, true},
		{`{"level":"debug","msg":"x","time":"2026-01-02T10:00:00Z"}`, logrus.DebugLevel, true},
		{`{"msg":"x","level":"error"}`, logrus.ErrorLevel, true},
		{`goroutine 1 [running]:`, 0, false},
		{`{"not":"a log line"}`, 0, false},
		{``, 0, false},
	} {
		got, ok := lineLevel([]byte(tc.line))
		if ok != tc.ok || (ok && got != tc.want) {
			t.Errorf("lineLevel(%q) = %v, %v; want %v, %v", tc.line, got, ok, tc.want, tc.ok)
		}
	}
}

const sampleLog = `time="t1" level=debug msg="d1"
time="t2" level=info msg="i1"
time="t3" level=warning msg="w1"
time="t4" level=error msg="e1"
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

func TestLogsPrintsTheLastLinesAtTheLevelAsked(t *testing.T) {
	for _, tc := range []struct {
		name  string
		level logrus.Level
		n     int
		want  []string
	}{
		{"all of it", logrus.TraceLevel, 0, []string{"d1", "i1", "w1", "e1", "panic: something", "goroutine 1", "i2", "w2"}},
		{"the last two", logrus.TraceLevel, 2, []string{"i2", "w2"}},
		{"warnings and worse, with the stack trace that follows an error", logrus.WarnLevel, 0, []string{"w1", "e1", "panic: something", "goroutine 1", "w2"}},
		{"errors only", logrus.ErrorLevel, 0, []string{"e1", "panic: something", "goroutine 1"}},
		{"the last warning or worse", logrus.WarnLevel, 1, []string{"w2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out syncBuffer
			tl := &tailer{path: writeLog(t, sampleLog), filter: levelFilter{min: tc.level}, out: &out, interval: time.Millisecond}
			if err := tl.run(context.Background(), tc.n, false); err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
			if len(lines) != len(tc.want) {
				t.Fatalf("printed %d lines, want %d:\n%s", len(lines), len(tc.want), out.String())
			}
			for i, w := range tc.want {
				if !strings.Contains(lines[i], w) {
					t.Errorf("line %d = %q, want it to contain %q", i, lines[i], w)
				}
			}
		})
	}
}

func TestLogsWithoutAFileSaysWhere(t *testing.T) {
	tl := &tailer{path: filepath.Join(t.TempDir(), "lanyard-agent.log"), filter: levelFilter{min: logrus.TraceLevel}, out: &syncBuffer{}}
	err := tl.run(context.Background(), 10, false)
	if err == nil || !strings.Contains(err.Error(), "no log at") {
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
	var out syncBuffer
	tl := &tailer{path: path, filter: levelFilter{min: logrus.InfoLevel}, out: &out, interval: 5 * time.Millisecond, holdOpen: holdOpen}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- tl.run(ctx, 10, true) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("follow: %v", err)
		}
	}()
	out.waitFor(t, "before", 5*time.Second)

	// A line written in two parts is printed once it is whole.
	appendTo(t, path, "time=\"t1\" level=info msg=\"appen")
	appendTo(t, path, "ded\"\ntime=\"t1\" level=debug msg=\"filtered out\"\n")
	out.waitFor(t, `msg="appended"`, 5*time.Second)

	// Rotation, as lumberjack does it: rename, then a new file.
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	appendTo(t, path+".1", "time=\"t2\" level=info msg=\"last words of the old file\"\n")
	appendTo(t, path, "time=\"t3\" level=info msg=\"first of the new file\"\n")
	out.waitFor(t, "first of the new file", 5*time.Second)

	// Truncation in place (copytruncate): start over.
	appendTo(t, path, "time=\"t4\" level=info msg=\"padding to make the file longer than what follows\"\n")
	out.waitFor(t, "padding", 5*time.Second)
	if err := os.Truncate(path, 0); err != nil {
		t.Fatal(err)
	}
	appendTo(t, path, "time=\"t5\" level=warning msg=\"after\"\n")
	s := out.waitFor(t, `msg="after"`, 5*time.Second)

	if holdOpen && !strings.Contains(s, "last words of the old file") {
		t.Errorf("lines written to the old file after the rename were lost:\n%s", s)
	}
	if strings.Contains(s, "filtered out") {
		t.Errorf("a debug line got through --level info:\n%s", s)
	}
	if strings.Count(s, "appended") != 1 {
		t.Errorf("the split line was printed %d times:\n%s", strings.Count(s, "appended"), s)
	}
}

func TestFollowWaitsForALogNotWrittenYet(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lanyard-agent.log")
	var out syncBuffer
	tl := &tailer{path: path, filter: levelFilter{min: logrus.TraceLevel}, out: &out, interval: 5 * time.Millisecond}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- tl.run(ctx, 10, true) }()
	appendTo(t, path, "time=\"t\" level=info msg=\"hello\"\n")
	out.waitFor(t, "hello", 5*time.Second)
	cancel()
	if err := <-done; err != nil {
		t.Error(err)
	}
}
