package human

import (
	"cmp"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"pgregory.net/rapid"
)

func TestCompareNamesReadsNumbersByValue(t *testing.T) {
	got := []string{"srv10", "srv2", "Srv1", "srv1", "srv01", "srv", "SRV3b", "srv3a", "db-9", "db-10", "db_1", "db.2", "0", "007", "10", "9", "a1b2", "a1b10", "a01b3", "Émile", "eve", "zed"}
	want := []string{"0", "007", "9", "10", "a1b2", "a01b3", "a1b10", "db-9", "db-10", "db.2", "db_1", "eve", "srv", "Srv1", "srv01", "srv1", "srv2", "srv3a", "SRV3b", "srv10", "zed", "Émile"}
	slices.SortFunc(got, CompareNames)
	if !slices.Equal(got, want) {
		t.Errorf("sorted:\n got  %q\n want %q", got, want)
	}
}

func TestCompareNamesCases(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"", "a", -1},
		{"a", "A", 1}, // equal but for case: byte order, upper case first
		{"ab", "AB", 1},
		{"x2", "x10", -1},
		{"x99999999999999999999999", "x100000000000000000000000", -1}, // longer than any integer type
		{"x0002", "x2", -1}, // equal values: byte order
		{"x2y", "x02z", -1}, // the value ties, what follows decides
		{"a-1", "a1", -1},   // '-' before a digit
		{"a:1", "a1", 1},    // ':' after one
		{"ä", "Ä", 1},
		{"\xff", "\xfe", 1},     // not UTF-8: still ordered
		{"\xc3", "\xc3\xa9", 1}, // a rune cut short is U+FFFD, after é
		{"\xc3x", "\xc3\xa9", 1},
	} {
		if got := CompareNames(c.a, c.b); got != c.want {
			t.Errorf("CompareNames(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}

// names draws names from an alphabet where digits, case and leading
// zeros meet often, and byte strings where runes are cut short.
func names() *rapid.Generator[string] {
	return rapid.OneOf(
		rapid.StringOfN(rapid.SampledFrom([]rune("0012aAbB-_.:/éÉKK\uFFFD")), 0, 8, -1),
		rapid.Map(rapid.SliceOfN(rapid.SampledFrom([]byte("01aA\xc3\xa9\xe2\x82\xac\xff")), 0, 8), func(b []byte) string { return string(b) }),
	)
}

func TestCompareNamesIsATotalOrder(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		a, b, c := names().Draw(t, "a"), names().Draw(t, "b"), names().Draw(t, "c")
		ab, ba := CompareNames(a, b), CompareNames(b, a)
		if ab != -ba {
			t.Fatalf("CompareNames(%q, %q) = %d but the reverse = %d", a, b, ab, ba)
		}
		if (ab == 0) != (a == b) {
			t.Fatalf("CompareNames(%q, %q) = %d", a, b, ab)
		}
		bc, ac := CompareNames(b, c), CompareNames(a, c)
		if ab <= 0 && bc <= 0 && ac > 0 {
			t.Fatalf("%q ≤ %q ≤ %q but %q > %q", a, b, c, a, c)
		}
	})
}

func TestCompareNamesSortsAnyOrderTheSameWay(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		list := rapid.SliceOfN(names(), 0, 20).Draw(t, "names")
		sorted := slices.SortedFunc(slices.Values(list), CompareNames)
		shuffled := rapid.Permutation(list).Draw(t, "shuffled")
		slices.SortFunc(shuffled, CompareNames)
		if !slices.Equal(sorted, shuffled) {
			t.Fatalf("%q sorted two ways: %q and %q", list, sorted, shuffled)
		}
	})
}

func TestNameKeySortsAsCompareNames(t *testing.T) {
	long := strings.Repeat("7", 300) // a run longer than a byte can count
	for _, c := range [][2]string{{"x" + long, "x" + long + "1"}, {"x" + long, "x9"}, {"x" + long + "a", "x" + long + "b"}} {
		if got, want := strings.Compare(NameKey(c[0]), NameKey(c[1])), CompareNames(c[0], c[1]); got != want {
			t.Errorf("%.12q… vs %.12q…: keys compare %d, names %d", c[0], c[1], got, want)
		}
	}
	rapid.Check(t, func(t *rapid.T) {
		a, b := names().Draw(t, "a"), names().Draw(t, "b")
		got, want := strings.Compare(NameKey(a), NameKey(b)), compareNatural(a, b)
		if got != want {
			t.Fatalf("%q vs %q: keys %q and %q compare %d, the names %d", a, b, NameKey(a), NameKey(b), got, want)
		}
	})
}

func BenchmarkCompareNames(b *testing.B) {
	list := make([]string, 10_000)
	for i := range list {
		list[i] = "customer-site-" + Count(i*7919%10_000) + "-fs"
	}
	for b.Loop() {
		slices.SortFunc(slices.Clone(list), CompareNames)
	}
}

// TestCompareNamesFollowsItsTokens holds CompareNames to what its
// comment says, read the slow way: the names cut into tokens first.
func TestCompareNamesFollowsItsTokens(t *testing.T) {
	type token struct {
		number string // a run of digits: its value's digits ("" for 0)
		isNum  bool
		r      rune // the rune in lower case, or the run's first digit
	}
	cut := func(s string) (out []token) {
		for s != "" {
			if n := digitsEnd(s, 0); n > 0 {
				out = append(out, token{number: strings.TrimLeft(s[:n], "0"), isNum: true, r: rune(s[0])})
				s = s[n:]
				continue
			}
			r, n := utf8.DecodeRuneInString(s)
			out = append(out, token{r: unicode.ToLower(r)})
			s = s[n:]
		}
		return out
	}
	compare := func(x, y token) int {
		if x.isNum && y.isNum {
			return cmp.Or(cmp.Compare(len(x.number), len(y.number)), strings.Compare(x.number, y.number))
		}
		return cmp.Compare(x.r, y.r)
	}
	rapid.Check(t, func(t *rapid.T) {
		a, b := names().Draw(t, "a"), names().Draw(t, "b")
		want := slices.CompareFunc(cut(a), cut(b), compare)
		if want == 0 {
			want = strings.Compare(a, b)
		}
		if got := CompareNames(a, b); got != want {
			t.Fatalf("CompareNames(%q, %q) = %d, by its tokens %d", a, b, got, want)
		}
	})
}

func BenchmarkNameKeys(b *testing.B) {
	list := make([]string, 10_000)
	for i := range list {
		list[i] = NameKey("customer-site-" + Count(i*7919%10_000) + "-fs")
	}
	for b.Loop() {
		slices.Sort(slices.Clone(list))
	}
}

func TestNearestIsTheNameMeantByASlip(t *testing.T) {
	names := []string{"docs", "db2", "db10", "FS01", "FS02", "mail", "destination"}
	for _, tt := range []struct{ typed, want string }{
		{"dcos", "docs"},        // two letters swapped
		{"fs1", "FS01"},         // one left out, case aside
		{"FS03", "FS01"},        // as close as FS02: the first as names are counted
		{"dest", "destination"}, // starts it
		{"mailbox", "mail"},     // it starts it
		{"web01", ""},           // nothing close
		{"d", ""},               // too short to have anything in common
		{"DOCS", ""},            // the same name: no slip
	} {
		if got := Nearest(tt.typed, slices.Values(names)); got != tt.want {
			t.Errorf("Nearest(%q) = %q, want %q", tt.typed, got, tt.want)
		}
	}
}
