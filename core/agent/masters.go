package agent

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/lanyard/lanyard/core/human"
	"github.com/lanyard/lanyard/core/link"
	"github.com/lanyard/lanyard/core/store"
	"github.com/lanyard/lanyard/core/wire"
)

// MasterState is where the agent stands with one of its masters.
type MasterState string

// Master states, as the status shows them.
const (
	// MasterConnecting: dialing, with no failure since the last link.
	MasterConnecting MasterState = "connecting"
	// MasterConnected: linked.
	MasterConnected MasterState = "connected"
	// MasterOffline: not dialing (management is off), or failing in a way
	// that time may fix (the console is down, the network is out).
	MasterOffline MasterState = "offline"
	// MasterError: failing in a way a person must fix (password, SSL,
	// name, certificate).
	MasterError MasterState = "error"
)

// masterRun is the agent's live view of one master: one console, at one
// or more addresses. The agent's mu guards every field.
type masterRun struct {
	addrs  []string    // as stored, in the order given
	dialer *dialer     // nil when not dialing
	link   *link.Link  // the link its dialer made, while open
	via    string      // the address link came through
	state  MasterState // see the constants
	since  time.Time   // when state last changed
	// The last failure, kept after a later success so the status can say
	// what went wrong last.
	lastErr   string
	lastErrAt time.Time
	// lastGood is the address the last link came through, tried first
	// (stored, so it outlives a restart).
	lastGood string
	// addrErrs is why each address failed at its last try, in a few words,
	// for a console with several; an address that works again is dropped.
	addrErrs map[string]addressFailure
	nextTry  time.Time // when the next dial is due, after a failure
	// repeats keep a console that is down for a day from writing the
	// same failures to the log at every try (its state says it
	// meanwhile): the round's, by "", and each address's.
	repeats map[string]*store.Repeats
	// pin is the console's certificate fingerprint as the store keeps it:
	// pinned at the first link, or given by a person; "" trusts the next.
	// One console has one certificate, whichever address it answers at.
	pin string
	// kick cuts its dialer's wait short (masters retry, a settings change).
	kick chan struct{}
}

type addressFailure struct {
	brief string
	at    time.Time
}

func newMasterRun(m store.Master, now time.Time) *masterRun {
	return &masterRun{addrs: m.Addresses, lastGood: m.LastGood, pin: m.PinnedCert, state: MasterOffline, since: now,
		addrErrs: map[string]addressFailure{}}
}

// key is how the agent's masters map finds mr: its first address.
func (mr *masterRun) key() string { return masterKey(mr.addrs[0]) }

// spec is mr's addresses as the command line writes them.
func (mr *masterRun) spec() string { return MasterSpec(mr.addrs) }

// has reports whether addr is one of mr's addresses.
func (mr *masterRun) has(addr string) bool {
	return slices.ContainsFunc(mr.addrs, func(a string) bool { return masterKey(a) == masterKey(addr) })
}

// order is the addresses in the order a round tries them: the one that
// worked last first, then the rest as given.
func (mr *masterRun) order() []string {
	if mr.lastGood == "" || !mr.has(mr.lastGood) {
		return slices.Clone(mr.addrs)
	}
	out := []string{mr.lastGood}
	for _, a := range mr.addrs {
		if masterKey(a) != masterKey(mr.lastGood) {
			out = append(out, a)
		}
	}
	return out
}

// masterWithLocked is the master that has addr among its addresses, or
// nil. a.mu is held.
func (a *Agent) masterWithLocked(addr string) *masterRun {
	for _, mr := range a.masters {
		if mr.has(addr) {
			return mr
		}
	}
	return nil
}

// kickLocked has mr's dialer, if it waits, dial now. a.mu is held.
func (mr *masterRun) kickLocked() {
	if mr.kick != nil {
		select {
		case mr.kick <- struct{}{}:
		default:
		}
	}
}

// dialer is one run of a master's Redialer; a restart makes a new one, so
// callbacks from an old run recognise themselves as stale.
type dialer struct {
	cancel context.CancelFunc
}

func (mr *masterRun) setState(st MasterState, now time.Time) {
	if mr.state != st {
		mr.state, mr.since = st, now
	}
}

func (mr *masterRun) failed(reason string, now time.Time) {
	mr.lastErr, mr.lastErrAt = reason, now
}

// news reports whether a failure told apart by key, of the address addr
// or of the round (""), is news worth logging (store.Repeats).
func (mr *masterRun) news(addr, key string, now time.Time) bool {
	r := mr.repeats[addr]
	if r == nil {
		if mr.repeats == nil {
			mr.repeats = map[string]*store.Repeats{}
		}
		r = &store.Repeats{}
		mr.repeats[addr] = r
	}
	return r.News(key, now)
}

// linkClosed notes the end of the master's link.
func (mr *masterRun) linkClosed(err *link.Error) {
	now := time.Now()
	mr.link, mr.via = nil, ""
	if mr.dialer != nil {
		mr.setState(MasterConnecting, now)
	} else {
		mr.setState(MasterOffline, now)
	}
	// A close this agent decided (a setting changed, shutting down) is
	// not a failure; anything else is worth showing.
	if err.Remote || err.Code == wire.CodeTimeout || err.Code == wire.CodeProtocolError {
		reason := err.Reason
		if reason == "" {
			reason = err.Error()
		}
		if !err.Remote {
			reason = "the link closed: " + reason
		}
		mr.failed(reason, now) // a peer's reason says who closed it
	}
}

// masterKey is how masters are told apart: the host's case does not
// matter (as in the store).
func masterKey(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return strings.ToLower(addr)
	}
	return net.JoinHostPort(strings.ToLower(host), port)
}

// stateForFailure is the state a failed dial leaves a master in: error
// when a person must fix something, offline when time may fix it (the same
// rule the console applies to its slaves).
func stateForFailure(code wire.Code) MasterState {
	if code.NeedsPerson() {
		return MasterError
	}
	return MasterOffline
}

// startDialerLocked starts dialing mr unless it is dialed already or the
// agent is not running. a.mu is held.
func (a *Agent) startDialerLocked(mr *masterRun) {
	if a.closed || a.ctx == nil || mr.dialer != nil {
		return
	}
	ctx, cancel := context.WithCancel(a.ctx)
	r := a.newMasterDialLocked(mr, cancel).redialer()
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		defer cancel()
		r.Run(ctx)
	}()
}

// masterDial is one run of a master's dialer: what its Redialer's
// callbacks share. They all run on the Redialer's goroutine.
type masterDial struct {
	a       *Agent
	mr      *masterRun
	d       *dialer
	spec    string
	several bool // mr has more than one address
	// via is the address the last dial linked through; dial and onLink run
	// one after the other.
	via string
}

// newMasterDialLocked makes mr's dialer d and marks mr connecting.
// a.mu is held.
func (a *Agent) newMasterDialLocked(mr *masterRun, cancel context.CancelFunc) *masterDial {
	d := &dialer{cancel: cancel}
	mr.dialer = d
	mr.kick = make(chan struct{}, 1)
	mr.setState(MasterConnecting, time.Now())
	mr.nextTry = time.Time{}
	return &masterDial{a: a, mr: mr, d: d, spec: mr.spec(), several: len(mr.addrs) > 1}
}

// redialer is the Redialer that runs md. a.mu is held (it reads mr.kick).
func (md *masterDial) redialer() *link.Redialer {
	return &link.Redialer{
		Dial:      md.dial,
		Target:    md.target,
		OnAttempt: md.onAttempt,
		OnLink:    md.onLink,
		OnFailure: md.onFailure,
		OnLinkEnd: md.onLinkEnd,
		Kick:      md.mr.kick,
		Initial:   md.a.cfg.RedialInitial,
		Max:       md.a.cfg.RedialMax,
	}
}

// current reports, under a.mu, whether this run is still wanted.
func (md *masterDial) current() bool {
	a, mr := md.a, md.mr
	return mr.dialer == md.d && !a.closed && a.masters[mr.key()] == mr
}

// dial tries mr's addresses in turn, the one that worked last first.
func (md *masterDial) dial(ctx context.Context, t link.Target) (*link.Link, error) {
	a, mr := md.a, md.mr
	a.mu.Lock()
	order := mr.order()
	a.mu.Unlock()
	d := &link.Dialer{Identity: a.cfg.Identity, Options: a.linkOptions(), LocalAddr: a.cfg.DialFrom, Gate: a.cfg.DialGate}
	l, addr, err := d.DialAny(ctx, t, order, func(addr string, err error) {
		if md.several {
			a.addressFailed(mr, md.current, addr, err)
		}
	})
	md.via = addr
	return l, err
}

// target is who to dial as, or false when this run is no longer wanted
// or management is off.
func (md *masterDial) target() (link.Target, bool) {
	a, mr := md.a, md.mr
	a.mu.Lock()
	s, pin := a.settings, mr.pin
	ok := md.current() && s.Management
	a.mu.Unlock()
	if !ok {
		return link.Target{}, false
	}
	return link.Target{Name: s.Name, Key: s.key(), KDF: s.kdf(), PinnedCert: pin,
		TrustFix: "lanyard-agent masters trust " + mr.addrs[0]}, true
}

// onAttempt clears the next try's time: a try is under way.
func (md *masterDial) onAttempt(int) {
	md.a.mu.Lock()
	if md.current() {
		md.mr.nextTry = time.Time{}
	}
	md.a.mu.Unlock()
}

// onLink takes on the link the last dial made.
func (md *masterDial) onLink(l *link.Link) bool {
	return md.a.adoptDialed(md.mr, md.current, l, md.via)
}

// onFailure notes a failed round on mr and records it.
func (md *masterDial) onFailure(err error, retryIn time.Duration) {
	a, mr := md.a, md.mr
	code := link.DialCode(err)
	now := time.Now()
	news := false
	a.mu.Lock()
	if md.current() {
		mr.setState(stateForFailure(code), now)
		mr.failed(reasonOf(err), now)
		mr.nextTry = now.Add(retryIn)
		news = mr.news("", string(code)+"\x00"+reasonOf(err), now)
	}
	a.mu.Unlock()
	if !news {
		return // logged already, less than store.RepeatQuiet ago
	}
	// A console that is busy linking others, or holding this
	// address back for a while, asks for a later try: offline,
	// retrying, nothing for a person to fix here.
	severity := store.SeverityWarning
	if code == wire.CodeRateLimited {
		severity = store.SeverityInfo
	}
	a.record(md.spec, string(code), severity, fmt.Sprintf("%s (next try in %s)", reasonOf(err), human.Typed(retryIn)))
}

// onLinkEnd notes when the next try is due after mr's link ended.
func (md *masterDial) onLinkEnd(_ error, retryIn time.Duration) {
	md.a.mu.Lock()
	if md.current() {
		md.mr.nextTry = time.Now().Add(retryIn)
	}
	md.a.mu.Unlock()
}

// addressFailed notes why one address of a console with several failed,
// and logs it with the whole reason: the round goes on to the next
// address at once.
func (a *Agent) addressFailed(mr *masterRun, current func() bool, addr string, err error) {
	now := time.Now()
	code := link.DialCode(err)
	news := false
	a.mu.Lock()
	if current() {
		mr.addrErrs[addr] = addressFailure{brief: link.Brief(err), at: now}
		news = mr.news(addr, string(code)+"\x00"+reasonOf(err), now)
	}
	a.mu.Unlock()
	if !news {
		return
	}
	a.record(addr, string(code), store.SeverityWarning, fmt.Sprintf("%s: %s", addr, reasonOf(err)))
}

// stopDialerLocked stops mr's dialer, if any; its open link stays open.
// a.mu is held.
func (a *Agent) stopDialerLocked(mr *masterRun) bool {
	if mr.dialer == nil {
		return false
	}
	mr.dialer.cancel()
	mr.dialer, mr.kick = nil, nil
	return true
}

// adoptDialed takes on a link mr's dialer made through the address via,
// unless that dialer was stopped or restarted meanwhile.
func (a *Agent) adoptDialed(mr *masterRun, current func() bool, l *link.Link, via string) bool {
	a.mu.Lock()
	ok := current()
	pinNow := ok && mr.pin == "" && l.Peer().Fingerprint != ""
	remember := ok && via != "" && masterKey(via) != masterKey(mr.lastGood)
	a.mu.Unlock()
	if pinNow || remember {
		// Trust on first use: the certificate that proved the password is
		// pinned, and checked before every later proof. The address that
		// worked is tried first next time, after a restart too.
		fp := l.Peer().Fingerprint
		var err error
		if !a.inMemory() {
			err = a.cfg.DB.UpdateMaster(mr.addrs[0], func(m *store.Master) error {
				if pinNow && m.PinnedCert == "" {
					m.PinnedCert = fp
				}
				if remember {
					m.LastGood = via
				}
				return nil
			})
		}
		if err == nil {
			a.mu.Lock()
			if pinNow && mr.pin == "" {
				mr.pin = fp
			}
			if remember {
				mr.lastGood = via
			}
			a.mu.Unlock()
		} else {
			a.log.WithError(err).Warn("could not save the console's certificate or the address that worked")
		}
	}
	a.mu.Lock()
	var refuse *link.Error
	switch {
	case a.closed:
		refuse = &link.Error{Code: wire.CodeShuttingDown, Reason: "the agent is shutting down"}
	case !current():
		refuse = &link.Error{Code: wire.CodeNormal, Reason: "the agent's settings changed while linking; it will link again if this console is still among its masters"}
	case !a.settings.Management:
		refuse = &link.Error{Code: wire.CodeManagementDisabled, Reason: managementOffReason}
	default:
		a.links[l] = mr
		mr.link, mr.via = l, via
		delete(mr.addrErrs, via)
		mr.setState(MasterConnected, l.Since())
		mr.nextTry = time.Time{}
		mr.repeats = nil
		l.Start(a, &a.wg) // under mu: see adopt
	}
	several := len(mr.addrs) > 1
	a.mu.Unlock()
	if refuse != nil {
		l.CloseWith(refuse)
		return false
	}
	if several {
		a.recordLinkedVia(l, via)
	} else {
		a.recordLinked(l)
	}
	return true
}
