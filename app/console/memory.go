package console

import (
	"context"
	"os"
	goruntime "runtime"
	"runtime/debug"
	"time"

	"github.com/sirupsen/logrus"
)

// Memory after a storm. A reconnect storm of thousands of handshakes
// grows the heap far beyond what the idle links need afterwards, and the
// Go runtime gives the difference back to the system only slowly. Once the
// number of links has settled after a large change, the console returns
// the free memory at once and sets a soft memory limit (debug.SetMemoryLimit)
// at twice what is in use, so the garbage collector keeps it near there;
// a GOMEMLIMIT set by the user is left alone.

const (
	// settleAfter is how long the link count must stay put.
	settleAfter = 10 * time.Second
	// stormLinks is the change in links that counts as a storm.
	stormLinks = 500
	// minMemoryLimit is the lowest soft limit set.
	minMemoryLimit = 256 << 20
)

// keepMemory watches the link count until ctx ends.
func keepMemory(ctx context.Context, links func() int, log logrus.FieldLogger) {
	_, userLimit := os.LookupEnv("GOMEMLIMIT")
	t := time.NewTicker(settleAfter)
	defer t.Stop()
	settled, last := links(), links()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now := links()
		if now == last && abs(now-settled) >= stormLinks {
			debug.FreeOSMemory()
			var ms goruntime.MemStats
			goruntime.ReadMemStats(&ms)
			fields := logrus.Fields{"links": now, "heap_mib": ms.HeapInuse >> 20, "released_mib": ms.HeapReleased >> 20}
			if !userLimit {
				limit := max(int64(2*(ms.HeapInuse+ms.StackInuse)), minMemoryLimit)
				debug.SetMemoryLimit(limit)
				fields["soft_limit_mib"] = limit >> 20
			}
			log.WithFields(fields).Info("links settled: free memory returned to the system")
			settled = now
		}
		last = now
	}
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
