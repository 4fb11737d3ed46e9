package freeport

import (
	"net"
	"net/netip"
	"testing"

	"go.uber.org/goleak"
)

func TestFreeAddrIsALoopbackPortOutsideTheEphemeralRangeThatCanBeBound(t *testing.T) {
	addr, err := Addr()
	if err != nil {
		t.Fatal(err)
	}
	ap, err := netip.ParseAddrPort(addr)
	if err != nil || !ap.Addr().IsLoopback() {
		t.Fatalf("Addr = %q (%v), want a loopback address", addr, err)
	}
	if int(ap.Port()) >= ephemeralLow() {
		t.Errorf("port %d is in the ephemeral range (from %d)", ap.Port(), ephemeralLow())
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("binding %s: %v", addr, err)
	}
	_ = ln.Close()
}

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
