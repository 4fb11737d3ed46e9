package ui

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/lanyard/lanyard/core/agent"
	"github.com/lanyard/lanyard/core/master"
	"github.com/lanyard/lanyard/core/store"
	"github.com/lanyard/lanyard/internal/benchtable"
	"github.com/lanyard/lanyard/internal/testkit"
	"github.com/lanyard/lanyard/internal/testkit/mastertest"
)

// benchRunner is the window's runner for a benchmark: goroutines it
// waits for, and a Fyne thread the benchmark drains, counting hand-overs.
type benchRunner struct {
	ctx  context.Context
	wg   sync.WaitGroup
	q    chan func()
	does atomic.Int64
}

func (r *benchRunner) spawn(fn func(context.Context)) {
	r.wg.Add(1)
	go func() { defer r.wg.Done(); fn(r.ctx) }()
}

func (r *benchRunner) do(fn func()) {
	r.does.Add(1)
	r.q <- fn
}

// BenchmarkLogTabLiveTail: an agent writes 1,000 log lines a second for
// three seconds; the Log tab of a real console, linked to it over
// loopback, follows them. The figure is the lines it shows per second
// (from the first line written to the last shown), against the lines
// written per second (target: it keeps up, ≥ 0.9×); ui-updates/s counts the hand-overs to the Fyne
// thread.
func BenchmarkLogTabLiveTail(b *testing.B) {
	const perSecond, seconds = 1000, 3
	test.NewTempApp(b)
	for range b.N {
		logFile := filepath.Join(b.TempDir(), "lanyard-agent.log")
		if err := os.WriteFile(logFile, nil, 0o600); err != nil {
			b.Fatal(err)
		}
		a := testkit.Agent(b, testkit.AgentOptions{Name: "FS01", Password: "pw", Listen: true, Tune: func(c *agent.Config) {
			// The product's timing, not the tests'.
			c.Version, c.LogFile = "bench", logFile
			c.Heartbeat, c.DeadAfter, c.RedialInitial, c.RedialMax = 0, 0, 0, 0
		}})
		m := mastertest.Start(b, mastertest.Options{})
		v, err := m.AddSlave(master.SlaveSpec{Name: "FS01", Direction: store.Outbound, Address: a.ListenAddr(), Password: []byte("pw")})
		if err != nil {
			b.Fatal(err)
		}
		deadline := time.Now().Add(20 * time.Second)
		for v.State != master.StateConnected {
			if time.Now().After(deadline) {
				b.Fatal("the console did not link to the agent")
			}
			time.Sleep(10 * time.Millisecond)
			v, _ = m.Slave("FS01")
		}

		ctx, cancel := context.WithCancel(context.Background())
		r := &benchRunner{ctx: ctx, q: make(chan func(), 1<<16)}
		lt := newLogTab(r, m, refreshInterval, time.Now)
		lt.show(v)
		lt.setVisible(true)

		total := perSecond * seconds
		var start time.Time
		written := make(chan time.Duration, 1)
		go func() {
			f, err := os.OpenFile(logFile, os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				panic(err)
			}
			defer f.Close()
			start = time.Now()
			tick := time.NewTicker(10 * time.Millisecond)
			defer tick.Stop()
			n := 0
			for n < total {
				<-tick.C
				var buf []byte
				for range perSecond / 100 {
					n++
					buf = fmt.Appendf(buf, "time=\"%s\" level=info msg=\"backup progress line %d of a busy agent\" task=docs\n",
						time.Now().Format("2006-01-02 15:04:05.000"), n)
				}
				_, _ = f.Write(buf)
			}
			written <- time.Since(start)
		}()
		var wrote time.Duration
		shownAll := time.Duration(0)
		for shownAll == 0 {
			select {
			case fn := <-r.q:
				fn()
				if lt.length()+lt.dropped >= total {
					shownAll = time.Since(start)
				}
			case wrote = <-written:
			case <-time.After(30 * time.Second):
				b.Fatalf("the Log tab showed %d of %d lines", lt.length()+lt.dropped, total)
			}
		}
		if wrote == 0 {
			wrote = <-written
		}
		lt.clear()
		cancel()
		go func() { r.wg.Wait(); close(r.q) }()
		for fn := range r.q {
			fn()
		}
		_ = a.Close()
		benchtable.Report(b, benchtable.Figure{Name: "log-tab-live-tail", Value: float64(total) / shownAll.Seconds(), Unit: "lines/s",
			Baseline: float64(total) / wrote.Seconds(), Target: benchtable.RatioAtLeast(0.9)})
		b.ReportMetric(float64(r.does.Load())/shownAll.Seconds(), "ui-updates/s")
	}
}
