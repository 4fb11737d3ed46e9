package link

import (
	"runtime"
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
	// SlotsPerCore sizes a listener's handshake slots by default. A slot is
	// taken only once the peer's hello is in, and a handshake holds it for
	// three or four round trips to the peer while it uses about a
	// millisecond of CPU: the slots must cover the waits for every core to
	// stay busy. With 16 a core, a console relinking 5,000 simulated
	// agents turned away 40 % of the connections it saw (each one's
	// ClientHello made for nothing) while its CPU was not saturated; with
	// 64, 16 %. 64 a core still bound a storm's handshakes in progress to
	// a few megabytes.
	SlotsPerCore = 64
	// DefaultSlotWait is how long a connection whose hello is in waits for
	// a handshake slot before it is told to come back later.
	DefaultSlotWait = time.Second
	// DefaultMaxPerSource bounds one address's connections in the
	// handshake (an IPv6 /64 counts as one address), well below the slots,
	// so no single address can fill them all.
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
	// MaxHandshakes bounds concurrent handshakes on a listener; default
	// SlotsPerCore per core.
	MaxHandshakes int
	// SlotWait is how long a handshake waits for a slot; default
	// DefaultSlotWait.
	SlotWait time.Duration
	// MaxPerSource bounds concurrent handshakes from one address.
	MaxPerSource int
	// MaxInFlight bounds the requests one link serves at once.
	MaxInFlight int

	// earlyProofOff makes this end behave as one from before early
	// proofs (handshake.go): the tests of the handshake with such a peer.
	earlyProofOff bool
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
		o.MaxHandshakes = SlotsPerCore * runtime.GOMAXPROCS(0)
	}
	if o.SlotWait <= 0 {
		o.SlotWait = DefaultSlotWait
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
