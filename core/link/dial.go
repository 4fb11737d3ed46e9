package link

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/lanyard/lanyard/core/auth"
	"github.com/lanyard/lanyard/core/human"
	"github.com/lanyard/lanyard/core/wire"
	"github.com/lanyard/lanyard/core/wire/pb"
)

// Dialer makes outgoing links: the console dialing an agent, or an agent
// dialing a console.
type Dialer struct {
	Identity *Identity
	Options  Options
	// LocalAddr is the address to dial from; nil lets the system choose.
	LocalAddr net.Addr
	// Gate, when set, is shared by the dialers of a process that dials for
	// many peers (a simulated fleet): see DialGate.
	Gate DialGate
}

// DialGate bounds how many dials of one process are between their TCP
// connect and their first flight sent (the TLS ClientHello, or the plain
// hello). A real agent computes its first flight the moment it has
// connected, on a CPU of its own; a process simulating thousands shares
// one, and without a bound every agent would connect at once and then
// queue for the CPU to compute its first flight, holding connections the
// acceptor's hello deadline runs on (a few seconds) while they wait.
// Through the gate each connects only when it can send its first flight
// at once, and the acceptor still sees them come as fast as the process
// can make them.
type DialGate chan struct{}

// NewDialGate makes a gate for n dials at once.
func NewDialGate(n int) DialGate { return make(DialGate, max(n, 1)) }

// enter waits for room in the gate; it returns what lets the next one in
// (idempotent), or an error when ctx ends first. A nil gate lets all in.
func (g DialGate) enter(ctx context.Context) (leave func(), err error) {
	if g == nil {
		return func() {}, nil
	}
	select {
	case g <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	var once sync.Once
	return func() { once.Do(func() { <-g }) }, nil
}

// gatedConn leaves the gate at its first read: the first flight has gone.
type gatedConn struct {
	net.Conn
	leave func()
}

func (c *gatedConn) Read(b []byte) (int, error) {
	c.leave()
	return c.Conn.Read(b)
}

// Target is what the dialer needs to know about the peer it dials.
type Target struct {
	Address string // host:port
	Name    string // the slave's name: the KDF salt, checked against the peer's hello
	Key     auth.Key
	KDF     auth.KDFParams
	// Next is a key a password change sent the peer before its answer
	// came, if one did not: the peer holds it or Key. Dial proves it
	// first and falls back to Key (nextkey.go).
	Next *Secret
	// PinnedCert is the fingerprint the peer's certificate must have: the
	// one pinned at the first link, or the one a person gave when adding
	// the peer. "" trusts the first certificate seen.
	PinnedCert string
	// TrustFix is the command that trusts a new certificate, for the
	// cert_changed message ("lanyard slave trust FS01"); "" says it
	// generically.
	TrustFix string
}

// Dial connects, runs the handshake and returns an authenticated link that
// is not yet started. Every failure is an *Error whose Reason a person can
// act on. With t.Next it may dial twice (nextkey.go).
func (d *Dialer) Dial(ctx context.Context, t Target) (*Link, error) {
	if t.Next == nil {
		return d.dial(ctx, t, false)
	}
	l, err := d.dial(ctx, t.withNext(), true)
	if CodeOf(err) != wire.CodeAuthFailed {
		return l, err
	}
	t.Next = nil
	return d.dial(ctx, t, false)
}

// dial is one connection and its handshake; next says t's key is the
// next key.
func (d *Dialer) dial(ctx context.Context, t Target, next bool) (*Link, error) {
	o := d.Options.withDefaults()
	// The wait at the gate is this process's, not the handshake's time.
	leave, err := d.Gate.enter(ctx)
	if err != nil {
		return nil, dialError(t.Address, o.HandshakeTimeout, err)
	}
	defer leave()
	ctx, cancel := context.WithTimeout(ctx, o.HandshakeTimeout)
	defer cancel()
	nd := net.Dialer{KeepAlive: o.Heartbeat, LocalAddr: d.LocalAddr}
	raw, err := nd.DialContext(ctx, "tcp", t.Address)
	if err != nil {
		return nil, dialError(t.Address, o.HandshakeTimeout, err)
	}
	if d.Gate != nil {
		raw = &gatedConn{Conn: raw, leave: leave}
	}
	l, err := d.handshake(ctx, raw, t, o, next)
	if err != nil {
		_ = raw.Close()
		return nil, err
	}
	return l, nil
}

// handshake runs the dialer's side: TLS and the pin, our hello, the
// peer's hello and the shared checks, our proof, the welcome.
func (d *Dialer) handshake(ctx context.Context, raw net.Conn, t Target, o Options, next bool) (*Link, error) {
	if dl, ok := ctx.Deadline(); ok {
		_ = raw.SetDeadline(dl)
	}
	// Cancelling ctx aborts any read or write in progress.
	stop := context.AfterFunc(ctx, func() { _ = raw.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	s := &shake{raw: raw, conn: raw, remote: t.Address, id: d.Identity, ssl: o.SSL, dialed: true, nextKey: next}
	if o.SSL {
		if err := d.startTLS(ctx, s, t); err != nil {
			return nil, err
		}
	}
	var early *auth.Key
	if o.SSL && !o.earlyProofOff {
		early = &t.Key
	}
	if err := s.sendHello(t.Name, t.KDF, early); err != nil {
		return nil, err
	}
	if err := readAcceptorHello(s, t); err != nil {
		return nil, err
	}
	s.answered()
	switch {
	case s.peer.EarlyProofTaken && !s.early:
		return nil, &Error{Code: wire.CodeProtocolError, Reason: fmt.Sprintf("%s answered an early proof this side never sent", s.remote)}
	case s.peer.EarlyProofTaken:
		s.makeTranscript() // for the welcome, which follows
	default:
		// An acceptor from before early proofs, or SSL off: prove now.
		if err := s.prove(t.Key); err != nil {
			return nil, err
		}
	}
	f, e := s.read("answer to our proof")
	switch {
	case e != nil:
		return nil, e
	case f.Kind == wire.KindClose:
		return nil, refusedBy(f.Payload, s.remote, t.Name, o.SSL)
	}
	heartbeat, deadAfter, e := s.readWelcome(f, t.Key, o)
	if e != nil {
		return nil, e
	}
	return s.link(heartbeat, deadAfter, o.MaxInFlight), nil
}

// startTLS runs TLS and checks the pin before anything about the password
// is sent, so an impostor at a known address learns nothing to attack.
func (d *Dialer) startTLS(ctx context.Context, s *shake, t Target) (err error) {
	// What TLS wrote last is held for the hello (conn.go); a dial that
	// stops here sends it before it closes (an alert, or the Finished).
	s.held = &heldConn{Conn: s.raw, holding: true}
	defer func() {
		if err != nil {
			_ = s.held.release()
		}
	}()
	rec := &recordingConn{Conn: s.held}
	tc := tls.Client(rec, d.Identity.clientTLS())
	if err := tc.HandshakeContext(ctx); err != nil {
		return tlsError(err, s, t, rec.stop())
	}
	rec.stop()
	if e := s.tlsEstablished(tc); e != nil {
		return e
	}
	if t.PinnedCert != "" && s.fingerprint != t.PinnedCert {
		fix := "if it was reinstalled, trust its new certificate"
		if t.TrustFix != "" {
			fix = "if it was reinstalled, run " + t.TrustFix
		}
		return &Error{Code: wire.CodeCertChanged, Reason: fmt.Sprintf(
			"the certificate of %s is not the one trusted here (expected %s, it presented %s): %s; otherwise something is impersonating it",
			s.remote, ShortFingerprint(t.PinnedCert), ShortFingerprint(s.fingerprint), fix)}
	}
	return nil
}

// readAcceptorHello reads the acceptor's magic and hello (or its refusal)
// and makes the shared checks, plus the one only the dialer can make: the
// name the acceptor states is the one dialed. A check that fails is told to
// the acceptor too, so both ends report it.
func readAcceptorHello(s *shake, t Target) error {
	if m, err := readMagic(s.conn); err != nil {
		return handshakeReadError(err, s.remote, "hello")
	} else if altered(m) {
		return &Error{Code: wire.CodeProtocolError, Err: ErrAltered, Reason: fmt.Sprintf(
			"the answer from %s was %s", s.remote, AlteredOnTheWay)}
	} else if string(m) != wire.Magic {
		return notLanyard(s, readMore(s.conn, m))
	}
	f, e := s.read("hello")
	switch {
	case e != nil:
		return e
	case f.Kind == wire.KindClose:
		return refusedBy(f.Payload, s.remote, t.Name, s.ssl)
	case f.Kind != wire.KindHello:
		return &Error{Code: wire.CodeProtocolError, Reason: fmt.Sprintf("%s sent a %s instead of its hello", s.remote, f.Kind)}
	}
	if e := s.takeHello(f.Payload); e != nil {
		return e
	}
	e = s.checkPeer()
	if e == nil && !strings.EqualFold(s.peer.Name, t.Name) {
		e = &Error{Code: wire.CodeNameMismatch,
			Reason: fmt.Sprintf("the agent at %s is named %q, not %q: fix the name in the slave's entry (the name is part of the password check)",
				s.remote, s.peer.Name, t.Name),
			PeerReason: fmt.Sprintf("this side links to a slave named %q", t.Name)}
	}
	if e == nil {
		e = s.checkKDF(t.KDF)
	}
	if e != nil {
		reason := e.PeerReason
		if reason == "" {
			reason = genericPeerReason(e.Code)
		}
		writeClose(s.conn, false, e.Code, reason, 0)
		return e
	}
	return nil
}

// tlsError explains a failed TLS handshake. A plain listener answers a
// ClientHello with its magic and a close frame (an SSL mismatch, or a
// refusal at its door): head, the bytes the handshake read, holds them.
func tlsError(err error, s *shake, t Target, head []byte) *Error {
	var rhe tls.RecordHeaderError
	if errors.As(err, &rhe) && string(rhe.RecordHeader[:len(wire.Magic)]) == wire.Magic {
		if bytes.HasPrefix(head, []byte(wire.Magic)) {
			_ = s.raw.SetReadDeadline(time.Now().Add(time.Second))
			rest := io.MultiReader(bytes.NewReader(head[len(wire.Magic):]), s.raw)
			if f, ferr := wire.ReadFrame(rest, wire.MaxPreAuthFrame); ferr == nil && f.Kind == wire.KindClose {
				return refusedBy(f.Payload, s.remote, t.Name, true)
			}
		}
		return sslMismatch(true, s.remote, "")
	}
	if errors.As(err, &rhe) && len(head) > 0 {
		return notLanyard(s, head)
	}
	if isTLSVersionError(err) {
		return &Error{Code: wire.CodeProtocolError, Err: err, Reason: fmt.Sprintf("%s does not speak TLS 1.3: upgrade it", s.remote)}
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return &Error{Code: wire.CodeTimeout, Err: err, Reason: fmt.Sprintf("%s did not complete the TLS handshake in time", s.remote)}
	}
	return &Error{Code: wire.CodeProtocolError, Err: err, Reason: fmt.Sprintf("TLS handshake with %s failed: %v", s.remote, err)}
}

// notLanyard is the dialer's error for an answer that is not Lanyard's:
// its first line quoted, and the program it came from named when its
// first bytes tell.
func notLanyard(s *shake, head []byte) *Error {
	what := "it answered " + wire.Quote(firstLine(head))
	if by := answeredBy(head); by != "" {
		what = fmt.Sprintf("%s answered (%s)", by, wire.Quote(firstLine(head)))
	}
	return &Error{Code: wire.CodeNotLanyard, Reason: fmt.Sprintf(
		"%s is not a Lanyard %s: %s; check the address and port", s.remote, roleName(opposite(s.id.Role)), what)}
}

// readMore is head and what else the peer sent with it, waited for
// briefly, so that notLanyard can name the answer by more than its first
// four bytes.
func readMore(conn net.Conn, head []byte) []byte {
	b := make([]byte, wire.MaxQuoted)
	n := copy(b, head)
	_ = conn.SetReadDeadline(time.Now().Add(250 * time.Millisecond))
	m, _ := conn.Read(b[n:])
	return b[:n+m]
}

// recordingConn keeps a copy of the first bytes read through it until
// stop: crypto/tls reads ahead into its own buffer, so what a listener
// that is not TLS answered is only found here (a plain Lanyard listener's
// refusal, another program's greeting). Only such an answer is kept: an
// answer that begins as a TLS record does (on every successful dial)
// stops the recording at its first read, so a dial copies nothing. The
// handshake reads and stops it on one goroutine; the link's reader comes
// after.
type recordingConn struct {
	net.Conn
	head    []byte
	stopped bool
}

func (c *recordingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	switch {
	case c.stopped || n == 0:
	case len(c.head) == 0 && isTLSRecord(p[0]):
		c.stopped = true
	case len(c.head) < wire.MaxPreAuthFrame:
		c.head = append(c.head, p[:min(n, wire.MaxPreAuthFrame-len(c.head))]...)
	}
	return n, err
}

// isTLSRecord reports whether b begins a TLS record: a change of cipher
// spec, an alert, a handshake message or application data.
func isTLSRecord(b byte) bool { return b >= 0x14 && b <= 0x17 }

// stop ends the recording and returns what was read.
func (c *recordingConn) stop() []byte {
	head := c.head
	c.head, c.stopped = nil, true
	return head
}

// refusedBy turns the acceptor's close frame into this side's plain-words
// error. The acceptor keeps its reasons generic; the fix is known here.
// What the acceptor said is its words, quoted; the retry it asks for is
// capped, since anyone at the address could have sent it.
func refusedBy(payload []byte, remote, name string, ssl bool) *Error {
	var c pb.Close
	if err := proto.Unmarshal(payload, &c); err != nil {
		return &Error{Code: wire.CodeProtocolError, Remote: true, Reason: remote + " sent a malformed close frame", Err: err}
	}
	e := &Error{Code: wire.Code(c.Code), Remote: true,
		RetryAfter: min(time.Duration(c.RetryAfterMs)*time.Millisecond, MaxRetryAfterBeforeAuth)}
	said := wire.Quote(c.Reason)
	switch e.Code {
	case wire.CodeSSLMismatch:
		e.Reason = sslMismatch(ssl, remote, "").Reason
	case wire.CodeAuthFailed:
		e.Reason = fmt.Sprintf("wrong management password for %s: %s refused it; enter the same password on the console and on the agent", name, remote)
	case wire.CodeUnknownSlave:
		e.Reason = fmt.Sprintf("the console at %s does not know a slave named %s; it says %s", remote, name, said)
	case wire.CodeNameMismatch:
		e.Reason = fmt.Sprintf("the agent at %s is not named %s: compare the name in the slave's entry with `lanyard-agent status` on that server (the name is part of the password check)", remote, name)
	case wire.CodeManagementDisabled:
		e.Reason = fmt.Sprintf("%s does not accept remote management (on that server: lanyard-agent set management on)", remote)
	case wire.CodeRateLimited:
		e.Reason = fmt.Sprintf("%s is turning this side away for now; it says %s; the next try waits at least %s", remote, said, human.Typed(e.RetryAfter))
	case wire.CodeShuttingDown:
		e.Reason = remote + " is shutting down"
	default:
		e.Reason = unknownClose(e, remote, "refused", c.Code, c.Reason)
	}
	return e
}

// unknownClose words a close whose code this side has no words for:
// the peer's code and reason are its words, quoted. A code this version
// does not know becomes protocol_error: the user must upgrade one end.
func unknownClose(e *Error, remote, verb, code, reason string) string {
	if !e.Code.Known() {
		e.Code = wire.CodeProtocolError
		return fmt.Sprintf("%s %s with a code this version does not know (%s), saying %s: upgrade the older end",
			remote, verb, wire.Quote(code), wire.Quote(reason))
	}
	if reason == "" {
		return fmt.Sprintf("%s %s (%s)", remote, verb, e.Code)
	}
	return fmt.Sprintf("%s %s (%s), saying %s", remote, verb, e.Code, wire.Quote(reason))
}
