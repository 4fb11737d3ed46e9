package ui

import (
	"context"
	"time"

	"github.com/lanyard/lanyard/core/link"
	"github.com/lanyard/lanyard/core/master"
	"github.com/lanyard/lanyard/core/slavefile"
	"github.com/lanyard/lanyard/core/store"
	"github.com/lanyard/lanyard/core/wire/pb"
)

// The console's windows see the running console (*master.Master) only
// through these small interfaces, so each screen states what it needs and
// the composition root (app/console) decides what provides it.

// Fleet is the server tree's view of the slaves: a snapshot, a live event
// stream, and the actions on one slave.
type Fleet interface {
	// Slaves returns every slave, sorted by group then name.
	Slaves() []master.SlaveView
	// Subscribe streams changes; cancel closes the channel. A lagging
	// subscriber receives master.EventResync and should re-read Slaves.
	Subscribe(buffer int) (events <-chan master.Event, cancel func())
	Connect(name string) error
	Disconnect(name string) error
	// Mute keeps a slave's alerts quiet until until (zero: unmutes them).
	Mute(name string, until time.Time) (master.SlaveView, error)
	RemoveSlave(name string) error
	TrustCertificate(name string) error
	// RenameGroup moves every slave of group old to group new, and says
	// how many.
	RenameGroup(old, new string) (int, error)
	// Relinking says when the console started, and until when the
	// slaves linked before may still be dialing in again.
	Relinking() (started, until time.Time)
	// Status asks a connected slave for fresh host details. The fleet
	// keeps them and publishes the change; the window shows them from
	// there, like any other change, and reads only the error here.
	Status(ctx context.Context, name string) (*pb.StatusResponse, error)
}

// SlaveEditor adds, edits and tests slave entries (the Add/Edit Slave
// dialog).
type SlaveEditor interface {
	AddSlave(spec master.SlaveSpec) (master.SlaveView, error)
	EditSlave(name string, spec master.SlaveSpec) (master.SlaveView, error)
	// TestConnection checks the entered values without saving them and
	// reports each step (name lookup, TCP, SSL, password, version).
	TestConnection(ctx context.Context, spec master.SlaveSpec, report func(link.Step)) bool
	Slaves() []master.SlaveView
}

// RemoteSettings reads and applies the Remote Management Settings.
type RemoteSettings interface {
	Settings() master.Settings
	// ApplySettings validates, saves and applies at once (the listener is
	// restarted, links are remade when SSL changed).
	ApplySettings(master.Settings) error
	// ListenAddr is the bound listen address, "" when not listening.
	ListenAddr() string
	// ListenError is why listening failed, or nil.
	ListenError() error
	// Fingerprint is this console's certificate fingerprint (hex SHA-256),
	// for agents that dial it; "" when it has none.
	Fingerprint() string
	// LANAddresses is where agents on this computer's own networks would
	// reach it listening at listenAddress (":16888" is every address).
	LANAddresses(listenAddress string) []string
}

// ConnectionLog pages the connection log (the Remote Management Log
// window). Live records arrive through Fleet.Subscribe.
type ConnectionLog interface {
	Events(f store.EventFilter) ([]store.Event, error)
	LastEvents(f store.EventFilter, n int) ([]store.Event, error)
}

// SlaveFiles imports and exports slave entries in bulk (File > Import
// Slaves, Export Slaves).
type SlaveFiles interface {
	// ImportSlaves checks rows, derives keys from passwords and adds them
	// (see master.ImportSlaves); from names the file, for the log.
	ImportSlaves(ctx context.Context, rows []slavefile.Row, o master.ImportOptions, from string) (master.ImportReport, error)
	// ExportSlaves is every slave as rows, with their keys or without,
	// and the slaves whose key may be stale (master.ExportRows).
	ExportSlaves(withKeys bool) (rows []slavefile.Row, inDoubt []string, err error)
}

// Console is everything the main window needs; *master.Master provides it.
type Console interface {
	Fleet
	SlaveEditor
	RemoteSettings
	ConnectionLog
	SlaveFiles
}

// PortChecker says whether a TCP port is free on this machine.
type PortChecker func(port int) PortReport

// PortReport is a PortChecker's answer, in plain words.
type PortReport struct {
	Free      bool
	Text      string // e.g. "port 16888 is used by lanyard (pid 4242)"
	Suggested int    // a free port above 5000, 0 if none was found
	Err       error  // the check itself failed
}

var _ Console = (*master.Master)(nil)
