package link

import (
	"bytes"
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lanyard/lanyard/core/wire"
	"github.com/lanyard/lanyard/core/wire/pb"
)

// A "smart" firewall that rewrites plain text it forwards (here, to lower
// case, the change such boxes make most) breaks a link without SSL. Both
// ends say so and name the fix, turning SSL on, instead of a generic
// "not Lanyard" or "closed before its hello". The whole path through such
// a box is tested in app's Internet test; these are its two halves.

func TestAListenerToldAnAlteredGreetingSaysSoAndTellsTheDialer(t *testing.T) {
	for _, ssl := range []bool{false, true} {
		t.Run("listener ssl="+sslWord(ssl), func(t *testing.T) {
			srv := startServer(t, newIdentity(t, pb.Role_ROLE_AGENT), Options{SSL: ssl},
				&agentAuth{name: "FS01", key: key(t, "FS01", "pw"), management: true}, nil)
			c := rawDial(t, srv.addr())
			hello := wire.AppendFrame(nil, wire.Frame{Kind: wire.KindHello, Payload: rawHello(t, nil)})
			_, _ = c.Write(append([]byte(strings.ToLower(wire.Magic)), hello...))

			r := srv.nextRefusal(t, 5*time.Second)
			if r.Err.Code != wire.CodeProtocolError || !errors.Is(r.Err, ErrAltered) ||
				!strings.Contains(r.Err.Reason, "altered on the way") || !strings.Contains(r.Err.Reason, "turn SSL on at both ends") {
				t.Errorf("listener: %v (code %s), want protocol_error saying the greeting was altered and to turn SSL on", r.Err, r.Err.Code)
			}
			cl := readClose(t, c)
			if cl.Code != string(wire.CodeProtocolError) || !strings.Contains(cl.Reason, "turn SSL on") {
				t.Errorf("the dialer was told %+v, want protocol_error saying to turn SSL on", cl)
			}
		})
	}
}

// alteredConsole answers every connection as a console's refusal looks
// after such a box lower-cased it, until the test ends.
func alteredConsole(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { _ = ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			var refusal bytes.Buffer
			writeClose(&writerConn{Conn: c, w: &refusal}, true, wire.CodeProtocolError, "altered", 0)
			_, _ = c.Write(bytes.ToLower(refusal.Bytes()[:len(wire.Magic)]))
			_, _ = c.Write(refusal.Bytes()[len(wire.Magic):])
			_ = c.Close()
		}
	}()
	return ln.Addr().String()
}

func TestADialerAnsweredWithAnAlteredGreetingSaysSo(t *testing.T) {
	addr := alteredConsole(t)
	k := key(t, "FS01", "pw")
	d := &Dialer{Identity: newIdentity(t, pb.Role_ROLE_AGENT)}
	_, err := d.Dial(context.Background(), Target{Address: addr, Name: "FS01", Key: k, KDF: testKDF})
	e := wantCode(t, err, wire.CodeProtocolError)
	if !errors.Is(err, ErrAltered) || !strings.Contains(e.Reason, "altered on the way") || !strings.Contains(e.Reason, "turn SSL on at both ends") {
		t.Errorf("dialer: %q, want it to say the answer was altered on the way and to turn SSL on", e.Reason)
	}
	if got := Brief(err); got != "altered on the way (turn SSL on at both ends)" {
		t.Errorf("Brief = %q", got)
	}
	if !IsAddressFailure(e.Code) {
		t.Error("an altered answer should send the dialer on to the next address: another port may take another path")
	}

	// diagnose stops at the hello and gives the same fix.
	steps, ok := diagnose(t, DiagnoseOptions{Address: addr, Identity: newIdentity(t, pb.Role_ROLE_AGENT)})
	if ok || failed(steps) != "hello" {
		t.Fatalf("diagnose: ok=%v, failed at %q: %+v", ok, failed(steps), steps)
	}
	if last := steps[len(steps)-1]; !strings.Contains(last.Fix, "turn SSL on at both ends") {
		t.Errorf("diagnose's fix is %q, want it to say to turn SSL on", last.Fix)
	}
}

// writerConn is a net.Conn whose writes go to w, to capture what
// writeClose sends.
type writerConn struct {
	net.Conn
	w *bytes.Buffer
}

func (c *writerConn) Write(p []byte) (int, error) { return c.w.Write(p) }
