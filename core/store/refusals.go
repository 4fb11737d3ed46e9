package store

import (
	"cmp"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/lanyard/lanyard/core/human"
)

// Refusals before authentication (a peer turned away at the door: garbage,
// an unknown name, a wrong password, an SSL mismatch, no handshake slot
// free) come in floods that a stranger, or a relink storm of 19,000 slaves,
// controls; they must not wash the real history out of the connection log,
// the console's or the agent's. A RefusalLog, one per listening side,
// decides which are recorded and counts the rest:
//
//   - a refusal for load (Refusal.Busy: the peer did nothing wrong and was
//     told when to come back) is only counted;
//   - any other is recorded on its own the first time its kind comes from
//     its address within RefusalWindow, at most RefusalsShown a second;
//     the repeats within that window are counted for it;
//   - the rest (beyond RefusalsShown in a second) are counted by kind;
//   - what was counted is written at the end of a second, as at most one
//     record: a window's count alone, when only it is due, is a record of
//     its kind about its address ("broken handshakes from 10.1.2.3 ×4,211
//     in the last minute"); anything else is one record of kind KindRefusals
//     with the counts ("3,000 refusals in the last second: 2,990 busy …").
//
// Every record it makes has Event.Refusal set, so that pruning removes
// them before anything else (PruneEvents), and the addresses it remembers
// are bounded: a window is opened only for a refusal recorded on its own.

const (
	// RefusalWindow is how long the repeats of a refusal recorded on its
	// own are counted into one record.
	RefusalWindow = time.Minute
	// RefusalsShown bounds the refusals recorded on their own in a second.
	RefusalsShown = 5
	// maxRefusalWindows bounds the windows remembered. RefusalsShown a
	// second for RefusalWindow keeps about 300 open; the ended ones are
	// dropped when the bound is reached.
	maxRefusalWindows = 4096
	// refusalsNamed bounds the windows named in one KindRefusals record.
	refusalsNamed = 8
)

// Refusal is a peer turned away before it authenticated.
type Refusal struct {
	// Event is the record it makes on its own: Kind (its close code),
	// Remote (ip:port), Severity and Reason, and the slave when one is
	// known. Time is filled in when zero.
	Event
	// Busy says it was turned away for load only.
	Busy bool
	// RetryAfter is when a busy one was told to come back.
	RetryAfter time.Duration
}

// RefusalLog coalesces refusals (see above). Its zero value is not usable:
// make one with NewRefusalLog, and Close it once the listener is closed.
type RefusalLog struct {
	emit func(Event)
	now  func() time.Time
	// manual: no timer; a test calls flush itself.
	manual bool

	mu      sync.Mutex
	windows map[refusalKey]*refusalWindow
	ended   []*refusalWindow // ended before a flush, with repeats to write
	second  int64            // the unix second shown counts
	shown   int
	tally   refusalTally
	timer   *time.Timer
	closed  bool
	// firing counts a flush the timer will run or is running, so that
	// Close can wait for it.
	firing sync.WaitGroup
}

type refusalKey struct{ kind, addr string }

// refusalWindow counts the repeats of a refusal recorded on its own.
type refusalWindow struct {
	first    Event
	more     int
	severity Severity
}

// refusalTally counts what is not counted in a window.
type refusalTally struct {
	byKind   map[string]int
	busy     int
	retry    [2]time.Duration // the shortest and longest retry-after of the busy ones
	severity Severity
	about    Event // the slave and direction they share, if they do
	n        int
}

// NewRefusalLog returns a RefusalLog that hands every record it makes to
// emit, which writes it (DB.Record) and logs it. emit is called without
// locks held, from Note or from the RefusalLog's timer.
func NewRefusalLog(emit func(Event)) *RefusalLog {
	return &RefusalLog{emit: emit, now: time.Now, windows: map[refusalKey]*refusalWindow{}}
}

// Note takes one refusal: it records it now (through emit), or counts it
// to be written at the end of the second or of its window.
func (l *RefusalLog) Note(r Refusal) {
	e := r.Event
	if e.Time.IsZero() {
		e.Time = l.now()
	}
	e.Refusal = true
	now := e.Time
	l.mu.Lock()
	if sec := now.Unix(); sec != l.second {
		l.second, l.shown = sec, 0
	}
	if !r.Busy {
		key := refusalKey{e.Kind, hostOf(e.Remote)}
		w := l.windows[key]
		if w != nil && now.Sub(w.first.Time) < RefusalWindow {
			w.more++
			w.severity = worse(w.severity, e.Severity)
			l.scheduleLocked(now)
			l.mu.Unlock()
			return
		}
		if l.shown < RefusalsShown {
			l.shown++
			if w != nil && w.more > 0 {
				l.ended = append(l.ended, w)
				l.scheduleLocked(now)
			}
			if len(l.windows) >= maxRefusalWindows {
				l.forgetEndedLocked(now)
			}
			l.windows[key] = &refusalWindow{first: e}
			l.mu.Unlock()
			l.emit(e)
			return
		}
	}
	l.tally.add(e, r.Busy, r.RetryAfter)
	l.scheduleLocked(now)
	l.mu.Unlock()
}

// forgetEndedLocked drops the windows that ended (keeping the count of
// those with repeats for the next flush), or every window if none had.
// l.mu is held.
func (l *RefusalLog) forgetEndedLocked(now time.Time) {
	for k, w := range l.windows {
		if now.Sub(w.first.Time) >= RefusalWindow {
			delete(l.windows, k)
			if w.more > 0 {
				l.ended = append(l.ended, w)
			}
		}
	}
	if len(l.windows) >= maxRefusalWindows {
		// Only under a clock that stands still: count them now.
		for k, w := range l.windows {
			delete(l.windows, k)
			if w.more > 0 {
				l.ended = append(l.ended, w)
			}
		}
	}
}

// scheduleLocked has the timer flush at the next second's start, or at
// the end of the earliest window with repeats, whichever is due first
// (flushes happen only at the start of a second, so at most one counted
// record is written a second). l.mu is held.
func (l *RefusalLog) scheduleLocked(now time.Time) {
	if l.manual || l.closed || l.timer != nil {
		return
	}
	due, ok := l.dueLocked(now)
	if !ok {
		return
	}
	l.firing.Add(1)
	l.timer = time.AfterFunc(due.Sub(now), l.fire)
}

// dueLocked is when the next flush has something to write. l.mu is held.
func (l *RefusalLog) dueLocked(now time.Time) (time.Time, bool) {
	next := now.Unix() + 1
	if l.tally.n > 0 || len(l.ended) > 0 {
		return time.Unix(next, 0), true
	}
	var due int64
	for _, w := range l.windows {
		if w.more == 0 {
			continue
		}
		end := w.first.Time.Add(RefusalWindow)
		sec := end.Unix()
		if end.Nanosecond() > 0 {
			sec++
		}
		if due == 0 || sec < due {
			due = sec
		}
	}
	if due == 0 {
		return time.Time{}, false
	}
	return time.Unix(max(due, next), 0), true
}

func (l *RefusalLog) fire() {
	defer l.firing.Done()
	l.mu.Lock()
	l.timer = nil
	closed := l.closed
	l.mu.Unlock()
	if !closed { // else Close writes what is left
		l.flush(l.now(), false)
	}
}

// flush writes what was counted and is due by now: the windows that ended
// and the tally; with all, every window (at Close).
func (l *RefusalLog) flush(now time.Time, all bool) {
	l.mu.Lock()
	lines := l.ended
	l.ended = nil
	for k, w := range l.windows {
		if all || now.Sub(w.first.Time) >= RefusalWindow {
			delete(l.windows, k)
			if w.more > 0 {
				lines = append(lines, w)
			}
		}
	}
	t := l.tally
	l.tally = refusalTally{}
	l.scheduleLocked(now)
	l.mu.Unlock()
	if e, ok := summarise(lines, t, now); ok {
		l.emit(e)
	}
}

// Close writes everything counted, even in windows not yet ended, and
// stops the timer. Refusals noted after it are recorded on their own or
// not at all. It is idempotent.
func (l *RefusalLog) Close() {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return
	}
	l.closed = true
	if l.timer != nil && l.timer.Stop() {
		l.firing.Done()
	}
	l.timer = nil
	l.mu.Unlock()
	l.firing.Wait()
	l.flush(l.now(), true)
}

func (t *refusalTally) add(e Event, busy bool, retry time.Duration) {
	if t.n == 0 {
		t.byKind, t.about = map[string]int{}, e
	} else {
		t.about = shared(t.about, e)
	}
	t.n++
	if busy {
		t.busy++
		if t.retry[0] == 0 || retry < t.retry[0] {
			t.retry[0] = retry
		}
		t.retry[1] = max(t.retry[1], retry)
		t.severity = worse(t.severity, SeverityInfo) // it did nothing wrong
		return
	}
	t.byKind[e.Kind]++
	t.severity = worse(t.severity, e.Severity)
}

// summarise makes the one record of what a flush found counted.
func summarise(windows []*refusalWindow, t refusalTally, now time.Time) (Event, bool) {
	switch {
	case len(windows) == 0 && t.n == 0:
		return Event{}, false
	case len(windows) == 1 && t.n == 0:
		return windows[0].summary(now), true
	}
	e := Event{Time: now, Kind: KindRefusals, Refusal: true, Severity: t.severity, Count: t.n}
	about, aboutSet := t.about, t.n > 0
	var parts []string
	if t.busy > 0 {
		parts = append(parts, fmt.Sprintf("%s busy: every handshake slot was taken, and each was told to come back in %s to %s, which it does by itself",
			human.Count(t.busy), t.retry[0].Round(100*time.Millisecond), t.retry[1].Round(100*time.Millisecond)))
	}
	kinds := make([]string, 0, len(t.byKind))
	for k := range t.byKind {
		kinds = append(kinds, k)
	}
	slices.SortFunc(kinds, func(a, b string) int { return cmp.Or(cmp.Compare(t.byKind[b], t.byKind[a]), cmp.Compare(a, b)) })
	for _, k := range kinds {
		parts = append(parts, human.Count(t.byKind[k])+" "+refusalWhat(k))
	}
	reason := ""
	if t.n > 0 {
		reason = fmt.Sprintf("%s turned away in the last second before they authenticated: %s", human.Plural(t.n, "connection", "connections"), strings.Join(parts, "; "))
	}
	if len(windows) > 0 {
		slices.SortFunc(windows, func(a, b *refusalWindow) int {
			return cmp.Or(cmp.Compare(b.more, a.more), cmp.Compare(a.first.Remote, b.first.Remote))
		})
		var named []string
		rest, restN := 0, 0
		for i, w := range windows {
			e.Count += w.more
			e.Severity = worse(e.Severity, w.severity)
			if aboutSet {
				about = shared(about, w.first)
			} else {
				about, aboutSet = w.first, true
			}
			if i < refusalsNamed {
				named = append(named, fmt.Sprintf("%s from %s ×%s", refusalWhat(w.first.Kind), hostOf(w.first.Remote), human.Count(w.more)))
			} else {
				rest, restN = rest+1, restN+w.more
			}
		}
		if rest > 0 {
			named = append(named, fmt.Sprintf("and %s more from %s", human.Count(restN), human.Plural(rest, "other address", "other addresses")))
		}
		if reason != "" {
			reason += ". "
		}
		reason += "Repeats within a minute of one logged on its own: " + strings.Join(named, "; ")
	}
	e.Slave, e.SlaveID, e.Direction = about.Slave, about.SlaveID, about.Direction
	e.Reason = reason
	return e, true
}

// summary is the record of the repeats a window counted.
func (w *refusalWindow) summary(now time.Time) Event {
	f := w.first
	return Event{Time: now, Slave: f.Slave, SlaveID: f.SlaveID, Direction: f.Direction,
		Remote: hostOf(f.Remote), Kind: f.Kind, Severity: worse(f.Severity, w.severity), Refusal: true, Count: w.more,
		Reason: fmt.Sprintf("%s from %s ×%s in the last minute, besides the one logged at %s", refusalWhat(f.Kind), hostOf(f.Remote),
			human.Count(w.more), f.Time.Format(time.TimeOnly))}
}

// shared keeps the slave and direction a and b share.
func shared(a, b Event) Event {
	if a.Slave != b.Slave || a.SlaveID != b.SlaveID {
		a.Slave, a.SlaveID = "", ""
	}
	if a.Direction != b.Direction {
		a.Direction = ""
	}
	return a
}

// refusalWhat names a refusal's kind in a count. protocol_error is both
// bytes that are no Lanyard handshake and a handshake the peer broke off
// (a console that gave up waiting): "broken handshakes" says both.
func refusalWhat(kind string) string {
	if kind == "protocol_error" {
		return "broken handshakes"
	}
	return kind
}

// worse is the more serious of two severities.
func worse(a, b Severity) Severity {
	if severityRank(b) > severityRank(a) {
		return b
	}
	return a
}

func severityRank(s Severity) int {
	switch s {
	case SeverityError:
		return 3
	case SeverityWarning:
		return 2
	case SeverityInfo:
		return 1
	}
	return 0
}

// hostOf is the address of host:port, or s itself.
func hostOf(s string) string {
	if h, _, err := net.SplitHostPort(s); err == nil {
		return h
	}
	return s
}
