package link

import (
	"io"
	"net"
	"testing"
	"time"

	"github.com/lanyard/lanyard/core/wire"
	"github.com/lanyard/lanyard/core/wire/pb"
)

// pipeLink is a link over a pipe whose far end reads everything, not yet
// started, to a peer of the given role; the test's cleanup closes it.
func pipeLink(t *testing.T, peer pb.Role, heartbeat, deadAfter time.Duration) *Link {
	t.Helper()
	ours, theirs := net.Pipe()
	drained := make(chan struct{})
	go func() { defer close(drained); _, _ = io.Copy(io.Discard, theirs) }()
	l := newLink(ours, Peer{Role: peer, Remote: "peer"}, heartbeat, deadAfter, 1)
	t.Cleanup(func() { closeLink(l); _ = theirs.Close(); <-drained })
	return l
}

// The console's links share one sweep, and it counts silence as the
// agent's per-link timer does: only time the sweep ran on time is held
// against a peer (see TestSilenceWhileThisSideDidNotRunIsNotHeldAgainstThePeer).
func TestTheConsoleSweepCountsOnlyTheTimeItRanOnTime(t *testing.T) {
	// A console-side link in a watch of its own, swept by hand.
	l := pipeLink(t, pb.Role_ROLE_AGENT, time.Hour, 3*time.Hour)
	w := &watch{links: []*Link{l}}
	now := time.Now()
	l.lastRecv.Store(now.Add(-4 * time.Hour).UnixNano())

	// Four hours of silence by the clock, but the sweeps that saw it ran
	// late: each counted one period, ten minutes here. Not dead.
	for i := range 12 {
		if dead := w.sweep(now, 10*time.Minute); len(dead) != 0 {
			t.Fatalf("sweep %d declared the peer dead after %s of on-time silence", i, l.watched.silent)
		}
	}
	// Seven more on-time periods pass three hours: dead.
	var dead []*Link
	for range 7 {
		dead = w.sweep(now, 10*time.Minute)
	}
	if len(dead) != 1 || dead[0] != l {
		t.Fatalf("after %s of on-time silence the sweep found %d dead, want the link", l.watched.silent, len(dead))
	}

	// A frame resets the count to the time since it came.
	l.lastRecv.Store(now.Add(-time.Minute).UnixNano())
	if dead := w.sweep(now, 10*time.Minute); len(dead) != 0 || l.watched.silent != time.Minute {
		t.Fatalf("after a frame a minute ago: %d dead, %s of silence; want none, a minute", len(dead), l.watched.silent)
	}
}

// On-time silence alone does not kill a link: the clock must say so too
// (a link watched for a moment was not silent for a whole period).
func TestTheConsoleSweepWaitsForTheDeadWindowByTheClock(t *testing.T) {
	l := pipeLink(t, pb.Role_ROLE_AGENT, time.Hour, 3*time.Hour)
	w := &watch{links: []*Link{l}}
	now := time.Now()
	l.lastRecv.Store(now.Add(-time.Hour).UnixNano())
	if dead := w.sweep(now, 4*time.Hour); len(dead) != 0 {
		t.Fatal("a peer heard from an hour ago was declared dead by a long sweep")
	}
}

// The process's sweep closes a silent console-side link with a timeout,
// and its goroutine ends with the last link it watched (goleak checks
// the end of every test in this package).
func TestTheConsoleSweepClosesASilentLink(t *testing.T) {
	l := pipeLink(t, pb.Role_ROLE_AGENT, 100*time.Millisecond, 300*time.Millisecond)
	rec := newRecorder("console")
	l.Start(rec, nil)
	if l.timer != nil {
		t.Fatal("a console-side link has a timer of its own")
	}
	select {
	case e := <-rec.closed:
		if e.Code != wire.CodeTimeout {
			t.Fatalf("closed with %s (%s), want a timeout", e.Code, e.Reason)
		}
		if silent := time.Since(l.LastReceived()); silent < 300*time.Millisecond {
			t.Errorf("closed after %s of silence, before its 300ms window", silent)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("a silent console-side link was not closed")
	}
	consoleWatch.mu.Lock()
	watched := l.watched.index
	consoleWatch.mu.Unlock()
	if watched != -1 {
		t.Errorf("a closed link is still watched at %d", watched)
	}
}
