package master

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/lanyard/lanyard/core/link"
	"github.com/lanyard/lanyard/core/store"
	"github.com/lanyard/lanyard/core/wire"
)

// logged waits until the store holds n records of kind (or more) and
// returns every record of that kind.
func logged(t *testing.T, db *store.DB, kind string, n int) []store.Event {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if err := db.Flush(); err != nil {
			t.Fatal(err)
		}
		all, err := db.Events(store.EventFilter{})
		if err != nil {
			t.Fatal(err)
		}
		var out []store.Event
		for _, e := range all {
			if e.Kind == kind {
				out = append(out, e)
			}
		}
		if len(out) >= n || time.Now().After(deadline) {
			return out
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestAStormOfRefusalsIsCountedOnceASecond(t *testing.T) {
	c := startConsole(t, true, nil)
	logged(t, c.db, store.KindListening, 1)
	before, _ := c.db.CountEvents()
	busy := func(i int) link.Refusal {
		return link.Refusal{Remote: fmt.Sprintf("127.1.%d.%d:5000", i/250, i%250+1), Busy: true,
			Err: &link.Error{Code: wire.CodeRateLimited, RetryAfter: time.Duration(1+i%3) * time.Second, Err: link.ErrBusy}}
	}
	// Within one second: 3,000 turned away for load, 20 wrong passwords from
	// one address, and 12 timeouts from 12 addresses.
	// Begin early in a second, so that all of it falls in that second.
	if next := time.Now().Truncate(time.Second).Add(time.Second); time.Until(next) < 700*time.Millisecond {
		time.Sleep(time.Until(next))
	}
	for i := range 3000 {
		c.refused(busy(i))
	}
	for range 20 {
		c.refused(link.Refusal{Remote: "127.0.0.9:4000", Name: "FS01", Err: &link.Error{Code: wire.CodeAuthFailed, Reason: "wrong password"}})
	}
	for i := range 12 {
		c.refused(link.Refusal{Remote: fmt.Sprintf("127.0.2.%d:4000", i+1), Err: &link.Error{Code: wire.CodeTimeout, Reason: "no hello in time"}})
	}
	sums := logged(t, c.db, KindRefusals, 1)
	if len(sums) != 1 {
		t.Fatalf("%d counted records, want 1: %+v", len(sums), sums)
	}
	r := sums[0].Reason
	for _, want := range []string{"3000 busy", "come back in 1s to 3s", "19 auth_failed", "8 timeout"} {
		if !strings.Contains(r, want) {
			t.Errorf("the counted record does not say %q: %s", want, r)
		}
	}
	if sums[0].Severity != store.SeverityError {
		t.Errorf("severity %s, want error (wrong passwords are among them)", sums[0].Severity)
	}
	after, _ := c.db.CountEvents()
	// One auth_failed and four timeouts on their own (five a second), one sum.
	if got := after - before; got != 6 {
		t.Errorf("%d records for 3,032 refusals, want 6", got)
	}
}

func TestGarbageFromOneAddressCannotWashOutTheLog(t *testing.T) {
	c := startConsole(t, false, nil)
	logged(t, c.db, store.KindListening, 1)
	before, _ := c.db.CountEvents()
	const garbage = 500
	for range garbage {
		conn, err := net.Dial("tcp", c.ListenAddr())
		if err != nil {
			t.Fatal(err)
		}
		_, _ = conn.Write([]byte("GET / HTTP/1.1\r\n\r\n"))
		_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, _ = conn.Read(make([]byte, 64)) // its refusal
		_ = conn.Close()
	}
	deadline := time.Now().Add(10 * time.Second)
	counted := 0
	for counted < garbage-1 && time.Now().Before(deadline) {
		counted = 0
		for _, e := range logged(t, c.db, KindRefusals, 0) {
			var n int
			if _, err := fmt.Sscanf(e.Reason, "%d connections", &n); err == nil {
				counted += n
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	after, _ := c.db.CountEvents()
	if counted+1 < garbage {
		t.Errorf("%d of %d garbage connections are accounted for", counted+1, garbage)
	}
	if got := after - before; got > 20 {
		t.Errorf("%d garbage connections from one address wrote %d records, want one and a count a second", garbage, got)
	}
}
