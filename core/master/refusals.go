package master

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/lanyard/lanyard/core/link"
	"github.com/lanyard/lanyard/core/store"
	"github.com/lanyard/lanyard/core/wire"
)

// Refusals before authentication are coalesced in the connection log, so
// neither a relink storm of 19,000 slaves nor a stranger hammering the
// port can wash out the history (the log keeps the newest 100,000
// records):
//
//   - a connection turned away for load (link.Refusal.Busy) is only
//     counted;
//   - any other refusal is recorded on its own the first time its kind
//     comes from its address within refusalQuiet, and then only counted,
//     and at most refusalsShown a second are recorded on their own;
//   - what was counted in a second becomes one record at its end, with
//     the counts by kind.

const (
	refusalQuiet  = time.Minute
	refusalsShown = 5
	// refusalMemory bounds the addresses remembered for refusalQuiet.
	refusalMemory = 50_000
)

// KindRefusals is the kind of the record that counts a second's refusals.
const KindRefusals = "refusals"

type refusalLog struct {
	mu      sync.Mutex
	second  int64             // the unix second counted below
	shown   int               // recorded on their own in this second
	counted map[wire.Code]int // counted in this second
	busy    int               // of them, turned away for load
	retry   [2]time.Duration  // the shortest and longest retry-after the busy ones were told
	recent  map[string]time.Time
	timer   *time.Timer
	closed  bool
	// pending counts a flush the timer will run or is running, so close
	// can wait for it.
	pending sync.WaitGroup
}

// refusalVerdict says what to do with one refusal.
type refusalVerdict int

const (
	recordIt refusalVerdict = iota
	countIt
)

// note takes a refusal and says whether to record it on its own; counted
// ones are summed up by flush, which note arranges to run at the end of
// the second.
func (l *refusalLog) note(r link.Refusal, now time.Time, flush func()) refusalVerdict {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.counted == nil {
		l.counted, l.recent = map[wire.Code]int{}, map[string]time.Time{}
	}
	if sec := now.Unix(); sec != l.second {
		l.second, l.shown = sec, 0
	}
	if !r.Busy {
		key := string(r.Err.Code) + "\x00" + refusalSource(r.Remote)
		if last, ok := l.recent[key]; (!ok || now.Sub(last) >= refusalQuiet) && l.shown < refusalsShown {
			l.shown++
			if len(l.recent) >= refusalMemory {
				l.forgetOld(now)
			}
			l.recent[key] = now
			return recordIt
		}
	}
	l.counted[r.Err.Code]++
	if r.Busy {
		l.busy++
		if l.retry[0] == 0 || r.Err.RetryAfter < l.retry[0] {
			l.retry[0] = r.Err.RetryAfter
		}
		l.retry[1] = max(l.retry[1], r.Err.RetryAfter)
	}
	if l.timer == nil && !l.closed {
		next := time.Unix(now.Unix()+1, 0)
		l.pending.Add(1)
		l.timer = time.AfterFunc(next.Sub(now), func() {
			defer l.pending.Done()
			flush()
		})
	}
	return countIt
}

// forgetOld drops addresses not heard from within refusalQuiet, or all of
// them if none is that old (the map must stay bounded). l.mu is held.
func (l *refusalLog) forgetOld(now time.Time) {
	for k, t := range l.recent {
		if now.Sub(t) >= refusalQuiet {
			delete(l.recent, k)
		}
	}
	if len(l.recent) >= refusalMemory {
		clear(l.recent)
	}
}

// take returns what was counted and starts counting afresh; ok is false
// when nothing was.
func (l *refusalLog) take() (counted map[wire.Code]int, busy int, retry [2]time.Duration, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.timer = nil
	if len(l.counted) == 0 {
		return nil, 0, retry, false
	}
	counted, busy, retry = l.counted, l.busy, l.retry
	l.counted, l.busy, l.retry = map[wire.Code]int{}, 0, [2]time.Duration{}
	return counted, busy, retry, true
}

// close stops the timer, or waits for the flush it started; the caller
// flushes what is left.
func (l *refusalLog) close() {
	l.mu.Lock()
	l.closed = true
	if l.timer != nil && l.timer.Stop() {
		l.pending.Done()
	}
	l.timer = nil
	l.mu.Unlock()
	l.pending.Wait()
}

// refusalSource is the address part of ip:port, the unit refusals are
// coalesced by.
func refusalSource(remote string) string {
	if ap, err := netip.ParseAddrPort(remote); err == nil {
		return ap.Addr().String()
	}
	return remote
}

// flushRefusals writes the record that counts the refusals of the second
// just ended, if there were any.
func (m *Master) flushRefusals() {
	counted, busy, retry, ok := m.refusals.take()
	if !ok {
		return
	}
	total := 0
	codes := make([]wire.Code, 0, len(counted))
	for c, n := range counted {
		total += n
		codes = append(codes, c)
	}
	slices.SortFunc(codes, func(a, b wire.Code) int { return cmp.Or(cmp.Compare(counted[b], counted[a]), cmp.Compare(a, b)) })
	var parts []string
	severity := store.SeverityInfo // the busy ones did nothing wrong
	for _, c := range codes {
		n := counted[c]
		if c == wire.CodeRateLimited && busy > 0 {
			parts = append(parts, fmt.Sprintf("%d busy: every handshake slot was taken, and each was told to come back in %s to %s (they do so by themselves)",
				busy, retry[0].Round(100*time.Millisecond), retry[1].Round(100*time.Millisecond)))
			if n -= busy; n == 0 {
				continue
			}
		}
		parts = append(parts, fmt.Sprintf("%d %s", n, c))
		if c.NeedsPerson() {
			severity = store.SeverityError
		} else if severity == store.SeverityInfo {
			severity = store.SeverityWarning
		}
	}
	m.record(recordArgs{kind: KindRefusals, direction: store.Inbound, severity: severity,
		reason: fmt.Sprintf("%d connections turned away in a second before they authenticated: %s; refusals logged on their own before are not repeated within a minute",
			total, strings.Join(parts, "; "))})
}
