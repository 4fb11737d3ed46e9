package human

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestBytes(t *testing.T) {
	for _, c := range []struct {
		n    int64
		want string
	}{
		{0, "0 B"}, {1023, "1023 B"}, {1024, "1.0 KiB"}, {1536, "1.5 KiB"},
		{5 << 20, "5.0 MiB"}, {3_328_599_654, "3.1 GiB"}, {1 << 60, "1.0 EiB"},
	} {
		if got := Bytes(c.n); got != c.want {
			t.Errorf("Bytes(%d) = %q, want %q", c.n, got, c.want)
		}
		if got := Bytes(uint64(c.n)); got != c.want {
			t.Errorf("Bytes(uint64(%d)) = %q, want %q", c.n, got, c.want)
		}
	}
	if got := Bytes(uint64(1<<64 - 1)); got != "16.0 EiB" {
		t.Errorf("the largest size reads %q", got)
	}
}

func TestCount(t *testing.T) {
	for _, c := range []struct {
		n    int64
		want string
	}{
		{0, "0"}, {7, "7"}, {999, "999"}, {1000, "1,000"}, {10_000, "10,000"}, {19_000, "19,000"},
		{123_456, "123,456"}, {1_234_567, "1,234,567"}, {-1_234, "-1,234"}, {-999, "-999"},
		{-9_223_372_036_854_775_808, "-9,223,372,036,854,775,808"},
	} {
		if got := Count(c.n); got != c.want {
			t.Errorf("Count(%d) = %q, want %q", c.n, got, c.want)
		}
	}
	if got := Count(uint64(1<<64 - 1)); got != "18,446,744,073,709,551,615" {
		t.Errorf("the largest count reads %q", got)
	}
	if got := Count(50000); got != "50,000" {
		t.Errorf("an int reads %q", got)
	}
}

func TestPlural(t *testing.T) {
	for _, c := range []struct {
		n    int64
		want string
	}{{0, "0 files"}, {1, "1 file"}, {2, "2 files"}, {1210, "1,210 files"}, {-1, "-1 files"}} {
		if got := Plural(c.n, "file", "files"); got != c.want {
			t.Errorf("Plural(%d) = %q, want %q", c.n, got, c.want)
		}
	}
	if got := Plural(uint64(1), "existing file was replaced", "existing files were replaced"); got != "1 existing file was replaced" {
		t.Errorf("a phrase reads %q", got)
	}
}

func TestUsage(t *testing.T) {
	if got := Usage(3_328_599_654, 8_375_186_227); got != "3.1 GiB of 7.8 GiB (39 %)" {
		t.Errorf("Usage = %q", got)
	}
	if got := Usage(5, 0); got != "" {
		t.Errorf("an unknown total reads %q, want nothing", got)
	}
}

func TestDuration(t *testing.T) {
	for _, c := range []struct {
		d    time.Duration
		want string
	}{
		{-time.Second, "0 s"}, {0, "0 s"}, {45 * time.Second, "45 s"}, {12*time.Minute + 59*time.Second, "12 min"},
		{3*time.Hour + 5*time.Minute, "3 h 5 min"}, {98 * time.Hour, "4 d 2 h"},
	} {
		if got := Duration(c.d); got != c.want {
			t.Errorf("Duration(%s) = %q, want %q", c.d, got, c.want)
		}
	}
	for d, want := range map[time.Duration]string{
		0: "under 1 ms", 999 * time.Microsecond: "under 1 ms", 12 * time.Millisecond: "12 ms", 49 * time.Millisecond: "49 ms",
		50 * time.Millisecond: "0.1 s", 140 * time.Millisecond: "0.1 s", 12345 * time.Millisecond: "12.3 s", 59960 * time.Millisecond: "1 min",
		3*time.Minute + 4*time.Second: "3 min 4 s", 5 * time.Minute: "5 min", 59*time.Minute + 59600*time.Millisecond: "1 h 0 min",
		2*time.Hour + 12*time.Minute + 30*time.Second: "2 h 12 min", -time.Second: "0 s",
	} {
		if got := Took(d); got != want {
			t.Errorf("Took(%s) = %q, want %q", d, got, want)
		}
	}
	if got := Seconds(3600); got != "1 h 0 min" {
		t.Errorf("Seconds(3600) = %q", got)
	}
}

// A round trip reads to a tenth of a millisecond on a LAN, to the
// millisecond beyond; none measured is nothing.
func TestRoundTrip(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "", -time.Millisecond: "", 300 * time.Microsecond: "0.3 ms", 9940 * time.Microsecond: "9.9 ms",
		10 * time.Millisecond: "10 ms", 48700 * time.Microsecond: "48 ms", 1500 * time.Millisecond: "1500 ms",
	} {
		if got := RoundTrip(d); got != want {
			t.Errorf("RoundTrip(%v) = %q, want %q", d, got, want)
		}
	}
	if got := Millis(48700 * time.Microsecond); got != 48.7 {
		t.Errorf("Millis(48.7 ms) = %v", got)
	}
	for _, d := range []time.Duration{0, 300 * time.Microsecond, 48700 * time.Microsecond, -2500 * time.Microsecond, 90 * time.Second} {
		if got := FromMillis(Millis(d)); got != d {
			t.Errorf("FromMillis(Millis(%v)) = %v", d, got)
		}
	}
	if OnOff(true) != "on" || OnOff(false) != "off" {
		t.Error("a setting on or off is written otherwise")
	}
}

func TestTypedIsADurationAsAFlagTakesIt(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "0s", 10 * time.Second: "10s", time.Minute: "1m", 90 * time.Second: "1m30s", 10 * time.Minute: "10m",
		time.Hour: "1h", 90 * time.Minute: "1h30m", 36 * time.Hour: "36h", time.Hour + 5*time.Second: "1h0m5s",
		59500 * time.Millisecond: "1m", 1400 * time.Millisecond: "1s",
	} {
		if got := Typed(d); got != want {
			t.Errorf("Typed(%s) = %q, want %q", d, got, want)
		}
		if back, err := time.ParseDuration(Typed(d)); err != nil || back != d.Round(time.Second) {
			t.Errorf("Typed(%s) = %q reads back as %s, %v", d, Typed(d), back, err)
		}
	}
}

func TestAge(t *testing.T) {
	for _, c := range []struct {
		d    time.Duration
		want string
	}{
		{-time.Second, "0 s"}, {59 * time.Second, "59 s"}, {time.Minute, "1 min"}, {59*time.Minute + 59*time.Second, "59 min"},
		{time.Hour, "1 h"}, {23*time.Hour + 59*time.Minute, "23 h"}, {24 * time.Hour, "1 d"}, {400 * 24 * time.Hour, "400 d"},
	} {
		if got := Age(c.d); got != c.want {
			t.Errorf("Age(%s) = %q, want %q", c.d, got, c.want)
		}
	}
}

func TestAgo(t *testing.T) {
	now := time.Date(2026, 12, 3, 15, 15, 7, 0, time.Local)
	for _, c := range []struct {
		t    time.Time
		want string
	}{
		{time.Time{}, ""},
		{now.Add(-12 * time.Minute), "15:03:07 (12 min ago)"},
		{now.Add(-27*time.Hour - 12*time.Minute), "2 Dec 2026 12:03 (1 d 3 h ago)"},
		{time.Date(2026, 12, 3, 0, 0, 1, 0, time.Local), "00:00:01 (15 h 15 min ago)"},
	} {
		if got := Ago(c.t, now); got != c.want {
			t.Errorf("Ago(%s) = %q, want %q", c.t, got, c.want)
		}
	}
}

// TestStamp: the day is now's, in now's time zone: a moment written in
// another zone is seen as the reader's clock shows it.
func TestStamp(t *testing.T) {
	east := time.FixedZone("UTC+5", 5*3600)
	now := time.Date(2026, 12, 3, 2, 30, 0, 0, east) // 2 Dec 21:30 UTC
	for _, c := range []struct {
		t    time.Time
		want string
	}{
		{now.Add(-time.Hour), "01:30:00"},
		{time.Date(2026, 12, 2, 20, 0, 0, 0, time.UTC), "01:00:00"}, // the day before in UTC, the same day east
		{time.Date(2026, 12, 2, 18, 59, 0, 0, time.UTC), "2 Dec 2026 23:59"},
		{now.Add(-400 * 24 * time.Hour), "29 Oct 2025 02:30"},
	} {
		if got := Stamp(c.t, now); got != c.want {
			t.Errorf("Stamp(%s) = %q, want %q", c.t, got, c.want)
		}
	}
}

func TestList(t *testing.T) {
	for _, c := range []struct {
		first []string
		total int
		want  string
	}{
		{nil, 0, ""},
		{[]string{"FS01"}, 1, "FS01"},
		{[]string{"FS01", "FS02"}, 2, "FS01 and FS02"},
		{[]string{"FS01", "FS02", "FS03"}, 3, "FS01, FS02 and FS03"},
		{[]string{"FS01", "FS02"}, 5, "FS01, FS02 and 3 more"},
		{[]string{"a"}, 1201, "a and 1,200 more"},
	} {
		if got := List(c.first, c.total); got != c.want {
			t.Errorf("List(%q, %d) = %q, want %q", c.first, c.total, got, c.want)
		}
	}
}

func TestParseUntilReadsATimeOfDayOrADateAndTime(t *testing.T) {
	now := time.Date(2026, 12, 3, 15, 0, 0, 0, time.Local)
	for in, want := range map[string]time.Time{
		"18:30":                time.Date(2026, 12, 3, 18, 30, 0, 0, time.Local),
		" 08:00 ":              time.Date(2026, 12, 4, 8, 0, 0, 0, time.Local), // tomorrow's: today's is past
		"15:00":                time.Date(2026, 12, 4, 15, 0, 0, 0, time.Local),
		"2026-12-24 23:59":     time.Date(2026, 12, 24, 23, 59, 0, 0, time.Local),
		"2026-12-24T06:00":     time.Date(2026, 12, 24, 6, 0, 0, 0, time.Local),
		"2027-01-02T10:00:00Z": time.Date(2027, 1, 2, 10, 0, 0, 0, time.UTC),
	} {
		if got, err := ParseUntil(in, now); err != nil || !got.Equal(want) {
			t.Errorf("ParseUntil(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for in, want := range map[string]string{
		"2026-12-01 08:00": "1 Dec 2026 08:00 is past",
		"tomorrow":         `"tomorrow" is not a time`,
		"25:00":            `"25:00" is not a time`,
	} {
		if _, err := ParseUntil(in, now); err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("ParseUntil(%q): %v, want %q", in, err, want)
		}
	}
}

func TestParseStampReadsADateAndTimeAsTyped(t *testing.T) {
	for in, want := range map[string]time.Time{
		"2026-12-24 08:00":     time.Date(2026, 12, 24, 8, 0, 0, 0, time.Local),
		"2026-12-24T08:00":     time.Date(2026, 12, 24, 8, 0, 0, 0, time.Local),
		"2026-12-24T08:00:30":  time.Date(2026, 12, 24, 8, 0, 30, 0, time.Local),
		" 2026-12-24 ":         time.Date(2026, 12, 24, 0, 0, 0, 0, time.Local),
		"2027-01-02T10:00:00Z": time.Date(2027, 1, 2, 10, 0, 0, 0, time.UTC),
	} {
		if got, ok := ParseStamp(in); !ok || !got.Equal(want) {
			t.Errorf("ParseStamp(%q) = %v, %v; want %v", in, got, ok, want)
		}
	}
	for _, bad := range []string{"", "08:00", "tomorrow", "24/12/2026"} {
		if _, ok := ParseStamp(bad); ok {
			t.Errorf("ParseStamp(%q) read a time", bad)
		}
	}
}

// A CSV cell that a spreadsheet would take for a formula is kept as
// text; any other stays as it is.
func TestASpreadsheetCellIsNeverAFormula(t *testing.T) {
	for in, want := range map[string]string{
		"=1+1": "'=1+1", "+1": "'+1", "-2": "'-2", "@SUM(A1)": "'@SUM(A1)", "\tx": "'\tx", "\rx": "'\rx",
		"": "", "FS01": "FS01", "a=b": "a=b", "'quoted": "'quoted",
	} {
		if got := SpreadsheetCell(in); got != want {
			t.Errorf("SpreadsheetCell(%q) = %q, want %q", in, got, want)
		}
	}
}

// Words are cut where a character starts, never inside one: what is cut
// stays valid UTF-8, as protobuf and a reader need.
func TestCutNeverSplitsACharacter(t *testing.T) {
	for _, c := range []struct {
		in    string
		limit int
		want  string
		cut   bool
	}{
		{"short", 10, "short", false},
		{"exactly10!", 10, "exactly10!", false},
		{"abcdef", 3, "abc", true},
		{"naïve", 3, "na", true}, // ï is two bytes: the second would start at 3
		{"naïve", 4, "naï", true},
		{"日本語", 4, "日", true},
		{"日本語", 0, "", true},
		{"abc", -1, "", true},
	} {
		got, cut := Cut(c.in, c.limit)
		if got != c.want || cut != c.cut || !utf8.ValidString(got) {
			t.Errorf("Cut(%q, %d) = %q, %v; want %q, %v", c.in, c.limit, got, cut, c.want, c.cut)
		}
	}
	if got := Shorten("naïve", 3); got != "na…" {
		t.Errorf("Shorten cut = %q", got)
	}
	if got := Shorten("naïve", 6); got != "naïve" {
		t.Errorf("Shorten of what fits = %q", got)
	}
}
