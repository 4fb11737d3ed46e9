package ui

import (
	"context"
	"strings"
	"time"

	"github.com/lanyard/lanyard/core/master"
	"github.com/lanyard/lanyard/core/wire"
)

// Live updates. Fleet.Subscribe delivers events on a goroutine, one per
// change and in bursts of thousands when many slaves relink at once. The
// feed collects them off the Fyne thread, keeping only which slaves
// changed, and at most ten times a second reads their fresh views (still
// off the Fyne thread) and hands the window one batch to apply in one
// fyne.Do. The Fyne thread never waits on the fleet.

// refreshInterval is the shortest time between two batches: at most ten UI
// refreshes a second.
const refreshInterval = 100 * time.Millisecond

// bigBatch is the number of changed slaves above which one Slaves()
// snapshot is cheaper than looking each up.
const bigBatch = 256

// slaveLookup is the fast path *master.Master offers beside Fleet: one
// slave by name, without copying the whole fleet.
type slaveLookup interface {
	Slave(name string) (master.SlaveView, bool)
}

// listenInfo is what the status bar says about the listener.
type listenInfo struct {
	settings master.Settings
	addr     string
	err      error
}

func readListenInfo(rs RemoteSettings) listenInfo {
	return listenInfo{settings: rs.Settings(), addr: rs.ListenAddr(), err: rs.ListenError()}
}

// MailWatch says how the console's mail is getting through, and tries
// what waits again at once; *master.Master provides it. The status bar
// warns while mail is not getting through.
type MailWatch interface {
	MailStatus() master.MailStatus
	RetryMail()
}

// readMailStatus is fleet's mail status, nil when it sends no mail.
func readMailStatus(fleet any) *master.MailStatus {
	mw, ok := fleet.(MailWatch)
	if !ok {
		return nil
	}
	ms := mw.MailStatus()
	return &ms
}

// batch is one coalesced update for the window.
type batch struct {
	all       []master.SlaveView // non-nil: the whole fleet (first read or resync)
	views     []master.SlaveView // changed or added slaves
	removed   []string           // IDs
	listen    *listenInfo        // nil: unchanged
	mail      *master.MailStatus // nil: unchanged
	strangers []strangerAttempt  // unknown slaves that tried to connect
}

// strangerAttempt is a slave with no entry here trying to connect.
type strangerAttempt struct{ name, remote string }

// liveFeed coalesces events into batches.
type liveFeed struct {
	fleet    Fleet
	settings RemoteSettings // nil: no listener info
	lookup   slaveLookup    // nil: use Slaves()

	pending   map[string]string // slave ID → name, changed since the last batch
	resync    bool
	listen    bool
	strangers []strangerAttempt
}

func newLiveFeed(fleet Fleet, settings RemoteSettings) *liveFeed {
	f := &liveFeed{fleet: fleet, settings: settings, pending: map[string]string{}}
	f.lookup, _ = fleet.(slaveLookup)
	return f
}

// add notes one event.
func (f *liveFeed) add(e master.Event) {
	switch {
	case e.Kind == master.EventResync:
		f.resync = true
	case e.Kind == master.EventAudit:
		// A command recorded: the Command Audit window's, not the tree's.
	case e.SlaveID != "":
		f.pending[e.SlaveID] = e.Slave
	case e.Kind == string(wire.CodeUnknownSlave):
		for _, s := range f.strangers {
			if strings.EqualFold(s.name, e.Slave) {
				return
			}
		}
		f.strangers = append(f.strangers, strangerAttempt{name: e.Slave, remote: e.Remote})
	default:
		// Not about a known slave: settings, the listener, mail.
		f.listen = true
	}
}

// dirty is whether a batch is due.
func (f *liveFeed) dirty() bool {
	return f.resync || f.listen || len(f.pending) > 0 || len(f.strangers) > 0
}

// collect reads what changed and resets. It runs off the Fyne thread.
func (f *liveFeed) collect() batch {
	var b batch
	if f.listen || f.resync {
		if f.settings != nil {
			li := readListenInfo(f.settings)
			b.listen = &li
		}
		b.mail = readMailStatus(f.fleet)
	}
	switch {
	case f.resync:
		b.all = f.fleet.Slaves()
		if b.all == nil {
			b.all = []master.SlaveView{}
		}
	case f.lookup != nil && len(f.pending) <= bigBatch:
		for id, name := range f.pending {
			if v, ok := f.lookup.Slave(name); ok && v.ID == id {
				b.views = append(b.views, v)
			} else {
				// Removed. (A rename is published under the new name,
				// which is the one kept here: the last event wins.)
				b.removed = append(b.removed, id)
			}
		}
	case len(f.pending) > 0:
		found := make(map[string]bool, len(f.pending))
		for _, v := range f.fleet.Slaves() {
			if _, ok := f.pending[v.ID]; ok {
				b.views = append(b.views, v)
				found[v.ID] = true
			}
		}
		for id := range f.pending {
			if !found[id] {
				b.removed = append(b.removed, id)
			}
		}
	}
	b.strangers, f.strangers = f.strangers, nil
	clear(f.pending)
	f.resync, f.listen = false, false
	return b
}

// run feeds events into batches (batchEvents) until ctx ends or the
// stream closes, and delivers what changed in each.
func (f *liveFeed) run(ctx context.Context, events <-chan master.Event, interval time.Duration, deliver func(batch)) {
	batchEvents(ctx, events, interval, func(evs []master.Event) {
		for _, e := range evs {
			f.add(e)
		}
		if f.dirty() {
			deliver(f.collect())
		}
	})
}
