package link

import (
	"context"
	"fmt"
	"io"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/lanyard/lanyard/core/internal/netsim"
	"github.com/lanyard/lanyard/core/wire"
	"github.com/lanyard/lanyard/core/wire/pb"
)

func TestSilentPeerIsDeclaredDeadWithinTheWindow(t *testing.T) {
	opts := Options{Heartbeat: 100 * time.Millisecond, DeadAfter: 400 * time.Millisecond}
	srv := startServer(t, newIdentity(t, pb.Role_ROLE_AGENT), opts,
		&agentAuth{name: "FS01", key: key(t, "FS01", "pw"), management: true}, nil)
	hole, err := netsim.NewBlackhole(srv.addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(hole.Close)
	d := &Dialer{Identity: newIdentity(t, pb.Role_ROLE_MASTER)} // adopts the acceptor's timing
	console, err := d.Dial(context.Background(), Target{Address: hole.Addr(), Name: "FS01", Key: key(t, "FS01", "pw"), KDF: testKDF})
	if err != nil {
		t.Fatal(err)
	}
	agentSide := srv.nextLink(t)
	consoleRec, agentRec := newRecorder("console"), newRecorder("FS01")
	console.Start(consoleRec, nil)
	agentSide.Start(agentRec, nil)

	// Healthy for several heartbeats: pings keep it alive and measure RTT.
	deadline := time.Now().Add(30 * time.Second)
	for console.rtt.Load() == 0 && time.Now().Before(deadline) {
		select {
		case e := <-consoleRec.closed:
			t.Fatalf("healthy link closed: %v", e)
		case <-time.After(50 * time.Millisecond):
		}
	}
	if console.rtt.Load() == 0 {
		t.Fatal("no RTT measured from pings")
	}

	// Dead after 400 ms of silence while each side's timer ran on time
	// (about half a second here; a loaded machine's late timers add to
	// it, see tick): the deadline below is for giving up, not a target.
	hole.Freeze()
	for _, rec := range []*recorder{consoleRec, agentRec} {
		select {
		case e := <-rec.closed:
			if e.Code != wire.CodeTimeout {
				t.Errorf("closed with %v, want timeout", e)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("silent peer not declared dead")
		}
	}
}

func TestRedialerReconnectsAndHonoursRetryAfter(t *testing.T) {
	srv := startServer(t, newIdentity(t, pb.Role_ROLE_AGENT), Options{},
		&agentAuth{name: "FS01", key: key(t, "FS01", "pw"), management: true}, nil)
	d := &Dialer{Identity: newIdentity(t, pb.Role_ROLE_MASTER)}
	ctx, cancel := context.WithCancel(context.Background())
	linked := make(chan *Link, 4)
	failures := make(chan time.Duration, 4)
	r := &Redialer{
		Dial: d.Dial,
		Target: func() (Target, bool) {
			return Target{Address: srv.addr(), Name: "FS01", Key: key(t, "FS01", "pw"), KDF: testKDF}, true
		},
		OnLink:    func(l *Link) bool { l.Start(newRecorder("console"), nil); linked <- l; return true },
		OnFailure: func(err error, retryIn time.Duration) { failures <- retryIn },
		Initial:   10 * time.Millisecond, Max: 50 * time.Millisecond,
	}
	done := make(chan struct{})
	go func() { r.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	first := <-linked
	a := srv.nextLink(t)
	a.Start(newRecorder("FS01"), nil)
	// The agent side closes with a retry-after: the console waits at least that long.
	start := time.Now()
	a.CloseWith(&Error{Code: wire.CodeShuttingDown, Reason: "restarting", RetryAfter: 300 * time.Millisecond})
	<-first.Done()
	select {
	case second := <-linked:
		if waited := time.Since(start); waited < 300*time.Millisecond {
			t.Errorf("redialed after %s, before the 300ms retry-after", waited)
		}
		b := srv.nextLink(t)
		b.Start(newRecorder("FS01"), nil)
		closeLink(second)
	case <-time.After(5 * time.Second):
		t.Fatal("no reconnect")
	}
}

func TestRequestIsCancelledOnTheAgentWhenTheConsoleGivesUp(t *testing.T) {
	console, agentSide := dialedPair(t, Options{})
	agentSide.Start(newRecorder("FS01"), nil)
	console.Start(newRecorder("console"), nil)
	defer closeLink(console)

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := console.Request(ctx, "block", nil, nil); err != context.DeadlineExceeded {
		t.Fatalf("blocked request: %v", err)
	}
	// The handler returned once cancelled: the link is still healthy.
	if err := console.Request(context.Background(), wire.MethodStatus, nil, &pb.StatusResponse{}); err != nil {
		t.Fatal(err)
	}
}

// A request whose context ended before it was made is not sent, and says
// so every time: sent, its answer could beat the cancel to the caller.
func TestARequestGivenUpBeforeItIsMadeIsNotSent(t *testing.T) {
	console, agentSide := dialedPair(t, Options{})
	agent := &countingHandler{recorder: newRecorder("FS01")}
	agentSide.Start(agent, nil)
	console.Start(newRecorder("console"), nil)
	defer closeLink(console)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for i := range 200 {
		if err := console.Request(ctx, wire.MethodStatus, nil, &pb.StatusResponse{}); err != context.Canceled {
			t.Fatalf("request %d, given up before it was made: %v", i, err)
		}
	}
	// One more, not given up, answered after any sent before it.
	if err := console.Request(context.Background(), wire.MethodStatus, nil, &pb.StatusResponse{}); err != nil {
		t.Fatal(err)
	}
	if n := agent.requests.Load(); n != 1 {
		t.Errorf("the agent was asked %d times, want once", n)
	}
}

// countingHandler is a recorder that counts the requests it handles.
type countingHandler struct {
	*recorder
	requests atomic.Int32
}

func (h *countingHandler) HandleRequest(ctx context.Context, l *Link, method string, payload []byte) (proto.Message, error) {
	h.requests.Add(1)
	return h.recorder.HandleRequest(ctx, l, method, payload)
}

func TestListenerCloseIsIdempotentAndAbortsHandshakes(t *testing.T) {
	srv := startServer(t, newIdentity(t, pb.Role_ROLE_AGENT), Options{},
		&agentAuth{name: "FS01", key: key(t, "FS01", "pw"), management: true}, nil)
	c := rawDial(t, srv.addr())
	_, _ = c.Write([]byte(wire.Magic)) // then silence: a handshake in progress
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(io.Discard, c); err != nil {
		t.Logf("after close: %v", err)
	}
}

// A process that did not run for a while (a starved CPU, a key derivation
// beside it, a paused VM) finds its timer late and its peer's frames
// unread: that silence is its own, not the peer's. Only silence while the
// timer ran on time declares the peer dead.
func TestSilenceWhileThisSideDidNotRunIsNotHeldAgainstThePeer(t *testing.T) {
	for _, c := range []struct {
		name        string
		stalled     time.Duration // how late the timer fires
		wantTimeout bool
	}{
		{"a timer on time after four hours of silence declares the peer dead", 0, true},
		{"a timer three and a half hours late keeps the link", 210 * time.Minute, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			// An agent's side (it pings), with a heartbeat that never fires
			// by itself during the test: tick is called by hand.
			l := pipeLink(t, pb.Role_ROLE_MASTER, time.Hour, 3*time.Hour)
			rec := newRecorder("FS01")
			l.Start(rec, nil)
			now := time.Now()
			l.mu.Lock()
			l.timer.Stop()
			l.due = now.Add(-c.stalled)
			l.mu.Unlock()
			l.lastRecv.Store(now.Add(-4 * time.Hour).UnixNano())

			l.tick()
			select {
			case e := <-rec.closed:
				if !c.wantTimeout || e.Code != wire.CodeTimeout {
					t.Fatalf("the link closed with %s (%s)", e.Code, e.Reason)
				}
			default:
				if c.wantTimeout {
					t.Fatal("a peer silent for four hours while this side ran on time is still alive")
				}
			}
		})
	}
}

// An agent's pings fall on whole slots of the wall clock, so that a
// console's agents ping together a few dozen times a second rather than
// at random; the wait for a ping or a dead line grows by less than a slot.
func TestPingsFallOnWholeSlotsOfTheClock(t *testing.T) {
	base := time.Date(2026, 12, 6, 3, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		now          time.Duration // after base
		d, heartbeat time.Duration
		want         time.Duration
	}{
		{3 * time.Millisecond, 15 * time.Second, 15 * time.Second, 15*time.Second + 17*time.Millisecond},
		{0, 15 * time.Second, 15 * time.Second, 15 * time.Second}, // on a slot already
		{3 * time.Millisecond, 2 * time.Second, 15 * time.Second, 2*time.Second + 17*time.Millisecond},
		{1 * time.Millisecond, 80 * time.Millisecond, 80 * time.Millisecond, 84 * time.Millisecond}, // a slot of 5 ms
	} {
		if got := pingDelay(base.Add(c.now), c.d, c.heartbeat); got != c.want {
			t.Errorf("at +%v, %v (heartbeat %v): %v, want %v", c.now, c.d, c.heartbeat, got, c.want)
		}
	}
	now := time.Now() // with its monotonic reading, as the link has it
	for _, d := range []time.Duration{time.Millisecond, 15 * time.Second} {
		got := pingDelay(now, d, 15*time.Second)
		if got < d || got >= d+pingSlot || now.Add(got).Round(0).UnixNano()%int64(pingSlot) != 0 {
			t.Errorf("now, %v: %v, not on a slot within %v", d, got, pingSlot)
		}
	}
}

// Both ends know the link's round trip as soon as it is up, from the
// handshake (each from its hello to the peer's answer), before any ping:
// the console's Overview shows it from the first moment, not after the
// second heartbeat. Through a path 40 ms long each way, both read at
// least 80 ms, and no more than the whole handshake took.
func TestBothEndsKnowTheRoundTripFromTheHandshake(t *testing.T) {
	for _, ssl := range []bool{true, false} {
		t.Run(fmt.Sprintf("ssl=%v", ssl), func(t *testing.T) {
			const oneWay = 40 * time.Millisecond
			opts := Options{SSL: ssl}
			srv := startServer(t, newIdentity(t, pb.Role_ROLE_AGENT), opts,
				&agentAuth{name: "FS01", key: key(t, "FS01", "pw"), management: true}, nil)
			path, err := netsim.NewProxy(srv.addr())
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(path.Close)
			path.SetLatency(oneWay)
			d := &Dialer{Identity: newIdentity(t, pb.Role_ROLE_MASTER), Options: opts}
			start := time.Now()
			console, err := d.Dial(context.Background(), Target{Address: path.Addr(), Name: "FS01", Key: key(t, "FS01", "pw"), KDF: testKDF})
			took := time.Since(start)
			if err != nil {
				t.Fatal(err)
			}
			defer closeLink(console)
			agentSide := srv.nextLink(t)
			defer closeLink(agentSide)
			for side, l := range map[string]*Link{"dialer": console, "acceptor": agentSide} {
				if got := l.RTT(); got < 2*oneWay || got > took {
					t.Errorf("%s's round trip %s; want from %s to the handshake's %s", side, got, 2*oneWay, took)
				}
				if l.rtt.Load() != 0 {
					t.Errorf("%s's round trip came from a ping; want the handshake's", side)
				}
			}
		})
	}
}
