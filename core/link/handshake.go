package link

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/lanyard/lanyard/core/auth"
	"github.com/lanyard/lanyard/core/wire"
	"github.com/lanyard/lanyard/core/wire/pb"
)

// CodeDialFailed is the event of a dial that never reached a handshake. It
// never travels on the wire.
const CodeDialFailed wire.Code = "dial_failed"

// opposite is the role a peer of role r must have.
func opposite(r pb.Role) pb.Role {
	if r == pb.Role_ROLE_MASTER {
		return pb.Role_ROLE_AGENT
	}
	return pb.Role_ROLE_MASTER
}

func roleName(r pb.Role) string {
	switch r {
	case pb.Role_ROLE_MASTER:
		return "console"
	case pb.Role_ROLE_AGENT:
		return "agent"
	}
	return "unknown peer"
}

// aRole is the role with its article, for sentences.
func aRole(r pb.Role) string {
	if r == pb.Role_ROLE_AGENT {
		return "an agent"
	}
	return "a " + roleName(r)
}

func sslWord(on bool) string {
	if on {
		return "on"
	}
	return "off"
}

// newHello builds this side's hello for a link about the slave called name.
func newHello(id *Identity, name string, kdf auth.KDFParams, ssl bool) *pb.Hello {
	return &pb.Hello{
		Magic:      wire.HelloMagic,
		VersionMin: wire.VersionMin,
		VersionMax: wire.VersionMax,
		Role:       id.Role,
		Name:       name,
		InstallId:  id.InstallID[:],
		BootId:     id.BootID[:],
		Nonce:      auth.NewNonce(),
		Ssl:        ssl,
		Kdf:        kdf.PB(),
		Software:   id.Software,
	}
}

func marshalFrame(kind wire.Kind, msg proto.Message) ([]byte, []byte, error) {
	payload, err := proto.Marshal(msg)
	if err != nil {
		return nil, nil, err
	}
	return payload, wire.AppendFrame(nil, wire.Frame{Kind: kind, Payload: payload}), nil
}

// writeClose tells a peer in the handshake why it is turned away. When
// preamble is set the magic goes first, because the peer has not yet read
// ours.
func writeClose(conn net.Conn, preamble bool, code wire.Code, reason string, retryAfter time.Duration) {
	_, frame, _ := marshalFrame(wire.KindClose, &pb.Close{Code: string(code), Reason: reason,
		RetryAfterMs: uint32(retryAfter / time.Millisecond)})
	if preamble {
		frame = append([]byte(wire.Magic), frame...)
	}
	_ = conn.SetWriteDeadline(time.Now().Add(time.Second))
	_, _ = conn.Write(frame)
}

// readMagic reads the peer's preamble.
func readMagic(conn net.Conn) ([]byte, error) {
	var m [len(wire.Magic)]byte
	n, err := io.ReadFull(conn, m[:])
	return m[:n], err
}

// handshakeReadError explains a failed read during the handshake.
func handshakeReadError(err error, remote, what string) *Error {
	var ne net.Error
	switch {
	case errors.As(err, &ne) && ne.Timeout():
		return &Error{Code: wire.CodeTimeout, Err: err,
			Reason: fmt.Sprintf("%s did not send its %s in time (it may not be a Lanyard peer, or it is overloaded)", remote, what)}
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.ECONNRESET):
		return &Error{Code: wire.CodeProtocolError, Err: err,
			Reason: fmt.Sprintf("%s closed the connection before sending its %s (it refused this address, is overloaded, or is not a Lanyard peer)", remote, what)}
	case errors.Is(err, wire.ErrFrameTooLarge), errors.Is(err, wire.ErrMalformedFrame):
		return &Error{Code: wire.CodeProtocolError, Err: err,
			Reason: fmt.Sprintf("%s sent a malformed or oversized %s", remote, what)}
	}
	return &Error{Code: wire.CodeProtocolError, Err: err, Reason: fmt.Sprintf("reading the %s from %s failed: %v", what, remote, err)}
}

// dialError explains why a TCP connection could not be made, with the fix.
func dialError(addr string, timeout time.Duration, err error) *Error {
	var dnsErr *net.DNSError
	var ne net.Error
	reason := fmt.Sprintf("cannot connect to %s: %v", addr, err)
	switch {
	case errors.As(err, &dnsErr):
		reason = fmt.Sprintf("cannot find host %q: check the spelling, or use its IP address (static IPs are best)", dnsErr.Name)
	case errors.Is(err, syscall.ECONNREFUSED):
		reason = fmt.Sprintf("nothing is listening on %s: check that the program there is running and set to listen on this port", addr)
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		reason = fmt.Sprintf("no route to %s: check the address and the network; test on the LAN first", addr)
	case errors.As(err, &ne) && ne.Timeout(), errors.Is(err, os.ErrDeadlineExceeded):
		reason = fmt.Sprintf("no answer from %s within %s: a firewall may be dropping the connection, the ISP may block the port, or the address is wrong", addr, timeout)
	}
	return &Error{Code: CodeDialFailed, Reason: reason, Err: err}
}

// tlsVersionError recognises a peer that only speaks older TLS.
func isTLSVersionError(err error) bool {
	var ae tls.AlertError
	if errors.As(err, &ae) && ae == 70 { // protocol_version
		return true
	}
	return err != nil && (strings.Contains(err.Error(), "protocol version not supported") ||
		strings.Contains(err.Error(), "unsupported versions"))
}
