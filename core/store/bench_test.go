package store

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/lanyard/lanyard/internal/benchtable"
)

// benchEvent is a typical disconnect record; its JSON is about 200 bytes,
// the size the baselines in DESIGN.md §7 were measured with.
func benchEvent(i int) Event {
	return Event{
		Time:      time.Now(),
		Slave:     fmt.Sprintf("FS%05d", i%50_000),
		Direction: "outbound",
		Remote:    "10.20.30.40:16888",
		Kind:      "disconnected",
		Severity:  SeverityWarning,
		Reason:    "no heartbeat for 30s",
		Error:     "read: i/o timeout",
	}
}

// BenchmarkConnLogAppend measures durable connection-log appends through the
// group commit against the obvious way, one durable bbolt Update per record,
// measured in the same run on the same disk. The figure is the console's own
// path: link goroutines call Record (queued, never blocking) and the records
// are durable once Flush returns. sync-appends/s is the stricter path where
// each of 64 goroutines waits in Append for its record to be durable.
// Target (DESIGN.md §7): ≥ 50,000 appends/s and ≥ 15× the baseline.
func BenchmarkConnLogAppend(b *testing.B) {
	const (
		baselineRecords = 2_000   // ~3,600/s here: about half a second
		lanyardRecords  = 100_000 // a reconnect storm's worth
		appenders       = 64
	)
	if size := len(must(json.Marshal(benchEvent(0)))); size < 180 || size > 220 {
		b.Fatalf("bench record is %d bytes of JSON, want about 200", size)
	}

	var baselineTime, lanyardTime, syncTime time.Duration
	runs, commits := 0, 0
	for b.Loop() {
		runs++
		baselineTime += timeOneUpdatePerRecord(b, baselineRecords)
		lanyardTime += timeRecordsThenFlush(b, lanyardRecords, appenders)
		elapsed, n := timeConcurrentAppends(b, lanyardRecords, appenders)
		syncTime += elapsed
		commits += n
	}
	baseline := float64(runs*baselineRecords) / baselineTime.Seconds()
	lanyard := float64(runs*lanyardRecords) / lanyardTime.Seconds()
	benchtable.Report(b,
		benchtable.Figure{Name: "log-appends-durable", Value: lanyard, Unit: "appends/s", Baseline: baseline,
			Target: benchtable.Both(benchtable.AtLeast(50000, "/s"), benchtable.RatioAtLeast(15))},
		benchtable.Figure{Name: "log-appends-waited-each", Value: float64(runs*lanyardRecords) / syncTime.Seconds(), Unit: "appends/s", Baseline: baseline})
	// Not a target, an explanation: both figures are bound by the disk's
	// commit latency, and the ratio is about the records per commit.
	b.ReportMetric(float64(runs*lanyardRecords)/float64(commits), "records/commit")
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// timeOneUpdatePerRecord writes n records the way a naive logger would: the
// same key and JSON encoding as the writer, one durable transaction each.
func timeOneUpdatePerRecord(b *testing.B, n int) time.Duration {
	db := openBenchDB(b)
	defer closeBenchDB(b, db)
	start := time.Now()
	for i := range n {
		e := benchEvent(i)
		err := db.bolt.Update(func(tx *bbolt.Tx) error {
			value, err := json.Marshal(e)
			if err != nil {
				return err
			}
			return tx.Bucket(bucketConnLog).Put(encodeKey(timeNanos(e.Time), uint64(i)), value)
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	return time.Since(start)
}

// timeConcurrentAppends writes n records through Append from the given
// number of goroutines, each waiting for durability before its next record,
// as link goroutines reporting a reconnect storm do.
func timeConcurrentAppends(b *testing.B, n, goroutines int) (elapsed time.Duration, commits int) {
	db := openBenchDB(b)
	var next atomic.Int64
	var wg sync.WaitGroup
	var failed atomic.Value
	start := time.Now()
	for range goroutines {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				if err := db.Append(context.Background(), benchEvent(i)); err != nil {
					failed.CompareAndSwap(nil, err)
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed = time.Since(start)
	if err, _ := failed.Load().(error); err != nil {
		b.Fatal(err)
	}
	if count, err := db.CountEvents(); err != nil || count != n {
		b.Fatalf("%d records stored (%v), want %d", count, err, n)
	}
	closeBenchDB(b, db)
	// The writer has exited, so its counter is safe to read.
	return elapsed, db.connlog.committedBatches
}

// timeRecordsThenFlush queues n records with Record from the given number of
// goroutines and stops the clock when Flush says all are durable.
func timeRecordsThenFlush(b *testing.B, n, goroutines int) time.Duration {
	db := openBenchDB(b)
	defer closeBenchDB(b, db)
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range goroutines {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < n; i = int(next.Add(1)) - 1 {
				db.Record(benchEvent(i))
			}
		})
	}
	wg.Wait()
	if err := db.Flush(); err != nil {
		b.Fatal(err)
	}
	elapsed := time.Since(start)
	if count, err := db.CountEvents(); err != nil || count != n {
		b.Fatalf("%d records stored (%v), want %d", count, err, n)
	}
	return elapsed
}

func openBenchDB(b *testing.B) *DB {
	db, err := Open(filepath.Join(b.TempDir(), "console.db"), Options{Kind: "console"})
	if err != nil {
		b.Fatal(err)
	}
	return db
}

func closeBenchDB(b *testing.B, db *DB) {
	if err := db.Close(); err != nil {
		b.Error(err)
	}
}
