package health_test

import (
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/lanyard/lanyard/core/health"
)

var t0 = time.Date(2026, 12, 5, 14, 3, 20, 0, time.UTC)

func at(secs ...int) []time.Time {
	var ts []time.Time
	for _, s := range secs {
		ts = append(ts, t0.Add(time.Duration(s)*time.Second))
	}
	return ts
}

// Many servers going offline within a couple of minutes is an outage;
// a few, or many spread over the day, is not.
func TestAnOutageIsManyServersGoingOfflineTogether(t *testing.T) {
	for _, c := range []struct {
		name string
		went []time.Time
		want health.Outage
		ok   bool
	}{
		{"nothing offline", nil, health.Outage{}, false},
		{"four at once are a few", at(0, 0, 1, 2), health.Outage{Servers: 4, From: t0}, false},
		{"five within two minutes", at(0, 30, 60, 90, 120), health.Outage{Servers: 5, From: t0}, true},
		{"five over more than two minutes", at(0, 30, 60, 90, 121), health.Outage{Servers: 4, From: t0}, false},
		{"the larger of two", at(0, 1, 2, 3, 4, 3600, 3601, 3602, 3603, 3604, 3605),
			health.Outage{Servers: 6, From: t0.Add(time.Hour)}, true},
		{"never seen is not counted", append(at(0, 1, 2, 3), time.Time{}, time.Time{}), health.Outage{Servers: 4, From: t0}, false},
		{"in any order", at(90, 0, 3600, 60, 30, 120), health.Outage{Servers: 5, From: t0}, true},
	} {
		got, ok := health.FindOutage(c.went)
		if ok != c.ok || got.Servers != c.want.Servers || !got.From.Equal(c.want.From) {
			t.Errorf("%s: %+v %v, want %+v %v", c.name, got, ok, c.want, c.ok)
		}
	}
}

// FindOutage finds the largest group within the window, as counting from
// every server's time would.
func TestFindOutageCountsAsFromEveryServer(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		secs := rapid.SliceOfN(rapid.IntRange(0, 600), 0, 40).Draw(t, "secs")
		went := at(secs...)
		got, ok := health.FindOutage(went)
		most := 0
		for _, a := range went {
			n := 0
			for _, b := range went {
				if !b.Before(a) && b.Sub(a) <= health.OutageWindow {
					n++
				}
			}
			most = max(most, n)
		}
		if got.Servers != most || ok != (most >= health.OutageMin) {
			t.Fatalf("found %d (%v), counting from each finds %d", got.Servers, ok, most)
		}
		if most > 0 {
			n := 0
			for _, b := range went {
				if !b.Before(got.From) && b.Sub(got.From) <= health.OutageWindow {
					n++
				}
			}
			if n != most {
				t.Fatalf("from %v, %d went within the window, not %d", got.From, n, most)
			}
		}
	})
}

func TestOutageLine(t *testing.T) {
	o := health.Outage{Servers: 12, From: t0}
	now := t0.Add(time.Hour)
	if got, want := health.OutageLine(o, false, now), "12 servers went offline within 2 min, from 14:03: a network outage (this console's connection, or their site's) is likelier than 12 servers down."; got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	if got := health.OutageLine(o, true, now); !strings.HasPrefix(got, "All 12 servers went offline") {
		t.Errorf("every server: %q", got)
	}
	if got := health.OutageLine(o, false, t0.Add(24*time.Hour)); !strings.Contains(got, "from 5 Dec 14:03:") {
		t.Errorf("the day before: %q", got)
	}
}
