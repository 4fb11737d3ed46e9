package human

import (
	"fmt"
	"strings"
	"time"
)

// untilLayouts are the times ParseUntil reads besides a time of day, in
// the local zone unless they give their own.
var untilLayouts = []string{"2006-01-02 15:04", "2006-01-02T15:04", time.RFC3339}

// ParseUntil reads the end of something as a person types it: a time of
// day, "08:00", which is its next coming after now (tomorrow's when today's
// is past); a date and time, "2026-12-04 08:00", in the local zone; or an
// RFC 3339 time with its own zone. The time must be after now.
func ParseUntil(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	var t time.Time
	if c, err := time.ParseInLocation("15:04", s, time.Local); err == nil {
		n := now.Local()
		t = time.Date(n.Year(), n.Month(), n.Day(), c.Hour(), c.Minute(), 0, 0, time.Local)
		if !t.After(now) {
			t = t.AddDate(0, 0, 1)
		}
		return t, nil
	}
	for _, layout := range untilLayouts {
		var err error
		if t, err = time.ParseInLocation(layout, s, time.Local); err == nil {
			if !t.After(now) {
				return time.Time{}, fmt.Errorf("%s is past: give a time to come", t.Local().Format(StampLayout))
			}
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a time: give HH:MM, or YYYY-MM-DD HH:MM", s)
}
