package freeport

import (
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// HangUp is a loopback address where something other than Lanyard
// answers: it accepts connections and closes them, at once (as a firewall
// cutting a protocol it dislikes would: every dial to it fails after
// connecting), or after saying what another program would. It counts them.
type HangUp struct {
	ln    net.Listener
	n     atomic.Int64
	tries chan struct{}
}

// StartHangUp listens on a loopback address until tb ends, and closes
// every connection at once.
func StartHangUp(tb testing.TB) *HangUp {
	return start(tb, func(c net.Conn) {})
}

// StartGreeting listens on a loopback address until tb ends, where every
// connection is greeted with greeting before anything is read, as an SSH
// or mail server greets, and closed once the dialer hangs up.
func StartGreeting(tb testing.TB, greeting string) *HangUp {
	return start(tb, func(c net.Conn) { say(c, greeting) })
}

// StartReplying listens on a loopback address until tb ends, where every
// connection gets reply once its first bytes are read, as a web server
// answers a request it cannot parse, and is closed once the dialer hangs
// up.
func StartReplying(tb testing.TB, reply string) *HangUp {
	return start(tb, func(c net.Conn) {
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
		if _, err := c.Read(make([]byte, 4096)); err == nil {
			say(c, reply)
		}
	})
}

// say writes s and the end of what this side sends, then waits (ten
// seconds at most) for the dialer to hang up: closing with its bytes
// unread would reset the connection, and could throw away s before the
// dialer read it.
func say(c net.Conn, s string) {
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write([]byte(s)); err != nil {
		return
	}
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.CloseWrite()
	}
	buf := make([]byte, 4096)
	for {
		if _, err := c.Read(buf); err != nil {
			return
		}
	}
}

func start(tb testing.TB, answer func(net.Conn)) *HangUp {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	h := &HangUp{ln: ln, tries: make(chan struct{}, 64)}
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			h.n.Add(1)
			wg.Go(func() {
				answer(c)
				_ = c.Close()
				select {
				case h.tries <- struct{}{}:
				default: // counted; nobody waits on so many
				}
			})
		}
	})
	tb.Cleanup(func() { _ = ln.Close(); wg.Wait() })
	return h
}

// Addr is where it listens.
func (h *HangUp) Addr() string { return h.ln.Addr().String() }

// Accepted is how many connections it has taken.
func (h *HangUp) Accepted() int { return int(h.n.Load()) }

// Tries receives once per connection closed (up to 64 not yet received),
// for a test that waits on them.
func (h *HangUp) Tries() <-chan struct{} { return h.tries }
