package link

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"sync"
	"syscall"
	"time"

	"github.com/lanyard/lanyard/core/auth"
	"github.com/lanyard/lanyard/core/wire"
	"github.com/lanyard/lanyard/core/wire/pb"
)

// Admission is what the acceptor needs to authenticate a peer it admits.
type Admission struct {
	Name string // the slave's name, stated in this side's hello
	Key  auth.Key
	KDF  auth.KDFParams
	// Next is a key a password change sent the peer before its answer
	// came, if one did not: the peer holds it or Key (nextkey.go).
	Next *Secret
	// Pinned says the peer presented the certificate this side has pinned
	// for the name: strangers' failures under the name do not hold it back
	// (auth.Limiter's known peers).
	Pinned bool
}

// Authenticator decides, from a peer's validated hello, whether to go on
// with the handshake and with which key. The console looks the name up
// among its inbound slaves; the agent checks its own name and settings.
type Authenticator interface {
	// Admit returns the admission, or an *Error (see Refuse) whose Reason
	// is logged locally and whose PeerReason, if any, is sent to the peer.
	// fingerprint is the peer certificate's, "" without SSL. The peer is
	// not authenticated yet: a refusal tells it nothing it did not say.
	Admit(hello *pb.Hello, remote netip.AddrPort, fingerprint string) (Admission, error)
}

// Refusal reports a handshake the listener turned away or that failed.
type Refusal struct {
	Remote string // ip:port
	// Name is the name the peer's hello claimed, "" if none was read. It is
	// what an unauthenticated peer says, no more (with an SSL mismatch, the
	// Reason says so in words).
	Name string
	Err  *Error
	// Busy says it was turned away for load (no handshake slot free), not
	// for anything it did: it was told when to come back.
	Busy bool
}

// ListenConfig configures a Listener.
type ListenConfig struct {
	Address  string // host:port; ":16888" listens on every address
	Identity *Identity
	Options  Options
	Auth     Authenticator
	// Limiter rate-limits failed attempts per address and per name; nil
	// makes one with the defaults.
	Limiter *auth.Limiter
	// OnLink receives every authenticated link, not yet started. It runs
	// on the handshake goroutine and must not block for long.
	OnLink func(*Link)
	// OnRefused reports every failed handshake. Optional.
	OnRefused func(Refusal)
}

// Listener accepts connections and authenticates them.
//
// Before authentication the door is guarded as DESIGN §2 says: an address
// whose failures emptied its bucket is turned away at once; an address may
// have at most MaxPerSource connections in the handshake (an IPv6 /64
// counts as one address); the first byte and the hello must come within
// HelloTimeout, the whole handshake within HandshakeTimeout.
//
// Admission is bound by CPU, not by waiting (admit.go): a connection takes
// one of MaxHandshakes slots (SlotsPerCore a core) only once its TLS ClientHello
// or plain hello has arrived, so a slot is never held by a peer that has
// sent nothing. One that finds no slot free within SlotWait is turned away
// with rate_limited and a retry-after spread over the backlog, in plain
// words either kind of dialer reads: a reconnect storm is served as fast
// as the CPU allows and the rest come back later, spread out, rather than
// timing out halfway through handshakes that cost CPU. The wait for a slot
// is the listener's, not the peer's: once it has one, the peer has the
// hello deadline afresh for its part of TLS and its hello. A connection
// whose first bytes come late while the listener is turning others away
// for load (a peer starved of CPU in the same storm, as likely as a
// stranger idling) is told when to come back the same way, not held
// against its address.
type Listener struct {
	cfg ListenConfig
	// opts are the options at Listen: the door's limits (MaxHandshakes,
	// MaxPerSource, SlotWait) keep them for good.
	opts Options
	ln   net.Listener
	sem  chan struct{} // a token per handshake slot taken (admit.go)
	load loadMeter     // the schedule it turns connections away by
	quit chan struct{}
	wg   sync.WaitGroup
	once sync.Once
	mu   sync.Mutex
	// round is what connections are accepted under now (Reconfigure).
	round *round
	// pending is every connection in the handshake, with its round.
	pending map[net.Conn]*round
	// perSource counts connections in the handshake per source.
	perSource map[netip.Prefix]int
}

// round is one set of options connections are accepted under, and the
// connections accepted under it until their links are handed out.
type round struct {
	opts Options
	wg   sync.WaitGroup
}

// Listen binds the address and starts accepting. Close stops it.
func Listen(cfg ListenConfig) (*Listener, error) {
	o := cfg.Options.withDefaults()
	lc := net.ListenConfig{KeepAlive: o.Heartbeat}
	ln, err := lc.Listen(context.Background(), "tcp", cfg.Address)
	if err != nil {
		return nil, listenError(cfg.Address, err)
	}
	if cfg.Limiter == nil {
		cfg.Limiter = auth.NewLimiter(auth.LimiterConfig{})
	}
	l := &Listener{
		cfg:       cfg,
		opts:      o,
		ln:        ln,
		sem:       make(chan struct{}, o.MaxHandshakes),
		load:      newLoadMeter(o.MaxHandshakes),
		quit:      make(chan struct{}),
		round:     &round{opts: o},
		pending:   make(map[net.Conn]*round),
		perSource: make(map[netip.Prefix]int),
	}
	l.wg.Add(1)
	go l.acceptLoop()
	return l, nil
}

// CanListen says whether Listen could bind addr now, in the words Listen
// would use: it binds the address and lets it go at once. A caller about
// to move a listener asks first, and keeps the one it has when the
// answer is no.
func CanListen(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return listenError(addr, err)
	}
	return ln.Close()
}

// SamePort reports whether addr (host:port) asks for the port bound
// already; port 0 asks for any port.
func SamePort(bound net.Addr, addr string) bool {
	_, port, err := net.SplitHostPort(addr)
	if err != nil || port == "0" || bound == nil {
		return false
	}
	_, boundPort, err := net.SplitHostPort(bound.String())
	return err == nil && port == boundPort
}

// listenError says why a port cannot be used, and what to do.
func listenError(addr string, err error) error {
	switch {
	case errors.Is(err, syscall.EADDRINUSE):
		return fmt.Errorf("cannot listen on %s: the port is already in use by another program; pick another port above 5000, or find the program holding it: %w", addr, err)
	case errors.Is(err, syscall.EACCES):
		return fmt.Errorf("cannot listen on %s: not allowed (ports below 1024 need administrator rights); use a port above 5000: %w", addr, err)
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		return fmt.Errorf("cannot listen on %s: this machine has no such address; use one of its own addresses, or leave the host empty to listen on all: %w", addr, err)
	}
	return fmt.Errorf("cannot listen on %s: %w", addr, err)
}

// Addr is the bound address (useful with port 0).
func (l *Listener) Addr() net.Addr { return l.ln.Addr() }

// Close stops accepting, aborts handshakes in progress and waits for the
// listener's goroutines. Links already handed out stay open. Idempotent.
func (l *Listener) Close() error {
	l.once.Do(func() {
		close(l.quit)
		_ = l.ln.Close()
		l.mu.Lock()
		for c := range l.pending {
			_ = c.Close()
		}
		l.mu.Unlock()
	})
	l.wg.Wait()
	return nil
}

func (l *Listener) acceptLoop() {
	defer l.wg.Done()
	var backoff time.Duration
	for {
		conn, err := l.ln.Accept()
		if err != nil {
			select {
			case <-l.quit:
				return
			default:
			}
			// Out of file descriptors and the like: wait a little rather
			// than spin, then go on.
			if backoff == 0 {
				backoff = 5 * time.Millisecond
			} else if backoff < time.Second {
				backoff *= 2
			}
			t := time.NewTimer(backoff)
			select {
			case <-l.quit:
				t.Stop()
				return
			case <-t.C:
			}
			continue
		}
		backoff = 0
		l.mu.Lock()
		r := l.round
		l.pending[conn] = r
		r.wg.Add(1)
		l.mu.Unlock()
		l.wg.Add(1)
		go l.serve(conn, r)
	}
}

// Reconfigure has every connection accepted from now on handshake under
// o (SSL on or off, heartbeat, timeouts) while the socket stays bound, so
// no dialer is refused meanwhile and no other program can take the port.
// The handshakes begun under the previous options are aborted, and
// Reconfigure returns once every link authenticated under them has been
// handed to OnLink: an owner that then closes the links it holds leaves
// none from before. The door's limits (MaxHandshakes, MaxPerSource,
// SlotWait) keep their values from Listen. The Authenticator is asked per
// connection, so a new key needs no more than this call.
func (l *Listener) Reconfigure(o Options) {
	o = o.withDefaults()
	l.mu.Lock()
	old := l.round
	l.round = &round{opts: o}
	for c, r := range l.pending {
		if r != l.round {
			_ = c.Close()
		}
	}
	l.mu.Unlock()
	old.wg.Wait()
}

func (l *Listener) forget(conn net.Conn) {
	l.mu.Lock()
	delete(l.pending, conn)
	l.mu.Unlock()
}

func (l *Listener) serve(conn net.Conn, r *round) {
	defer l.wg.Done()
	defer r.wg.Done() // after OnLink: see Reconfigure
	lnk := l.authenticate(conn, r.opts)
	if lnk == nil {
		return
	}
	select {
	case <-l.quit:
		lnk.CloseWith(&Error{Code: wire.CodeShuttingDown, Reason: "shutting down"})
		return
	default:
	}
	// The connection is no longer pending: from here it is the owner's
	// link, and Close must not cut it, even while OnLink still runs (the
	// owner may be writing to its store), or a console linked a moment
	// before its agent stops would hear "closed" instead of why.
	l.cfg.OnLink(lnk)
}

// authenticate takes conn through the door and the handshake and returns
// its link, or nil when it was refused (and closed). Either way conn has
// left the pending set and its source's count when it returns.
func (l *Listener) authenticate(conn net.Conn, o Options) *Link {
	defer l.forget(conn)
	ip := remoteIP(conn)
	if e := l.enter(ip); e != nil {
		// Turned away at the door, in plain words a dialer of either SSL
		// setting can read (see Dialer.tlsError).
		writeClose(conn, true, e.Code, e.PeerReason, e.RetryAfter)
		_ = conn.Close()
		l.refused(Refusal{Remote: conn.RemoteAddr().String(), Err: e})
		return nil
	}
	defer l.leave(ip)
	lnk, name, err := l.handshake(conn, o)
	if err == errProbe {
		// Connected and closed without a byte: a port check, not news.
		_ = conn.Close()
		return nil
	}
	if err != nil {
		_ = conn.Close()
		var e *Error
		if !errors.As(err, &e) {
			e = &Error{Code: wire.CodeProtocolError, Reason: err.Error(), Err: err}
		}
		l.refused(Refusal{Remote: conn.RemoteAddr().String(), Name: name, Err: e, Busy: errors.Is(e, ErrBusy)})
		return nil
	}
	return lnk
}

// enter admits a connection from ip through the door, before it may take a
// handshake slot: its address's failures have not emptied its bucket, and
// it has fewer than MaxPerSource connections in the handshake already.
func (l *Listener) enter(ip netip.Addr) *Error {
	if err := l.cfg.Limiter.CheckSource(ip); err != nil {
		var le *auth.LimitError
		errors.As(err, &le)
		return &Error{Code: wire.CodeRateLimited, RetryAfter: le.RetryAfter, PeerReason: err.Error(),
			Reason: fmt.Sprintf("%s was turned away before its handshake: %v", ip, err)}
	}
	src := auth.SourceKey(ip)
	l.mu.Lock()
	defer l.mu.Unlock()
	if n := l.perSource[src]; n >= l.opts.MaxPerSource {
		return &Error{Code: wire.CodeRateLimited, PeerReason: "too many connections at once from your address; try again shortly",
			Reason: fmt.Sprintf("%s was turned away: it has %d connections in the handshake already (at most %d per address)", ip, n, l.opts.MaxPerSource)}
	}
	l.perSource[src]++
	return nil
}

// leave undoes enter once the handshake is over.
func (l *Listener) leave(ip netip.Addr) {
	src := auth.SourceKey(ip)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.perSource[src]--; l.perSource[src] <= 0 {
		delete(l.perSource, src)
	}
}

func (l *Listener) refused(r Refusal) {
	if l.cfg.OnRefused != nil {
		l.cfg.OnRefused(r)
	}
}

// remoteIP is a connection's source address, or the zero Addr.
func remoteIP(conn net.Conn) netip.Addr {
	if ta, ok := conn.RemoteAddr().(*net.TCPAddr); ok {
		return ta.AddrPort().Addr()
	}
	return netip.Addr{}
}

// errProbe is a connection closed before it sent anything.
var errProbe = errors.New("closed without sending anything")

// genericPeerReason is what a refused peer is told when the local reason
// must stay local.
func genericPeerReason(code wire.Code) string {
	switch code {
	case wire.CodeAuthFailed:
		return "authentication failed"
	case wire.CodeUnknownSlave:
		return "no inbound slave of that name is set up here"
	case wire.CodeManagementDisabled:
		return "this server does not accept remote management"
	case wire.CodeRateLimited:
		return "too many failed attempts; try again later"
	case wire.CodeNameMismatch:
		return "name does not match this agent's"
	}
	return string(code)
}

// handshake runs the acceptor's side: sniff, TLS, the peer's hello under
// the short hello deadline, the door's rate limit, the shared hello checks
// and the admission, our hello, the proof, the welcome. It returns the name
// the peer's hello claimed, when one was read, for the refusal report.
func (l *Listener) handshake(raw net.Conn, o Options) (*Link, string, error) {
	deadline := time.Now().Add(o.HandshakeTimeout)
	s := &shake{raw: raw, conn: raw, remote: raw.RemoteAddr().String(), id: l.cfg.Identity, ssl: o.SSL,
		deadline: deadline, helloTimeout: o.HelloTimeout}
	ip := remoteIP(raw)
	_ = raw.SetDeadline(earliest(time.Now().Add(o.HelloTimeout), deadline))
	defer s.giveSlotBack()
	defer s.letGo()
	if err := l.sniffAndReadHello(s); err != nil {
		if CodeOf(err) == wire.CodeTimeout && s.slot == nil && l.load.loaded(time.Now()) {
			// Its first bytes came late while a storm is being served: a
			// peer starved of CPU or of bandwidth, as likely as a stranger
			// idling. Told when to come back, like the storm, rather than
			// left to back off further at every try.
			err = l.turnAway(s, "its first bytes came late while the listener was turning others away for load")
		}
		if code := CodeOf(err); err != errProbe && code != wire.CodeSSLMismatch && code != wire.CodeShuttingDown && !errors.Is(err, ErrBusy) {
			l.cfg.Limiter.Fail(ip) // garbage, or nothing in time, counts against the address
		}
		return nil, s.claimed(), err
	}
	_ = raw.SetDeadline(deadline) // the hello is in: the rest has the whole handshake's time
	name := s.peer.Name

	adm, admitErr := l.cfg.Auth.Admit(s.peer, netip.AddrPortFrom(ip, 0), s.fingerprint)
	ticket, err := l.cfg.Limiter.Reserve(auth.Attempt{Source: ip, Name: name, Fingerprint: s.fingerprint, Pinned: adm.Pinned})
	if err != nil {
		return nil, name, s.refuse(rateLimited(s, err))
	}
	// From here a refusal keeps the ticket's token: it counts as a failure.
	refusal := s.checkPeer()
	if refusal == nil {
		refusal = asError(admitErr)
	}
	kdf, keys := adm.keysFor(auth.KDFFromPB(s.peer.Kdf))
	if refusal == nil {
		refusal = s.checkKDF(kdf)
	}
	if refusal != nil {
		return nil, name, s.refuse(refusal)
	}
	if key, ok, e := s.takeEarlyProof(keys, o); e != nil {
		return nil, name, s.refuse(e)
	} else if ok {
		ticket.Succeed()
		s.nextKey = key.next
		if err := s.sendHelloAndWelcome(adm.Name, kdf, key.key, o); err != nil {
			return nil, name, err
		}
		return s.link(o.Heartbeat, o.DeadAfter, o.MaxInFlight), name, nil
	}
	if err := s.sendHello(adm.Name, kdf, nil); err != nil {
		return nil, name, err
	}
	key, e, gaveUp := s.verifyProof(keys)
	if e != nil {
		if e.Code == wire.CodeAuthFailed && !gaveUp {
			e = s.refuse(e)
		}
		return nil, name, e
	}
	s.answered()
	ticket.Succeed()
	s.nextKey = key.next
	if err := s.sendWelcome(key.key, o); err != nil {
		return nil, name, err
	}
	return s.link(o.Heartbeat, o.DeadAfter, o.MaxInFlight), name, nil
}

// firstRead bounds the listener's first read of a connection: enough for
// a whole ClientHello (about 1.5 KiB with the hybrid key share), or a plain
// magic and hello, in the one system call that finds them.
const firstRead = 5 + 2<<10

// readFirst is the listener's first read: whatever has come, at least one
// byte, up to firstRead.
func (s *shake) readFirst() ([]byte, error) {
	buf := make([]byte, firstRead)
	n, err := s.raw.Read(buf)
	switch {
	case n > 0:
		return buf[:n], nil
	case errors.Is(err, io.EOF):
		return nil, errProbe
	case err == nil:
		err = io.ErrNoProgress
	}
	return nil, handshakeReadError(err, s.remote, "first bytes")
}

// replay puts bytes read ahead back in front of the connection, for the
// plain handshake and the link after it to read.
func (s *shake) replay(ahead []byte) {
	if len(ahead) > 0 {
		s.raw = &sniffedConn{Conn: s.raw, head: ahead}
		s.conn = s.raw
	}
}

// sniffAndReadHello reads the first bytes and sets the connection up as
// they say (TLS for a ClientHello, plain for Lanyard's magic, a refusal for
// anything else), then reads the peer's hello. An SSL mismatch is answered
// in plain words; a plain hello at a TLS listener still has its name read,
// so the report can say which slave it claims to be.
func (l *Listener) sniffAndReadHello(s *shake) error {
	first, err := s.readFirst()
	if err != nil {
		return err
	}
	switch {
	case first[0] == wire.TLSHandshakeByte && !s.ssl:
		writeClose(s.raw, true, wire.CodeSSLMismatch, "SSL is off at this end", 0)
		e := sslMismatch(false, s.remote, "")
		e.Reason += "; a TLS connection carries no slave name, so look for ssl_mismatch in the log of the agent at that address"
		return e
	case first[0] == wire.TLSHandshakeByte:
		hello, err := readClientHello(s, first)
		if err != nil {
			return err
		}
		if err := l.takeSlot(s); err != nil {
			return err
		}
		// The wait for the slot was this side's: the peer has the hello's
		// time again for its part of TLS and its hello.
		_ = s.raw.SetDeadline(earliest(time.Now().Add(s.helloTimeout), s.deadline))
		if err := l.acceptTLS(s, hello); err != nil {
			return err
		}
		if m, err := readMagic(s.conn); err != nil {
			return handshakeReadError(err, s.remote, "hello")
		} else if string(m) != wire.Magic {
			return &Error{Code: wire.CodeProtocolError, Reason: fmt.Sprintf("%s sent %s inside TLS", s.remote, looksLike(m))}
		}
	default:
		s.replay(first[1:])
		if err := readPlainMagic(s, first[0]); err != nil {
			return err
		}
		if s.ssl {
			return plainAtTLS(s)
		}
	}
	f, e := s.read("hello")
	switch {
	case e != nil:
		return e
	case f.Kind != wire.KindHello:
		return s.refuse(&Error{Code: wire.CodeProtocolError, Reason: fmt.Sprintf("%s sent a %s before its hello", s.remote, f.Kind)})
	}
	if !s.ssl {
		// A plain hello has arrived: the rest of this handshake is work.
		if err := l.takeSlot(s); err != nil {
			return err
		}
	}
	if e := s.takeHello(f.Payload); e != nil {
		return s.refuse(e)
	}
	return nil
}

// plainAtTLS answers Lanyard's plain magic at a TLS listener: SSL is off
// there. The plain hello that follows is read with the same bounds as any
// hello, so the report can name the slave it claims to be.
func plainAtTLS(s *shake) error {
	if f, err := wire.ReadFrame(s.raw, wire.MaxPreAuthFrame); err == nil && f.Kind == wire.KindHello {
		if h, err := auth.ParseHello(f.Payload); err == nil {
			s.peer = h
		}
	}
	writeClose(s.raw, true, wire.CodeSSLMismatch, "SSL is on at this end", 0)
	return sslMismatch(true, s.remote, s.claimed())
}

// acceptTLS runs the TLS handshake whose first record (the ClientHello)
// was read already.
func (l *Listener) acceptTLS(s *shake, head []byte) error {
	sc := &sniffedConn{Conn: s.raw, head: head}
	// What TLS writes after its first flight, the session ticket, is held
	// for our hello, as the dialer holds its Finished (conn.go).
	s.held = &heldConn{Conn: sc, holding: true}
	tc := tls.Server(s.held, s.id.serverTLS())
	if err := tc.Handshake(); err != nil {
		var ne net.Error
		switch {
		case isTLSVersionError(err):
			return &Error{Code: wire.CodeProtocolError, Err: err,
				Reason: fmt.Sprintf("%s offered an older TLS version; only TLS 1.3 is accepted: upgrade it", s.remote)}
		case errors.As(err, &ne) && ne.Timeout():
			return handshakeReadError(err, s.remote, "TLS handshake")
		case brokenOff(err):
			// Its first flight came, then it went: a dialer that gave up
			// waiting (this side was slow, or stopped), not garbage.
			return &Error{Code: wire.CodeProtocolError, Err: err,
				Reason: fmt.Sprintf("%s broke off the TLS handshake (it gave up waiting, went away, or is not a Lanyard peer)", s.remote)}
		}
		return &Error{Code: wire.CodeProtocolError, Err: err, Reason: fmt.Sprintf("TLS handshake with %s failed: %v", s.remote, err)}
	}
	if e := s.tlsEstablished(tc); e != nil {
		return e
	}
	// The dialer's flight, its hello with it, answered our first: the
	// round trip of a link whose dialer proves early, which has no other.
	s.rtt = time.Since(sc.wroteAt)
	return nil
}

// readPlainMagic reads the rest of Lanyard's plain magic after its first
// byte, or says what the bytes look like instead.
func readPlainMagic(s *shake, first byte) error {
	var rest [len(wire.Magic) - 1]byte
	n, err := io.ReadFull(s.raw, rest[:])
	head := append([]byte{first}, rest[:n]...)
	switch {
	case string(head) == wire.Magic:
		return nil
	case altered(head):
		// Tell the dialer too: it would otherwise see only a closed
		// connection. The box rewrites this answer as well, which is how
		// the dialer recognises it.
		writeClose(s.raw, true, wire.CodeProtocolError, "the greeting arrived "+AlteredOnTheWay, 0)
		return &Error{Code: wire.CodeProtocolError, Err: ErrAltered, Reason: fmt.Sprintf("%s sent %s", s.remote, looksLike(head))}
	case err != nil:
		return &Error{Code: wire.CodeProtocolError, Err: err, Reason: fmt.Sprintf("%s sent %s and closed", s.remote, looksLike(head))}
	}
	return &Error{Code: wire.CodeProtocolError, Reason: fmt.Sprintf("%s sent %s", s.remote, looksLike(head))}
}

// claimed is the name the peer's hello claims, "" before one was read.
func (s *shake) claimed() string {
	if s.peer == nil {
		return ""
	}
	return s.peer.Name
}

// refuse tells the peer why it is turned away, after our magic unless our
// hello (which carries it) went out already, and returns e.
func (s *shake) refuse(e *Error) *Error {
	reason := e.PeerReason
	if reason == "" {
		reason = genericPeerReason(e.Code)
	}
	writeClose(s.conn, !s.helloSent, e.Code, reason, e.RetryAfter)
	return e
}

// rateLimited is the refusal of a peer whose failures, or strangers'
// failures under its name, used up the limit: it names the count that
// refused and when to retry.
func rateLimited(s *shake, err error) *Error {
	var le *auth.LimitError
	errors.As(err, &le)
	return &Error{Code: wire.CodeRateLimited, RetryAfter: le.RetryAfter, PeerReason: err.Error(),
		Reason: fmt.Sprintf("%s was refused without checking its password: %v", s.who(), err)}
}

// asError makes any error an *Error; nil stays nil.
func asError(err error) *Error {
	if err == nil {
		return nil
	}
	var e *Error
	if !errors.As(err, &e) {
		e = &Error{Code: wire.CodeProtocolError, Reason: err.Error(), Err: err}
	}
	return e
}

func earliest(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
