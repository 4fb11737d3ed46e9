package netsim

import (
	"net"
	"sync"
	"sync/atomic"
)

// Blackhole is a loopback TCP proxy to one target address.
type Blackhole struct {
	ln     net.Listener
	frozen atomic.Bool
	wg     sync.WaitGroup
	mu     sync.Mutex
	conns  []net.Conn
	once   sync.Once
}

// NewBlackhole listens on 127.0.0.1 and forwards every connection to
// target until Freeze.
func NewBlackhole(target string) (*Blackhole, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	b := &Blackhole{ln: ln}
	b.wg.Add(1)
	go b.accept(target)
	return b, nil
}

// Addr is where to connect instead of the target.
func (b *Blackhole) Addr() string { return b.ln.Addr().String() }

// Freeze silently drops all traffic from now on, both ways, without
// closing anything.
func (b *Blackhole) Freeze() { b.frozen.Store(true) }

// Close closes every connection and waits for the proxy's goroutines.
// Idempotent.
func (b *Blackhole) Close() {
	b.once.Do(func() {
		_ = b.ln.Close()
		b.mu.Lock()
		for _, c := range b.conns {
			_ = c.Close()
		}
		b.mu.Unlock()
	})
	b.wg.Wait()
}

func (b *Blackhole) accept(target string) {
	defer b.wg.Done()
	for {
		in, err := b.ln.Accept()
		if err != nil {
			return
		}
		out, err := net.Dial("tcp", target)
		if err != nil {
			_ = in.Close()
			continue
		}
		b.mu.Lock()
		b.conns = append(b.conns, in, out)
		b.mu.Unlock()
		b.wg.Add(2)
		go b.pipe(in, out)
		go b.pipe(out, in)
	}
}

func (b *Blackhole) pipe(dst, src net.Conn) {
	defer b.wg.Done()
	buf := make([]byte, 4096)
	for {
		n, err := src.Read(buf)
		if err != nil {
			return
		}
		if !b.frozen.Load() {
			if _, err := dst.Write(buf[:n]); err != nil {
				return
			}
		}
	}
}
