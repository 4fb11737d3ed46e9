package link

import (
	"context"
	"io"
	"testing"
	"time"

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
	deadline := time.Now().Add(5 * time.Second)
	for console.RTT() == 0 && time.Now().Before(deadline) {
		select {
		case e := <-consoleRec.closed:
			t.Fatalf("healthy link closed: %v", e)
		case <-time.After(50 * time.Millisecond):
		}
	}
	if console.RTT() == 0 {
		t.Fatal("no RTT measured from pings")
	}

	hole.Freeze()
	frozenAt := time.Now()
	for _, rec := range []*recorder{consoleRec, agentRec} {
		select {
		case e := <-rec.closed:
			if e.Code != wire.CodeTimeout {
				t.Errorf("closed with %v, want timeout", e)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("silent peer not declared dead")
		}
	}
	// Dead after 400 ms of silence, noticed on a 100 ms tick: well under 2 s.
	if took := time.Since(frozenAt); took > 2*time.Second {
		t.Errorf("took %s to declare the peer dead", took)
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
	srv := startServer(t, newIdentity(t, pb.Role_ROLE_AGENT), Options{},
		&agentAuth{name: "FS01", key: key(t, "FS01", "pw"), management: true}, nil)
	d := &Dialer{Identity: newIdentity(t, pb.Role_ROLE_MASTER)}
	console, err := d.Dial(context.Background(), Target{Address: srv.addr(), Name: "FS01", Key: key(t, "FS01", "pw"), KDF: testKDF})
	if err != nil {
		t.Fatal(err)
	}
	agentSide := srv.nextLink(t)
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
