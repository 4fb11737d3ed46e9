package ui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

func TestANewSitesLineFollowsWhatTheUserTypes(t *testing.T) {
	fc := newFakeConsole() // listening on :16888, SSL on, at 192.0.2.67
	f, _, _ := openSettings(t, fc, nil, false)
	fp := "=SHA256:" + testConsoleFingerprint
	if got := f.lanAddrs.Text; got != "192.0.2.67:16888" {
		t.Errorf("on this network: %q", got)
	}
	steps := []struct {
		name    string
		do      func()
		line    []string // in the line
		notLine string   // not in the line
		note    string   // in the note below it
		problem string   // shown beside the fields; Apply disabled
	}{
		{"with no public address, agents on this network dial the LAN address", func() {},
			[]string{"lanyard-agent init --name NAME --password-stdin --ssl on --master 192.0.2.67:16888" + fp}, "", "For agents on this network", ""},
		{"a public name at the listening port", func() { f.public.SetText("billsitservice.com") },
			[]string{"--master billsitservice.com:16888" + fp}, "192.0.2.67", "forward TCP port 16888 to 192.0.2.67, port 16888", ""},
		{"a second forwarded port is tried next", func() { f.pubPorts.SetText("16888, 50000") },
			[]string{"--master billsitservice.com:16888,billsitservice.com:50000" + fp}, "", "forward TCP ports 16888 and 50000 to 192.0.2.67, port 16888", ""},
		{"another listening port moves the forwarding rule", func() { f.port.SetText("17000") },
			[]string{"--master billsitservice.com:16888,billsitservice.com:50000"}, "", "to 192.0.2.67, port 17000", ""},
		{"SSL off: no certificate to check", func() { f.port.SetText("16888"); f.ssl.SetChecked(false) },
			[]string{"--ssl off --master billsitservice.com:16888,billsitservice.com:50000"}, "SHA256", "", ""},
		{"a port twice is refused", func() { f.ssl.SetChecked(true); f.pubPorts.SetText("50000 50000") },
			[]string{"--master 192.0.2.67:16888" + fp}, "", "", "listed twice"},
		{"a name with a port in it: leaving the field moves the port", func() { f.pubPorts.SetText("16888, 50000"); f.public.SetText("billsitservice.com:16888") },
			nil, "", "", "leaving this field moves it there"},
		{"a name with what is no port after it is refused", func() { f.public.SetText("billsitservice.com:99999") },
			nil, "", "", "alone"},
		{"not listening: the note says no agent can reach it", func() { f.public.SetText("billsitservice.com"); f.listen.SetChecked(false) },
			[]string{"--master billsitservice.com:16888,billsitservice.com:50000" + fp}, "", "Listening is off", ""},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			st.do()
			for _, want := range st.line {
				if !strings.Contains(f.initLine.Text, want) {
					t.Errorf("the line is %q, want %q in it", f.initLine.Text, want)
				}
			}
			if st.notLine != "" && strings.Contains(f.initLine.Text, st.notLine) {
				t.Errorf("the line is %q, want no %q in it", f.initLine.Text, st.notLine)
			}
			if !strings.Contains(f.lineNote.Text, st.note) {
				t.Errorf("the note says %q, want %q", f.lineNote.Text, st.note)
			}
			if msg := shownText(f.pubMsg); (st.problem == "") != (msg == "") || !strings.Contains(msg, st.problem) || f.apply.Disabled() != (st.problem != "") {
				t.Errorf("the form shows %q with Apply disabled %v, want %q", msg, f.apply.Disabled(), st.problem)
			}
		})
	}
	test.Tap(f.copyLine)
	if got := fyne.CurrentApp().Clipboard().Content(); got != f.initLine.Text {
		t.Errorf("Copy put %q on the clipboard, want the line %q", got, f.initLine.Text)
	}
}

func TestApplyKeepsThePublicAddressAndPorts(t *testing.T) {
	fc := newFakeConsole()
	f, q, w := openSettings(t, fc, nil, false)
	f.public.SetText(" billsitservice.com ")
	f.pubPorts.SetText("16888, 50000")
	test.Tap(f.apply)
	q.runUntil(t, "the dialog to close", func() bool { return w.Canvas().Overlays().Top() == nil })
	if got := fc.Settings(); got.PublicHost != "billsitservice.com" || len(got.PublicPorts) != 2 || got.PublicPorts[1] != 50000 {
		t.Fatalf("applied %+v", got)
	}
	// Opened again, the dialog shows what was kept.
	f = showSettingsDialog(w, fc, nil, false, q.do)
	if f.public.Text != "billsitservice.com" || f.pubPorts.Text != "16888, 50000" {
		t.Errorf("reopened with %q and %q", f.public.Text, f.pubPorts.Text)
	}
}

func TestSettingsDialogAgentsTabGolden(t *testing.T) {
	f, _, w := openSettings(t, newFakeConsole(), nil, false)
	f.public.SetText("billsitservice.com")
	f.pubPorts.SetText("16888, 50000")
	f.tabs.SelectIndex(1)
	if f.lineNote.Importance != widget.LowImportance {
		t.Errorf("the note is shown as %v", f.lineNote.Importance)
	}
	test.AssertRendersToMarkup(t, "settingsdialog_agents.xml", w.Canvas())
}

func TestTheSettingsDialogFitsASmallWindow(t *testing.T) {
	test.NewTempApp(t)
	w := test.NewTempWindow(t, widget.NewLabel("main window"))
	w.Resize(fyne.NewSize(640, 420)) // the smallest the main window gets
	if got := dialogSize(w, 600, 900); got.Height > 420 || got.Width != 600 {
		t.Errorf("a dialog wanting 600×900 in a 640×420 window is %v: its buttons would be cut off", got)
	}
	w.Resize(fyne.NewSize(1200, 1000))
	if got := dialogSize(w, 600, 900); got.Height != 900 {
		t.Errorf("in a window with room the dialog is %v, want its full 900", got)
	}
}
