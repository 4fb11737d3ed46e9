package ui

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	"google.golang.org/protobuf/proto"

	"github.com/lanyard/lanyard/core/human"
	"github.com/lanyard/lanyard/core/master"
	"github.com/lanyard/lanyard/core/store"
	"github.com/lanyard/lanyard/core/wire/pb"
)

// fakeRemote is a fakeConsole that can also manage its slaves: a log
// stream the test feeds, settings it keeps, and every call recorded.
var _ Remote = (*fakeRemote)(nil)

type fakeRemote struct {
	*fakeConsole
	*fakeTasks
	feed chan []*pb.LogLine // lines the open log stream delivers

	rmu       sync.Mutex
	queries   []master.LogQuery
	streams   int // log streams open now
	settings  *pb.AgentSettings
	sets      []*pb.SettingsSetRequest
	passwords []string
	pwErr     error // ChangePassword's answer
	setErr    error
	hold      chan struct{} // when set, SetAgentSettings waits for it
}

func newFakeRemote(slaves ...master.SlaveView) *fakeRemote {
	return &fakeRemote{fakeConsole: newFakeConsole(slaves...), fakeTasks: demoTasks(), feed: make(chan []*pb.LogLine, 64),
		settings: &pb.AgentSettings{Name: "FS01", Listen: ":16888", ListenAddr: "[::]:16888", Ssl: true, Management: true,
			Masters: []*pb.MasterInfo{{Address: "10.0.0.2:16888", State: "connected", Remote: "10.0.0.2:16888", SinceUnixNano: fixedNow.Add(-time.Hour).UnixNano()}},
			Consoles: []*pb.ConsoleInfo{
				{Remote: "10.0.0.9:50211", Ssl: true, SinceUnixNano: fixedNow.Add(-26 * time.Hour).UnixNano(), RttMs: 0.4, You: true},
				{Remote: "10.0.0.2:16888", Master: "10.0.0.2:16888", Ssl: true, SinceUnixNano: fixedNow.Add(-time.Hour).UnixNano(), RttMs: 23.4},
			}}}
}

func (f *fakeRemote) AgentLog(ctx context.Context, name string, q master.LogQuery, onLines func([]*pb.LogLine) error) error {
	f.rmu.Lock()
	f.queries = append(f.queries, q)
	f.streams++
	f.rmu.Unlock()
	defer func() {
		f.rmu.Lock()
		f.streams--
		f.rmu.Unlock()
	}()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case lines := <-f.feed:
			if err := onLines(lines); err != nil {
				return err
			}
		}
	}
}

func (f *fakeRemote) openStreams() int {
	f.rmu.Lock()
	defer f.rmu.Unlock()
	return f.streams
}

func (f *fakeRemote) lastQuery() master.LogQuery {
	f.rmu.Lock()
	defer f.rmu.Unlock()
	return f.queries[len(f.queries)-1]
}

func (f *fakeRemote) AgentSettings(context.Context, string) (*pb.AgentSettings, error) {
	f.rmu.Lock()
	defer f.rmu.Unlock()
	return f.settings, nil
}

func (f *fakeRemote) SetAgentSettings(ctx context.Context, _ string, req *pb.SettingsSetRequest) (*pb.SettingsSetResponse, error) {
	f.rmu.Lock()
	f.sets = append(f.sets, req)
	hold, err := f.hold, f.setErr
	f.rmu.Unlock()
	if hold != nil {
		select {
		case <-hold:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if err != nil {
		return nil, err
	}
	return &pb.SettingsSetResponse{Changes: []string{master.DescribeSettingsChange(req)}, Settings: f.settings}, nil
}

func (f *fakeRemote) ChangePassword(_ context.Context, name string, pw []byte) ([]string, error) {
	f.rmu.Lock()
	defer f.rmu.Unlock()
	f.passwords = append(f.passwords, name+":"+string(pw))
	if f.pwErr != nil {
		return nil, f.pwErr
	}
	return []string{"password: changed", "closed 1 console link"}, nil
}

// remoteWindow is the main window on the demo fleet with FS01 selected and
// the tab called tab shown.
func remoteWindow(t *testing.T, tab string) (*mainWindow, *uiQueue, *fakeRemote) {
	t.Helper()
	fr := newFakeRemote(demoFleet()...)
	mw, q := openMainWindow(t, fr, nil)
	mw.win.Resize(fyne.NewSize(1100, 700))
	mw.tree.Select("a1")
	for i, it := range mw.detail.tabs.Items {
		if it.Text == tab {
			mw.detail.tabs.SelectIndex(i)
		}
	}
	return mw, q, fr
}

// logLines makes n lines numbered from first, every tenth a warning.
func logLines(first, n int) []*pb.LogLine {
	out := make([]*pb.LogLine, n)
	for i := range n {
		lvl := "info"
		if (first+i)%10 == 0 {
			lvl = "warning"
		}
		at := time.Date(2026, 3, 14, 14, 59, (first+i)%60, 0, time.Local)
		out[i] = &pb.LogLine{Level: lvl, TimeUnixNano: at.UnixNano(),
			Text: fmt.Sprintf(`time="%s" level=%s msg="line %d"`, at.Format("2006-01-02 15:04:05.000"), lvl, first+i)}
	}
	return out
}

func TestTheLogTabTailsTheSelectedSlaveWhileItShows(t *testing.T) {
	mw, q, fr := remoteWindow(t, tabLog)
	lt := mw.detail.logTab
	q.runUntil(t, "the log stream", func() bool { return fr.openStreams() == 1 })
	if got := fr.lastQuery(); got.Last != logTabBacklog || !got.Follow || got.MinLevel != "" {
		t.Fatalf("the tail asked for %+v", got)
	}
	fr.feed <- logLines(1, 20)
	q.runUntil(t, "20 lines", func() bool { return lt.length() == 20 })
	if !strings.Contains(lt.status.Text, "Following the log of FS01 · 20 lines") || lt.pause.Disabled() || lt.copyBtn.Disabled() {
		t.Errorf("status %q, Pause disabled %v, Copy disabled %v", lt.status.Text, lt.pause.Disabled(), lt.copyBtn.Disabled())
	}

	// Another tab: the stream stops; back: it starts again.
	mw.detail.tabs.SelectIndex(0)
	q.runUntil(t, "the stream to stop", func() bool { return fr.openStreams() == 0 })
	mw.detail.tabs.SelectIndex(2)
	q.runUntil(t, "the stream again", func() bool { return fr.openStreams() == 1 })

	// The level filter is the agent's: a new stream with the level.
	lt.level.SetSelected(logTabLevelWarnings)
	q.runUntil(t, "a warnings stream", func() bool {
		return fr.openStreams() == 1 && fr.lastQuery().MinLevel == "warning"
	})
	if lt.length() != 0 {
		t.Errorf("%d old lines still shown after the level changed", lt.length())
	}

	// The starting point is the agent's too.
	lt.from.SetSelected(logTabFromHour)
	q.runUntil(t, "a stream since an hour ago", func() bool {
		got := fr.lastQuery()
		return fr.openStreams() == 1 && got.Since.Equal(fixedNow.Add(-time.Hour)) && got.Last == 0 && got.MinLevel == "warning"
	})

	// An offline slave has no stream, and the tab says why.
	v := demoFleet()[0]
	v.State = master.StateOffline
	fr.set(v)
	q.runUntil(t, "the stream to stop when FS01 went offline", func() bool { return fr.openStreams() == 0 })
	q.runUntil(t, "the tab to say so", func() bool {
		return lt.status.Text == "FS01 is not connected (offline): its log shows here once it is."
	})
	// With no line to pause or copy, neither can be.
	if !lt.pause.Disabled() || !lt.copyBtn.Disabled() {
		t.Errorf("offline, no line: Pause disabled %v, Copy disabled %v", lt.pause.Disabled(), lt.copyBtn.Disabled())
	}
}

func TestTheLogTabKeepsUpWithAFloodInFewUpdates(t *testing.T) {
	mw, q, fr := remoteWindow(t, tabLog)
	lt := mw.detail.logTab
	q.runUntil(t, "the log stream", func() bool { return fr.openStreams() == 1 })
	const total = 15_000 // more than the tab keeps
	for i := 0; i < total; i += 100 {
		fr.feed <- logLines(i, 100)
	}
	updates := 0
	lastLine := fmt.Sprintf("line %d", total-1)
	q.runUntil(t, "the last line", func() bool {
		updates++
		n := lt.length()
		return n > 0 && strings.HasSuffix(lt.entry(n-1).text, lastLine)
	})
	if n := lt.length(); n != logTabMaxLines {
		t.Errorf("%d lines kept, want the bound %d", n, logTabMaxLines)
	}
	if lt.dropped != total-logTabMaxLines || !strings.Contains(lt.status.Text, "older lines let go") {
		t.Errorf("dropped %d, status %q", lt.dropped, lt.status.Text)
	}
	// Lines stay in order: the first kept is the one after those let go.
	if first := lt.entry(0).text; !strings.HasSuffix(first, fmt.Sprintf("line %d", total-logTabMaxLines)) {
		t.Errorf("the oldest line kept is %q", first)
	}
}

func TestTheLogTabSearchesPausesAndCopies(t *testing.T) {
	mw, q, fr := remoteWindow(t, tabLog)
	lt := mw.detail.logTab
	q.runUntil(t, "the log stream", func() bool { return fr.openStreams() == 1 })
	fr.feed <- logLines(1, 30)
	q.runUntil(t, "30 lines", func() bool { return lt.length() == 30 })

	test.Type(lt.search, "WARN")
	if lt.length() != 3 || !strings.Contains(lt.status.Text, "3 lines of 30 match") {
		t.Fatalf("search: %d lines, status %q", lt.length(), lt.status.Text)
	}
	test.Tap(lt.copyBtn)
	clip := fyne.CurrentApp().Clipboard().Content()
	if strings.Count(clip, "\n") != 3 || !strings.Contains(clip, "Mar 14 14:59:10  WARN   line 10") || !strings.Contains(clip, "line 30") {
		t.Errorf("clipboard %q", clip)
	}
	lt.search.SetText("")

	test.Tap(lt.pause)
	fr.feed <- logLines(31, 5)
	q.runUntil(t, "the paused tab to count the new lines", func() bool { return strings.Contains(lt.status.Text, "Paused · 5 new lines waiting") })
	if lt.length() != 30 {
		t.Fatalf("%d lines shown while paused, want 30", lt.length())
	}
	test.Tap(lt.pause)
	if lt.length() != 35 || lt.pause.Text != logTabPause {
		t.Fatalf("after Resume: %d lines, button %q", lt.length(), lt.pause.Text)
	}

	// Escape clears the search; in the empty search, it selects nothing.
	mw.win.Canvas().Focus(lt.search)
	test.Type(lt.search, "WARN")
	pressKey(mw.win, fyne.KeyEscape)
	if lt.search.Text != "" || lt.length() != 35 || mw.tree.selected == "" {
		t.Fatalf("after Escape: search %q, %d lines, server %q", lt.search.Text, lt.length(), mw.tree.selected)
	}
	pressKey(mw.win, fyne.KeyEscape)
	if mw.tree.selected != "" {
		t.Errorf("Escape in the empty search left %q selected", mw.tree.selected)
	}
}

// A line the list cuts reads in full under it once selected; a search,
// which changes the lines under the selection, lets go of it.
func TestTheLogTabShowsTheLineSelectedInFull(t *testing.T) {
	mw, q, fr := remoteWindow(t, tabLog)
	lt := mw.detail.logTab
	q.runUntil(t, "the log stream", func() bool { return fr.openStreams() == 1 })
	lines := logLines(1, 3)
	long := "task nightly: failed: " + strings.Repeat("the destination /mnt/backup/customers/acme is not mounted; ", 4)
	lines[1].Text = `time="2026-03-14 14:59:02.000" level=error msg="` + long + `" task=nightly`
	fr.feed <- lines
	q.runUntil(t, "3 lines", func() bool { return lt.length() == 3 })
	if lt.line.Text != logTabPickHint {
		t.Fatalf("with no line selected the tab says %q under the list", lt.line.Text)
	}
	lt.list.Select(1)
	if got := lt.line.Text; !strings.Contains(got, long) || !strings.HasSuffix(got, "task=nightly") {
		t.Errorf("the line selected reads %q under the list; want it whole", got)
	}
	test.Type(lt.search, "line")
	if lt.line.Text != logTabPickHint {
		t.Errorf("after a search the tab still shows %q under the list", lt.line.Text)
	}
}

func TestLogTabGolden(t *testing.T) {
	mw, q, fr := remoteWindow(t, tabLog)
	lt := mw.detail.logTab
	q.runUntil(t, "the log stream", func() bool { return fr.openStreams() == 1 })
	lines := logLines(1, 12)
	lines[4].Level, lines[4].Text = "error", `time="2026-03-14 14:59:05.000" level=error msg="task nightly: failed: the destination /mnt/backup is not mounted"`
	lines[7].Level = "debug"
	fr.feed <- lines
	q.runUntil(t, "12 lines", func() bool { return lt.length() == 12 })
	test.AssertRendersToMarkup(t, "logtab.xml", mw.win.Canvas())
}

// An agent moved to another port by this console can be followed: the
// confirmation offers to change the address this console dials too, and
// the entry keeps its group and notes.
func TestTheSettingsTabFollowsTheAgentToItsNewPort(t *testing.T) {
	mw, q, fr := remoteWindow(t, tabSettings)
	st := mw.detail.setTab
	q.runUntil(t, "the settings", func() bool { return st.loaded != nil })
	before, _ := fr.Slave("FS01") // dialed at 10.0.0.4:16888, where it listens
	st.address.SetText(":17000")
	test.Tap(st.apply)
	tapButton(t, mw.win, "Change, and dial it at 10.0.0.4:17000")
	q.runUntil(t, "the entry to follow", func() bool {
		return strings.HasSuffix(st.status.Text, "This console now dials FS01 at 10.0.0.4:17000.")
	})
	if !slices.Contains(fr.called(), "edit FS01 address 10.0.0.4:17000") {
		t.Fatalf("calls %v", fr.called())
	}
	if after, _ := fr.Slave("FS01"); after.Group != before.Group || after.Notes != before.Notes {
		t.Errorf("the entry's group %q and notes %q became %q and %q", before.Group, before.Notes, after.Group, after.Notes)
	}

	// A port the router forwards is not the agent's own: nothing to follow.
	st.view.Address = "office.example.com:50000"
	if got := st.followAddress(&pb.SettingsSetRequest{Listen: ptr(":18000")}); got != "" {
		t.Errorf("an entry dialed at a forwarded port would follow to %q", got)
	}
}

func TestTheSettingsTabShowsAndChangesTheAgentsSettings(t *testing.T) {
	mw, q, fr := remoteWindow(t, tabSettings)
	st := mw.detail.setTab
	q.runUntil(t, "the settings", func() bool { return st.loaded != nil })
	if st.apply.Disabled() == false {
		t.Error("Apply is enabled before anything changed")
	}
	test.AssertRendersToMarkup(t, "settingstab.xml", mw.win.Canvas())

	// A change that spares this console's link is sent at once.
	st.address.SetText(":17000")
	if st.apply.Disabled() {
		t.Fatal("Apply is disabled after a change")
	}
	test.Tap(st.apply)
	if txt := overlayText(mw.win); strings.Contains(txt, "Change the settings") {
		// FS01 is dialed by this console (outbound): a new listen port
		// is its business too.
		if !strings.Contains(txt, "edit the slave's address to match") {
			t.Fatalf("the confirmation says %q", txt)
		}
		tapButton(t, mw.win, "Change")
	}
	q.runUntil(t, "the change to be sent", func() bool {
		fr.rmu.Lock()
		defer fr.rmu.Unlock()
		return len(fr.sets) == 1
	})
	q.runUntil(t, "the answer", func() bool { return strings.HasPrefix(st.status.Text, "Done: listen :17000") })

	// SSL off would cut this console's link: beside the checkbox it says
	// what SSL off exposes, and Apply asks first and says so.
	st.ssl.SetChecked(false)
	if !strings.Contains(st.sslRisk.Text, "try passwords offline") || st.sslRisk.Importance != widget.WarningImportance {
		t.Errorf("with SSL unticked the tab says %q", st.sslRisk.Text)
	}
	test.Tap(st.apply)
	txt := overlayText(mw.win)
	if !strings.Contains(txt, "SSL turns off on FS01") || !strings.Contains(txt, "cannot link to FS01 again until the two match") {
		t.Fatalf("the confirmation says %q", txt)
	}
	tapButton(t, mw.win, "Cancel")
	fr.rmu.Lock()
	n := len(fr.sets)
	fr.rmu.Unlock()
	if n != 1 {
		t.Fatalf("%d changes sent; the cancelled one was sent", n)
	}

	// Removing the master this console's link came through, and turning
	// management off, are named too.
	st.ssl.SetChecked(true)
	st.management.SetChecked(false)
	test.Tap(st.apply)
	if txt := overlayText(mw.win); !strings.Contains(txt, "will refuse every console, this one included") {
		t.Fatalf("management off: the confirmation says %q", txt)
	}
	tapButton(t, mw.win, "Cancel")
}

// What the agent would refuse is said under its field, by the agent's own
// rule, before anything is sent: a listen port out of range keeps Apply
// off, and a console's address that cannot be read is not added.
func TestTheSettingsTabSaysWhatTheAgentWouldRefuseBeforeSending(t *testing.T) {
	mw, q, fr := remoteWindow(t, tabSettings)
	st := mw.detail.setTab
	q.runUntil(t, "the settings", func() bool { return st.loaded != nil })

	st.address.SetText("0.0.0.0:99999")
	if !st.apply.Disabled() || st.discard.Disabled() || !st.addressMsg.Visible() || !strings.Contains(st.addressMsg.Text, "not a number from 1 to 65535") {
		t.Fatalf("port 99999: Apply disabled %v, Discard disabled %v, the field's note %q (shown %v)", st.apply.Disabled(), st.discard.Disabled(), st.addressMsg.Text, st.addressMsg.Visible())
	}
	st.address.SetText("0.0.0.0:17000")
	if st.apply.Disabled() || st.addressMsg.Visible() {
		t.Fatalf("a good address: Apply disabled %v, the field's note %q still shown", st.apply.Disabled(), st.addressMsg.Text)
	}
	st.listen.SetChecked(false)
	st.address.SetText("nonsense")
	if st.addressMsg.Visible() {
		t.Errorf("listening off: the address is not used, yet the tab says %q", st.addressMsg.Text)
	}

	st.newMaster.SetText("office.example:16888=SHA256:00")
	st.addNewMaster()
	if len(st.added) != 0 || !strings.Contains(st.masterMsg.Text, "is not a certificate fingerprint") || st.newMaster.Text == "" {
		t.Fatalf("a bad fingerprint: added %v, the note %q, the field %q (kept to be mended)", st.added, st.masterMsg.Text, st.newMaster.Text)
	}
	st.newMaster.SetText("192.0.2.9:16888")
	if st.masterMsg.Visible() {
		t.Errorf("the note %q stays while the address is mended", st.masterMsg.Text)
	}
	st.addNewMaster()
	if len(st.added) != 1 {
		t.Fatalf("a good address was not added: %v", st.added)
	}
	fr.rmu.Lock()
	defer fr.rmu.Unlock()
	if len(fr.sets) != 0 {
		t.Errorf("%d changes sent", len(fr.sets))
	}
}

// A server not linked whose settings were never read shows no form: one
// of defaults (SSL off, its warning in orange) would read as its own.
// The tab says why there is none; the settings show once read.
func TestTheSettingsTabOfAServerNeverReadShowsNoForm(t *testing.T) {
	mw, q, _ := remoteWindow(t, tabSettings)
	st := mw.detail.setTab
	q.runUntil(t, "the settings of FS01", func() bool { return st.loaded != nil && st.form.Visible() })
	mw.tree.Select("a3") // BACKUP-7: wrong password
	q.runUntil(t, "BACKUP-7 shown", func() bool { return st.slave == "BACKUP-7" })
	if st.form.Visible() || !strings.Contains(st.status.Text, "its settings can be read and changed once it is") {
		t.Errorf("BACKUP-7: the form shows (%v), the status says %q", st.form.Visible(), st.status.Text)
	}
	mw.tree.Select("a1")
	q.runUntil(t, "the settings of FS01 again", func() bool { return st.loaded != nil && st.form.Visible() })
}

// Why the agent cannot reach a console it dials is read in full in the
// Settings tab, over as many lines as it takes: it is read nowhere else
// from the console, and the end of it says what to do.
func TestAConsoleTheAgentCannotReachShowsWhyInFull(t *testing.T) {
	mw, q, _ := remoteWindow(t, tabSettings)
	st := mw.detail.setTab
	q.runUntil(t, "the settings", func() bool { return st.loaded != nil })
	why := `192.0.2.9:16888 is not a Lanyard console: a web server answered ("HTTP/1.1 400 Bad Request"); check the address and port, and the office router's port forwarding`
	st.loaded.Masters = append(st.loaded.Masters, &pb.MasterInfo{Address: "192.0.2.9:16888", State: "error",
		LastError: why, SinceUnixNano: fixedNow.Add(-time.Minute).UnixNano()})
	st.fill()
	var label *widget.Label
	for _, o := range st.masters.Objects[1].(*fyne.Container).Objects {
		if l, ok := o.(*widget.Label); ok {
			label = l
		}
	}
	if label == nil || !strings.HasSuffix(label.Text, "port forwarding") {
		t.Fatalf("the console in error shows %v", label)
	}
	if oneLine := widget.NewLabel("x").MinSize().Height; label.Size().Height < 2*oneLine*0.8 || label.Size().Width > st.masters.Size().Width {
		t.Errorf("its row is %v in a list %v wide: want it on more than one line, within the list", label.Size(), st.masters.Size().Width)
	}
}

// A console just added is shown connecting; the tab reads again by
// itself a moment later and shows whether it linked, or why not, the
// change's own words left in place.
func TestAConsoleJustAddedShowsWhetherItLinkedWithoutAReload(t *testing.T) {
	mw, q, fr := remoteWindow(t, tabSettings)
	st := mw.detail.setTab
	st.again = 20 * time.Millisecond
	q.runUntil(t, "the settings", func() bool { return st.loaded != nil })
	with := func(m *pb.MasterInfo) {
		fr.rmu.Lock()
		defer fr.rmu.Unlock()
		s := proto.Clone(fr.settings).(*pb.AgentSettings)
		s.Masters = append(s.Masters[:1], m)
		fr.settings = s
	}
	with(&pb.MasterInfo{Address: "192.0.2.9:16888", State: "connecting", SinceUnixNano: fixedNow.UnixNano()})
	st.newMaster.SetText("192.0.2.9:16888")
	st.addNewMaster()
	test.Tap(st.apply)
	q.runUntil(t, "the change", func() bool { return strings.HasPrefix(st.status.Text, "Done: ") })
	done := st.status.Text
	why := "192.0.2.9:16888 is not a Lanyard console: a web server answered (\"HTTP/1.1 400 Bad Request\"); check the address and port"
	with(&pb.MasterInfo{Address: "192.0.2.9:16888", State: "error", LastError: why, SinceUnixNano: fixedNow.UnixNano()})
	row := func() string {
		if len(st.masters.Objects) < 2 {
			return ""
		}
		for _, o := range st.masters.Objects[1].(*fyne.Container).Objects {
			if l, ok := o.(*widget.Label); ok {
				return l.Text
			}
		}
		return ""
	}
	q.runUntil(t, "the added console's failure", func() bool { return strings.Contains(row(), why) })
	if st.status.Text != done || !st.apply.Disabled() {
		t.Errorf("after the reading again: status %q (was %q), Apply disabled %v", st.status.Text, done, st.apply.Disabled())
	}
}

func TestASlowSettingsChangeShowsASpinnerAndCanBeCancelled(t *testing.T) {
	mw, q, fr := remoteWindow(t, tabSettings)
	st := mw.detail.setTab
	q.runUntil(t, "the settings", func() bool { return st.loaded != nil })
	fr.rmu.Lock()
	fr.hold = make(chan struct{}) // never answered
	fr.rmu.Unlock()
	st.newMaster.SetText("192.0.2.5:16888")
	test.Tap(st.addMaster)
	test.Tap(st.apply)
	txt := overlayText(mw.win)
	if !strings.Contains(txt, "Sending the change to FS01") {
		t.Fatalf("no waiting dialog: %q", txt)
	}
	found := false
	for _, o := range test.LaidOutObjects(mw.win.Canvas().Overlays().Top()) {
		if _, ok := o.(*widget.Activity); ok {
			found = true
		}
	}
	if !found {
		t.Error("the waiting dialog has no spinner")
	}
	tapButton(t, mw.win, waitCancel)
	q.runUntil(t, "the cancel to be reported", func() bool {
		return strings.Contains(overlayText(mw.win), "Cancelled; the change may still reach FS01")
	})
	if txt := overlayText(mw.win); !strings.Contains(txt, "The settings of FS01 may have changed") {
		t.Fatalf("the cancel's title: %q", txt)
	}
}

// applyFailing opens the Settings tab and applies a change that fails
// with err.
func applyFailing(t *testing.T, err error) (*mainWindow, *uiQueue, *settingsTab) {
	t.Helper()
	mw, q, fr := remoteWindow(t, tabSettings)
	st := mw.detail.setTab
	q.runUntil(t, "the settings", func() bool { return st.loaded != nil })
	fr.rmu.Lock()
	fr.setErr = err
	fr.rmu.Unlock()
	st.newMaster.SetText("192.0.2.5:16888")
	test.Tap(st.addMaster)
	test.Tap(st.apply)
	return mw, q, st
}

// A change whose answer never came says the settings may have changed,
// not that they were not.
func TestASettingsChangeWithoutAnAnswerMayHaveBeenMade(t *testing.T) {
	mw, q, st := applyFailing(t, fmt.Errorf("FS01 did not answer in time: the command may still be carried out (%w)", master.ErrNoAnswer))
	q.runUntil(t, "the failure to be reported", func() bool { return strings.Contains(st.status.Text, "did not answer in time") })
	if txt := overlayText(mw.win); !strings.Contains(txt, "The settings of FS01 may have changed") || !strings.Contains(txt, "Reload to see its settings.") {
		t.Fatalf("a change without an answer: %q", txt)
	}
}

// A change the agent refuses says why, not that it was cancelled.
func TestASettingsChangeTheAgentRefusesSaysWhy(t *testing.T) {
	mw, q, st := applyFailing(t, errors.New(`FS01 answered: listen: the port is in use`))
	q.runUntil(t, "the refusal to be reported", func() bool { return strings.Contains(st.status.Text, "the port is in use") })
	if txt := overlayText(mw.win); strings.Contains(txt, "Cancelled") {
		t.Fatalf("a refusal reported as a cancel: %q", txt)
	}
}

// passwordEntries are the two password fields of the dialog on top.
func passwordEntries(t *testing.T, win fyne.Window) []*dialogEntry {
	t.Helper()
	var entries []*dialogEntry
	for _, o := range test.LaidOutObjects(win.Canvas().Overlays().Top()) {
		if e, ok := o.(*dialogEntry); ok && e.Password {
			entries = append(entries, e)
		}
	}
	if len(entries) != 2 {
		t.Fatalf("%d password entries", len(entries))
	}
	return entries
}

func TestChangePasswordIsTypedTwiceAndSentOverSSL(t *testing.T) {
	mw, q, fr := remoteWindow(t, tabOverview)
	findItem(mw.win.MainMenu(), menuSlave, itemPassword).Action()
	txt := overlayText(mw.win)
	if !strings.Contains(txt, "Other consoles that manage FS01 are disconnected and will need the new password") {
		t.Fatalf("the dialog does not warn about other consoles: %q", txt)
	}
	entries := passwordEntries(t, mw.win)
	test.Type(entries[0], "new-secret")
	test.Type(entries[1], "new-secrex")
	if !strings.Contains(overlayText(mw.win), "The two passwords differ.") {
		t.Fatalf("no mismatch warning: %q", overlayText(mw.win))
	}
	// A short one is taken, with the warning the command line gives.
	if !strings.Contains(overlayText(mw.win), "The password has only 10 characters: anyone who records one login") {
		t.Errorf("no warning of a short password: %q", overlayText(mw.win))
	}
	test.AssertRendersToMarkup(t, "passworddialog_mismatch.xml", mw.win.Canvas())
	entries[1].SetText("new-secret")
	tapButton(t, mw.win, pwChange)
	q.runUntil(t, "the password to be sent", func() bool {
		fr.rmu.Lock()
		defer fr.rmu.Unlock()
		return len(fr.passwords) == 1
	})
	if fr.passwords[0] != "FS01:new-secret" {
		t.Errorf("sent %q", fr.passwords[0])
	}
	q.runUntil(t, "the result", func() bool { return strings.Contains(overlayText(mw.win), "was changed and saved here") })

	// A change whose answer never came says the password may have
	// changed, and that nothing needs retyping.
	fr.rmu.Lock()
	fr.pwErr = fmt.Errorf("the link to FS01 closed before it answered (reset): the command may or may not have been carried out; %w", master.ErrPasswordInDoubt)
	fr.rmu.Unlock()
	findItem(mw.win.MainMenu(), menuSlave, itemPassword).Action()
	entries = passwordEntries(t, mw.win)
	test.Type(entries[0], "newer-secret")
	test.Type(entries[1], "newer-secret")
	if strings.Contains(overlayText(mw.win), "has only") {
		t.Errorf("12 characters are called short: %q", overlayText(mw.win))
	}
	// Generate and Copy types a long random one in both, and copies it.
	tapButton(t, mw.win, pwGenerate)
	made := entries[0].Text
	if len(made) != 29 || entries[1].Text != made || fyne.CurrentApp().Clipboard().Content() != made ||
		!strings.Contains(overlayText(mw.win), "A random password was made and copied") {
		t.Fatalf("generated %q and %q, copied %q", made, entries[1].Text, fyne.CurrentApp().Clipboard().Content())
	}
	// Typed over, it no longer says a password was made.
	entries[0].SetText("typed-over-it")
	if strings.Contains(overlayText(mw.win), "A random password was made") {
		t.Error("typed over, the dialog still says the password was made")
	}
	tapButton(t, mw.win, pwGenerate)
	made = entries[0].Text
	tapButton(t, mw.win, pwChange)
	q.runUntil(t, "the password made to be sent", func() bool {
		fr.rmu.Lock()
		defer fr.rmu.Unlock()
		return len(fr.passwords) == 2
	})
	if fr.passwords[1] != "FS01:"+made {
		t.Errorf("sent %q, want the password made", fr.passwords[1])
	}
	q.runUntil(t, "the result in doubt", func() bool {
		txt := overlayText(mw.win)
		return strings.Contains(txt, "The password of FS01 may have changed") && strings.Contains(txt, "Nothing needs retyping")
	})

	// Over a link without SSL there is nothing to type, and it says why.
	mw.tree.Select("b2")
	findItem(mw.win.MainMenu(), menuSlave, itemPassword).Action()
	if txt := overlayText(mw.win); !strings.Contains(txt, "does not use SSL") {
		t.Fatalf("no SSL: %q", txt)
	}
}

func TestTheLogTabShowsTimeLevelMessageAndFields(t *testing.T) {
	now := time.Date(2026, 12, 2, 15, 0, 0, 0, time.Local)
	at := func(d time.Duration) int64 { return now.Add(d).UnixNano() }
	for _, tt := range []struct {
		name string
		line *pb.LogLine
		want string
	}{
		{"today", &pb.LogLine{Text: `time="2026-12-02 14:59:58.000" level=info msg="linked to the console" event=connected master="192.0.2.1:16888"`,
			Level: "info", TimeUnixNano: at(-2 * time.Second)}, `14:59:58  INFO   linked to the console  event=connected master=192.0.2.1:16888`},
		{"yesterday, a value with spaces", &pb.LogLine{Text: `time="x" level=warning msg="task failed" reason="disk full"`,
			Level: "warning", TimeUnixNano: at(-24 * time.Hour)}, `Dec 01 15:00:00  WARN   task failed  reason="disk full"`},
		{"no time or level", &pb.LogLine{Text: `msg=hello`}, `hello`},
		{"not logrus", &pb.LogLine{Text: `goroutine 1 [running]:`, Level: "error"}, `goroutine 1 [running]:`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := readableLine(tt.line, now); got != tt.want {
				t.Errorf("\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

// A slave whose password change awaits its answer says so on its
// Overview, beside its state.
func TestTheOverviewSaysAPasswordChangeIsInDoubt(t *testing.T) {
	v := master.SlaveView{State: master.StateConnected, PasswordInDoubt: true, StateSince: fixedNow.Add(-time.Hour)}
	if got, want := stateSentence(&v, fixedNow), "Connected · a password change awaits its answer: the next link settles it"; got != want {
		t.Errorf("state %q, want %q", got, want)
	}
	v.PasswordInDoubt = false
	if got := stateSentence(&v, fixedNow); got != "Connected" {
		t.Errorf("state %q without a change in doubt", got)
	}
}

// A slave not linked says since when: a failure tried again and again
// since the morning reads so, not as a fresh one.
func TestTheOverviewSaysSinceWhenASlaveIsNotLinked(t *testing.T) {
	since := fixedNow.Add(-3 * time.Hour)
	for _, c := range []struct {
		v    master.SlaveView
		want string
	}{
		{master.SlaveView{State: master.StateError, StateSince: since, Retrying: true},
			"Error since " + human.Ago(since, fixedNow) + " · trying again now"},
		{master.SlaveView{State: master.StateOffline, Direction: store.Inbound, StateSince: since},
			"Offline since " + human.Ago(since, fixedNow) + ": waiting for the slave to dial in"},
		{master.SlaveView{State: master.StateDisabled, StateSince: since}, "Disabled since " + human.Ago(since, fixedNow) + ": disconnected by you"},
		{master.SlaveView{State: master.StateOffline}, "Offline"},
		{master.SlaveView{State: master.StateConnecting, StateSince: since}, "Connecting"},
	} {
		if got := stateSentence(&c.v, fixedNow); got != c.want {
			t.Errorf("%s: %q, want %q", c.v.State, got, c.want)
		}
	}
}

// quickRunner runs a spawned function in a goroutine and hands what it
// does to the test: a window's runner, without a window.
type quickRunner struct {
	wg   sync.WaitGroup
	done chan func()
}

func (r *quickRunner) spawn(fn func(context.Context)) {
	r.wg.Go(func() { fn(context.Background()) })
}

func (r *quickRunner) do(fn func()) { r.done <- fn }

// Work behind a Cancel is shown as cancelled only when it failed because
// Cancel was pressed: not when it failed on its own (its context ends
// with it all the same), nor when it ran out of time, nor when it
// succeeded as Cancel was pressed.
func TestCancellableWorkIsCancelledOnlyWhenCancelStoppedIt(t *testing.T) {
	refused := errors.New("refused")
	for _, c := range []struct {
		name          string
		timeout       time.Duration
		work          func(ctx context.Context, cancel func()) error
		wantCancelled bool
	}{
		{"fails on its own", 0, func(context.Context, func()) error { return refused }, false},
		{"stopped by Cancel", 0, func(ctx context.Context, cancel func()) error { cancel(); <-ctx.Done(); return ctx.Err() }, true},
		{"out of time", time.Millisecond, func(ctx context.Context, _ func()) error { <-ctx.Done(); return ctx.Err() }, false},
		{"done as Cancel was pressed", 0, func(_ context.Context, cancel func()) error { cancel(); return nil }, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			if c.timeout > 0 {
				ctx, cancel = context.WithTimeout(context.Background(), c.timeout)
			}
			r := &quickRunner{done: make(chan func(), 1)}
			var gotErr error
			gotCancelled := !c.wantCancelled
			spawnCancellable(r, ctx, cancel, func(ctx context.Context) error { return c.work(ctx, cancel) },
				func(err error, cancelled bool) { gotErr, gotCancelled = err, cancelled })
			select {
			case show := <-r.done:
				show()
			case <-time.After(10 * time.Second):
				t.Fatal("nothing was shown within 10 s")
			}
			r.wg.Wait()
			if gotCancelled != c.wantCancelled {
				t.Errorf("cancelled = %v (err %v), want %v", gotCancelled, gotErr, c.wantCancelled)
			}
			if ctx.Err() == nil {
				t.Error("the work's context outlived it")
			}
		})
	}
}
