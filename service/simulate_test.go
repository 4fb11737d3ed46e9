package service

import (
	"bytes"
	"strings"
	"testing"
)

// At a terminal the simulator's progress line is written again in place,
// its time as the rest of Lanyard writes one; a shorter line covers the
// longer one before it, so no stale characters are left at its end.
func TestTheSimulatorsProgressLineIsRewrittenInPlace(t *testing.T) {
	var out bytes.Buffer
	o := &simOutput{w: &out, terminal: true}
	o.report(simReport{ElapsedMs: 119_000, Agents: 2000, Linked: 1500})
	o.report(simReport{ElapsedMs: 120_000, Agents: 2000, Linked: 2000})
	o.report(simReport{ElapsedMs: 121_000, Agents: 2000, Linked: 2000, Done: true})
	lines := strings.Split(strings.TrimPrefix(out.String(), "\r"), "\r")
	want := []string{
		"1,500 of 2,000 agents linked (75 %) after 1 min 59 s",
		"2,000 of 2,000 agents linked (100 %) after 2 min",
		"2,000 of 2,000 agents linked (100 %) after 2 min 1 s; stopped",
	}
	if len(lines) != len(want) {
		t.Fatalf("written: %q", out.String())
	}
	for i := range want {
		if strings.TrimRight(lines[i], " \n") != want[i] {
			t.Errorf("line %d:\n got %q\nwant %q", i+1, lines[i], want[i])
		}
		if i > 0 && len(strings.TrimSuffix(lines[i], "\n")) < len(lines[i-1]) {
			t.Errorf("line %d (%q) leaves the end of line %d (%q) on the screen", i+1, lines[i], i, lines[i-1])
		}
	}
}
