package ui

import "github.com/lanyard/lanyard/core/master"

// following is the bookkeeping the detail pane's remote tabs (Tasks,
// Settings, Log) share: the slave a tab follows, whether that slave is
// linked, whether the tab is the one shown, and a generation. Work a tab
// starts in the background takes the generation with it (begin); its
// answer is dropped when the generation moved on meanwhile (latest):
// another slave was selected, or a newer read or stream began.
type following struct {
	slave   string
	linked  bool
	visible bool
	gen     int
	// goos is the system the slave last said it runs on ("" until its
	// first status): the dialogs' examples are written as it writes paths.
	goos string
	// away is what the slave is while not linked, in a few words
	// ("offline", "wrong password; its Overview says what to do").
	away string
}

// follow takes the slave the detail pane shows. other says it is another
// slave than before (the tab starts afresh); relinked that it is the same
// slave, whose link just came back (the tab reads afresh); unlinked that
// its link just went.
func (f *following) follow(v master.SlaveView) (other, relinked, unlinked bool) {
	linked := v.State == master.StateConnected
	f.away = stateWord(&v)
	if v.State == master.StateError {
		f.away += "; its Overview says what to do"
	}
	if v.Name != f.slave {
		f.goos = ""
	}
	if goos := osOf(&v); goos != "" {
		f.goos = goos
	}
	switch {
	case v.Name != f.slave:
		f.gen++
		f.slave, f.linked = v.Name, linked
		return true, false, false
	case linked != f.linked:
		f.linked = linked
		return false, linked, !linked
	}
	return false, false, false
}

// wanted: the tab is shown, and its slave is linked.
func (f *following) wanted() bool { return f.visible && f.linked && f.slave != "" }

// begin starts a new generation of work for the slave followed.
func (f *following) begin() (gen int, slave string) {
	f.gen++
	return f.gen, f.slave
}

// latest says whether work begun as gen is still the latest, its answer
// still wanted.
func (f *following) latest(gen int) bool { return f.gen == gen }

// forget follows no slave (nothing is selected).
func (f *following) forget() {
	f.gen++
	f.slave = ""
}

// notLinked is a tab's status while its slave is not linked: what the
// slave is instead, and what the tab shows once it is linked: "FS03 is
// not connected (wrong password; its Overview says what to do): its
// tasks show here once it is."
func (f *following) notLinked(then string) string {
	return f.slave + " is not connected (" + f.away + "): " + then + "."
}
