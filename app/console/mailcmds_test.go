package console

import (
	"bytes"
	"strings"
	"testing"

	"github.com/lanyard/lanyard/core/master"
)

// settingsCommand runs `lanyard settings ARGS… --data-dir dir` and
// returns what it printed, failing the test unless it exits want.
func settingsCommand(t *testing.T, dir string) func(want int, args ...string) string {
	return func(want int, args ...string) string {
		t.Helper()
		var stdout, stderr bytes.Buffer
		if code := Main(append(append([]string{"settings"}, args...), "--data-dir", dir), strings.NewReader(""), &stdout, &stderr); code != want {
			t.Fatalf("%q: exit %d, want %d\n%s%s", args, code, want, &stdout, &stderr)
		}
		return stdout.String() + stderr.String()
	}
}

func TestAGroupsOwnReportRecipientsAreSetAndStopped(t *testing.T) {
	run := settingsCommand(t, t.TempDir())
	out := run(0, "set", "--smtp-server", "127.0.0.1:2525", "--smtp-security", "none", "--smtp-from", "l@example.com",
		"--smtp-to", "ops@example.com", "--daily-report", "07:30",
		"--group-report", "Acme=it@acme.example, boss@acme.example", "--group-report", "Globex=it@globex.example")
	for _, want := range []string{"group report       Acme to it@acme.example, boss@acme.example\n", "group report       Globex to it@globex.example\n"} {
		if !strings.Contains(out, want) {
			t.Fatalf("no %q in\n%s", want, out)
		}
	}
	// GROUP= stops a group's report, its name in any case.
	if out := run(0, "set", "--group-report", "globex="); strings.Contains(out, "Globex") || !strings.Contains(out, "Acme to") {
		t.Fatalf("after stopping Globex's:\n%s", out)
	}
	if out := run(2, "set", "--group-report", "Acme"); !strings.Contains(out, "write GROUP=ADDR") {
		t.Fatalf("no '=': %s", out)
	}
	if out := run(2, "set", "--group-report", "Acme=not-mail"); !strings.Contains(out, `group Acme's recipient "not-mail"`) {
		t.Fatalf("a bad address: %s", out)
	}
	if out := run(0, "show", "--json"); !strings.Contains(out, `"group_to":{"Acme":["it@acme.example","boss@acme.example"]}`) ||
		strings.Contains(out, "group_alerts") {
		t.Fatalf("show --json:\n%s", out)
	}
	// The groups' recipients may get their servers' alerts too.
	if out := run(0, "set", "--group-alerts", "on"); !strings.Contains(out, "group alerts       on: each group's recipients get its alerts too\n") {
		t.Fatalf("--group-alerts on:\n%s", out)
	}
	if out := run(0, "show", "--json"); !strings.Contains(out, `"group_alerts":true`) {
		t.Fatalf("show --json after --group-alerts on:\n%s", out)
	}
	if out := run(2, "set", "--group-alerts", "maybe"); !strings.Contains(out, "--group-alerts") {
		t.Fatalf("--group-alerts maybe: %s", out)
	}
}

// Each alert kind is mailed or not as set, the nearly-full destination and
// the damaged copies too, and the settings say so.
func TestNearlyFullAndDamagedAlertsAreMailedUnlessSwitchedOff(t *testing.T) {
	run := settingsCommand(t, t.TempDir())
	out := run(0, "set", "--smtp-server", "127.0.0.1:2525", "--smtp-security", "none", "--smtp-from", "l@example.com", "--smtp-to", "ops@example.com")
	if !strings.Contains(out, "alerts mailed      failed on, overdue on, offline on, destination nearly full on, damaged copies on\n") {
		t.Fatalf("by default:\n%s", out)
	}
	if out := run(0, "set", "--mail-full", "off"); !strings.Contains(out, "destination nearly full off, damaged copies on\n") {
		t.Fatalf("--mail-full off:\n%s", out)
	}
	if out := run(0, "show", "--json"); !strings.Contains(out, `"on_full":false`) || !strings.Contains(out, `"on_failed":true`) {
		t.Fatalf("show --json after --mail-full off:\n%s", out)
	}
	if out := run(2, "set", "--mail-full", "maybe"); !strings.Contains(out, "--mail-full") {
		t.Fatalf("--mail-full maybe: %s", out)
	}
	if out := run(0, "set", "--mail-damaged", "off"); !strings.Contains(out, "destination nearly full off, damaged copies off\n") {
		t.Fatalf("--mail-damaged off:\n%s", out)
	}
	if out := run(0, "show", "--json"); !strings.Contains(out, `"on_damaged":false`) || !strings.Contains(out, `"on_failed":true`) {
		t.Fatalf("show --json after --mail-damaged off:\n%s", out)
	}
}

// Durations are shown as the flags take them: "5m", not Go's "5m0s".
func TestSettingsShowTheirDurationsAsTheyAreTyped(t *testing.T) {
	run := settingsCommand(t, t.TempDir())
	out := run(0, "set", "--alert-grace", "5m", "--heartbeat", "30")
	for _, want := range []string{"heartbeat          30s\n", "alert grace        5m\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in\n%s", want, out)
		}
	}
}

// A running console that cannot listen where its settings say has it
// said beside the address, as its window's status bar does.
func TestSettingsShowWhyTheRunningConsoleDoesNotListen(t *testing.T) {
	var out strings.Builder
	e := &env{stdout: &out}
	v := settingsView{Settings: master.Settings{Listen: true, ListenAddress: "127.0.0.1:27987", SSL: true},
		ListenError: "cannot listen on 127.0.0.1:27987: the port is already in use by another program"}
	if err := e.printSettingsView(v, false); err != nil {
		t.Fatal(err)
	}
	if want := "listen             on, 127.0.0.1:27987 (NOT listening: cannot listen on 127.0.0.1:27987: the port is already in use by another program)\n"; !strings.HasPrefix(out.String(), want) {
		t.Errorf("settings show begins\n%s\nwant\n%s", out.String(), want)
	}
}
