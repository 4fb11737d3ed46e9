package address

import (
	"strings"
	"testing"
)

// FuzzParseDial: an address a person types or a file holds is read, or
// refused in words that name it; one read prints as an address that
// reads back the same, and a list reads each of its items so.
func FuzzParseDial(f *testing.F) {
	for _, s := range []string{"", "fs01", "fs01.example.lan:7000", "10.0.0.1", "::1", "[::1]:16888", "[fe80::1%eth0]:1",
		"http://10.0.0.1", "https://u@h:1/p", "a:b:c", "console:99999", "a,b", "a,,b", "x:1,x:1", "\x00", "[", "]:1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		a, err := ParseDial(in)
		if err != nil {
			if err.Error() == "" || strings.ContainsAny(err.Error(), "\n\r") {
				t.Fatalf("%q: the error %q is not one line of words", in, err)
			}
		} else {
			again, err := ParseDial(a.String())
			if err != nil || again != a {
				t.Fatalf("%q reads as %s, which reads back as %s (%v)", in, a, again, err)
			}
			if a.Port < 1 || a.Port > 65535 || a.Host == "" {
				t.Fatalf("%q reads as %+v", in, a)
			}
		}
		if list, err := ParseDialList(in); err == nil {
			if len(list) == 0 {
				t.Fatalf("%q reads as an empty list", in)
			}
			for _, a := range list {
				if again, err := ParseDial(a.String()); err != nil || again != a {
					t.Fatalf("%q: item %s reads back as %s (%v)", in, a, again, err)
				}
			}
		}
		if l, err := ParseListen(in); err == nil {
			if again, err := ParseListen(l.String()); err != nil || again != l {
				t.Fatalf("listen %q reads as %s, which reads back as %s (%v)", in, l, again, err)
			}
		}
	})
}
