package human

import (
	"fmt"
	"strings"
	"time"
)

// stampLayouts are the ways a person types a date and time, the zone
// the local one unless the text gives its own.
var stampLayouts = []string{time.RFC3339, "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02 15:04", "2006-01-02"}

// ParseStamp reads a date and time as a person types it: "2026-12-04
// 08:00", "2026-12-04T08:00", "2026-12-04" (its start), in the local
// zone; or an RFC 3339 time with its own.
func ParseStamp(s string) (time.Time, bool) {
	for _, layout := range stampLayouts {
		if t, err := time.ParseInLocation(layout, strings.TrimSpace(s), time.Local); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// ParseUntil reads the end of something as a person types it: a time of
// day, "08:00", which is its next coming after now (tomorrow's when today's
// is past); or a date and time as ParseStamp reads it. The time must be
// after now.
func ParseUntil(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if c, err := time.ParseInLocation("15:04", s, time.Local); err == nil {
		n := now.Local()
		t := time.Date(n.Year(), n.Month(), n.Day(), c.Hour(), c.Minute(), 0, 0, time.Local)
		if !t.After(now) {
			t = t.AddDate(0, 0, 1)
		}
		return t, nil
	}
	if t, ok := ParseStamp(s); ok {
		if !t.After(now) {
			return time.Time{}, fmt.Errorf("%s is past: give a time to come", t.Local().Format(StampLayout))
		}
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%q is not a time: give HH:MM, or YYYY-MM-DD HH:MM", s)
}
