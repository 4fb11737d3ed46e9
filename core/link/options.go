package link

import "time"

// Defaults, DESIGN §2.
const (
	DefaultPort             = 16888
	DefaultHeartbeat        = 15 * time.Second
	DefaultDeadAfter        = 45 * time.Second
	DefaultHandshakeTimeout = 10 * time.Second
	// DefaultMaxHandshakes bounds handshakes in progress on one listener, so
	// a reconnect storm queues instead of starving every handshake of CPU.
	DefaultMaxHandshakes = 64
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
	// MaxHandshakes bounds concurrent handshakes on a listener.
	MaxHandshakes int
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
	if o.MaxHandshakes <= 0 {
		o.MaxHandshakes = DefaultMaxHandshakes
	}
	return o
}
