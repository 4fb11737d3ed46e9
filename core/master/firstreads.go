package master

import (
	"sync"
	"time"

	"github.com/lanyard/lanyard/core/link"
)

// A new link starts with two reads from its agent: its status, and what
// changed in its backup tasks. While the listener serves a storm (a
// handshake waiting for a slot, or one turned away for load lately:
// link.Listener.Busy) they are held back until it has passed. Each costs
// CPU on both ends, and the handshakes come first, so that every slave is
// back sooner after a power cut; the details follow once the storm is over.

// stormCheck is how often held reads look whether the storm has passed.
const stormCheck = 250 * time.Millisecond

// heldReads are the links whose first reads wait for a storm to pass.
type heldReads struct {
	mu      sync.Mutex
	links   []*link.Link
	waiting bool // a waiter runs (waitOutStorm)
}

// firstReads starts l's first reads, or holds them while busy says a
// storm lasts (the Busy of the listener l came through; nil for a link the
// console dialed). The caller holds a count of m.wg for them, which they
// end.
func (m *Master) firstReads(l *link.Link, busy func() bool) {
	if busy == nil || !busy() {
		m.readFirst(l)
		return
	}
	h := &m.held
	h.mu.Lock()
	h.links = append(h.links, l)
	start := !h.waiting
	h.waiting = true
	h.mu.Unlock()
	if start {
		m.wg.Add(1) // while l's count is held: Close cannot have begun waiting
		go m.waitOutStorm(busy)
	}
}

// readFirst asks l's agent for its status and its tasks' health; it ends
// the count of m.wg the caller held.
func (m *Master) readFirst(l *link.Link) {
	if m.health != nil {
		m.wg.Add(1)
		go func() {
			defer m.wg.Done()
			m.syncHealth(l)
		}()
	}
	go m.fetchStatus(l)
}

// waitOutStorm releases the held reads once the storm has passed, or
// drops them when the console stops.
func (m *Master) waitOutStorm(busy func() bool) {
	defer m.wg.Done()
	t := time.NewTicker(stormCheck)
	defer t.Stop()
	for {
		select {
		case <-m.ctx.Done():
			for range m.takeHeld() {
				m.wg.Done() // the link is closing too: nothing to read
			}
			return
		case <-t.C:
		}
		if busy() {
			continue
		}
		links := m.takeHeld()
		m.log.WithField("links", len(links)).Debug("the storm has passed: reading the new links' status and backup health")
		for _, l := range links {
			m.readFirst(l)
		}
		return
	}
}

// takeHeld empties the held reads; the next link held starts a waiter.
func (m *Master) takeHeld() []*link.Link {
	h := &m.held
	h.mu.Lock()
	defer h.mu.Unlock()
	links := h.links
	h.links, h.waiting = nil, false
	return links
}
