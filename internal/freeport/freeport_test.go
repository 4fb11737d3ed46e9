package freeport

import (
	"io"
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

func TestAnAddressWhereAnotherProgramAnswersSaysWhatItWouldThenHangsUp(t *testing.T) {
	for _, tc := range []struct {
		name  string
		start func(testing.TB, string) *HangUp
		send  string
	}{
		{"a greeting comes before anything is sent", StartGreeting, ""},
		{"a reply comes after the first bytes", StartReplying, "GET / HTTP/1.1\r\n\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := tc.start(t, "HELLO THERE\r\n")
			c, err := net.Dial("tcp", h.Addr())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(10 * time.Second))
			if tc.send != "" {
				if _, err := c.Write([]byte(tc.send)); err != nil {
					t.Fatal(err)
				}
			}
			got, err := io.ReadAll(c)
			if string(got) != "HELLO THERE\r\n" || err != nil {
				t.Errorf("read %q, %v; want the answer, then the end", got, err)
			}
			_ = c.Close()
			select {
			case <-h.Tries():
			case <-time.After(10 * time.Second):
				t.Fatal("the connection was not closed within 10 s of the dialer's hanging up")
			}
		})
	}
}
