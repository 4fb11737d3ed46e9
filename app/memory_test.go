package app_test

import (
	"context"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
	"github.com/sirupsen/logrus/hooks/test"

	"github.com/lanyard/lanyard/app"
)

func TestTheSoftMemoryLimitIsThreeQuartersOfWhatIsAvailable(t *testing.T) {
	const gib = 1 << 30
	meminfo := "MemTotal:       24683520 kB\nMemFree:         1000000 kB\nMemAvailable:    8388608 kB\n"
	tests := []struct {
		name             string
		meminfo, cgroup  string
		limit, available int64
		ok               bool
	}{
		{"a machine without a cgroup limit", meminfo, "max\n", 6 * gib, 8 * gib, true},
		{"a cgroup that allows less than the machine has", meminfo, "2147483648\n", 1536 << 20, 2 * gib, true},
		{"a cgroup that allows more than the machine has", meminfo, "17179869184\n", 6 * gib, 8 * gib, true},
		{"a tiny machine, kept at the floor", "MemAvailable: 102400 kB\n", "", app.MinMemoryLimit, 100 << 20, true},
		{"nothing known", "", "", 0, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			limit, available, ok := app.MemoryLimit(tt.meminfo, tt.cgroup)
			if limit != tt.limit || available != tt.available || ok != tt.ok {
				t.Errorf("limit %d of %d (%v), want %d of %d (%v)", limit, available, ok, tt.limit, tt.available, tt.ok)
			}
		})
	}
}

func TestMemoryGoesBackToTheSystemOnceLinksSettleAfterAStorm(t *testing.T) {
	log, hook := test.NewNullLogger()
	var links atomic.Int64
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		app.KeepMemory(ctx, func() int { return int(links.Load()) }, 20*time.Millisecond, log)
		close(done)
	}()
	defer func() { cancel(); <-done }()

	// A storm: a thousand links come, and leave garbage behind them.
	garbage := make([][]byte, 0, 64)
	for range 64 {
		garbage = append(garbage, make([]byte, 1<<20))
	}
	runtime.KeepAlive(garbage)
	garbage = nil
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	links.Store(1000)

	settled := waitEntry(t, hook, "links settled")
	if got := settled.Data["links"]; got != 1000 {
		t.Errorf("logged %v links, want 1000", got)
	}
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	if after.HeapReleased <= before.HeapReleased {
		t.Errorf("released %d MiB before and %d MiB after the storm settled; want more", before.HeapReleased>>20, after.HeapReleased>>20)
	}
	// The storm is over: the next large change is another.
	links.Store(0)
	if got := waitEntry(t, hook, "links settled", 2).Data["links"]; got != 0 {
		t.Errorf("logged %v links after every link left, want 0", got)
	}
}

// waitEntry waits until the hook has seen the nth entry (default 1)
// starting with prefix, and returns it.
func waitEntry(t *testing.T, hook *test.Hook, prefix string, nth ...int) *logrus.Entry {
	t.Helper()
	want := 1
	if len(nth) > 0 {
		want = nth[0]
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		seen := 0
		for _, e := range hook.AllEntries() {
			if strings.HasPrefix(e.Message, prefix) {
				if seen++; seen == want {
					return e
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %q logged within 10s", prefix)
		}
		time.Sleep(10 * time.Millisecond) // polling the hook; the deadline bounds it
	}
}
