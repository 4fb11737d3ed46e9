package logtail

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestMessageSplitsALogrusTextLineForReading(t *testing.T) {
	for _, tt := range []struct {
		name, line, msg string
		fields          []Field
	}{
		{"the agent's own format", `time="2026-12-02 03:04:05.678" level=info msg="connected to the console" event=connected master="192.0.2.1:16888"`,
			"connected to the console", []Field{{"event", "connected"}, {"master", "192.0.2.1:16888"}}},
		{"escaped quotes in a value", `time="2026-12-02T03:04:05Z" level=warning msg="task \"docs\" failed: disk full" task=docs`,
			`task "docs" failed: disk full`, []Field{{"task", "docs"}}},
		{"an unquoted message", `level=error msg=stopped`, "stopped", nil},
		{"an empty value", `level=info msg="" reason=`, "", []Field{{"reason", ""}}},
		{"a stack trace line", `goroutine 1 [running]:`, `goroutine 1 [running]:`, nil},
		{"a JSON line", `{"level":"info","msg":"hello"}`, `{"level":"info","msg":"hello"}`, nil},
		{"a line cut short inside a quote", `level=info msg="half a messa`, `level=info msg="half a messa`, nil},
		{"pairs but no message", `level=info event=x`, `level=info event=x`, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			msg, fields := Message(tt.line)
			if msg != tt.msg || !slices.Equal(fields, tt.fields) {
				t.Errorf("Message(%q) = %q, %v; want %q, %v", tt.line, msg, fields, tt.msg, tt.fields)
			}
		})
	}
}

// FuzzMessage: any line is read without a panic, and what comes out was
// in the line (a message is never made up).
func FuzzMessage(f *testing.F) {
	f.Add(`time="2026-12-02 03:04:05.678" level=info msg="connected" event=connected`)
	f.Add(`level=info msg="a \"quoted\" word\n" k="v"`)
	f.Add(`{"msg":"json"}`)
	f.Fuzz(func(t *testing.T, line string) {
		msg, fields := Message(line)
		if fields == nil && msg != line && !strings.Contains(line, "msg=") {
			t.Fatalf("Message(%q) made up %q", line, msg)
		}
		if utf8.ValidString(line) && !utf8.ValidString(msg) && !strings.Contains(line, `\`) {
			t.Fatalf("Message(%q) = %q: not UTF-8", line, msg)
		}
	})
}
