package benchtable

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Figure is one line of the table.
type Figure struct {
	// Name is short, lower case, words joined by '-': "handshake-rate".
	Name  string
	Value float64
	// Unit has no spaces: "handshakes/s", "ms", "KiB/link".
	Unit string
	// Baseline is the same quantity measured for the baseline in the same
	// run, in the same unit.
	Baseline float64
	Target   Target
}

// Ratio is Value/Baseline, or 0 without a baseline.
func (f Figure) Ratio() float64 {
	if f.Baseline == 0 {
		return 0
	}
	return f.Value / f.Baseline
}

// OK says whether the figure meets its target (a figure without one does).
func (f Figure) OK() bool { return f.Target.met == nil || f.Target.met(f) }

// Target is what a figure must reach.
type Target struct {
	text string
	met  func(Figure) bool
}

// String is the target as printed ("-" for none).
func (t Target) String() string {
	if t.text == "" {
		return "-"
	}
	return t.text
}

// RatioAtMost: value ≤ r × baseline.
func RatioAtMost(r float64) Target {
	return Target{"<=" + tnum(r) + "x", func(f Figure) bool { return f.Baseline > 0 && f.Value <= r*f.Baseline }}
}

// RatioAtLeast: value ≥ r × baseline.
func RatioAtLeast(r float64) Target {
	return Target{">=" + tnum(r) + "x", func(f Figure) bool { return f.Baseline > 0 && f.Value >= r*f.Baseline }}
}

// AtMost: value ≤ v (in the figure's unit).
func AtMost(v float64, unit string) Target {
	return Target{"<=" + tnum(v) + unit, func(f Figure) bool { return f.Value <= v }}
}

// AtLeast: value ≥ v (in the figure's unit).
func AtLeast(v float64, unit string) Target {
	return Target{">=" + tnum(v) + unit, func(f Figure) bool { return f.Value >= v }}
}

// BaselinePlus: value ≤ baseline + d (in the figure's unit).
func BaselinePlus(d float64, unit string) Target {
	return Target{"<=baseline+" + tnum(d) + unit, func(f Figure) bool { return f.Value <= f.Baseline+d }}
}

// Both: both targets.
func Both(a, b Target) Target {
	return Target{a.String() + "&" + b.String(), func(f Figure) bool { return a.met(f) && b.met(f) }}
}

// Quick says whether BENCH_QUICK=1 asked for the quick forms.
func Quick() bool { return os.Getenv("BENCH_QUICK") == "1" }

// Pick is quick in the quick forms, else full.
func Pick[T any](quick, full T) T {
	if Quick() {
		return quick
	}
	return full
}

// FleetSize is the size of a simulated fleet: BENCH_FLEET when set,
// else 1,000 agents in the quick forms and 10,000 in the full ones.
func FleetSize(tb testing.TB) int { return Count(tb, "BENCH_FLEET", Pick(1000, 10000)) }

// Count is n, or the number in the environment variable env when it is
// set (a benchmark or long test at another size).
func Count(tb testing.TB, env string, n int) int {
	tb.Helper()
	if v := os.Getenv(env); v != "" {
		m, err := strconv.Atoi(v)
		if err != nil || m <= 0 {
			tb.Fatalf("%s=%q: want a number of agents", env, v)
		}
		return m
	}
	return n
}

var out struct {
	sync.Mutex
	w io.Writer
}

// Report prints each figure's line on standard output, where `go test`
// passes it through.
func Report(tb testing.TB, figs ...Figure) {
	tb.Helper()
	out.Lock()
	defer out.Unlock()
	w := out.w
	if w == nil {
		w = os.Stdout
	}
	for _, f := range figs {
		fmt.Fprintln(w, f.Line())
	}
}

// Line is the figure's table line.
func (f Figure) Line() string {
	status := "ok"
	if !f.OK() {
		status = "SHORT"
	}
	return fmt.Sprintf("BENCH %s %s %s baseline=%s ratio=%s target=%s %s",
		word(f.Name), num(f.Value), word(f.Unit), num(f.Baseline), num(f.Ratio()), f.Target, status)
}

// Line is a parsed table line.
type Line struct {
	Name     string  `json:"name"`
	Value    float64 `json:"value"`
	Unit     string  `json:"unit"`
	Baseline float64 `json:"baseline"`
	Ratio    float64 `json:"ratio"`
	Target   string  `json:"target"`
	OK       bool    `json:"ok"`
}

// ErrNotALine is Parse's answer for a line that is not a table line.
var ErrNotALine = errors.New("not a BENCH line")

// Parse reads a line Figure.Line wrote.
func Parse(s string) (Line, error) {
	fs := strings.Fields(s)
	if len(fs) != 8 || fs[0] != "BENCH" {
		return Line{}, ErrNotALine
	}
	var l Line
	var err error
	l.Name, l.Unit = fs[1], fs[3]
	if l.Value, err = strconv.ParseFloat(fs[2], 64); err != nil {
		return Line{}, fmt.Errorf("%q: value: %w", s, err)
	}
	for i, kv := range []struct {
		key string
		dst *float64
	}{{"baseline=", &l.Baseline}, {"ratio=", &l.Ratio}} {
		v, ok := strings.CutPrefix(fs[4+i], kv.key)
		if !ok {
			return Line{}, fmt.Errorf("%q: want %s in field %d", s, kv.key, 5+i)
		}
		if *kv.dst, err = strconv.ParseFloat(v, 64); err != nil {
			return Line{}, fmt.Errorf("%q: %s %w", s, kv.key, err)
		}
	}
	var ok bool
	if l.Target, ok = strings.CutPrefix(fs[6], "target="); !ok {
		return Line{}, fmt.Errorf("%q: want target= in field 7", s)
	}
	switch fs[7] {
	case "ok":
		l.OK = true
	case "SHORT":
	default:
		return Line{}, fmt.Errorf("%q: want ok or SHORT at the end", s)
	}
	return l, nil
}

// num prints a value with about four significant digits, no exponent.
func num(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "0"
	}
	a := math.Abs(v)
	prec := 0
	switch {
	case a == 0:
	case a < 0.01:
		prec = 5
	case a < 1:
		prec = 3
	case a < 100:
		prec = 2
	case a < 10000:
		prec = 1
	}
	return strconv.FormatFloat(v, 'f', prec, 64)
}

// tnum prints a target's number as written.
func tnum(v float64) string {
	r, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'g', 4, 64), 64) // four significant digits
	return strconv.FormatFloat(r, 'f', -1, 64)
}

// word keeps a name or unit one field.
func word(s string) string {
	if s == "" {
		return "-"
	}
	return strings.Join(strings.Fields(s), "_")
}
