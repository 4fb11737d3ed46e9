package link

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/lanyard/lanyard/core/wire/pb"
)

// diagnose runs Diagnose and returns the steps it reported.
func diagnose(t *testing.T, o DiagnoseOptions) ([]Step, bool) {
	t.Helper()
	if o.Identity == nil {
		o.Identity = newIdentity(t, pb.Role_ROLE_MASTER)
	}
	var steps []Step
	ok := Diagnose(context.Background(), o, func(s Step) { steps = append(steps, s) })
	return steps, ok
}

// failed is the name of the failing step, or "".
func failed(steps []Step) string {
	for _, s := range steps {
		if !s.OK {
			return s.Name
		}
	}
	return ""
}

func TestDiagnoseFindsTheFailingStep(t *testing.T) {
	srv := startServer(t, newIdentity(t, pb.Role_ROLE_AGENT), Options{SSL: true},
		&agentAuth{name: "FS01", key: key(t, "FS01", "pw"), management: true}, nil)
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedAddr := closed.Addr().String()
	_ = closed.Close()

	right := &Target{Name: "FS01", Key: key(t, "FS01", "pw"), KDF: testKDF}
	wrong := &Target{Name: "FS01", Key: key(t, "FS01", "nope"), KDF: testKDF}
	misnamed := &Target{Name: "FS09", Key: key(t, "FS09", "pw"), KDF: testKDF}
	cases := []struct {
		name       string
		o          DiagnoseOptions
		wantFailed string
		wantFix    string
	}{
		{"everything right passes every step", DiagnoseOptions{Address: srv.addr(), Options: Options{SSL: true}, Target: right}, "", ""},
		{"without a password the reachable steps pass", DiagnoseOptions{Address: srv.addr(), Options: Options{SSL: true}}, "", ""},
		{"a wrong password fails at the password", DiagnoseOptions{Address: srv.addr(), Options: Options{SSL: true}, Target: wrong}, "password", "same management password"},
		{"another name fails at the password, naming it", DiagnoseOptions{Address: srv.addr(), Options: Options{SSL: true}, Target: misnamed}, "password", "agent's own name"},
		{"SSL off here fails at SSL", DiagnoseOptions{Address: srv.addr(), Target: right}, "SSL", "both ends must match"},
		{"a closed port fails at TCP", DiagnoseOptions{Address: closedAddr}, "TCP", "nothing is listening"},
		{"a malformed address fails first", DiagnoseOptions{Address: "no-port"}, "address", "HOST:PORT"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			steps, ok := diagnose(t, tc.o)
			got := failed(steps)
			if got != tc.wantFailed || ok != (tc.wantFailed == "") {
				t.Fatalf("failed step %q (ok=%v), want %q; steps: %+v", got, ok, tc.wantFailed, steps)
			}
			if tc.wantFix != "" && !strings.Contains(steps[len(steps)-1].Fix, tc.wantFix) {
				t.Errorf("fix %q lacks %q", steps[len(steps)-1].Fix, tc.wantFix)
			}
			// Without a password the password step passes unchecked, and
			// says so; a step checked or failed is never marked skipped.
			if last := steps[len(steps)-1]; last.Skipped != (tc.wantFailed == "" && tc.o.Target == nil) {
				t.Errorf("last step skipped=%v: %+v", last.Skipped, last)
			}
			// What to do is said once, as the fix, not in the detail too.
			if last := steps[len(steps)-1]; tc.wantFailed == "password" && strings.Contains(last.Detail, "same password") {
				t.Errorf("the detail %q repeats the fix %q", last.Detail, last.Fix)
			}
		})
	}
	// Drain what the listener reported about the probes.
	for len(srv.refusals) > 0 {
		<-srv.refusals
	}
	for len(srv.links) > 0 {
		closeLink(<-srv.links)
	}
}

// An agent whose name a console does not know is told to add it there.
func TestDiagnoseOfAConsoleThatDoesNotKnowThisServer(t *testing.T) {
	srv := startServer(t, newIdentity(t, pb.Role_ROLE_MASTER), Options{SSL: true}, &slaveTable{name: "FS01", key: key(t, "FS01", "pw")}, nil)
	steps, ok := diagnose(t, DiagnoseOptions{Address: srv.addr(), Identity: newIdentity(t, pb.Role_ROLE_AGENT), Options: Options{SSL: true},
		Target: &Target{Name: "FS77", Key: key(t, "FS77", "pw"), KDF: testKDF}})
	last := steps[len(steps)-1]
	if ok || last.Name != "password" || !strings.Contains(last.Fix, "add FS77 as an inbound slave") {
		t.Fatalf("ok=%v, last step %+v", ok, last)
	}
	for len(srv.refusals) > 0 {
		<-srv.refusals
	}
}

// An impostor at an address whose certificate is pinned gets nothing from
// a diagnosis: not a proof, not even a hello.
func TestDiagnoseRespectsThePin(t *testing.T) {
	admitted := make(chan string, 4)
	impostor := startServer(t, newIdentity(t, pb.Role_ROLE_AGENT), Options{SSL: true},
		&agentAuth{name: "FS01", key: key(t, "FS01", "pw"), management: true, admitted: admitted}, nil)
	real := newIdentity(t, pb.Role_ROLE_AGENT)
	right := &Target{Name: "FS01", Key: key(t, "FS01", "pw"), KDF: testKDF}
	for _, target := range []*Target{right, nil} {
		steps, ok := diagnose(t, DiagnoseOptions{Address: impostor.addr(), Options: Options{SSL: true}, Target: target,
			PinnedCert: real.Fingerprint, TrustFix: "lanyard-agent masters trust " + impostor.addr()})
		if ok || failed(steps) != "SSL" {
			t.Fatalf("steps %+v: want the SSL step to fail", steps)
		}
		last := steps[len(steps)-1]
		if !strings.Contains(last.Detail, "lanyard-agent masters trust") || !strings.Contains(last.Fix, "no password was sent") {
			t.Errorf("the SSL step says %+v", last)
		}
		impostor.nextRefusal(t, 5*time.Second) // it saw the dialer hang up after TLS
	}
	select {
	case name := <-admitted:
		t.Fatalf("the impostor received a hello for %s", name)
	default:
	}
}

// The name lookup says what a name resolved to in words, never as a Go
// list ("localhost is [127.0.0.1]"), and leaves an IP address alone.
func TestDiagnoseSaysWhatANameResolvedTo(t *testing.T) {
	for _, c := range []struct{ host, want string }{
		{"localhost", "the name localhost resolves to "},
		{"127.0.0.1", "127.0.0.1 is an IP address; nothing to look up"},
	} {
		var got Step
		if !lookUp(context.Background(), c.host, Options{HandshakeTimeout: 5 * time.Second}, func(s Step) { got = s }) {
			t.Fatalf("%s: %+v", c.host, got)
		}
		if !strings.HasPrefix(got.Detail, c.want) || strings.ContainsAny(got.Detail, "[]") {
			t.Errorf("%s: %q, want it to start %q", c.host, got.Detail, c.want)
		}
	}
}
