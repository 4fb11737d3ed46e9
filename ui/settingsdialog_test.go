package ui

import (
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/lanyard/lanyard/core/address"
	"github.com/lanyard/lanyard/internal/testkit/mastertest"
)

// openSettings shows the Remote Management Settings over a test window.
func openSettings(t *testing.T, rs RemoteSettings, ports PortChecker, tickListen bool) (*settingsForm, *uiQueue, fyne.Window) {
	t.Helper()
	test.NewTempApp(t)
	w := test.NewTempWindow(t, widget.NewLabel("main window"))
	w.Resize(fyne.NewSize(800, 720))
	q := newUIQueue()
	return showSettingsDialog(w, rs, ports, tickListen, q.do), q, w
}

func shownText(l *widget.Label) string {
	if !l.Visible() {
		return ""
	}
	return l.Text
}

func TestThePortIsValidatedAsTheUserTypes(t *testing.T) {
	f, _, _ := openSettings(t, newFakeConsole(), nil, false)
	tests := []struct {
		port string
		ok   bool
	}{
		{"16888", true},
		{"1", true},
		{"65535", true},
		{"0", false},
		{"65536", false},
		{"-5", false},
		{"port", false},
		{"", false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("port %q", tt.port), func(t *testing.T) {
			f.port.SetText(tt.port)
			msg := shownText(f.portMsg)
			if tt.ok && (msg != "" || f.apply.Disabled()) {
				t.Errorf("a valid port shows %q, Apply disabled %v", msg, f.apply.Disabled())
			}
			if !tt.ok && (!strings.Contains(msg, "not a number from 1 to 65535") || !f.apply.Disabled()) {
				t.Errorf("an invalid port shows %q, Apply disabled %v", msg, f.apply.Disabled())
			}
			if !tt.ok && !f.check.Disabled() {
				t.Error("Check port is enabled for an invalid port")
			}
		})
	}
	t.Run("an address that is no IP of this machine", func(t *testing.T) {
		f.port.SetText("16888")
		f.address.SetText("example.com")
		if msg := shownText(f.portMsg); !strings.Contains(msg, "must be an IP address of this machine") || !f.apply.Disabled() {
			t.Errorf("shows %q, Apply disabled %v", msg, f.apply.Disabled())
		}
		f.address.SetText("")
	})
	t.Run("not listening, the port does not matter", func(t *testing.T) {
		f.port.SetText("0")
		f.listen.SetChecked(false)
		if !f.port.Disabled() || f.apply.Disabled() || shownText(f.portMsg) != "" {
			t.Errorf("port disabled %v, Apply disabled %v, message %q", f.port.Disabled(), f.apply.Disabled(), shownText(f.portMsg))
		}
	})
}

// The listening address pasted whole gives its port to the Port field, as
// in the Add Slave dialog (takesWholeAddress).
func TestAListeningAddressGivesItsPortToThePortField(t *testing.T) {
	f, _, _ := openSettings(t, newFakeConsole(), nil, true)
	test.Type(f.address, "127.0.0.1:23000")
	if msg := shownText(f.portMsg); msg != sentence(portMovesWords("the Port field")) || !f.apply.Disabled() {
		t.Errorf("while typing: message %q, Apply disabled %v", msg, f.apply.Disabled())
	}
	f.address.FocusLost()
	if f.address.Text != "127.0.0.1" || f.port.Text != "23000" {
		t.Errorf("after leaving the field: address %q, port %q", f.address.Text, f.port.Text)
	}
	if msg := shownText(f.portMsg); msg != "" || f.apply.Disabled() {
		t.Errorf("after leaving the field: message %q, Apply disabled %v", msg, f.apply.Disabled())
	}
}

// The public address pasted whole gives its port to Forwarded ports, at
// the end of the list, losing none of the ports there; a list with a
// mistake in it takes nothing, and its mistake is shown.
func TestAPublicAddressGivesItsPortToForwardedPorts(t *testing.T) {
	f, _, _ := openSettings(t, newFakeConsole(), nil, true)
	f.selectTab(settingsAgentsTab)
	for _, tc := range []struct {
		ports, typed, host, moved, line string
	}{
		{"", "office.example.com:50000", "office.example.com", "50000", "office.example.com:50000"},
		{"16888", "office.example.com:50000", "office.example.com", "16888, 50000", "office.example.com:16888,office.example.com:50000"},
		{"16888, 50000", "[2001:db8::7]:50000", "2001:db8::7", "16888, 50000", "[2001:db8::7]:16888,[2001:db8::7]:50000"},
	} {
		f.pubPorts.SetText(tc.ports)
		f.public.SetText("")
		test.Type(f.public, tc.typed)
		if msg := shownText(f.pubMsg); msg != "The port goes in Forwarded ports: leaving this field moves it there." || !f.apply.Disabled() {
			t.Errorf("%s typed: message %q, Apply disabled %v", tc.typed, msg, f.apply.Disabled())
		}
		f.public.FocusLost()
		if f.public.Text != tc.host || f.pubPorts.Text != tc.moved {
			t.Errorf("%s left beside %q: address %q, ports %q; want %q and %q", tc.typed, tc.ports, f.public.Text, f.pubPorts.Text, tc.host, tc.moved)
		}
		if msg := shownText(f.pubMsg); msg != "" || f.apply.Disabled() || !strings.Contains(f.initLine.Text, tc.line) {
			t.Errorf("%s moved: message %q, Apply disabled %v, line %q lacks %q", tc.typed, msg, f.apply.Disabled(), f.initLine.Text, tc.line)
		}
	}
	f.pubPorts.SetText("16888, x")
	f.public.SetText("office.example.com:50000")
	f.public.FocusLost()
	if f.public.Text != "office.example.com:50000" || f.pubPorts.Text != "16888, x" || !strings.Contains(shownText(f.pubMsg), "Forwarded ports:") {
		t.Errorf("beside a list with a mistake: address %q, ports %q, message %q", f.public.Text, f.pubPorts.Text, shownText(f.pubMsg))
	}
}

// Apply greys out for a problem on any tab; the tab that holds it is
// marked, so that whoever is on another tab sees where to look.
func TestATabWithAProblemIsMarked(t *testing.T) {
	f, _, _ := openSettings(t, newFakeConsole(), nil, true)
	marked := func() (names []string) {
		for _, it := range f.tabs.Items {
			if it.Icon != nil {
				names = append(names, it.Text)
			}
		}
		return names
	}
	if m := marked(); len(m) != 0 {
		t.Fatalf("a dialog without problems marks %q", m)
	}
	f.selectTab(mailTabLabel)
	f.public.SetText("office.example.com:50000")
	f.heartbeat.SetText("0")
	if m := marked(); !f.apply.Disabled() || strings.Join(m, ", ") != settingsListeningTab+", "+settingsAgentsTab {
		t.Errorf("with a bad heartbeat and public address: marked %q, Apply disabled %v", m, f.apply.Disabled())
	}
	f.public.SetText("office.example.com")
	f.heartbeat.SetText("15")
	if m := marked(); len(m) != 0 || f.apply.Disabled() {
		t.Errorf("with the problems mended: marked %q, Apply disabled %v", m, f.apply.Disabled())
	}
}

func TestTheHeartbeatIsValidated(t *testing.T) {
	f, _, _ := openSettings(t, newFakeConsole(), nil, false)
	for _, tt := range []struct {
		text string
		ok   bool
	}{{"15", true}, {"1", true}, {"600", true}, {"", true}, {"0", false}, {"601", false}, {"soon", false}} {
		f.heartbeat.SetText(tt.text)
		if got := shownText(f.hbMsg) == "" && !f.apply.Disabled(); got != tt.ok {
			t.Errorf("heartbeat %q: accepted %v, want %v (message %q)", tt.text, got, tt.ok, shownText(f.hbMsg))
		}
	}
}

func TestTheAlertGraceIsValidated(t *testing.T) {
	f, _, _ := openSettings(t, newFakeConsole(), nil, false)
	if f.grace.Text != "60" {
		t.Errorf("the alert grace shows %q, want the default 60", f.grace.Text)
	}
	for _, tt := range []struct {
		text string
		ok   bool
	}{{"300", true}, {"1", true}, {"86400", true}, {"", true}, {"0", false}, {"86401", false}, {"5m", false}} {
		f.grace.SetText(tt.text)
		if got := shownText(f.graceMsg) == "" && !f.apply.Disabled(); got != tt.ok {
			t.Errorf("alert grace %q: accepted %v, want %v (message %q)", tt.text, got, tt.ok, shownText(f.graceMsg))
		}
	}
}

// Against a real console: the alert grace typed is the one its health
// tracker uses, and is shown again when the dialog reopens.
func TestApplyChangesTheAlertGrace(t *testing.T) {
	noLeaksAfter(t)
	m := mastertest.Start(t, mastertest.Options{})
	f, q, w := openSettings(t, m, nil, false)
	selectTab(t, w, mailTabLabel)
	f.grace.SetText("300")
	test.Tap(f.apply)
	q.runUntil(t, "the dialog to close", func() bool { return w.Canvas().Overlays().Top() == nil })
	if got := m.Settings().AlertGrace(); got != 5*time.Minute {
		t.Fatalf("the console's alert grace is %s, want 5m", got)
	}
	if f = showSettingsDialog(w, m, nil, false, q.do); f.grace.Text != "300" {
		t.Errorf("reopened, the dialog shows an alert grace of %q", f.grace.Text)
	}
}

func TestSSLWarnings(t *testing.T) {
	f, _, w := openSettings(t, newFakeConsole(), nil, false)
	all := overlayText(w)
	if !strings.Contains(all, "Every console and slave must use the same SSL setting.") {
		t.Errorf("no must-match warning in %q", all)
	}
	// Beside the checkbox, what each setting exposes, in honest words.
	if got := f.sslRisk.Text; !strings.Contains(got, "only an impostor answering at the very first contact") || !strings.Contains(got, "fingerprint") {
		t.Errorf("with SSL on the dialog says %q", got)
	}
	f.ssl.SetChecked(false)
	for _, want := range []string{"try passwords offline", "take over the link and send commands as the console", "long random passwords"} {
		if !strings.Contains(f.sslRisk.Text, want) || f.sslRisk.Importance != widget.WarningImportance {
			t.Errorf("with SSL off the dialog says %q (importance %v); want %q", f.sslRisk.Text, f.sslRisk.Importance, want)
		}
	}
}

func TestTheConsolesOwnFingerprintIsShownAndCopied(t *testing.T) {
	f, _, w := openSettings(t, newFakeConsole(), nil, false)
	f.tabs.SelectIndex(1) // Agents' addresses
	all := overlayText(w)
	if !strings.Contains(all, "SHA256:"+testConsoleFingerprint) || !strings.Contains(all, "lanyard-agent masters add") {
		t.Fatalf("the dialog does not show the console's fingerprint: %q", all)
	}
	tapButton(t, w, "Copy")
	if got := fyne.CurrentApp().Clipboard().Content(); got != "SHA256:"+testConsoleFingerprint {
		t.Errorf("Copy put %q on the clipboard", got)
	}
}

func TestCheckPortNamesTheHolderAndOffersAFreePort(t *testing.T) {
	var asked atomic.Int32
	ports := func(port int) PortReport {
		asked.Store(int32(port))
		return PortReport{Text: fmt.Sprintf("Port %d is not free: it is held by squatter (pid 4242). Port %d is free and can be used instead.", port, port+1),
			Suggested: port + 1}
	}
	f, q, _ := openSettings(t, newFakeConsole(), ports, false)
	f.port.SetText("23456")
	test.Tap(f.check)
	q.runUntil(t, "the check's answer", func() bool { return strings.Contains(f.checkResult.Text, "squatter (pid 4242)") })
	if asked.Load() != 23456 {
		t.Errorf("checked port %d", asked.Load())
	}
	if !f.use.Visible() || f.use.Text != "Use 23457" {
		t.Fatalf("suggestion button: visible %v, %q", f.use.Visible(), f.use.Text)
	}
	test.Tap(f.use)
	if f.port.Text != "23457" || f.use.Visible() || f.checkResult.Text != "" {
		t.Errorf("after Use: port %q, button visible %v, result %q", f.port.Text, f.use.Visible(), f.checkResult.Text)
	}

	t.Run("a free port", func(t *testing.T) {
		f, q, _ := openSettings(t, newFakeConsole(), func(p int) PortReport { return PortReport{Free: true, Text: fmt.Sprintf("Port %d is free.", p)} }, false)
		f.port.SetText("23458")
		test.Tap(f.check)
		q.runUntil(t, "the answer", func() bool { return f.checkResult.Text == "Port 23458 is free." })
		if f.use.Visible() {
			t.Error("a free port offers another")
		}
	})
	t.Run("the port this console listens on", func(t *testing.T) {
		called := false
		fc := newFakeConsole() // listening on [::]:16888
		f, _, _ := openSettings(t, fc, func(int) PortReport { called = true; return PortReport{} }, false)
		f.port.SetText("16888")
		test.Tap(f.check)
		if called || !strings.Contains(f.checkResult.Text, "Port 16888 is in use by this console") {
			t.Errorf("checker called %v; result %q", called, f.checkResult.Text)
		}
	})
}

func TestApplySavesAndClosesOrSaysWhy(t *testing.T) {
	t.Run("success closes", func(t *testing.T) {
		fc := newFakeConsole()
		f, q, w := openSettings(t, fc, nil, false)
		f.port.SetText("17000")
		f.heartbeat.SetText("20")
		test.Tap(f.apply)
		q.runUntil(t, "the dialog to close", func() bool { return w.Canvas().Overlays().Top() == nil })
		if got := fc.Settings(); got.ListenAddress != ":17000" || got.HeartbeatSeconds != 20 || !got.Listen || !got.SSL {
			t.Errorf("applied %+v", got)
		}
	})
	t.Run("an error stays, in plain words", func(t *testing.T) {
		fc := newFakeConsole()
		fc.applyErr = errors.New("could not save the settings: disk full")
		f, q, w := openSettings(t, fc, nil, false)
		test.Tap(f.apply)
		q.runUntil(t, "the error", func() bool { return strings.Contains(f.result.Text, "disk full") })
		if w.Canvas().Overlays().Top() == nil || f.apply.Disabled() || f.cancel.Disabled() {
			t.Error("the dialog closed or stayed disabled after an error")
		}
	})
	t.Run("a listener that cannot start stays open", func(t *testing.T) {
		fc := newFakeConsole()
		fc.listenErr = errors.New("listen tcp :80: bind: permission denied")
		f, q, w := openSettings(t, fc, nil, false)
		if got := f.result.Text; !strings.HasPrefix(got, "The console cannot listen: listen tcp :80") {
			t.Errorf("the dialog opens saying %q", got)
		}
		test.Tap(f.apply)
		q.runUntil(t, "the error", func() bool {
			return strings.HasPrefix(f.result.Text, "Saved, but the console cannot listen: listen tcp :80")
		})
		if w.Canvas().Overlays().Top() == nil {
			t.Error("the dialog closed")
		}
	})
}

// Against a real console: Apply restarts the listener.
func TestApplyChangesTheListener(t *testing.T) {
	noLeaksAfter(t)
	m := mastertest.Start(t, mastertest.Options{Listen: true})
	addr := m.ListenAddr() // 127.0.0.1:<port>
	host, port := address.Split(addr)

	f, q, w := openSettings(t, m, nil, false)
	if !f.listen.Checked || f.port.Text != "0" {
		t.Fatalf("the dialog shows listen %v on port %q", f.listen.Checked, f.port.Text)
	}
	f.listen.SetChecked(false)
	test.Tap(f.apply)
	q.runUntil(t, "the dialog to close", func() bool { return w.Canvas().Overlays().Top() == nil })
	if got := m.ListenAddr(); got != "" {
		t.Fatalf("still listening on %s", got)
	}

	f = showSettingsDialog(w, m, nil, true, q.do)
	if !f.listen.Checked {
		t.Fatal("tickListen did not tick the box")
	}
	f.address.SetText(host)
	f.port.SetText(port)
	test.Tap(f.apply)
	q.runUntil(t, "the dialog to close", func() bool { return w.Canvas().Overlays().Top() == nil })
	if got := m.ListenAddr(); got != addr {
		t.Errorf("listening on %q (%v), want %q", got, m.ListenError(), addr)
	}
}

func TestSettingsDialogGolden(t *testing.T) {
	fc := newFakeConsole()
	fc.settings.SSL = false
	ports := func(p int) PortReport {
		return PortReport{Text: fmt.Sprintf("Port %d is not free: it is held by nginx (pid 812). Port %d is free and can be used instead.", p, p+1), Suggested: p + 1}
	}
	f, q, w := openSettings(t, fc, ports, false)
	f.port.SetText("8080")
	test.Tap(f.check)
	q.runUntil(t, "the check", func() bool { return f.use.Visible() })
	test.AssertRendersToMarkup(t, "settingsdialog.xml", w.Canvas())
}

// A message starts with a capital unless it starts with a server's name
// as typed.
func TestCapitalizeKeepsANamesCase(t *testing.T) {
	for in, want := range map[string]string{
		"cannot restore /srv/a: permission denied": "Cannot restore /srv/a: permission denied",
		`fs01 answered: busy`:                      `fs01 answered: busy`,
		"web-02 is not linked":                     "web-02 is not linked",
		"db1.example.com did not answer in time":   "db1.example.com did not answer in time",
		"/srv/restore does not exist":              "/srv/restore does not exist",
		"":                                         "",
	} {
		if got := capitalize(in); got != want {
			t.Errorf("capitalize(%q) = %q, want %q", in, got, want)
		}
	}
}
