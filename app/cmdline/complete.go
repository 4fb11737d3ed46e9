package cmdline

import (
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// CompletionTimeout bounds the question a shell completion asks (of a
// running console or agent): the shell waits for the answer.
const CompletionTimeout = 5 * time.Second

// Offer is what a shell completion offers of names: those that begin
// with typed, case ignored, each with about(i) as its description (none
// when about is nil or says "").
func Offer(typed string, names []string, about func(i int) string) []cobra.Completion {
	var out []cobra.Completion
	for i, n := range names {
		if len(n) < len(typed) || !strings.EqualFold(n[:len(typed)], typed) {
			continue
		}
		d := ""
		if about != nil {
			d = about(i)
		}
		if d == "" {
			out = append(out, n)
		} else {
			out = append(out, cobra.CompletionWithDesc(n, d))
		}
	}
	return out
}
