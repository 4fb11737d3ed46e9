package wire

import "fmt"

// The protocol versions this build speaks. A link uses the highest version
// both ends support.
const (
	VersionMin uint32 = 1
	VersionMax uint32 = 1
)

// HelloMagic is the Hello message's magic field.
const HelloMagic = "lanyard"

// VersionRange is an inclusive range of protocol versions.
type VersionRange struct{ Min, Max uint32 }

// Local is this build's range.
var Local = VersionRange{VersionMin, VersionMax}

func (r VersionRange) String() string {
	if r.Min == r.Max {
		return fmt.Sprintf("v%d", r.Min)
	}
	return fmt.Sprintf("v%d–v%d", r.Min, r.Max)
}

// Negotiate returns the highest version in both ranges, or false when they
// do not overlap.
func Negotiate(a, b VersionRange) (uint32, bool) {
	hi := min(a.Max, b.Max)
	lo := max(a.Min, b.Min)
	if a.Min > a.Max || b.Min > b.Max || hi < lo {
		return 0, false
	}
	return hi, true
}
