package human

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Bytes is n in binary units: "512 B", "1.5 KiB", "3.1 GiB".
func Bytes[N ~int64 | ~uint64 | ~int](n N) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := N(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// Count is n with its thousands grouped, as English readers expect of a
// fleet's sizes: "950", "10,000", "-1,234,567".
func Count[N ~int | ~int64 | ~uint64](n N) string {
	digits := strconv.FormatUint(uint64(n), 10)
	sign := ""
	if n < 0 {
		digits, sign = strconv.FormatUint(uint64(-n), 10), "-"
	}
	var b strings.Builder
	b.WriteString(sign)
	for i, c := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// Plural is n and the noun's form for it: "1 file", "0 files",
// "1,210 files".
func Plural[N ~int | ~int64 | ~uint64](n N, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return Count(n) + " " + many
}

// List names things in words: "a", "a and b", "a, b and c". first are
// the ones named, of total in all; the rest are counted: "a, b and 3
// more".
func List(first []string, total int) string {
	if more := total - len(first); more > 0 {
		return strings.Join(first, ", ") + " and " + Count(more) + " more"
	}
	switch len(first) {
	case 0:
		return ""
	case 1:
		return first[0]
	}
	return strings.Join(first[:len(first)-1], ", ") + " and " + first[len(first)-1]
}

// Usage is "3.1 GiB of 7.8 GiB (40 %)", or "" when total is unknown (0).
func Usage(used, total uint64) string {
	if total == 0 {
		return ""
	}
	return fmt.Sprintf("%s of %s (%d %%)", Bytes(used), Bytes(total), used*100/total)
}

// Duration is d rounded down to what a person needs: "45 s", "12 min",
// "3 h 5 min", "4 d 2 h"; a negative d is "0 s".
func Duration(d time.Duration) string {
	switch {
	case d < time.Hour:
		return Age(d)
	case d < 24*time.Hour:
		return fmt.Sprintf("%d h %d min", int(d.Hours()), int(d.Minutes())%60)
	default:
		return fmt.Sprintf("%d d %d h", int(d.Hours())/24, int(d.Hours())%24)
	}
}

// Typed is d, to the second, as a person types it for a flag such as
// --since or --alert-grace: time.Duration's String without the zero units
// it ends with, "1m30s" for 90 s, "24h" for a day, "1h30m" for an hour
// and a half.
func Typed(d time.Duration) string {
	s := d.Round(time.Second).String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

// Millis is d in milliseconds, to the microsecond: a duration as JSON
// written for people and scripts gives it (rtt_ms, clock_skew_ms).
func Millis(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// FromMillis is the duration ms milliseconds (Millis the other way):
// a duration read from such JSON or from a wire field.
func FromMillis(ms float64) time.Duration { return time.Duration(ms * float64(time.Millisecond)) }

// OnOff is how a setting that is on or off is written, in the window
// and on the command lines alike.
func OnOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

// RoundTrip is a link's round trip as a person reads it: "0.3 ms" under
// ten milliseconds, "48 ms" above; "" for none (not measured).
func RoundTrip(d time.Duration) string {
	switch {
	case d <= 0:
		return ""
	case d < 10*time.Millisecond:
		return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
	default:
		return fmt.Sprintf("%d ms", d.Milliseconds())
	}
}

// Age is d in its largest whole unit, for a narrow column: "45 s",
// "12 min", "3 h", "4 d"; a negative d is "0 s".
func Age(d time.Duration) string {
	switch {
	case d < 0:
		return "0 s"
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d.Minutes()))
	case d < 24*time.Hour:
		return fmt.Sprintf("%d h", int(d.Hours()))
	default:
		return fmt.Sprintf("%d d", int(d.Hours())/24)
	}
}

// Took is how long a run took: in milliseconds below a twentieth of a
// second ("12 ms", "under 1 ms"), to a tenth of a second under a minute
// ("0.4 s", "12.3 s"), to the second under an hour ("3 min 4 s", "5
// min"), then as Duration ("2 h 12 min"). The command line, the window
// and the logs say the same.
func Took(d time.Duration) string {
	switch {
	case d >= 0 && d < time.Millisecond:
		return "under 1 ms"
	case d >= 0 && d < 50*time.Millisecond:
		return strconv.FormatInt(d.Milliseconds(), 10) + " ms"
	}
	if r := d.Round(100 * time.Millisecond); d >= 0 && r < time.Minute {
		return strconv.FormatFloat(r.Seconds(), 'f', 1, 64) + " s"
	}
	d = d.Round(time.Second)
	if sec := int(d.Seconds()) % 60; d < time.Hour && sec > 0 {
		return fmt.Sprintf("%d min %d s", int(d.Minutes()), sec)
	}
	return Duration(d)
}

// Seconds is Duration of a count of seconds, as agents report uptimes.
func Seconds(sec uint64) string { return Duration(time.Duration(sec) * time.Second) }

// StampLayout writes a moment with its date, "2 Dec 2026 14:03": a time
// not of today, or the end of something to come.
const StampLayout = "2 Jan 2006 15:04"

// Ago is when t was, seen at now: "14:03:07 (12 min ago)" on the same day,
// "2 Dec 2026 14:03 (1 d 3 h ago)" before it. The zero time is "".
func Ago(t, now time.Time) string {
	if t.IsZero() {
		return ""
	}
	return fmt.Sprintf("%s (%s ago)", Stamp(t, now), Duration(now.Sub(t)))
}

// Stamp is when t was, seen at now, in now's time zone: "14:03:07" on
// the same day, "2 Dec 2026 14:03" before it.
func Stamp(t, now time.Time) string {
	if t = t.In(now.Location()); SameDay(t, now) {
		return t.Format("15:04:05")
	}
	return t.Format(StampLayout)
}

// SameDay reports whether t and now fall on the same calendar day in
// now's time zone.
func SameDay(t, now time.Time) bool {
	y, m, d := t.In(now.Location()).Date()
	return y == now.Year() && m == now.Month() && d == now.Day()
}

// SpreadsheetCell is s as a CSV cell a spreadsheet shows as text: a cell
// that begins as a formula does (=, +, -, @, a tab or a carriage return)
// gets a ' before it, so that words an agent or the network sent cannot
// run as a formula when the file is opened. Every CSV the console writes
// for people passes its text cells through it.
func SpreadsheetCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// Cut keeps at most limit bytes of s, cut where a character starts (a half
// character would be invalid UTF-8, refused on the wire and shown as
// another character), and says whether it cut anything. Every place that
// shortens words to store, send or show cuts through it.
func Cut(s string, limit int) (string, bool) {
	if len(s) <= limit {
		return s, false
	}
	cut := max(limit, 0)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut], true
}

// Shorten is s cut to at most limit bytes (Cut), with "…" after it when it
// was cut.
func Shorten(s string, limit int) string {
	if c, cut := Cut(s, limit); cut {
		return c + "…"
	}
	return s
}
