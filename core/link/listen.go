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
}

// Authenticator decides, from a peer's validated hello, whether to go on
// with the handshake and with which key. The console looks the name up
// among its inbound slaves; the agent checks its own name and settings.
type Authenticator interface {
	// Admit returns the admission, or an *Error (see Refuse) whose Reason
	// is logged locally and whose PeerReason, if any, is sent to the peer.
	// fingerprint is the peer certificate's, "" without SSL.
	Admit(hello *pb.Hello, remote netip.AddrPort, fingerprint string) (Admission, error)
}

// Refusal reports a handshake the listener turned away or that failed.
type Refusal struct {
	Remote string // ip:port
	Name   string // the name in the peer's hello; "" if none was read
	Err    *Error
}

// ListenConfig configures a Listener.
type ListenConfig struct {
	Address  string // host:port; ":16888" listens on every address
	Identity *Identity
	Options  Options
	Auth     Authenticator
	// Limiter rate-limits failed attempts per IP and per name; nil makes
	// one with the defaults.
	Limiter *auth.Limiter
	// OnLink receives every authenticated link, not yet started. It runs
	// on the handshake goroutine and must not block for long.
	OnLink func(*Link)
	// OnRefused reports every failed handshake. Optional.
	OnRefused func(Refusal)
}

// Listener accepts connections and authenticates them.
type Listener struct {
	cfg     ListenConfig
	opts    Options
	ln      net.Listener
	sem     chan struct{}
	quit    chan struct{}
	wg      sync.WaitGroup
	once    sync.Once
	mu      sync.Mutex
	pending map[net.Conn]struct{}
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
		cfg:     cfg,
		opts:    o,
		ln:      ln,
		sem:     make(chan struct{}, o.MaxHandshakes),
		quit:    make(chan struct{}),
		pending: make(map[net.Conn]struct{}),
	}
	l.wg.Add(1)
	go l.acceptLoop()
	return l, nil
}

// listenError says why a port cannot be used, and what to do.
func listenError(addr string, err error) error {
	switch {
	case errors.Is(err, syscall.EADDRINUSE):
		return fmt.Errorf("cannot listen on %s: the port is already in use by another program; pick another port above 5000, or find the program holding it (lanyard-agent port-check): %w", addr, err)
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
		l.pending[conn] = struct{}{}
		l.mu.Unlock()
		l.wg.Add(1)
		go l.serve(conn)
	}
}

func (l *Listener) forget(conn net.Conn) {
	l.mu.Lock()
	delete(l.pending, conn)
	l.mu.Unlock()
}

func (l *Listener) serve(conn net.Conn) {
	defer l.wg.Done()
	defer l.forget(conn)
	deadline := time.Now().Add(l.opts.HandshakeTimeout)
	_ = conn.SetDeadline(deadline)

	// Admission control: a reconnect storm waits its turn here. A
	// connection that cannot get a slot in half the handshake time is
	// dropped, and its dialer backs off and retries.
	wait := time.NewTimer(l.opts.HandshakeTimeout / 2)
	select {
	case l.sem <- struct{}{}:
		wait.Stop()
	case <-wait.C:
		_ = conn.Close()
		l.refused(Refusal{Remote: conn.RemoteAddr().String(), Err: &Error{Code: wire.CodeRateLimited,
			Reason: "too many connections arriving at once; this one was dropped and will retry"}})
		return
	case <-l.quit:
		wait.Stop()
		_ = conn.Close()
		return
	}
	lnk, name, err := l.handshake(conn)
	<-l.sem
	if err == errProbe {
		// Connected and closed without a byte: a port check, not news.
		_ = conn.Close()
		return
	}
	if err != nil {
		_ = conn.Close()
		var e *Error
		if !errors.As(err, &e) {
			e = &Error{Code: wire.CodeProtocolError, Reason: err.Error(), Err: err}
		}
		l.refused(Refusal{Remote: conn.RemoteAddr().String(), Name: name, Err: e})
		return
	}
	select {
	case <-l.quit:
		lnk.CloseWith(&Error{Code: wire.CodeShuttingDown, Reason: "shutting down"})
		return
	default:
	}
	l.cfg.OnLink(lnk)
}

func (l *Listener) refused(r Refusal) {
	if l.cfg.OnRefused != nil {
		l.cfg.OnRefused(r)
	}
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
	}
	return string(code)
}

// handshake runs the acceptor's side. It returns the name from the peer's
// hello, when one was read, for the refusal report.
func (l *Listener) handshake(raw net.Conn) (*Link, string, error) {
	remote := raw.RemoteAddr().String()
	ip := netip.Addr{}
	if ta, ok := raw.RemoteAddr().(*net.TCPAddr); ok {
		ip = ta.AddrPort().Addr()
	}
	id := l.cfg.Identity
	ssl := l.opts.SSL

	// Sniff the first bytes: a TLS ClientHello, our plain magic, or
	// something else. This is how an SSL mismatch is told apart from
	// garbage in both directions.
	var first [1]byte
	if _, err := raw.Read(first[:]); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, "", errProbe
		}
		return nil, "", handshakeReadError(err, remote, "first bytes")
	}
	conn := raw
	var fingerprint string
	var exporter []byte
	switch {
	case first[0] == wire.TLSHandshakeByte && ssl:
		tc := tls.Server(&sniffedConn{Conn: raw, head: first[:]}, id.serverTLS())
		if err := tc.Handshake(); err != nil {
			if isTLSVersionError(err) {
				return nil, "", &Error{Code: wire.CodeProtocolError, Err: err,
					Reason: fmt.Sprintf("%s offered an older TLS version; only TLS 1.3 is accepted: upgrade it", remote)}
			}
			return nil, "", &Error{Code: wire.CodeProtocolError, Err: err, Reason: fmt.Sprintf("TLS handshake with %s failed: %v", remote, err)}
		}
		cs := tc.ConnectionState()
		if len(cs.PeerCertificates) == 0 {
			return nil, "", &Error{Code: wire.CodeProtocolError, Reason: remote + " presented no certificate"}
		}
		fingerprint = Fingerprint(cs.PeerCertificates[0].Raw)
		var err error
		if exporter, err = cs.ExportKeyingMaterial(auth.TLSExporterLabel, nil, 32); err != nil {
			return nil, "", &Error{Code: wire.CodeProtocolError, Reason: "TLS exporter failed", Err: err}
		}
		conn = tc
		if m, err := readMagic(conn); err != nil {
			return nil, "", handshakeReadError(err, remote, "hello")
		} else if string(m) != wire.Magic {
			return nil, "", &Error{Code: wire.CodeProtocolError, Reason: fmt.Sprintf("%s sent %s inside TLS", remote, looksLike(m))}
		}
	case first[0] == wire.TLSHandshakeByte && !ssl:
		writeClose(raw, true, wire.CodeSSLMismatch, "SSL is off at this end", 0)
		return nil, "", sslMismatch(false, remote)
	default:
		var rest [len(wire.Magic) - 1]byte
		n, err := io.ReadFull(raw, rest[:])
		head := append(first[:], rest[:n]...)
		if err != nil && len(head) < len(wire.Magic) {
			return nil, "", &Error{Code: wire.CodeProtocolError, Err: err, Reason: fmt.Sprintf("%s sent %s and closed", remote, looksLike(head))}
		}
		if string(head[:len(wire.Magic)]) != wire.Magic {
			return nil, "", &Error{Code: wire.CodeProtocolError, Reason: fmt.Sprintf("%s sent %s", remote, looksLike(head))}
		}
		if ssl {
			writeClose(raw, true, wire.CodeSSLMismatch, "SSL is on at this end", 0)
			return nil, "", sslMismatch(true, remote)
		}
	}
	// From here on a refusal is a proper close frame, after our magic
	// unless our hello (which carries it) went out already.
	helloSent := false
	refuse := func(name string, e *Error) (*Link, string, error) {
		peerReason := e.PeerReason
		if peerReason == "" {
			peerReason = genericPeerReason(e.Code)
		}
		writeClose(conn, !helloSent, e.Code, peerReason, e.RetryAfter)
		return nil, name, e
	}

	f, err := wire.ReadFrame(conn, wire.MaxPreAuthFrame)
	if err != nil {
		l.cfg.Limiter.Fail(ip, "")
		return nil, "", handshakeReadError(err, remote, "hello")
	}
	if f.Kind != wire.KindHello {
		l.cfg.Limiter.Fail(ip, "")
		return refuse("", &Error{Code: wire.CodeProtocolError, Reason: fmt.Sprintf("%s sent a %s before its hello", remote, f.Kind)})
	}
	hello, err := auth.ParseHello(f.Payload)
	if err != nil {
		l.cfg.Limiter.Fail(ip, "")
		return refuse("", &Error{Code: wire.CodeProtocolError, Err: err, Reason: fmt.Sprintf("%s sent an invalid hello: %v", remote, err)})
	}
	name := hello.Name
	peerHello := f.Payload // the exact bytes, for the transcript
	if retry, ok := l.cfg.Limiter.Check(ip, name); !ok {
		return refuse(name, &Error{Code: wire.CodeRateLimited, RetryAfter: retry, Reason: fmt.Sprintf(
			"%s (%s) was refused without checking its password: too many failed attempts from this address or for this name; it may retry in %s",
			remote, name, retry.Round(time.Second))})
	}
	peerRange := wire.VersionRange{Min: hello.VersionMin, Max: hello.VersionMax}
	version, ok := wire.Negotiate(wire.Local, peerRange)
	if !ok {
		reason := versionReason(id.Role, peerRange)
		return refuse(name, &Error{Code: wire.CodeVersionUnsupported, Reason: fmt.Sprintf("%s (%s): %s", remote, name, reason), PeerReason: reason})
	}
	if hello.Role != opposite(id.Role) {
		reason := fmt.Sprintf("this is %s; %s cannot link to it", aRole(id.Role), aRole(hello.Role))
		return refuse(name, &Error{Code: wire.CodeWrongRole, Reason: fmt.Sprintf("%s (%s) is %s: %s", remote, name, aRole(hello.Role), reason), PeerReason: reason})
	}
	if hello.Ssl != ssl {
		return refuse(name, sslMismatch(ssl, remote))
	}
	adm, err := l.cfg.Auth.Admit(hello, netip.AddrPortFrom(ip, 0), fingerprint)
	if err != nil {
		var e *Error
		if !errors.As(err, &e) {
			e = &Error{Code: wire.CodeProtocolError, Reason: err.Error(), Err: err}
		}
		if e.Code == wire.CodeUnknownSlave || e.Code == wire.CodeNameMismatch {
			// Guessing names is an attack too.
			l.cfg.Limiter.Fail(ip, name)
		}
		return refuse(name, e)
	}
	if peerKDF := auth.KDFFromPB(hello.Kdf); peerKDF != adm.KDF {
		return refuse(name, &Error{Code: wire.CodeAuthFailed, Reason: fmt.Sprintf(
			"%s (%s) derives its key with %s, this side with %s: set the password again on the side with the older setting", remote, name, peerKDF, adm.KDF),
			PeerReason: fmt.Sprintf("key parameters differ: this side uses %s", adm.KDF)})
	}

	mine := newHello(id, adm.Name, adm.KDF, ssl)
	myHello, frame, err := marshalFrame(wire.KindHello, mine)
	if err != nil {
		return nil, name, err
	}
	if _, err := conn.Write(append([]byte(wire.Magic), frame...)); err != nil {
		return nil, name, handshakeReadError(err, remote, "proof")
	}
	helloSent = true

	f, err = wire.ReadFrame(conn, wire.MaxPreAuthFrame)
	if err != nil {
		l.cfg.Limiter.Fail(ip, name)
		return nil, name, handshakeReadError(err, remote, "proof")
	}
	if f.Kind == wire.KindClose {
		// The dialer found something wrong with our hello (name, version)
		// and said so; its reason is for its user, ours is the same fact.
		e := remoteClose(f.Payload)
		e.Reason = fmt.Sprintf("%s (%s) gave up: %s", remote, name, e.Reason)
		return nil, name, e
	}
	var mac []byte
	if f.Kind == wire.KindProof {
		mac, err = auth.ParseProof(f.Payload)
	} else {
		err = fmt.Errorf("a %s instead of its proof", f.Kind)
	}
	transcript := auth.Transcript(peerHello, myHello, exporter)
	if err != nil || !auth.VerifyProof(adm.Key, hello.Role, transcript, mac) {
		l.cfg.Limiter.Fail(ip, name)
		reason := fmt.Sprintf("wrong management password from %s for %s: the password entered there does not match the one set here", remote, name)
		if err != nil {
			reason = fmt.Sprintf("%s (%s) sent an invalid proof: %v", remote, name, err)
		}
		return refuse(name, &Error{Code: wire.CodeAuthFailed, Reason: reason, Err: err})
	}
	l.cfg.Limiter.Succeed(ip, name)

	_, frame, err = marshalFrame(wire.KindWelcome, &pb.Welcome{
		Mac:         auth.ProofMAC(adm.Key, id.Role, transcript),
		Version:     version,
		HeartbeatMs: uint32(l.opts.Heartbeat / time.Millisecond),
		DeadAfterMs: uint32(l.opts.DeadAfter / time.Millisecond),
		MaxFrame:    wire.MaxFrame,
	})
	if err != nil {
		return nil, name, err
	}
	if _, err := conn.Write(frame); err != nil {
		return nil, name, handshakeReadError(err, remote, "welcome")
	}
	_ = raw.SetDeadline(time.Time{})
	return newLink(conn, Peer{
		Name:        hello.Name,
		Role:        hello.Role,
		InstallID:   hexID(hello.InstallId),
		BootID:      hexID(hello.BootId),
		Software:    hello.Software,
		Remote:      remote,
		SSL:         ssl,
		Fingerprint: fingerprint,
		Version:     version,
	}, l.opts.Heartbeat, l.opts.DeadAfter), name, nil
}
