package console

import (
	"errors"
	"time"

	"github.com/lanyard/lanyard/core/master"
	"github.com/lanyard/lanyard/core/store"
)

// lanyard slave add, edit, remove, trust, connect and disconnect work the
// same whether a console runs or not, as settings set does
// (settingsedit.go): the flags become one entryChange, carried out by the
// same functions on an entriesHome, the running console (through the
// control socket, so the new slave is dialed, or the edited one relinked,
// at once) or its database when none runs.

const (
	opSlaveAdd    = "slave_add"
	opSlaveEdit   = "slave_edit"
	opSlaveRemove = "slave_remove"
	opSlaveTrust  = "slave_trust"
	// Disconnect: the console stops dialing the slave, or refuses it when
	// it dials in, until Connect; across restarts.
	opSlaveConnect    = "slave_connect"
	opSlaveDisconnect = "slave_disconnect"
	// Mute: nothing of the slave is announced until entryChange.MutedUntil
	// (zero: unmute).
	opSlaveMute = "slave_mute"
)

// entryChange is what slave add or edit asks for; on edit, only what is
// set changes. The password travels apart (ctlRequest.Password).
type entryChange struct {
	// Name: add, the slave's name; edit, a new name ("" keeps it).
	Name        string  `json:"name,omitempty"`
	Group       *string `json:"group,omitempty"`
	Notes       *string `json:"notes,omitempty"`
	Inbound     bool    `json:"inbound,omitempty"`
	Address     string  `json:"address,omitempty"` // outbound, dialed at this address
	Fingerprint string  `json:"fingerprint,omitempty"`
	// MutedUntil is slave mute's end (zero: unmute).
	MutedUntil time.Time `json:"muted_until,omitzero"`
}

// spec is the entry the change makes of old (nil when adding).
func (c entryChange) spec(old *store.Slave, password []byte) master.SlaveSpec {
	s := master.SlaveSpec{Name: c.Name, Direction: store.Outbound, Address: c.Address, Fingerprint: c.Fingerprint, Password: password}
	if old != nil {
		s.Group, s.Notes, s.Direction = old.Group, old.Notes, old.Direction
		if c.Address == "" && !c.Inbound {
			s.Address = old.Address
		}
	}
	set(&s.Group, c.Group)
	set(&s.Notes, c.Notes)
	if c.Inbound {
		s.Direction = store.Inbound
	} else if c.Address != "" {
		s.Direction = store.Outbound
	}
	return s
}

// entryResult is what the commands say of the entry they changed.
type entryResult struct {
	Name      string          `json:"name"`
	Direction store.Direction `json:"direction"`
	Address   string          `json:"address,omitempty"`
	Pinned    string          `json:"pinned,omitempty"`
	// Listening: the console listens for inbound slaves.
	Listening bool `json:"listening"`
	// MutedUntil: its alerts are muted until then.
	MutedUntil time.Time `json:"muted_until,omitzero"`
}

// entriesHome is where the slave commands carry out their change.
type entriesHome interface {
	add(master.SlaveSpec) (entryResult, error)
	edit(name string, spec master.SlaveSpec) (entryResult, error)
	remove(name string) error
	trust(name, fingerprint string) (entryResult, error)
	// connect and disconnect set whether the console links it.
	connect(name string, on bool) (entryResult, error)
	// mute mutes its alerts until until (zero: unmutes them).
	mute(name string, until time.Time) (entryResult, error)
	// db reads the current entries.
	store() *store.DB
}

// changeEntry carries out op on h: add, edit, remove or trust.
func changeEntry(h entriesHome, op, name string, c entryChange, password []byte) (entryResult, error) {
	switch op {
	case opSlaveAdd:
		return h.add(c.spec(nil, password))
	case opSlaveEdit:
		old, err := h.store().SlaveByName(name)
		if err != nil {
			return entryResult{}, err
		}
		return h.edit(name, c.spec(&old, password))
	case opSlaveRemove:
		return entryResult{Name: name}, h.remove(name)
	case opSlaveTrust:
		return h.trust(name, c.Fingerprint)
	case opSlaveConnect, opSlaveDisconnect:
		return h.connect(name, op == opSlaveConnect)
	case opSlaveMute:
		return h.mute(name, c.MutedUntil)
	}
	return entryResult{}, errors.New("unknown change of a slave: " + op)
}

func resultOf(e store.Slave, listening bool) entryResult {
	return entryResult{Name: e.Name, Direction: e.Direction, Address: e.Address, Pinned: e.PinnedCert, Listening: listening, MutedUntil: e.MutedUntil}
}

// masterEntries is the running console.
type masterEntries struct {
	m  *master.Master
	db *store.DB
}

func (h masterEntries) store() *store.DB { return h.db }

func (h masterEntries) viewResult(v master.SlaveView, err error) (entryResult, error) {
	if err != nil {
		return entryResult{}, err
	}
	return entryResult{Name: v.Name, Direction: v.Direction, Address: v.Address, Pinned: v.PinnedCert, Listening: h.m.Settings().Listen,
		MutedUntil: v.MutedUntil}, nil
}

func (h masterEntries) add(s master.SlaveSpec) (entryResult, error) {
	return h.viewResult(h.m.AddSlave(s))
}
func (h masterEntries) edit(name string, s master.SlaveSpec) (entryResult, error) {
	return h.viewResult(h.m.EditSlave(name, s))
}
func (h masterEntries) remove(name string) error { return h.m.RemoveSlave(name) }
func (h masterEntries) connect(name string, on bool) (entryResult, error) {
	connect := h.m.Disconnect
	if on {
		connect = h.m.Connect
	}
	if err := connect(name); err != nil {
		return entryResult{}, err
	}
	v, _ := h.m.Slave(name)
	return h.viewResult(v, nil)
}
func (h masterEntries) mute(name string, until time.Time) (entryResult, error) {
	return h.viewResult(h.m.Mute(name, until))
}
func (h masterEntries) trust(name, fp string) (entryResult, error) {
	e, err := h.m.Trust(name, fp)
	return resultOf(e, h.m.Settings().Listen), err
}

// dbEntries is the database of a console that is not running.
type dbEntries struct{ db *store.DB }

func (h dbEntries) store() *store.DB { return h.db }

func (h dbEntries) listening() bool {
	s, err := master.LoadSettings(h.db)
	return err == nil && s.Listen
}

func (h dbEntries) add(s master.SlaveSpec) (entryResult, error) {
	e, err := master.AddSlave(h.db, s)
	return resultOf(e, h.listening()), err
}

func (h dbEntries) edit(name string, s master.SlaveSpec) (entryResult, error) {
	e, err := master.EditSlave(h.db, name, s)
	return resultOf(e, h.listening()), err
}

func (h dbEntries) remove(name string) error { return h.db.RemoveSlave(name) }

func (h dbEntries) trust(name, fp string) (entryResult, error) {
	e, err := master.Trust(h.db, name, fp)
	return resultOf(e, h.listening()), err
}

func (h dbEntries) connect(name string, on bool) (entryResult, error) {
	e, err := h.db.SlaveByName(name)
	if err == nil {
		e, err = h.db.UpdateSlave(e.ID, func(e *store.Slave) error { e.Disabled = !on; return nil })
	}
	return resultOf(e, h.listening()), err
}

func (h dbEntries) mute(name string, until time.Time) (entryResult, error) {
	if err := master.CheckMute(until, time.Now()); err != nil {
		return entryResult{}, err
	}
	e, err := h.db.SlaveByName(name)
	if err == nil {
		e, err = h.db.UpdateSlave(e.ID, func(e *store.Slave) error { e.MutedUntil = until.Round(time.Second); return nil })
	}
	return resultOf(e, h.listening()), err
}
