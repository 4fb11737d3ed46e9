package link

import (
	"cmp"
	"context"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/lanyard/lanyard/core/human"
	"github.com/lanyard/lanyard/core/wire"
	"github.com/lanyard/lanyard/core/wire/pb"
)

// Peer describes the other end of an authenticated link.
type Peer struct {
	Name        string // the slave's name
	Role        pb.Role
	InstallID   string // hex
	BootID      string // hex
	Software    string
	Remote      string // ip:port as seen by this side
	Dialed      bool   // this side dialed the connection
	SSL         bool
	Fingerprint string // hex SHA-256 of the peer's certificate; "" without SSL
	Resumed     bool   // the TLS session was resumed: no certificate signatures this time
	Version     uint32
	NextKey     bool // authenticated under the next key, not the current one (nextkey.go)
}

// Handler receives what the peer sends on its own initiative, and the
// link's end. The agent implements HandleRequest; the console implements
// HandleEvent. HandleRequest runs on its own goroutine per request (an
// AtOnce handler answers some on the reader), HandleEvent in order on the
// reader, HandleClose once on whichever goroutine closed the link. A
// callback instead of a watcher goroutine per link keeps an idle link's
// memory small.
type Handler interface {
	HandleRequest(ctx context.Context, l *Link, method string, body []byte) (proto.Message, error)
	HandleEvent(l *Link, typ string, body []byte)
	HandleClose(l *Link, err *Error)
}

// AtOnce is an optional part of a Handler. AnswerAtOnce is asked first, on
// the link's reader, and answers the requests it can without waiting for
// anything (a reading already at hand); the ones it leaves (answered
// false) go to HandleRequest on a goroutine of their own. A request
// answered at once costs no goroutine and no scheduler wake-up, about a
// fifth of a quick request's round trip between two processes; but while
// it is answered the link reads nothing else, so anything that can wait
// (a disk, a slow mount, a lock held long) must be left to HandleRequest.
type AtOnce interface {
	AnswerAtOnce(l *Link, method string, body []byte) (resp proto.Message, answered bool, err error)
}

// RequestError is an error answer to a request, as the peer sent it.
// Detail, for the codes that have one, is an encoded message saying more
// (the response's body, which a success answer fills instead).
type RequestError struct {
	Code    string
	Message string
	Detail  []byte
}

func (e *RequestError) Error() string { return e.Code + ": " + e.Message }

// Link is one authenticated connection. It is safe for concurrent use.
type Link struct {
	conn      net.Conn
	peer      Peer
	heartbeat time.Duration
	deadAfter time.Duration
	since     time.Time

	writeMu sync.Mutex

	mu      sync.Mutex
	pending map[uint64]chan wire.Frame
	cancels map[uint64]context.CancelFunc
	streams map[uint64]*streamIn  // streams this side asked for (stream.go)
	outs    map[uint64]*streamOut // streams this side is sending (stream.go)
	handler Handler

	// inFlight holds a token per request being served; when it is full a
	// request is answered "busy" at once.
	inFlight chan struct{}
	// group is the owner's: it counts the reader, every request handler and
	// every heartbeat in progress, so the owner's Close can wait for them.
	group *sync.WaitGroup

	nextID   atomic.Uint64
	lastRecv atomic.Int64  // unix nanos of the last frame read
	rtt      atomic.Int64  // nanos, as the pings measure it
	shakeRTT time.Duration // as the handshake did, until then

	timer *time.Timer // the side that pings: pings and the dead line (tick)
	// watched is the console side's place in consoleWatch, its one timer
	// shared with every other link (watch.go).
	watched watchState
	// due is when timer is set to fire; excused is how late it fired
	// since the frame received at excusedFor (tick). Guarded by mu.
	due        time.Time
	excused    time.Duration
	excusedFor int64
	// ctx is cancelled when the link closes, so request handlers stop with it.
	ctx       context.Context
	cancelCtx context.CancelFunc
	closeOnce sync.Once
	done      chan struct{}
	err       error // why the link closed; set before done closes
}

func newLink(conn net.Conn, peer Peer, heartbeat, deadAfter time.Duration, maxInFlight int) *Link {
	l := &Link{
		conn:      conn,
		peer:      peer,
		heartbeat: heartbeat,
		deadAfter: deadAfter,
		since:     time.Now(),
		pending:   make(map[uint64]chan wire.Frame),
		inFlight:  make(chan struct{}, max(maxInFlight, 1)),
		done:      make(chan struct{}),
		watched:   watchState{index: -1},
	}
	l.ctx, l.cancelCtx = context.WithCancel(context.Background())
	l.lastRecv.Store(time.Now().UnixNano())
	return l
}

// Peer describes the other end.
func (l *Link) Peer() Peer { return l.peer }

// Since is when the link was authenticated.
func (l *Link) Since() time.Time { return l.since }

// RTT is the last measured round trip: the pings' (the agent's side
// measures it, the console's side learns it from the next ping), and
// until the first, the handshake's (from this side's hello to the peer's
// answer, which the peer sends at once).
func (l *Link) RTT() time.Duration { return cmp.Or(time.Duration(l.rtt.Load()), l.shakeRTT) }

// LastReceived is when the last frame arrived.
func (l *Link) LastReceived() time.Time { return time.Unix(0, l.lastRecv.Load()) }

// Heartbeat is the ping interval agreed in the handshake.
func (l *Link) Heartbeat() time.Duration { return l.heartbeat }

// Done is closed when the link closes.
func (l *Link) Done() <-chan struct{} { return l.done }

// Err says why the link closed; nil while it is open.
func (l *Link) Err() error {
	select {
	case <-l.done:
		return l.err
	default:
		return nil
	}
}

// Start hands the link to a fresh reader goroutine and starts its one
// timer. A fresh goroutine matters: the handshake grew its goroutine's
// stack, and a stack never shrinks while its goroutine lives.
//
// Only the agent's side pings (DESIGN §2): every heartbeat it sends a ping
// and checks that the console answered. The console's side only answers,
// and has no timer of its own: one sweep looks at all the console's links
// about once a second (watch.go). A console holding thousands of links
// sends no pings and wakes for none.
//
// The reader, every request handler and every heartbeat are counted in
// group, the owner's WaitGroup, until they return: an owner that closes its
// links and then waits on group knows that none of them still runs (nor
// calls back into it). nil counts them nowhere. Like any WaitGroup Add, Start
// must not race with the owner's Wait when nothing else is counted.
func (l *Link) Start(h Handler, group *sync.WaitGroup) {
	if group == nil {
		group = new(sync.WaitGroup)
	}
	group.Add(1) // before the timer can fire: enter relies on it
	l.mu.Lock()
	l.handler, l.group = h, group
	select {
	case <-l.done: // closed before it started: nothing to watch
	default:
		if l.pings() {
			now := time.Now()
			next := pingDelay(now, l.heartbeat, l.heartbeat)
			l.due = now.Add(next)
			l.timer = time.AfterFunc(next, l.tick)
		} else {
			consoleWatch.add(l)
		}
	}
	l.mu.Unlock()
	go func() {
		defer group.Done()
		l.readLoop()
	}()
}

// pings reports whether this side sends the pings: the agent's does (its
// peer is a console), the console's only answers.
func (l *Link) pings() bool { return l.peer.Role == pb.Role_ROLE_MASTER }

// enter counts a heartbeat in the owner's group, unless the link has
// closed. While the link is open its reader is counted (it returns only
// after CloseWith has closed done), so the count is never zero here.
func (l *Link) enter() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	select {
	case <-l.done:
		return false
	default:
		l.group.Add(1)
		return true
	}
}

// tick runs on the timer of the side that pings: it declares a silent
// peer dead, and pings.
//
// Silence is counted on this side's timer, not on the wall clock: the time
// the timer fired late is time this process did not run (a starved CPU, a
// long key derivation beside it, a paused VM, a suspended laptop), when
// the peer's frames may be waiting unread in the socket; it is not held
// against the peer. A peer is declared dead once the timer has run on
// time for DeadAfter without a frame from it.
func (l *Link) tick() {
	if !l.enter() {
		return
	}
	defer l.group.Done()
	now := time.Now()
	last := l.lastRecv.Load()
	l.mu.Lock()
	if l.excusedFor != last {
		l.excused, l.excusedFor = 0, last
	}
	if late := now.Sub(l.due); late > 0 {
		l.excused += late
	}
	excused := l.excused
	l.mu.Unlock()
	silent := now.Sub(time.Unix(0, last))
	if silent-excused > l.deadAfter {
		l.CloseWith(silentError(l.peer.Remote, silent))
		return
	}
	// Check again at the next ping, or at the dead line if that is sooner.
	next := min(l.deadAfter-(silent-excused)+time.Millisecond, l.heartbeat)
	ping, _ := proto.Marshal(&pb.Ping{SentUnixNano: time.Now().UnixNano(), LastRttNanos: l.rtt.Load()})
	if err := l.write(wire.Frame{Kind: wire.KindPing, Payload: ping}); err != nil {
		l.CloseWith(&Error{Code: wire.CodeTimeout, Reason: "cannot send to " + l.peer.Remote, Err: err})
		return
	}
	l.mu.Lock()
	now = time.Now()
	next = pingDelay(now, next, l.heartbeat)
	l.due = now.Add(next)
	l.timer.Reset(next)
	l.mu.Unlock()
}

// pingDelay is d from now, made longer by less than a slot (a sixteenth
// of the heartbeat, at most pingSlot) so that it ends on a whole slot of
// the wall clock. The pings of every agent of a console then fall into a
// few dozen slots a second instead of at random: the console wakes once
// for a slot's pings, not once for each, and an idle link costs it less.
// Clocks a few milliseconds apart only widen the slots.
func pingDelay(now time.Time, d, heartbeat time.Duration) time.Duration {
	slot := min(heartbeat/16, pingSlot)
	if slot <= 0 {
		return d
	}
	end := now.Add(d)
	if on := end.Truncate(slot); on.Before(end) { // Truncate: by the wall clock
		end = on.Add(slot)
	}
	return max(end.Sub(now), d)
}

// pingSlot is the widest slot pings are gathered into.
const pingSlot = 20 * time.Millisecond

func (l *Link) readLoop() {
	for {
		f, err := wire.ReadFrame(l.conn, wire.MaxFrame)
		if err != nil {
			l.CloseWith(readError(err, l.peer.Remote))
			return
		}
		l.lastRecv.Store(time.Now().UnixNano())
		switch f.Kind {
		case wire.KindPing:
			// Echo the sender's clock back, and keep the round trip it
			// measured: this side sends no pings of its own.
			_ = l.write(wire.Frame{Kind: wire.KindPong, ID: f.ID, Payload: f.Payload})
			if rtt := pingRTT(f.Payload); !l.pings() && rtt > 0 {
				l.rtt.Store(rtt)
			}
		case wire.KindPong:
			var p pb.Ping
			if proto.Unmarshal(f.Payload, &p) == nil && p.SentUnixNano > 0 {
				if rtt := time.Now().UnixNano() - p.SentUnixNano; rtt >= 0 {
					l.rtt.Store(rtt)
				}
			}
		case wire.KindChunk:
			l.deliverChunk(f)
		case wire.KindCredit:
			l.credit(f.ID)
		case wire.KindResponse:
			l.mu.Lock()
			ch := l.pending[f.ID]
			delete(l.pending, f.ID)
			l.mu.Unlock()
			if ch != nil {
				ch <- f
			}
		case wire.KindRequest:
			l.serveRequest(f)
		case wire.KindCancel:
			l.mu.Lock()
			cancel := l.cancels[f.ID]
			l.mu.Unlock()
			if cancel != nil {
				cancel()
			}
		case wire.KindEvent:
			var ev pb.Event
			if err := proto.Unmarshal(f.Payload, &ev); err != nil {
				l.CloseWith(&Error{Code: wire.CodeProtocolError, Reason: "malformed event from " + l.peer.Remote, Err: err})
				return
			}
			if h := l.getHandler(); h != nil {
				h.HandleEvent(l, ev.Type, ev.Body)
			}
		case wire.KindClose:
			l.CloseWith(remoteClose(f.Payload, l.peer.Remote, MaxRetryAfterLinked))
			return
		case wire.KindHello, wire.KindProof, wire.KindWelcome:
			l.CloseWith(&Error{Code: wire.CodeProtocolError, Reason: fmt.Sprintf("%s sent a %s after the handshake", l.peer.Remote, f.Kind)})
			return
		default:
			// A newer peer's frame kind: ignore it, as the protocol promises.
		}
	}
}

// pingRTT is the round trip a ping says its sender measured (pb.Ping's
// last_rtt_nanos), 0 when it says none or is malformed. A console answers
// a ping from every link every heartbeat: reading the one field it needs
// costs a fraction of decoding the message.
func pingRTT(payload []byte) int64 {
	var rtt int64
	for len(payload) > 0 {
		num, typ, n := protowire.ConsumeTag(payload)
		if n < 0 || num > protowire.MaxValidNumber {
			return 0 // a number proto.Unmarshal refuses too
		}
		payload = payload[n:]
		if num == pingLastRTTField && typ == protowire.VarintType {
			v, n := protowire.ConsumeVarint(payload)
			if n < 0 {
				return 0
			}
			rtt, payload = int64(v), payload[n:] // the last occurrence wins, as in proto.Unmarshal
			continue
		}
		n = protowire.ConsumeFieldValue(num, typ, payload)
		if n < 0 {
			return 0
		}
		payload = payload[n:]
	}
	return rtt
}

// pingLastRTTField is pb.Ping's last_rtt_nanos.
var pingLastRTTField = (&pb.Ping{}).ProtoReflect().Descriptor().Fields().ByName("last_rtt_nanos").Number()

func (l *Link) getHandler() Handler {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.handler
}

func (l *Link) serveRequest(f wire.Frame) {
	var req pb.Request
	if err := proto.Unmarshal(f.Payload, &req); err != nil {
		l.respond(f.ID, nil, &RequestError{Code: wire.ErrBadRequest, Message: "malformed request"})
		return
	}
	h := l.getHandler()
	if h == nil {
		l.respond(f.ID, nil, &RequestError{Code: wire.ErrUnknownMethod, Message: "this peer answers no requests"})
		return
	}
	if q, ok := h.(AtOnce); ok {
		if resp, answered, err := q.AnswerAtOnce(l, req.Method, req.Body); answered {
			l.respond(f.ID, resp, err)
			return
		}
	}
	select {
	case l.inFlight <- struct{}{}:
	default:
		l.respond(f.ID, nil, &RequestError{Code: wire.ErrBusy,
			Message: fmt.Sprintf("%d requests are being served on this link already; try again when one has finished", cap(l.inFlight))})
		return
	}
	st := &requestState{id: f.ID}
	ctx, cancel := context.WithCancel(context.WithValue(l.ctx, requestKey{}, st))
	l.mu.Lock()
	if l.cancels == nil {
		l.cancels = make(map[uint64]context.CancelFunc)
	}
	l.cancels[f.ID] = cancel
	l.mu.Unlock()
	l.group.Add(1) // on the reader, which is counted
	go func() {
		defer l.group.Done()
		defer func() {
			l.mu.Lock()
			delete(l.cancels, f.ID)
			delete(l.outs, f.ID)
			l.mu.Unlock()
			cancel()
			<-l.inFlight
		}()
		resp, err := h.HandleRequest(ctx, l, req.Method, req.Body)
		l.respond(f.ID, resp, err)
		st.answered()
	}()
}

func (l *Link) respond(id uint64, msg proto.Message, err error) {
	var r pb.Response
	if err != nil {
		var re *RequestError
		if errors.As(err, &re) {
			r.ErrorCode, r.Error, r.Body = re.Code, re.Message, re.Detail
		} else {
			r.ErrorCode, r.Error = wire.ErrInternal, err.Error()
		}
	} else if msg != nil {
		body, merr := proto.Marshal(msg)
		if merr != nil {
			r.ErrorCode, r.Error = wire.ErrInternal, merr.Error()
		}
		r.Body = body
	}
	payload, _ := proto.Marshal(&r)
	_ = l.write(wire.Frame{Kind: wire.KindResponse, ID: id, Payload: payload})
}

// requestPayload is a request frame's payload: method, and req (which
// may be nil) as its body.
func requestPayload(method string, req proto.Message) ([]byte, error) {
	var body []byte
	if req != nil {
		var err error
		if body, err = proto.Marshal(req); err != nil {
			return nil, err
		}
	}
	return proto.Marshal(&pb.Request{Method: method, Body: body})
}

// Request sends a request and decodes the answer into resp.
func (l *Link) Request(ctx context.Context, method string, req, resp proto.Message) error {
	// A request given up already is not sent: sent, its answer could
	// come before the select below sees the cancel, and either be taken.
	if err := ctx.Err(); err != nil {
		return err
	}
	payload, err := requestPayload(method, req)
	if err != nil {
		return err
	}
	id := l.nextID.Add(1)
	ch := make(chan wire.Frame, 1)
	l.mu.Lock()
	l.pending[id] = ch
	l.mu.Unlock()
	defer func() {
		l.mu.Lock()
		delete(l.pending, id)
		l.mu.Unlock()
	}()
	if err := l.write(wire.Frame{Kind: wire.KindRequest, ID: id, Payload: payload}); err != nil {
		return err
	}
	select {
	case f := <-ch:
		return decodeResponse(l, f, resp)
	case <-ctx.Done():
		_ = l.write(wire.Frame{Kind: wire.KindCancel, ID: id})
		return ctx.Err()
	case <-l.done:
		// The reader hands over the answer before it reads a close that
		// follows it (a change that ends the link is answered first); both
		// may be ready by now, and select picks either.
		select {
		case f := <-ch:
			return decodeResponse(l, f, resp)
		default:
			return l.err
		}
	}
}

// decodeResponse turns a response frame into resp or the peer's error.
func decodeResponse(l *Link, f wire.Frame, resp proto.Message) error {
	var r pb.Response
	if err := proto.Unmarshal(f.Payload, &r); err != nil {
		return fmt.Errorf("malformed response from %s: %w", l.peer.Remote, err)
	}
	if r.ErrorCode != "" {
		return &RequestError{Code: r.ErrorCode, Message: r.Error, Detail: r.Body}
	}
	if resp != nil {
		return proto.Unmarshal(r.Body, resp)
	}
	return nil
}

// Notify pushes an event to the peer.
func (l *Link) Notify(typ string, msg proto.Message) error {
	var body []byte
	if msg != nil {
		var err error
		if body, err = proto.Marshal(msg); err != nil {
			return err
		}
	}
	payload, err := proto.Marshal(&pb.Event{Type: typ, Body: body})
	if err != nil {
		return err
	}
	return l.write(wire.Frame{Kind: wire.KindEvent, Payload: payload})
}

func (l *Link) write(f wire.Frame) error {
	select {
	case <-l.done:
		return l.err
	default:
	}
	buf := getBuffer()
	defer putBuffer(buf)
	*buf = wire.AppendFrame((*buf)[:0], f)
	l.writeMu.Lock()
	defer l.writeMu.Unlock()
	// A peer that stopped reading must not hold a writer forever.
	_ = l.conn.SetWriteDeadline(time.Now().Add(l.deadAfter))
	_, err := l.conn.Write(*buf)
	return err
}

// Close closes the link normally, telling the peer why.
func (l *Link) Close(code wire.Code, reason string) error {
	l.CloseWith(&Error{Code: code, Reason: reason})
	return nil
}

// CloseWith closes the link with err as its reason. When err was decided
// on this side, the peer is sent a close frame first. Only the first call
// has an effect.
func (l *Link) CloseWith(err *Error) {
	l.closeOnce.Do(func() {
		if !err.Remote && err.Code != wire.CodeTimeout {
			payload, _ := proto.Marshal(&pb.Close{Code: string(err.Code), Reason: err.Reason,
				RetryAfterMs: uint32(min(err.RetryAfter, MaxRetryAfterLinked) / time.Millisecond)})
			buf := wire.AppendFrame(nil, wire.Frame{Kind: wire.KindClose, Payload: payload})
			// Shorten the deadline before taking the lock, so a writer stuck
			// on a peer that stopped reading gives way within a second.
			_ = l.conn.SetWriteDeadline(time.Now().Add(time.Second))
			l.writeMu.Lock()
			// And a second of its own for the close frame, however long the
			// lock took on a busy machine: a deadline already past would
			// drop the frame, and the peer would hear "closed" without why.
			_ = l.conn.SetWriteDeadline(time.Now().Add(time.Second))
			_, _ = l.conn.Write(buf)
			l.writeMu.Unlock()
		}
		l.err = err
		closeConn(l.conn)
		l.cancelCtx()
		l.mu.Lock()
		if l.timer != nil {
			l.timer.Stop()
		}
		close(l.done) // under mu: see enter and Start
		l.mu.Unlock()
		consoleWatch.remove(l)
		if h := l.getHandler(); h != nil {
			h.HandleClose(l, err)
		}
	})
}

// closeConn closes a link's connection. A TLS connection is closed beneath
// its TLS layer, without TLS's own close_notify: the close frame (or the
// peer's) already said goodbye, and crypto/tls would wait up to five
// seconds to send close_notify to a peer that stopped reading, where a
// console stopping with thousands of links has two seconds in all.
func closeConn(c net.Conn) {
	if tc, ok := c.(*tls.Conn); ok {
		_ = tc.NetConn().Close()
		return
	}
	_ = c.Close()
}

// silentError is why a link whose peer went silent for silent was closed.
func silentError(remote string, silent time.Duration) *Error {
	return &Error{Code: wire.CodeTimeout,
		Reason: fmt.Sprintf("no word from %s for %s (it stopped answering; the network or the peer is down)", remote, human.Typed(silent))}
}

func (l *Link) String() string {
	return fmt.Sprintf("%s (%s)", l.peer.Name, l.peer.Remote)
}

// readError turns a read failure into the reason a person reads.
func readError(err error, remote string) *Error {
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return &Error{Code: wire.CodeNormal, Remote: true, Reason: remote + " closed the connection", Err: err}
	case errors.Is(err, net.ErrClosed):
		return &Error{Code: wire.CodeNormal, Reason: "closed", Err: err}
	case errors.Is(err, wire.ErrFrameTooLarge), errors.Is(err, wire.ErrMalformedFrame):
		return &Error{Code: wire.CodeProtocolError, Reason: remote + " sent a malformed frame", Err: err}
	}
	return &Error{Code: wire.CodeNormal, Remote: true, Reason: "connection to " + remote + " lost: " + err.Error(), Err: err}
}

// remoteClose decodes a close frame the peer sent: its reason is its
// words, quoted, and the retry it asks for is capped at maxRetry.
func remoteClose(payload []byte, remote string, maxRetry time.Duration) *Error {
	var c pb.Close
	if err := proto.Unmarshal(payload, &c); err != nil {
		return &Error{Code: wire.CodeProtocolError, Remote: true, Reason: "malformed close frame from " + remote, Err: err}
	}
	e := &Error{Code: wire.Code(c.Code), Remote: true,
		RetryAfter: min(time.Duration(c.RetryAfterMs)*time.Millisecond, maxRetry)}
	if e.Code == "" {
		e.Code = wire.CodeNormal
	}
	e.Reason = unknownClose(e, remote, "closed the link", c.Code, c.Reason)
	return e
}

var bufferPool = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

func getBuffer() *[]byte { return bufferPool.Get().(*[]byte) }

func putBuffer(b *[]byte) {
	// Large buffers would pin memory after one big message; let them go.
	if cap(*b) <= 64<<10 {
		bufferPool.Put(b)
	}
}

func hexID(b []byte) string { return hex.EncodeToString(b) }
