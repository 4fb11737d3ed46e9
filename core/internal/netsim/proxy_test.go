package netsim

import (
	"errors"
	"io"
	"net"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// echoThrough starts an echo server and a proxy to it, and returns a
// connection through the proxy.
func echoThrough(t *testing.T) (*Proxy, net.Conn) {
	t.Helper()
	echo, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := echo.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); _, _ = io.Copy(c, c) }()
		}
	}()
	p, err := NewProxy(echo.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = echo.Close(); <-done })
	t.Cleanup(p.Close)
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return p, c
}

// roundTrip writes msg and reads it back, returning how long it took.
func roundTrip(t *testing.T, c net.Conn, msg []byte) (time.Duration, error) {
	t.Helper()
	start := time.Now()
	if _, err := c.Write(msg); err != nil {
		return 0, err
	}
	got := make([]byte, len(msg))
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err := io.ReadFull(c, got)
	if err == nil && string(got) != string(msg) {
		t.Fatalf("echoed %q, want %q", got, msg)
	}
	return time.Since(start), err
}

func TestTheProxyForwardsThenDropsWithoutClosingWhenFrozen(t *testing.T) {
	p, c := echoThrough(t)
	if _, err := roundTrip(t, c, []byte("ping")); err != nil {
		t.Fatalf("before freezing: %v", err)
	}
	p.Freeze()
	_, _ = c.Write([]byte("lost"))
	_ = c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	_, err := c.Read(make([]byte, 4))
	if ne, ok := err.(net.Error); !ok || !ne.Timeout() {
		t.Fatalf("after freezing, read returned %v; want a timeout (silence, not a close)", err)
	}
	p.Thaw()
	fresh, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	if _, err := roundTrip(t, fresh, []byte("back")); err != nil {
		t.Fatalf("a new connection after the thaw: %v", err)
	}
}

func TestTheEndOfAConnectionDoesNotCrossAFrozenPath(t *testing.T) {
	target, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer target.Close()
	p, err := NewProxy(target.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	far, err := target.Accept()
	if err != nil {
		t.Fatal(err)
	}
	p.Freeze()
	_ = far.Close() // the far side gives up; its FIN is lost on the way
	_ = c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	_, err = c.Read(make([]byte, 1))
	if ne, ok := err.(net.Error); !ok || !ne.Timeout() {
		t.Fatalf("the far side closed behind a frozen path and this side read %v; want silence", err)
	}
}

func TestLatencyDelaysEachWayOfARoundTrip(t *testing.T) {
	p, c := echoThrough(t)
	p.SetLatency(50 * time.Millisecond)
	took, err := roundTrip(t, c, []byte("slow"))
	if err != nil {
		t.Fatal(err)
	}
	if took < 100*time.Millisecond {
		t.Errorf("a round trip with 50 ms each way took %s", took)
	}
	p.SetLatency(0)
	if _, err := roundTrip(t, c, []byte("fast")); err != nil {
		t.Fatal(err)
	}
}

func TestTheBandwidthCapSlowsABulkTransfer(t *testing.T) {
	p, c := echoThrough(t)
	p.SetBandwidth(64 << 10) // 64 KiB/s each way
	took, err := roundTrip(t, c, make([]byte, 32<<10))
	if err != nil {
		t.Fatal(err)
	}
	// 32 KiB at 64 KiB/s is half a second each way, pipelined: at least 0.5 s.
	if took < 450*time.Millisecond {
		t.Errorf("32 KiB through a 64 KiB/s cap took only %s", took)
	}
}

func TestResetAbortsOpenConnectionsAndRefuseTurnsNewOnesAway(t *testing.T) {
	p, c := echoThrough(t)
	if _, err := roundTrip(t, c, []byte("ping")); err != nil {
		t.Fatal(err)
	}
	p.Reset()
	if _, err := roundTrip(t, c, []byte("gone")); err == nil {
		t.Fatal("a reset connection still echoes")
	} else if !errors.Is(err, syscall.ECONNRESET) && !errors.Is(err, io.EOF) && !errors.Is(err, syscall.EPIPE) {
		t.Errorf("after a reset: %v, want a reset", err)
	}
	p.Refuse(true)
	refused, err := net.Dial("tcp", p.Addr())
	if err == nil {
		_, err = roundTrip(t, refused, []byte("no"))
		_ = refused.Close()
	}
	if err == nil {
		t.Fatal("a refused connection echoes")
	}
	p.Refuse(false)
	back, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer back.Close()
	if _, err := roundTrip(t, back, []byte("back")); err != nil {
		t.Fatalf("after Refuse(false): %v", err)
	}
}
