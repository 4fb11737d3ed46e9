package auth

import (
	"strings"
	"testing"
)

// A new password under ShortPassword characters is taken with a warning
// that counts them; none typed, or long enough, says nothing.
func TestAShortPasswordIsWarnedOf(t *testing.T) {
	for n, want := range map[int]string{0: "", 3: "the password has only 3 characters: ", ShortPassword - 1: "the password has only 11 characters: ", ShortPassword: ""} {
		got := ShortPasswordWarning(n)
		if (want == "") != (got == "") || !strings.HasPrefix(got, want) {
			t.Errorf("%d characters: %q, want it to start %q", n, got, want)
		}
	}
}
