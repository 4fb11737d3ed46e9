package auth

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/lanyard/lanyard/core/wire"
)

// MaxNameLen is the longest slave name, in characters (names are ASCII, so
// also in bytes). 63 keeps a name usable as a DNS label and as a file name.
const MaxNameLen = 63

// ErrInvalidName is wrapped by every error ValidateName returns, so callers
// can tell a bad name from other failures with errors.Is.
var ErrInvalidName = errors.New("invalid slave name")

// nameError carries a message meant for a person (the Add Slave dialog shows
// it as is) while still matching ErrInvalidName.
type nameError struct{ msg string }

func (e *nameError) Error() string { return e.msg }
func (e *nameError) Unwrap() error { return ErrInvalidName }

const nameAdvice = "use letters, digits, '-', '_' or '.'"

// ValidateName checks a slave name against DESIGN §2: 1–63 ASCII letters,
// digits, '-', '_' or '.'. The name is also the KDF salt, so every end must
// agree on exactly which names exist; the rule is deliberately narrow.
//
// The error says what is wrong in words a person can act on. Names can come
// from a remote hello, so the name is quoted (control characters escaped)
// and shortened in the message, making it safe to log.
func ValidateName(name string) error {
	if name == "" {
		return &nameError{"slave name is empty; " + nameAdvice + " (1 to 63 characters)"}
	}
	// Characters first: a name with a bad character and too many characters
	// is best fixed by learning about the character, and after this loop the
	// name is ASCII, so its length in bytes is its length in characters.
	for i, pos := 0, 1; i < len(name); pos++ {
		c := name[i]
		if nameChar(c) {
			i++
			continue
		}
		if c == ' ' {
			return &nameError{fmt.Sprintf("slave name %s has a space; %s", wire.Quote(name), nameAdvice)}
		}
		r, size := utf8.DecodeRuneInString(name[i:])
		var what string
		if r == utf8.RuneError && size == 1 {
			what = fmt.Sprintf("the byte 0x%02x, which is not UTF-8,", c)
		} else {
			what = fmt.Sprintf("%q", r)
		}
		return &nameError{fmt.Sprintf("slave name %s has %s at position %d; %s",
			wire.Quote(name), what, pos, nameAdvice)}
	}
	if len(name) > MaxNameLen {
		return &nameError{fmt.Sprintf("slave name %s is %d characters long; at most %d are allowed",
			wire.Quote(name), len(name), MaxNameLen)}
	}
	return nil
}

func nameChar(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '-' || c == '_' || c == '.'
}

// NormalizeName returns the form a name is compared, stored under and salted
// with. Valid names are ASCII, so strings.ToLower is exactly ASCII folding.
func NormalizeName(name string) string { return strings.ToLower(name) }
