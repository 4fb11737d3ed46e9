package backup

import (
	"math"
	"strconv"
	"strings"

	"golang.org/x/time/rate"

	"github.com/lanyard/lanyard/core/human"
)

// Speed is the most a task's runs may copy a second, in bytes; 0: as fast
// as the disks go. A server that serves people during the day keeps its
// disks and its network to the share for them while an hourly task runs.
type Speed int64

// MinSpeed and MaxSpeed bound a task's limit: below the least, a run of
// a few gigabytes would not end before the next; above the most, it
// limits nothing.
const (
	MinSpeed Speed = 64 << 10
	MaxSpeed Speed = 1 << 40
)

// String is s as a person writes it: "20 MiB/s", or "none".
func (s Speed) String() string {
	if s <= 0 {
		return "none"
	}
	return human.Bytes(int64(s)) + "/s"
}

// speedUnits are the units ParseSpeed reads, lower case: the binary ones
// (and their first letters, as rsync's --bwlimit reads them) and the
// decimal ones.
var speedUnits = map[string]float64{
	"": 1, "b": 1,
	"k": 1 << 10, "kib": 1 << 10, "kb": 1e3,
	"m": 1 << 20, "mib": 1 << 20, "mb": 1e6,
	"g": 1 << 30, "gib": 1 << 30, "gb": 1e9,
	"t": 1 << 40, "tib": 1 << 40, "tb": 1e12, // as String may show it
}

// ParseSpeed reads a speed limit: "20MiB/s", "20 MB/s", "500k", or
// "none", "off", "0" or "" for none. A number without a unit is bytes a
// second.
func ParseSpeed(s string) (Speed, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	switch t {
	case "", "0", "none", "off":
		return 0, nil
	}
	t = strings.TrimSpace(strings.TrimSuffix(t, "/s"))
	end := strings.IndexFunc(t, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	if end < 0 {
		end = len(t)
	}
	n, err := strconv.ParseFloat(t[:end], 64)
	unit, known := speedUnits[strings.TrimSpace(t[end:])]
	if err != nil || !known || math.IsInf(n, 0) {
		return 0, invalidf("speed limit %q: give a rate such as 20MiB/s, 500KiB/s or 2MB/s, or none", s)
	}
	if n*unit > float64(MaxSpeed) {
		return 0, invalidf("speed limit %q is above %s, which limits nothing: give none", s, MaxSpeed)
	}
	v := Speed(n * unit)
	if v < MinSpeed {
		return 0, invalidf("speed limit %q is below %s: a run would crawl; give at least that, or none", s, MinSpeed)
	}
	return v, nil
}

// limiter is the pace a run's workers share; nil: none.
func (s Speed) limiter() *rate.Limiter {
	if s <= 0 {
		return nil
	}
	return rate.NewLimiter(rate.Limit(s), bufSize) // a worker reads at most one buffer at a time
}

// validSpeed checks a stored task's limit (one that did not come through
// ParseSpeed: the wire, an edited file).
func validSpeed(s Speed) error {
	switch {
	case s != 0 && s < MinSpeed:
		return invalidf("speed limit %d bytes a second is below %s: give at least that, or none", int64(s), MinSpeed)
	case s > MaxSpeed:
		return invalidf("speed limit %d bytes a second is above %s, which limits nothing: give none", int64(s), MaxSpeed)
	}
	return nil
}
