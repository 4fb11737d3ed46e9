package service

import (
	"net/netip"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/lanyard/lanyard/app/cmdline"
	"github.com/lanyard/lanyard/core/agent"
	"github.com/lanyard/lanyard/core/auth"
	"github.com/lanyard/lanyard/core/link"
	"github.com/lanyard/lanyard/core/wire"
	"github.com/lanyard/lanyard/core/wire/pb"
	"github.com/lanyard/lanyard/internal/freeport"
)

// consoleAuth admits FS01 with testPassword, as a console's inbound entry.
type consoleAuth struct{ key auth.Key }

func (a consoleAuth) Admit(h *pb.Hello, _ netip.AddrPort, _ string) (link.Admission, error) {
	if !strings.EqualFold(h.Name, "FS01") {
		return link.Admission{}, link.Refuse(wire.CodeUnknownSlave, "unknown slave %q", h.Name)
	}
	return link.Admission{Name: "FS01", Key: a.key, KDF: auth.DefaultKDF}, nil
}

// listenAsConsole is a console on loopback that keeps the links it gets.
func listenAsConsole(t *testing.T) string {
	t.Helper()
	k, err := auth.DeriveKey([]byte(testPassword), "FS01", auth.DefaultKDF)
	if err != nil {
		t.Fatal(err)
	}
	certPEM, keyPEM, err := link.NewCertificate("console")
	if err != nil {
		t.Fatal(err)
	}
	cert, fp, _ := link.LoadCertificate(certPEM, keyPEM)
	links := make(chan *link.Link, 8)
	ln, err := link.Listen(link.ListenConfig{Address: "127.0.0.1:0",
		Identity: &link.Identity{Role: pb.Role_ROLE_MASTER, InstallID: auth.NewID(), BootID: auth.NewID(), Certificate: cert, Fingerprint: fp},
		Options:  link.Options{SSL: true}, Auth: consoleAuth{k}, OnLink: func(l *link.Link) { links <- l }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = ln.Close()
		for {
			select {
			case l := <-links:
				l.CloseWith(&link.Error{Code: wire.CodeNormal})
			default:
				return
			}
		}
	})
	return ln.Addr().String()
}

func closedPort(t *testing.T) string { return freeport.Closed(t) }

func port(addr string) string { return addr[strings.LastIndex(addr, ":")+1:] }

// One console at two addresses, the first closed: init, status, masters
// list and diagnose all treat it as one console, and say which address
// works and why the other does not.
func TestAConsoleAtTwoAddressesThroughTheCommandLine(t *testing.T) {
	closed, cons := closedPort(t), listenAsConsole(t)
	spec := closed + "," + cons
	dir := initAgent(t, "--master", spec)
	c := cli{t: t}

	// diagnose takes the list and says which address works.
	r := c.run("", "diagnose", spec, "--data-dir", dir)
	if r.code != cmdline.ExitError || !strings.Contains(r.stdout, "Works: "+cons+".") ||
		!strings.Contains(r.stdout, "Does not work: "+closed+" (TCP: connection refused (nothing listening there?)") {
		t.Errorf("diagnose of two addresses: %s", r)
	}

	startAgentInProcess(t, dir).waitFor(t, "console linked", 15*time.Second)
	out := c.run("", "status", "--data-dir", dir).stdout
	want := regexp.MustCompile(`link +dialed ` + regexp.QuoteMeta(spec) + `: connected through ` + port(cons) + ` since [^\n]*, round trip \d+(\.\d)? ms\n +` +
		port(closed) + `: connection refused \(nothing listening there\?\) \(\d\d:\d\d:\d\d\)`)
	if !want.MatchString(out) {
		t.Errorf("status does not say which address is in use, its round trip, and why the other failed:\n%s", out)
	}
	r = c.run("", "masters", "list", "--data-dir", dir)
	notes := regexp.MustCompile(`(?m)^  ` + regexp.QuoteMeta(spec) + ` \(linked through port ` + port(cons) + `\):\n    port ` +
		port(closed) + `, at \d\d:\d\d:\d\d: connection refused`)
	if r.code != 0 || !strings.Contains(r.stdout, "connected through port "+port(cons)) || !notes.MatchString(r.stdout) {
		t.Errorf("masters list: %s", r)
	}
	r = c.run("", "masters", "add", "127.0.0.9:1,"+cons, "--data-dir", dir)
	if r.code != cmdline.ExitUsage || !strings.Contains(r.stderr, "already has "+cons+", in "+spec) {
		t.Errorf("a second master sharing an address: %s", r)
	}
	// init with the addresses in another order keeps the console's pin.
	if r := c.run("", "init", "--data-dir", dir, "--master", cons+","+closed); r.code != 0 {
		t.Fatalf("init while running: %s", r)
	}
	r = c.run("", "masters", "list", "--data-dir", dir)
	if !strings.Contains(r.stdout, cons+","+closed) || strings.Contains(r.stdout, "the next one seen") {
		t.Errorf("after init with the addresses reordered: %s", r)
	}
}

// A console that is down: status says when it is tried again, and how
// to try it now.
func TestStatusSaysWhenAConsoleThatIsDownIsTriedAgain(t *testing.T) {
	closed := closedPort(t)
	dir := initAgent(t, "--master", closed)
	startAgentInProcess(t, dir).waitFor(t, "nothing is listening on "+closed, 15*time.Second)
	out := cli{t: t}.run("", "status", "--data-dir", dir).stdout
	want := regexp.MustCompile(`link +dialed ` + regexp.QuoteMeta(closed) + `: [a-z]+ since [^\n]*\(nothing is listening on [^\n]*\); next try at \d\d:\d\d:\d\d \(lanyard-agent masters retry dials it now\)\n`)
	if !want.MatchString(out) {
		t.Errorf("status does not say when the console is tried again:\n%s", out)
	}
}

func TestMastersListDatesTheLastError(t *testing.T) {
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.Local)
	cases := []struct {
		name string
		m    agent.MasterStatus
		want string
	}{
		{"no error is a dash", agent.MasterStatus{}, "-"},
		{"an error today says its time", agent.MasterStatus{LastError: "nothing is listening", LastErrorAt: now.Add(-time.Hour)},
			"at 09:00:00: nothing is listening"},
		{"an error of another day says its date", agent.MasterStatus{LastError: "timed out", LastErrorAt: now.AddDate(0, 0, -3)},
			"at 2026-02-27 10:00: timed out"},
		{"an error without a time is shown as it is", agent.MasterStatus{LastError: "refused"}, "refused"},
		{"a linked console's error from before the link says so", agent.MasterStatus{State: agent.MasterConnected, Since: now.Add(-time.Minute),
			LastError: "wrong management password", LastErrorAt: now.Add(-time.Hour)}, "before this link, at 09:00:00: wrong management password"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := lastErrorCell(tc.m, now); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}
