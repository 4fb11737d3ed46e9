package link

import (
	"sync"
	"time"
)

// watch is the one timer of every link whose side does not ping: the
// console's. A console holding thousands of links would otherwise keep a
// timer per link, each firing on a goroutine of its own once per dead
// window (about 220 a second at 10,000 links); one goroutine sweeping them
// all about once a second costs a few microseconds per thousand links.
//
// Silence is counted as the per-link timer counts it (tick): only the time
// the sweep ran on time is held against a peer. A sweep that comes late
// (a starved CPU, a paused VM) counts one period, not the time it was
// away, since the peer's frames may be waiting unread meanwhile. A peer
// is declared dead once it has been silent for DeadAfter of such time,
// and for DeadAfter by the clock as well.
//
// The sweeping goroutine runs while the watch holds a link, and returns
// when the last one leaves.
type watch struct {
	mu      sync.Mutex
	links   []*Link
	period  time.Duration // the shortest period the links held need
	running bool
	wake    chan struct{} // a shorter period, or the last link gone
}

// consoleWatch watches every console-side link of the process.
var consoleWatch = &watch{}

// watchPeriod is how often a link with this dead window is looked at: a
// sixteenth of it, at most a second. A peer is declared dead at most one
// period after its window ends.
func watchPeriod(deadAfter time.Duration) time.Duration {
	return min(max(deadAfter/16, time.Millisecond), time.Second)
}

// watchState is a link's part of the watch, guarded by the watch's mu.
type watchState struct {
	index  int           // in links; -1 when not watched
	seen   int64         // lastRecv at the last sweep
	silent time.Duration // on-time silence since seen changed
}

// add watches l until remove.
func (w *watch) add(l *Link) {
	w.mu.Lock()
	defer w.mu.Unlock()
	l.watched = watchState{index: len(w.links), seen: l.lastRecv.Load()}
	w.links = append(w.links, l)
	p := watchPeriod(l.deadAfter)
	switch {
	case !w.running:
		w.running, w.period = true, p
		if w.wake == nil {
			w.wake = make(chan struct{}, 1)
		}
		go w.run()
	case p < w.period:
		w.period = p
		w.signal()
	}
}

// remove stops watching l; it does nothing when l is not watched.
func (w *watch) remove(l *Link) {
	w.mu.Lock()
	defer w.mu.Unlock()
	i := l.watched.index
	if i < 0 || i >= len(w.links) || w.links[i] != l {
		return
	}
	last := len(w.links) - 1
	w.links[i] = w.links[last]
	w.links[i].watched.index = i
	w.links[last] = nil
	w.links = w.links[:last]
	l.watched.index = -1
	if last == 0 {
		w.signal() // let the sweeper go now, not a period later
	}
}

func (w *watch) signal() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// run sweeps until the watch is empty.
func (w *watch) run() {
	w.mu.Lock()
	period := w.period
	w.mu.Unlock()
	t := time.NewTimer(period)
	defer t.Stop()
	last := time.Now()
	for {
		select {
		case <-t.C:
		case <-w.wake:
		}
		now := time.Now()
		w.mu.Lock()
		if len(w.links) == 0 {
			w.running, w.period = false, 0
			w.mu.Unlock()
			return
		}
		dead := w.sweep(now, min(now.Sub(last), period))
		period = w.period
		w.mu.Unlock()
		last = now
		for _, l := range dead {
			closeSilent(l, now)
		}
		t.Reset(period)
	}
}

// sweep counts onTime of silence against every link that sent nothing
// since the last sweep, and returns those silent for their dead window.
// The caller holds mu.
func (w *watch) sweep(now time.Time, onTime time.Duration) (dead []*Link) {
	for _, l := range w.links {
		recv := l.lastRecv.Load()
		s := &l.watched
		if recv != s.seen {
			// A frame came since: only the time after it is silence.
			s.seen, s.silent = recv, max(min(now.Sub(time.Unix(0, recv)), onTime), 0)
		} else {
			s.silent += onTime
		}
		if s.silent > l.deadAfter && now.Sub(time.Unix(0, recv)) > l.deadAfter {
			dead = append(dead, l)
		}
	}
	return dead
}

// closeSilent closes a link whose peer went silent, on a goroutine of its
// own (its owner's HandleClose may take a while), counted in the owner's
// group like the per-link timer.
func closeSilent(l *Link, now time.Time) {
	if !l.enter() {
		return
	}
	go func() {
		defer l.group.Done()
		l.CloseWith(silentError(l.peer.Remote, now.Sub(l.LastReceived())))
	}()
}
