package link

import (
	"time"

	"github.com/lanyard/lanyard/core/address"
)

// Defaults, DESIGN §2.
const (
	DefaultPort             = address.DefaultPort // the one definition lives with the address parsers
	DefaultHeartbeat        = 15 * time.Second
	DefaultDeadAfter        = 45 * time.Second
	DefaultHandshakeTimeout = 10 * time.Second
	// DefaultHelloTimeout bounds the wait for a connection's first byte and
	// its hello (TLS included): a stranger holding sockets open idle gives
	// its handshake slots back within it.
	DefaultHelloTimeout = 2 * time.Second
	// DefaultMaxHandshakes bounds handshakes in progress on one listener, so
	// a reconnect storm queues instead of starving every handshake of CPU.
	DefaultMaxHandshakes = 64
	// DefaultMaxPerSource bounds one address's share of them (an IPv6 /64
	// counts as one address), well below DefaultMaxHandshakes, so no single
	// address can fill every slot.
	DefaultMaxPerSource = 8
	// DefaultMaxInFlight bounds the requests a link serves at once; more are
	// answered "busy".
	DefaultMaxInFlight = 32
)

// Options tune a dialer or listener. Zero values take the defaults.
type Options struct {
	// SSL runs every link inside TLS 1.3. Both ends must agree.
	SSL bool
	// Heartbeat is how often an idle link is pinged. The acceptor's value
	// is adopted by the dialer.
	Heartbeat time.Duration
	// DeadAfter is the silence after which a link is declared dead.
	DeadAfter time.Duration
	// HandshakeTimeout bounds the whole handshake, TCP connect included.
	HandshakeTimeout time.Duration
	// HelloTimeout bounds, on a listener, the wait for the first byte and
	// the peer's hello, TLS included; never more than HandshakeTimeout.
	HelloTimeout time.Duration
	// MaxHandshakes bounds concurrent handshakes on a listener.
	MaxHandshakes int
	// MaxPerSource bounds concurrent handshakes from one address.
	MaxPerSource int
	// MaxInFlight bounds the requests one link serves at once.
	MaxInFlight int
}

func (o Options) withDefaults() Options {
	if o.Heartbeat <= 0 {
		o.Heartbeat = DefaultHeartbeat
	}
	// A link must survive at least one lost ping.
	if o.DeadAfter < 2*o.Heartbeat {
		o.DeadAfter = 3 * o.Heartbeat
	}
	if o.HandshakeTimeout <= 0 {
		o.HandshakeTimeout = DefaultHandshakeTimeout
	}
	if o.HelloTimeout <= 0 {
		o.HelloTimeout = DefaultHelloTimeout
	}
	o.HelloTimeout = min(o.HelloTimeout, o.HandshakeTimeout)
	if o.MaxHandshakes <= 0 {
		o.MaxHandshakes = DefaultMaxHandshakes
	}
	if o.MaxPerSource <= 0 {
		o.MaxPerSource = DefaultMaxPerSource
	}
	o.MaxPerSource = min(o.MaxPerSource, o.MaxHandshakes)
	if o.MaxInFlight <= 0 {
		o.MaxInFlight = DefaultMaxInFlight
	}
	return o
}
