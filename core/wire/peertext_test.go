package wire

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestQuoteShowsPeerWordsAsQuotedAndCut(t *testing.T) {
	long := strings.Repeat("é", MaxQuoted) // two bytes each: the cut falls inside one
	tests := []struct {
		name, in, want string
	}{
		{"plain words are quoted", "authentication failed", `"authentication failed"`},
		{"an empty reason is an empty quote", "", `""`},
		{"a newline cannot start a forged log line", "ok\n2026-01-01 INFO connected", `"ok\n2026-01-01 INFO connected"`},
		{"a bidi override is escaped", "abc\u202edef", `"abc\u202edef"`},
		{"invalid UTF-8 is escaped", "a\xffb", `"a\xffb"`},
		{"a long reason is cut on a character boundary", long, `"` + strings.Repeat("é", MaxQuoted/2) + `"…`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Quote(tt.in)
			if got != tt.want {
				t.Errorf("Quote(%.20q…) = %s, want %s", tt.in, got, tt.want)
			}
			if !utf8.ValidString(got) {
				t.Errorf("Quote returned invalid UTF-8: %q", got)
			}
		})
	}
}

func TestOnlyOurOwnCodesAreKnown(t *testing.T) {
	for _, c := range []Code{CodeSSLMismatch, CodeRateLimited, CodeNormal, CodeDisabled} {
		if !c.Known() {
			t.Errorf("%s is not known", c)
		}
	}
	for _, c := range []Code{"", "connected", "x\nINFO forged", "duplicate_install_v9"} {
		if c.Known() {
			t.Errorf("%q is taken for one of ours", c)
		}
	}
}

func TestPlainWordsStayAsTheyAreAndTheRestIsQuoted(t *testing.T) {
	for _, c := range []struct {
		in   string
		max  int
		want string
	}{
		{"masters: added 192.0.2.7:16888", 400, "masters: added 192.0.2.7:16888"},
		{"two\nlines", 400, `"two\nlines"`},
		{"evil\u202etxt.exe", 400, `"evil\u202etxt.exe"`},
		{"bad \xff byte", 400, `"bad \xff byte"`},
		{"aaaaaaaaaaaa", 10, `"aaaaaaaaaa"…`},
	} {
		if got := PlainUpTo(c.in, c.max); got != c.want {
			t.Errorf("PlainUpTo(%q, %d) = %q, want %q", c.in, c.max, got, c.want)
		}
	}
}
