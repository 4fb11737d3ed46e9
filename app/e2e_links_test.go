package app_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// TestMain checks for leaked goroutines and removes the programs the
// end-to-end tests built.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.Cleanup(func(code int) {
		removeBuilt()
		os.Exit(code)
	}))
}

func TestLinksBothWaysWithAndWithoutSSL(t *testing.T) {
	for _, ssl := range []bool{false, true} {
		t.Run("ssl="+onOff(ssl), func(t *testing.T) {
			f := newFleet(t, ssl)
			outbound, outAddr := f.agent("FS01", "first-pw", ssl, true)
			f.addSlave("FS01", "first-pw", outAddr)
			f.addSlave("FS02", "second-pw", "")
			f.startConsole()
			inbound, _ := f.agent("FS02", "second-pw", ssl, false, f.consoleAddress)

			f.console.event("connected", "FS01", 15*time.Second)
			f.console.event("connected", "FS02", 15*time.Second)
			outbound.event("connected", "", 5*time.Second)
			inbound.event("connected", "", 5*time.Second)

			// A second process that needs the database is told, not hung.
			out, err := run(t, "", f.consoleBin, "serve", "--data-dir", f.consoleDir)
			if err == nil || !strings.Contains(out, "already running") {
				t.Errorf("a second serve beside a running console: err=%v\n%s", err, out)
			}

			f.console.stop()
			outbound.event("disconnected", "", 5*time.Second)
			l := inbound.event("disconnected", "", 5*time.Second)
			if !strings.Contains(l.Msg, "shutting_down") {
				t.Errorf("agent was told %q, want shutting_down", l.Msg)
			}
			records := f.connlog()
			for _, want := range []struct{ event, slave, dir string }{
				{"connected", "FS01", "outbound"}, {"connected", "FS02", "inbound"},
				{"disconnected", "FS01", "outbound"}, {"disconnected", "FS02", "inbound"},
			} {
				if !hasRecord(records, want.event, want.slave, want.dir) {
					t.Errorf("connection log lacks %v: %v", want, records)
				}
			}
		})
	}
}

func TestSSLMismatchIsReportedOnBothSides(t *testing.T) {
	t.Run("console on, outbound agent off", func(t *testing.T) {
		f := newFleet(t, true)
		agent, addr := f.agent("FS01", "pw", false, true)
		f.addSlave("FS01", "pw", addr)
		f.startConsole()
		l := f.console.event("ssl_mismatch", "FS01", 5*time.Second)
		if !strings.Contains(l.Msg, "SSL is on here but off at") {
			t.Errorf("console said %q", l.Msg)
		}
		l = agent.event("ssl_mismatch", "", 5*time.Second)
		if !strings.Contains(l.Msg, "SSL is off here but on at") {
			t.Errorf("agent said %q", l.Msg)
		}
	})
	t.Run("console off, inbound agent on", func(t *testing.T) {
		f := newFleet(t, false)
		f.addSlave("FS01", "pw", "")
		f.startConsole()
		agent, _ := f.agent("FS01", "pw", true, false, f.consoleAddress)
		l := agent.event("ssl_mismatch", "", 5*time.Second)
		if !strings.Contains(l.Msg, "SSL is on here but off at") {
			t.Errorf("agent said %q", l.Msg)
		}
		l = f.console.event("ssl_mismatch", "", 5*time.Second)
		if !strings.Contains(l.Msg, "SSL is off here but on at") {
			t.Errorf("console said %q", l.Msg)
		}
	})
}

func TestWrongPasswordAndUnknownNameAreExplained(t *testing.T) {
	f := newFleet(t, true)
	agent, addr := f.agent("FS01", "right-pw", true, true)
	f.addSlave("FS01", "wrong-pw", addr)
	f.startConsole()
	l := f.console.event("auth_failed", "FS01", 10*time.Second)
	if !strings.Contains(l.Msg, "wrong management password") {
		t.Errorf("console said %q", l.Msg)
	}
	l = agent.event("auth_failed", "", 5*time.Second)
	if !strings.Contains(l.Msg, "wrong management password") {
		t.Errorf("agent said %q", l.Msg)
	}

	stranger, _ := f.agent("STRANGER", "pw", true, false, f.consoleAddress)
	l = f.console.event("unknown_slave", "STRANGER", 10*time.Second)
	if !strings.Contains(l.Msg, "127.0.0.1") || !strings.Contains(l.Msg, "inbound slave") {
		t.Errorf("console said %q", l.Msg)
	}
	stranger.event("unknown_slave", "", 5*time.Second)
	f.console.stop()
	if !hasRecord(f.connlog(), "unknown_slave", "STRANGER", "inbound") {
		t.Error("unknown_slave not in the connection log")
	}
}

func TestDuplicateLinksAndAConsoleRestart(t *testing.T) {
	f := newFleet(t, true)
	f.addSlave("FS01", "pw", "")
	f.startConsole()
	port := f.consoleAddress[strings.LastIndex(f.consoleAddress, ":")+1:]
	// One agent told about the same console twice.
	agent, _ := f.agent("FS01", "pw", true, false, "127.0.0.1:"+port, "localhost:"+port)
	f.console.event("connected", "FS01", 10*time.Second)
	l := f.console.event("duplicate_link", "FS01", 10*time.Second)
	if !strings.Contains(l.Msg, "already linked") {
		t.Errorf("console said %q", l.Msg)
	}

	// Kill the console outright and start it again on the same port: the
	// agent comes back by itself.
	f.console.kill()
	mustRun(t, "", f.consoleBin, "settings", "set", "--data-dir", f.consoleDir, "--listen", f.consoleAddress)
	f.startConsole()
	f.console.event("connected", "FS01", 30*time.Second)
	agent.event("disconnected", "", 5*time.Second)
}
