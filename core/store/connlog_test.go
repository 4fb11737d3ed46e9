package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"pgregory.net/rapid"
)

// t0 is recent, so that the default 30-day retention keeps test records
// when Open and the writer prune with the real clock.
var t0 = time.Now().UTC().Truncate(time.Second).Add(-time.Hour)

func event(slave, kind string, severity Severity, at time.Time) Event {
	return Event{Time: at, Slave: slave, Direction: "outbound", Remote: "10.0.0.4:16888", Kind: kind, Severity: severity}
}

func mustAppend(t testing.TB, db *DB, e Event) {
	t.Helper()
	if err := db.Append(context.Background(), e); err != nil {
		t.Fatalf("Append: %v", err)
	}
}

func mustCount(t testing.TB, db *DB) int {
	t.Helper()
	n, err := db.CountEvents()
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// assertKeysIncrease checks that keys are strictly increasing and that each
// event's Key() round-trips to what a reader would page with.
func assertKeysIncrease(t *testing.T, events []Event) {
	t.Helper()
	for i := 1; i < len(events); i++ {
		if bytes.Compare(events[i-1].Key(), events[i].Key()) >= 0 {
			t.Fatalf("key %d (%x) not above key %d (%x)", i, events[i].Key(), i-1, events[i-1].Key())
		}
	}
}

func TestAppendedEventsSurviveReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "console.db")
	db := openTestDBAt(t, path, testOptions())
	want := event("FS01", "auth_failed", SeverityError, t0)
	want.Reason = "wrong password"
	want.Error = "proof mismatch"
	mustAppend(t, db, want)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db = openTestDBAt(t, path, testOptions())
	got, err := db.Events(EventFilter{})
	if err != nil || len(got) != 1 {
		t.Fatalf("Events = %v, %v", got, err)
	}
	got[0].Time, want.Time = got[0].Time.UTC(), want.Time.UTC()
	got[0].Seq, got[0].keyNanos = 0, 0
	if got[0] != want {
		t.Errorf("read back %+v, want %+v", got[0], want)
	}
}

func TestRecordNeverLosesARecord(t *testing.T) {
	db := openTestDB(t, testOptions())
	// Several times the queue size, from a few goroutines, so Record has
	// to wait for room.
	const writers, each = 4, 3 * eventQueueSize
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				db.Record(Event{Slave: fmt.Sprintf("s%d", w), Kind: "connected", Severity: SeverityInfo, Reason: fmt.Sprint(i)})
			}
		})
	}
	wg.Wait()
	if err := db.Flush(); err != nil {
		t.Fatal(err)
	}
	if n := mustCount(t, db); n != writers*each {
		t.Errorf("%d records after Flush, want %d", n, writers*each)
	}
	// Zero Time became "now".
	events, _ := db.LastEvents(EventFilter{}, 1)
	if len(events) != 1 || events[0].Time.IsZero() {
		t.Errorf("last event %+v, want a time", events)
	}
}

func TestCloseCommitsRecordedEvents(t *testing.T) {
	path := filepath.Join(t.TempDir(), "console.db")
	db := openTestDBAt(t, path, testOptions())
	for i := range 5000 {
		db.Record(event(fmt.Sprint(i), "disconnected", SeverityWarning, time.Time{}))
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = openTestDBAt(t, path, testOptions())
	if n := mustCount(t, db); n != 5000 {
		t.Errorf("%d records after Close and reopen, want 5000", n)
	}
}

func TestConcurrentAppendsAreAllDurableWithUniqueKeys(t *testing.T) {
	path := filepath.Join(t.TempDir(), "console.db")
	db := openTestDBAt(t, path, testOptions())
	const goroutines, each = 64, 50
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range each {
				// All share one timestamp: the sequence alone must keep
				// the keys apart.
				e := event(fmt.Sprintf("g%d", g), "connected", SeverityInfo, t0)
				e.Reason = fmt.Sprint(i)
				if err := db.Append(context.Background(), e); err != nil {
					t.Errorf("Append: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	// Durable means it is there after Close, without a Flush.
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = openTestDBAt(t, path, testOptions())
	events, err := db.Events(EventFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != goroutines*each {
		t.Fatalf("%d records, want %d", len(events), goroutines*each)
	}
	assertKeysIncrease(t, events)
	seen := make(map[string]bool)
	for _, e := range events {
		id := e.Slave + "/" + e.Reason
		if seen[id] {
			t.Fatalf("record %s stored twice", id)
		}
		seen[id] = true
	}
}

func TestAppendAfterCloseReturnsErrClosed(t *testing.T) {
	db := openTestDB(t, testOptions())
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := db.Append(context.Background(), event("x", "connected", SeverityInfo, t0)); !errors.Is(err, ErrClosed) {
		t.Errorf("Append after Close = %v, want ErrClosed", err)
	}
	if err := db.Flush(); !errors.Is(err, ErrClosed) {
		t.Errorf("Flush after Close = %v, want ErrClosed", err)
	}
	db.Record(event("x", "connected", SeverityInfo, t0)) // must not panic or block
	if _, err := db.Events(EventFilter{}); !errors.Is(err, ErrClosed) {
		t.Errorf("Events after Close = %v, want ErrClosed", err)
	}
}

func TestAppendWithCancelledContextWritesNothing(t *testing.T) {
	db := openTestDB(t, testOptions())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := db.Append(ctx, event("x", "connected", SeverityInfo, t0)); !errors.Is(err, context.Canceled) {
		t.Errorf("Append = %v, want context.Canceled", err)
	}
	if err := db.Flush(); err != nil {
		t.Fatal(err)
	}
	if n := mustCount(t, db); n != 0 {
		t.Errorf("%d records, want 0", n)
	}
}

func TestAppendRacingCloseEitherCommitsOrFails(t *testing.T) {
	path := filepath.Join(t.TempDir(), "console.db")
	db, err := Open(path, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	succeeded := 0
	for g := range 16 {
		wg.Go(func() {
			for i := range 100 {
				err := db.Append(context.Background(), event(fmt.Sprintf("%d-%d", g, i), "connected", SeverityInfo, t0))
				switch {
				case err == nil:
					mu.Lock()
					succeeded++
					mu.Unlock()
				case errors.Is(err, ErrClosed):
					return
				default:
					t.Errorf("Append: %v", err)
					return
				}
			}
		})
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	db = openTestDBAt(t, path, testOptions())
	// Every Append that reported success is on disk (a few that were
	// queued just before Close may be there without having been told).
	if n := mustCount(t, db); n < succeeded {
		t.Errorf("%d records on disk, but %d Appends succeeded", n, succeeded)
	}
}

func TestSequenceContinuesAcrossRestartsAndPruning(t *testing.T) {
	path := filepath.Join(t.TempDir(), "console.db")
	opts := testOptions()
	db := openTestDBAt(t, path, opts)
	for range 3 {
		mustAppend(t, db, event("a", "connected", SeverityInfo, t0))
	}
	first, _ := db.Events(EventFilter{})
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db = openTestDBAt(t, path, opts)
	for range 3 {
		mustAppend(t, db, event("a", "connected", SeverityInfo, t0))
	}
	all, _ := db.Events(EventFilter{})
	if len(all) != 6 {
		t.Fatalf("%d records, want 6", len(all))
	}
	assertKeysIncrease(t, all)

	// Prune everything, restart: the next key must still be above every key
	// ever handed out, or a reader's cursor would skip new records.
	lastCursor := all[len(all)-1].Key()
	if removed, err := db.PruneEvents(t0.Add(opts.withDefaults().LogRetention + time.Hour)); err != nil || removed != 6 {
		t.Fatalf("PruneEvents = %d, %v; want 6", removed, err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = openTestDBAt(t, path, opts)
	mustAppend(t, db, event("a", "connected", SeverityInfo, t0))
	after, err := db.Events(EventFilter{AfterKey: lastCursor})
	if err != nil || len(after) != 1 {
		t.Fatalf("Events after the old cursor = %v, %v; want the new record", after, err)
	}
	if after[0].Seq <= first[len(first)-1].Seq {
		t.Errorf("sequence restarted: %d", after[0].Seq)
	}
}

func TestKeysFollowCommitOrderWhenClockStepsBack(t *testing.T) {
	db := openTestDB(t, testOptions())
	mustAppend(t, db, event("a", "connected", SeverityInfo, t0.Add(time.Hour)))
	cursor := func() []byte {
		events, _ := db.LastEvents(EventFilter{}, 1)
		return events[0].Key()
	}()
	earlier := t0
	mustAppend(t, db, event("b", "connected", SeverityInfo, earlier))

	// A reader that had paged up to the first record still sees the second.
	after, err := db.Events(EventFilter{AfterKey: cursor})
	if err != nil || len(after) != 1 || after[0].Slave != "b" {
		t.Fatalf("Events(AfterKey) = %+v, %v; want b", after, err)
	}
	if !after[0].Time.Equal(earlier) {
		t.Errorf("Time = %v, want the event's own %v", after[0].Time, earlier)
	}
	if bytes.Compare(after[0].Key(), cursor) <= 0 {
		t.Errorf("Key() = %x not after the cursor %x", after[0].Key(), cursor)
	}
}

func seedEvents(t *testing.T, db *DB) {
	t.Helper()
	for i, e := range []Event{
		event("FS01", "connecting", SeverityInfo, t0),
		event("fs02", "auth_failed", SeverityError, t0.Add(1*time.Minute)),
		event("FS01", "connected", SeverityInfo, t0.Add(2*time.Minute)),
		event("FS02", "ssl_mismatch", SeverityWarning, t0.Add(3*time.Minute)),
		event("FS01", "disconnected", SeverityWarning, t0.Add(4*time.Minute)),
		event("web", "connected", SeverityInfo, t0.Add(5*time.Minute)),
	} {
		e.Reason = fmt.Sprint(i)
		db.Record(e)
	}
	if err := db.Flush(); err != nil {
		t.Fatal(err)
	}
}

func reasons(events []Event) string {
	var b bytes.Buffer
	for _, e := range events {
		b.WriteString(e.Reason)
	}
	return b.String()
}

func TestEventsFilters(t *testing.T) {
	db := openTestDB(t, testOptions())
	seedEvents(t, db)
	for name, tc := range map[string]struct {
		filter EventFilter
		want   string
	}{
		"all":                   {EventFilter{}, "012345"},
		"slave, any case":       {EventFilter{Slave: "Fs02"}, "13"},
		"errors only":           {EventFilter{ErrorsOnly: true}, "134"},
		"since":                 {EventFilter{Since: t0.Add(3 * time.Minute)}, "345"},
		"limit":                 {EventFilter{Limit: 2}, "01"},
		"slave + errors, limit": {EventFilter{Slave: "fs01", ErrorsOnly: true, Limit: 5}, "4"},
		"unknown slave":         {EventFilter{Slave: "nobody"}, ""},
	} {
		got, err := db.Events(tc.filter)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if reasons(got) != tc.want {
			t.Errorf("%s: got %q, want %q", name, reasons(got), tc.want)
		}
	}
}

func TestEventsPagingVisitsEveryRecordOnce(t *testing.T) {
	db := openTestDB(t, testOptions())
	const total = 103
	for i := range total {
		// Some share a timestamp, as a storm's records do.
		db.Record(event("s", "connected", SeverityInfo, t0.Add(time.Duration(i/4)*time.Millisecond)))
	}
	if err := db.Flush(); err != nil {
		t.Fatal(err)
	}
	var all []Event
	var cursor []byte
	for pages := 0; ; pages++ {
		page, err := db.Events(EventFilter{AfterKey: cursor, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		if pages > total {
			t.Fatal("paging does not end")
		}
		all = append(all, page...)
		cursor = page[len(page)-1].Key()
	}
	if len(all) != total {
		t.Fatalf("paged through %d records, want %d", len(all), total)
	}
	assertKeysIncrease(t, all)
}

func TestLastEvents(t *testing.T) {
	db := openTestDB(t, testOptions())
	seedEvents(t, db)
	all, _ := db.Events(EventFilter{})
	for name, tc := range map[string]struct {
		filter EventFilter
		n      int
		want   string
	}{
		"newest 2":            {EventFilter{}, 2, "45"},
		"all":                 {EventFilter{}, 0, "012345"},
		"more than there":     {EventFilter{}, 50, "012345"},
		"newest fs01 errors":  {EventFilter{Slave: "FS01", ErrorsOnly: true}, 3, "4"},
		"newest 3 of fs01":    {EventFilter{Slave: "fs01"}, 3, "024"},
		"since":               {EventFilter{Since: t0.Add(4 * time.Minute)}, 10, "45"},
		"after key":           {EventFilter{AfterKey: all[3].Key()}, 10, "45"},
		"after last key":      {EventFilter{AfterKey: all[5].Key()}, 10, ""},
		"before a key":        {EventFilter{Before: all[4].Key()}, 2, "23"},
		"before the first":    {EventFilter{Before: all[0].Key()}, 10, ""},
		"before past the end": {EventFilter{Before: encodeKey(math.MaxInt64, 0)}, 2, "45"},
		"between two keys":    {EventFilter{AfterKey: all[1].Key(), Before: all[5].Key()}, 10, "234"},
		"fs01 before a key":   {EventFilter{Slave: "fs01", Before: all[4].Key()}, 10, "02"},
	} {
		got, err := db.LastEvents(tc.filter, tc.n)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if reasons(got) != tc.want {
			t.Errorf("%s: got %q, want %q", name, reasons(got), tc.want)
		}
	}
}

func TestEventsStopBeforeTheUpperBound(t *testing.T) {
	db := openTestDB(t, testOptions())
	seedEvents(t, db)
	all, _ := db.Events(EventFilter{})
	got, err := db.Events(EventFilter{AfterKey: all[0].Key(), Before: all[4].Key()})
	if err != nil || reasons(got) != "123" {
		t.Errorf("Events between two keys = %q, %v", reasons(got), err)
	}
}

// Paging backward with Before visits every matching record once, in
// order, on logs with bursts, equal times and a clock that steps back.
func TestPagingBackwardVisitsEveryRecordOnce(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		db := openTestDB(t, Options{Kind: "console", LockTimeout: 100 * time.Millisecond, LogMaxRecords: 1000})
		at := time.Now().Add(-time.Hour)
		for i := range rapid.IntRange(0, 150).Draw(rt, "records") {
			switch rapid.IntRange(0, 9).Draw(rt, "step") {
			case 0: // same instant
			case 1: // the clock steps back
				at = at.Add(-time.Duration(rapid.IntRange(1, 600).Draw(rt, "back")) * time.Second)
			default:
				at = at.Add(time.Duration(rapid.IntRange(1, 2000).Draw(rt, "gap")) * time.Millisecond)
			}
			db.Record(Event{Time: at, Slave: rapid.SampledFrom([]string{"A", "B", "C"}).Draw(rt, "slave"), Kind: "k",
				Severity: rapid.SampledFrom([]Severity{"info", "warning", "error"}).Draw(rt, "severity"), Reason: fmt.Sprint(i)})
		}
		if err := db.Flush(); err != nil {
			rt.Fatal(err)
		}
		f := EventFilter{Slave: rapid.SampledFrom([]string{"", "a", "B"}).Draw(rt, "filter slave"),
			ErrorsOnly: rapid.Bool().Draw(rt, "errors only")}
		page := rapid.IntRange(1, 40).Draw(rt, "page")
		want, err := db.Events(f)
		if err != nil {
			rt.Fatal(err)
		}
		var got []Event
		for {
			older, err := db.LastEvents(f, page)
			if err != nil {
				rt.Fatal(err)
			}
			got = append(older, got...)
			if len(older) < page {
				break
			}
			f.Before = older[0].Key()
		}
		if len(got) != len(want) {
			rt.Fatalf("paged back to %d records, the log has %d matching", len(got), len(want))
		}
		for i := range got {
			if !bytes.Equal(got[i].Key(), want[i].Key()) {
				rt.Fatalf("record %d: got #%d, want #%d", i, got[i].Seq, want[i].Seq)
			}
		}
		_ = db.Close()
	})
}

func TestCommittedRecordsAreAnnouncedWithTheirKeys(t *testing.T) {
	db := openTestDB(t, testOptions())
	var mu sync.Mutex
	var heard []Event
	var unreadable []string
	stop := db.OnCommit(func(evs []Event) {
		// Announced after the commit: a reader finds each one at once.
		for _, e := range evs {
			found, err := db.LastEvents(EventFilter{Before: encodeKey(math.MaxInt64, 0)}, 0)
			if err != nil || !slices.ContainsFunc(found, func(f Event) bool { return bytes.Equal(f.Key(), e.Key()) }) {
				mu.Lock()
				unreadable = append(unreadable, e.Reason)
				mu.Unlock()
			}
		}
		mu.Lock()
		heard = append(heard, evs...)
		mu.Unlock()
	})
	for i := range 50 {
		db.Record(event("FS01", "connected", SeverityInfo, t0.Add(time.Duration(i)*time.Second)))
	}
	mustAppend(t, db, event("FS02", "auth_failed", SeverityError, t0.Add(time.Minute)))
	if err := db.Flush(); err != nil {
		t.Fatal(err)
	}
	all, _ := db.Events(EventFilter{})
	mu.Lock()
	if len(heard) != 51 || len(unreadable) != 0 {
		t.Fatalf("heard %d of 51 records; not readable when announced: %v", len(heard), unreadable)
	}
	for i := range all {
		if !bytes.Equal(heard[i].Key(), all[i].Key()) || heard[i].Seq != all[i].Seq || heard[i].Kind != all[i].Kind {
			t.Fatalf("announcement %d: %+v, the log has %+v", i, heard[i], all[i])
		}
	}
	mu.Unlock()

	stop()
	mustAppend(t, db, event("FS03", "connected", SeverityInfo, t0.Add(2*time.Minute)))
	mu.Lock()
	defer mu.Unlock()
	if len(heard) != 51 {
		t.Errorf("heard %d records after stop", len(heard)-51)
	}
}

func TestPruneByAge(t *testing.T) {
	opts := testOptions()
	opts.LogRetention = 24 * time.Hour
	db := openTestDB(t, opts)
	for day := range 5 {
		mustAppend(t, db, event("s", "connected", SeverityInfo, t0.Add(time.Duration(day)*24*time.Hour)))
	}
	now := t0.Add(3*24*time.Hour + time.Hour) // the last two are less than a day old then
	removed, err := db.PruneEvents(now)
	if err != nil || removed != 3 {
		t.Errorf("PruneEvents = %d, %v; want 3", removed, err)
	}
	if n := mustCount(t, db); n != 2 {
		t.Errorf("%d left, want 2", n)
	}
}

func TestPruneByCount(t *testing.T) {
	opts := testOptions()
	opts.LogMaxRecords = 10
	db := openTestDB(t, opts)
	// Record does not prune by itself until enough arrived; Flush, then
	// prune explicitly to test the count rule alone.
	for i := range 25 {
		mustAppend(t, db, event("s", "connected", SeverityInfo, t0.Add(time.Duration(i)*time.Second)))
	}
	if _, err := db.PruneEvents(t0); err != nil {
		t.Fatal(err)
	}
	events, _ := db.Events(EventFilter{})
	if len(events) != 10 || !events[0].Time.Equal(t0.Add(15*time.Second)) {
		t.Errorf("%d left starting at %v; want the newest 10", len(events), events[0].Time)
	}
}

func TestPruneLargeBacklogInChunks(t *testing.T) {
	opts := testOptions()
	opts.LogMaxRecords = 2*pruneChunk + 10 // the writer must not prune by count here
	db := openTestDB(t, opts)
	for i := range 2*pruneChunk + 5 {
		db.Record(event("s", "connected", SeverityInfo, t0.Add(time.Duration(i)*time.Microsecond)))
	}
	if err := db.Flush(); err != nil {
		t.Fatal(err)
	}
	removed, err := db.PruneEvents(t0.Add(opts.withDefaults().LogRetention + time.Hour))
	if err != nil || removed != 2*pruneChunk+5 {
		t.Errorf("PruneEvents = %d, %v; want all %d", removed, err, 2*pruneChunk+5)
	}
}

func TestWriterAndOpenPrune(t *testing.T) {
	path := filepath.Join(t.TempDir(), "console.db")
	opts := testOptions()
	opts.LogMaxRecords = 30
	pruneEvery := opts.LogMaxRecords/10 + 1
	db := openTestDBAt(t, path, opts)
	// One at a time, so each Append is its own batch and the writer's
	// prune (every pruneEvery records) has run before the next batch.
	for i := range 200 {
		mustAppend(t, db, event("s", "connected", SeverityInfo, t0.Add(time.Duration(i)*time.Millisecond)))
	}
	if err := db.Flush(); err != nil {
		t.Fatal(err)
	}
	if n := mustCount(t, db); n < opts.LogMaxRecords || n >= opts.LogMaxRecords+pruneEvery {
		t.Errorf("%d records kept by the writer, want %d to %d", n, opts.LogMaxRecords, opts.LogMaxRecords+pruneEvery-1)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	opts.LogMaxRecords = 10
	db = openTestDBAt(t, path, opts)
	if n := mustCount(t, db); n != 10 {
		t.Errorf("%d records after Open with a limit of 10", n)
	}
}

func TestEventBadJSONNamesKey(t *testing.T) {
	db := openTestDB(t, testOptions())
	mustAppend(t, db, event("s", "connected", SeverityInfo, t0))
	putRaw(t, db, bucketConnLog, encodeKey(t0.Add(time.Second).UnixNano(), 1<<40), []byte("{"))
	_, err := db.Events(EventFilter{})
	assertDamaged(t, err, "connlog", t0.Add(time.Second).Format(time.RFC3339))
	_, err = db.LastEvents(EventFilter{}, 1)
	assertDamaged(t, err, "connlog", "#1099511627776")
}

func TestKeyEncodingProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n1 := rapid.Int64Range(0, math.MaxInt64).Draw(t, "n1")
		n2 := rapid.Int64Range(0, math.MaxInt64).Draw(t, "n2")
		s1 := rapid.Uint64().Draw(t, "s1")
		s2 := rapid.Uint64().Draw(t, "s2")
		k1, k2 := encodeKey(n1, s1), encodeKey(n2, s2)

		if n, s, ok := decodeKey(k1); !ok || n != n1 || s != s1 {
			t.Fatalf("decode(encode(%d, %d)) = %d, %d, %v", n1, s1, n, s, ok)
		}
		// Byte order is (time, sequence) order: what makes a key a cursor.
		want := cmpPair(n1, n2, s1, s2)
		if got := bytes.Compare(k1, k2); got != want {
			t.Fatalf("Compare(key(%d,%d), key(%d,%d)) = %d, want %d", n1, s1, n2, s2, got, want)
		}
	})
}

func cmpPair(n1, n2 int64, s1, s2 uint64) int {
	switch {
	case n1 < n2:
		return -1
	case n1 > n2:
		return 1
	case s1 < s2:
		return -1
	case s1 > s2:
		return 1
	}
	return 0
}

func TestTimeNanosIsMonotonic(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		// From well before 1970 to well after 2262, where UnixNano overflows.
		a := time.Unix(rapid.Int64Range(-1<<40, 1<<40).Draw(t, "a"), rapid.Int64Range(0, 999_999_999).Draw(t, "an"))
		b := time.Unix(rapid.Int64Range(-1<<40, 1<<40).Draw(t, "b"), rapid.Int64Range(0, 999_999_999).Draw(t, "bn"))
		if b.Before(a) {
			a, b = b, a
		}
		if na, nb := timeNanos(a), timeNanos(b); na > nb || na < 0 {
			t.Fatalf("timeNanos(%v) = %d, timeNanos(%v) = %d", a, na, b, nb)
		}
	})
}

func TestWriterKeysStrictlyIncrease(t *testing.T) {
	// Whatever times arrive, in whatever order, nextKey's keys increase and
	// never fall below an event's own time.
	rapid.Check(t, func(t *rapid.T) {
		var cl connLog
		cl.lastNanos = rapid.Int64Range(0, 1<<62).Draw(t, "lastNanos")
		cl.nextSeq = rapid.Uint64Range(0, 1<<62).Draw(t, "nextSeq")
		times := rapid.SliceOf(rapid.Int64Range(0, 1<<62)).Draw(t, "times")
		var prev []byte
		for _, n := range times {
			key := encodeKey(cl.nextKey(time.Unix(0, n)))
			if prev != nil && bytes.Compare(prev, key) >= 0 {
				t.Fatalf("key %x not above %x", key, prev)
			}
			if kn, _, _ := decodeKey(key); kn < n {
				t.Fatalf("key time %d below the event's %d", kn, n)
			}
			prev = key
		}
	})
}

func TestUnstorableEventIsReported(t *testing.T) {
	db := openTestDB(t, testOptions())
	// encoding/json cannot write a year past 9999.
	unstorable := event("s", "connected", SeverityInfo, time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC))
	if err := db.Append(context.Background(), unstorable); err == nil || !strings.Contains(err.Error(), "cannot be stored") {
		t.Errorf("Append = %v, want a clear error", err)
	}
	// Record has no caller to tell: the next Flush reports it, once.
	db.Record(unstorable)
	db.Record(event("s", "connected", SeverityInfo, t0))
	if err := db.Flush(); err == nil || !strings.Contains(err.Error(), "a connection log record was lost") {
		t.Errorf("Flush = %v, want the lost record reported", err)
	}
	if err := db.Flush(); err != nil {
		t.Errorf("second Flush = %v, want nil", err)
	}
	// The good record in the same batch was written.
	if n := mustCount(t, db); n != 1 {
		t.Errorf("%d records, want 1", n)
	}
}

// lingerRig is a writer's queue with records and waiters, for linger.
type lingerRig struct {
	cl    *connLog
	timer *time.Timer
}

func newLingerRig() *lingerRig {
	t := time.NewTimer(recordLinger)
	t.Stop()
	return &lingerRig{cl: &connLog{queue: make(chan pendingEvent, 16), stop: make(chan struct{})}, timer: t}
}

func record(reason string) pendingEvent {
	return pendingEvent{event: Event{Reason: reason}}
}

func appended(reason string) pendingEvent {
	return pendingEvent{event: Event{Reason: reason}, done: make(chan error, 1)}
}

func batchReasons(batch []pendingEvent) string {
	var r []string
	for _, p := range batch {
		r = append(r, p.event.Reason)
	}
	return strings.Join(r, " ")
}

// A batch of records nobody waits for takes in what comes next, up to
// and with the first record somebody waits for, which ends the wait: a
// reconnect storm's records share one commit, an Append is not held back.
func TestRecordsLingerForMoreUntilSomebodyWaits(t *testing.T) {
	r := newLingerRig()
	for _, p := range []pendingEvent{record("r2"), appended("a3"), record("r4")} {
		r.cl.queue <- p
	}
	got := r.cl.linger([]pendingEvent{record("r1")}, r.timer)
	if batchReasons(got) != "r1 r2 a3" {
		t.Errorf("batch %q; want r1 r2 a3, the record after the Append left for the next", batchReasons(got))
	}
	if len(r.cl.queue) != 1 {
		t.Errorf("%d left queued; want 1", len(r.cl.queue))
	}
}

// A batch that somebody waits for is committed as it is.
func TestABatchWithAWaiterDoesNotLinger(t *testing.T) {
	r := newLingerRig()
	r.cl.queue <- record("r3")
	got := r.cl.linger([]pendingEvent{record("r1"), appended("a2")}, r.timer)
	if batchReasons(got) != "r1 a2" || len(r.cl.queue) != 1 {
		t.Errorf("batch %q with %d left queued; want r1 a2 with r3 left", batchReasons(got), len(r.cl.queue))
	}
}

// With nothing more coming, the lingering ends by itself, and at once
// when the log closes.
func TestLingeringEndsWithItsTimeOrClose(t *testing.T) {
	r := newLingerRig()
	if got := r.cl.linger([]pendingEvent{record("r1")}, r.timer); batchReasons(got) != "r1" {
		t.Errorf("batch %q; want r1", batchReasons(got))
	}
	close(r.cl.stop)
	done := make(chan []pendingEvent, 1)
	go func() { done <- r.cl.linger([]pendingEvent{record("r2")}, time.NewTimer(time.Hour)) }()
	select {
	case got := <-done:
		if batchReasons(got) != "r2" {
			t.Errorf("batch %q; want r2", batchReasons(got))
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a closing log kept lingering")
	}
}
