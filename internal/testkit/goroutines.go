package testkit

import (
	"runtime"
	"strings"
)

// Goroutines lists the stacks of the goroutines running now whose stack
// contains every one of marks (e.g. "core/link.(*Link)" and
// "core/agent.(*Agent)": those inside one of the agent's link callbacks),
// for a test that checks what a Close left behind.
func Goroutines(marks ...string) []string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var found []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		all := true
		for _, m := range marks {
			all = all && strings.Contains(g, m)
		}
		if all {
			found = append(found, g)
		}
	}
	return found
}
