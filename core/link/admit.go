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

// readClientHello reads the rest of the first TLS record (the
// ClientHello), of which got holds the start (the listener's first read,
// most often the whole record), and returns all that was read, to be
// replayed to crypto/tls.
func readClientHello(s *shake, got []byte) ([]byte, error) {
	head, err := readAtLeast(s, got, 5)
	if err != nil {
		return nil, err
	}
	n := int(binary.BigEndian.Uint16(head[3:5]))
	if 5+n > maxClientHello {
		return nil, &Error{Code: wire.CodeProtocolError, Reason: fmt.Sprintf("%s sent a TLS record of %d bytes, larger than TLS allows", s.remote, n)}
	}
	return readAtLeast(s, head, 5+n)
}

// readAtLeast reads on after got until it holds at least n bytes.
func readAtLeast(s *shake, got []byte, n int) ([]byte, error) {
	have := len(got)
	if have >= n {
		return got, nil
	}
	got = append(got, make([]byte, n-have)...)
	if _, err := io.ReadFull(s.raw, got[have:]); err != nil {
		return nil, handshakeReadError(err, s.remote, "TLS hello")
	}
	return got, nil
}

// takeSlot waits up to SlotWait for a handshake slot. None free: the peer
// is turned away (turnAway).
func (l *Listener) takeSlot(s *shake) error {
	wait := time.NewTimer(l.opts.SlotWait)
	defer wait.Stop()
	select {
	case l.sem <- struct{}{}:
		s.slot, s.slotAt, s.load = l.sem, time.Now(), &l.load
		return nil
	case <-wait.C:
	case <-l.quit:
		return &Error{Code: wire.CodeShuttingDown, Reason: "shutting down"}
	}
	return l.turnAway(s, "every handshake slot was busy")
}

// turnAway tells the peer, for load, to come back at the moment the
// listener's schedule gives it: rate_limited with that retry-after, in
// plain bytes (our magic, a close frame) that a TLS dialer and a plain one
// both read (Dialer.tlsError). The error it returns wraps ErrBusy: the
// refusal is counted, not held against the address.
func (l *Listener) turnAway(s *shake, why string) *Error {
	retry := l.load.refused(time.Now())
	in := retry.Round(100 * time.Millisecond)
	e := &Error{Code: wire.CodeRateLimited, RetryAfter: retry, Err: ErrBusy,
		PeerReason: fmt.Sprintf("busy linking others; try again in %s", in),
		Reason:     fmt.Sprintf("%s was asked to come back in %s: %s", s.remote, in, why)}
	writeClose(s.raw, true, e.Code, e.PeerReason, e.RetryAfter)
	return e
}

// giveSlotBack frees the handshake's slot, if it took one, and tells the
// meter how long it was held.
func (s *shake) giveSlotBack() {
	if s.slot != nil {
		s.load.released(time.Since(s.slotAt))
		<-s.slot
		s.slot = nil
	}
}

// loadMeter keeps the schedule a listener turns connections away by, so
// that a storm comes back spread over the time the listener needs to serve
// it, each one at a moment of its own:
//
//   - its rate is how many handshakes it completes a second with every
//     slot busy: the slots over the time a slot is held (Little's law),
//     the time averaged over the handshakes that held one lately. It
//     is known within a handshake's time of the first slot being taken,
//     where a count of handshakes per second would take seconds to learn
//     and would underestimate a listener that has just started;
//   - due is when the last connection turned away was told to come back.
//     The next one is told to come back 1/rate later (not before minRetry
//     from now), within a jitter of that step: n turned away come back
//     over n/rate seconds, the backlog spread at the rate it is served.
//
// One told to come back too early finds the slots busy and is told again,
// later in the schedule; the retry-after is capped at maxRetry.
type loadMeter struct {
	mu    sync.Mutex
	slots int
	hold  time.Duration // the time a slot is held, moving average
	due   time.Time     // the last retry given, as a moment
	// busyUntil: until then the listener counts as loaded (busy).
	busyUntil time.Time
}

// Schedule tuning. A moving average over the last holdWindow handshakes
// or so; a listener that has served none yet assumes initialHold. A
// listener counts as loaded for loadedFor after it last turned one away.
const (
	holdWindow  = 64
	initialHold = 50 * time.Millisecond
	loadedFor   = 5 * time.Second
	minRetry    = time.Second
	maxRetry    = 30 * time.Second
)

func newLoadMeter(slots int) loadMeter { return loadMeter{slots: max(slots, 1), hold: initialHold} }

// released notes that a slot was held for d.
func (m *loadMeter) released(d time.Duration) {
	m.mu.Lock()
	m.hold += (d - m.hold) / holdWindow
	m.hold = max(m.hold, time.Microsecond)
	m.mu.Unlock()
}

// step is the time between two handshakes served with every slot busy.
func (m *loadMeter) step() time.Duration { return max(m.hold/time.Duration(m.slots), time.Microsecond) }

// refused counts a connection turned away at now and returns when it
// should come back: its own moment in the schedule.
func (m *loadMeter) refused(now time.Time) time.Duration {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.busyUntil = now.Add(loadedFor)
	step := m.step()
	at := m.due
	if earliest := now.Add(minRetry); at.Before(earliest) {
		at = earliest
	}
	if limit := now.Add(maxRetry); at.Add(step).After(limit) {
		// Beyond the cap: come back at the cap, spread over a second, and
		// be scheduled again then.
		return maxRetry - time.Second + rand.N(time.Second)
	}
	m.due = at.Add(step)
	return at.Sub(now) + rand.N(step)
}

// loaded says whether the listener turned a connection away for load
// lately.
func (m *loadMeter) loaded(now time.Time) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return now.Before(m.busyUntil)
}
