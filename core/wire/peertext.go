package wire

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/lanyard/lanyard/core/human"
)

// MaxQuoted is how many bytes of a peer's text Quote keeps.
const MaxQuoted = 120

// Quote is how words a peer sent (a close reason, a name, a software
// string, a request error) are shown and logged: in double quotes, with
// control, format and invalid characters escaped as Go does (%q), and cut to
// MaxQuoted bytes with "…" after the quote. The quotes say they are the
// peer's words, not Lanyard's; the escaping keeps a hostile peer from
// forging a log line or hiding text behind bidi overrides; the cut keeps it
// from filling a log with one reason. Every place that shows peer text
// uses it.
func Quote(s string) string { return QuoteUpTo(s, MaxQuoted) }

// QuoteUpTo is Quote with another cut, for a peer's longer text (an
// agent's answer to a console's command).
func QuoteUpTo(s string, max int) string {
	c, cut := human.Cut(s, max)
	if !cut {
		return strconv.Quote(s)
	}
	return strconv.Quote(c) + "…"
}

// PlainUpTo is how a peer's everyday words (an agent's account of the
// changes it made) are shown: as they are when they are plain (valid
// UTF-8, printable, no control or format character, at most max bytes),
// and quoted and cut as Quote does otherwise. They stay readable, and a
// hostile peer still cannot forge a line or hide text behind a bidi
// override.
func PlainUpTo(s string, max int) string {
	if len(s) <= max && utf8.ValidString(s) && !strings.ContainsFunc(s, func(r rune) bool { return !unicode.IsPrint(r) }) {
		return s
	}
	return QuoteUpTo(s, max)
}
