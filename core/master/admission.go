package master

import (
	"fmt"
	"net/netip"
	"strings"
	"time"

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
	if s != nil {
		e = s.entry
	}
	m.mu.Unlock()
	from := remote.Addr().String()
	if s == nil {
		return link.Admission{}, &link.Error{Code: wire.CodeUnknownSlave, Reason: fmt.Sprintf(
			"unknown slave %q tried to connect from %s: if it is yours, add it as an inbound slave with the same password", h.Name, from)}
	}
	if e.Direction != store.Inbound {
		return link.Admission{}, &link.Error{Code: wire.CodeUnknownSlave, Reason: fmt.Sprintf(
			"%s dialed in from %s, but it is set up here as outbound (this console dials it at %s): change its entry to inbound, or remove this console from the agent's masters",
			e.Name, from, e.Address),
			PeerReason: fmt.Sprintf("this console dials %s itself (the entry is outbound); remove this console from the agent's masters", e.Name)}
	}
	if e.Disabled {
		return link.Admission{}, &link.Error{Code: wire.CodeDisabled,
			Reason:     fmt.Sprintf("%s dialed in from %s but is disconnected on this console (Connect to link it again)", e.Name, from),
			PeerReason: "this console's user has disconnected this server; it will be accepted again after Connect"}
	}
	if e.PinnedCert != "" && fingerprint != "" && fingerprint != e.PinnedCert {
		return link.Admission{}, &link.Error{Code: wire.CodeCertChanged, Reason: fmt.Sprintf(
			"the certificate of %s (from %s) is not the one trusted here (expected %s, it presented %s): if the agent was reinstalled, run %s; otherwise something is impersonating it",
			e.Name, from, link.ShortFingerprint(e.PinnedCert), link.ShortFingerprint(fingerprint), trustFix(e.Name)),
			PeerReason: "this console does not trust your certificate: it changed since the first connection"}
	}
	// A slave presenting its pinned certificate is known: strangers'
	// failures under its name do not hold it back.
	pinned := e.PinnedCert != "" && fingerprint == e.PinnedCert
	return link.Admission{Name: e.Name, Key: entryKey(e), KDF: authKDF(e.KDF), Pinned: pinned}, nil
}

// refused logs a failed inbound handshake. An SSL mismatch also shows on
// the row of the slave the plain hello claimed to be, unless that slave is
// linked (the claim is unauthenticated; its reason says "as it says").
func (m *Master) refused(r link.Refusal) {
	m.mu.Lock()
	s := m.byName[strings.ToLower(r.Name)]
	if s != nil && r.Err.Code == wire.CodeSSLMismatch && s.link == nil && !s.entry.Disabled {
		s.failed(r.Err.Code, r.Err.Reason, time.Now())
	}
	m.mu.Unlock()
	m.record(recordArgs{slave: s, name: r.Name, direction: store.Inbound, kind: string(r.Err.Code),
		severity: severityFor(r.Err.Code), remote: r.Remote, reason: r.Err.Reason})
}

// duplicateVerdict is the one-link-per-slave rule, in one place: a new
// link replaces the current one when the current one is a ghost (the agent
// restarted, so its boot ID changed, or the link missed its heartbeats);
// otherwise the new link is refused.
func duplicateVerdict(cur, next *link.Link, now time.Time) (replace bool, why string) {
	if cur == nil {
		return true, ""
	}
	if cur.Peer().BootID != next.Peer().BootID {
		return true, "the agent restarted, so its old link is a ghost"
	}
	if silent := now.Sub(cur.LastReceived()); silent > cur.Heartbeat()*3/2 {
		return true, fmt.Sprintf("the old link missed its heartbeats (silent for %s)", silent.Round(time.Second))
	}
	return false, fmt.Sprintf("already linked to this console since %s from %s",
		cur.Since().Format(time.TimeOnly), cur.Peer().Remote)
}

// adopt takes a new authenticated link for a slave, applying the
// one-link-per-slave rule. id is the entry the dialer dialed, "" for an
// inbound link. It reports whether the link was kept.
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
	replace, why := duplicateVerdict(s.link, l, time.Now())
	if !replace {
		args := recordArgs{slave: s, kind: string(wire.CodeDuplicateLink), severity: store.SeverityWarning, remote: p.Remote,
			reason: fmt.Sprintf("a second link from %s was refused: %s", p.Remote, why)}
		m.mu.Unlock()
		l.CloseWith(&link.Error{Code: wire.CodeDuplicateLink, Reason: s.entry.Name + " is " + why})
		m.record(args)
		return false
	}
	old := s.link
	s.linked(l, time.Now())
	pin := s.pin(p)
	entryID := s.entry.ID
	args := recordArgs{slave: s, kind: store.KindConnected, severity: store.SeverityInfo, remote: p.Remote, reason: linkedReason(p)}
	m.mu.Unlock()

	if old != nil {
		old.CloseWith(&link.Error{Code: wire.CodeDuplicateLink, Reason: "replaced by a new link: " + why})
		m.record(recordArgs{slave: s, kind: string(wire.CodeDuplicateLink), severity: store.SeverityInfo, remote: old.Peer().Remote,
			reason: "old link replaced: " + why})
	}
	if pin != nil {
		if _, err := m.cfg.DB.UpdateSlave(entryID, pin); err != nil {
			m.log.WithError(err).Warn("could not save the pinned certificate")
		}
	}
	l.Start(m)
	m.record(args)
	m.wg.Add(1)
	go m.fetchStatus(entryID, l)
	return true
}

// pin notes the certificate and install ID p presented as the ones to
// expect (trust on first use) and returns the change to store, or nil when
// they are pinned already.
func (s *slave) pin(p link.Peer) func(*store.Slave) error {
	if (p.Fingerprint == "" || s.entry.PinnedCert == p.Fingerprint) && s.entry.PinnedInstallID == p.InstallID {
		return nil
	}
	pin := func(e *store.Slave) error {
		if p.Fingerprint != "" {
			e.PinnedCert = p.Fingerprint
		}
		e.PinnedInstallID = p.InstallID
		return nil
	}
	_ = pin(&s.entry)
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
