package agent

import (
	"cmp"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/lanyard/lanyard/core/auth"
	"github.com/lanyard/lanyard/core/human"
	"github.com/lanyard/lanyard/core/link"
	"github.com/lanyard/lanyard/core/store"
	"github.com/lanyard/lanyard/core/wire"
)

// Runtime reconfiguration. Each change is validated, persisted and only
// then applied, under cfgMu so that changes never interleave; a change
// that cannot be applied is undone in the store, so a failure leaves the
// settings and the running agent as they were. Each returns the list of
// what changed, in plain words; an empty list means there was nothing to
// change.

var (
	errShuttingDown = errors.New("the agent is shutting down")
	errNotStarted   = errors.New("the agent is not running")
	errInMemory     = errors.New("this agent runs in memory (a simulated agent): its settings cannot be changed")
)

const managementOffReason = "remote management was turned off on this agent"

const removedReason = "this console was removed from the agent's masters list"

// beginChange takes cfgMu for one change of a running agent.
func (a *Agent) beginChange() (done func(), err error) {
	a.cfgMu.Lock()
	a.mu.Lock()
	closed, started := a.closed, a.ctx != nil
	a.mu.Unlock()
	switch {
	case closed:
		err = errShuttingDown
	case !started:
		err = errNotStarted
	case a.inMemory():
		err = errInMemory
	}
	if err != nil {
		a.cfgMu.Unlock()
		return nil, err
	}
	return a.cfgMu.Unlock, nil
}

// SetListen moves the listener to addr (host:port), or stops it ("" or
// "off"). The new address is bound before the old one is let go, so a
// port that cannot be bound leaves the agent listening where it was; only
// when the new address shares the old one's port is the old listener
// closed first. Consoles already linked stay linked.
func (a *Agent) SetListen(addr string) ([]string, error) {
	norm, err := parseListen(addr)
	if err != nil {
		return nil, err
	}
	done, err := a.beginChange()
	if err != nil {
		return nil, err
	}
	defer done()
	a.mu.Lock()
	cur, old := a.settings, a.listener
	a.mu.Unlock()
	if norm == cur.Listen && (norm == "" || old != nil) {
		return []string{}, nil
	}

	var ln *link.Listener
	inPlace := false // the new address needs the old one's port
	if norm != "" {
		ln, err = a.listen(norm, cur)
		if err != nil {
			if old == nil || !errors.Is(err, syscall.EADDRINUSE) || !link.SamePort(old.Addr(), norm) {
				return nil, err
			}
			inPlace = true
		}
	}
	before, after, err := setListen(a.cfg.DB, norm)
	if err != nil {
		if ln != nil {
			_ = ln.Close()
		}
		return nil, err
	}
	if inPlace {
		a.mu.Lock()
		a.listener = nil
		a.mu.Unlock()
		_ = old.Close()
		if ln, err = a.listenAgain(norm, after); err != nil {
			rerr := a.cfg.DB.PutSettings(settingsKey, before)
			back, berr := a.listenAgain(rebindAddr(before.Listen, old.Addr()), before)
			a.mu.Lock()
			a.listener = back
			if berr != nil {
				a.listenErr = berr.Error()
			}
			a.mu.Unlock()
			if berr != nil {
				err = fmt.Errorf("%w; and listening again on %s failed too, so the agent is not listening now: %v", err, before.Listen, berr)
			}
			return nil, errors.Join(err, rerr)
		}
		old = nil
	}
	a.mu.Lock()
	a.settings = after
	a.listener = ln
	a.listenErr = ""
	linked := len(a.links)
	a.mu.Unlock()
	if old != nil {
		_ = old.Close()
	}
	changes := describe(before, after)
	a.recordSettings(changes)
	if ln != nil {
		bound := fmt.Sprintf("listening for consoles on %s %s", ln.Addr(), sslPhrase(after.SSL))
		a.record("", store.KindListening, store.SeverityInfo, bound)
		changes = append(changes, bound)
	} else {
		msg := "stopped listening for consoles"
		if linked > 0 {
			msg += fmt.Sprintf(" (the %d linked now stay linked)", linked)
		}
		a.record("", store.KindListening, store.SeverityInfo, msg)
		changes = append(changes, msg)
	}
	return changes, nil
}

// listenAgain binds an address this agent let go of a moment ago. A
// process started at that moment (the host status runs lsb_release)
// holds a copy of the old socket until it has started, so the port can
// look taken for a few milliseconds: it tries again for up to a second
// before calling the port in use.
func (a *Agent) listenAgain(addr string, s Settings) (*link.Listener, error) {
	deadline := time.Now().Add(time.Second)
	for {
		ln, err := a.listen(addr, s)
		if err == nil || !errors.Is(err, syscall.EADDRINUSE) || time.Now().After(deadline) {
			return ln, err
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// rebindAddr is where to listen again on a restart: the configured address,
// or the port actually bound when the configuration asked for any (":0").
func rebindAddr(configured string, bound net.Addr) string {
	host, port, err := net.SplitHostPort(configured)
	if err != nil || port != "0" || bound == nil {
		return configured
	}
	_, boundPort, err := net.SplitHostPort(bound.String())
	if err != nil {
		return configured
	}
	return net.JoinHostPort(host, boundPort)
}

// SetSSL turns SSL on or off: the listener takes the new setting on the
// port it holds (it is never let go), every link closes with the reason "the agent's SSL setting changed", and
// the masters are dialed again at once with the new setting.
func (a *Agent) SetSSL(on bool) ([]string, error) { return a.changeSSL(on, nil) }

// changeSSL is SetSSL leaving keep (the link that asked) open for its
// answer; the caller closes it after answering.
func (a *Agent) changeSSL(on bool, keep *link.Link) ([]string, error) {
	done, err := a.beginChange()
	if err != nil {
		return nil, err
	}
	defer done()
	before, after, err := setSSL(a.cfg.DB, on)
	if err != nil {
		return nil, err
	}
	return a.relink(before, after, "the agent's SSL setting changed", keep)
}

// SetPassword sets a new management password. The key is derived (with
// auth.DefaultKDF and the agent's name) before anything is locked; then it
// is stored, the listener aborts its handshakes in progress (so none begun
// with the old key can finish), and every link closes so consoles authenticate again with
// the new password. pw is not kept; the caller should zero it.
func (a *Agent) SetPassword(pw []byte) ([]string, error) {
	a.mu.Lock()
	name, started := a.settings.Name, a.ctx != nil
	a.mu.Unlock()
	if len(pw) == 0 {
		return nil, usage(errEmptyPassword)
	}
	if !started {
		return nil, errNotStarted
	}
	key, err := deriveFor(name, pw)
	if err != nil {
		return nil, err
	}
	defer clear(key[:])
	done, err := a.beginChange()
	if err != nil {
		return nil, err
	}
	defer done()
	before, after, err := setKey(a.cfg.DB, name, key, storeKDF())
	if err != nil {
		return nil, err
	}
	return a.relink(before, after, "the agent's management password changed: link again with the new password", nil)
}

// changeKey stores a key a console derived from a new password, with its
// KDF parameters, and relinks like SetPassword, except that keep (the
// link the console asked over) stays open: that console has the new key
// too. Every other console must link again with the new password.
func (a *Agent) changeKey(key auth.Key, kdf auth.KDFParams, keep *link.Link) ([]string, error) {
	if err := kdf.Validate(); err != nil {
		return nil, fmt.Errorf("the new key's parameters are refused: %w", err)
	}
	done, err := a.beginChange()
	if err != nil {
		return nil, err
	}
	defer done()
	a.mu.Lock()
	name := a.settings.Name
	a.mu.Unlock()
	before, after, err := setKey(a.cfg.DB, name, key, store.KDFParams(kdf))
	if err != nil {
		return nil, err
	}
	return a.relink(before, after, "the agent's management password was changed by another console: link again with the new password", keep)
}

// relink applies settings that every link was authenticated under (SSL,
// key): apply them to the listener on the port it holds (relisten), close
// every link, and redial the masters. If the agent was not listening and
// its address cannot be bound now, the stored settings go back to before
// and nothing else changes. keep, when not nil, is left open and
// its master's dialer running: the link that asked for the change, which
// its caller closes after answering, or keeps (a password change made
// over it).
func (a *Agent) relink(before, after Settings, reason string, keep *link.Link) ([]string, error) {
	changes := describe(before, after)
	if len(changes) == 0 {
		return []string{}, nil
	}
	a.mu.Lock()
	a.settings = after
	a.mu.Unlock()
	bound, err := a.relisten(after)
	if err != nil {
		rerr := a.cfg.DB.PutSettings(settingsKey, before)
		a.mu.Lock()
		a.settings = before
		a.mu.Unlock()
		if _, berr := a.relisten(before); berr != nil {
			err = fmt.Errorf("%w; and listening again with the old setting failed too, so the agent is not listening now: %v", err, berr)
		}
		return nil, errors.Join(fmt.Errorf("the setting was left as it was: %w", err), rerr)
	}
	a.recordSettings(changes)
	if bound != "" {
		msg := fmt.Sprintf("listening for consoles on %s %s", bound, sslPhrase(after.SSL))
		a.record("", store.KindListening, store.SeverityInfo, msg)
		changes = append(changes, msg)
	}

	// Every link was authenticated under the old settings. The dialers
	// stop first, so none adopts a link between the sweep and the close;
	// they start again once the old links are gone, so a console never
	// sees the new link while the old one still stands.
	a.mu.Lock()
	links := a.linksLocked()
	links = slices.DeleteFunc(links, func(l *link.Link) bool { return l == keep })
	var redial []*masterRun
	for _, mr := range a.masters {
		if keep != nil && mr.link == keep {
			continue
		}
		if a.stopDialerLocked(mr) {
			redial = append(redial, mr)
		}
	}
	a.mu.Unlock()
	closeAll(links, &link.Error{Code: wire.CodeNormal, Reason: reason})
	a.mu.Lock()
	for _, mr := range redial {
		if a.masters[mr.key()] == mr && a.settings.Management {
			a.startDialerLocked(mr)
		}
	}
	a.mu.Unlock()
	if len(links) > 0 {
		changes = append(changes, fmt.Sprintf("closed %s: %s", human.Plural(len(links), "console link", "console links"), reason))
	}
	if len(redial) > 0 {
		changes = append(changes, fmt.Sprintf("dialing %s again", human.Plural(len(redial), "master", "masters")))
	}
	return changes, nil
}

// relisten applies s to the listener: the socket stays bound and only
// the options change (link.Listener.Reconfigure), so no console's dial is
// refused meanwhile and no other program can take the port. Handshakes
// begun under the old settings are aborted, and every link they made has
// been adopted when it returns, for relink to close. With no listener
// (the address could not be bound before) it binds afresh. It returns the
// bound address, "" when s does not listen.
func (a *Agent) relisten(s Settings) (string, error) {
	a.mu.Lock()
	cur := a.listener
	if s.Listen == "" {
		a.listener = nil
	}
	a.mu.Unlock()
	switch {
	case cur != nil && s.Listen == "":
		_ = cur.Close()
		return "", nil
	case cur != nil:
		cur.Reconfigure(a.optionsFor(s))
		return cur.Addr().String(), nil
	case s.Listen == "":
		return "", nil
	}
	ln, err := a.listen(s.Listen, s)
	a.mu.Lock()
	defer a.mu.Unlock()
	if err != nil {
		a.listenErr = err.Error()
		return "", err
	}
	a.listener, a.listenErr = ln, ""
	return ln.Addr().String(), nil
}

// SetManagement turns remote management on or off. Off closes every link
// with management_disabled and stops dialing the masters; the listener
// keeps running and refuses every console. On dials the masters again.
func (a *Agent) SetManagement(on bool) ([]string, error) { return a.changeManagement(on, nil) }

// changeManagement is SetManagement leaving keep (the link that asked)
// open for its answer; the caller closes it after answering.
func (a *Agent) changeManagement(on bool, keep *link.Link) ([]string, error) {
	done, err := a.beginChange()
	if err != nil {
		return nil, err
	}
	defer done()
	before, after, err := setManagement(a.cfg.DB, on)
	if err != nil {
		return nil, err
	}
	changes := describe(before, after)
	if len(changes) == 0 {
		return []string{}, nil
	}
	now := time.Now()
	var links []*link.Link
	n := 0
	a.mu.Lock()
	a.settings = after
	for _, mr := range a.masters {
		if on {
			a.startDialerLocked(mr)
			n++
		} else {
			if a.stopDialerLocked(mr) {
				n++
			}
			mr.setState(MasterOffline, now)
		}
	}
	if !on {
		links = a.linksLocked()
	}
	a.mu.Unlock()
	closeAll(slices.DeleteFunc(links, func(l *link.Link) bool { return l == keep }),
		&link.Error{Code: wire.CodeManagementDisabled, Reason: managementOffReason})
	a.recordSettings(changes)
	if !on {
		a.record("", string(wire.CodeManagementDisabled), store.SeverityWarning, "remote management is off: every console will be refused (lanyard-agent set management on)")
		if len(links) > 0 {
			changes = append(changes, fmt.Sprintf("closed %s with management_disabled", human.Plural(len(links), "console link", "console links")))
		}
		if n > 0 {
			changes = append(changes, fmt.Sprintf("stopped dialing %s", human.Plural(n, "master", "masters")))
		}
	} else if n > 0 {
		changes = append(changes, fmt.Sprintf("dialing %s", human.Plural(n, "master", "masters")))
	}
	return changes, nil
}

// AddMaster adds a console to dial (host:port, or several addresses of
// that one console separated by commas, tried in order; a bare host gets
// the default port; =SHA256:… after them gives the certificate to expect,
// see ParseMasterSpec), stores it and dials it at once when management is
// on. An address already in the list is refused with the store's message.
func (a *Agent) AddMaster(spec string) ([]string, error) {
	addrs, fp, err := ParseMasterSpec(spec)
	if err != nil {
		return nil, err
	}
	done, err := a.beginChange()
	if err != nil {
		return nil, err
	}
	defer done()
	if err := addMaster(a.cfg.DB, addrs, fp); err != nil {
		return nil, err
	}
	a.mu.Lock()
	mr := newMasterRun(store.Master{Addresses: addrs, PinnedCert: fp}, time.Now())
	a.masters[mr.key()] = mr
	dialing := a.settings.Management
	if dialing {
		a.startDialerLocked(mr)
	}
	a.mu.Unlock()
	norm := mr.spec()
	changes := []string{"masters: added " + norm + expecting(fp)}
	if dialing {
		changes = append(changes, "dialing "+norm)
	} else {
		changes = append(changes, "not dialing "+norm+" while remote management is off")
	}
	a.record(norm, store.KindAdded, store.SeverityInfo, "master added: "+norm)
	return changes, nil
}

// RemoveMaster removes a console from the masters list (given by any of
// its addresses, or all of them), stops dialing it and closes its link
// (code removed).
func (a *Agent) RemoveMaster(addr string) ([]string, error) { return a.dropMaster(addr, nil) }

// dropMaster is RemoveMaster leaving keep (the link that asked) open for
// its answer; the caller closes it after answering.
func (a *Agent) dropMaster(addr string, keep *link.Link) ([]string, error) {
	addrs, err := parseMasterAddrs(addr)
	if err != nil {
		// One stored before the parser refused its form (a name ending
		// in digits) is still removed, as the list writes it.
		listed := strings.TrimSpace(addr)
		if _, serr := storedMaster(a.cfg.DB, listed); serr != nil {
			return nil, err
		}
		addrs = []string{listed}
	}
	done, err := a.beginChange()
	if err != nil {
		return nil, err
	}
	defer done()
	m, err := removeMaster(a.cfg.DB, addrs[0])
	if err != nil {
		return nil, err
	}
	stored := m.Spec()
	a.mu.Lock()
	var l *link.Link
	if mr := a.masters[masterKey(m.Addresses[0])]; mr != nil {
		delete(a.masters, mr.key())
		a.stopDialerLocked(mr)
		l = mr.link
	}
	a.mu.Unlock()
	changes := []string{"masters: removed " + stored}
	if l != nil {
		if l != keep {
			l.CloseWith(&link.Error{Code: wire.CodeRemoved, Reason: removedReason})
		}
		changes = append(changes, "closed the link to "+stored)
	}
	a.record(stored, store.KindRemoved, store.SeverityInfo, "master removed: "+stored)
	return changes, nil
}

// TrustMaster makes the master at HOST:PORT (any of its addresses) trust
// the certificate it presents next (after the console was reinstalled),
// or, given HOST:PORT=SHA256:…, expect exactly that one, at every address;
// then dials it at once. A link up now with another certificate is
// closed, so the check applies.
func (a *Agent) TrustMaster(spec string) ([]string, error) {
	addrs, fp, err := ParseMasterSpec(spec)
	if err != nil {
		return nil, err
	}
	done, err := a.beginChange()
	if err != nil {
		return nil, err
	}
	defer done()
	m, change, err := trustMaster(a.cfg.DB, addrs[0], fp)
	if err != nil || change == "" {
		return []string{}, err
	}
	stored := m.Spec()
	changes := []string{change}
	a.mu.Lock()
	var stale *link.Link
	if mr := a.masters[masterKey(m.Addresses[0])]; mr != nil {
		mr.pin = fp
		if mr.link != nil && fp != "" && mr.link.Peer().Fingerprint != fp {
			stale = mr.link
		}
		mr.kickLocked()
	}
	a.mu.Unlock()
	if stale != nil {
		stale.CloseWith(&link.Error{Code: wire.CodeNormal, Reason: "the certificate this console presented is not the one now expected"})
		changes = append(changes, "closed the link to "+stored+": its certificate is not the one now expected")
	}
	a.record(stored, store.KindTrusted, store.SeverityInfo, change)
	return changes, nil
}

// RetryMasters has the dialer of the master at addr (any of its
// addresses; every master when addr is "") dial now instead of at the
// end of its wait.
func (a *Agent) RetryMasters(addr string) ([]string, error) {
	key := ""
	if strings.TrimSpace(addr) != "" {
		addrs, err := parseMasterAddrs(addr)
		if err != nil {
			return nil, err
		}
		if a.inMemory() {
			return nil, errInMemory
		}
		m, err := storedMaster(a.cfg.DB, addrs[0])
		if err != nil {
			return nil, err
		}
		key = masterKey(m.Addresses[0])
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed || a.ctx == nil {
		return nil, errNotStarted
	}
	changes := []string{}
	for k, mr := range a.masters {
		switch {
		case key != "" && k != key:
		case mr.link != nil:
			changes = append(changes, mr.spec()+": linked already")
		case mr.dialer == nil:
			changes = append(changes, mr.spec()+": not dialing while remote management is off")
		default:
			mr.repeats = nil // asked for by a person: what comes of it is news
			mr.kickLocked()
			changes = append(changes, mr.spec()+": dialing now")
		}
	}
	slices.Sort(changes)
	return changes, nil
}

// kickAllLocked has every waiting dialer dial now: after a settings
// change, what failed before may work. a.mu is held.
func (a *Agent) kickAllLocked() {
	for _, mr := range a.masters {
		mr.kickLocked()
	}
}

// linksLocked is every open link; a.mu is held.
func (a *Agent) linksLocked() []*link.Link {
	links := make([]*link.Link, 0, len(a.links))
	for l := range a.links {
		links = append(links, l)
	}
	return links
}

func closeAll(links []*link.Link, e *link.Error) {
	for _, l := range links {
		l.CloseWith(e)
	}
}

// recordSettings logs a settings change, and has every waiting dialer try
// again at once under the new settings.
func (a *Agent) recordSettings(changes []string) {
	if len(changes) > 0 {
		a.mu.Lock()
		a.kickAllLocked()
		a.mu.Unlock()
		a.record("", store.KindSettings, store.SeverityInfo, "settings changed: "+strings.Join(changes, "; "))
		a.statusChanged()
	}
}

// StatusSnapshot is the agent's state as `lanyard-agent status` shows it.
type StatusSnapshot struct {
	// Running is false when the snapshot was read from the database of an
	// agent that is not running.
	Running bool   `json:"running"`
	Name    string `json:"name"`
	Version string `json:"version,omitempty"`
	// Listen is the configured address, "" when not listening;
	// ListenAddr is the one bound now, and ListenError why the configured
	// address is not bound, if it is not.
	Listen      string `json:"listen"`
	ListenAddr  string `json:"listen_addr,omitempty"`
	ListenError string `json:"listen_error,omitempty"`
	SSL         bool   `json:"ssl"`
	Management  bool   `json:"management"`
	// Fingerprint is this agent's certificate's (hex SHA-256), for a
	// console's user to check or give when adding it; "" before it has one.
	Fingerprint string          `json:"fingerprint,omitempty"`
	Started     time.Time       `json:"started,omitzero"`
	Masters     []MasterStatus  `json:"masters"`
	Consoles    []ConsoleStatus `json:"consoles"`
}

// MasterStatus is one master: the console the agent dials at Address.
type MasterStatus struct {
	// Address is the console's address, or its several addresses
	// separated by commas, as the command line writes them.
	Address string `json:"address"`
	// Addresses are the same, one by one, in the order given.
	Addresses []string    `json:"addresses"`
	State     MasterState `json:"state"`
	Since     time.Time   `json:"since,omitzero"`
	// Remote is the address of the link, while connected, and RTTMillis
	// its round trip.
	Remote    string  `json:"remote,omitempty"`
	RTTMillis float64 `json:"rtt_ms,omitempty"`
	// Via is the address the link was dialed at, while connected.
	Via string `json:"via,omitempty"`
	// Preferred is the address the last link came through: the next
	// round tries it first.
	Preferred string `json:"preferred,omitempty"`
	// AddressErrors are, for a console with several addresses, why each
	// failed at its last try, in a few words; the one in use is not among
	// them.
	AddressErrors []AddressError `json:"address_errors,omitempty"`
	// LastError is the last failure in plain words, kept after a later
	// success; LastErrorAt is when it happened.
	LastError   string    `json:"last_error,omitempty"`
	LastErrorAt time.Time `json:"last_error_at,omitzero"`
	// NextTry is when the next dial is due after a failure.
	NextTry time.Time `json:"next_try,omitzero"`
	// Fingerprint is the console certificate's this agent expects (pinned
	// at the first link, or given with masters add/trust); "" trusts the
	// next one it sees.
	Fingerprint string `json:"fingerprint,omitempty"`
}

// AddressError is why one address of a console failed at its last try.
type AddressError struct {
	Address string    `json:"address"`
	Error   string    `json:"error"` // in a few words: "connection timed out (blocked on the way?)"
	At      time.Time `json:"at"`
}

// Label is how a list names one of m's addresses: the port alone when
// every address has the same host ("50000"), else the whole address.
func (m MasterStatus) Label(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	for _, a := range m.Addresses {
		if h, _, err := net.SplitHostPort(a); err != nil || !strings.EqualFold(h, host) {
			return addr
		}
	}
	return port
}

// ConsoleStatus is a console that dialed in and is linked now.
type ConsoleStatus struct {
	Remote    string    `json:"remote"`
	Since     time.Time `json:"since"`
	SSL       bool      `json:"ssl"`
	Software  string    `json:"software,omitempty"`
	RTTMillis float64   `json:"rtt_ms,omitempty"` // the link's round trip
}

// Snapshot is the agent's state now.
func (a *Agent) Snapshot() StatusSnapshot {
	a.mu.Lock()
	defer a.mu.Unlock()
	s := a.settings
	st := StatusSnapshot{
		Running: a.ctx != nil && !a.closed, Name: s.Name, Version: a.cfg.Version,
		Listen: s.Listen, ListenError: a.listenErr, SSL: s.SSL, Management: s.Management,
		Fingerprint: a.cfg.Identity.Fingerprint, Started: a.started,
		Masters:  make([]MasterStatus, 0, len(a.masters)),
		Consoles: []ConsoleStatus{},
	}
	if a.listener != nil {
		st.ListenAddr = a.listener.Addr().String()
	}
	for _, mr := range a.masters {
		m := MasterStatus{Address: mr.spec(), Addresses: slices.Clone(mr.addrs), State: mr.state, Since: mr.since,
			LastError: mr.lastErr, LastErrorAt: mr.lastErrAt, NextTry: mr.nextTry, Fingerprint: mr.pin, Preferred: mr.lastGood}
		if mr.link != nil {
			m.Remote, m.Via, m.RTTMillis = mr.link.Peer().Remote, mr.via, human.Millis(mr.link.RTT())
		}
		for _, addr := range mr.addrs {
			if f, ok := mr.addrErrs[addr]; ok && addr != m.Via {
				m.AddressErrors = append(m.AddressErrors, AddressError{Address: addr, Error: f.brief, At: f.at})
			}
		}
		st.Masters = append(st.Masters, m)
	}
	slices.SortFunc(st.Masters, func(x, y MasterStatus) int { return cmp.Compare(masterKey(x.Address), masterKey(y.Address)) })
	for l, mr := range a.links {
		if mr != nil {
			continue
		}
		p := l.Peer()
		st.Consoles = append(st.Consoles, ConsoleStatus{Remote: p.Remote, Since: l.Since(), SSL: p.SSL, Software: p.Software,
			RTTMillis: human.Millis(l.RTT())})
	}
	slices.SortFunc(st.Consoles, func(x, y ConsoleStatus) int {
		return cmp.Or(x.Since.Compare(y.Since), cmp.Compare(x.Remote, y.Remote))
	})
	return st
}
