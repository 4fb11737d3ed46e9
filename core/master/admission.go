package master

import (
	"encoding/hex"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/lanyard/lanyard/core/auth"
	"github.com/lanyard/lanyard/core/human"
	"github.com/lanyard/lanyard/core/link"
	"github.com/lanyard/lanyard/core/store"
	"github.com/lanyard/lanyard/core/wire"
	"github.com/lanyard/lanyard/core/wire/pb"
)

// Admission: who may link, and the one-link-per-slave rule.

// Admit decides on an agent dialing in (link.Authenticator).
func (m *Master) Admit(h *pb.Hello, remote netip.AddrPort, fingerprint string) (link.Admission, error) {
	m.mu.Lock()
	s := m.byName[strings.ToLower(h.Name)]
	var e store.Slave
	var rival *link.Error
	if s != nil {
		e = s.entry
		rival = s.secondInstall(hexID(h.InstallId), remote.Addr().String())
	}
	m.mu.Unlock()
	from := remote.Addr().String()
	switch {
	case s == nil:
		return link.Admission{}, &link.Error{Code: wire.CodeUnknownSlave, Reason: fmt.Sprintf(
			"unknown slave %q tried to connect from %s: if it is yours, add it as an inbound slave with the same password", h.Name, from)}
	case e.Direction != store.Inbound:
		return link.Admission{}, &link.Error{Code: wire.CodeUnknownSlave, Reason: fmt.Sprintf(
			"%s dialed in from %s, but it is set up here as outbound (this console dials it at %s): change its entry to inbound, or remove this console from the agent's masters",
			e.Name, from, e.Address),
			PeerReason: fmt.Sprintf("this console dials %s itself (the entry is outbound); remove this console from the agent's masters", e.Name)}
	case e.Disabled:
		return link.Admission{}, &link.Error{Code: wire.CodeDisabled,
			Reason:     fmt.Sprintf("%s dialed in from %s but is disconnected on this console (Connect to link it again)", e.Name, from),
			PeerReason: "this console's user has disconnected this server; it will be accepted again after Connect"}
	case rival != nil:
		// Refused before any proof: with SSL on the newcomer's certificate
		// differs too, but "a second installation" says more than
		// "the certificate changed".
		return link.Admission{}, rival
	case e.PinnedCert != "" && fingerprint != "" && fingerprint != e.PinnedCert:
		return link.Admission{}, &link.Error{Code: wire.CodeCertChanged, Reason: fmt.Sprintf(
			"the certificate of %s (from %s) is not the one trusted here (expected %s, it presented %s): if the agent was reinstalled, run %s; otherwise something is impersonating it",
			e.Name, from, link.ShortFingerprint(e.PinnedCert), link.ShortFingerprint(fingerprint), trustFix(e.Name)),
			PeerReason: "this console does not trust your certificate: it changed since the first connection"}
	}
	// A slave presenting its pinned certificate is known: strangers'
	// failures under its name do not hold it back.
	pinned := e.PinnedCert != "" && fingerprint == e.PinnedCert
	return link.Admission{Name: e.Name, Key: entryKey(e), KDF: authKDF(e.KDF), Next: entryNext(e), Pinned: pinned}, nil
}

// refused notes a failed inbound handshake: the refusal log records it,
// or counts it with its repeats (store.RefusalLog). An SSL mismatch and a
// wrong password also show on the row of the slave the hello claimed to
// be, unless that slave is linked (the claim is unauthenticated: an SSL
// mismatch's reason says "as it says"), so that the row says why the
// slave is not linked now rather than an older reason; and so does a
// second installation's refusal.
func (m *Master) refused(r link.Refusal) {
	now := time.Now()
	m.mu.Lock()
	s := m.byName[strings.ToLower(r.Name)]
	changed := ""
	switch {
	case s == nil:
	case (r.Err.Code == wire.CodeSSLMismatch || r.Err.Code == wire.CodeAuthFailed) && s.link == nil && !s.entry.Disabled:
		s.failed(r.Err.Code, r.Err.Reason, now)
		changed = s.entry.ID
	case r.Err.Code == wire.CodeDuplicateInstall:
		s.rivalRefused(r.Err, r.Remote, now) // the refusal log counts repeats
		changed = s.entry.ID
	}
	m.mu.Unlock()
	if changed != "" {
		m.publishState(changed) // even when the log only counts the refusal
	}
	args := recordArgs{slave: s, name: r.Name, direction: store.Inbound, kind: string(r.Err.Code),
		severity: severityFor(r.Err.Code), remote: r.Remote, reason: r.Err.Reason}
	if s == nil && r.Err.Code == wire.CodeUnknownSlave && link.IsDiagnoseProbe(r.Name) {
		// `lanyard-agent diagnose` of this console from a server: no
		// stranger to add, nothing to fix.
		args.name, args.kind, args.severity = "", store.KindDiagnosed, store.SeverityInfo
		args.reason = fmt.Sprintf("a diagnosis (lanyard-agent diagnose) from %s reached this console: name lookup, TCP, SSL, hello and version work from there", r.Remote)
	}
	e := m.event(args)
	e.Time = now
	m.refusals.Note(store.Refusal{Event: e, Busy: r.Busy, RetryAfter: r.Err.RetryAfter})
}

// secondInstall refuses an agent whose installation is not the one
// pinned for the slave: a cloned server, or a second agent given the same
// name and password, would otherwise take the link from the first one at
// every reconnect. It stays refused until the user trusts it (Trust, the
// same action as for a changed certificate). nil when installID is the
// pinned one or nothing is pinned yet. Master.mu is held.
func (s *slave) secondInstall(installID, from string) *link.Error {
	pinned := s.entry.PinnedInstallID
	if pinned == "" || installID == pinned {
		return nil
	}
	first := "the installation this console trusts (install " + shortID(pinned) + ") is not linked now"
	if s.link != nil {
		first = "the first one stays linked"
	}
	return &link.Error{Code: wire.CodeDuplicateInstall,
		Reason: fmt.Sprintf("a second installation claims the name %s (install %s at %s); %s: if this one replaces it (the agent was reinstalled), trust it; if it is a copy of that server, give it its own name",
			s.entry.Name, shortID(installID), from, first),
		PeerReason: "this console trusts another installation under this name; it refuses this one until its user trusts it"}
}

// ghostReason is why a link of an agent that restarted replaces its old
// one.
const ghostReason = "the agent restarted, so its old link is a ghost"

// ghostsKept is how many replaced boot IDs a slave remembers.
const ghostsKept = 4

// noteGhost remembers boot, a link's boot ID replaced as a ghost, and
// returns the boots now remembered, for the entry (a restarted console
// knows them too). Master.mu is held.
func (s *slave) noteGhost(boot string) []string {
	if !slices.Contains(s.ghostBoots, boot) {
		if len(s.ghostBoots) == ghostsKept {
			s.ghostBoots = s.ghostBoots[1:]
		}
		s.ghostBoots = append(s.ghostBoots, boot)
	}
	s.entry.GhostBoots = slices.Clone(s.ghostBoots)
	return s.entry.GhostBoots
}

// sharedInstall refuses a link of the slave's installation whose boot was
// replaced as a ghost, yet is back while another boot is linked: not an
// agent that restarted, but two running copies of one installation (a
// cloned server), which would otherwise take the link from each other at
// every reconnect. The link from kept stays. Its code, CodeSharedInstall,
// is the console's own: the copy hears duplicate_install and PeerReason
// (adopt). Master.mu is held.
func (s *slave) sharedInstall(kept, from string) *link.Error {
	return &link.Error{Code: wire.CodeSharedInstall,
		Reason: fmt.Sprintf("two running agents share the installation of %s (install %s), one a copy of the other (a cloned server?): the one at %s stays linked, the one at %s is refused. On the copy, stop the agent, move its data directory aside and run lanyard-agent init with a name of its own",
			s.entry.Name, shortID(s.entry.PinnedInstallID), kept, from),
		PeerReason: "another running agent of this very installation is linked to this console: this server looks like a copy of it (a cloned VM?); stop this agent, move its data directory aside and run lanyard-agent init with a name of its own"}
}

// shortID is the start of a hex install ID, enough to tell two apart.
func shortID(id string) string {
	if len(id) > 8 {
		return id[:8] + "…"
	}
	return id
}

func hexID(b []byte) string { return hex.EncodeToString(b) }

// linkVerdict is the one-link-per-slave rule, in one place. A new link
// next for slave s is refused when it comes from another installation than
// the pinned one (secondInstall). Otherwise it replaces the current link
// when there is none, when that one has closed, when it belongs to another
// installation (the user trusted the new one), when the agent restarted
// (its boot ID changed, so the old link is a ghost) or when the old link
// missed its heartbeats; else it is refused as duplicate_link. why says
// which, for the log. Master.mu is held.
func (s *slave) linkVerdict(next *link.Link, now time.Time) (refuse *link.Error, why string) {
	p := next.Peer()
	if e := s.secondInstall(p.InstallID, p.Remote); e != nil {
		return e, e.Reason
	}
	cur := s.link
	switch {
	case cur == nil:
		return nil, ""
	case cur.Err() != nil:
		return nil, "the old link had closed"
	case cur.Peer().InstallID != p.InstallID:
		return nil, "the installation the user trusted replaces the old one"
	case cur.Peer().BootID != p.BootID && slices.Contains(s.ghostBoots, p.BootID):
		e := s.sharedInstall(cur.Peer().Remote, p.Remote)
		return e, e.Reason
	case cur.Peer().BootID != p.BootID:
		return nil, ghostReason
	}
	if silent := now.Sub(cur.LastReceived()); silent > cur.Heartbeat()*3/2 {
		return nil, fmt.Sprintf("the old link missed its heartbeats (silent for %s)", human.Typed(silent))
	}
	why = fmt.Sprintf("already linked to this console since %s from %s", cur.Since().Format(time.TimeOnly), cur.Peer().Remote)
	return &link.Error{Code: wire.CodeDuplicateLink, Reason: s.entry.Name + " is " + why}, why
}

// adopt takes a new authenticated link for a slave, applying the
// one-link-per-slave rule. id is the entry the dialer dialed, "" for an
// inbound link. It reports whether the link was kept.
//
// The link is started under Master.mu, in the same step that makes it the
// slave's link: whoever closes it after seeing it there (Close,
// ApplySettings, Disconnect) has its HandleClose run, and a link is never
// left current, closed and unnoticed.
func (m *Master) adopt(l *link.Link, id string) bool {
	m.mu.Lock()
	var s *slave
	if id != "" {
		s = m.slaves[id]
	} else {
		s = m.byName[strings.ToLower(l.Peer().Name)]
	}
	if m.closed || s == nil {
		m.mu.Unlock()
		l.CloseWith(&link.Error{Code: wire.CodeShuttingDown, Reason: "the console is shutting down or the entry was removed"})
		return false
	}
	p := l.Peer()
	now := time.Now()
	refuse, why := s.linkVerdict(l, now)
	if refuse != nil {
		args := recordArgs{slave: s, kind: string(refuse.Code), severity: severityFor(refuse.Code), remote: p.Remote,
			reason: fmt.Sprintf("a second link from %s was refused: %s", p.Remote, why)}
		news, rival := true, false
		switch refuse.Code {
		case wire.CodeDuplicateInstall:
			args.reason = why
			news, rival = s.rivalRefused(refuse, p.Remote, now), true
		case wire.CodeSharedInstall:
			args.reason = why
			news, rival = s.rivalRefused(refuse, p.Remote, now), true
			// What the copy hears: a code it knows, and words for it.
			refuse = &link.Error{Code: wire.CodeDuplicateInstall, Reason: refuse.PeerReason}
		}
		m.mu.Unlock()
		l.CloseWith(refuse)
		switch {
		case news:
			m.record(args) // and tells subscribers
		case rival:
			m.publishState(s.entry.ID) // the rival is still dialing: its time moved on
		}
		return false
	}
	old := s.link
	s.linked(l, now)
	pin := s.pin(p, now)
	if why == ghostReason {
		pin.GhostBoots = s.noteGhost(old.Peer().BootID)
	}
	next, promote, settle := s.nextSettled(p)
	l.Start(m, &m.wg) // under mu too: Close waits for its reader and handlers
	m.wg.Add(1)       // under mu, so that Close, which waits, cannot have begun
	m.mu.Unlock()

	// The link is up; what follows is bookkeeping, off its path.
	m.pins.queue(pin)
	if settle {
		m.settledByLink(s, pin.ID, next, promote, p.Remote)
	}
	if old != nil {
		old.CloseWith(&link.Error{Code: wire.CodeDuplicateLink, Reason: "replaced by a new link: " + why})
		m.record(recordArgs{slave: s, kind: string(wire.CodeDuplicateLink), severity: store.SeverityInfo,
			remote: old.Peer().Remote, reason: "old link replaced: " + why})
	}
	m.record(recordArgs{slave: s, kind: store.KindConnected, severity: store.SeverityInfo, remote: p.Remote, reason: linkedReason(p)})
	m.linkedHealth(l, pin.ID, p.Name)
	go m.fetchStatus(l)
	return true
}

// nextSettled says whether a link under p settles the entry's next key
// (link/nextkey.go): up under it, the agent has it (promote); up under
// the key before, the agent never took it, unless a change under way may
// still give it.
func (s *slave) nextSettled(p link.Peer) (next auth.Key, promote, settle bool) {
	n := entryNext(s.entry)
	if n == nil || (!p.NextKey && s.changingKey > 0) {
		return next, false, false
	}
	return n.Key, p.NextKey, true
}

// settledByLink keeps the key a link came up under, and says so in the
// connection log.
func (m *Master) settledByLink(s *slave, id string, next auth.Key, promote bool, remote string) {
	args := recordArgs{slave: s, kind: store.KindEdited, severity: store.SeverityInfo, remote: remote}
	switch err := m.settleNextKey(id, next, promote); {
	case err != nil:
		args.severity = store.SeverityWarning
		args.reason = fmt.Sprintf("could not save which password the slave has (%v); the next link settles it again", err)
	case promote:
		args.reason = "linked with the new password from the change whose answer never came: it is now the only one kept"
	default:
		args.reason = "linked with the old password: the change whose answer never came did not reach the slave, and the old password stays"
	}
	m.record(args)
}

// pin notes the certificate and install ID p presented as the ones to
// expect (trust on first use), and the software it runs, and returns what
// to save: those when they are new, and when the slave was seen.
func (s *slave) pin(p link.Peer, now time.Time) store.Pin {
	pin := store.Pin{ID: s.entry.ID, LastSeen: now, Linked: true}
	if p.Software != "" && s.entry.Software != p.Software {
		s.entry.Software, pin.Software = p.Software, p.Software
	}
	if p.Fingerprint != "" && s.entry.PinnedCert != p.Fingerprint {
		s.entry.PinnedCert, pin.Cert = p.Fingerprint, p.Fingerprint
	}
	if s.entry.PinnedInstallID != p.InstallID {
		s.entry.PinnedInstallID, pin.InstallID = p.InstallID, p.InstallID
	}
	return pin
}

// linkedReason is the log's words for a new link.
func linkedReason(p link.Peer) string {
	dir := "outbound"
	if !p.Dialed {
		dir = "inbound"
	}
	ssl := "without SSL"
	if p.SSL {
		ssl = "with SSL"
	}
	return fmt.Sprintf("linked %s %s (%s)", dir, ssl, wire.Quote(p.Software))
}
