package link

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/lanyard/lanyard/core/wire"
	"github.com/lanyard/lanyard/core/wire/pb"
)

// streamer answers "count" with N numbered chunks, "flood" by ignoring
// the window, and reports each chunk it got out.
type streamer struct {
	*recorder
	n    int
	sent chan int
	done chan error
}

func (s *streamer) HandleRequest(ctx context.Context, l *Link, method string, body []byte) (proto.Message, error) {
	switch method {
	case "count":
		w, err := l.Chunks(ctx)
		if err != nil {
			return nil, err
		}
		for i := range s.n {
			chunk := binary.BigEndian.AppendUint32(make([]byte, 0, wire.MaxChunk), uint32(i))
			chunk = chunk[:wire.MaxChunk] // full-size chunks
			if err := w.Send(ctx, chunk); err != nil {
				s.done <- err
				return nil, err
			}
			if s.sent != nil {
				s.sent <- i
			}
		}
		s.done <- nil
		return &pb.StatusResponse{Name: fmt.Sprint(s.n)}, nil
	case "flood":
		id := ctx.Value(requestKey{}).(*requestState).id
		for range wire.StreamWindow * 3 {
			if err := l.write(wire.Frame{Kind: wire.KindChunk, ID: id, Payload: []byte("x")}); err != nil {
				return nil, err
			}
		}
		return &pb.StatusResponse{}, nil
	case "close-after":
		AfterResponse(ctx, func() { l.CloseWith(&Error{Code: wire.CodeNormal, Reason: "the setting changed"}) })
		return &pb.StatusResponse{Name: "told first"}, nil
	case "oversize":
		w, err := l.Chunks(ctx)
		if err != nil {
			return nil, err
		}
		return nil, w.Send(ctx, make([]byte, wire.MaxChunk+1))
	}
	return s.recorder.HandleRequest(ctx, l, method, body)
}

// streamPair links a console to an agent that answers with s.
func streamPair(t *testing.T, v variant, s *streamer) *Link {
	t.Helper()
	srv, d, target := pair(t, v, "pw", "pw")
	if v.inbound {
		// The agent dials; the console accepts. Requests still go from
		// the console to the agent.
		agentSide, err := d.Dial(context.Background(), target)
		if err != nil {
			t.Fatal(err)
		}
		console := srv.nextLink(t)
		agentSide.Start(s, nil)
		console.Start(newRecorder("console"), nil)
		t.Cleanup(func() { closeLink(console); closeLink(agentSide) })
		return console
	}
	console, err := d.Dial(context.Background(), target)
	if err != nil {
		t.Fatal(err)
	}
	agentSide := srv.nextLink(t)
	agentSide.Start(s, nil)
	console.Start(newRecorder("console"), nil)
	t.Cleanup(func() { closeLink(console); closeLink(agentSide) })
	return console
}

func newStreamer(n int) *streamer {
	return &streamer{recorder: newRecorder("FS01"), n: n, done: make(chan error, 1)}
}

func TestAStreamArrivesWholeAndInOrderThenItsResponse(t *testing.T) {
	for _, v := range variants {
		t.Run(v.String(), func(t *testing.T) {
			const n = 200 // about 3 MiB, far more than the window
			console := streamPair(t, v, newStreamer(n))
			next := 0
			var resp pb.StatusResponse
			err := console.Stream(context.Background(), "count", nil, func(chunk []byte) error {
				if len(chunk) != wire.MaxChunk {
					return fmt.Errorf("chunk %d has %d bytes", next, len(chunk))
				}
				if got := binary.BigEndian.Uint32(chunk); got != uint32(next) {
					return fmt.Errorf("chunk %d arrived as number %d", got, next)
				}
				next++
				return nil
			}, &resp)
			if err != nil {
				t.Fatal(err)
			}
			if next != n || resp.Name != fmt.Sprint(n) {
				t.Fatalf("%d chunks and response %q, want %d", next, resp.Name, n)
			}
		})
	}
}

func TestASlowReaderHoldsTheSenderToTheWindow(t *testing.T) {
	s := newStreamer(wire.StreamWindow * 3)
	s.sent = make(chan int, 100)
	console := streamPair(t, variant{}, s)
	release := make(chan struct{})
	result := make(chan error, 1)
	go func() {
		got := 0
		result <- console.Stream(context.Background(), "count", nil, func([]byte) error {
			if got++; got == 1 {
				<-release // the reader is busy with the first chunk
			}
			return nil
		}, nil)
	}()
	for i := range wire.StreamWindow {
		select {
		case <-s.sent:
		case <-time.After(10 * time.Second):
			t.Fatalf("only %d chunks were sent before the reader stalled", i)
		}
	}
	select {
	case i := <-s.sent:
		t.Fatalf("chunk %d was sent while %d were unconsumed", i, wire.StreamWindow)
	case <-time.After(300 * time.Millisecond):
	}
	close(release)
	if err := <-result; err != nil {
		t.Fatal(err)
	}
	if err := <-s.done; err != nil {
		t.Fatalf("the sender: %v", err)
	}
}

func TestAReaderThatStopsCancelsTheStreamAndTheLinkLivesOn(t *testing.T) {
	s := newStreamer(1000)
	console := streamPair(t, variant{ssl: true}, s)
	stop := errors.New("seen enough")
	got := 0
	err := console.Stream(context.Background(), "count", nil, func([]byte) error {
		if got++; got == 3 {
			return stop
		}
		return nil
	}, nil)
	if !errors.Is(err, stop) {
		t.Fatalf("Stream: %v, want the reader's error", err)
	}
	select {
	case err := <-s.done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("the sender ended with %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the sender did not stop")
	}
	if err := console.Request(context.Background(), wire.MethodStatus, nil, &pb.StatusResponse{}); err != nil {
		t.Fatalf("the link after a cancelled stream: %v", err)
	}
}

func TestAPeerThatIgnoresTheWindowIsRefusedAndTheLinkLivesOn(t *testing.T) {
	console := streamPair(t, variant{}, newStreamer(0))
	first := true
	err := console.Stream(context.Background(), "flood", nil, func([]byte) error {
		if first {
			// Busy with the first chunk while the flood arrives.
			first = false
			pollUntil(t, "the flood to overrun the window", func() bool {
				console.mu.Lock()
				defer console.mu.Unlock()
				for _, in := range console.streams {
					if in.overrun.Load() {
						return true
					}
				}
				return false
			})
		}
		return nil
	}, nil)
	if !errors.Is(err, ErrStreamOverrun) {
		t.Fatalf("Stream: %v, want ErrStreamOverrun", err)
	}
	if err := console.Request(context.Background(), wire.MethodStatus, nil, &pb.StatusResponse{}); err != nil {
		t.Fatalf("the link after an overrun: %v", err)
	}
}

// pollUntil polls cond until it holds, for at most 10 s.
func pollUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited 10 s for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestAChunkOverTheLimitIsNotSent(t *testing.T) {
	console := streamPair(t, variant{}, newStreamer(0))
	err := console.Stream(context.Background(), "oversize", nil, func([]byte) error { return nil }, nil)
	var re *RequestError
	if !errors.As(err, &re) || re.Message != ErrChunkTooLarge.Error() {
		t.Fatalf("Stream: %v, want the handler's ErrChunkTooLarge", err)
	}
}

func TestChunksOutsideAHandlerIsAnError(t *testing.T) {
	var l Link
	if _, err := l.Chunks(context.Background()); !errors.Is(err, ErrNotARequest) {
		t.Fatalf("Chunks: %v", err)
	}
}

func TestAChangeThatClosesTheLinkIsAnsweredFirst(t *testing.T) {
	console := streamPair(t, variant{ssl: true}, newStreamer(0))
	var resp pb.StatusResponse
	if err := console.Request(context.Background(), "close-after", nil, &resp); err != nil || resp.Name != "told first" {
		t.Fatalf("Request: %v (%q), want the answer before the close", err, resp.Name)
	}
	select {
	case <-console.Done():
		wantCode(t, console.Err(), wire.CodeNormal)
	case <-time.After(10 * time.Second):
		t.Fatal("the link did not close after the answer")
	}
	if AfterResponse(context.Background(), func() {}) {
		t.Fatal("AfterResponse outside a handler reported true")
	}
}
