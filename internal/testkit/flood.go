package testkit

import (
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lanyard/lanyard/core/store"
)

// Garbage opens total TCP connections to addr that each send an HTTP
// request and close, as a stranger scanning the port would: from sources
// loopback addresses (127.0.0.2 on), eight at a time from each. It fails
// the test unless all were tried within 90 s, and returns how many were
// opened (the rest were turned away at accept).
func Garbage(t testing.TB, addr string, total, sources int) (opened int) {
	t.Helper()
	const perSource = 8
	var tried, made atomic.Int64
	deadline := time.Now().Add(90 * time.Second)
	var wg sync.WaitGroup
	for s := range sources {
		from := &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(2+s))}
		for range perSource {
			wg.Go(func() {
				d := net.Dialer{LocalAddr: from, Timeout: 5 * time.Second}
				for tried.Add(1) <= int64(total) && time.Now().Before(deadline) {
					conn, err := d.Dial("tcp", addr)
					if err != nil {
						continue
					}
					made.Add(1)
					_, _ = conn.Write([]byte("GET / HTTP/1.0\r\n\r\n"))
					_ = conn.Close()
				}
			})
		}
	}
	wg.Wait()
	if time.Now().After(deadline) {
		t.Fatalf("only %d of %d garbage connections tried within 90 s", tried.Load(), total)
	}
	return int(made.Load())
}

// LogKeptHistory checks what a flood of refusals did to a connection log
// that held before and holds after: every record of before is still
// there, fewer than 100 refusal records were added, and those stand for
// at least nine in ten of the refusals.
func LogKeptHistory(t testing.TB, before, after []store.Event, refusals int) {
	t.Helper()
	kept, old := map[string]bool{}, map[string]bool{}
	for _, e := range after {
		kept[string(e.Key())] = true
	}
	for _, e := range before {
		old[string(e.Key())] = true
		if !kept[string(e.Key())] {
			t.Errorf("the flood pushed out %s %s: %s", e.Kind, e.Slave, e.Reason)
		}
	}
	added, counted := 0, 0
	for _, e := range after {
		if e.Refusal && !old[string(e.Key())] {
			added++
			counted += max(e.Count, 1)
		}
	}
	t.Logf("%d refusals added %d records", refusals, added)
	if added >= 100 || counted < refusals*9/10 {
		t.Errorf("%d refusals added %d records standing for %d of them; want fewer than 100, standing for nine in ten", refusals, added, counted)
	}
}
