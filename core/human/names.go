package human

import (
	"cmp"
	"encoding/binary"
	"iter"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/agnivade/levenshtein"
)

// CompareNames orders the names of servers, groups and tasks as people
// read a list of them: without regard to case, and a run of digits by
// its value, so that srv2 comes before srv10 and Srv3 beside srv3. Names
// that differ only in case or in leading zeros ("srv01", "srv1") are
// ordered by their bytes, so that a sort always comes out the same.
//
// It is a total order: every list of names sorts one way whatever its
// order before.
func CompareNames(a, b string) int {
	if c := compareNatural(a, b); c != 0 {
		return c
	}
	return strings.Compare(a, b)
}

// NameKey is name made into a key that sorts as CompareNames does, for
// long lists sorted often: strings.Compare(NameKey(a), NameKey(b)) is
// CompareNames(a, b) for any two names but those equal but for case or
// leading zeros, whose keys are equal. A run of digits becomes '0', its
// length without leading zeros, and those digits; any other rune is
// written in lower case.
func NameKey(name string) string {
	var b strings.Builder
	b.Grow(len(name) + 2)
	for i := 0; i < len(name); {
		if isDigit(name[i]) {
			end := digitsEnd(name, i)
			n := strings.TrimLeft(name[i:end], "0")
			b.WriteByte('0') // the place of a digit among other runes
			if len(n) < 0xff {
				b.WriteByte(byte(len(n)))
			} else {
				b.WriteByte(0xff)
				b.Write(binary.BigEndian.AppendUint64(nil, uint64(len(n))))
			}
			b.WriteString(n)
			i = end
			continue
		}
		r, size := lowerRune(name[i:])
		b.WriteRune(r)
		i += size
	}
	return b.String()
}

// compareNatural compares a and b as sequences of tokens: a run of
// digits is one token, ordered by its value among numbers and as a digit
// among other characters (after '/' and before ':'); any other rune is
// one token, in lower case.
func compareNatural(a, b string) int {
	i := commonStart(a, b)
	j := i
	for i < len(a) && j < len(b) {
		if isDigit(a[i]) && isDigit(b[j]) {
			ea, eb := digitsEnd(a, i), digitsEnd(b, j)
			if c := compareNumbers(a[i:ea], b[j:eb]); c != 0 {
				return c
			}
			i, j = ea, eb
			continue
		}
		ra, sa := lowerRune(a[i:])
		rb, sb := lowerRune(b[j:])
		if ra != rb {
			return cmp.Compare(ra, rb)
		}
		i, j = i+sa, j+sb
	}
	return cmp.Compare(len(a)-i, len(b)-j)
}

// commonStart is where a and b start to differ, moved back to the start
// of the rune, and of the run of digits, it falls in: the tokens before
// it are the same in both.
func commonStart(a, b string) int {
	k := 0
	for k < len(a) && k < len(b) && a[k] == b[k] {
		k++
	}
	for k > 0 && (midRune(a, k) || midRune(b, k)) {
		k--
	}
	for k > 0 && isDigit(a[k-1]) {
		k--
	}
	return k
}

// compareNumbers compares two runs of decimal digits by their value,
// however long.
func compareNumbers(x, y string) int {
	x, y = strings.TrimLeft(x, "0"), strings.TrimLeft(y, "0")
	return cmp.Or(cmp.Compare(len(x), len(y)), strings.Compare(x, y))
}

// lowerRune is the first rune of s in lower case, and its length in s.
func lowerRune(s string) (rune, int) {
	if c := s[0]; c < utf8.RuneSelf {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		return rune(c), 1
	}
	r, n := utf8.DecodeRuneInString(s)
	return unicode.ToLower(r), n
}

// midRune: s[k] continues a rune that starts before it.
func midRune(s string, k int) bool { return k < len(s) && !utf8.RuneStart(s[k]) }

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func digitsEnd(s string, i int) int {
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	return i
}

// Nearest is the one of candidates that typed is most likely a slip for,
// as it is written there, or "" when none is close: one within two edits
// of it ("dcos" for docs) with something in common, or, three
// characters long or more, one that starts it or that it starts
// ("--destination" for --dest, "--sl" for --slave). Case does not count.
// Of two as close, the first as CompareNames orders them.
func Nearest(typed string, candidates iter.Seq[string]) string {
	typed = strings.ToLower(typed)
	best, bestD := "", nearEdits+1
	for c := range candidates {
		lc := strings.ToLower(c)
		d := levenshtein.ComputeDistance(typed, lc)
		if len(lc) >= 3 && (strings.HasPrefix(typed, lc) || strings.HasPrefix(lc, typed)) {
			d = min(d, 1)
		}
		if d == 0 || d >= len(typed) {
			continue // the same, or nothing in common with it
		}
		if d < bestD || d == bestD && CompareNames(c, best) < 0 {
			best, bestD = c, d
		}
	}
	return best
}

// nearEdits is how many edits away a name may be for Nearest.
const nearEdits = 2
