package agent

import (
	"context"
	"strconv"
	"sync"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/lanyard/lanyard/core/link"
	"github.com/lanyard/lanyard/core/wire"
)

// Events the agent pushes to every linked console (a changed status, a
// task's progress, a finished run). Pushing never waits on a console: each
// link has a small queue drained by a goroutine that runs only while the
// queue has something, so an idle link costs no goroutine. Events with a
// key replace an unsent one with the same key (the newest progress of a
// run is all a console needs); a queue that overflows is emptied and the
// console is told to re-read what it shows (wire.EventResync).

// maxQueued bounds one console's queue.
const maxQueued = 256

type pusher struct {
	mu     sync.Mutex
	queues map[*link.Link]*pushQueue
}

type pushEvent struct {
	typ  string
	body proto.Message
}

type pushQueue struct {
	order   []string // keys in the order first queued
	pending map[string]pushEvent
	seq     uint64 // makes keys for events that replace nothing
	running bool
}

// pushAll queues an event for every linked console. key, when not "",
// lets a later event with the same key replace this one if unsent.
func (a *Agent) pushAll(typ string, body proto.Message, key string) {
	a.mu.Lock()
	links := a.linksLocked()
	a.mu.Unlock()
	for _, l := range links {
		a.pushTo(l, typ, body, key)
	}
}

func (a *Agent) pushTo(l *link.Link, typ string, body proto.Message, key string) {
	// A drainer may be needed: count it now, under a.mu, so that it never
	// races Close's Wait; given back below when one runs already.
	a.mu.Lock()
	if a.closed || a.ctx == nil {
		a.mu.Unlock()
		return
	}
	a.wg.Add(1)
	a.mu.Unlock()
	p := &a.push
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.queues == nil {
		p.queues = map[*link.Link]*pushQueue{}
	}
	q := p.queues[l]
	if q == nil {
		q = &pushQueue{pending: map[string]pushEvent{}}
		p.queues[l] = q
	}
	if key == "" {
		q.seq++
		key = "\x00" + strconv.FormatUint(q.seq, 10)
	}
	if _, ok := q.pending[key]; !ok {
		if len(q.order) >= maxQueued {
			// The console does not keep up: drop what waits and tell it
			// to read afresh.
			q.order, q.pending = nil, map[string]pushEvent{}
			key, typ, body = "\x00resync", wire.EventResync, nil
		}
		q.order = append(q.order, key)
	}
	q.pending[key] = pushEvent{typ: typ, body: body}
	if q.running {
		a.wg.Done()
		return
	}
	q.running = true
	go a.drain(l, q)
}

// drain sends l's queued events in order until the queue is empty.
func (a *Agent) drain(l *link.Link, q *pushQueue) {
	defer a.wg.Done()
	p := &a.push
	for {
		p.mu.Lock()
		if len(q.order) == 0 {
			q.running = false
			p.mu.Unlock()
			return
		}
		key := q.order[0]
		q.order = q.order[1:]
		ev := q.pending[key]
		delete(q.pending, key)
		p.mu.Unlock()
		if err := l.Notify(ev.typ, ev.body); err != nil {
			p.mu.Lock()
			q.order, q.pending, q.running = nil, map[string]pushEvent{}, false
			p.mu.Unlock()
			return
		}
	}
}

// forget drops a closed link's queue.
func (p *pusher) forget(l *link.Link) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.queues, l)
}

// statusChanged pushes the agent's fresh status to every console, off
// the caller's goroutine (the probes take a moment).
func (a *Agent) statusChanged() {
	a.mu.Lock()
	ctx := a.ctx
	if ctx == nil || a.closed {
		a.mu.Unlock()
		return
	}
	a.wg.Add(1)
	a.mu.Unlock()
	go func() {
		defer a.wg.Done()
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		a.pushAll(wire.EventStatus, a.status(sctx), "status")
	}()
}
