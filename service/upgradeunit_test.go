package service

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// kardianosUnit is the unit an agent installed before this version's own
// unit runs under: kardianos' template, restarting after 120 s.
const kardianosUnit = `[Unit]
Description=Lanyard agent: remote management and file backups
ConditionFileIsExecutable=/usr/bin/lanyard-agent
After=network-online.target
Wants=network-online.target

[Service]
StartLimitInterval=5
StartLimitBurst=10
ExecStart=/usr/bin/lanyard-agent "run" "--data-dir" "/srv/lanyard data" "--log-dir" "/srv/lanyard logs" "--log-level" "debug" "--as-service"
LimitNOFILE=65536
Restart=on-failure
RestartSec=120
EnvironmentFile=-/etc/sysconfig/lanyard-agent

[Install]
WantedBy=multi-user.target
`

func writeUnit(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "lanyard-agent.service")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func readUnit(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestAnOlderVersionsUnitIsRewrittenKeepingWhatTheServiceRuns(t *testing.T) {
	path := writeUnit(t, kardianosUnit)
	f := &fakeRunner{answers: map[string]fakeAnswer{"systemctl daemon-reload": {}}}
	p, changed, err := upgradeUnit(context.Background(), f.run, path)
	if err != nil || !changed {
		t.Fatalf("upgradeUnit = changed %v, %v", changed, err)
	}
	want := svcParams{Name: DefaultServiceName, DataDir: "/srv/lanyard data", LogDir: "/srv/lanyard logs", LogLevel: "debug",
		Executable: "/usr/bin/lanyard-agent"}
	if p != want {
		t.Errorf("kept %+v, want %+v", p, want)
	}
	unit := readUnit(t, path)
	if unit != systemdUnit(want, want.Executable) {
		t.Errorf("the rewritten unit is not the one install writes:\n%s", unit)
	}
	s := unitSections(t, unit)
	if got := s["Service"]["RestartSec"]; !reflect.DeepEqual(got, []string{"5"}) {
		t.Errorf("RestartSec = %q, want 5", got)
	}
	words, err := execStartWords(s["Service"]["ExecStart"][0])
	if err != nil {
		t.Fatal(err)
	}
	if want := append([]string{"/usr/bin/lanyard-agent"}, want.runArguments()...); !reflect.DeepEqual(words, want) {
		t.Errorf("the unit runs %q, want %q", words, want)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("unit file mode %v (%v), want 0644", fi.Mode(), err)
	}
	if !reflect.DeepEqual(f.calls, []string{"systemctl daemon-reload"}) {
		t.Errorf("ran %q, want systemctl daemon-reload", f.calls)
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".*")); len(left) != 0 {
		t.Errorf("temporary files left beside the unit: %q", left)
	}

	// Once is enough: the unit is this version's now.
	f.calls = nil
	if _, changed, err := upgradeUnit(context.Background(), f.run, path); err != nil || changed || len(f.calls) != 0 {
		t.Errorf("a second upgrade: changed %v, %v, ran %q; want nothing done", changed, err, f.calls)
	}
}

func TestThisVersionsUnitWithEveryArgumentIsLeftAsItIs(t *testing.T) {
	p := svcParams{Name: "lanyard-agent-2", DataDir: `/srv/100% $HOME "x"`, LogDir: "/var/log/a b", LogLevel: "warn", LogJSON: true,
		Executable: "/opt/lanyard/lanyard-agent"}
	path := writeUnit(t, systemdUnit(p, p.Executable))
	f := &fakeRunner{}
	got, changed, err := upgradeUnit(context.Background(), f.run, path)
	if err != nil || changed || len(f.calls) != 0 {
		t.Fatalf("changed %v, %v, ran %q; want nothing done", changed, err, f.calls)
	}
	if got != p {
		t.Errorf("read back %+v, want %+v", got, p)
	}
}

func TestAUnitThatCannotBeUpgradedIsLeftAlone(t *testing.T) {
	for _, tc := range []struct {
		name, unit, wantErr string
	}{
		{"no data directory", strings.Replace(kardianosUnit, `"--data-dir" "/srv/lanyard data" `, "", 1), "names no --data-dir"},
		{"not the agent's run", strings.Replace(kardianosUnit, `"run"`, `"serve"`, 1), "does not run `lanyard-agent run`"},
		{"no ExecStart", strings.Replace(kardianosUnit, "ExecStart=", "#ExecStart=", 1), "no ExecStart line"},
		{"an unclosed quote", strings.Replace(kardianosUnit, `"--as-service"`, `"--as-service`, 1), "quote is not closed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := writeUnit(t, tc.unit)
			f := &fakeRunner{}
			_, changed, err := upgradeUnit(context.Background(), f.run, path)
			if err == nil || changed || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("changed %v, error %v; want %q", changed, err, tc.wantErr)
			}
			if readUnit(t, path) != tc.unit || len(f.calls) != 0 {
				t.Errorf("the unit was touched, or %q ran", f.calls)
			}
		})
	}
	f := &fakeRunner{}
	if _, _, err := upgradeUnit(context.Background(), f.run, filepath.Join(t.TempDir(), "none.service")); !errors.Is(err, errNoUnit) {
		t.Errorf("no unit: %v, want errNoUnit", err)
	}
}

func TestAFailedDaemonReloadStillLeavesTheNewUnitAndSaysSo(t *testing.T) {
	path := writeUnit(t, kardianosUnit)
	f := &fakeRunner{answers: map[string]fakeAnswer{"systemctl daemon-reload": {out: "System has not been booted with systemd as init system (PID 1). Can't operate.\n", err: errors.New("exit status 1")}}}
	_, changed, err := upgradeUnit(context.Background(), f.run, path)
	if !changed || err == nil || !strings.Contains(err.Error(), "daemon-reload failed") || !strings.Contains(err.Error(), "Can't operate") {
		t.Errorf("changed %v, %v; want the unit rewritten and the failure said", changed, err)
	}
	if !strings.Contains(readUnit(t, path), "RestartSec=5\n") {
		t.Error("the unit was not rewritten")
	}
}

func TestUpgradeUnitNeedsRoot(t *testing.T) {
	r := cli{privileged: func() bool { return false }}.run("", "install", "--upgrade-unit")
	if r.code == 0 || !strings.Contains(r.stderr, "needs root") {
		t.Errorf("without root: %s", r)
	}
	r = cli{privileged: func() bool { return true }}.run("", "install", "--upgrade-unit", "--no-firewall")
	if r.code == 0 {
		t.Errorf("--upgrade-unit with --no-firewall: %s", r)
	}
}
