package master

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/lanyard/lanyard/core/health"
	"github.com/lanyard/lanyard/core/human"
	"github.com/lanyard/lanyard/core/link"
	"github.com/lanyard/lanyard/core/store"
	"github.com/lanyard/lanyard/core/wire"
	"github.com/lanyard/lanyard/core/wire/pb"
)

// The user's changes to entries, and the views of slaves the UI reads.

// noSlaveLocked refuses name, which no slave has, with the name of the
// slave it is likely a slip for. m.mu is held.
func (m *Master) noSlaveLocked(name string) error {
	return &store.NoSlaveError{Name: name, Near: human.Nearest(name, func(yield func(string) bool) {
		for _, s := range m.byName {
			if !yield(s.entry.Name) {
				return
			}
		}
	})}
}

// Connect enables a disconnected slave and, for an outbound one, dials now
// rather than after its backoff. An inbound slave is linked when it next
// dials in.
func (m *Master) Connect(name string) error {
	m.mu.Lock()
	s := m.byName[strings.ToLower(name)]
	if s == nil {
		err := m.noSlaveLocked(name)
		m.mu.Unlock()
		return err
	}
	wasDisabled := s.entry.Disabled
	id := s.entry.ID
	m.mu.Unlock()
	if wasDisabled {
		if err := m.updateEntry(id, func(e *store.Slave) error { e.Disabled = false; return nil }); err != nil {
			return err
		}
	}
	m.mu.Lock()
	if s = m.slaves[id]; s == nil {
		m.mu.Unlock()
		return &store.NoSlaveError{Name: name} // removed meanwhile
	}
	s.enabled(time.Now())
	s.repeats.Reset() // asked for by a person: what comes of it is news
	if s.entry.Direction == store.Outbound && s.stopDial == nil {
		m.startDialerLocked(s)
	}
	s.kickDialer()
	linkedBefore := !s.seen.IsZero()
	m.mu.Unlock()
	if wasDisabled {
		if m.health != nil {
			m.health.Rewatch(id, linkedBefore)
			m.backupChanged([]string{id})
		}
		m.record(recordArgs{slave: s, kind: store.KindEnabled, severity: store.SeverityInfo, reason: "connected by the user"})
	} else {
		m.publishState(id)
	}
	return nil
}

// Disconnect closes a slave's link and keeps it closed, across restarts,
// until Connect.
func (m *Master) Disconnect(name string) error {
	e, err := m.cfg.DB.SlaveByName(name)
	if err != nil {
		return err
	}
	if err := m.updateEntry(e.ID, func(e *store.Slave) error { e.Disabled = true; return nil }); err != nil {
		return err
	}
	m.mu.Lock()
	s := m.slaves[e.ID]
	if s == nil {
		m.mu.Unlock()
		return nil
	}
	l := s.disabled(time.Now())
	seen := s.seen
	m.mu.Unlock()
	if m.health != nil {
		m.health.Silence(e.ID, e.Name)  // an outage by request, and nothing of it news
		m.backupChanged([]string{e.ID}) // its rows say it is disconnected
	}
	if l != nil {
		l.CloseWith(&link.Error{Code: wire.CodeDisabled, Reason: "disconnected by the console's user"})
		m.pins.queue(store.Pin{ID: e.ID, LastSeen: seen})
		// The link's own end finds it no longer the slave's and tells no
		// one: its tasks' health is last known from now.
		m.unlinkedHealth(e.ID, e.Name)
	}
	m.record(recordArgs{slave: s, kind: store.KindDisabled, severity: store.SeverityInfo, reason: "disconnected by the user; it stays offline until Connect"})
	return nil
}

// Mute keeps a slave's alerts quiet until until (zero: unmute): a server
// in maintenance stays linked and managed, and nothing of it is announced
// (no mail, no notification, no alert in force for lanyard check) until
// then. What is still wrong with it then is announced as usual. The mute
// is kept in its entry, across restarts.
func (m *Master) Mute(name string, until time.Time) (SlaveView, error) {
	if err := CheckMute(until, time.Now()); err != nil {
		return SlaveView{}, err
	}
	until = until.Round(time.Second)
	e, err := m.cfg.DB.SlaveByName(name)
	if err != nil {
		return SlaveView{}, err
	}
	if until.IsZero() && !e.MutedUntil.After(time.Now()) {
		if v, ok := m.Slave(e.Name); ok {
			return v, nil // not muted: nothing to unmute, nothing to log
		}
	}
	if err := m.updateEntry(e.ID, func(e *store.Slave) error { e.MutedUntil = until; return nil }); err != nil {
		return SlaveView{}, err
	}
	m.mu.Lock()
	s := m.slaves[e.ID]
	if s == nil {
		m.mu.Unlock()
		return SlaveView{}, &store.NoSlaveError{Name: name} // removed meanwhile
	}
	s.entry.MutedUntil = until
	v := s.view()
	m.mu.Unlock()
	if m.health != nil {
		m.health.Mute(e.ID, e.Name, until)
	}
	reason := "alerts no longer muted by the user"
	if !until.IsZero() {
		reason = "alerts muted by the user until " + until.Local().Format(human.StampLayout)
	}
	m.record(recordArgs{slave: s, kind: store.KindMuted, severity: store.SeverityInfo, reason: reason})
	return v, nil
}

// CheckMute says what is wrong with a mute until until, asked at now:
// one that ended already. Zero (unmute) is fine.
func CheckMute(until, now time.Time) error {
	if !until.IsZero() && !until.After(now) {
		return fmt.Errorf("a mute must end after now, not at %s", until.Local().Format(human.StampLayout))
	}
	return nil
}

// SlaveView is a snapshot of one slave for display.
type SlaveView struct {
	ID, Name, Group string
	Direction       store.Direction
	Address         string
	State           State
	StateSince      time.Time
	LastCode        string
	LastError       string
	PinnedCert      string
	Notes           string
	// MutedUntil: its alerts are muted until then (Mute); zero, or past,
	// when they are not.
	MutedUntil time.Time
	// LastSeen is when this console last had a link with it: when its
	// link began or ended, or, while linked, within the last few
	// minutes. Zero: never.
	LastSeen time.Time
	// Retrying: a dial after a failed one is under way. State stays the
	// failure's, offline or error.
	Retrying bool
	// Software is what its agent said it was at its last link,
	// "lanyard-agent 1.4.0" ("" before the first): the link's while it is
	// up.
	Software string

	// With a link:
	Remote         string
	SSL            bool
	RTT            time.Duration
	ConnectedSince time.Time
	Status         *pb.StatusResponse
	// ClockSkew is how far the agent's clock is ahead of this console's
	// (negative: behind), measured with the last status.
	ClockSkew time.Duration

	// Backup is its tasks' health, counted (the last known when it is
	// not linked).
	Backup health.Summary

	// PasswordInDoubt: a password change from this console awaits the
	// agent's answer, and the entry keeps the old key and the new one
	// until a link shows which the agent has (ChangePassword).
	PasswordInDoubt bool

	// Rival is the last refusal of another agent claiming its name; it
	// needs a person while Rival.Current.
	Rival Rival
}

// NeverLinked says the slave has never linked to this console and the
// user has not disconnected it: none of its tasks is known, and no
// outage of it is announced.
func (v *SlaveView) NeverLinked() bool {
	return v.LastSeen.IsZero() && v.State != StateDisabled && v.State != StateConnected
}

// DialedAt is the edit of v's entry that makes addr the address it is
// dialed at (outbound), keeping its name, group, notes, key and pin.
func (v *SlaveView) DialedAt(addr string) SlaveSpec {
	return SlaveSpec{Name: v.Name, Group: v.Group, Direction: store.Outbound, Address: addr, Notes: v.Notes}
}

// maxNeverLinkedWhy bounds the words a report gives a slave that never
// linked.
const maxNeverLinkedWhy = 200

// NeverLinkedNotes are, for a report (health.Report.NeverLinked), the
// slaves of views that in keeps (nil: every one) that never linked, in
// the views' order, each with why when it is known: "wrong management
// password for FS07: …", "its agent has not dialed in yet".
func NeverLinkedNotes(views []SlaveView, in func(*SlaveView) bool) []health.NeverLinkedSlave {
	var out []health.NeverLinkedSlave
	for i := range views {
		v := &views[i]
		if !v.NeverLinked() || in != nil && !in(v) {
			continue
		}
		why := human.Shorten(strings.Join(strings.Fields(v.LastError), " "), maxNeverLinkedWhy)
		switch {
		case why == "" && v.Direction == store.Inbound && v.State == StateOffline:
			why = "its agent has not dialed in yet"
		case why == "":
			why = string(v.State)
		}
		out = append(out, health.NeverLinkedSlave{Name: v.Name, Group: v.Group, Why: why})
	}
	return out
}

func (s *slave) view() SlaveView {
	var status *pb.StatusResponse
	if s.status != nil {
		status = proto.Clone(s.status).(*pb.StatusResponse)
	}
	return s.viewWithStatus(status)
}

// viewWithStatus is the slave's view with status, a copy of its last
// status that the view may keep (view clones s.status; RemoteStatus gives
// the answer it decoded), or nil.
func (s *slave) viewWithStatus(status *pb.StatusResponse) SlaveView {
	v := SlaveView{ID: s.entry.ID, Name: s.entry.Name, Group: s.entry.Group, Direction: s.entry.Direction,
		Address: s.entry.Address, State: s.state, StateSince: s.changed, LastCode: s.lastCode,
		LastError: s.lastErr, PinnedCert: s.entry.PinnedCert, Notes: s.entry.Notes, MutedUntil: s.entry.MutedUntil, LastSeen: s.seen,
		Software:        s.entry.Software, // the link's, or as last known
		Retrying:        s.retrying,
		PasswordInDoubt: s.entry.PasswordInDoubt(), Rival: s.rival}
	if l := s.link; l != nil {
		p := l.Peer()
		v.Remote, v.SSL, v.RTT, v.ConnectedSince, v.Software = p.Remote, p.SSL, l.RTT(), l.Since(), p.Software
	}
	if status != nil {
		v.Status, v.ClockSkew = status, s.skew
	}
	return v
}

// Slaves returns every slave, sorted by group then name.
func (m *Master) Slaves() []SlaveView {
	m.mu.Lock()
	out := make([]SlaveView, 0, len(m.slaves))
	for _, s := range m.slaves {
		out = append(out, s.view())
	}
	m.mu.Unlock()
	m.withBackup(out)
	slices.SortFunc(out, func(a, b SlaveView) int {
		return cmp.Or(human.CompareNames(a.Group, b.Group), human.CompareNames(a.Name, b.Name))
	})
	return out
}

// Linked is how many slaves are linked now.
func (m *Master) Linked() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, s := range m.slaves {
		if s.link != nil {
			n++
		}
	}
	return n
}

// Slave returns one slave by name.
func (m *Master) Slave(name string) (SlaveView, bool) {
	m.mu.Lock()
	s := m.byName[strings.ToLower(name)]
	if s == nil {
		m.mu.Unlock()
		return SlaveView{}, false
	}
	v := []SlaveView{s.view()}
	m.mu.Unlock()
	m.withBackup(v)
	return v[0], true
}

// Status asks a connected slave for its status now. The fleet keeps the
// answer, so every later view of the slave carries it, and publishes the
// change (EventState): the UI learns of it the way it learns of any change.
func (m *Master) Status(ctx context.Context, name string) (*pb.StatusResponse, error) {
	l, _, err := m.linkFor(name)
	if err != nil {
		return nil, err
	}
	return m.askStatus(ctx, l)
}

// Request sends a request to a connected slave.
func (m *Master) Request(ctx context.Context, name, method string, req, resp proto.Message) error {
	l, _, err := m.linkFor(name)
	if err != nil {
		return err
	}
	return l.Request(ctx, method, req, resp)
}

// AddSlave stores a new entry and starts linking it.
func (m *Master) AddSlave(spec SlaveSpec) (SlaveView, error) {
	e, err := AddSlave(m.cfg.DB, spec)
	if err != nil {
		return SlaveView{}, err
	}
	m.mu.Lock()
	s := newSlave(e, time.Now())
	m.slaves[e.ID] = s
	m.byName[strings.ToLower(e.Name)] = s
	if e.Direction == store.Outbound {
		m.startDialerLocked(s)
	}
	v := s.view()
	m.mu.Unlock()
	m.record(recordArgs{slave: s, kind: store.KindAdded, severity: store.SeverityInfo, reason: "slave added (" + string(e.Direction) + ")"})
	return v, nil
}

// EditSlave changes an entry and relinks it when what identifies the link
// changed.
func (m *Master) EditSlave(name string, spec SlaveSpec) (SlaveView, error) {
	var e store.Slave
	err := m.holdPins(name, func() (err error) {
		e, err = EditSlave(m.cfg.DB, name, spec)
		return err
	})
	if err != nil {
		return SlaveView{}, err
	}
	m.mu.Lock()
	s := m.slaves[e.ID]
	if s == nil {
		m.mu.Unlock()
		return SlaveView{}, &store.NoSlaveError{Name: name} // removed meanwhile
	}
	old := s.entry
	delete(m.byName, strings.ToLower(old.Name))
	s.entry = e
	m.byName[strings.ToLower(e.Name)] = s
	relink := old.Name != e.Name || old.Direction != e.Direction || old.Address != e.Address || string(old.Key) != string(e.Key)
	var l *link.Link
	if relink {
		l = s.link
		s.stopDialing()
		if e.Direction == store.Outbound && !e.Disabled {
			m.startDialerLocked(s)
		}
	}
	v := s.view()
	m.mu.Unlock()
	if l != nil {
		l.CloseWith(&link.Error{Code: wire.CodeNormal, Reason: "the entry was edited; relinking"})
	}
	m.record(recordArgs{slave: s, kind: store.KindEdited, severity: store.SeverityInfo, reason: describeEdit(old, e)})
	return v, nil
}

// describeEdit says what an edit changed of an entry, for the log:
// "slave edited: address 10.0.0.4:16888 → 10.0.0.4:17000, group Acme →
// Globex". What it leaves unsaid (the notes' words, the key) is only
// named.
func describeEdit(old, e store.Slave) string {
	var what []string
	if old.Name != e.Name {
		what = append(what, "renamed from "+old.Name)
	}
	if old.Direction != e.Direction {
		what = append(what, "now "+string(e.Direction))
	}
	if old.Direction == e.Direction && old.Address != e.Address {
		what = append(what, "address "+old.Address+" → "+e.Address)
	}
	if old.Group != e.Group {
		what = append(what, "group "+cmp.Or(old.Group, "(none)")+" → "+cmp.Or(e.Group, "(none)"))
	}
	if string(old.Key) != string(e.Key) && old.Name == e.Name {
		what = append(what, "password changed")
	}
	if old.PinnedCert != e.PinnedCert {
		what = append(what, "certificate pin changed")
	}
	if old.Notes != e.Notes {
		what = append(what, "notes changed")
	}
	if len(what) == 0 {
		return "slave edited: nothing changed"
	}
	return "slave edited: " + strings.Join(what, ", ")
}

// RemoveSlave deletes an entry and closes its link.
func (m *Master) RemoveSlave(name string) error {
	if err := m.cfg.DB.RemoveSlave(name); err != nil {
		return err
	}
	m.mu.Lock()
	s := m.byName[strings.ToLower(name)]
	if s == nil {
		m.mu.Unlock()
		return nil
	}
	delete(m.byName, strings.ToLower(name))
	delete(m.slaves, s.entry.ID)
	l := s.removed()
	m.mu.Unlock()
	if l != nil {
		l.CloseWith(&link.Error{Code: wire.CodeRemoved, Reason: "this slave was removed from the console"})
	}
	if m.health != nil {
		m.health.Forget(s.entry.ID)
	}
	m.record(recordArgs{slave: s, kind: store.KindRemoved, severity: store.SeverityInfo, reason: "slave removed"})
	return nil
}

// TrustCertificate forgets a slave's pinned certificate and installation
// so the next successful link pins the new ones (after a reinstall, or to
// let a second installation take the name over), and retries at once.
func (m *Master) TrustCertificate(name string) error {
	_, err := m.Trust(name, "")
	return err
}

// Trust is TrustCertificate, or, with a fingerprint, pins that
// certificate: the slave must present exactly it from now on.
func (m *Master) Trust(name, fingerprint string) (store.Slave, error) {
	var e store.Slave
	err := m.holdPins(name, func() (err error) {
		e, err = Trust(m.cfg.DB, name, fingerprint)
		return err
	})
	if err != nil {
		return store.Slave{}, err
	}
	m.mu.Lock()
	if s := m.slaves[e.ID]; s != nil {
		s.entry.PinnedCert, s.entry.PinnedInstallID = e.PinnedCert, e.PinnedInstallID
		s.rival = Rival{} // the user chose: the next one to link is trusted
		s.kickDialer()
	}
	m.mu.Unlock()
	m.publishState(e.ID)
	reason := "the next certificate and installation " + e.Name + " presents will be trusted"
	if fingerprint != "" {
		reason = e.Name + " must present the certificate " + link.FormatFingerprint(fingerprint)
	}
	m.record(recordArgs{name: e.Name, kind: store.KindTrusted, severity: store.SeverityInfo, reason: reason})
	return e, nil
}

// updateEntry changes entry id in the store, after its queued pin is saved
// (pins.go).
func (m *Master) updateEntry(id string, fn func(*store.Slave) error) error {
	return m.pins.hold(id, func() error {
		_, err := m.cfg.DB.UpdateSlave(id, fn)
		return err
	})
}

// holdPins runs fn, a change in the store of the entry called name, after
// that entry's queued pin is saved (pins.go).
func (m *Master) holdPins(name string, fn func() error) error {
	m.mu.Lock()
	var id string
	if s := m.byName[strings.ToLower(name)]; s != nil {
		id = s.entry.ID
	}
	m.mu.Unlock()
	if id == "" {
		return fn()
	}
	return m.pins.hold(id, fn)
}
