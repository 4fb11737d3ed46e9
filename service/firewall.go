package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// runner runs a command and returns its combined output. The real one
// executes; tests pass a fake so they never touch the machine's firewall.
type runner func(ctx context.Context, name string, args ...string) (string, error)

func execRunner(ctx context.Context, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	prepareCommand(cmd, name, args)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// firewallKind is a firewall lanyard-agent can drive.
type firewallKind string

const (
	firewallNone      firewallKind = ""
	firewallNetsh     firewallKind = "netsh"     // Windows Defender Firewall
	firewallUFW       firewallKind = "ufw"       // Ubuntu, Debian
	firewallFirewalld firewallKind = "firewalld" // Fedora, RHEL, SUSE
)

// firewallRule is the inbound rule install adds. It is recorded in the
// data directory (firewallRecord) so uninstall removes exactly that rule.
type firewallRule struct {
	Kind firewallKind `json:"kind"`
	Port int          `json:"port"`
	// Name names the rule: the Windows rule's name, ufw's comment.
	Name string `json:"name"`
}

// ruleName is the rule's name for a service: "Lanyard agent" for the
// real one.
func ruleName(service string) string {
	if service == DefaultServiceName {
		return serviceDisplayName
	}
	return serviceDisplayName + " (" + service + ")"
}

// ufwComment is ufw's comment for a service's rule.
func ufwComment(service string) string { return service }

// addCommands are the commands that open the port.
func (r firewallRule) addCommands() [][]string {
	p := strconv.Itoa(r.Port)
	switch r.Kind {
	case firewallNetsh:
		return [][]string{{"netsh", "advfirewall", "firewall", "add", "rule", "name=" + r.Name, "dir=in", "action=allow", "protocol=TCP", "localport=" + p}}
	case firewallUFW:
		return [][]string{{"ufw", "allow", p + "/tcp", "comment", r.Name}}
	case firewallFirewalld:
		return [][]string{{"firewall-cmd", "--permanent", "--add-port=" + p + "/tcp"}, {"firewall-cmd", "--reload"}}
	}
	return nil
}

// removeCommands are the commands that undo addCommands.
func (r firewallRule) removeCommands() [][]string {
	p := strconv.Itoa(r.Port)
	switch r.Kind {
	case firewallNetsh:
		return [][]string{{"netsh", "advfirewall", "firewall", "delete", "rule", "name=" + r.Name, "protocol=TCP", "localport=" + p}}
	case firewallUFW:
		return [][]string{{"ufw", "delete", "allow", p + "/tcp"}}
	case firewallFirewalld:
		return [][]string{{"firewall-cmd", "--permanent", "--remove-port=" + p + "/tcp"}, {"firewall-cmd", "--reload"}}
	}
	return nil
}

// manualFirewallCommand is what to tell a user whose firewall
// lanyard-agent cannot drive: the exact command that opens the port.
func manualFirewallCommand(goos string, port int, exe string) string {
	p := strconv.Itoa(port)
	switch goos {
	case "windows":
		return formatCommand(goos, firewallRule{Kind: firewallNetsh, Port: port, Name: serviceDisplayName}.addCommands()[0])
	case "linux":
		return "iptables -I INPUT -p tcp --dport " + p + " -j ACCEPT"
	case "darwin":
		// The macOS application firewall allows programs, not ports.
		return "/usr/libexec/ApplicationFirewall/socketfilterfw --add " + shellQuote(exe) + " && /usr/libexec/ApplicationFirewall/socketfilterfw --unblockapp " + shellQuote(exe)
	case "freebsd", "openbsd", "netbsd":
		return "pass in proto tcp to port " + p + "   (a pf.conf rule; then pfctl -f /etc/pf.conf)"
	}
	return "allow inbound TCP port " + p
}

// detectFirewall finds the firewall lanyard-agent can drive here: on
// Windows netsh, on Linux ufw when `ufw status` says active, else
// firewalld when `firewall-cmd --state` says running.
func detectFirewall(ctx context.Context, goos string, run runner) firewallKind {
	switch goos {
	case "windows":
		return firewallNetsh
	case "linux":
		if out, err := run(ctx, "ufw", "status"); err == nil && strings.Contains(out, "Status: active") {
			return firewallUFW
		}
		if out, err := run(ctx, "firewall-cmd", "--state"); err == nil && strings.TrimSpace(out) == "running" {
			return firewallFirewalld
		}
	}
	return firewallNone
}

// runAll runs commands in order and stops at the first failure.
func runAll(ctx context.Context, run runner, cmds [][]string) error {
	for _, c := range cmds {
		if out, err := run(ctx, c[0], c[1:]...); err != nil {
			msg := strings.TrimSpace(out)
			if msg == "" {
				msg = err.Error()
			}
			return fmt.Errorf("%s: %s", strings.Join(c, " "), msg)
		}
	}
	return nil
}

// firewallPort is the port install opens for a listen setting, or 0 with
// the reason none is needed.
func firewallPort(listen string) (int, string) {
	if listen == "" {
		return 0, "the agent does not listen (it dials its consoles): no inbound rule is needed"
	}
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return 0, fmt.Sprintf("the listen address %q is not host:port: no rule added", listen)
	}
	p, err := strconv.Atoi(port)
	if err != nil || p < 1 || p > 65535 {
		return 0, fmt.Sprintf("the agent listens on a port the system picks (%s): no rule added", listen)
	}
	if a, err := netip.ParseAddr(host); err == nil && a.IsLoopback() || strings.EqualFold(host, "localhost") {
		return 0, fmt.Sprintf("the agent listens on loopback only (%s): no inbound rule is needed", listen)
	}
	return p, ""
}

const firewallRecord = "firewall.json"

// openFirewall adds the inbound rule for the agent's listen address and
// records it; it prints what it did, or the command to run by hand.
// Failing to add a rule is a warning: the service is installed either way.
func openFirewall(ctx context.Context, w io.Writer, goos string, run runner, service, listen, dataDir, exe string) {
	port, why := firewallPort(listen)
	if port == 0 {
		fmt.Fprintln(w, "firewall:", why)
		return
	}
	kind := detectFirewall(ctx, goos, run)
	if kind == firewallNone {
		fmt.Fprintf(w, "firewall: found no firewall lanyard-agent can drive (Windows, ufw, firewalld). If this machine\n"+
			"  filters incoming connections, open TCP port %d for consoles, for example:\n    %s\n", port, manualFirewallCommand(goos, port, exe))
		return
	}
	rule := firewallRule{Kind: kind, Port: port, Name: ruleName(service)}
	if kind == firewallUFW {
		rule.Name = ufwComment(service)
	}
	if err := runAll(ctx, run, rule.addCommands()); err != nil {
		fmt.Fprintf(w, "firewall: could not add the rule (%v). Run it by hand:\n", err)
		for _, c := range rule.addCommands() {
			fmt.Fprintln(w, "   ", formatCommand(goos, c))
		}
		return
	}
	if err := writeFirewallRecord(dataDir, rule); err != nil {
		fmt.Fprintf(w, "firewall: added the rule but cannot record it (%v): uninstall will not remove it; remove it with:\n", err)
		for _, c := range rule.removeCommands() {
			fmt.Fprintln(w, "   ", formatCommand(goos, c))
		}
		return
	}
	fmt.Fprintf(w, "firewall: allowed inbound TCP port %d (%s)\n", port, formatCommand(goos, rule.addCommands()[0]))
}

// closeFirewall removes the rule install recorded, if any.
func closeFirewall(ctx context.Context, w io.Writer, goos string, run runner, dataDir string) {
	rule, ok, err := readFirewallRecord(dataDir)
	if err != nil {
		fmt.Fprintf(w, "firewall: cannot read %s (%v): remove the rule install added by hand\n", filepath.Join(dataDir, firewallRecord), err)
		return
	}
	if !ok {
		return
	}
	if err := runAll(ctx, run, rule.removeCommands()); err != nil {
		fmt.Fprintf(w, "firewall: could not remove the rule (%v). Run it by hand:\n", err)
		for _, c := range rule.removeCommands() {
			fmt.Fprintln(w, "   ", formatCommand(goos, c))
		}
		return
	}
	_ = os.Remove(filepath.Join(dataDir, firewallRecord))
	fmt.Fprintf(w, "firewall: removed the rule for TCP port %d\n", rule.Port)
}

func writeFirewallRecord(dataDir string, r firewallRule) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dataDir, firewallRecord), append(b, '\n'), 0o600)
}

func readFirewallRecord(dataDir string) (firewallRule, bool, error) {
	b, err := os.ReadFile(filepath.Join(dataDir, firewallRecord))
	if errors.Is(err, os.ErrNotExist) {
		return firewallRule{}, false, nil
	}
	if err != nil {
		return firewallRule{}, false, err
	}
	var r firewallRule
	if err := json.Unmarshal(b, &r); err != nil {
		return firewallRule{}, false, err
	}
	if r.Kind == firewallNone || r.Port < 1 || r.Port > 65535 {
		return firewallRule{}, false, fmt.Errorf("unexpected content %q", strings.TrimSpace(string(b)))
	}
	return r, true, nil
}

// formatCommand shows a command the way a person would type it: on
// Windows netsh's key="value with spaces", elsewhere shell quoting.
func formatCommand(goos string, args []string) string {
	if goos == "windows" {
		return windowsCommandLine(args)
	}
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = shellQuote(a)
	}
	return strings.Join(q, " ")
}

// windowsCommandLine joins args for CreateProcess the way netsh wants
// them: name="Lanyard agent" rather than Go's "name=Lanyard agent".
func windowsCommandLine(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		switch {
		case !strings.ContainsAny(a, " \t\""):
			q[i] = a
		case strings.Contains(a, "=") && !strings.HasPrefix(a, "="):
			k, v, _ := strings.Cut(a, "=")
			q[i] = k + `="` + strings.ReplaceAll(v, `"`, `\"`) + `"`
		default:
			q[i] = `"` + strings.ReplaceAll(a, `"`, `\"`) + `"`
		}
	}
	return strings.Join(q, " ")
}

func shellQuote(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\n'\"\\$`;&|<>()*?[]{}!#~") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
