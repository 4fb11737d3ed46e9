package backup

import (
	"errors"
	"strconv"
	"strings"
	"time"
)

// ParseDuration reads an "overdue after" as people write it: a Go
// duration ("36h", "90m") or whole days ("3d"). Negative values are
// refused.
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if d, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(d)
		if err != nil || n < 0 {
			return 0, errors.New("write a duration such as 36h or 3d")
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, errors.New("write a duration such as 36h or 3d")
	}
	return d, nil
}
