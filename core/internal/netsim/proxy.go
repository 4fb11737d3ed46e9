package netsim

import (
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Proxy is a loopback TCP proxy to one target address that can be told to
// misbehave: delay traffic (SetLatency), cap its rate (SetBandwidth), drop
// it silently while keeping both connections open (Freeze, until Thaw),
// reset every connection at once (Reset), and refuse new ones (Refuse).
// Every fault applies both ways and to the connections open at the time.
type Proxy struct {
	target string
	ln     net.Listener
	wg     sync.WaitGroup
	once   sync.Once

	frozen    atomic.Bool
	refusing  atomic.Bool
	latency   atomic.Int64 // one way, in nanoseconds
	bandwidth atomic.Int64 // bytes a second each way per connection; 0: unlimited

	mu    sync.Mutex
	pairs map[*pair]struct{}
	count atomic.Int64 // connections accepted and forwarded, all told
}

// pair is one proxied connection: the peer's end and the target's.
type pair struct{ in, out net.Conn }

// NewProxy listens on 127.0.0.1 and forwards every connection to target.
func NewProxy(target string) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{target: target, ln: ln, pairs: map[*pair]struct{}{}}
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

// Addr is where to connect instead of the target.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// SetLatency delays every chunk of data by d on its way, in each
// direction (so a round trip takes 2d more); 0 forwards at once.
func (p *Proxy) SetLatency(d time.Duration) { p.latency.Store(int64(d)) }

// SetBandwidth caps each direction of each connection at bytesPerSecond;
// 0 lifts the cap.
func (p *Proxy) SetBandwidth(bytesPerSecond int) { p.bandwidth.Store(int64(bytesPerSecond)) }

// Freeze silently drops all traffic from now on, both ways, without
// closing anything: a pulled cable, a peer lost to a power cut.
func (p *Proxy) Freeze() { p.frozen.Store(true) }

// Thaw forwards again. What was dropped meanwhile stays lost, so a
// connection that carried data while frozen is usually beyond saving;
// new connections work.
func (p *Proxy) Thaw() { p.frozen.Store(false) }

// Refuse resets new connections as soon as they are accepted (on), or
// forwards them again (off): a host whose service is down.
func (p *Proxy) Refuse(on bool) { p.refusing.Store(on) }

// Reset closes every open connection at once with a TCP reset, on both
// sides: a router that dropped its state, a firewall that changed.
func (p *Proxy) Reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.pairs {
		abort(c.in)
		abort(c.out)
	}
}

// Open is how many proxied connections are open now.
func (p *Proxy) Open() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.pairs)
}

// Accepted is how many connections were forwarded since the start.
func (p *Proxy) Accepted() int { return int(p.count.Load()) }

// Close closes every connection and waits for the proxy's goroutines.
// Idempotent.
func (p *Proxy) Close() {
	p.once.Do(func() {
		_ = p.ln.Close()
		p.mu.Lock()
		for c := range p.pairs {
			_ = c.in.Close()
			_ = c.out.Close()
		}
		p.mu.Unlock()
	})
	p.wg.Wait()
}

// abort closes c with a reset rather than a FIN.
func abort(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = c.Close()
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		in, err := p.ln.Accept()
		if err != nil {
			return
		}
		if p.refusing.Load() {
			abort(in)
			continue
		}
		out, err := net.Dial("tcp", p.target)
		if err != nil {
			abort(in)
			continue
		}
		c := &pair{in: in, out: out}
		p.mu.Lock()
		p.pairs[c] = struct{}{}
		p.mu.Unlock()
		p.count.Add(1)
		var ends sync.WaitGroup
		ends.Add(2)
		p.wg.Add(3)
		go func() { defer p.wg.Done(); defer ends.Done(); p.pipe(out, in) }()
		go func() { defer p.wg.Done(); defer ends.Done(); p.pipe(in, out) }()
		go func() {
			defer p.wg.Done()
			ends.Wait()
			p.mu.Lock()
			delete(p.pairs, c)
			p.mu.Unlock()
		}()
	}
}

// chunk is data read at one moment, due for writing at another.
type chunk struct {
	data []byte
	due  time.Time
}

// pipe copies src to dst through the faults; when src ends, it closes
// dst too, so the other direction ends, unless the path is frozen.
func (p *Proxy) pipe(dst, src net.Conn) {
	queue := make(chan chunk, 64)
	done := make(chan struct{})
	go func() { // the writer: waits out each chunk's latency and the cap
		defer close(done)
		timer := time.NewTimer(0)
		defer timer.Stop()
		for c := range queue {
			if wait := time.Until(c.due); wait > 0 {
				timer.Reset(wait)
				<-timer.C
			}
			if bw := p.bandwidth.Load(); bw > 0 {
				timer.Reset(time.Duration(int64(len(c.data)) * int64(time.Second) / bw))
				<-timer.C
			}
			if p.frozen.Load() {
				continue
			}
			if _, err := dst.Write(c.data); err != nil {
				_ = src.Close()
				for range queue { // drain until the reader stops
				}
				return
			}
		}
	}()
	for {
		buf := make([]byte, 16<<10)
		n, err := src.Read(buf)
		if n > 0 && !p.frozen.Load() {
			queue <- chunk{data: buf[:n], due: time.Now().Add(time.Duration(p.latency.Load()))}
		}
		if err != nil {
			break
		}
	}
	close(queue)
	<-done
	_ = src.Close()
	// A frozen path carries nothing, not even the end of a connection: the
	// other side finds out by its own timeout (or at Close).
	if !p.frozen.Load() {
		_ = dst.Close()
	}
}
