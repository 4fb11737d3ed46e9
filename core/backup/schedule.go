package backup

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// ScheduleManual is the schedule of a task that runs only when asked.
const ScheduleManual = "manual"

// ScheduleForms lists the schedule forms in the words errors use.
const ScheduleForms = "a cron expression (\"30 2 * * 1-5\"), hourly, daily@HH:MM, weekly@DAY@HH:MM (DAY: mon…sun) or manual"

var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// Schedule says when a task runs. The zero value is "manual".
type Schedule struct {
	spec  string        // canonical form, as stored and shown
	sched cron.Schedule // nil for manual
}

// ParseSchedule reads a schedule: a five-field cron expression (minute,
// hour, day of month, month, day of week, in the agent's local time; cron
// descriptors such as @daily too) or one of the presets hourly,
// daily@HH:MM, weekly@DAY@HH:MM and manual. "" means manual.
func ParseSchedule(s string) (Schedule, error) {
	spec := strings.TrimSpace(s)
	low := strings.ToLower(spec)
	expr := spec
	switch {
	case low == "" || low == ScheduleManual:
		return Schedule{spec: ScheduleManual}, nil
	case low == "hourly":
		spec, expr = "hourly", "0 * * * *"
	case strings.HasPrefix(low, "daily@"):
		h, m, err := parseClock(low[len("daily@"):])
		if err != nil {
			return Schedule{}, fmt.Errorf("schedule %q: %w", s, err)
		}
		spec, expr = fmt.Sprintf("daily@%02d:%02d", h, m), fmt.Sprintf("%d %d * * *", m, h)
	case strings.HasPrefix(low, "weekly@"):
		day, clock, ok := strings.Cut(low[len("weekly@"):], "@")
		if !ok {
			return Schedule{}, fmt.Errorf("schedule %q: write weekly@DAY@HH:MM, e.g. weekly@sun@03:00", s)
		}
		d, err := parseWeekday(day)
		if err != nil {
			return Schedule{}, fmt.Errorf("schedule %q: %w", s, err)
		}
		h, m, err := parseClock(clock)
		if err != nil {
			return Schedule{}, fmt.Errorf("schedule %q: %w", s, err)
		}
		spec = fmt.Sprintf("weekly@%s@%02d:%02d", weekdayNames[d], h, m)
		expr = fmt.Sprintf("%d %d * * %d", m, h, d)
	}
	sched, err := parseCron(expr)
	if err != nil {
		return Schedule{}, fmt.Errorf("schedule %q is not valid: %s", s, scheduleAdvice(low, err))
	}
	if sched.Next(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)).IsZero() {
		return Schedule{}, fmt.Errorf("schedule %q never fires: use %s", s, ScheduleForms)
	}
	return Schedule{spec: spec, sched: sched}, nil
}

// scheduleAdvice says what to write instead of low, which is no
// schedule, in lower case: for a word of ours written another way ("daily
// at 2", "every day", "weekly"), that word's form; for anything else, what
// the cron parser found wrong and every form there is.
func scheduleAdvice(low string, err error) string {
	words := strings.FieldsFunc(low, func(r rune) bool { return r == ' ' || r == '@' || r == '\t' })
	if len(words) > 0 {
		switch words[0] {
		case "daily", "day", "every", "nightly":
			if slices.Contains(words, "hour") || slices.Contains(words, "hourly") {
				return "write hourly, for every hour on the hour"
			}
			return "write daily@HH:MM, as in daily@02:00"
		case "weekly", "week":
			return "write weekly@DAY@HH:MM, as in weekly@sun@03:00"
		case "hourly", "hour":
			return "write hourly, for every hour on the hour"
		}
	}
	return fmt.Sprintf("%v; use %s", err, ScheduleForms)
}

// parseCron is the cron parser, which panics on some malformed input
// ("TZ=" with nothing after it): that is an error too, not a crash.
func parseCron(expr string) (sched cron.Schedule, err error) {
	defer func() {
		if r := recover(); r != nil {
			sched, err = nil, fmt.Errorf("malformed")
		}
	}()
	return cronParser.Parse(expr)
}

var weekdayNames = [...]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

func parseWeekday(s string) (int, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	for i, n := range weekdayNames {
		if len(s) >= 3 && strings.HasPrefix(strings.ToLower(time.Weekday(i).String()), s) || s == n {
			return i, nil
		}
	}
	return 0, fmt.Errorf("%q is not a day of the week: use mon, tue, wed, thu, fri, sat or sun", s)
}

func parseClock(s string) (h, m int, err error) {
	hs, ms, ok := strings.Cut(strings.TrimSpace(s), ":")
	bad := fmt.Errorf("%q is not a time of day: use HH:MM, 00:00 to 23:59", s)
	if !ok || len(ms) != 2 || len(hs) < 1 || len(hs) > 2 {
		return 0, 0, bad
	}
	if h, err = strconv.Atoi(hs); err != nil || h < 0 || h > 23 {
		return 0, 0, bad
	}
	if m, err = strconv.Atoi(ms); err != nil || m < 0 || m > 59 {
		return 0, 0, bad
	}
	return h, m, nil
}

// String is the canonical form, which ParseSchedule reads back.
func (s Schedule) String() string {
	if s.spec == "" {
		return ScheduleManual
	}
	return s.spec
}

// Manual says the task runs only when asked.
func (s Schedule) Manual() bool { return s.sched == nil }

// Next is the first time after t the task is due, or the zero time for a
// manual task.
func (s Schedule) Next(t time.Time) time.Time {
	if s.sched == nil {
		return time.Time{}
	}
	return s.sched.Next(t)
}

// Prev is the last time at or before t the task was due (looking back at
// most a year and a day), or the zero time.
func (s Schedule) Prev(t time.Time) time.Time {
	if s.sched == nil {
		return time.Time{}
	}
	// Walk forward from a start that is surely before the previous slot,
	// widening the window until a slot is found.
	for back := time.Hour; back <= 367*24*time.Hour; back *= 4 {
		var last time.Time
		for n := s.sched.Next(t.Add(-back)); !n.IsZero() && !n.After(t); n = s.sched.Next(n) {
			last = n
		}
		if !last.IsZero() {
			return last
		}
	}
	return time.Time{}
}

// Interval is the longest gap between two consecutive runs over the
// coming weeks (a weekday-only schedule gives the weekend's gap), or 0 for
// a manual task.
func (s Schedule) Interval(from time.Time) time.Duration {
	if s.sched == nil {
		return 0
	}
	var longest time.Duration
	prev := s.sched.Next(from)
	for i := 0; i < 400 && !prev.IsZero(); i++ {
		n := s.sched.Next(prev)
		if n.IsZero() {
			break
		}
		longest = max(longest, n.Sub(prev))
		prev = n
	}
	return longest
}
