package health

import (
	"fmt"
	"slices"
	"time"

	"github.com/lanyard/lanyard/core/human"
)

// A server stops on its own; many that go offline within a couple of
// minutes of one another are more likely cut off by the network between
// them and the console (the console's own connection, or their site's).
// The window's summary, the desktop notification, the alert mail and
// lanyard check say so in the same words (OutageLine), found by the same
// rule (FindOutage).
const (
	OutageMin    = 5
	OutageWindow = 2 * time.Minute
)

// Outage is the largest group of servers that went offline within
// OutageWindow of one another.
type Outage struct {
	Servers int       // how many
	From    time.Time // when the first of them went
}

// FindOutage looks at when each offline server went offline (zero
// times, never seen, are skipped) and returns the largest group that
// went within OutageWindow of one another, when it holds at least
// OutageMin; false otherwise. The earliest such group wins a tie.
func FindOutage(went []time.Time) (Outage, bool) {
	ts := make([]time.Time, 0, len(went))
	for _, t := range went {
		if !t.IsZero() {
			ts = append(ts, t)
		}
	}
	slices.SortFunc(ts, time.Time.Compare)
	var best Outage
	first := 0
	for last, t := range ts {
		for t.Sub(ts[first]) > OutageWindow {
			first++
		}
		if n := last - first + 1; n > best.Servers {
			best = Outage{Servers: n, From: ts[first]}
		}
	}
	return best, best.Servers >= OutageMin
}

// AlertsOutage is FindOutage over the offline alerts among alerts, from
// when each server went.
func AlertsOutage(alerts []Alert) (Outage, bool) {
	var went []time.Time
	for _, a := range alerts {
		if a.Kind == AlertOffline {
			went = append(went, a.Since)
		}
	}
	return FindOutage(went)
}

// OutageLine says what an outage suggests, in now's time zone: "12
// servers went offline within 2 min, from 14:03: a network outage (this
// console's connection, or their site's) is likelier than 12 servers
// down." (from 3 Dec 14:03 when that was not today). all says they are
// every server the reader looks at.
func OutageLine(o Outage, all bool, now time.Time) string {
	servers := human.Plural(o.Servers, "server", "servers")
	who := servers
	if all {
		who = "All " + servers
	}
	from := o.From.In(now.Location())
	layout := "15:04"
	if y, m, d := from.Date(); y != now.Year() || m != now.Month() || d != now.Day() {
		layout = "2 Jan 15:04"
	}
	return fmt.Sprintf("%s went offline within %s, from %s: a network outage (this console's connection, or their site's) is likelier than %s down.",
		who, human.Duration(OutageWindow), from.Format(layout), servers)
}
