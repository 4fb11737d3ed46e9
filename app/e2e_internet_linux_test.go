//go:build linux

package app_test

// The customer site on the Internet, on one machine: network namespaces for
// the office, its router, the Internet, the customer's router and the
// customer's server, joined by veth pairs, with NAT and port forwarding in
// nftables, and the real `lanyard serve` and `lanyard-agent run` inside
// them. Only documentation addresses are used (RFC 5737), and everything is
// removed at the end (internal/netlab).

import (
	"fmt"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/lanyard/lanyard/internal/netlab"
)

// The picture, with the example addresses in brackets:
//
//	customer 192.0.2.10 ── 192.0.2.1 customer-router 198.51.100.7 ── 198.51.100.1 internet 203.0.113.1 ── 203.0.113.10 office-router 192.0.2.65 ── 192.0.2.67 office
//	(the agent)            (NAT: masquerade, nothing in)                   (the ISPs)                      (billsit.example: 16888 and 50000 → console:16888)  (the console [10.0.0.3])
const (
	customerHost     = "192.0.2.10"
	customerGateway  = "192.0.2.1"
	customerPublic   = "198.51.100.7"
	ispCustomerSide  = "198.51.100.1"
	ispOfficeSide    = "203.0.113.1"
	officePublic     = "203.0.113.10"
	officeGateway    = "192.0.2.65"
	consoleLAN       = "192.0.2.67"
	officeName       = "billsit.example"
	consolePort      = "16888"
	secondPort       = "50000"
	internetDeadline = 20 * time.Second
)

// site is the Internet the test built.
type site struct {
	lab                                                        *netlab.Lab
	office, officeRouter, internet, customerRouter, customerNS *netlab.Namespace
}

// buildInternet makes the five namespaces, wires them and loads the
// routers' rules.
func buildInternet(t *testing.T) *site {
	t.Helper()
	lab := netlab.New(t)
	s := &site{lab: lab,
		office: lab.Namespace("office"), officeRouter: lab.Namespace("office-router"),
		internet: lab.Namespace("internet"), customerRouter: lab.Namespace("customer-router"),
		customerNS: lab.Namespace("customer")}

	lab.Wire(s.customerNS, "eth0", customerHost+"/26", s.customerRouter, "lan0", customerGateway+"/26")
	lab.Wire(s.customerRouter, "wan0", customerPublic+"/24", s.internet, "cust0", ispCustomerSide+"/24")
	lab.Wire(s.internet, "office0", ispOfficeSide+"/24", s.officeRouter, "wan0", officePublic+"/24")
	lab.Wire(s.officeRouter, "lan0", officeGateway+"/26", s.office, "eth0", consoleLAN+"/26")
	s.customerNS.DefaultRoute(customerGateway)
	s.customerRouter.DefaultRoute(ispCustomerSide)
	s.officeRouter.DefaultRoute(ispOfficeSide)
	s.office.DefaultRoute(officeGateway)
	for _, router := range []*netlab.Namespace{s.customerRouter, s.internet, s.officeRouter} {
		router.Forwarding()
	}

	// The customer's router: masquerade for the LAN, connections out
	// only. The watch table counts new connections to the console's port,
	// so a test can tell which port the agent tried.
	s.customerRouter.Nft(`
table ip customer_router {
	chain postrouting {
		type nat hook postrouting priority srcnat; policy accept
		oifname "wan0" masquerade
	}
	chain forward {
		type filter hook forward priority filter; policy drop
		ct state established,related accept
		iifname "lan0" oifname "wan0" accept
	}
	chain input {
		type filter hook input priority filter; policy drop
		ct state established,related accept
		iifname { "lo", "lan0" } accept
	}
}
table ip watch {
	counter to16888 { }
	chain forward {
		type filter hook forward priority -10; policy accept
		iifname "lan0" tcp dport 16888 tcp flags syn counter name to16888
	}
}`)
	// The office's router: both public ports forwarded to the console's
	// 16888, everything else inbound dropped.
	s.officeRouter.Nft(fmt.Sprintf(`
table ip office_router {
	chain prerouting {
		type nat hook prerouting priority dstnat; policy accept
		iifname "wan0" tcp dport { %[2]s, %[3]s } dnat to %[1]s:%[2]s
	}
	chain forward {
		type filter hook forward priority filter; policy drop
		ct state established,related accept
		iifname "lan0" oifname "wan0" accept
		iifname "wan0" oifname "lan0" ct status dnat accept
	}
	chain input {
		type filter hook input priority filter; policy drop
		ct state established,related accept
		iifname { "lo", "lan0" } accept
	}
}`, consoleLAN, consolePort, secondPort))
	// Name lookup is part of the path: the customer finds the office by name.
	s.customerNS.SetHosts(officePublic + "\t" + officeName)
	return s
}

// inNS starts a binary inside a namespace, its log awaited like any proc's.
func inNS(t *testing.T, ns *netlab.Namespace, name, bin string, args ...string) *proc {
	t.Helper()
	cmd := ns.Command(bin, append(args, "--log-json")...)
	cmd.Env = append(os.Environ(), "LANG=en_US.UTF-8")
	return startCmd(t, name, cmd)
}

// inDocRanges reports whether host:port (or a bare address) is a
// documentation address.
func inDocRanges(addr string) bool {
	ap, err := netip.ParseAddrPort(addr)
	a := ap.Addr()
	if err != nil {
		if a, err = netip.ParseAddr(addr); err != nil {
			return false
		}
	}
	for _, p := range netlab.DocRanges {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// TestTheCustomerSiteOnTheInternet checks, with the real binaries, that
// an agent behind a customer's NAT router reaches the console behind the
// office router's port forwarding by name, that the console cannot dial
// through the customer's router, and that all of it stays inside the
// namespaces the test made.
func TestTheCustomerSiteOnTheInternet(t *testing.T) {
	consoleBin, agentBin := binaries(t)
	if err := netlab.Available(); err != nil && os.Getenv(netlab.RequireEnv) == "" {
		t.Skipf("skipped: cannot build the network lab: %v", err)
	}
	for _, ssl := range []bool{true, false} {
		t.Run("ssl="+onOff(ssl), func(t *testing.T) {
			t.Parallel()
			s := buildInternet(t)

			consoleDir := t.TempDir()
			mustRun(t, "", consoleBin, "settings", "set", "--data-dir", consoleDir,
				"--listen", consoleLAN+":"+consolePort, "--ssl", onOff(ssl), "--heartbeat", "1")
			mustRun(t, "pw-fs01\n", consoleBin, "slave", "add", "--data-dir", consoleDir, "--name", "FS01", "--inbound", "--password-stdin")
			mustRun(t, "pw-fs02\n", consoleBin, "slave", "add", "--data-dir", consoleDir, "--name", "FS02",
				"--address", customerPublic+":"+consolePort, "--password-stdin")
			console := inNS(t, s.office, "console", consoleBin, "serve", "--data-dir", consoleDir)
			console.event("listening", "", internetDeadline)

			// FS02 listens at the customer's site, where nothing can reach it.
			fs02Dir := t.TempDir()
			mustRun(t, "pw-fs02\n", agentBin, "init", "--data-dir", fs02Dir, "--name", "FS02", "--password-stdin",
				"--ssl", onOff(ssl), "--listen", customerHost+":"+consolePort)
			fs02 := inNS(t, s.customerNS, "FS02", agentBin, "run", "--data-dir", fs02Dir)
			fs02.event("listening", "", internetDeadline)
			// FS01 dials the office by name.
			fs01Dir := t.TempDir()
			mustRun(t, "pw-fs01\n", agentBin, "init", "--data-dir", fs01Dir, "--name", "FS01", "--password-stdin",
				"--ssl", onOff(ssl), "--master", officeName+":"+consolePort)
			fs01 := inNS(t, s.customerNS, "FS01", agentBin, "run", "--data-dir", fs01Dir)

			// 1. Inbound through NAT and the port forward: the console sees
			// the customer router's public address, and knows FS01 by name.
			l := console.event("connected", "FS01", internetDeadline)
			if !strings.HasPrefix(l.Remote, customerPublic+":") {
				t.Errorf("the console saw FS01 arrive from %q, want the customer router's public address %s", l.Remote, customerPublic)
			}
			fs01.event("connected", "", internetDeadline)
			t.Logf("1. FS01 linked inbound through both routers; the console saw it from %s", l.Remote)

			// 2. The console cannot dial FS02 through the customer's router,
			// and says so plainly; FS02 never hears of it.
			l = console.event("dial_failed", "FS02", internetDeadline)
			if !strings.Contains(l.Msg, "no answer from "+customerPublic) && !strings.Contains(l.Msg, "no route to") {
				t.Errorf("the console's reason for FS02 is %q, want a timeout or no route", l.Msg)
			}
			t.Logf("2. the console cannot dial FS02: %s", l.Msg)
			console.stop()
			for _, line := range fs02.snapshot() {
				if line.Remote != "" {
					t.Errorf("FS02 heard from %s, through a router that lets nothing in: %s", line.Remote, line.Msg)
				}
			}

			// 6. What the console recorded came from documentation
			// addresses only; the lab's teardown checks the rest.
			records := (&fleet{t: t, consoleBin: consoleBin, consoleDir: consoleDir}).connlog()
			if !hasRecord(records, "connected", "FS01", "inbound") || !hasRecord(records, "dial_failed", "FS02", "outbound") {
				t.Errorf("the connection log lacks FS01's link or FS02's failure: %v", records)
			}
			for _, r := range records {
				if remote := fmt.Sprint(r["remote"]); r["remote"] != nil && remote != "" && !inDocRanges(remote) {
					t.Errorf("the console recorded a remote address outside the lab: %v", r)
				}
			}
		})
	}
}

// snapshot is every JSON log line so far.
func (p *proc) snapshot() []logLine {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]logLine(nil), p.lines...)
}
