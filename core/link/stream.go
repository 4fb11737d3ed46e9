package link

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"google.golang.org/protobuf/proto"

	"github.com/lanyard/lanyard/core/wire"
)

// Streams. A large answer (a log backlog, a folder listing) travels as
// chunks of at most wire.MaxChunk bytes, each a KindChunk frame with the
// request's ID, followed by the usual response. The receiver grants the
// sender one more chunk (KindCredit) each time it has consumed one, and
// the sender never has more than wire.StreamWindow chunks unconsumed, so a
// slow reader slows the sender down instead of filling memory on either
// side, and the reader goroutine never waits for a consumer.

// ErrStreamOverrun: the peer sent more chunks than it was granted.
var ErrStreamOverrun = errors.New("the peer sent more of a stream than it was allowed")

// requestKey carries the *requestState of the request a handler is
// answering in its context.
type requestKey struct{}

// requestState is what a handler may attach to the request it answers.
type requestState struct {
	id    uint64
	mu    sync.Mutex
	after []func()
}

// answered runs what was to happen once the response was sent.
func (st *requestState) answered() {
	st.mu.Lock()
	after := st.after
	st.after = nil
	st.mu.Unlock()
	for _, fn := range after {
		fn()
	}
}

// AfterResponse arranges for fn to run once the response to the request
// being handled with ctx has been written: a change that closes the link
// (a new SSL setting, management turned off) must first tell the peer it
// was made. It reports false, and runs nothing, outside a handler.
func AfterResponse(ctx context.Context, fn func()) bool {
	st, ok := ctx.Value(requestKey{}).(*requestState)
	if !ok {
		return false
	}
	st.mu.Lock()
	st.after = append(st.after, fn)
	st.mu.Unlock()
	return true
}

// streamIn is a stream this side asked for.
type streamIn struct {
	ch      chan []byte // chunks not yet consumed; never more than the window
	overrun atomic.Bool
}

// streamOut is a stream this side is sending.
type streamOut struct {
	credit chan struct{} // one token per chunk the peer will accept
}

// deliverChunk hands a chunk to the stream waiting for it, without ever
// blocking the reader: a chunk beyond the window marks the stream overrun.
func (l *Link) deliverChunk(f wire.Frame) {
	l.mu.Lock()
	in := l.streams[f.ID]
	l.mu.Unlock()
	if in == nil {
		return // cancelled, or not a stream: drop it
	}
	select {
	case in.ch <- f.Payload:
	default:
		in.overrun.Store(true)
	}
}

// credit lets the stream being sent under id send one more chunk.
func (l *Link) credit(id uint64) {
	l.mu.Lock()
	out := l.outs[id]
	l.mu.Unlock()
	if out == nil {
		return
	}
	select {
	case out.credit <- struct{}{}:
	default: // more credit than the window: ignore the excess
	}
}

// Stream sends a request whose answer is a stream: onChunk is called with
// each chunk, in order, on the caller's goroutine, and then the final
// response is decoded into resp (which may be nil). An error from onChunk
// cancels the request and is returned.
func (l *Link) Stream(ctx context.Context, method string, req proto.Message, onChunk func([]byte) error, resp proto.Message) error {
	payload, err := requestPayload(method, req)
	if err != nil {
		return err
	}
	id := l.nextID.Add(1)
	final := make(chan wire.Frame, 1)
	in := &streamIn{ch: make(chan []byte, wire.StreamWindow)}
	l.mu.Lock()
	l.pending[id] = final
	if l.streams == nil {
		l.streams = make(map[uint64]*streamIn)
	}
	l.streams[id] = in
	l.mu.Unlock()
	defer func() {
		l.mu.Lock()
		delete(l.pending, id)
		delete(l.streams, id)
		l.mu.Unlock()
	}()
	cancel := func(err error) error {
		_ = l.write(wire.Frame{Kind: wire.KindCancel, ID: id})
		return err
	}
	consume := func(chunk []byte) error {
		if err := onChunk(chunk); err != nil {
			return cancel(err)
		}
		if err := l.write(wire.Frame{Kind: wire.KindCredit, ID: id}); err != nil {
			return err
		}
		return nil
	}
	if err := l.write(wire.Frame{Kind: wire.KindRequest, ID: id, Payload: payload}); err != nil {
		return err
	}
	for {
		if in.overrun.Load() {
			return cancel(fmt.Errorf("%w (%s, %s)", ErrStreamOverrun, method, l.peer.Remote))
		}
		select {
		case chunk := <-in.ch:
			if err := consume(chunk); err != nil {
				return err
			}
		case f := <-final:
			// Every chunk was read before the response: take those left.
			for {
				select {
				case chunk := <-in.ch:
					if err := consume(chunk); err != nil {
						return err
					}
					continue
				default:
				}
				break
			}
			if in.overrun.Load() {
				return fmt.Errorf("%w (%s, %s)", ErrStreamOverrun, method, l.peer.Remote)
			}
			return decodeResponse(l, f, resp)
		case <-ctx.Done():
			return cancel(ctx.Err())
		case <-l.done:
			return l.err
		}
	}
}

// ChunkWriter sends the chunks of the stream a request handler answers.
type ChunkWriter struct {
	l   *Link
	id  uint64
	out *streamOut
}

// ErrNotARequest: Chunks was given a context that is not a request
// handler's.
var ErrNotARequest = errors.New("not inside a request handler")

// Chunks is the writer for the request whose handler runs with ctx.
func (l *Link) Chunks(ctx context.Context) (*ChunkWriter, error) {
	st, ok := ctx.Value(requestKey{}).(*requestState)
	if !ok {
		return nil, ErrNotARequest
	}
	id := st.id
	out := &streamOut{credit: make(chan struct{}, wire.StreamWindow)}
	for range wire.StreamWindow {
		out.credit <- struct{}{}
	}
	l.mu.Lock()
	if l.outs == nil {
		l.outs = make(map[uint64]*streamOut)
	}
	if cur := l.outs[id]; cur != nil {
		out = cur
	} else {
		l.outs[id] = out
	}
	l.mu.Unlock()
	return &ChunkWriter{l: l, id: id, out: out}, nil
}

// ErrChunkTooLarge: a chunk above wire.MaxChunk.
var ErrChunkTooLarge = fmt.Errorf("a stream chunk is larger than %d bytes", wire.MaxChunk)

// Send sends one chunk (at most wire.MaxChunk bytes) once the receiver
// has room for it. It returns when ctx ends (the request was cancelled)
// or the link closes.
func (w *ChunkWriter) Send(ctx context.Context, chunk []byte) error {
	if len(chunk) > wire.MaxChunk {
		return ErrChunkTooLarge
	}
	select {
	case <-w.out.credit:
	case <-ctx.Done():
		return ctx.Err()
	case <-w.l.done:
		return w.l.err
	}
	return w.l.write(wire.Frame{Kind: wire.KindChunk, ID: w.id, Payload: chunk})
}

// SendMsg sends msg, encoded, as one chunk.
func (w *ChunkWriter) SendMsg(ctx context.Context, msg proto.Message) error {
	b, err := proto.Marshal(msg)
	if err != nil {
		return err
	}
	return w.Send(ctx, b)
}
