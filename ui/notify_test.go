package ui

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/lanyard/lanyard/core/health"
	"github.com/lanyard/lanyard/core/master"
	"github.com/lanyard/lanyard/core/store"
	"github.com/lanyard/lanyard/core/wire/pb"
	"github.com/lanyard/lanyard/internal/testkit"
	"github.com/lanyard/lanyard/internal/testkit/mastertest"
)

var t0 = time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)

func stateEvent(id, name string, st master.State) master.Event {
	return master.Event{Kind: master.EventState, SlaveID: id, Slave: name, State: st}
}

func titles(ns []*fyne.Notification) string {
	var out []string
	for _, n := range ns {
		out = append(out, n.Title+": "+n.Content)
	}
	return strings.Join(out, " | ")
}

func TestOutagesAreAnnouncedOncePastTheGracePeriod(t *testing.T) {
	type step struct {
		at    time.Duration // since t0
		event *master.Event // applied at that time, or
		check string        // the notifications due then ("" = none)
	}
	ev := func(e master.Event) *master.Event { return &e }
	tests := []struct {
		name  string
		start master.State
		steps []step
	}{
		{"an outage past the grace period is announced once", master.StateConnected, []step{
			{at: 0, event: ev(stateEvent("1", "FS01", master.StateOffline))},
			{at: 59 * time.Second, check: ""},
			{at: 60 * time.Second, check: "FS01 is offline: FS01 has been offline since 10:00:00 (over a minute)."},
			{at: 10 * time.Minute, check: ""},
		}},
		{"a short blip is not announced", master.StateConnected, []step{
			{at: 0, event: ev(stateEvent("1", "FS01", master.StateOffline))},
			{at: 5 * time.Second, event: ev(stateEvent("1", "FS01", master.StateConnecting))},
			{at: 10 * time.Second, event: ev(stateEvent("1", "FS01", master.StateConnected))},
			{at: 10 * time.Minute, check: ""},
		}},
		{"redialing and failing count as one outage", master.StateConnected, []step{
			{at: 0, event: ev(stateEvent("1", "FS01", master.StateOffline))},
			{at: 20 * time.Second, event: ev(stateEvent("1", "FS01", master.StateConnecting))},
			{at: 40 * time.Second, event: ev(stateEvent("1", "FS01", master.StateError))},
			{at: 61 * time.Second, check: "FS01 is offline: FS01 has been failing to connect since 10:00:00 (over a minute)."},
			{at: 62 * time.Second, event: ev(stateEvent("1", "FS01", master.StateConnecting))},
			{at: 5 * time.Minute, check: ""},
		}},
		{"the next outage is announced again", master.StateConnected, []step{
			{at: 0, event: ev(stateEvent("1", "FS01", master.StateOffline))},
			{at: 60 * time.Second, check: "FS01 is offline: FS01 has been offline since 10:00:00 (over a minute)."},
			{at: 70 * time.Second, event: ev(stateEvent("1", "FS01", master.StateConnected))},
			{at: 80 * time.Second, event: ev(stateEvent("1", "FS01", master.StateOffline))},
			{at: 139 * time.Second, check: ""},
			{at: 140 * time.Second, check: "FS01 is offline: FS01 has been offline since 10:01:20 (over a minute)."},
		}},
		{"a slave never seen connected is not announced", master.StateOffline, []step{
			{at: 0, event: ev(stateEvent("1", "FS01", master.StateError))},
			{at: time.Hour, check: ""},
		}},
		{"disconnecting by the user is not an outage", master.StateConnected, []step{
			{at: 0, event: ev(stateEvent("1", "FS01", master.StateDisabled))},
			{at: time.Hour, check: ""},
		}},
		{"a removed slave is not announced", master.StateConnected, []step{
			{at: 0, event: ev(stateEvent("1", "FS01", master.StateOffline))},
			{at: time.Second, event: ev(master.Event{Kind: store.KindRemoved, SlaveID: "1", Slave: "FS01"})},
			{at: time.Hour, check: ""},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newOutageWatch(time.Minute, UnknownSlaveQuiet)
			w.seed([]master.SlaveView{{ID: "1", Name: "FS01", State: tt.start}}, t0)
			for _, s := range tt.steps {
				now := t0.Add(s.at)
				if s.event != nil {
					if got := w.event(*s.event, now); len(got) != 0 {
						t.Errorf("at %v an event raised %s", s.at, titles(got))
					}
					continue
				}
				if got := titles(w.due(now)); got != s.check {
					t.Errorf("at %v: %q, want %q", s.at, got, s.check)
				}
			}
		})
	}
}

func TestManyOutagesAtOnceMakeOneNotification(t *testing.T) {
	w := newOutageWatch(time.Minute, UnknownSlaveQuiet)
	var views []master.SlaveView
	for _, n := range []string{"FS05", "FS02", "FS04", "FS01", "FS03"} {
		views = append(views, master.SlaveView{ID: n, Name: n, State: master.StateConnected})
	}
	w.seed(views, t0)
	for _, v := range views {
		w.event(stateEvent(v.ID, v.Name, master.StateOffline), t0)
	}
	got := titles(w.due(t0.Add(time.Minute)))
	if want := "5 slaves offline: FS01, FS02, FS03 and 2 more have been offline for over a minute. 5 servers went offline within 2 min, from " +
		t0.In(time.Local).Format("15:04") + ": a network outage (this console's connection, or their site's) is likelier than 5 servers down."; got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

// A server whose alerts are muted (maintenance) is not announced while
// it is; still down when its mute ends, it is then.
func TestAMutedServersOutageWaitsForItsMuteToEnd(t *testing.T) {
	w := newOutageWatch(time.Minute, UnknownSlaveQuiet)
	until := map[string]time.Time{"FS01": t0.Add(time.Hour), "FS03": t0.Add(24 * time.Hour)}
	asked := 0
	w.mutedUntil = func(name string) time.Time { asked++; return until[name] }
	w.seed([]master.SlaveView{{ID: "1", Name: "FS01", State: master.StateConnected}, {ID: "2", Name: "FS02", State: master.StateConnected},
		{ID: "3", Name: "FS03", State: master.StateConnected}}, t0)
	for _, v := range []struct{ id, name string }{{"1", "FS01"}, {"2", "FS02"}, {"3", "FS03"}} {
		w.event(stateEvent(v.id, v.name, master.StateOffline), t0)
	}
	if got := titles(w.due(t0.Add(2 * time.Minute))); !strings.HasPrefix(got, "FS02 is offline") || strings.Contains(got, "FS01") || strings.Contains(got, "FS03") {
		t.Errorf("during the mutes: %q", got)
	}
	// A muted site's outage is asked about once, not at every tick.
	asked = 0
	for i := range 10 {
		w.due(t0.Add(3*time.Minute + time.Duration(i)*time.Second))
	}
	if asked != 0 {
		t.Errorf("the mutes were asked %d times in ten ticks", asked)
	}
	if got := titles(w.due(until["FS01"])); !strings.HasPrefix(got, "FS01 is offline") {
		t.Errorf("once FS01's mute ended: %q", got)
	}
	// FS03 unmuted early: its event makes the watch ask again.
	until["FS03"] = time.Time{}
	w.event(stateEvent("3", "FS03", master.StateOffline), until["FS01"])
	if got := titles(w.due(until["FS01"].Add(time.Second))); !strings.HasPrefix(got, "FS03 is offline") {
		t.Errorf("once FS03 was unmuted: %q", got)
	}
}

// Four gone at once, or many one by one, are named without a guess.
func TestOutagesApartMakeNoGuess(t *testing.T) {
	w := newOutageWatch(time.Minute, UnknownSlaveQuiet)
	var views []master.SlaveView
	for i := range 6 {
		views = append(views, master.SlaveView{ID: fmt.Sprint(i), Name: fmt.Sprintf("FS%02d", i), State: master.StateConnected})
	}
	w.seed(views, t0)
	for i, v := range views {
		w.event(stateEvent(v.ID, v.Name, master.StateOffline), t0.Add(time.Duration(i)*time.Hour))
	}
	got := titles(w.due(t0.Add(6 * time.Hour)))
	if want := "6 slaves offline: FS00, FS01, FS02 and 3 more have been offline for over a minute."; got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

func TestAnUnknownSlaveIsAnnouncedOncePerNamePerTenMinutes(t *testing.T) {
	w := newOutageWatch(time.Minute, 10*time.Minute)
	w.seed([]master.SlaveView{{ID: "1", Name: "FS01", State: master.StateOffline}}, t0)
	unknown := func(name, addr string) master.Event {
		return master.Event{Kind: "unknown_slave", Slave: name, Remote: addr, Severity: "error"}
	}
	steps := []struct {
		at    time.Duration
		event master.Event
		want  string
	}{
		{0, unknown("STRANGER", "192.168.1.7:51234"), "Unknown slave: Unknown slave STRANGER tried to connect from 192.168.1.7:51234"},
		{time.Minute, unknown("STRANGER", "192.168.1.7:51240"), ""},
		{9 * time.Minute, unknown("stranger", "192.168.1.7:51250"), ""},
		{9 * time.Minute, unknown("OTHER", "10.1.1.1:40000"), "Unknown slave: Unknown slave OTHER tried to connect from 10.1.1.1:40000"},
		{10 * time.Minute, unknown("STRANGER", "192.168.1.7:51260"), "Unknown slave: Unknown slave STRANGER tried to connect from 192.168.1.7:51260"},
		{11 * time.Minute, unknown("FS01", "10.0.0.1:50000"), ""}, // a known entry set up as outbound: the log explains
	}
	for _, s := range steps {
		if got := titles(w.event(s.event, t0.Add(s.at))); got != s.want {
			t.Errorf("at %v, %s from %s: %q, want %q", s.at, s.event.Slave, s.event.Remote, got, s.want)
		}
	}
	st := w.summary()
	if len(st.strangers) != 2 || st.strangers[0].name != "STRANGER" || st.strangers[1].name != "OTHER" {
		t.Errorf("the tray offers %+v", st.strangers)
	}
}

// A copy of a server dialing in under its name (or a second
// installation) is announced once per slave per quiet spell, however
// many hosts it dials from, in words that say what to do.
func TestAServerClaimedByAnotherAgentIsAnnouncedOncePerQuietSpell(t *testing.T) {
	w := newOutageWatch(time.Minute, 10*time.Minute)
	w.seed([]master.SlaveView{{ID: "1", Name: "FS01", State: master.StateConnected}, {ID: "2", Name: "FS02", State: master.StateOffline}}, t0)
	refused := func(kind, name, addr string) master.Event {
		return master.Event{Kind: kind, SlaveID: map[string]string{"FS01": "1", "FS02": "2"}[name], Slave: name, Remote: addr, Severity: "error"}
	}
	copyOf := "FS01: a copy of this server: A copy of FS01 (a cloned server?) dials in from 198.51.100.9 and is refused: give the copy an identity of its own; FS01's Overview says how."
	steps := []struct {
		at    time.Duration
		event master.Event
		want  string
	}{
		{0, refused("shared_install", "FS01", "198.51.100.9:40001"), copyOf},
		{time.Minute, refused("shared_install", "FS01", "198.51.100.9:40002"), ""},
		{2 * time.Minute, refused("shared_install", "FS01", "203.0.113.4:40003"), ""}, // a second copy: the same news
		{3 * time.Minute, refused("duplicate_install", "FS02", "192.0.2.20:50000"),
			"FS02: another installation: Another installation claims the name FS02 from 192.0.2.20 and is refused: trust it in FS02's Overview if the agent was reinstalled; another server needs a name of its own."},
		{10 * time.Minute, refused("shared_install", "FS01", "198.51.100.9:40004"), copyOf},
	}
	for _, s := range steps {
		if got := titles(w.event(s.event, t0.Add(s.at))); got != s.want {
			t.Errorf("at %v, %s of %s from %s:\n got  %q\n want %q", s.at, s.event.Kind, s.event.Slave, s.event.Remote, got, s.want)
		}
	}
	if st := w.summary(); len(st.strangers) != 0 {
		t.Errorf("the tray offers to add %+v, which are known", st.strangers)
	}
	// A server whose alerts are muted announces none.
	w.mutedUntil = func(name string) time.Time {
		if name == "FS02" {
			return t0.Add(2 * time.Hour)
		}
		return time.Time{}
	}
	if got := titles(w.event(refused("duplicate_install", "FS02", "192.0.2.20:50001"), t0.Add(time.Hour))); got != "" {
		t.Errorf("muted FS02: %q", got)
	}
}

// scriptedFleet is a Fleet whose events the test sends.
type scriptedFleet struct {
	views  []master.SlaveView
	events chan master.Event
	closed chan struct{}
}

func newScriptedFleet(views ...master.SlaveView) *scriptedFleet {
	return &scriptedFleet{views: views, events: make(chan master.Event), closed: make(chan struct{})}
}

func (f *scriptedFleet) Slaves() []master.SlaveView { return f.views }
func (f *scriptedFleet) Subscribe(int) (<-chan master.Event, func()) {
	var once sync.Once
	return f.events, func() { once.Do(func() { close(f.closed) }) }
}
func (f *scriptedFleet) Connect(string) error                    { return nil }
func (f *scriptedFleet) Disconnect(string) error                 { return nil }
func (f *scriptedFleet) RemoveSlave(string) error                { return nil }
func (f *scriptedFleet) TrustCertificate(string) error           { return nil }
func (f *scriptedFleet) RenameGroup(string, string) (int, error) { return 0, nil }
func (f *scriptedFleet) Relinking() (started, until time.Time)   { return time.Time{}, time.Time{} }
func (f *scriptedFleet) Mute(string, time.Time) (master.SlaveView, error) {
	return master.SlaveView{}, nil
}
func (f *scriptedFleet) Status(context.Context, string) (*pb.StatusResponse, error) {
	return nil, nil
}

// trayApp is the test app with a system tray and a notification log.
type trayApp struct {
	fyne.App
	sent chan *fyne.Notification
	menu *fyne.Menu
	sets int
}

var _ desktop.App = (*trayApp)(nil)

func newTrayApp(t *testing.T) *trayApp {
	return &trayApp{App: test.NewTempApp(t), sent: make(chan *fyne.Notification, 16)}
}

func (a *trayApp) SendNotification(n *fyne.Notification) { a.sent <- n }
func (a *trayApp) SetSystemTrayMenu(m *fyne.Menu)        { a.menu = m; a.sets++ }
func (a *trayApp) SetSystemTrayIcon(fyne.Resource)       {}
func (a *trayApp) SetSystemTrayWindow(fyne.Window)       {}

func (a *trayApp) labels() []string {
	var out []string
	for _, it := range a.menu.Items {
		if !it.IsSeparator {
			out = append(out, it.Label)
		}
	}
	return out
}

func (a *trayApp) item(label string) *fyne.MenuItem {
	for _, it := range a.menu.Items {
		if it.Label == label {
			return it
		}
	}
	return nil
}

func TestTheNotifierAnnouncesAndKeepsTheTrayCurrent(t *testing.T) {
	noLeaksAfter(t)
	a := newTrayApp(t)
	fleet := newScriptedFleet(
		master.SlaveView{ID: "1", Name: "FS01", State: master.StateConnected},
		master.SlaveView{ID: "2", Name: "FS02", State: master.StateConnected},
		master.SlaveView{ID: "3", Name: "FS03", State: master.StateDisabled},
	)
	var mu sync.Mutex
	now := t0
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	tick := make(chan time.Time)
	q := newUIQueue()
	var opened, logged int
	var added []string
	stop := startNotifier(a, fleet, notifierOptions{grace: time.Minute, unknownQuiet: 10 * time.Minute, now: clock,
		tick: tick, trayEvery: time.Millisecond, do: q.do},
		func() { opened++ }, func() { logged++ }, func(name string) { added = append(added, name) })
	defer stop()

	if got := strings.Join(a.labels(), ", "); got != "2 connected · 0 offline · 1 disabled, Open Lanyard, Remote Management Log, Quit" {
		t.Errorf("tray at start: %s", got)
	}
	if q := a.item(trayQuit); q == nil || !q.IsQuit {
		t.Error("the tray's Quit is not marked IsQuit, so the driver would add a second one")
	}

	fleet.events <- stateEvent("1", "FS01", master.StateOffline)
	q.runUntil(t, "the tray to count the outage", func() bool { return a.menu.Items[0].Label == "1 connected · 1 offline · 1 disabled" })

	// A tick is taken only when the loop has finished the one before, so
	// two ticks in a row mean the first was fully handled.
	advance(59 * time.Second)
	tick <- now
	tick <- now
	if len(a.sent) != 0 {
		t.Fatalf("announced before the grace period: %s", (<-a.sent).Content)
	}
	advance(time.Second)
	tick <- now
	if n := <-a.sent; n.Title != "FS01 is offline" {
		t.Errorf("notification %q: %q", n.Title, n.Content)
	}
	advance(time.Hour)
	tick <- now
	tick <- now
	if len(a.sent) != 0 {
		t.Errorf("announced the same outage twice: %s", (<-a.sent).Content)
	}

	fleet.events <- master.Event{Kind: "unknown_slave", Slave: "STRANGER", Remote: "192.168.1.7:51234", Severity: "error"}
	if n := <-a.sent; n.Content != "Unknown slave STRANGER tried to connect from 192.168.1.7:51234" {
		t.Errorf("notification %q: %q", n.Title, n.Content)
	}
	q.runUntil(t, "the tray to offer the stranger", func() bool { return a.item("Add unknown slave STRANGER…") != nil })
	a.item("Add unknown slave STRANGER…").Action()
	a.item(trayLog).Action()
	if opened != 1 || logged != 1 || len(added) != 1 || added[0] != "STRANGER" {
		t.Errorf("after picking the tray items: opened %d, log %d, added %v", opened, logged, added)
	}
	sets := a.sets
	fleet.events <- stateEvent("2", "FS02", master.StateConnected) // no change in the counts
	fleet.events <- stateEvent("1", "FS01", master.StateConnected)
	q.runUntil(t, "the tray to count the return", func() bool { return a.menu.Items[0].Label == "2 connected · 0 offline · 1 disabled" })
	if a.sets-sets != 1 {
		t.Errorf("the tray menu was set %d times for one change of its text", a.sets-sets)
	}
	// A server in error is counted as the status bar counts it, not as
	// offline.
	fleet.events <- stateEvent("2", "FS02", master.StateError)
	q.runUntil(t, "the tray to count the error", func() bool { return a.menu.Items[0].Label == "1 connected · 0 offline · 1 error · 1 disabled" })
	stop()
	select {
	case <-fleet.closed:
	default:
		t.Error("stop did not unsubscribe")
	}
}

func TestARealUnknownSlaveIsAnnounced(t *testing.T) {
	noLeaksAfter(t)
	a := newTrayApp(t)
	m := mastertest.Start(t, mastertest.Options{Listen: true})
	q := newUIQueue()
	stop := startNotifier(a, m, notifierOptions{grace: time.Minute, unknownQuiet: 10 * time.Minute, now: time.Now,
		trayEvery: time.Millisecond, do: q.do}, func() {}, func() {}, func(string) {})
	defer stop()
	testkit.Agent(t, testkit.AgentOptions{Name: "STRANGER", Password: "pw", Masters: []string{m.ListenAddr()}})
	n := <-a.sent
	if !strings.HasPrefix(n.Content, "Unknown slave STRANGER tried to connect from 127.0.0.1:") {
		t.Errorf("notification %q: %q", n.Title, n.Content)
	}
	stop()
	if len(a.sent) != 0 {
		t.Errorf("the agent's retries were announced again: %q", (<-a.sent).Content)
	}
}

func TestTheUnknownSlavePromptAddsOnlyWhenAsked(t *testing.T) {
	test.NewTempApp(t)
	w := test.NewTempWindow(t, widget.NewLabel("main window"))
	w.Resize(fyne.NewSize(800, 600))
	var added []string
	add := func(name string) { added = append(added, name) }

	UnknownSlavePrompt(w, "STRANGER", "192.168.1.7:51234", add)
	test.AssertRendersToMarkup(t, "unknownslave_prompt.xml", w.Canvas())
	test.Tap(buttonLabelled(t, w, "Ignore"))
	if len(added) != 0 {
		t.Errorf("Ignore added %v", added)
	}
	UnknownSlavePrompt(w, "STRANGER", "192.168.1.7:51234", add)
	test.Tap(buttonLabelled(t, w, "Add Slave…"))
	if len(added) != 1 || added[0] != "STRANGER" {
		t.Errorf("Add Slave… added %v", added)
	}

	UnknownSlavePrompt(w, "bad name", "10.0.0.9:5000", add)
	buttonLabelled(t, w, "Close")
	if len(added) != 1 {
		t.Errorf("a name that cannot be used was offered for adding: %v", added)
	}
}

func TestBackupAlertsAreWordedOnePerBatch(t *testing.T) {
	failed := health.Alert{Kind: health.AlertFailed, Slave: "FS01", Task: "offsite",
		Row: health.Row{LastError: "destination is read-only"}}
	overdue := health.Alert{Kind: health.AlertOverdue, Slave: "NAS", Task: "media",
		Row: health.Row{LastSuccess: time.Date(2026, 11, 28, 2, 0, 0, 0, time.Local)}}
	offline := health.Alert{Kind: health.AlertOffline, Slave: "WEB"}
	full := health.Alert{Kind: health.AlertFull, Slave: "FS01", Task: "docs",
		Row: health.Row{Dest: health.DestSpace{Free: 30 << 30, Total: 1 << 40}}}
	cases := []struct {
		name           string
		alerts         []health.Alert
		title, content string
	}{
		{"a failed run names its error", []health.Alert{failed}, "FS01: backup offsite failed",
			"Backup task offsite on FS01 failed: destination is read-only."},
		{"an overdue task names its last success", []health.Alert{overdue}, "NAS: backup media overdue",
			"Backup task media on NAS overdue: last success 2026-11-28 02:00."},
		{"a nearly full destination says how full and what to do", []health.Alert{full}, "FS01: backup docs destination nearly full",
			"The destination of backup task docs on FS01 is 97 % full (30.0 GiB free of 1.0 TiB). Free space there or keep fewer snapshots."},
		{"damaged copies say what the verify found", []health.Alert{{Kind: health.AlertDamaged, Slave: "FS01", Task: "docs", Row: health.Row{LastDamaged: 2}}},
			"FS01: backup docs has damaged copies",
			"Backup task docs on FS01: 2 copies found damaged (the destination's disk may be failing; the next run copies them afresh and mends the older snapshots)."},
		{"an outage is left to the outage watch", []health.Alert{offline}, "", ""},
		{"several are counted", []health.Alert{failed, offline, overdue, full, failed}, "4 backup alerts",
			"FS01 / offsite failed, NAS / media overdue, FS01 / docs destination nearly full and 1 more. The Backups window (Ctrl+B) lists them."},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			n := backupNotification(c.alerts)
			if c.title == "" {
				if n != nil {
					t.Fatalf("notified %q", n.Title)
				}
				return
			}
			if n == nil || n.Title != c.title || n.Content != c.content {
				t.Fatalf("got %+v, want %q: %q", n, c.title, c.content)
			}
		})
	}
}

// alertFleet is a scripted fleet with backup alerts.
type alertFleet struct {
	*scriptedFleet
	alerts  chan health.Alert
	stopped chan struct{}
}

func (f *alertFleet) WatchAlerts(int) (<-chan health.Alert, func()) {
	var once sync.Once
	return f.alerts, func() { once.Do(func() { close(f.stopped) }) }
}

func TestTheNotifierAnnouncesBackupAlerts(t *testing.T) {
	noLeaksAfter(t)
	a := newTrayApp(t)
	fleet := &alertFleet{scriptedFleet: newScriptedFleet(master.SlaveView{ID: "1", Name: "FS01", State: master.StateConnected}),
		alerts: make(chan health.Alert), stopped: make(chan struct{})}
	q := newUIQueue()
	stop := startNotifier(a, fleet, notifierOptions{grace: time.Minute, unknownQuiet: time.Minute, now: func() time.Time { return t0 },
		tick: make(chan time.Time), trayEvery: time.Millisecond, do: q.do, noTray: true}, func() {}, func() {}, func(string) {})
	defer stop()
	fleet.alerts <- health.Alert{Kind: health.AlertFailed, SlaveID: "1", Slave: "FS01", Task: "docs", Row: health.Row{LastError: "disk full"}}
	if n := <-a.sent; n.Title != "FS01: backup docs failed" || n.Content != "Backup task docs on FS01 failed: disk full." {
		t.Fatalf("notification %q: %q", n.Title, n.Content)
	}
	stop()
	select {
	case <-fleet.stopped:
	default:
		t.Error("stop did not end the alert stream")
	}
}
