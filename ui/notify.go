package ui

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/lanyard/lanyard/core/address"
	"github.com/lanyard/lanyard/core/auth"
	"github.com/lanyard/lanyard/core/backup"
	"github.com/lanyard/lanyard/core/health"
	"github.com/lanyard/lanyard/core/human"
	"github.com/lanyard/lanyard/core/master"
	"github.com/lanyard/lanyard/core/store"
	"github.com/lanyard/lanyard/core/wire"
)

// Notifications: desktop notifications for outages, strangers and backups
// that failed or became overdue, and the tray menu with the fleet's
// counts.

// Texts of the tray menu.
const (
	trayOpen = "Open Lanyard"
	trayLog  = "Remote Management Log"
	trayQuit = "Quit"
)

const (
	// DefaultOfflineGrace is how long a slave that was connected may stay
	// offline before a notification says so: a restart or a network blip
	// is not news.
	DefaultOfflineGrace = 60 * time.Second
	// UnknownSlaveQuiet is how long the same unknown slave is not
	// announced again: an agent set up with the wrong console retries
	// every minute.
	UnknownSlaveQuiet = 10 * time.Minute
	// outageListMax is how many outages one notification names; more are
	// counted, so that a network failure does not bring 500 notifications.
	outageListMax = 3
	// alertListMax is how many backup alerts one notification names.
	alertListMax = 3
	// trayUnknownMax is how many recent unknown slaves the tray offers to
	// add.
	trayUnknownMax = 3
)

// BackupAlerts streams the backup alerts that come due (a task failed or
// overdue, past the grace period and once per state: core/health decides);
// *master.Master provides it.
type BackupAlerts interface {
	WatchAlerts(buffer int) (<-chan health.Alert, func())
}

// notifierOptions tune a notifier; tests set a fake clock and ticks.
type notifierOptions struct {
	grace        time.Duration
	unknownQuiet time.Duration
	now          func() time.Time
	tick         <-chan time.Time // when outages are checked; nil = every second
	trayEvery    time.Duration    // shortest time between two tray updates
	do           func(func())
	noTray       bool // the desktop has no system tray to talk to
}

// systemTrayUsable reports whether a tray menu can be set without harm.
// On Linux and the BSDs Fyne's tray talks to the D-Bus session bus; with
// none (a server, CI, Xvfb) it panics when the app quits (fyne-io/fyne
// #6403), losing the clean shutdown, so the tray is left out there.
func systemTrayUsable() bool {
	switch runtime.GOOS {
	case "linux", "freebsd", "openbsd", "netbsd", "dragonfly":
	default:
		return true
	}
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") != "" {
		return true
	}
	// The bus's default place when the variable is not exported.
	_, err := os.Stat(fmt.Sprintf("/run/user/%d/bus", os.Getuid()))
	return err == nil
}

// StartNotifier watches the fleet: a slave that was connected and stays
// offline or in error past the grace period raises one desktop
// notification per outage, and an unknown slave trying to connect raises
// one per name per ten minutes. When fleet offers BackupAlerts, a backup
// that failed or became overdue raises one too (core/health applies the
// grace period and never repeats a state; alerts that come due together
// make one notification). On a desktop it also sets the tray menu:
// the counts, "Open Lanyard" (openMain), "Remote Management Log" (openLog),
// "Add unknown slave NAME…" for recent strangers (openMain, then
// addSlave(name): only when the user picks it), and Quit. Call it on the
// Fyne thread; stop ends it.
func StartNotifier(a fyne.App, fleet Fleet, openMain func(), openLog func(), addSlave func(name string)) (stop func()) {
	return startNotifier(a, fleet, notifierOptions{grace: DefaultOfflineGrace, unknownQuiet: UnknownSlaveQuiet,
		now: time.Now, trayEvery: time.Second, do: fyne.Do, noTray: !systemTrayUsable()}, openMain, openLog, addSlave)
}

func startNotifier(a fyne.App, fleet Fleet, o notifierOptions, openMain, openLog func(), addSlave func(string)) (stop func()) {
	events, unsubscribe := fleet.Subscribe(1024)
	n := &notifier{a: a, fleet: fleet, o: o, w: newOutageWatch(o.grace, o.unknownQuiet)}
	if l, ok := fleet.(slaveLookup); ok {
		n.w.mutedUntil = func(name string) time.Time { v, _ := l.Slave(name); return v.MutedUntil }
	}
	n.w.seed(fleet.Slaves(), o.now())
	if d, ok := a.(desktop.App); ok && !o.noTray {
		n.tray = newTrayMenu(d, a, openMain, openLog, addSlave)
		n.tray.show(n.w.summary())
	}

	tick := o.tick
	var ticker *time.Ticker
	if tick == nil {
		ticker = time.NewTicker(time.Second)
		tick = ticker.C
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	// Events come in batches (at most one per trayEvery), and the tray is
	// set once per batch: a relink storm does not rebuild the menu a
	// thousand times.
	wg.Go(func() { batchEvents(ctx, events, o.trayEvery, n.fleetEvents) })
	// Backup alerts: those that come due together make one notification.
	// (A slave's outage is the outage watch's to announce.)
	var unwatch func()
	if ba, ok := fleet.(BackupAlerts); ok {
		var alerts <-chan health.Alert
		alerts, unwatch = ba.WatchAlerts(256)
		wg.Go(func() { batchEvents(ctx, alerts, o.trayEvery, n.backupAlerts) })
	}
	wg.Go(func() { n.announceDue(ctx, tick) })
	var once sync.Once
	return func() {
		once.Do(func() {
			cancel()
			unsubscribe()
			if unwatch != nil {
				unwatch()
			}
			wg.Wait()
			if ticker != nil {
				ticker.Stop()
			}
		})
	}
}

// notifier is what startNotifier runs: the outage watch, which its
// goroutines share under mu, the tray (nil without one), and the app
// that shows the notifications.
type notifier struct {
	a     fyne.App
	fleet Fleet
	o     notifierOptions
	mu    sync.Mutex
	w     *outageWatch
	tray  *trayMenu
}

func (n *notifier) send(ns []*fyne.Notification) {
	for _, x := range ns {
		n.a.SendNotification(x)
	}
}

// fleetEvents feeds a batch of the fleet's events to the outage watch,
// then sets the tray once.
func (n *notifier) fleetEvents(batch []master.Event) {
	n.mu.Lock()
	for _, e := range batch {
		if e.Kind == master.EventResync {
			n.w.seed(n.fleet.Slaves(), n.o.now())
		} else {
			n.send(n.w.event(e, n.o.now()))
		}
	}
	s := n.w.summary()
	n.mu.Unlock()
	if n.tray != nil {
		n.o.do(func() { n.tray.show(s) })
	}
}

// backupAlerts announces a batch of backup alerts in one notification.
func (n *notifier) backupAlerts(as []health.Alert) {
	if x := backupNotification(as); x != nil {
		n.a.SendNotification(x)
	}
}

// announceDue announces, at every tick, the outages whose grace period
// has passed, until ctx ends.
func (n *notifier) announceDue(ctx context.Context, tick <-chan time.Time) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick:
			n.mu.Lock()
			n.send(n.w.due(n.o.now()))
			n.mu.Unlock()
		}
	}
}

// backupNotification words the backup alerts among alerts (failed,
// overdue, destination nearly full): one names the task and what went
// wrong, many are counted and the first few named. nil when none is
// about a backup.
func backupNotification(alerts []health.Alert) *fyne.Notification {
	var as []health.Alert
	for _, a := range alerts {
		if a.Kind != health.AlertOffline {
			as = append(as, a)
		}
	}
	what := func(a health.Alert) string {
		switch a.Kind {
		case health.AlertFailed:
			return "failed"
		case health.AlertFull:
			return "destination nearly full"
		case health.AlertDamaged:
			return "has damaged copies"
		}
		return "overdue"
	}
	switch len(as) {
	case 0:
		return nil
	case 1:
		a := as[0]
		body := fmt.Sprintf("Backup task %s on %s %s", a.Task, a.Slave, what(a))
		switch {
		case a.Kind == health.AlertFailed && a.Row.LastError != "":
			body += ": " + a.Row.LastError
		case a.Kind == health.AlertOverdue:
			body += ": last success " + health.When(a.Row.LastSuccess, time.Local)
		case a.Kind == health.AlertFull:
			body = fmt.Sprintf("The destination of backup task %s on %s %s. %s", a.Task, a.Slave, a.Row.Dest.Low(), capitalize(backup.SpaceAdvice))
		case a.Kind == health.AlertDamaged:
			body = fmt.Sprintf("Backup task %s on %s: %s", a.Task, a.Slave, health.DamagedWords(a.Row.LastDamaged))
		}
		return fyne.NewNotification(fmt.Sprintf("%s: backup %s %s", a.Slave, a.Task, what(a)), body+".")
	}
	names := make([]string, 0, alertListMax)
	for _, a := range as[:min(len(as), alertListMax)] {
		names = append(names, fmt.Sprintf("%s / %s %s", a.Slave, a.Task, what(a)))
	}
	body := human.List(names, len(as))
	return fyne.NewNotification(human.Count(len(as))+" backup alerts", body+". The Backups window (Ctrl+B) lists them.")
}

// outageWatch is the notifier's state machine: fed events and the time,
// it says which notifications are due. It has no goroutine or clock of its
// own, so tests drive it step by step.
type outageWatch struct {
	grace, unknownQuiet time.Duration
	slaves              map[string]*watchedSlave // by entry ID
	strangers           map[string]time.Time     // lower-case name → last announced
	rivals              map[string]time.Time     // lower-case slave name → its rival last announced
	recent              []stranger               // newest first, for the tray
	// mutedUntil is until when a slave's alerts are muted (zero or past:
	// they are not); nil: none ever are.
	mutedUntil func(name string) time.Time
}

type watchedSlave struct {
	name          string
	state         master.State
	everConnected bool      // outages count only for slaves seen connected
	downSince     time.Time // zero: not in an outage
	announced     bool      // this outage was announced
	// quietUntil: its outage waits for its mute to end, then; an event of
	// the slave (a mute changed) makes the watch ask again.
	quietUntil time.Time
}

type stranger struct{ name, addr string }

// trayState is what the tray menu shows.
type trayState struct {
	counts    stateCounts // the slaves by state, counted as the status bar counts them
	strangers []stranger
}

func newOutageWatch(grace, unknownQuiet time.Duration) *outageWatch {
	return &outageWatch{grace: grace, unknownQuiet: unknownQuiet, slaves: map[string]*watchedSlave{},
		strangers: map[string]time.Time{}, rivals: map[string]time.Time{}}
}

// seed takes the fleet as it is now (at start, and after a resync):
// known slaves change state as if by an event, new ones are added, gone
// ones forgotten.
func (w *outageWatch) seed(views []master.SlaveView, now time.Time) {
	seen := make(map[string]bool, len(views))
	for _, v := range views {
		seen[v.ID] = true
		s := w.slaves[v.ID]
		if s == nil {
			s = &watchedSlave{state: v.State}
			w.slaves[v.ID] = s
		}
		s.name = v.Name
		w.setState(s, v.State, now)
	}
	for id := range w.slaves {
		if !seen[id] {
			delete(w.slaves, id)
		}
	}
}

// event applies one fleet event and returns the notifications it raises
// at once (outages wait for due).
func (w *outageWatch) event(e master.Event, now time.Time) []*fyne.Notification {
	switch e.Kind {
	case store.KindRemoved:
		delete(w.slaves, e.SlaveID)
		return nil
	case string(wire.CodeUnknownSlave):
		return w.stranger(e, now)
	case string(wire.CodeSharedInstall), string(wire.CodeDuplicateInstall):
		return w.rival(e, now)
	}
	if s := w.slaves[e.SlaveID]; s != nil {
		s.quietUntil = time.Time{} // its mute may have changed
	}
	if e.SlaveID == "" || e.State == "" {
		return nil
	}
	s := w.slaves[e.SlaveID]
	if s == nil {
		s = &watchedSlave{state: e.State}
		w.slaves[e.SlaveID] = s
	}
	s.name = e.Slave
	w.setState(s, e.State, now)
	return nil
}

func (w *outageWatch) setState(s *watchedSlave, st master.State, now time.Time) {
	s.state = st
	switch st {
	case master.StateConnected:
		s.everConnected, s.downSince, s.announced = true, time.Time{}, false
	case master.StateDisabled:
		// The user's choice, not an outage.
		s.downSince, s.announced = time.Time{}, false
	default: // offline, connecting (redialing), error
		if s.everConnected && s.downSince.IsZero() {
			s.downSince = now
		}
	}
}

// due returns a notification for the outages that passed the grace
// period since the last call: one per slave, or one summary for many. A
// slave whose alerts are muted waits for its mute to end.
func (w *outageWatch) due(now time.Time) []*fyne.Notification {
	var down []*watchedSlave
	for _, s := range w.slaves {
		if s.downSince.IsZero() || s.announced || now.Sub(s.downSince) < w.grace {
			continue
		}
		if w.muted(s, now) {
			continue // announced once its mute ends, if it is still down
		}
		s.announced = true
		down = append(down, s)
	}
	if len(down) == 0 {
		return nil
	}
	slices.SortFunc(down, func(a, b *watchedSlave) int { return human.CompareNames(a.name, b.name) })
	if len(down) > outageListMax {
		names := make([]string, outageListMax)
		for i := range names {
			names[i] = down[i].name
		}
		body := fmt.Sprintf("%s have been offline for over %s.", human.List(names, len(down)), humanDuration(w.grace))
		went := make([]time.Time, len(down))
		for i, s := range down {
			went[i] = s.downSince
		}
		if o, ok := health.FindOutage(went); ok {
			body += " " + health.OutageLine(o, false, now)
		}
		return []*fyne.Notification{fyne.NewNotification(human.Count(len(down))+" slaves offline", body)}
	}
	out := make([]*fyne.Notification, len(down))
	for i, s := range down {
		out[i] = fyne.NewNotification(s.name+" is offline",
			fmt.Sprintf("%s has been %s since %s (over %s).", s.name, stateWords(s.state),
				s.downSince.Format("15:04:05"), humanDuration(w.grace)))
	}
	return out
}

// stranger announces an unknown slave's attempt, once per name per quiet
// period. An attempt under the name of a known (outbound) entry is not a
// stranger: the log window explains that one.
func (w *outageWatch) stranger(e master.Event, now time.Time) []*fyne.Notification {
	if e.Slave == "" {
		return nil
	}
	for _, s := range w.slaves {
		if strings.EqualFold(s.name, e.Slave) {
			return nil
		}
	}
	if !w.fresh(w.strangers, strings.ToLower(e.Slave), now) {
		return nil
	}
	w.recent = slices.DeleteFunc(w.recent, func(s stranger) bool { return strings.EqualFold(s.name, e.Slave) })
	w.recent = append([]stranger{{name: e.Slave, addr: e.Remote}}, w.recent...)
	if len(w.recent) > trayUnknownMax {
		w.recent = w.recent[:trayUnknownMax]
	}
	return []*fyne.Notification{fyne.NewNotification("Unknown slave",
		fmt.Sprintf("Unknown slave %s tried to connect from %s", e.Slave, orUnknown(e.Remote)))}
}

// muted reports whether s's alerts are muted at now. The answer is kept
// until the mute ends: an outage of a muted site is asked about once, not
// at every tick.
func (w *outageWatch) muted(s *watchedSlave, now time.Time) bool {
	if now.Before(s.quietUntil) {
		return true
	}
	if w.mutedUntil == nil {
		return false
	}
	if until := w.mutedUntil(s.name); until.After(now) {
		s.quietUntil = until
		return true
	}
	return false
}

// rival announces another agent refused under a slave's name, a copy of
// the server (a cloned VM) or a second installation, once per slave per
// quiet period (until it is given an identity of its own it dials again
// every minute or so), unless the slave's alerts are muted.
func (w *outageWatch) rival(e master.Event, now time.Time) []*fyne.Notification {
	if e.Slave == "" || (w.mutedUntil != nil && w.mutedUntil(e.Slave).After(now)) || !w.fresh(w.rivals, strings.ToLower(e.Slave), now) {
		return nil
	}
	host, _ := address.Split(e.Remote)
	from := orUnknown(host)
	if e.Kind == string(wire.CodeSharedInstall) {
		return []*fyne.Notification{fyne.NewNotification(e.Slave+": a copy of this server",
			fmt.Sprintf("A copy of %s (a cloned server?) dials in from %s and is refused: give the copy an identity of its own; %s's Overview says how.", e.Slave, from, e.Slave))}
	}
	return []*fyne.Notification{fyne.NewNotification(e.Slave+": another installation",
		fmt.Sprintf("Another installation claims the name %s from %s and is refused: trust it in %s's Overview if the agent was reinstalled; another server needs a name of its own.", e.Slave, from, e.Slave))}
}

// fresh reports whether key was announced in seen longer than the quiet
// period ago, or never, and notes it announced now; it forgets the keys
// announced before the quiet period.
func (w *outageWatch) fresh(seen map[string]time.Time, key string, now time.Time) bool {
	if last, ok := seen[key]; ok && now.Sub(last) < w.unknownQuiet {
		return false
	}
	seen[key] = now
	for k, t := range seen {
		if now.Sub(t) >= w.unknownQuiet {
			delete(seen, k)
		}
	}
	return true
}

// summary is what the tray shows now.
func (w *outageWatch) summary() trayState {
	var st trayState
	for _, s := range w.slaves {
		st.counts[stateIndex(s.state)]++
	}
	// Strangers stay on offer until someone adds them or they stop trying.
	for _, s := range w.recent {
		known := false
		for _, k := range w.slaves {
			known = known || strings.EqualFold(k.name, s.name)
		}
		if !known {
			st.strangers = append(st.strangers, s)
		}
	}
	return st
}

func stateWords(s master.State) string {
	switch s {
	case master.StateError:
		return "failing to connect"
	case master.StateConnecting:
		return "reconnecting"
	}
	return "offline"
}

func humanDuration(d time.Duration) string {
	switch {
	case d >= time.Minute && d%time.Minute == 0:
		if d == time.Minute {
			return "a minute"
		}
		return fmt.Sprintf("%d minutes", d/time.Minute)
	case d >= time.Second && d%time.Second == 0:
		return fmt.Sprintf("%d seconds", d/time.Second)
	}
	return d.String()
}

func orUnknown(s string) string {
	if s == "" {
		return "an unknown address"
	}
	return s
}

// trayMenu is the system tray menu. Items are rebuilt in place, and the
// menu re-set only when its text changes (the driver rebuilds the whole
// native menu each time).
type trayMenu struct {
	app      desktop.App
	menu     *fyne.Menu
	counts   *fyne.MenuItem
	fixed    []*fyne.MenuItem
	openMain func()
	addSlave func(string)
	shown    string
}

func newTrayMenu(d desktop.App, a fyne.App, openMain, openLog func(), addSlave func(string)) *trayMenu {
	t := &trayMenu{app: d, openMain: openMain, addSlave: addSlave}
	t.counts = fyne.NewMenuItem("", nil)
	t.counts.Disabled = true
	quit := fyne.NewMenuItem(trayQuit, a.Quit)
	quit.IsQuit = true
	t.fixed = []*fyne.MenuItem{
		fyne.NewMenuItem(trayOpen, openMain),
		fyne.NewMenuItem(trayLog, openLog),
		fyne.NewMenuItemSeparator(),
		quit,
	}
	t.menu = fyne.NewMenu("Lanyard")
	return t
}

// show updates the menu to st; it runs on the Fyne thread.
func (t *trayMenu) show(st trayState) {
	if t == nil {
		return
	}
	t.counts.Label = countsText(&st.counts)
	items := []*fyne.MenuItem{t.counts, fyne.NewMenuItemSeparator(), t.fixed[0], t.fixed[1]}
	if len(st.strangers) > 0 {
		items = append(items, fyne.NewMenuItemSeparator())
		for _, s := range st.strangers {
			name := s.name
			items = append(items, fyne.NewMenuItem("Add unknown slave "+name+"…", func() {
				t.openMain()
				t.addSlave(name)
			}))
		}
	}
	items = append(items, t.fixed[2:]...)
	text := menuText(items)
	if text == t.shown {
		return
	}
	t.shown = text
	t.menu.Items = items
	t.app.SetSystemTrayMenu(t.menu)
}

func menuText(items []*fyne.MenuItem) string {
	var b strings.Builder
	for _, it := range items {
		b.WriteString(it.Label)
		b.WriteByte('\n')
	}
	return b.String()
}

// UnknownSlavePrompt tells, inside parent, that a slave this console has
// no entry for tried to connect, and offers to add it: add(name) runs only
// if the user picks "Add Slave…" (open the Add Slave dialog with the name
// filled in). Desktop notifications have no buttons, so the main window
// shows this when it sees an "unknown_slave" event.
func UnknownSlavePrompt(parent fyne.Window, name, addr string, add func(name string)) {
	if err := auth.ValidateName(name); err != nil {
		body := wrappedText(fmt.Sprintf("A slave tried to connect from %s under a name that cannot be used. %s",
			orUnknown(addr), sentence(err.Error())))
		d := dialog.NewCustom("Unknown slave", "Close", body, parent)
		guardDialog(parent, d, d.Hide, d.Hide)
		d.Show()
		return
	}
	body := wrappedText(fmt.Sprintf("A slave named %s tried to connect from %s, but this console has no entry for it.", name, orUnknown(addr)),
		"If it is yours, add it as an inbound slave with the password set on its agent. If not, ignore this: it cannot connect without an entry.")
	showCustomConfirm(parent, "Unknown slave "+name, "Add Slave…", "Ignore", body, func(ok bool) {
		if ok {
			add(name)
		}
	})
}

// wrappedText is paragraphs wrapped at a fixed width, measured before the
// dialog that shows them takes its size.
func wrappedText(paragraphs ...string) fyne.CanvasObject {
	const width = 460
	text := widget.NewLabel(strings.Join(paragraphs, "\n\n"))
	text.Wrapping = fyne.TextWrapWord
	space := canvas.NewRectangle(nil)
	space.SetMinSize(fyne.NewSize(width, 0))
	gap := canvas.NewRectangle(nil)
	gap.SetMinSize(fyne.NewSize(0, theme.Padding()))
	box := container.NewVBox(space, text, gap)
	for range 2 { // the wrapped height follows from the width
		box.Resize(fyne.NewSize(width, box.MinSize().Height))
	}
	return box
}
