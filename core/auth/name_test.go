package auth

import (
	"errors"
	"regexp"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

func TestValidateName(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		wantErr string // substring; "" means valid
	}{
		{"a plain name is valid", "FS01", ""},
		{"one character is enough", "a", ""},
		{"dots, dashes and underscores are allowed", "web-01_eu.prod", ""},
		{"63 characters is the limit and still valid", strings.Repeat("a", 63), ""},
		{"an empty name is refused", "", "slave name is empty"},
		{"a space is named as such", "a b", `slave name "a b" has a space; use letters, digits, '-', '_' or '.'`},
		{"64 characters is refused and the length is said", strings.Repeat("a", 64), "is 64 characters long; at most 63"},
		{"a slash is named with its position", "a/b", `has '/' at position 2`},
		{"a non-ASCII letter is refused", "serveur-é", `has 'é' at position 9`},
		{"a control character is escaped in the message", "a\x00b", `"a\x00b" has '\x00' at position 2`},
		{"invalid UTF-8 is named as a byte", "a\xffb", "the byte 0xff, which is not UTF-8,"},
		{"a huge name is shortened in the message", strings.Repeat("x", 4000) + " ", "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateName(tt.in)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("ValidateName(%q) = %v, want nil", tt.in, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("ValidateName(%q) = nil, want an error containing %q", tt.in, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ValidateName(%q) = %q, want it to contain %q", tt.in, err, tt.wantErr)
			}
			if !errors.Is(err, ErrInvalidName) {
				t.Errorf("ValidateName(%q) does not match ErrInvalidName", tt.in)
			}
			if len(err.Error()) > 200 {
				t.Errorf("message is %d bytes long; a log line should stay short", len(err.Error()))
			}
		})
	}
}

func TestNormalizeNameFoldsCase(t *testing.T) {
	if got := NormalizeName("FS01.Prod"); got != "fs01.prod" {
		t.Errorf("NormalizeName = %q, want fs01.prod", got)
	}
}

// The hand-written scanner must agree with the rule as DESIGN §2 states it.
var nameModel = regexp.MustCompile(`^[A-Za-z0-9._-]{1,63}$`)

func TestValidateNameAgreesWithTheRegexpModel(t *testing.T) {
	alphabet := []rune("aZ09-_. /\x00é\u202eÿ")
	rapid.Check(t, func(t *rapid.T) {
		var name string
		if rapid.Bool().Draw(t, "arbitrary") {
			name = rapid.String().Draw(t, "name")
		} else {
			// Mostly valid characters, around the length limit.
			rs := rapid.SliceOfN(rapid.SampledFrom(alphabet), 0, 70).Draw(t, "runes")
			name = string(rs)
		}
		want := nameModel.MatchString(name)
		if got := ValidateName(name) == nil; got != want {
			t.Fatalf("ValidateName(%q) valid=%v, regexp says %v", name, got, want)
		}
	})
}
