package agent

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

// slowHost is a host whose readings wait until the test lets them land,
// and are told apart by their uptime: the first is 1, the next 2, ...
type slowHost struct {
	taken atomic.Int32
	begun chan struct{} // a reading began
	land  chan struct{} // let one reading land
}

func newSlowHost() *slowHost {
	return &slowHost{begun: make(chan struct{}, 16), land: make(chan struct{}, 16)}
}

func (h *slowHost) read(ctx context.Context, dir string) hostFacts {
	n := h.taken.Add(1)
	h.begun <- struct{}{}
	<-h.land
	if ctx.Err() != nil {
		return hostFacts{at: time.Now(), dir: dir} // a reading cut short is empty
	}
	return hostFacts{at: time.Now(), dir: dir, uptime: uint64(n)}
}

// within waits for ch, failing the test after a deadline.
func within(t *testing.T, what string, ch <-chan hostFacts) hostFacts {
	t.Helper()
	select {
	case f := <-ch:
		return f
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: no answer within 10 s", what)
		return hostFacts{}
	}
}

func TestAStaleReadingAnswersAtOnceWhileTheNextIsTaken(t *testing.T) {
	host := newSlowHost()
	p := &HostProbe{readHost: host.read}
	ctx := context.Background()
	read := func() <-chan hostFacts {
		ch := make(chan hostFacts, 1)
		go func() { ch <- p.read(ctx, "") }()
		return ch
	}

	// The first answers wait for the first reading, and share it.
	first, second := read(), read()
	<-host.begun
	host.land <- struct{}{}
	if a, b := within(t, "first", first), within(t, "second", second); a.uptime != 1 || b.uptime != 1 {
		t.Fatalf("the first two answers had readings %d and %d, want both the first", a.uptime, b.uptime)
	}

	// Stale: one answer takes the next reading; the others meanwhile are
	// made from the last one, without waiting for it.
	p.mu.Lock()
	p.last.at = time.Now().Add(-2 * probeFresh)
	p.mu.Unlock()
	taker := read()
	<-host.begun
	for i := range 3 {
		if f := within(t, "an answer while the next reading is taken", read()); f.uptime != 1 {
			t.Fatalf("answer %d while the next reading was taken had reading %d, want the last one (1)", i, f.uptime)
		}
	}
	host.land <- struct{}{}
	if f := within(t, "the answer that took the reading", taker); f.uptime != 2 {
		t.Fatalf("the answer that took the next reading had reading %d, want it (2)", f.uptime)
	}
	if f := within(t, "an answer after", read()); f.uptime != 2 || f.dir != "/" {
		t.Fatalf("an answer after the next reading had reading %d of %q, want 2 of /", f.uptime, f.dir)
	}
	if n := host.taken.Load(); n != 2 {
		t.Errorf("%d readings taken, want 2", n)
	}
}

func TestAnAnswerGivenUpWhileWaitingForTheFirstReadingIsEmpty(t *testing.T) {
	host := newSlowHost()
	p := &HostProbe{readHost: host.read}
	taker := make(chan hostFacts, 1)
	go func() { taker <- p.read(context.Background(), "/data") }()
	<-host.begun
	ctx, cancel := context.WithCancel(context.Background())
	waiter := make(chan hostFacts, 1)
	go func() { waiter <- p.read(ctx, "/data") }()
	cancel()
	if f := within(t, "the answer given up", waiter); f.uptime != 0 || f.dir != "/data" {
		t.Errorf("the answer given up had reading %d of %q, want an empty one of /data", f.uptime, f.dir)
	}
	host.land <- struct{}{}
	if f := within(t, "the first reading", taker); f.uptime != 1 {
		t.Errorf("the first reading is %d, want 1", f.uptime)
	}
}

func TestAReadingIsKeptWholeWhenTheAnswerThatTookItIsGivenUp(t *testing.T) {
	host := newSlowHost()
	p := &HostProbe{readHost: host.read}
	ctx, cancel := context.WithCancel(context.Background())
	taker := make(chan hostFacts, 1)
	go func() { taker <- p.read(ctx, "") }()
	<-host.begun
	cancel()
	host.land <- struct{}{}
	within(t, "the answer given up", taker)
	if f := within(t, "the next answer", func() <-chan hostFacts {
		ch := make(chan hostFacts, 1)
		go func() { ch <- p.read(context.Background(), "") }()
		return ch
	}()); f.uptime != 1 {
		t.Errorf("the reading kept after its taker gave up is %d, want the whole first reading (1)", f.uptime)
	}
}
