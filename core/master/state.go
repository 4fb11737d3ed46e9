package master

import (
	"context"
	"slices"
	"time"

	"github.com/lanyard/lanyard/core/address"
	"github.com/lanyard/lanyard/core/human"
	"github.com/lanyard/lanyard/core/link"
	"github.com/lanyard/lanyard/core/store"
	"github.com/lanyard/lanyard/core/wire"
	"github.com/lanyard/lanyard/core/wire/pb"
)

// State is where a slave's link stands.
type State string

// Slave states, as the server tree shows them.
const (
	StateOffline    State = "offline"    // no link; an inbound slave waiting to dial in
	StateConnecting State = "connecting" // dialing or handshaking
	StateConnected  State = "connected"
	StateError      State = "error"    // the last attempt failed for a reason the user must fix
	StateDisabled   State = "disabled" // the user disconnected it
)

// slave is the runtime state of one entry. Guarded by Master.mu. Its
// state changes only through the transitions below.
type slave struct {
	entry    store.Slave
	state    State
	changed  time.Time
	link     *link.Link
	lastCode string
	lastErr  string
	status   *pb.StatusResponse
	skew     time.Duration // the agent's clock minus this console's (remote.go)
	// seen is when the console last had a link with it (lastseen.go);
	// zero: never.
	seen time.Time
	// retrying: a dial after a failed one is under way, and the state
	// stays the failure's (see connecting).
	retrying bool
	// failedDial: the last dial failed, and none has linked since.
	failedDial bool
	// ghostBoots are the boot IDs of the last few links replaced by a
	// link of the same installation from another boot, taken for ghosts
	// of an agent that restarted (admission.go): one that comes back is
	// a second running copy of the installation.
	ghostBoots []string
	// rival is the last refusal of another agent claiming the slave
	// (rivalRefused); zero: none.
	rival Rival

	changingKey int // password changes under way (ChangePassword)

	stopDial context.CancelFunc
	kick     chan struct{}

	// The last failure logged, to keep a slave that is down for a day from
	// writing the same line every minute.
	repeats store.Repeats
}

func newSlave(e store.Slave, now time.Time) *slave {
	s := &slave{entry: e, state: StateOffline, changed: now, seen: e.LastSeen, ghostBoots: slices.Clone(e.GhostBoots)}
	if !e.LastSeen.IsZero() && e.LastSeen.Before(now) {
		s.changed = e.LastSeen // offline since it was last seen
	}
	if e.Disabled {
		s.state = StateDisabled
	}
	return s
}

func (s *slave) set(st State, now time.Time) {
	s.state, s.changed = st, now
}

// connecting: a dial has started. A first one, or one after a link ended,
// makes the slave connecting. A retry after a failed dial leaves it in the
// failure's state, offline or error, and only notes the retry: a server
// that is down stays offline while it is tried every minute, rather than
// flickering to connecting and back. It reports whether the dial is news
// worth logging: connecting again after a failure is not, the failure was.
func (s *slave) connecting(now time.Time) (news bool) {
	if s.failedDial {
		s.retrying = true
	} else {
		s.set(StateConnecting, now)
	}
	return !s.repeats.Quiet(now)
}

// linked: l is the slave's link now.
func (s *slave) linked(l *link.Link, now time.Time) {
	s.link, s.seen = l, now
	s.set(StateConnected, now)
	s.lastCode, s.lastErr = "", ""
	s.failedDial, s.retrying = false, false
	s.repeats.Reset()
	s.status = nil
}

// failed: an attempt to link failed with code. It reports whether the
// failure is news worth logging: the same failure is logged once per
// store.RepeatQuiet.
func (s *slave) failed(code wire.Code, reason string, now time.Time) (news bool) {
	s.fail(code, reason, now)
	return s.news(string(code)+"\x00"+reason, now)
}

// fail sets the state an attempt that failed with code leaves.
func (s *slave) fail(code wire.Code, reason string, now time.Time) {
	if !s.retrying || s.state != stateFor(code) {
		s.set(stateFor(code), now) // a retry failing the same way changes nothing
	}
	s.lastCode, s.lastErr = string(code), reason
	s.failedDial, s.retrying = true, false
}

// news says whether a failure told apart by key is news worth logging:
// the same key is logged once per store.RepeatQuiet.
func (s *slave) news(key string, now time.Time) bool { return s.repeats.News(key, now) }

// rivalRefused: another agent claiming the slave's name, from, was
// refused (secondInstall, sharedInstall). The slave remembers it as its
// rival while it keeps dialing (Rival.Current); a linked slave stays
// linked, an unlinked one has failed. It reports whether the refusal is
// news worth logging: a rival that keeps dialing from one host is logged
// once per store.RepeatQuiet, not at every try.
func (s *slave) rivalRefused(e *link.Error, from string, now time.Time) (news bool) {
	if s.link == nil {
		s.fail(e.Code, e.Reason, now)
	}
	host, _ := address.Split(from)
	s.rival = Rival{Code: string(e.Code), Reason: e.Reason, From: host, At: now}
	return s.news(string(e.Code)+"\x00"+host, now)
}

// Rival is the last refusal of another agent claiming a slave's name: a
// second installation under it (duplicate_install) or a running copy of
// its own installation (shared_install, a cloned server).
type Rival struct {
	Code   string
	Reason string
	From   string    // the rival's host
	At     time.Time // when it was last refused; zero: never
}

// RivalFresh is how long after its last refusal a rival may still be
// dialing: an agent redials at least every link.LongestRedialWait, so
// one that missed two tries has stopped (it was given an identity of its
// own, or switched off).
var RivalFresh = 2 * link.LongestRedialWait(link.RedialMax)

// Current reports whether the rival may still be dialing at now, and so
// still needs a person.
func (r Rival) Current(now time.Time) bool {
	return !r.At.IsZero() && now.Sub(r.At) < RivalFresh
}

// Line is the rival in a few words, for a list of what needs a look (the
// window's summary, lanyard check): "a copy of this server at 192.0.2.7,
// refused 14:03:07 (40 s ago)".
func (r Rival) Line(now time.Time) string {
	who := "another installation claiming its name"
	if wire.Code(r.Code) == wire.CodeSharedInstall {
		who = "a copy of this server"
	}
	return who + " at " + r.From + ", refused " + human.Ago(r.At, now)
}

// closed: the slave's link ended with code.
func (s *slave) closed(code wire.Code, reason string, now time.Time) {
	s.link, s.seen = nil, now
	s.failedDial, s.retrying = false, false
	switch {
	case s.entry.Disabled:
		s.set(StateDisabled, now)
	default:
		s.set(stateFor(code), now)
	}
	s.lastCode, s.lastErr = string(code), reason
}

// disabled: the user disconnected the slave; it returns its link, if any,
// for the caller to close, and stops dialing.
func (s *slave) disabled(now time.Time) *link.Link {
	s.entry.Disabled = true
	s.stopDialing()
	s.failedDial, s.retrying = false, false
	l := s.link
	if l != nil {
		s.link, s.seen = nil, now
	}
	s.set(StateDisabled, now)
	return l
}

// enabled: the user connected a disconnected slave again.
func (s *slave) enabled(now time.Time) {
	s.entry.Disabled = false
	if s.state == StateDisabled {
		s.set(StateOffline, now)
	}
}

// removed: the entry is gone; it returns its link, if any, for the caller
// to close, and stops dialing.
func (s *slave) removed() *link.Link {
	s.stopDialing()
	l := s.link
	s.link = nil
	return l
}

// stopDialing ends the slave's redialer, if it has one.
func (s *slave) stopDialing() {
	if s.stopDial != nil {
		s.stopDial()
		s.stopDial, s.kick = nil, nil
	}
}

// kickDialer makes the slave's redialer try now rather than after its
// backoff. The user asked for it, so that try shows as connecting.
func (s *slave) kickDialer() {
	s.failedDial = false
	if s.kick != nil {
		select {
		case s.kick <- struct{}{}:
		default:
		}
	}
}

// stateFor is the state a failure leaves a slave in: error when the user
// must fix something, offline when time may fix it.
func stateFor(code wire.Code) State {
	if code.NeedsPerson() {
		return StateError
	}
	return StateOffline
}

// severityFor is how much a failure or close with code matters.
func severityFor(code wire.Code) store.Severity {
	switch {
	case code.NeedsPerson():
		return store.SeverityError
	case code == wire.CodeShuttingDown, code == wire.CodeNormal:
		return store.SeverityInfo
	}
	return store.SeverityWarning
}
