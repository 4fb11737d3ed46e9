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

func TestGeneratedPasswordsAreLongAndUnambiguous(t *testing.T) {
	seen := map[string]bool{}
	for range 200 {
		pw := string(GeneratePassword())
		groups := strings.Split(pw, "-")
		if len(groups) != 6 {
			t.Fatalf("%q is not six groups", pw)
		}
		for _, g := range groups {
			if len(g) != 4 || strings.Trim(g, PasswordAlphabet) != "" {
				t.Fatalf("%q has a group %q outside the alphabet", pw, g)
			}
		}
		if strings.ContainsAny(pw, "0O1lI") {
			t.Fatalf("%q has a look-alike character", pw)
		}
		if seen[pw] {
			t.Fatalf("%q came twice", pw)
		}
		seen[pw] = true
	}
}
