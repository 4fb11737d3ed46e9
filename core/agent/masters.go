package agent

import (
	"context"
	"fmt"
	"net"
	"strings"
	"time"

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

// masterRun is the agent's live view of one master. The agent's mu guards
// every field.
type masterRun struct {
	addr   string
	dialer *dialer     // nil when not dialing
	link   *link.Link  // the link its dialer made, while open
	state  MasterState // see the constants
	since  time.Time   // when state last changed
	// The last failure, kept after a later success so the status can say
	// what went wrong last.
	lastErr   string
	lastErrAt time.Time
	nextTry   time.Time // when the next dial is due, after a failure
	// pin is the console's certificate fingerprint as the store keeps it:
	// pinned at the first link, or given by a person; "" trusts the next.
	pin string
	// kick cuts its dialer's wait short (masters retry, a settings change).
	kick chan struct{}
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

// linkClosed notes the end of the master's link.
func (mr *masterRun) linkClosed(err *link.Error) {
	now := time.Now()
	mr.link = nil
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
	d := &dialer{cancel: cancel}
	mr.dialer = d
	mr.kick = make(chan struct{}, 1)
	mr.setState(MasterConnecting, time.Now())
	mr.nextTry = time.Time{}
	addr := mr.addr
	// current reports, under a.mu, whether this run is still wanted.
	current := func() bool { return mr.dialer == d && !a.closed && a.masters[masterKey(addr)] == mr }
	r := &link.Redialer{
		Dial: func(ctx context.Context, t link.Target) (*link.Link, error) {
			d := &link.Dialer{Identity: a.cfg.Identity, Options: a.linkOptions(), LocalAddr: a.cfg.DialFrom}
			return d.Dial(ctx, t)
		},
		Target: func() (link.Target, bool) {
			a.mu.Lock()
			s, pin := a.settings, mr.pin
			ok := current() && s.Management
			a.mu.Unlock()
			if !ok {
				return link.Target{}, false
			}
			return link.Target{Address: addr, Name: s.Name, Key: s.key(), KDF: s.kdf(), PinnedCert: pin,
				TrustFix: "lanyard-agent masters trust " + addr}, true
		},
		OnAttempt: func(int) {
			a.mu.Lock()
			if current() {
				mr.nextTry = time.Time{}
			}
			a.mu.Unlock()
		},
		OnLink: func(l *link.Link) bool { return a.adoptDialed(mr, current, l) },
		OnFailure: func(err error, retryIn time.Duration) {
			code := link.CodeOf(err)
			if code == "" {
				code = wire.CodeDialFailed
			}
			now := time.Now()
			a.mu.Lock()
			if current() {
				mr.setState(stateForFailure(code), now)
				mr.failed(reasonOf(err), now)
				mr.nextTry = now.Add(retryIn)
			}
			a.mu.Unlock()
			// A console that is busy linking others, or holding this
			// address back for a while, asks for a later try: offline,
			// retrying, nothing for a person to fix here.
			severity := store.SeverityWarning
			if code == wire.CodeRateLimited {
				severity = store.SeverityInfo
			}
			a.record(addr, string(code), severity, fmt.Sprintf("%s (next try in %s)", reasonOf(err), retryIn.Round(time.Second)))
		},
		OnLinkEnd: func(_ error, retryIn time.Duration) {
			a.mu.Lock()
			if current() {
				mr.nextTry = time.Now().Add(retryIn)
			}
			a.mu.Unlock()
		},
		Kick:    mr.kick,
		Initial: a.cfg.RedialInitial,
		Max:     a.cfg.RedialMax,
	}
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		defer cancel()
		r.Run(ctx)
	}()
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

// adoptDialed takes on a link mr's dialer made, unless that dialer was
// stopped or restarted meanwhile.
func (a *Agent) adoptDialed(mr *masterRun, current func() bool, l *link.Link) bool {
	a.mu.Lock()
	ok := current() && mr.pin == ""
	a.mu.Unlock()
	if fp := l.Peer().Fingerprint; ok && fp != "" {
		// Trust on first use: the certificate that proved the password is
		// pinned, and checked before every later proof.
		var err error
		if !a.inMemory() {
			err = a.cfg.DB.UpdateMaster(mr.addr, func(m *store.Master) error {
				if m.PinnedCert == "" {
					m.PinnedCert = fp
				}
				return nil
			})
		}
		if err == nil {
			a.mu.Lock()
			if mr.pin == "" {
				mr.pin = fp
			}
			a.mu.Unlock()
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
		mr.link = l
		mr.setState(MasterConnected, l.Since())
		mr.nextTry = time.Time{}
		l.Start(a, &a.wg) // under mu: see adopt
	}
	a.mu.Unlock()
	if refuse != nil {
		l.CloseWith(refuse)
		return false
	}
	a.recordLinked(l)
	return true
}
