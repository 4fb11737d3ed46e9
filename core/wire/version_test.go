package wire_test

import (
	"testing"

	"github.com/lanyard/lanyard/core/wire"
)

func TestNegotiate(t *testing.T) {
	r := func(lo, hi uint32) wire.VersionRange { return wire.VersionRange{Min: lo, Max: hi} }
	cases := []struct {
		name string
		a, b wire.VersionRange
		want uint32
		ok   bool
	}{
		{"equal single versions agree on it", r(1, 1), r(1, 1), 1, true},
		{"overlapping ranges pick the highest common version", r(1, 3), r(2, 5), 3, true},
		{"a range inside another picks its own top", r(1, 9), r(3, 4), 4, true},
		{"ranges touching at one version pick it", r(1, 2), r(2, 3), 2, true},
		{"disjoint ranges do not agree", r(1, 2), r(3, 4), 0, false},
		{"a newer peer beyond our range does not agree", r(1, 1), r(2, 2), 0, false},
		{"an inverted range on one side does not agree", r(3, 1), r(1, 3), 0, false},
		{"inverted ranges on both sides do not agree", r(5, 1), r(4, 2), 0, false},
		{"an inverted range covering nothing does not agree with its reverse", r(2, 1), r(1, 2), 0, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, order := range [][2]wire.VersionRange{{c.a, c.b}, {c.b, c.a}} {
				got, ok := wire.Negotiate(order[0], order[1])
				if got != c.want || ok != c.ok {
					t.Errorf("Negotiate(%v, %v) = %d, %v; want %d, %v", order[0], order[1], got, ok, c.want, c.ok)
				}
			}
		})
	}
}

func TestThisBuildAgreesWithItself(t *testing.T) {
	if wire.Local != (wire.VersionRange{Min: wire.VersionMin, Max: wire.VersionMax}) {
		t.Fatalf("Local = %v, want %d..%d", wire.Local, wire.VersionMin, wire.VersionMax)
	}
	if v, ok := wire.Negotiate(wire.Local, wire.Local); !ok || v != wire.VersionMax {
		t.Fatalf("Negotiate(Local, Local) = %d, %v; want %d", v, ok, wire.VersionMax)
	}
}

func TestVersionRangeString(t *testing.T) {
	cases := []struct {
		name string
		r    wire.VersionRange
		want string
	}{
		{"a single version is written once", wire.VersionRange{Min: 1, Max: 1}, "v1"},
		{"a range is written with a dash", wire.VersionRange{Min: 1, Max: 3}, "v1–v3"},
		{"an inverted range is written as given", wire.VersionRange{Min: 4, Max: 2}, "v4–v2"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := c.r.String(); got != c.want {
				t.Fatalf("String() = %q, want %q", got, c.want)
			}
		})
	}
}
