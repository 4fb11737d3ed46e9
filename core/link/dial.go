package link

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/lanyard/lanyard/core/auth"
	"github.com/lanyard/lanyard/core/wire"
	"github.com/lanyard/lanyard/core/wire/pb"
)

// Dialer makes outgoing links: the console dialing an agent, or an agent
// dialing a console.
type Dialer struct {
	Identity *Identity
	Options  Options
}

// Target is what the dialer needs to know about the peer it dials.
type Target struct {
	Address    string // host:port
	Name       string // the slave's name: the KDF salt, checked against the peer's hello
	Key        auth.Key
	KDF        auth.KDFParams
	PinnedCert string // the peer certificate's fingerprint; "" trusts on first use
}

// Dial connects, runs the handshake and returns an authenticated link that
// is not yet started. Every failure is an *Error whose Reason a person can
// act on.
func (d *Dialer) Dial(ctx context.Context, t Target) (*Link, error) {
	o := d.Options.withDefaults()
	ctx, cancel := context.WithTimeout(ctx, o.HandshakeTimeout)
	defer cancel()
	nd := net.Dialer{KeepAlive: o.Heartbeat}
	raw, err := nd.DialContext(ctx, "tcp", t.Address)
	if err != nil {
		return nil, dialError(t.Address, o.HandshakeTimeout, err)
	}
	l, err := d.handshake(ctx, raw, t, o)
	if err != nil {
		_ = raw.Close()
		return nil, err
	}
	return l, nil
}

func (d *Dialer) handshake(ctx context.Context, raw net.Conn, t Target, o Options) (*Link, error) {
	if dl, ok := ctx.Deadline(); ok {
		_ = raw.SetDeadline(dl)
	}
	// Cancelling ctx aborts any read or write in progress.
	stop := context.AfterFunc(ctx, func() { _ = raw.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	remote := t.Address
	conn := raw
	var fingerprint string
	var exporter []byte
	if o.SSL {
		tc := tls.Client(raw, d.Identity.clientTLS())
		if err := tc.HandshakeContext(ctx); err != nil {
			return nil, d.tlsError(err, remote)
		}
		cs := tc.ConnectionState()
		fingerprint = Fingerprint(cs.PeerCertificates[0].Raw)
		// The pin is checked before anything about the password is sent,
		// so an impostor at a known address learns nothing to attack.
		if t.PinnedCert != "" && fingerprint != t.PinnedCert {
			return nil, &Error{Code: wire.CodeCertChanged, Reason: fmt.Sprintf(
				"the certificate of %s changed (pinned %s, now %s): if it was reinstalled, trust the new certificate; otherwise something is impersonating it",
				remote, ShortFingerprint(t.PinnedCert), ShortFingerprint(fingerprint))}
		}
		var err error
		if exporter, err = cs.ExportKeyingMaterial(auth.TLSExporterLabel, nil, 32); err != nil {
			return nil, &Error{Code: wire.CodeProtocolError, Reason: "TLS exporter failed", Err: err}
		}
		conn = tc
	}

	hello := newHello(d.Identity, t.Name, t.KDF, o.SSL)
	myHello, frame, err := marshalFrame(wire.KindHello, hello)
	if err != nil {
		return nil, err
	}
	if _, err := conn.Write(append([]byte(wire.Magic), frame...)); err != nil {
		return nil, handshakeReadError(err, remote, "answer")
	}

	if m, err := readMagic(conn); err != nil {
		return nil, handshakeReadError(err, remote, "hello")
	} else if string(m) != wire.Magic {
		return nil, &Error{Code: wire.CodeProtocolError, Reason: fmt.Sprintf(
			"%s is not a Lanyard %s: it answered %q; check the address and port", remote, roleName(opposite(d.Identity.Role)), m)}
	}
	f, err := wire.ReadFrame(conn, wire.MaxPreAuthFrame)
	if err != nil {
		return nil, handshakeReadError(err, remote, "hello")
	}
	if f.Kind == wire.KindClose {
		return nil, d.refused(f.Payload, remote, t.Name, o.SSL)
	}
	if f.Kind != wire.KindHello {
		return nil, &Error{Code: wire.CodeProtocolError, Reason: fmt.Sprintf("%s sent a %s instead of its hello", remote, f.Kind)}
	}
	peer, err := auth.ParseHello(f.Payload)
	if err != nil {
		return nil, &Error{Code: wire.CodeProtocolError, Reason: fmt.Sprintf("%s sent an invalid hello: %v", remote, err), Err: err}
	}
	version, ok := wire.Negotiate(wire.Local, wire.VersionRange{Min: peer.VersionMin, Max: peer.VersionMax})
	if !ok {
		return nil, &Error{Code: wire.CodeVersionUnsupported, Reason: versionReason(d.Identity.Role, wire.VersionRange{Min: peer.VersionMin, Max: peer.VersionMax})}
	}
	if peer.Role != opposite(d.Identity.Role) {
		return nil, &Error{Code: wire.CodeWrongRole, Reason: fmt.Sprintf("%s is %s, not %s: check the address", remote, aRole(peer.Role), aRole(opposite(d.Identity.Role)))}
	}
	if !strings.EqualFold(peer.Name, t.Name) {
		return nil, &Error{Code: wire.CodeNameMismatch, Reason: fmt.Sprintf(
			"the agent at %s is named %q, not %q: fix the name in the slave's entry (the name is part of the password check)", remote, peer.Name, t.Name)}
	}
	if peer.Ssl != o.SSL {
		return nil, sslMismatch(o.SSL, remote)
	}
	if peerKDF := auth.KDFFromPB(peer.Kdf); peerKDF != t.KDF {
		return nil, &Error{Code: wire.CodeAuthFailed, Reason: fmt.Sprintf(
			"%s derives its key with %s, this side with %s: set the password again on the side with the older setting", remote, peerKDF, t.KDF)}
	}

	transcript := auth.Transcript(myHello, f.Payload, exporter)
	_, proofFrame, err := marshalFrame(wire.KindProof, &pb.Proof{Mac: auth.ProofMAC(t.Key, d.Identity.Role, transcript)})
	if err != nil {
		return nil, err
	}
	if _, err := conn.Write(proofFrame); err != nil {
		return nil, handshakeReadError(err, remote, "answer to our proof")
	}
	f, err = wire.ReadFrame(conn, wire.MaxPreAuthFrame)
	if err != nil {
		return nil, handshakeReadError(err, remote, "answer to our proof")
	}
	if f.Kind == wire.KindClose {
		return nil, d.refused(f.Payload, remote, t.Name, o.SSL)
	}
	if f.Kind != wire.KindWelcome {
		return nil, &Error{Code: wire.CodeProtocolError, Reason: fmt.Sprintf("%s sent a %s instead of a welcome", remote, f.Kind)}
	}
	welcome, err := auth.ParseWelcome(f.Payload)
	if err != nil {
		return nil, &Error{Code: wire.CodeProtocolError, Reason: fmt.Sprintf("%s sent an invalid welcome: %v", remote, err), Err: err}
	}
	if !auth.VerifyProof(t.Key, peer.Role, transcript, welcome.Mac) {
		writeClose(conn, false, wire.CodeAuthFailed, "authentication failed", 0)
		return nil, &Error{Code: wire.CodeAuthFailed, Reason: fmt.Sprintf(
			"%s could not prove it knows the password for %s: it is not the %s you set up, or its password changed", remote, t.Name, roleName(peer.Role))}
	}

	heartbeat, deadAfter := o.Heartbeat, o.DeadAfter
	if welcome.HeartbeatMs > 0 {
		heartbeat = time.Duration(welcome.HeartbeatMs) * time.Millisecond
	}
	if welcome.DeadAfterMs > 0 {
		deadAfter = time.Duration(welcome.DeadAfterMs) * time.Millisecond
	}
	_ = raw.SetDeadline(time.Time{})
	return newLink(conn, Peer{
		Name:        peer.Name,
		Role:        peer.Role,
		InstallID:   hexID(peer.InstallId),
		BootID:      hexID(peer.BootId),
		Software:    peer.Software,
		Remote:      raw.RemoteAddr().String(),
		Dialed:      true,
		SSL:         o.SSL,
		Fingerprint: fingerprint,
		Version:     version,
	}, heartbeat, deadAfter), nil
}

// tlsError explains a failed TLS handshake; the SSL mismatch case is
// recognised from the listener's plain magic in the record header.
func (d *Dialer) tlsError(err error, remote string) *Error {
	var rhe tls.RecordHeaderError
	if errors.As(err, &rhe) && string(rhe.RecordHeader[:len(wire.Magic)]) == wire.Magic {
		return sslMismatch(true, remote)
	}
	if isTLSVersionError(err) {
		return &Error{Code: wire.CodeProtocolError, Err: err, Reason: fmt.Sprintf("%s does not speak TLS 1.3: upgrade it", remote)}
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return &Error{Code: wire.CodeTimeout, Err: err, Reason: fmt.Sprintf("%s did not complete the TLS handshake in time", remote)}
	}
	return &Error{Code: wire.CodeProtocolError, Err: err, Reason: fmt.Sprintf("TLS handshake with %s failed: %v", remote, err)}
}

// sslMismatch is the plain-words report of SSL on at one end only.
func sslMismatch(localSSL bool, remote string) *Error {
	return &Error{Code: wire.CodeSSLMismatch, Reason: fmt.Sprintf(
		"SSL is %s here but %s at %s: turn SSL %s at both ends (the setting must match on the console and the agent)",
		sslWord(localSSL), sslWord(!localSSL), remote, sslWord(localSSL))}
}

func versionReason(local pb.Role, peer wire.VersionRange) string {
	return fmt.Sprintf("this %s speaks protocol %s, the peer speaks %s: upgrade the older one", roleName(local), wire.Local, peer)
}

// refused turns the acceptor's close frame into this side's plain-words
// error. The acceptor keeps its reasons generic; the fix is known here.
func (d *Dialer) refused(payload []byte, remote, name string, ssl bool) *Error {
	var c pb.Close
	if err := proto.Unmarshal(payload, &c); err != nil {
		return &Error{Code: wire.CodeProtocolError, Remote: true, Reason: remote + " sent a malformed close frame", Err: err}
	}
	e := &Error{Code: wire.Code(c.Code), Remote: true, Reason: c.Reason,
		RetryAfter: time.Duration(c.RetryAfterMs) * time.Millisecond}
	switch e.Code {
	case wire.CodeSSLMismatch:
		e.Reason = sslMismatch(ssl, remote).Reason
	case wire.CodeAuthFailed:
		e.Reason = fmt.Sprintf("wrong management password for %s: %s refused it; enter the same password on the console and on the agent", name, remote)
	case wire.CodeUnknownSlave:
		e.Reason = fmt.Sprintf("the console at %s does not know a slave named %s: %s", remote, name, c.Reason)
	case wire.CodeManagementDisabled:
		e.Reason = fmt.Sprintf("%s does not accept remote management (on that server: lanyard-agent set management on)", remote)
	case wire.CodeRateLimited:
		e.Reason = fmt.Sprintf("%s is refusing this address after too many failed attempts; retrying in %s", remote, e.RetryAfter.Round(time.Second))
	case wire.CodeShuttingDown:
		e.Reason = remote + " is shutting down"
	default:
		if e.Reason == "" {
			e.Reason = remote + " refused the connection"
		} else {
			e.Reason = remote + " refused: " + e.Reason
		}
	}
	return e
}
