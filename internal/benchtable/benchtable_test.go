package benchtable

import (
	"bytes"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestAFigureIsPrintedAsOneLineThatParsesBack(t *testing.T) {
	tests := []struct {
		name string
		fig  Figure
		want string
	}{
		{"a ratio target that is met",
			Figure{Name: "handshake-rate", Value: 2012.34, Unit: "handshakes/s", Baseline: 2500, Target: RatioAtLeast(0.8)},
			"BENCH handshake-rate 2012.3 handshakes/s baseline=2500.0 ratio=0.805 target=>=0.8x ok"},
		{"a ratio target that is missed",
			Figure{Name: "idle-link-memory", Value: 26, Unit: "KiB/link", Baseline: 18, Target: RatioAtMost(1.15)},
			"BENCH idle-link-memory 26.00 KiB/link baseline=18.00 ratio=1.44 target=<=1.15x SHORT"},
		{"a value target, with spaces in the unit",
			Figure{Name: "first link", Value: 31.5, Unit: "s to all", Baseline: 4, Target: AtMost(30, "s")},
			"BENCH first_link 31.50 s_to_all baseline=4.00 ratio=7.88 target=<=30s SHORT"},
		{"a figure beside its baseline plus a margin",
			Figure{Name: "rtt-p50", Value: 60, Unit: "us", Baseline: 13, Target: BaselinePlus(100, "us")},
			"BENCH rtt-p50 60.00 us baseline=13.00 ratio=4.62 target=<=baseline+100us ok"},
		{"a computed target, cut to four digits",
			Figure{Name: "records", Value: 1001, Unit: "records", Baseline: 1000, Target: BaselinePlus(3.235498, "")},
			"BENCH records 1001.0 records baseline=1000.0 ratio=1.00 target=<=baseline+3.235 ok"},
		{"no baseline and no target",
			Figure{Name: "links-held", Value: 10000, Unit: "links"},
			"BENCH links-held 10000 links baseline=0 ratio=0 target=- ok"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			line := tt.fig.Line()
			if line != tt.want {
				t.Fatalf("printed\n%s\nwant\n%s", line, tt.want)
			}
			l, err := Parse(line)
			if err != nil {
				t.Fatal(err)
			}
			if l.OK != tt.fig.OK() || l.Unit != strings.Fields(tt.want)[3] || l.Target != tt.fig.Target.String() {
				t.Errorf("parsed %+v from %q", l, line)
			}
		})
	}
}

func TestReportWritesEveryFigure(t *testing.T) {
	var buf bytes.Buffer
	out.w = &buf
	defer func() { out.w = nil }()
	Report(t, Figure{Name: "a", Value: 1, Unit: "s", Baseline: 1, Target: AtMost(2, "s")},
		Figure{Name: "b", Value: 3, Unit: "s", Baseline: 1, Target: AtMost(2, "s")})
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 || !strings.HasSuffix(lines[0], " ok") || !strings.HasSuffix(lines[1], " SHORT") {
		t.Fatalf("wrote %q", buf.String())
	}
}

func TestOtherLinesAreNotTableLines(t *testing.T) {
	for _, s := range []string{
		"BenchmarkHandshakeRate-2   1   123 ns/op",
		"BENCH a 1 s baseline=1 ratio=1 target=- maybe",
		"BENCH a x s baseline=1 ratio=1 target=- ok",
		"BENCH a 1 s base=1 ratio=1 target=- ok",
		"",
	} {
		if _, err := Parse(s); err == nil {
			t.Errorf("%q parsed as a table line", s)
		}
	}
}

func TestACountIsTheDefaultUnlessItsVariableIsSet(t *testing.T) {
	if got := Count(t, "LANYARD_TEST_COUNT_UNSET", 40); got != 40 {
		t.Errorf("unset: %d, want the default 40", got)
	}
	t.Setenv("LANYARD_TEST_COUNT", "5000")
	if got := Count(t, "LANYARD_TEST_COUNT", 40); got != 5000 {
		t.Errorf("set to 5000: %d", got)
	}
	t.Setenv("BENCH_FLEET", "")
	t.Setenv("BENCH_QUICK", "1")
	if got := FleetSize(t); got != 1000 {
		t.Errorf("the quick fleet: %d, want 1000", got)
	}
}
