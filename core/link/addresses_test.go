package link

import (
	"context"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lanyard/lanyard/core/wire"
	"github.com/lanyard/lanyard/core/wire/pb"
	"github.com/lanyard/lanyard/internal/freeport"
)

// closedAddr is a loopback address where nothing listens.
func closedAddr(t *testing.T) string { return freeport.Closed(t) }

type failure struct {
	addr string
	code wire.Code
}

func TestDialAnyMovesToTheNextAddressAtOnce(t *testing.T) {
	srv, d, target := pair(t, variant{ssl: true, inbound: true}, "pw", "pw")
	closed, cut := closedAddr(t), freeport.StartHangUp(t)
	var failures []failure
	start := time.Now()
	l, via, err := d.DialAny(context.Background(), target, []string{closed, cut.Addr(), srv.addr()}, func(addr string, err error) {
		failures = append(failures, failure{addr, CodeOf(err)})
	})
	if err != nil {
		t.Fatalf("DialAny: %v", err)
	}
	defer closeLink(l)
	closeLink(srv.nextLink(t))
	if via != srv.addr() {
		t.Errorf("linked through %s, want %s", via, srv.addr())
	}
	want := []failure{{closed, wire.CodeDialFailed}, {cut.Addr(), wire.CodeProtocolError}}
	if len(failures) != 2 || failures[0] != want[0] || failures[1] != want[1] {
		t.Errorf("failures %v, want %v", failures, want)
	}
	if took := time.Since(start); took > DefaultHandshakeTimeout/2 {
		t.Errorf("three addresses took %s: something waited between them", took)
	}
}

func TestDialAnyStopsAtThePeersOwnAnswer(t *testing.T) {
	srv, d, target := pair(t, variant{inbound: true}, "right", "wrong")
	next := freeport.StartHangUp(t)
	_, via, err := d.DialAny(context.Background(), target, []string{srv.addr(), next.Addr()}, nil)
	wantCode(t, err, wire.CodeAuthFailed)
	if via != srv.addr() || next.Accepted() != 0 {
		t.Errorf("after a wrong password at %s it went on to %s (%d connections): every address is the same console",
			via, next.Addr(), next.Accepted())
	}
}

func TestDialAnyNamesEveryAddressWhenNoneWorks(t *testing.T) {
	d := &Dialer{Identity: newIdentity(t, pb.Role_ROLE_AGENT)}
	a, b := closedAddr(t), freeport.StartHangUp(t).Addr()
	_, _, err := d.DialAny(context.Background(), Target{Name: "FS01", KDF: testKDF}, []string{a, b}, nil)
	e := wantCode(t, err, wire.CodeProtocolError)
	want := "none of its addresses worked: " + a + ": connection refused (nothing listening there?); " +
		b + ": connected, but what came back was not Lanyard (altered or cut on the way?)"
	if e.Reason != want {
		t.Errorf("reason %q,\nwant   %q", e.Reason, want)
	}
	// One address keeps its own, longer words.
	_, _, err = d.DialAny(context.Background(), Target{Name: "FS01", KDF: testKDF}, []string{a}, nil)
	if e := wantCode(t, err, wire.CodeDialFailed); !strings.Contains(e.Reason, "nothing is listening on "+a) {
		t.Errorf("one address: %q", e.Reason)
	}
}

type timeoutError struct{}

func (timeoutError) Error() string   { return "i/o timeout" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }

func TestBriefWordsEachWayAnAddressFails(t *testing.T) {
	op := func(err error) error { return &net.OpError{Op: "dial", Net: "tcp", Err: err} }
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"a connection that times out", dialError("a:16888", 10*time.Second, op(timeoutError{})), "connection timed out (blocked on the way?)"},
		{"a deadline that passes", dialError("a:16888", 10*time.Second, os.ErrDeadlineExceeded), "connection timed out (blocked on the way?)"},
		{"a refusal", dialError("a:16888", 10*time.Second, op(os.NewSyscallError("connect", syscall.ECONNREFUSED))), "connection refused (nothing listening there?)"},
		{"no route", dialError("a:16888", 10*time.Second, op(os.NewSyscallError("connect", syscall.EHOSTUNREACH))), "no route to it"},
		{"an unknown name", dialError("a:16888", 10*time.Second, &net.DNSError{Name: "a", Err: "no such host", IsNotFound: true}), "name not found"},
		{"a handshake that stalls", &Error{Code: wire.CodeTimeout, Reason: "a did not send its hello in time"}, "connected, but no answer in time"},
		{"another certificate", &Error{Code: wire.CodeCertChanged, Reason: "long words"}, "another certificate answered there"},
		{"the peer's own answer", &Error{Code: wire.CodeAuthFailed, Reason: "wrong management password for FS01"}, "wrong management password for FS01"},
	} {
		if got := Brief(tc.err); got != tc.want {
			t.Errorf("%s: Brief = %q, want %q", tc.name, got, tc.want)
		}
	}
}
