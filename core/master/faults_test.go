package master

import (
	"context"
	"testing"
	"time"

	"github.com/lanyard/lanyard/core/internal/netsim"
	"github.com/lanyard/lanyard/core/store"
	"github.com/lanyard/lanyard/internal/testkit"
)

// A link over a path that misbehaves: a fault that kills the path is
// noticed on both ends within the heartbeat window, the agent links again
// once the fault clears, and there is never more than one link; a fault
// that only slows the path keeps the link it has.
func TestALinkThroughAFaultyPathDiesWithinTheWindowAndComesBackOnce(t *testing.T) {
	tests := []struct {
		name         string
		fault, clear func(*netsim.Proxy)
		kills        bool
		rtt          time.Duration // at least, while the fault lasts
	}{
		{"a path gone silent, as behind a pulled cable",
			(*netsim.Proxy).Freeze, (*netsim.Proxy).Thaw, true, 0},
		{"every connection reset by a router",
			(*netsim.Proxy).Reset, func(*netsim.Proxy) {}, true, 0},
		{"a host turning connections away while its service is down",
			func(p *netsim.Proxy) { p.Refuse(true); p.Reset() }, func(p *netsim.Proxy) { p.Refuse(false) }, true, 0},
		{"a slow path, 150 ms each way",
			func(p *netsim.Proxy) { p.SetLatency(150 * time.Millisecond) }, func(p *netsim.Proxy) { p.SetLatency(0) }, false, 300 * time.Millisecond},
		{"a narrow path, 8 KiB/s each way",
			func(p *netsim.Proxy) { p.SetBandwidth(8 << 10) }, func(p *netsim.Proxy) { p.SetBandwidth(0) }, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := startConsole(t, true, nil)
			path := inboundBehindProxy(t, c, "FS01")
			adb := testkit.Store(t, "agent", store.Options{})
			a := testkit.Agent(t, testkit.AgentOptions{DB: adb, Name: "FS01", Password: "pw", SSL: true, Masters: []string{path.Addr()}})
			before := c.waitState(t, "FS01", StateConnected)
			// The console counts the link up once it sent its welcome; the
			// agent, once it read it. A fault between the two is a failed
			// handshake at the agent, not a dead link.
			c.until(t, "the agent holds its link", func() bool { return a.Links() == 1 })

			faultAt := time.Now()
			tt.fault(path)
			if tt.kills {
				c.until(t, "the console notices the dead link", func() bool {
					v, _ := c.Slave("FS01")
					return v.State != StateConnected
				})
				consoleNoticed := time.Now()
				// By its connection log: after a reset the agent may have
				// linked again before its link count could be seen at 0.
				var noticed time.Time
				c.until(t, "the agent notices the dead link", func() bool {
					noticed = closedSince(t, adb, faultAt)
					return !noticed.IsZero()
				})
				// Dead after 800 ms of silence, on a 200 ms heartbeat.
				if took := max(consoleNoticed.Sub(faultAt), noticed.Sub(faultAt)); took > testkit.DeadAfter+testkit.Heartbeat+time.Second {
					t.Errorf("the dead link was noticed after %s; the window is %s", took, testkit.DeadAfter)
				}
			} else {
				// Through the slow path: a request is answered, and the link
				// outlives several heartbeats (its RTT shows the delay).
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				if _, err := c.RemoteStatus(ctx, "FS01"); err != nil {
					t.Fatalf("a status request over the slow path: %v", err)
				}
				c.until(t, "the RTT shows the latency", func() bool {
					v, _ := c.Slave("FS01")
					return v.RTT >= tt.rtt
				})
			}
			tt.clear(path)
			after := c.waitState(t, "FS01", StateConnected)
			c.until(t, "the agent holds its link", func() bool { return a.Links() == 1 })
			if tt.kills == (after.ConnectedSince.Equal(before.ConnectedSince)) {
				t.Errorf("linked since %s, then since %s: want a new link only if the fault killed the old",
					before.ConnectedSince, after.ConnectedSince)
			}
			// One link: one connection on the path, one on each side.
			c.until(t, "one connection on the path", func() bool { return path.Open() == 1 })
			if n := c.Linked(); n != 1 {
				t.Errorf("the console holds %d links to FS01", n)
			}
			if !tt.kills && path.Accepted() != 1 {
				t.Errorf("%d connections over a path that only slowed down; want the first kept", path.Accepted())
			}
		})
	}
}

// closedSince is when the agent with database db first recorded a link
// of its closed at or after since, or zero.
func closedSince(t *testing.T, db *store.DB, since time.Time) time.Time {
	t.Helper()
	events, err := db.Events(store.EventFilter{Since: since})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range events {
		if e.Kind == store.KindDisconnected {
			return e.Time
		}
	}
	return time.Time{}
}
