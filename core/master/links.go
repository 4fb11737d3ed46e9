package master

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/lanyard/lanyard/core/human"
	"github.com/lanyard/lanyard/core/link"
	"github.com/lanyard/lanyard/core/store"
	"github.com/lanyard/lanyard/core/wire"
	"github.com/lanyard/lanyard/core/wire/pb"
)

// What the redialers and links report, turned into transitions of the
// slave's state and records in the connection log.

// connecting: a redialer starts an attempt.
func (m *Master) connecting(id string) {
	m.mu.Lock()
	s := m.slaves[id]
	if s == nil || s.state == StateConnecting || s.retrying {
		m.mu.Unlock()
		return
	}
	news := s.connecting(time.Now())
	args := recordArgs{slave: s, kind: store.KindConnecting, severity: store.SeverityInfo, remote: s.entry.Address,
		reason: "connecting to " + s.entry.Address}
	m.mu.Unlock()
	m.recordOrPublish(news, id, args)
}

// dialFailed: a redialer's attempt failed; the next is in retryIn.
func (m *Master) dialFailed(id string, err error, retryIn time.Duration) {
	code := link.DialCode(err)
	reason := err.Error()
	var le *link.Error
	if errors.As(err, &le) && le.Reason != "" {
		reason = le.Reason
	}
	m.mu.Lock()
	s := m.slaves[id]
	if s == nil {
		m.mu.Unlock()
		return
	}
	news := s.failed(code, reason, time.Now())
	args := recordArgs{slave: s, kind: string(code), severity: severityFor(code), remote: s.entry.Address,
		reason: fmt.Sprintf("%s (next try in %s)", reason, human.Typed(retryIn))}
	m.mu.Unlock()
	m.recordOrPublish(news, id, args)
}

// recordOrPublish records a when it is news, and otherwise only tells
// subscribers that slave id's state changed.
func (m *Master) recordOrPublish(news bool, id string, a recordArgs) {
	if news {
		m.record(a)
		return
	}
	m.publishState(id)
}

// fetchStatus asks a newly linked agent about its host.
func (m *Master) fetchStatus(l *link.Link) {
	defer m.wg.Done()
	ctx, cancel := context.WithTimeout(m.ctx, 10*time.Second)
	defer cancel()
	_, _ = m.askStatus(ctx, l)
}

// askStatus asks l's agent for its status and keeps the answer.
func (m *Master) askStatus(ctx context.Context, l *link.Link) (*pb.StatusResponse, error) {
	var st pb.StatusResponse
	sent := time.Now()
	if err := l.Request(ctx, wire.MethodStatus, &pb.StatusRequest{}, &st); err != nil {
		return nil, err
	}
	m.keepStatus(l, proto.Clone(&st).(*pb.StatusResponse), clockSkew(&st, sent, time.Now()))
	return &st, nil
}

// keepStatus keeps st, which came over l, as its slave's status, with the
// agent's clock skew, and tells subscribers: the one place a status is
// kept, whether the console asked (at link time, or Status) or the agent
// pushed it. A status that came over a link no longer current, or that is
// older than the one kept, is dropped.
func (m *Master) keepStatus(l *link.Link, st *pb.StatusResponse, skew time.Duration) {
	m.mu.Lock()
	s := m.byName[strings.ToLower(l.Peer().Name)]
	if s == nil || s.link != l || (s.status != nil && st.TimeUnixNano < s.status.TimeUnixNano) {
		m.mu.Unlock()
		return
	}
	s.status, s.skew = st, skew
	id := s.entry.ID
	m.mu.Unlock()
	m.publishState(id)
}

// HandleRequest refuses requests: agents answer, they do not ask.
func (m *Master) HandleRequest(context.Context, *link.Link, string, []byte) (proto.Message, error) {
	return nil, &link.RequestError{Code: wire.ErrUnknownMethod, Message: "the console answers no requests"}
}

// HandleEvent receives an agent's pushed events.
func (m *Master) HandleEvent(l *link.Link, typ string, body []byte) {
	if typ != wire.EventStatus {
		m.remoteEvent(l, typ, body)
		return
	}
	var st pb.StatusResponse
	if proto.Unmarshal(body, &st) != nil {
		return
	}
	// A pushed status travelled one way: half a round trip.
	got := time.Now()
	m.keepStatus(l, &st, clockSkew(&st, got.Add(-l.RTT()), got))
}

// HandleClose marks a slave offline when its current link ends. The
// links that Close closes end in one round of their own (linksEnded):
// thousands of closes each taking the fleet's lock, the pin writer's, the
// health tracker's and the connection log's queue would spend the stop
// waiting on one another.
func (m *Master) HandleClose(l *link.Link, err *link.Error) {
	if m.stopping.Load() {
		return
	}
	m.mu.Lock()
	end, ok := m.ended(l, err, time.Now())
	m.mu.Unlock()
	if ok {
		m.afterEnds([]linkEnd{end})
	}
}

// linksEnded does what HandleClose does for each of links, all of them
// closed, in one round: one hold of the fleet's lock for every slave's
// state, one queueing of every last-seen time.
func (m *Master) linksEnded(links []*link.Link) {
	now := time.Now()
	ends := make([]linkEnd, 0, len(links))
	m.mu.Lock()
	for _, l := range links {
		var why *link.Error
		if !errors.As(l.Err(), &why) {
			continue // still open: not one of Close's
		}
		if end, ok := m.ended(l, why, now); ok {
			ends = append(ends, end)
		}
	}
	m.mu.Unlock()
	m.afterEnds(ends)
}

// linkEnd is what is left to do after a link ended, once m.mu is
// released.
type linkEnd struct {
	id, name string
	seen     time.Time
	record   recordArgs
}

// ended marks l's slave offline when l is its current link. m.mu is held.
func (m *Master) ended(l *link.Link, err *link.Error, now time.Time) (linkEnd, bool) {
	s := m.byName[strings.ToLower(l.Peer().Name)]
	if s == nil || s.link != l {
		return linkEnd{}, false
	}
	code := err.Code
	s.closed(code, err.Reason, now)
	return linkEnd{id: s.entry.ID, name: s.entry.Name, seen: now,
		record: recordArgs{slave: s, kind: store.KindDisconnected, severity: severityFor(code), remote: l.Peer().Remote,
			reason: fmt.Sprintf("link closed (%s): %s", code, err.Reason),
			// Closed by this console's stop: Close logs them all in one line.
			unlogged: m.closed && code == wire.CodeShuttingDown && !err.Remote}}, true
}

// afterEnds saves when the slaves were last seen, tells the health
// tracker they are offline and records each link's end.
func (m *Master) afterEnds(ends []linkEnd) {
	pins := make([]store.Pin, len(ends))
	for i, e := range ends {
		pins[i] = store.Pin{ID: e.id, LastSeen: e.seen}
	}
	m.pins.queue(pins...)
	for _, e := range ends {
		m.unlinkedHealth(e.id, e.name)
		m.record(e.record)
	}
}
