package backup

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Retention says which snapshots to keep, in the manner of restic's
// forget policy: the newest KeepLast snapshots, and the newest snapshot of
// each of the newest KeepDaily days, KeepWeekly ISO weeks and KeepMonthly
// months that have one. A snapshot any rule keeps is kept. All zero keeps
// everything. The newest complete snapshot is always kept.
type Retention struct {
	KeepLast    int `json:"keep_last,omitempty"`
	KeepDaily   int `json:"keep_daily,omitempty"`
	KeepWeekly  int `json:"keep_weekly,omitempty"`
	KeepMonthly int `json:"keep_monthly,omitempty"`
}

// Validate refuses negative counts.
func (r Retention) Validate() error {
	for _, v := range []struct {
		n    int
		flag string
	}{{r.KeepLast, "keep-last"}, {r.KeepDaily, "keep-daily"}, {r.KeepWeekly, "keep-weekly"}, {r.KeepMonthly, "keep-monthly"}} {
		if v.n < 0 {
			return invalidf("--%s %d: give 0 or more", v.flag, v.n)
		}
	}
	return nil
}

// KeepsAll says the policy deletes nothing.
func (r Retention) KeepsAll() bool { return r == Retention{} }

// String is the policy in words.
func (r Retention) String() string {
	if r.KeepsAll() {
		return "keep all"
	}
	var parts []string
	for _, v := range []struct {
		n    int
		what string
	}{{r.KeepLast, "the last %d"}, {r.KeepDaily, "%d daily"}, {r.KeepWeekly, "%d weekly"}, {r.KeepMonthly, "%d monthly"}} {
		if v.n > 0 {
			parts = append(parts, fmt.Sprintf(v.what, v.n))
		}
	}
	return "keep " + strings.Join(parts, ", ")
}

// Decide splits snapshot times into those to keep and those to remove,
// with days, weeks and months taken in loc. times may come in any order;
// both results are newest first.
func (r Retention) Decide(times []time.Time, loc *time.Location) (keep, remove []time.Time) {
	sorted := append([]time.Time(nil), times...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].After(sorted[j]) })
	if r.KeepsAll() {
		return sorted, nil
	}
	type bucket struct {
		left int
		key  func(time.Time) string
		last string
	}
	buckets := []*bucket{
		{left: r.KeepDaily, key: func(t time.Time) string { return t.Format("2006-01-02") }},
		{left: r.KeepWeekly, key: func(t time.Time) string { y, w := t.ISOWeek(); return fmt.Sprintf("%d-%02d", y, w) }},
		{left: r.KeepMonthly, key: func(t time.Time) string { return t.Format("2006-01") }},
	}
	for i, t := range sorted {
		lt := t.In(loc)
		kept := i == 0 || i < r.KeepLast
		for _, b := range buckets {
			if b.left <= 0 {
				continue
			}
			if k := b.key(lt); k != b.last {
				b.last = k
				b.left--
				kept = true
			}
		}
		if kept {
			keep = append(keep, t)
		} else {
			remove = append(remove, t)
		}
	}
	return keep, remove
}
