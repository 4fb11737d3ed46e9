package store

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// emitted collects what a RefusalLog writes.
type emitted struct {
	mu      sync.Mutex
	records []Event
	added   chan struct{} // one token per record, for tests that wait
}

func (e *emitted) emit(r Event) {
	e.mu.Lock()
	e.records = append(e.records, r)
	e.mu.Unlock()
	select {
	case e.added <- struct{}{}:
	default:
	}
}

func (e *emitted) all() []Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]Event(nil), e.records...)
}

// manualRefusalLog is a RefusalLog on a clock the test moves, without a
// timer: the test flushes it.
func manualRefusalLog(at *time.Time) (*RefusalLog, *emitted) {
	out := &emitted{added: make(chan struct{}, 1)}
	l := NewRefusalLog(out.emit)
	l.now, l.manual = fixedClock(at), true
	return l, out
}

func refusal(kind, remote string) Refusal {
	return Refusal{Event: Event{Direction: "inbound", Remote: remote, Kind: kind, Severity: SeverityWarning, Reason: kind + " from " + remote}}
}

func busy(remote string, retry time.Duration) Refusal {
	return Refusal{Event: Event{Direction: "inbound", Remote: remote, Kind: "rate_limited", Severity: SeverityWarning, Reason: "busy"},
		Busy: true, RetryAfter: retry}
}

func TestRepeatsOfOneKindFromOneAddressAreCountedIntoOneRecordAMinute(t *testing.T) {
	at := t0
	l, out := manualRefusalLog(&at)
	for i := range 5000 {
		at = t0.Add(time.Duration(i) * time.Millisecond)
		l.Note(refusal("protocol_error", fmt.Sprintf("10.1.2.3:%d", 40000+i%20000)))
		l.flush(at, false) // every second's flush finds nothing due
	}
	l.Note(refusal("protocol_error", "10.1.2.4:5000"))
	l.Note(refusal("ssl_mismatch", "10.1.2.3:6000"))
	if got := reasonsOf(out.all()); got != "protocol_error from 10.1.2.3:40000|protocol_error from 10.1.2.4:5000|ssl_mismatch from 10.1.2.3:6000" {
		t.Fatalf("within the minute, the log holds %q", got)
	}

	// The minute ends: one record says how many more came.
	at = t0.Add(RefusalWindow)
	l.flush(at, false)
	all := out.all()
	if len(all) != 4 {
		t.Fatalf("after the minute, %d records: %s", len(all), reasonsOf(all))
	}
	sum := all[3]
	if !strings.HasPrefix(sum.Reason, "broken handshakes from 10.1.2.3 ×4,999 in the last minute") || sum.Count != 4999 ||
		!sum.Refusal || sum.Kind != "protocol_error" || sum.Remote != "10.1.2.3" || sum.Direction != "inbound" {
		t.Errorf("the garbage count: %+v", sum)
	}

	// A new minute starts with a record of its own.
	at = at.Add(5 * time.Second)
	l.Note(refusal("protocol_error", "10.1.2.3:1"))
	if n := len(out.all()); n != 5 {
		t.Errorf("the first refusal of a new minute was not recorded (%d records)", n)
	}
}

func TestAStormIsCountedInOneRecordASecond(t *testing.T) {
	at := t0.Add(100 * time.Millisecond)
	l, out := manualRefusalLog(&at)
	// Within one second: 3,000 turned away for load from 3,000 addresses,
	// 20 wrong passwords from one address, 12 timeouts from 12 addresses.
	for i := range 3000 {
		l.Note(busy(fmt.Sprintf("127.1.%d.%d:5000", i/250, i%250+1), time.Duration(1+i%3)*time.Second))
	}
	for range 20 {
		r := refusal("auth_failed", "127.0.0.9:4000")
		r.Severity = SeverityError
		l.Note(r)
	}
	for i := range 12 {
		l.Note(refusal("timeout", fmt.Sprintf("127.0.2.%d:4000", i+1)))
	}
	// One auth_failed and four timeouts on their own: five a second.
	if got := len(out.all()); got != RefusalsShown {
		t.Fatalf("%d recorded on their own within the second, want %d", got, RefusalsShown)
	}
	at = t0.Add(time.Second)
	l.flush(at, false)
	all := out.all()
	if len(all) != RefusalsShown+1 {
		t.Fatalf("%d records after the second, want %d: %s", len(all), RefusalsShown+1, reasonsOf(all))
	}
	sum := all[len(all)-1]
	for _, want := range []string{"3,008 connections turned away in the last second", "3,000 busy", "come back in 1s to 3s", "8 timeout"} {
		if !strings.Contains(sum.Reason, want) {
			t.Errorf("the counted record does not say %q: %s", want, sum.Reason)
		}
	}
	if sum.Kind != KindRefusals || sum.Count != 3008 || sum.Severity != SeverityWarning || !sum.Refusal {
		t.Errorf("the counted record: %+v", sum)
	}

	// Nothing more until the wrong passwords' minute ends.
	for s := 2; s < 60; s++ {
		l.flush(t0.Add(time.Duration(s)*time.Second), false)
	}
	if n := len(out.all()); n != RefusalsShown+1 {
		t.Fatalf("%d records before the minute ended", n)
	}
	l.flush(t0.Add(61*time.Second), false)
	all = out.all()
	if last := all[len(all)-1]; len(all) != RefusalsShown+2 || last.Count != 19 || last.Kind != "auth_failed" || last.Severity != SeverityError {
		t.Errorf("the wrong passwords' count: %d records, last %+v", len(all), last)
	}
}

func TestAStormOnlyOfBusyOnesIsInformation(t *testing.T) {
	at := t0
	l, out := manualRefusalLog(&at)
	for i := range 100 {
		l.Note(busy(fmt.Sprintf("127.1.0.%d:1", i), 2*time.Second))
	}
	l.flush(t0.Add(time.Second), false)
	all := out.all()
	if len(all) != 1 || all[0].Severity != SeverityInfo || all[0].Count != 100 {
		t.Errorf("a storm of busy ones: %+v", all)
	}
}

func TestWindowsEndingTogetherMakeOneRecord(t *testing.T) {
	at := t0
	l, out := manualRefusalLog(&at)
	for i := range 20 {
		for range 3 + i {
			l.Note(refusal("protocol_error", fmt.Sprintf("198.51.100.%d:1", i)))
		}
		if i%RefusalsShown == RefusalsShown-1 {
			at = at.Add(time.Second) // five a second are recorded on their own
		}
	}
	if n := len(out.all()); n != 20 {
		t.Fatalf("%d recorded on their own, want 20", n)
	}
	l.flush(t0.Add(RefusalWindow+10*time.Second), false)
	all := out.all()
	if len(all) != 21 {
		t.Fatalf("%d records, want one more: %s", len(all), reasonsOf(all))
	}
	sum := all[20]
	if sum.Kind != KindRefusals || sum.Count != 230 {
		t.Errorf("the counted record: %+v", sum)
	}
	for _, want := range []string{"broken handshakes from 198.51.100.19 ×21", "and ", "from 12 other addresses"} {
		if !strings.Contains(sum.Reason, want) {
			t.Errorf("%q does not say %q", sum.Reason, want)
		}
	}
}

func TestRefusalsFromEverywhereKeepMemoryAndRecordsBounded(t *testing.T) {
	at := t0
	l, out := manualRefusalLog(&at)
	// 200,000 garbage connections from as many addresses, 1,000 a second.
	const seconds, perSecond = 200, 1000
	for s := range seconds {
		for i := range perSecond {
			at = t0.Add(time.Duration(s)*time.Second + time.Duration(i)*time.Millisecond)
			l.Note(refusal("protocol_error", fmt.Sprintf("10.%d.%d.%d:1", s, i/250, i%250)))
		}
		l.flush(t0.Add(time.Duration(s+1)*time.Second), false)
		l.mu.Lock()
		n := len(l.windows)
		l.mu.Unlock()
		if n > RefusalsShown*int(RefusalWindow/time.Second)+RefusalsShown {
			t.Fatalf("%d windows remembered after %d s", n, s+1)
		}
	}
	if n := len(out.all()); n > seconds*(RefusalsShown+1) {
		t.Errorf("%d records for %d seconds", n, seconds)
	}
	total := 0
	for _, e := range out.all() {
		total += max(e.Count, 1)
	}
	if total != seconds*perSecond {
		t.Errorf("the records stand for %d refusals, want %d", total, seconds*perSecond)
	}
}

func TestCloseWritesWhatWasCounted(t *testing.T) {
	out := &emitted{added: make(chan struct{}, 1)}
	l := NewRefusalLog(out.emit)
	for range 3 {
		l.Note(refusal("auth_failed", "192.0.2.9:1234"))
	}
	l.Close()
	l.Close()
	all := out.all()
	if len(all) != 2 || all[1].Count != 2 {
		t.Fatalf("after Close: %+v", all)
	}
	// After Close, a refusal is recorded on its own or not at all.
	l.Note(refusal("auth_failed", "192.0.2.9:1234"))
	l.Note(refusal("auth_failed", "192.0.2.9:1234"))
	if n := len(out.all()); n != 3 {
		t.Errorf("%d records after two refusals noted after Close, want 3", n)
	}
}

func TestTheTimerWritesTheCountWithoutAnotherRefusal(t *testing.T) {
	out := &emitted{added: make(chan struct{}, 16)}
	l := NewRefusalLog(out.emit)
	defer l.Close()
	for range 10 {
		l.Note(busy("127.0.0.5:1", time.Second))
	}
	select {
	case <-out.added:
	case <-time.After(10 * time.Second):
		t.Fatal("the count was not written within 10 s")
	}
	if all := out.all(); len(all) != 1 || all[0].Count != 10 {
		t.Errorf("written: %+v", all)
	}
}

func TestRefusalsArePrunedBeforeWhatLinkedPeersDid(t *testing.T) {
	opts := testOptions()
	opts.LogMaxRecords = 10
	db := openTestDB(t, opts)
	for i := range 5 {
		mustAppend(t, db, event(fmt.Sprint("FS", i), "connected", SeverityInfo, t0.Add(time.Duration(i)*time.Second)))
	}
	l := NewRefusalLog(db.Record)
	for i := range 20 {
		l.Note(refusal("unknown_slave", fmt.Sprintf("198.51.100.%d:999", i)))
	}
	l.Close()
	mustAppend(t, db, event("FS9", "auth_failed", SeverityError, t0.Add(time.Hour)))
	if _, err := db.PruneEvents(db.now()); err != nil {
		t.Fatal(err)
	}
	all, _ := db.Events(EventFilter{})
	kept := 0
	for _, e := range all {
		if !e.Refusal {
			kept++
		}
	}
	if len(all) != 10 || kept != 6 {
		t.Errorf("after pruning to 10: %d records, %d of them not refusals (want all 6 kept)", len(all), kept)
	}
}

func reasonsOf(all []Event) string {
	var out []string
	for _, e := range all {
		out = append(out, e.Reason)
	}
	return strings.Join(out, "|")
}
