package service

import (
	"context"
	"errors"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/lanyard/lanyard/app/cmdline"
	"github.com/lanyard/lanyard/core/auth"
	"github.com/lanyard/lanyard/core/link"
	"github.com/lanyard/lanyard/core/wire"
	"github.com/lanyard/lanyard/core/wire/pb"
	"github.com/lanyard/lanyard/internal/testkit"
)

var fingerprintLine = regexp.MustCompile(`(?m)^certificate SHA256:([0-9a-f]{64})$`)

func TestInitPrintsTheCertificateFingerprintAndStatusShowsIt(t *testing.T) {
	dir := t.TempDir()
	svc := unitServiceName() // installed nowhere
	r := cli{t: t}.run(testPassword+"\n", "init", "--data-dir", dir, "--name", "FS01", "--password-stdin", "--listen", ":16888", "--service-name", svc)
	m := fingerprintLine.FindStringSubmatch(r.stdout)
	if r.code != 0 || m == nil || !strings.Contains(r.stderr, "Give this certificate fingerprint to the console") {
		t.Fatalf("init: %s", r)
	}
	// And what to do next, with the flags that find this agent again.
	if want := "Next, as root (Administrator): lanyard-agent install --data-dir " + dir + " --service-name " + svc +
		", then lanyard-agent start --service-name " + svc + ", to run it as a service; lanyard-agent run --data-dir " + dir +
		" tries it in the foreground.\n"; !strings.HasSuffix(r.stderr, want) {
		t.Errorf("init ends\n%s\nwant\n%s", r.stderr, want)
	}
	st := cli{t: t}.run("", "status", "--data-dir", dir, "--service-name", unitServiceName())
	if st.code != 0 || !strings.Contains(st.stdout, "certificate SHA256:"+m[1]) {
		t.Fatalf("status does not show the fingerprint init printed (%s): %s", m[1], st)
	}
}

func TestSSLOffIsDescribedHonestly(t *testing.T) {
	dir := t.TempDir()
	r := cli{t: t}.run(testPassword+"\n", "init", "--data-dir", dir, "--name", "FS01", "--password-stdin", "--listen", ":16888", "--ssl", "off")
	if r.code != 0 || !strings.Contains(r.stderr, link.SSLOffRisk) {
		t.Fatalf("init with SSL off: %s", r)
	}
	st := cli{t: t}.run("", "status", "--data-dir", dir, "--service-name", unitServiceName())
	if !strings.Contains(st.stdout, "ssl         off: "+link.SSLOffRisk) {
		t.Fatalf("status with SSL off: %s", st)
	}
	if r := (cli{t: t}).run("", "set", "ssl", "on", "--data-dir", dir); r.code != 0 || strings.Contains(r.stderr, link.SSLOffRisk) {
		t.Fatalf("set ssl on: %s", r)
	}
	if r := (cli{t: t}).run("", "set", "ssl", "off", "--data-dir", dir); r.code != 0 || !strings.Contains(r.stderr, link.SSLOffRisk) {
		t.Fatalf("set ssl off says nothing of what it exposes: %s", r)
	}
}

func TestInitTakesAnExpectedFingerprintPerMaster(t *testing.T) {
	fp := strings.Repeat("9f", 32)
	dir := initAgent(t, "--master", "10.0.0.2:16888=SHA256:"+fp, "--master", "10.0.0.3:16888")
	rep, err := settingsReport(dir)
	if err != nil {
		t.Fatal(err)
	}
	if rep.MasterCerts["10.0.0.2:16888"] != fp || rep.MasterCerts["10.0.0.3:16888"] != "" {
		t.Fatalf("stored %+v", rep.MasterCerts)
	}
	// Running init again with the same masters keeps what was pinned.
	if r := (cli{t: t}).run("", "init", "--data-dir", dir, "--master", "10.0.0.2:16888"); r.code != 0 {
		t.Fatal(r)
	}
	if rep, _ := settingsReport(dir); rep.MasterCerts["10.0.0.2:16888"] != fp {
		t.Fatalf("init again dropped the pin: %+v", rep.MasterCerts)
	}
	r := cli{t: t}.run("", "init", "--data-dir", dir, "--master", "10.0.0.2:16888=SHA256:123")
	if r.code != cmdline.ExitUsage || !strings.Contains(r.stderr, "64 hex digits") {
		t.Fatalf("a short fingerprint: %s", r)
	}
}

// recordingAuth is an impostor's Authenticator: it notes every hello.
type recordingAuth struct{ hellos chan string }

func (a recordingAuth) Admit(h *pb.Hello, _ netip.AddrPort, _ string) (link.Admission, error) {
	a.hellos <- h.Name
	return link.Admission{Name: h.Name, KDF: auth.DefaultKDF}, nil
}

// An impostor at a master's address, with another certificate than the one
// pinned there, gets no proof from `lanyard-agent diagnose`.
func TestDiagnoseSendsNoProofToAnImpostorAtAPinnedAddress(t *testing.T) {
	hellos := make(chan string, 4)
	ln, err := link.Listen(link.ListenConfig{Address: "127.0.0.1:0",
		Identity: testkit.Identity(t, nil, pb.Role_ROLE_MASTER),
		Options:  link.Options{SSL: true}, Auth: recordingAuth{hellos},
		OnLink: func(l *link.Link) { l.CloseWith(&link.Error{Code: "normal"}) }})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	addr := ln.Addr().String()
	dir := initAgent(t, "--master", addr+"=SHA256:"+strings.Repeat("ab", 32))

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r := cli{t: t}.runContext(ctx, "", "diagnose", addr, "--data-dir", dir)
	if r.code != cmdline.ExitError || !strings.Contains(r.stdout, "[FAIL] SSL") || !strings.Contains(r.stdout, "lanyard-agent masters trust "+addr) {
		t.Fatalf("diagnose of an impostor: %s", r)
	}
	select {
	case name := <-hellos:
		t.Fatalf("the impostor received a hello for %s", name)
	default:
	}
}

// A running agent holds its database, so diagnose asks it for its SSL
// setting: with SSL on there, a console with SSL on is no mismatch.
func TestDiagnoseUsesTheRunningAgentsSSLSetting(t *testing.T) {
	hellos := make(chan string, 4)
	ln, err := link.Listen(link.ListenConfig{Address: "127.0.0.1:0",
		Identity: testkit.Identity(t, nil, pb.Role_ROLE_MASTER),
		Options:  link.Options{SSL: true}, Auth: recordingAuth{hellos},
		OnLink: func(l *link.Link) { l.CloseWith(&link.Error{Code: "normal"}) }})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	dir := initAgent(t, "--listen", "127.0.0.1:0", "--ssl", "on")
	startAgentInProcess(t, dir)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	addr := ln.Addr().String()
	r := cli{t: t}.runContext(ctx, "", "diagnose", addr, "--data-dir", dir)
	if !strings.Contains(r.stdout, "Diagnosing "+addr+" (SSL on)") || !strings.Contains(r.stdout, "[ok  ] SSL") {
		t.Fatalf("diagnose while the agent runs with SSL on: %s", r)
	}
}

// unknownSlaveAuth is a console that knows no slave.
type unknownSlaveAuth struct{}

func (unknownSlaveAuth) Admit(h *pb.Hello, _ netip.AddrPort, _ string) (link.Admission, error) {
	return link.Admission{}, link.Refuse(wire.CodeUnknownSlave, "no inbound slave named %q", h.Name)
}

// When diagnose cannot use the agent's password, the step it skips says
// why: the running agent holds its settings, or there are none yet.
func TestDiagnoseSaysWhyItDidNotCheckThePassword(t *testing.T) {
	ln, err := link.Listen(link.ListenConfig{Address: "127.0.0.1:0",
		Identity: testkit.Identity(t, nil, pb.Role_ROLE_MASTER), Auth: unknownSlaveAuth{},
		OnLink: func(l *link.Link) { l.CloseWith(&link.Error{Code: "normal"}) }})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	addr := ln.Addr().String()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	fresh := filepath.Join(t.TempDir(), "agent")
	r := cli{t: t}.runContext(ctx, "", "diagnose", addr, "--data-dir", fresh)
	if !strings.Contains(r.stdout, "[skip] password     not checked (this agent has no name or password yet: lanyard-agent init); a console answered") {
		t.Errorf("diagnose before init: %s", r)
	}
	if _, err := os.Stat(fresh); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("diagnose before init created the data directory: %v", err)
	}
	dir := initAgent(t, "--listen", "127.0.0.1:0", "--ssl", "off")
	startAgentInProcess(t, dir)
	r = cli{t: t}.runContext(ctx, "", "diagnose", addr, "--data-dir", dir)
	if !strings.Contains(r.stdout, "[skip] password     not checked (the running agent holds its settings; lanyard-agent masters list shows whether its own link works)") {
		t.Errorf("diagnose while the agent runs: %s", r)
	}
}
