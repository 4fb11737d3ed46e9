package freeport

import (
	"net"
	"sync"
	"sync/atomic"
	"testing"
)

// HangUp is a loopback address that accepts connections and closes them
// at once, as a firewall cutting a protocol it dislikes would: every dial
// to it fails after connecting. It counts them.
type HangUp struct {
	ln    net.Listener
	n     atomic.Int64
	tries chan struct{}
}

// StartHangUp listens on a loopback address until tb ends.
func StartHangUp(tb testing.TB) *HangUp {
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
			_ = c.Close()
			select {
			case h.tries <- struct{}{}:
			default: // counted; nobody waits on so many
			}
		}
	})
	tb.Cleanup(func() { _ = ln.Close(); wg.Wait() })
	return h
}

// Addr is where it listens.
func (h *HangUp) Addr() string { return h.ln.Addr().String() }

// Accepted is how many connections it has hung up on.
func (h *HangUp) Accepted() int { return int(h.n.Load()) }

// Tries receives once per connection hung up on (up to 64 not yet
// received), for a test that waits on them.
func (h *HangUp) Tries() <-chan struct{} { return h.tries }
