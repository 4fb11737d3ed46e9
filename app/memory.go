package app

import (
	"context"
	"fmt"
	"os"
	goruntime "runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/sirupsen/logrus"
)

// Memory. A reconnect storm of thousands of handshakes grows the heap far
// beyond what the idle links need afterwards. Two things bring it back:
//
//   - a soft memory limit (debug.SetMemoryLimit), set at start to three
//     quarters of the memory the machine has available (or its cgroup
//     allows), so that a storm on a small machine makes the garbage
//     collector work harder instead of the system swapping or killing the
//     console; a GOMEMLIMIT set by the user is kept;
//   - once the number of links has settled after a large change, the free
//     memory is returned to the system at once (debug.FreeOSMemory), rather
//     than over minutes.
//
// Both are logged, with the figures.

const (
	// SettleAfter is how long the link count must stay put before the
	// console returns free memory.
	SettleAfter = 10 * time.Second
	// StormLinks is the change in links that counts as a storm.
	StormLinks = 500
	// MinMemoryLimit is the lowest soft limit set.
	MinMemoryLimit = 256 << 20
)

// SetMemoryLimit sets the soft memory limit from the memory available, and
// says so.
func SetMemoryLimit(log logrus.FieldLogger) {
	entry := log.WithField("event", "memory")
	if v, ok := os.LookupEnv("GOMEMLIMIT"); ok {
		entry.Infof("memory soft limit %s, from GOMEMLIMIT", v)
		return
	}
	meminfo, _ := os.ReadFile("/proc/meminfo")
	cgroup, _ := os.ReadFile("/sys/fs/cgroup/memory.max")
	limit, available, ok := MemoryLimit(string(meminfo), string(cgroup))
	if !ok {
		entry.Debug("no memory soft limit: the memory available is unknown here")
		return
	}
	debug.SetMemoryLimit(limit)
	entry.Infof("memory soft limit %d MiB: three quarters of the %d MiB available", limit>>20, available>>20)
}

// MemoryLimit is the soft limit for a machine whose /proc/meminfo and
// cgroup memory.max read so: three quarters of what is available, at
// least MinMemoryLimit.
func MemoryLimit(meminfo, cgroupMax string) (limit, available int64, ok bool) {
	for line := range strings.Lines(meminfo) {
		var kib int64
		if _, err := fmt.Sscanf(line, "MemAvailable: %d kB", &kib); err == nil && kib > 0 {
			available = kib << 10
			break
		}
	}
	if v, err := strconv.ParseInt(strings.TrimSpace(cgroupMax), 10, 64); err == nil && v > 0 && (available == 0 || v < available) {
		available = v // "max" (no cgroup limit) does not parse
	}
	if available == 0 {
		return 0, 0, false
	}
	return max(available/4*3, MinMemoryLimit), available, true
}

// KeepMemory looks at the link count every so often until ctx ends, and
// returns free memory to the system once the count settled after a storm
// (a change of StormLinks or more). The console runs it every SettleAfter.
func KeepMemory(ctx context.Context, links func() int, every time.Duration, log logrus.FieldLogger) {
	t := time.NewTicker(every)
	defer t.Stop()
	settled, last := links(), links()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now := links()
		if now == last && abs(now-settled) >= StormLinks {
			debug.FreeOSMemory()
			var ms goruntime.MemStats
			goruntime.ReadMemStats(&ms)
			log.WithFields(logrus.Fields{"links": now, "heap_mib": ms.HeapInuse >> 20, "released_mib": ms.HeapReleased >> 20}).
				Info("links settled: free memory returned to the system")
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
