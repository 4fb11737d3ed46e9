package link

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/lanyard/lanyard/core/wire"
)

// Admission bound by CPU (see Listener): a handshake slot is taken when the
// peer's first message is in, held while the handshake works, and a
// connection that finds none free within SlotWait is told to come back.

// ErrBusy is the cause (errors.Is) of a refusal for load: no handshake
// slot came free in time. The peer did nothing wrong and was told when to
// retry.
var ErrBusy = errors.New("every handshake slot is busy")

// maxClientHello bounds the first TLS record read before a slot is taken:
// a record is at most 16 KiB (RFC 8446 §5.1) plus its header.
const maxClientHello = 5 + 16<<10

// readClientHello reads the first TLS record (the ClientHello) whose first
// byte was read already, and returns the record, to be replayed to
// crypto/tls.
func readClientHello(s *shake, first byte) ([]byte, error) {
	head := make([]byte, 5, 5+2<<10)
	head[0] = first
	if _, err := io.ReadFull(s.raw, head[1:]); err != nil {
		return nil, handshakeReadError(err, s.remote, "TLS hello")
	}
	n := int(binary.BigEndian.Uint16(head[3:5]))
	if 5+n > maxClientHello {
		return nil, &Error{Code: wire.CodeProtocolError, Reason: fmt.Sprintf("%s sent a TLS record of %d bytes, larger than TLS allows", s.remote, n)}
	}
	head = append(head, make([]byte, n)...)
	if _, err := io.ReadFull(s.raw, head[5:]); err != nil {
		return nil, handshakeReadError(err, s.remote, "TLS hello")
	}
	return head, nil
}

// takeSlot waits up to SlotWait for a handshake slot. None free: the peer
// is turned away with rate_limited and a jittered retry-after, in plain
// bytes (our magic, a close frame) that a TLS dialer and a plain one both
// read (Dialer.tlsError).
func (l *Listener) takeSlot(s *shake) error {
	wait := time.NewTimer(l.opts.SlotWait)
	defer wait.Stop()
	select {
	case l.sem <- struct{}{}:
		s.slot = l.sem
		l.load.granted()
		return nil
	case <-wait.C:
	case <-l.quit:
		return &Error{Code: wire.CodeShuttingDown, Reason: "shutting down"}
	}
	retry := l.load.refused()
	e := &Error{Code: wire.CodeRateLimited, RetryAfter: retry, Err: ErrBusy,
		PeerReason: fmt.Sprintf("busy linking others; try again in %s", retry.Round(100*time.Millisecond)),
		Reason:     fmt.Sprintf("%s was asked to come back in %s: every handshake slot was busy", s.remote, retry.Round(100*time.Millisecond))}
	writeClose(s.raw, true, e.Code, e.PeerReason, e.RetryAfter)
	return e
}

// giveSlotBack frees the handshake's slot, if it took one.
func (s *shake) giveSlotBack() {
	if s.slot != nil {
		<-s.slot
		s.slot = nil
	}
}

// loadMeter counts, per second, the slots granted and the connections
// turned away, to spread the turned-away ones over the backlog they make.
type loadMeter struct {
	mu                    sync.Mutex
	second                int64 // unix second the counts below are for
	grants, refusals      int
	lastGrants, lastRefus int // the previous second's
}

func (m *loadMeter) roll(now time.Time) {
	sec := now.Unix()
	if sec == m.second {
		return
	}
	if sec == m.second+1 {
		m.lastGrants, m.lastRefus = m.grants, m.refusals
	} else {
		m.lastGrants, m.lastRefus = 0, 0
	}
	m.second, m.grants, m.refusals = sec, 0, 0
}

func (m *loadMeter) granted() {
	m.mu.Lock()
	m.roll(time.Now())
	m.grants++
	m.mu.Unlock()
}

// refused counts a connection turned away and says when it should come
// back: at a random moment within the time the listener needs to serve
// the ones turned away before it, at the rate it serves them now (at least
// minRetry, at most maxRetry), so the storm comes back spread out.
func (m *loadMeter) refused() time.Duration {
	m.mu.Lock()
	m.roll(time.Now())
	m.refusals++
	rate := max(m.grants, m.lastGrants, 1)
	backlog := max(m.refusals, m.lastRefus)
	m.mu.Unlock()
	spread := time.Duration(float64(time.Second) * float64(backlog) / float64(rate))
	spread = min(max(spread, minRetrySpread), maxRetry-minRetry)
	return minRetry + rand.N(spread)
}

// Bounds on the retry-after given for load. The rate a restarting
// console serves at is underestimated in its first seconds (few granted
// yet, many turned away), so the spread would push agents far beyond the
// moment it could take them; a turned-away connection costs the console
// little (no cryptography), so ten seconds is the most it asks, and one
// that comes back too early is simply told again.
const (
	minRetry       = time.Second
	minRetrySpread = time.Second
	maxRetry       = 10 * time.Second
)
