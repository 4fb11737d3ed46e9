package freeport

import (
	"net"
	"net/netip"
	"testing"
	"time"

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

func TestAHangUpAddressAcceptsAndClosesEveryConnection(t *testing.T) {
	h := StartHangUp(t)
	for i := range 3 {
		c, err := net.Dial("tcp", h.Addr())
		if err != nil {
			t.Fatal(err)
		}
		select {
		case <-h.Tries():
		case <-time.After(10 * time.Second):
			t.Fatalf("connection %d was not hung up on within 10 s", i)
		}
		if n, err := c.Read(make([]byte, 1)); n != 0 || err == nil {
			t.Errorf("connection %d read %d bytes, %v; want it closed", i, n, err)
		}
		_ = c.Close()
	}
	if n := h.Accepted(); n != 3 {
		t.Errorf("Accepted() = %d, want 3", n)
	}
}
