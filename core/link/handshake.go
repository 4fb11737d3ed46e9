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

// The handshake, DESIGN §2, in the phases both sides share. Each side's
// function (Listener.handshake, Dialer.handshake) reads as the list of its
// phases; this file holds the phases themselves:
//
//	sniff      acceptor only: TLS, Lanyard's plain magic, or something else (listen.go)
//	TLS        tlsEstablished: the peer's fingerprint and the exporter
//	hellos     sendHello, readHello, then checkPeer and checkKDF on both sides
//	prove      the dialer's proof over the transcript (prove)
//	verify     the acceptor checks it before proving anything (verifyProof)
//	welcome    the acceptor's own proof and the link's timing (sendWelcome, readWelcome)
//
// With SSL the dialer proves early: its hello ends with a proof over itself
// and the TLS exporter (helloFrame), which the acceptor checks before its
// own hello (takeEarlyProof); that hello says so and its welcome follows in
// the same write, and the proof's round trip is saved. A peer from before
// early proofs ignores the field or never sends it, and the handshake goes
// on as above.

// Caps on a peer's retry_after, DESIGN §2. Before authentication anyone at
// the address can send one, so it is held to the redial backoff's maximum;
// an authenticated peer may ask for longer, but not for ever.
const (
	MaxRetryAfterBeforeAuth = RedialMax
	MaxRetryAfterLinked     = 10 * time.Minute
)

// shake is one handshake in progress, on either side.
type shake struct {
	raw    net.Conn
	conn   net.Conn // raw, or TLS over it
	remote string   // the peer's address, for messages
	id     *Identity
	ssl    bool
	dialed bool // this side dialed

	fingerprint string    // the peer certificate's, with SSL
	exporter    []byte    // the TLS exporter, with SSL
	resumed     bool      // the TLS session was resumed (resume.go)
	held        *heldConn // with SSL: what TLS wrote last waits for our hello (conn.go)

	mine, theirs []byte        // both hellos as sent, for the transcript
	peer         *pb.Hello     // the peer's hello, validated
	helloSent    bool          // our magic and hello went out
	helloAt      time.Time     // when (just before it was written)
	rtt          time.Duration // from then to the peer's answer: the link's round trip until a ping measures it
	slot         chan struct{} // the listener's slots, while this handshake holds one (admit.go)
	slotAt       time.Time     // when it took the slot
	deadline     time.Time     // the acceptor's: the whole handshake's end
	helloTimeout time.Duration // the acceptor's: for the peer's hello, TLS included, once it has a slot
	load         *loadMeter    // told how long the slot was held
	version      uint32
	transcript   []byte
	nextKey      bool // authenticated under the next key (nextkey.go)
	early        bool // the dialer's early proof was sent (dialer) or checked (acceptor)
}

// who names the peer for a message: its address, and the name its hello
// claims once one was read.
func (s *shake) who() string {
	if s.peer == nil {
		return s.remote
	}
	return fmt.Sprintf("%s (%s)", s.remote, s.peer.Name)
}

// tlsEstablished records what the TLS handshake gives authentication.
func (s *shake) tlsEstablished(tc *tls.Conn) *Error {
	cs := tc.ConnectionState()
	if len(cs.PeerCertificates) == 0 {
		return &Error{Code: wire.CodeProtocolError, Reason: s.remote + " presented no certificate"}
	}
	s.resumed = cs.DidResume
	exporter, err := cs.ExportKeyingMaterial(auth.TLSExporterLabel, nil, 32)
	if err != nil {
		return &Error{Code: wire.CodeProtocolError, Reason: "TLS exporter failed", Err: err}
	}
	s.fingerprint = Fingerprint(cs.PeerCertificates[0].Raw)
	s.exporter = exporter
	s.conn = tc
	return nil
}

// helloFrame is our magic and hello for the slave called name as they go
// on the wire; it keeps the hello for the transcript. With early, the
// dialer's key with SSL, the hello ends with the early proof; an acceptor
// that checked one says so in its hello.
func (s *shake) helloFrame(name string, kdf auth.KDFParams, early *auth.Key) ([]byte, error) {
	h := newHello(s.id, name, kdf, s.ssl)
	h.EarlyProofTaken = s.early && !s.dialed
	payload, err := proto.Marshal(h)
	if err != nil {
		return nil, err
	}
	if early != nil {
		mac := auth.ProofMAC(*early, s.id.Role, auth.EarlyTranscript(payload, s.exporter))
		payload, s.early = auth.AppendEarlyProof(payload, mac), true
	}
	s.mine = payload
	return wire.AppendFrame([]byte(wire.Magic), wire.Frame{Kind: wire.KindHello, Payload: payload}), nil
}

// sendHello writes our magic and hello for the slave called name; see
// helloFrame for early.
func (s *shake) sendHello(name string, kdf auth.KDFParams, early *auth.Key) error {
	frame, err := s.helloFrame(name, kdf, early)
	if err != nil {
		return err
	}
	return s.writeHello(frame)
}

// writeHello writes our magic and hello, and what may follow them at once.
func (s *shake) writeHello(b []byte) error {
	at := time.Now() // before the write: a round trip is never read short
	if _, err := s.conn.Write(b); err != nil {
		return handshakeReadError(err, s.remote, "hello")
	}
	if s.held != nil {
		if err := s.held.release(); err != nil {
			return handshakeReadError(err, s.remote, "hello")
		}
	}
	s.helloSent, s.helloAt = true, at
	return nil
}

// letGo sends what TLS wrote that is still held (a refusal, an alert)
// before the connection closes, and stops holding.
func (s *shake) letGo() {
	if s.held != nil {
		_ = s.held.release()
	}
}

// read reads one pre-authentication frame.
func (s *shake) read(what string) (wire.Frame, *Error) {
	f, err := wire.ReadFrame(s.conn, wire.MaxPreAuthFrame)
	if err != nil {
		return f, handshakeReadError(err, s.remote, what)
	}
	return f, nil
}

// takeHello validates the payload of the peer's hello frame and keeps it.
func (s *shake) takeHello(payload []byte) *Error {
	h, err := auth.ParseHello(payload)
	if err != nil {
		return &Error{Code: wire.CodeProtocolError, Err: err, Reason: fmt.Sprintf("%s sent an invalid hello: %v", s.remote, err)}
	}
	s.peer, s.theirs = h, payload
	return nil
}

// checkPeer is the one check of a peer's hello both sides make: a common
// protocol version, the opposite role and the same SSL setting. Reason is
// for this side; PeerReason is what the peer is told.
func (s *shake) checkPeer() *Error {
	local := s.id.Role
	peerRange := wire.VersionRange{Min: s.peer.VersionMin, Max: s.peer.VersionMax}
	version, ok := wire.Negotiate(wire.Local, peerRange)
	switch {
	case !ok:
		reason := fmt.Sprintf("this %s speaks protocol %s, the peer speaks %s: upgrade the older one", roleName(local), wire.Local, peerRange)
		return &Error{Code: wire.CodeVersionUnsupported, Reason: s.who() + ": " + reason, PeerReason: reason}
	case s.peer.Role != opposite(local):
		return &Error{Code: wire.CodeWrongRole,
			Reason:     fmt.Sprintf("%s is %s, not %s: check the address", s.who(), aRole(s.peer.Role), aRole(opposite(local))),
			PeerReason: fmt.Sprintf("this is %s; %s cannot link to it", aRole(local), aRole(s.peer.Role))}
	case s.peer.Ssl != s.ssl:
		return sslMismatch(s.ssl, s.who(), "")
	}
	s.version = version
	return nil
}

// checkKDF refuses a peer that derives its key with other parameters: the
// proofs could never match, and "wrong password" would mislead.
func (s *shake) checkKDF(kdf auth.KDFParams) *Error {
	if peerKDF := auth.KDFFromPB(s.peer.Kdf); peerKDF != kdf {
		return &Error{Code: wire.CodeAuthFailed,
			Reason: fmt.Sprintf("%s derives its key with %s, this side with %s: set the password again on the side with the older setting",
				s.who(), peerKDF, kdf),
			PeerReason: fmt.Sprintf("key parameters differ: this side uses %s", kdf)}
	}
	return nil
}

// answered notes the round trip from our hello to the peer's answer to
// it, just read: the dialer's to the acceptor's hello, the acceptor's to
// the proof.
func (s *shake) answered() { s.rtt = time.Since(s.helloAt) }

// makeTranscript binds both hellos, dialer's first, and the TLS session.
func (s *shake) makeTranscript() {
	if s.dialed {
		s.transcript = auth.Transcript(s.mine, s.theirs, s.exporter)
	} else {
		s.transcript = auth.Transcript(s.theirs, s.mine, s.exporter)
	}
}

// prove sends the dialer's proof.
func (s *shake) prove(key auth.Key) error {
	s.makeTranscript()
	_, frame, err := marshalFrame(wire.KindProof, &pb.Proof{Mac: auth.ProofMAC(key, s.id.Role, s.transcript)})
	if err != nil {
		return err
	}
	if _, err := s.conn.Write(frame); err != nil {
		return handshakeReadError(err, s.remote, "answer to our proof")
	}
	return nil
}

// verifyProof reads the dialer's proof and checks it in constant time
// under each of keys, all of them, and returns the one it matched. A
// wrong or malformed proof is auth_failed, to be told to the dialer; a
// close frame is the dialer giving up, and gaveUp says so.
func (s *shake) verifyProof(keys []candidate) (matched candidate, e *Error, gaveUp bool) {
	f, e := s.read("proof")
	if e != nil {
		return candidate{}, e, false
	}
	if f.Kind == wire.KindClose {
		// The dialer found something wrong with our hello (name, version)
		// and said so; its reason is for its user, ours is the same fact.
		e := remoteClose(f.Payload, s.remote, MaxRetryAfterBeforeAuth)
		e.Reason = fmt.Sprintf("%s gave up: %s", s.who(), e.Reason)
		return candidate{}, e, true
	}
	var mac []byte
	var err error
	if f.Kind == wire.KindProof {
		mac, err = auth.ParseProof(f.Payload)
	} else {
		err = fmt.Errorf("a %s instead of its proof", f.Kind)
	}
	s.makeTranscript()
	if err != nil {
		return candidate{}, &Error{Code: wire.CodeAuthFailed, Err: err, Reason: fmt.Sprintf("%s sent an invalid proof: %v", s.who(), err)}, false
	}
	matched, found := matchProof(keys, s.peer.Role, s.transcript, mac)
	if !found {
		return candidate{}, wrongPassword(s), false
	}
	return matched, nil, false
}

// takeEarlyProof checks the dialer's early proof, when SSL is on and its
// hello ends with one; ok says there was one, and e is auth_failed when
// it matches none of keys. Without one the dialer proves after our hello.
func (s *shake) takeEarlyProof(keys []candidate, o Options) (matched candidate, ok bool, e *Error) {
	if !s.ssl || o.earlyProofOff {
		return candidate{}, false, nil
	}
	signed, mac, ok := auth.SplitEarlyProof(s.theirs, s.peer)
	if !ok {
		return candidate{}, false, nil
	}
	matched, found := matchProof(keys, s.peer.Role, auth.EarlyTranscript(signed, s.exporter), mac)
	if !found {
		return candidate{}, true, wrongPassword(s)
	}
	s.early = true
	return matched, true, nil
}

// matchProof checks mac, the proof of a peer of the given role over
// transcript, in constant time under each of keys, all of them, and
// returns the one it matched.
func matchProof(keys []candidate, role pb.Role, transcript, mac []byte) (matched candidate, found bool) {
	for _, k := range keys {
		if auth.VerifyProof(k.key, role, transcript, mac) && !found {
			matched, found = k, true
		}
	}
	return matched, found
}

// wrongPassword is the acceptor's refusal of a proof that matched no key.
func wrongPassword(s *shake) *Error {
	return &Error{Code: wire.CodeAuthFailed, Reason: fmt.Sprintf(
		"wrong management password from %s for %s: the password entered there does not match the one set here",
		s.remote, s.peer.Name)}
}

// welcomeFrame is the acceptor's own proof and the link's timing.
func (s *shake) welcomeFrame(key auth.Key, o Options) ([]byte, error) {
	_, frame, err := marshalFrame(wire.KindWelcome, &pb.Welcome{
		Mac:         auth.ProofMAC(key, s.id.Role, s.transcript),
		Version:     s.version,
		HeartbeatMs: uint32(o.Heartbeat / time.Millisecond),
		DeadAfterMs: uint32(o.DeadAfter / time.Millisecond),
		MaxFrame:    wire.MaxFrame,
	})
	return frame, err
}

// sendWelcome writes the welcome after the dialer's proof.
func (s *shake) sendWelcome(key auth.Key, o Options) error {
	frame, err := s.welcomeFrame(key, o)
	if err != nil {
		return err
	}
	if _, err := s.conn.Write(frame); err != nil {
		return handshakeReadError(err, s.remote, "welcome")
	}
	return nil
}

// sendHelloAndWelcome answers an early proof: our hello, saying it was
// taken, and the welcome, in one write.
func (s *shake) sendHelloAndWelcome(name string, kdf auth.KDFParams, key auth.Key, o Options) error {
	hello, err := s.helloFrame(name, kdf, nil)
	if err != nil {
		return err
	}
	s.makeTranscript()
	welcome, err := s.welcomeFrame(key, o)
	if err != nil {
		return err
	}
	return s.writeHello(append(hello, welcome...))
}

// readWelcome reads the acceptor's welcome and checks its proof. It
// returns the timing the acceptor set, or o's where it set none.
func (s *shake) readWelcome(f wire.Frame, key auth.Key, o Options) (heartbeat, deadAfter time.Duration, err *Error) {
	if f.Kind != wire.KindWelcome {
		return 0, 0, &Error{Code: wire.CodeProtocolError, Reason: fmt.Sprintf("%s sent a %s instead of a welcome", s.remote, f.Kind)}
	}
	welcome, perr := auth.ParseWelcome(f.Payload)
	if perr != nil {
		return 0, 0, &Error{Code: wire.CodeProtocolError, Reason: fmt.Sprintf("%s sent an invalid welcome: %v", s.remote, perr), Err: perr}
	}
	if !auth.VerifyProof(key, s.peer.Role, s.transcript, welcome.Mac) {
		writeClose(s.conn, false, wire.CodeAuthFailed, "authentication failed", 0)
		return 0, 0, &Error{Code: wire.CodeAuthFailed, Reason: fmt.Sprintf(
			"%s could not prove it knows the password for %s: it is not the %s you set up, or its password changed",
			s.remote, s.peer.Name, roleName(s.peer.Role))}
	}
	heartbeat, deadAfter = o.Heartbeat, o.DeadAfter
	if welcome.HeartbeatMs > 0 {
		heartbeat = time.Duration(welcome.HeartbeatMs) * time.Millisecond
	}
	if welcome.DeadAfterMs > 0 {
		deadAfter = time.Duration(welcome.DeadAfterMs) * time.Millisecond
	}
	return heartbeat, deadAfter, nil
}

// link ends the handshake: deadlines off, and the authenticated link.
func (s *shake) link(heartbeat, deadAfter time.Duration, maxInFlight int) *Link {
	_ = s.raw.SetDeadline(time.Time{})
	if tc, ok := s.conn.(*tls.Conn); ok {
		// What the handshake grew, an idle link does not need (tlsmem.go).
		// The dialer's session ticket came before the acceptor's hello and
		// is cached by now, with the certificate a resumption presents
		// again: only the fingerprint stays with the link.
		dropPeerCertificates(tc)
		releaseHandshakeBuffers(tc)
	}
	l := newLink(s.conn, Peer{
		Name:        s.peer.Name,
		Role:        s.peer.Role,
		InstallID:   hexID(s.peer.InstallId),
		BootID:      hexID(s.peer.BootId),
		Software:    s.peer.Software,
		Remote:      s.raw.RemoteAddr().String(),
		Dialed:      s.dialed,
		SSL:         s.ssl,
		Fingerprint: s.fingerprint,
		Resumed:     s.resumed,
		Version:     s.version,
		NextKey:     s.nextKey,
	}, heartbeat, deadAfter, maxInFlight)
	l.shakeRTT = s.rtt
	return l
}

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

// sslMismatch is the plain-words report of SSL on at one end only. claimed
// is the name a plain hello claimed, when one was read: the peer is not
// authenticated, so the name is only what it says.
func sslMismatch(localSSL bool, remote, claimed string) *Error {
	// The fix is the safe way to match: SSL on at the end that has it off.
	fix := "turn SSL on here too (the setting must match on the console and the agent, and on keeps passwords and commands safe)"
	if localSSL {
		fix = "turn SSL on there too (the setting must match on the console and the agent)"
	}
	if claimed != "" {
		return &Error{Code: wire.CodeSSLMismatch, Reason: fmt.Sprintf(
			"%s, as it says, at %s: SSL is %s there but %s here: %s", claimed, remote, sslWord(!localSSL), sslWord(localSSL), fix)}
	}
	return &Error{Code: wire.CodeSSLMismatch, Reason: fmt.Sprintf(
		"SSL is %s here but %s at %s: %s", sslWord(localSSL), sslWord(!localSSL), remote, fix)}
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
		RetryAfterMs: uint32(min(retryAfter, MaxRetryAfterLinked) / time.Millisecond)})
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
	case brokenOff(err):
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
	return &Error{Code: wire.CodeDialFailed, Reason: reason, Err: err}
}

// brokenOff says whether err is the peer closing or resetting the
// connection.
func brokenOff(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// isTLSVersionError recognises a peer that only speaks older TLS.
func isTLSVersionError(err error) bool {
	var ae tls.AlertError
	if errors.As(err, &ae) && ae == 70 { // protocol_version
		return true
	}
	return err != nil && (strings.Contains(err.Error(), "protocol version not supported") ||
		strings.Contains(err.Error(), "unsupported versions"))
}
