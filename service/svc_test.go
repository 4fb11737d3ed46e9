package service

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// unitSections reads a unit's text into section → key → values (a key
// may repeat), failing on a line that is neither.
func unitSections(t *testing.T, unit string) map[string]map[string][]string {
	t.Helper()
	sections := map[string]map[string][]string{}
	var cur map[string][]string
	for i, line := range strings.Split(unit, "\n") {
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			cur = map[string][]string{}
			sections[line[1:len(line)-1]] = cur
		case cur != nil && strings.Contains(line, "="):
			k, v, _ := strings.Cut(line, "=")
			cur[k] = append(cur[k], v)
		default:
			t.Fatalf("unit line %d is neither a section nor a setting: %q\n%s", i+1, line, unit)
		}
	}
	return sections
}

func testParams(dataDir, logDir string) svcParams {
	return svcParams{Name: DefaultServiceName, DataDir: dataDir, LogDir: logDir, LogLevel: "info"}
}

func TestTheSystemdUnitRestartsAFailedAgentWithin5sAndStopsACrashLoop(t *testing.T) {
	unit := systemdUnit(testParams("/var/lib/lanyard-agent", "/var/log/lanyard-agent"), "/usr/bin/lanyard-agent")
	s := unitSections(t, unit)
	for _, want := range []struct{ section, key, value string }{
		{"Unit", "StartLimitIntervalSec", "120"},
		{"Unit", "StartLimitBurst", "5"},
		{"Unit", "After", "network-online.target"},
		{"Unit", "Wants", "network-online.target"},
		{"Unit", "Documentation", "man:lanyard-agent(1)"},
		{"Service", "Restart", "on-failure"},
		{"Service", "RestartSec", "5"},
		{"Service", "LimitNOFILE", "65536"},
		{"Service", "NoNewPrivileges", "yes"},
		{"Service", "ProtectSystem", "full"},
		{"Install", "WantedBy", "multi-user.target"},
	} {
		if got := s[want.section][want.key]; !reflect.DeepEqual(got, []string{want.value}) {
			t.Errorf("[%s] %s = %q, want %q", want.section, want.key, got, want.value)
		}
	}
	// The start-rate limit only lives in [Unit] (in [Service] systemd
	// ignores the new names and the old one is deprecated), and systemd
	// must be able to start the agent burst times before it gives up.
	for _, k := range []string{"StartLimitInterval", "StartLimitIntervalSec", "StartLimitBurst"} {
		if v, ok := s["Service"][k]; ok {
			t.Errorf("[Service] has %s=%q: it belongs in [Unit]", k, v)
		}
	}
	if (startLimitBurst-1)*restartSec >= startLimitInterval {
		t.Errorf("%d starts %d s apart never fit in %d s: the limit could never stop a crash loop", startLimitBurst, restartSec, startLimitInterval)
	}
	// Nothing that would keep the agent from reading what it backs up,
	// or from writing its data, logs and backups under /var, /srv, /mnt;
	// nor a /tmp of its own, where a restore into /tmp would be out of
	// its user's sight and emptied when it stops.
	for _, k := range []string{"ProtectHome", "CapabilityBoundingSet", "User", "DynamicUser", "ReadOnlyPaths", "InaccessiblePaths", "PrivateTmp"} {
		if v, ok := s["Service"][k]; ok {
			t.Errorf("[Service] %s=%q gets in the agent's way", k, v)
		}
	}
	if got, want := s["Service"]["ReadWritePaths"], []string{`-"/var/lib/lanyard-agent"`, `-"/var/log/lanyard-agent"`}; !reflect.DeepEqual(got, want) {
		t.Errorf("ReadWritePaths = %q, want the data and log directories %q", got, want)
	}
	if strings.Contains(unit, "{{") {
		t.Errorf("kardianos would read the unit as a template:\n%s", unit)
	}
}

func TestTheSystemdUnitRunsExactlyTheAgentsCommandLine(t *testing.T) {
	for _, tc := range []struct{ name, exe, data, log string }{
		{"in the default places", "/usr/bin/lanyard-agent", "/var/lib/lanyard-agent", "/var/log/lanyard-agent"},
		{"with spaces in every path", "/opt/my tools/lanyard-agent", "/srv/lanyard data", "/srv/lanyard data/log"},
		{"with quotes, backslashes, percent signs and dollars", `/opt/100% $x/lanyard-agent`, `/srv/a"b\c/100%/$HOME`, `/srv/%n/${X}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := testParams(tc.data, tc.log)
			p.LogLevel, p.LogJSON = "debug", true
			s := unitSections(t, systemdUnit(p, tc.exe))
			execStart := s["Service"]["ExecStart"]
			if len(execStart) != 1 {
				t.Fatalf("ExecStart = %q, want one line", execStart)
			}
			got, err := execStartWords(execStart[0])
			if err != nil {
				t.Fatal(err)
			}
			want := append([]string{tc.exe}, p.runArguments()...)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("systemd would run\n  %q\nwant\n  %q", got, want)
			}
			var dirs []string
			for _, rw := range s["Service"]["ReadWritePaths"] {
				words, err := systemdWords(strings.TrimPrefix(rw, "-"))
				if err != nil {
					t.Fatal(err)
				}
				dirs = append(dirs, words...)
			}
			if want := []string{tc.data, tc.log}; !reflect.DeepEqual(dirs, want) {
				t.Errorf("writable directories %q, want %q", dirs, want)
			}
			if got := strings.ReplaceAll(s["Unit"]["ConditionFileIsExecutable"][0], "%%", "%"); got != tc.exe {
				t.Errorf("ConditionFileIsExecutable names %q, want %q", got, tc.exe)
			}
		})
	}
}

// systemd itself reads the unit: systemd-analyze verify parses it as
// systemd would and checks that the executable exists, without a
// running systemd.
func TestSystemdAcceptsTheUnit(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze is not installed (Debian: systemd), so systemd cannot read the unit here")
	}
	for _, tc := range []struct{ name, bin, data string }{
		{"in plain paths", "bin", "data"},
		{"in paths with spaces, quotes, percent signs and dollars", "100% $bin", `my "odd" \ 100% $dir`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			exe := filepath.Join(root, tc.bin, "lanyard-agent")
			if err := os.MkdirAll(filepath.Dir(exe), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(exe, []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
				t.Fatal(err)
			}
			data := filepath.Join(root, tc.data)
			p := testParams(data, filepath.Join(data, "log"))
			p.Executable = exe
			if err := checkUnit(p, serviceConfig(p, platformSystemd)); err != nil {
				t.Fatal(err)
			}
			unitFile := filepath.Join(t.TempDir(), "lanyard-agent-test.service")
			if err := os.WriteFile(unitFile, []byte(systemdUnit(p, exe)), 0o644); err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			// --man=no: the man page comes with the .deb, not with a
			// binary copied into place.
			cmd := exec.Command(analyze, "verify", "--man=no", unitFile)
			cmd.Stdout, cmd.Stderr = &out, &out
			err := cmd.Run()
			if err != nil || strings.TrimSpace(out.String()) != "" {
				t.Errorf("systemd-analyze verify: %v\n%s\nthe unit:\n%s", err, out.String(), systemdUnit(p, exe))
			}
		})
	}
}

func TestOnlySystemdGetsOurUnitAndTheOtherManagersKeepTheirSettings(t *testing.T) {
	p := testParams("/var/lib/lanyard-agent", "/var/log/lanyard-agent")
	p.Executable = "/usr/bin/lanyard-agent"
	systemd := serviceConfig(p, platformSystemd)
	if got, want := systemd.Option["SystemdScript"], systemdUnit(p, "/usr/bin/lanyard-agent"); got != want {
		t.Errorf("the systemd config carries\n%v\nwant\n%s", got, want)
	}
	for _, platform := range []string{platformSysV, "windows-service", "darwin-launchd"} {
		c := serviceConfig(p, platform)
		if _, ok := c.Option["SystemdScript"]; ok {
			t.Errorf("%s gets a systemd unit", platform)
		}
		if len(c.Dependencies) != 0 {
			t.Errorf("%s gets dependencies %q", platform, c.Dependencies)
		}
		for k, want := range map[string]any{
			"SysvScript": sysvScript(p.Name), "OnFailure": "restart", "OnFailureDelayDuration": "5s",
			"OnFailureResetPeriod": 60, "StartType": "automatic", "RunAtLoad": true, "KeepAlive": true,
		} {
			if got := c.Option[k]; got != want {
				t.Errorf("%s: option %s = %v, want %v", platform, k, got, want)
			}
		}
	}
}

func TestPathsAUnitCannotHoldAreRefused(t *testing.T) {
	for _, tc := range []struct{ name, exe, data, log string }{
		{"a data directory that looks like a template action", "/usr/bin/lanyard-agent", "/srv/{{data}}", "/srv/log"},
		{"a log directory with a newline", "/usr/bin/lanyard-agent", "/srv/data", "/srv/l\nog"},
		{"a data directory with a tab", "/usr/bin/lanyard-agent", "/srv/d\tata", "/srv/log"},
		{"an executable with a quote", `/opt/a"b/lanyard-agent`, "/srv/data", "/srv/log"},
		{"an executable with a backslash", `/opt/a\b/lanyard-agent`, "/srv/data", "/srv/log"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := testParams(tc.data, tc.log)
			p.Executable = tc.exe
			err := checkUnit(p, serviceConfig(p, platformSystemd))
			if err == nil || !strings.Contains(err.Error(), "use paths without") {
				t.Errorf("checkUnit = %v, want a refusal that says what to do", err)
			}
			// The SysV script takes the paths as data: nothing to refuse.
			if err := checkUnit(p, serviceConfig(p, platformSysV)); err != nil {
				t.Errorf("SysV: checkUnit = %v", err)
			}
		})
	}
}
