package link

import (
	"context"
	"errors"
	"net"
	"os"
	"strings"
	"syscall"

	"github.com/lanyard/lanyard/core/wire"
)

// One peer at several addresses: a console reached by its name at two
// forwarded ports (an ISP may block one), or at a LAN address and a public
// one. A round tries them in order and moves to the next at once when an
// address fails; backing off between rounds is the Redialer's job.

// IsAddressFailure reports whether a failure with code c belongs to the
// address rather than to the peer: nothing could be reached there, the
// connection timed out or was cut or altered on the way (a firewall or
// proxy in the path), or something else answered there (another program,
// another certificate, another role). Another address may take another
// way. The peer's own answers (a wrong password, SSL off there, a
// refusal) would be the same at every address, and trying on would only
// count more failures against this side.
func IsAddressFailure(c wire.Code) bool {
	switch c {
	case wire.CodeDialFailed, wire.CodeTimeout, wire.CodeProtocolError, wire.CodeCertChanged, wire.CodeWrongRole,
		wire.CodeNotLanyard:
		return true
	}
	return false
}

// DialAny dials a peer at each of addrs in turn (t.Address is not used)
// and returns the first link with the address it came through. After a
// failure of the address (IsAddressFailure) it moves to the next at once;
// any other failure ends the round with that error. When every address
// failed, the error is the last one's, and for several addresses its
// reason names each one's failure in a few words. failed, when not nil,
// is told of each address's failure as it happens.
func (d *Dialer) DialAny(ctx context.Context, t Target, addrs []string, failed func(addr string, err error)) (*Link, string, error) {
	if len(addrs) == 0 {
		return nil, "", &Error{Code: wire.CodeDialFailed, Reason: "no address to dial"}
	}
	var why []string
	var last error
	for _, addr := range addrs {
		t.Address = addr
		l, err := d.Dial(ctx, t)
		if err == nil {
			return l, addr, nil
		}
		if failed != nil {
			failed(addr, err)
		}
		if ctx.Err() != nil || !IsAddressFailure(CodeOf(err)) {
			return nil, addr, err
		}
		last = err
		why = append(why, addr+": "+Brief(err))
	}
	if len(addrs) == 1 {
		return nil, addrs[0], last
	}
	code := CodeOf(last)
	if code == "" {
		code = wire.CodeDialFailed
	}
	return nil, "", &Error{Code: code, Err: last,
		Reason: "none of its addresses worked: " + strings.Join(why, "; ")}
}

// Brief says in a few words why an address failed, for a list of several
// ("connection timed out (blocked on the way?)"); the error's Reason has
// the whole story and the fix.
func Brief(err error) string {
	var e *Error
	if !errors.As(err, &e) {
		return err.Error()
	}
	var dnsErr *net.DNSError
	var ne net.Error
	switch {
	case errors.As(e.Err, &dnsErr) && dnsErr.IsNotFound:
		return "name not found"
	case errors.As(e.Err, &dnsErr):
		return "name lookup failed"
	case errors.Is(e.Err, syscall.ECONNREFUSED):
		return "connection refused (nothing listening there?)"
	case errors.Is(e.Err, syscall.EHOSTUNREACH), errors.Is(e.Err, syscall.ENETUNREACH):
		return "no route to it"
	case e.Code == wire.CodeDialFailed && (errors.As(e.Err, &ne) && ne.Timeout() || errors.Is(e.Err, os.ErrDeadlineExceeded)):
		return "connection timed out (blocked on the way?)"
	case e.Code == wire.CodeTimeout:
		return "connected, but no answer in time"
	case errors.Is(e.Err, ErrAltered):
		return "altered on the way (turn SSL on at both ends)"
	case e.Code == wire.CodeNotLanyard:
		return "another program answers there, not Lanyard"
	case e.Code == wire.CodeProtocolError:
		return "connected, but what came back was not Lanyard (altered or cut on the way?)"
	case e.Code == wire.CodeCertChanged:
		return "another certificate answered there"
	case e.Code == wire.CodeWrongRole:
		return "the wrong kind of Lanyard program answered there"
	}
	if e.Reason != "" {
		return e.Reason
	}
	return e.Error()
}
