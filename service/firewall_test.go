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

func TestFirewallCommandsAreTheDocumentedOnes(t *testing.T) {
	for _, tc := range []struct {
		name         string
		rule         firewallRule
		add, remove  [][]string
		addLine      string // as shown to a person
		showOnWindow bool
	}{
		{
			name:         "Windows opens the port with netsh and deletes the rule by name",
			rule:         firewallRule{Kind: firewallNetsh, Port: 16888, Name: "Lanyard agent"},
			add:          [][]string{{"netsh", "advfirewall", "firewall", "add", "rule", "name=Lanyard agent", "dir=in", "action=allow", "protocol=TCP", "localport=16888"}},
			remove:       [][]string{{"netsh", "advfirewall", "firewall", "delete", "rule", "name=Lanyard agent", "protocol=TCP", "localport=16888"}},
			addLine:      `netsh advfirewall firewall add rule name="Lanyard agent" dir=in action=allow protocol=TCP localport=16888`,
			showOnWindow: true,
		},
		{
			name:    "ufw allows the port with a comment and deletes the same rule",
			rule:    firewallRule{Kind: firewallUFW, Port: 16888, Name: "lanyard-agent"},
			add:     [][]string{{"ufw", "allow", "16888/tcp", "comment", "lanyard-agent"}},
			remove:  [][]string{{"ufw", "delete", "allow", "16888/tcp"}},
			addLine: "ufw allow 16888/tcp comment lanyard-agent",
		},
		{
			name:    "firewalld adds the port permanently, then reloads",
			rule:    firewallRule{Kind: firewallFirewalld, Port: 5001},
			add:     [][]string{{"firewall-cmd", "--permanent", "--add-port=5001/tcp"}, {"firewall-cmd", "--reload"}},
			remove:  [][]string{{"firewall-cmd", "--permanent", "--remove-port=5001/tcp"}, {"firewall-cmd", "--reload"}},
			addLine: "firewall-cmd --permanent --add-port=5001/tcp",
		},
		{name: "no firewall, no commands", rule: firewallRule{Port: 16888}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.rule.addCommands(); !reflect.DeepEqual(got, tc.add) {
				t.Errorf("add = %q, want %q", got, tc.add)
			}
			if got := tc.rule.removeCommands(); !reflect.DeepEqual(got, tc.remove) {
				t.Errorf("remove = %q, want %q", got, tc.remove)
			}
			if tc.addLine != "" {
				goos := "linux"
				if tc.showOnWindow {
					goos = "windows"
				}
				if got := formatCommand(goos, tc.add[0]); got != tc.addLine {
					t.Errorf("shown as %q, want %q", got, tc.addLine)
				}
			}
		})
	}
}

func TestRuleNamesTellServicesApart(t *testing.T) {
	if got := ruleName(DefaultServiceName); got != "Lanyard agent" {
		t.Errorf("ruleName(default) = %q", got)
	}
	if got := ruleName("lanyard-agent-test"); got != "Lanyard agent (lanyard-agent-test)" {
		t.Errorf("ruleName(other) = %q", got)
	}
}

func TestWindowsCommandLineQuotesValuesTheWayNetshWants(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"netsh", "name=Lanyard agent", "dir=in"}, `netsh name="Lanyard agent" dir=in`},
		{[]string{`C:\Program Files\x.exe`, "run"}, `"C:\Program Files\x.exe" run`},
		{[]string{"plain", "a=b"}, "plain a=b"},
		{[]string{`name=say "hi"`}, `name="say \"hi\""`},
	} {
		if got := windowsCommandLine(tc.args); got != tc.want {
			t.Errorf("windowsCommandLine(%q) = %s, want %s", tc.args, got, tc.want)
		}
	}
}

func TestTheFirewallIsFoundByAskingIt(t *testing.T) {
	for _, tc := range []struct {
		name    string
		goos    string
		answers map[string]fakeAnswer
		want    firewallKind
	}{
		{"Windows always has netsh", "windows", nil, firewallNetsh},
		{"active ufw is used", "linux", map[string]fakeAnswer{"ufw status": {out: "Status: active\n\nTo Action From\n"}}, firewallUFW},
		{"inactive ufw is not", "linux", map[string]fakeAnswer{"ufw status": {out: "Status: inactive\n"}, "firewall-cmd --state": {out: "not running\n", err: errors.New("exit status 252")}}, firewallNone},
		{"running firewalld is used when ufw is absent", "linux", map[string]fakeAnswer{"firewall-cmd --state": {out: "running\n"}}, firewallFirewalld},
		{"nothing installed, nothing to drive", "linux", nil, firewallNone},
		{"macOS has no port firewall to drive", "darwin", nil, firewallNone},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeRunner{answers: tc.answers}
			if got := detectFirewall(context.Background(), tc.goos, f.run); got != tc.want {
				t.Errorf("detectFirewall = %q, want %q (asked %q)", got, tc.want, f.calls)
			}
		})
	}
}

func TestOnlyAPortOthersCanReachGetsARule(t *testing.T) {
	for _, tc := range []struct {
		listen string
		port   int
		why    string
	}{
		{":16888", 16888, ""},
		{"0.0.0.0:5001", 5001, ""},
		{"[::]:16888", 16888, ""},
		{"10.0.0.4:16888", 16888, ""},
		{"", 0, "does not listen"},
		{"127.0.0.1:16888", 0, "loopback"},
		{"[::1]:16888", 0, "loopback"},
		{"localhost:16888", 0, "loopback"},
		{"127.0.0.1:0", 0, "the system picks"},
	} {
		port, why := firewallPort(tc.listen)
		if port != tc.port || (tc.why != "" && !strings.Contains(why, tc.why)) {
			t.Errorf("firewallPort(%q) = %d, %q; want %d, %q", tc.listen, port, why, tc.port, tc.why)
		}
	}
}

func TestWithoutADrivableFirewallTheExactCommandIsPrinted(t *testing.T) {
	for _, tc := range []struct{ goos, want string }{
		{"linux", "iptables -I INPUT -p tcp --dport 16888 -j ACCEPT"},
		{"windows", `netsh advfirewall firewall add rule name="Lanyard agent" dir=in action=allow protocol=TCP localport=16888`},
		{"darwin", "socketfilterfw --add /usr/local/bin/lanyard-agent"},
		{"freebsd", "pass in proto tcp to port 16888"},
	} {
		if got := manualFirewallCommand(tc.goos, 16888, "/usr/local/bin/lanyard-agent"); !strings.Contains(got, tc.want) {
			t.Errorf("%s: %q lacks %q", tc.goos, got, tc.want)
		}
	}
	var out strings.Builder
	openFirewall(context.Background(), &out, "linux", (&fakeRunner{}).run, DefaultServiceName, ":16888", t.TempDir(), "/usr/bin/lanyard-agent")
	if !strings.Contains(out.String(), "iptables -I INPUT -p tcp --dport 16888 -j ACCEPT") {
		t.Errorf("install printed %q", out.String())
	}
}

func TestInstallAddsTheRuleAndUninstallRemovesExactlyIt(t *testing.T) {
	dir := t.TempDir()
	f := &fakeRunner{answers: map[string]fakeAnswer{"ufw status": {out: "Status: active\n"}}}
	var out strings.Builder
	openFirewall(context.Background(), &out, "linux", f.run, DefaultServiceName, ":16888", dir, "/usr/bin/lanyard-agent")
	wantAdd := []string{"ufw status", "ufw allow 16888/tcp comment lanyard-agent"}
	if !reflect.DeepEqual(f.calls, wantAdd) {
		t.Fatalf("install ran %q, want %q", f.calls, wantAdd)
	}
	if !strings.Contains(out.String(), "allowed inbound TCP port 16888") {
		t.Errorf("install said %q", out.String())
	}
	if _, err := os.Stat(filepath.Join(dir, firewallRecord)); err != nil {
		t.Fatalf("no record of the rule: %v", err)
	}

	f.calls = nil
	out.Reset()
	closeFirewall(context.Background(), &out, "linux", f.run, dir)
	if want := []string{"ufw delete allow 16888/tcp"}; !reflect.DeepEqual(f.calls, want) {
		t.Errorf("uninstall ran %q, want %q", f.calls, want)
	}
	if _, err := os.Stat(filepath.Join(dir, firewallRecord)); !os.IsNotExist(err) {
		t.Errorf("the record is still there: %v", err)
	}

	// A second uninstall has nothing to remove.
	f.calls = nil
	closeFirewall(context.Background(), &out, "linux", f.run, dir)
	if len(f.calls) != 0 {
		t.Errorf("uninstall without a record ran %q", f.calls)
	}
}

func TestAFailedRuleIsAWarningWithTheCommandToRun(t *testing.T) {
	dir := t.TempDir()
	f := &fakeRunner{answers: map[string]fakeAnswer{
		"firewall-cmd --state":                          {out: "running\n"},
		"firewall-cmd --permanent --add-port=16888/tcp": {out: "Error: ACCESS_DENIED\n", err: errors.New("exit status 1")},
	}}
	var out strings.Builder
	openFirewall(context.Background(), &out, "linux", f.run, DefaultServiceName, ":16888", dir, "")
	for _, want := range []string{"could not add the rule", "ACCESS_DENIED", "firewall-cmd --permanent --add-port=16888/tcp", "firewall-cmd --reload"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output %q lacks %q", out.String(), want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, firewallRecord)); !os.IsNotExist(err) {
		t.Error("a rule that failed was recorded")
	}
}

type fakeAnswer struct {
	out string
	err error
}

// fakeRunner answers commands from a table; anything else is "not
// found", as on a machine without that tool.
type fakeRunner struct {
	answers map[string]fakeAnswer
	calls   []string
}

func (f *fakeRunner) run(_ context.Context, name string, args ...string) (string, error) {
	line := strings.Join(append([]string{name}, args...), " ")
	f.calls = append(f.calls, line)
	if a, ok := f.answers[line]; ok {
		return a.out, a.err
	}
	if strings.HasPrefix(line, "ufw allow") || strings.HasPrefix(line, "ufw delete") ||
		strings.HasPrefix(line, "firewall-cmd --permanent") || line == "firewall-cmd --reload" || strings.HasPrefix(line, "netsh") {
		return "", nil
	}
	return "", errors.New("exec: \"" + name + "\": executable file not found in $PATH")
}
