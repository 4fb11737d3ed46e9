package app_test

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

var certificateLine = regexp.MustCompile(`certificate\s+(SHA256:[0-9a-f]{64})`)

// Each side prints its certificate fingerprint, and each side takes the
// other's, so no first contact is trusted blindly.
func TestFingerprintsGivenOnBothSidesLinkAndAWrongOneIsRefused(t *testing.T) {
	f := newFleet(t, true)
	show := mustRun(t, "", f.consoleBin, "settings", "show", "--data-dir", f.consoleDir)
	m := certificateLine.FindStringSubmatch(show)
	if m == nil || !strings.Contains(show, "with SSL on") {
		t.Fatalf("settings show gives no fingerprint or no words on SSL:\n%s", show)
	}
	consoleFP := m[1]

	// An outbound agent: its init prints its fingerprint; the console is
	// given it, and a wrong one for a second entry at the same agent.
	dir := t.TempDir()
	out := mustRun(t, "pw1\n", f.agentBin, "init", "--data-dir", dir, "--name", "FS01", "--password-stdin", "--listen", "127.0.0.1:0")
	m = certificateLine.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("init printed no fingerprint:\n%s", out)
	}
	agentFP := m[1]
	p := start(t, "FS01", f.agentBin, "run", "--data-dir", dir)
	mustRun(t, "pw1\n", f.consoleBin, "slave", "add", "--data-dir", f.consoleDir, "--name", "FS01", "--password-stdin",
		"--address", p.listenAddr(), "--fingerprint", agentFP)

	// An inbound agent given the console's fingerprint.
	f.addSlave("FS02", "pw2", "")
	f.startConsole()
	f.agent("FS02", "pw2", true, false, f.consoleAddress+"="+consoleFP)
	f.console.event("connected", "FS01", 10*time.Second)
	f.console.event("connected", "FS02", 10*time.Second)
	f.console.stop()

	// A wrong fingerprint: refused before any proof, with the fix.
	mustRun(t, "", f.consoleBin, "slave", "trust", "FS01", "--data-dir", f.consoleDir, "--fingerprint", "SHA256:"+strings.Repeat("ab", 32))
	f.startConsole()
	l := f.console.event("cert_changed", "FS01", 10*time.Second)
	if !strings.Contains(l.Msg, "lanyard slave trust FS01") {
		t.Errorf("cert_changed says %q", l.Msg)
	}
}
