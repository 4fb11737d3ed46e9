//go:build linux

package app_test

// The customer site on the Internet, on one machine: network namespaces for
// the office, its router, the Internet, the customer's router and the
// customer's server, joined by veth pairs, with NAT and port forwarding in
// nftables, and the real `lanyard serve` and `lanyard-agent run` inside
// them. Only documentation addresses are used (RFC 5737), and everything is
// removed at the end (internal/netlab).

import (
	"bytes"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lanyard/lanyard/core/link"
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

var (
	middleboxOnce sync.Once
	middleboxPath string
	middleboxErr  error
)

// middlebox builds the lab's "smart firewall" (internal/netlab/cmd/middlebox)
// once per test run.
func middlebox(t *testing.T) string {
	t.Helper()
	middleboxOnce.Do(func() {
		dir, err := os.MkdirTemp("", "lanyard-e2e-middlebox-")
		if err != nil {
			middleboxErr = err
			return
		}
		builtInto(dir)
		middleboxPath = filepath.Join(dir, "middlebox")
		cmd := exec.Command("go", "build", "-o", middleboxPath, "github.com/lanyard/lanyard/internal/netlab/cmd/middlebox")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			middleboxErr = fmt.Errorf("go build middlebox: %v\n%s", err, out)
		}
	})
	if middleboxErr != nil {
		t.Fatal(middleboxErr)
	}
	return middleboxPath
}

// newSiteLine is the `lanyard-agent init` line in what `lanyard settings`
// printed.
func newSiteLine(t *testing.T, settings string) string {
	t.Helper()
	for _, line := range strings.Split(settings, "\n") {
		if rest, ok := strings.CutPrefix(line, "new site's agent"); ok {
			return strings.TrimSpace(rest)
		}
	}
	t.Fatalf("lanyard settings gives no line for a new site's agent:\n%s", settings)
	return ""
}

// agentStatus is what `lanyard-agent status` prints for the agent with
// this data directory, run on the agent's own machine.
func agentStatus(t *testing.T, ns *netlab.Namespace, agentBin, dir string) string {
	t.Helper()
	// status says "not installed" about the service, and may exit non-zero
	// for that; the links are what matter here.
	out, _ := ns.Command(agentBin, "status", "--data-dir", dir).CombinedOutput()
	return string(out)
}

// TestTheCustomerSiteOnTheInternet checks, with the real binaries, the
// issue's six points: an agent behind a customer's NAT router reaches the
// console behind the office router's port forwarding by name (1); the
// console cannot dial through the customer's router (2); with the usual
// port blocked the agent falls back to the second forwarded port at once
// and keeps using it (3); it follows the office's new public address by
// name (4); a smart firewall that rewrites plain traffic breaks links
// without SSL and not those with it (5); and all of it stays inside the
// namespaces the test made, which are gone afterwards (6).
func TestTheCustomerSiteOnTheInternet(t *testing.T) {
	consoleBin, agentBin := binaries(t)
	if err := netlab.Available(); err != nil && os.Getenv(netlab.RequireEnv) == "" {
		t.Skipf("skipped: cannot build the network lab: %v", err)
	}
	boxBin := middlebox(t)
	for _, ssl := range []bool{true, false} {
		t.Run("ssl="+onOff(ssl), func(t *testing.T) {
			t.Parallel()
			s := buildInternet(t)

			// The console is told its public name and both forwarded ports,
			// and gives the line that sets up a new site's agent.
			consoleDir := t.TempDir()
			initLine := newSiteLine(t, mustRun(t, "", consoleBin, "settings", "set", "--data-dir", consoleDir,
				"--listen", consoleLAN+":"+consolePort, "--ssl", onOff(ssl), "--heartbeat", "1",
				"--public", officeName, "--public-ports", consolePort+","+secondPort))
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
			// FS01 is set up with the console's line, so it dials the office
			// by name at both forwarded ports.
			fs01Dir := t.TempDir()
			if want := "--master " + usual + "," + second; !strings.Contains(initLine, want) {
				t.Fatalf("the console's line for a new site is %q, want it to contain %q", initLine, want)
			}
			args := strings.Fields(strings.Replace(initLine, "--name NAME", "--name FS01", 1))[1:]
			mustRun(t, "pw-fs01\n", agentBin, append(args, "--data-dir", fs01Dir)...)
			fs01 := inNS(t, s.customerNS, "FS01", agentBin, "run", "--data-dir", fs01Dir)

			// 1. Inbound through NAT and the port forward: the console sees
			// the customer router's public address, and knows FS01 by name.
			l := console.event("connected", "FS01", internetDeadline)
			if !strings.HasPrefix(l.Remote, customerPublic+":") {
				t.Errorf("the console saw FS01 arrive from %q, want the customer router's public address %s", l.Remote, customerPublic)
			}
			if l := fs01.event("connected", "", internetDeadline); !strings.Contains(l.Msg, "dialed at "+usual) {
				t.Errorf("FS01 linked with %q, want it through the usual port first (%s)", l.Msg, usual)
			}
			t.Logf("1. FS01 linked inbound through both routers; the console saw it from %s", l.Remote)

			// 2. The console cannot dial FS02 through the customer's router,
			// and says so plainly; FS02 never hears of it.
			l = console.event("dial_failed", "FS02", internetDeadline)
			if !strings.Contains(l.Msg, "no answer from "+customerPublic) && !strings.Contains(l.Msg, "no route to") {
				t.Errorf("the console's reason for FS02 is %q, want a timeout or no route", l.Msg)
			}
			t.Logf("2. the console cannot dial FS02: %s", l.Msg)
			for _, line := range fs02.snapshot() {
				if line.Remote != "" {
					t.Errorf("FS02 heard from %s, through a router that lets nothing in: %s", line.Remote, line.Msg)
				}
			}

			fs01 = theISPBlocksTheUsualPort(t, s, console, fs01, ssl, agentBin, fs01Dir)
			theOfficeGetsANewAddress(t, s, console, fs01)
			aSmartFirewallInThePath(t, s, console, fs01, ssl, agentBin, fs01Dir, boxBin)

			// 6. What the console recorded came from documentation
			// addresses only; the lab's teardown checks the rest.
			console.stop()
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

// The office's two forwarded ports, by name, as the agent's master entry
// lists them.
var (
	usual  = officeName + ":" + consolePort
	second = officeName + ":" + secondPort
)

// connectTimeout is how long the agent waits for one address before it
// tries the next.
const connectTimeout = link.DefaultHandshakeTimeout

// theISPBlocksTheUsualPort is point 3: with 16888 dropped on the way the
// agent links through 50000 within one connect timeout and says why 16888
// failed, and diagnose says which address works; unblocked and restarted,
// the agent goes straight to 50000, the port that worked. It returns the
// agent now running.
func theISPBlocksTheUsualPort(t *testing.T, s *site, console, fs01 *proc, ssl bool, agentBin, dir string) *proc {
	t.Helper()
	fs01.stop()
	s.customerRouter.Nft(`
table ip isp {
	chain forward {
		type filter hook forward priority -5; policy accept
		oifname "wan0" tcp dport 16888 drop
	}
}`)
	// diagnose, run beside the agent from the same site, says the same
	// of each address; it waits out the same connect timeout meanwhile.
	var diagnosed bytes.Buffer
	diagnose := s.customerNS.Command(agentBin, "diagnose", usual+","+second, "--data-dir", t.TempDir(), "--ssl", onOff(ssl))
	diagnose.Stdout, diagnose.Stderr = &diagnosed, &diagnosed
	if err := diagnose.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = diagnose.Process.Kill(); _ = diagnose.Wait() })
	mark := console.mark()
	began := time.Now()
	fs01 = inNS(t, s.customerNS, "FS01", agentBin, "run", "--data-dir", dir)
	l := fs01.event("connected", "", connectTimeout+internetDeadline)
	took := time.Since(began)
	if !strings.Contains(l.Msg, "dialed at "+second) {
		t.Errorf("with 16888 blocked FS01 linked with %q, want it through %s", l.Msg, second)
	}
	timedOut := false
	for _, line := range fs01.snapshot() {
		if line.Event == "dial_failed" && line.Remote == usual {
			timedOut = true
		}
		if strings.Contains(line.Msg, "next try in") {
			t.Errorf("FS01 waited out a backoff before trying %s: %s", second, line.Msg)
		}
	}
	if !timedOut {
		t.Errorf("FS01 logged no failure of %s before linking through %s:\n%s", usual, second, fs01.dump())
	}
	if took > 2*connectTimeout {
		t.Errorf("FS01 took %s to link through %s, want about one connect timeout (%s)", took, second, connectTimeout)
	}
	console.eventFrom(mark, "connected", "FS01", internetDeadline)
	st := agentStatus(t, s.customerNS, agentBin, dir)
	if !strings.Contains(st, "through "+secondPort) || !strings.Contains(st, consolePort+": connection timed out (blocked on the way?)") {
		t.Errorf("FS01's status does not say it links through %s and why %s failed:\n%s", secondPort, consolePort, st)
	}
	t.Logf("3. 16888 blocked: FS01 linked through 50000 after %s; its status:\n%s", took.Round(time.Millisecond), st)
	_ = diagnose.Wait() // it exits non-zero: one address does not work
	if out := diagnosed.String(); !strings.Contains(out, "Works: "+second+".") || !strings.Contains(out, "Does not work: "+usual+" (TCP") {
		t.Errorf("diagnose of both addresses does not say 50000 works and 16888 does not:\n%s", out)
	}

	fs01.stop()
	s.customerRouter.MustRun("nft", "delete", "table", "ip", "isp")
	before := syns(t, s)
	mark = console.mark()
	fs01 = inNS(t, s.customerNS, "FS01", agentBin, "run", "--data-dir", dir)
	if l := fs01.event("connected", "", internetDeadline); !strings.Contains(l.Msg, "dialed at "+second) {
		t.Errorf("unblocked and restarted, FS01 linked with %q, want it through %s, which worked last", l.Msg, second)
	}
	console.eventFrom(mark, "connected", "FS01", internetDeadline)
	if after := syns(t, s); after != before {
		t.Errorf("unblocked and restarted, FS01 tried 16888 again (%d connection attempts) before the port that worked last", after-before)
	}
	t.Log("3. unblocked and restarted: FS01 went straight to 50000")
	return fs01
}

// syns is how many connections the customer's LAN has opened to port
// 16888 on the Internet so far.
func syns(t *testing.T, s *site) int {
	t.Helper()
	n, err := s.customerRouter.Counter("ip", "watch", "to16888")
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// newOfficePublic is the office router's address after the ISP changed
// it.
const newOfficePublic = "203.0.113.20"

// theOfficeGetsANewAddress is point 4: the ISP gives the office router
// another public address and the name is updated, as dynamic DNS would:
// the agent's link dies with the old address and it relinks by name.
func theOfficeGetsANewAddress(t *testing.T, s *site, console, fs01 *proc) {
	t.Helper()
	agentMark, consoleMark := fs01.mark(), console.mark()
	s.officeRouter.IP("addr", "del", officePublic+"/24", "dev", "wan0")
	s.officeRouter.IP("addr", "add", newOfficePublic+"/24", "dev", "wan0")
	s.officeRouter.IP("route", "replace", "default", "via", ispOfficeSide)
	// The ISP forgets where the old address was, so packets to it go
	// nowhere instead of reaching the router by its cached hardware
	// address.
	s.internet.IP("neigh", "flush", "dev", "office0")
	s.customerNS.SetHosts(newOfficePublic + "\t" + officeName)

	fs01.eventFrom(agentMark, "disconnected", "", internetDeadline)
	l := fs01.eventFrom(agentMark, "connected", "", 3*internetDeadline)
	if !strings.Contains(l.Msg, "dialed at "+officeName) {
		t.Errorf("FS01 relinked with %q, want it by the office's name", l.Msg)
	}
	console.eventFrom(consoleMark, "connected", "FS01", internetDeadline)
	t.Logf("4. the office moved to %s: FS01 relinked by name (%s)", newOfficePublic, l.Msg)
}

// aSmartFirewallInThePath is point 5: a box in the Internet that rewrites
// plain streams (internal/netlab/cmd/middlebox) takes every connection to
// the office's ports. Without SSL the agent cannot link through it, and
// both ends say the stream was not Lanyard's; with SSL it links.
func aSmartFirewallInThePath(t *testing.T, s *site, console, fs01 *proc, ssl bool, agentBin, dir, boxBin string) {
	t.Helper()
	fs01.stop()
	box := startCmd(t, "middlebox", s.internet.Command(boxBin, "-listen", ":7000", "-upstream", newOfficePublic+":"+consolePort))
	box.event("listening", "", internetDeadline)
	s.internet.Nft(`
table ip smart_firewall {
	chain prerouting {
		type nat hook prerouting priority dstnat; policy accept
		iifname "cust0" tcp dport { 16888, 50000 } redirect to :7000
	}
}`)
	consoleMark := console.mark()
	fs01 = inNS(t, s.customerNS, "FS01", agentBin, "run", "--data-dir", dir)
	if ssl {
		fs01.event("connected", "", internetDeadline)
		box.event("passed_tls", "", internetDeadline)
		l := console.eventFrom(consoleMark, "connected", "FS01", internetDeadline)
		if !strings.HasPrefix(l.Remote, ispOfficeSide+":") {
			t.Errorf("the console saw FS01 arrive from %q, want the smart firewall (%s): was it in the path?", l.Remote, ispOfficeSide)
		}
		t.Log("5. SSL on: FS01 linked through the smart firewall, which passed TLS through")
		return
	}
	box.event("rewrote", "", internetDeadline)
	// Both ports cross the box: the agent tries each, and both ends say
	// the stream was altered on the way and to turn SSL on.
	for _, addr := range []string{second, usual} {
		l := fs01.waitLog("protocol_error at "+addr, func(l logLine) bool { return l.Event == "protocol_error" && l.Remote == addr }, internetDeadline)
		if !strings.Contains(l.Msg, "altered on the way") || !strings.Contains(l.Msg, "turn SSL on") {
			t.Errorf("FS01's reason for %s is %q, want it to say the answer was altered on the way and to turn SSL on", addr, l.Msg)
		}
		t.Logf("5. SSL off: %s", l.Msg)
	}
	fs01.waitLog("the end of the round", func(l logLine) bool { return strings.Contains(l.Msg, "next try in") }, internetDeadline)
	for _, line := range fs01.snapshot() {
		if line.Event == "connected" {
			t.Errorf("FS01 linked without SSL through a firewall that rewrites plain traffic: %s", line.Msg)
		}
	}
	l := console.waitLogFrom(consoleMark, "protocol_error", func(l logLine) bool { return l.Event == "protocol_error" }, internetDeadline)
	if !strings.Contains(l.Msg, "altered on the way") {
		t.Errorf("the console's reason is %q, want it to say FS01's greeting was altered on the way", l.Msg)
	}
	t.Logf("5. SSL off: the console says %s", l.Msg)
}

// snapshot is every JSON log line so far.
func (p *proc) snapshot() []logLine {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]logLine(nil), p.lines...)
}
