package link

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/lanyard/lanyard/core/auth"
	"github.com/lanyard/lanyard/core/wire"
	"github.com/lanyard/lanyard/core/wire/pb"
)

// Every behaviour runs over plain TCP and TLS, and with the console as the
// dialer (outbound) and as the acceptor (inbound).
type variant struct {
	ssl     bool
	inbound bool // the agent dials the console
}

func (v variant) String() string {
	s := "plain"
	if v.ssl {
		s = "tls"
	}
	if v.inbound {
		return s + "/inbound"
	}
	return s + "/outbound"
}

var variants = []variant{{false, false}, {true, false}, {false, true}, {true, true}}

// pair builds a listener and a dialer for a variant. The listening side
// knows password listenPW, the dialing side dialPW.
func pair(t *testing.T, v variant, listenPW, dialPW string) (*server, *Dialer, Target) {
	t.Helper()
	opts := Options{SSL: v.ssl}
	master, agent := newIdentity(t, pb.Role_ROLE_MASTER), newIdentity(t, pb.Role_ROLE_AGENT)
	if v.inbound {
		srv := startServer(t, master, opts, &slaveTable{name: "FS01", key: key(t, "FS01", listenPW)}, nil)
		return srv, &Dialer{Identity: agent, Options: opts},
			Target{Address: srv.addr(), Name: "FS01", Key: key(t, "FS01", dialPW), KDF: testKDF}
	}
	srv := startServer(t, agent, opts, &agentAuth{name: "FS01", key: key(t, "FS01", listenPW), management: true}, nil)
	return srv, &Dialer{Identity: master, Options: opts},
		Target{Address: srv.addr(), Name: "FS01", Key: key(t, "FS01", dialPW), KDF: testKDF}
}

// slaveTable admits agents by name, like the console's inbound entries.
type slaveTable struct {
	name string
	key  auth.Key
	next *Secret // nextkey.go
}

func (s *slaveTable) Admit(h *pb.Hello, _ netip.AddrPort, _ string) (Admission, error) {
	if !strings.EqualFold(h.Name, s.name) {
		return Admission{}, Refuse(wire.CodeUnknownSlave, "no inbound slave named %q", h.Name)
	}
	return Admission{Name: s.name, Key: s.key, KDF: testKDF, Next: s.next}, nil
}

func TestLinkComesUpAndAnswersRequests(t *testing.T) {
	for _, v := range variants {
		t.Run(v.String(), func(t *testing.T) {
			srv, d, target := pair(t, v, "secret", "secret")
			dialed, err := d.Dial(context.Background(), target)
			if err != nil {
				t.Fatal(err)
			}
			accepted := srv.nextLink(t)

			// Whoever dialed, the console sends requests and the agent answers.
			console, agentSide := dialed, accepted
			if v.inbound {
				console, agentSide = accepted, dialed
			}
			agentRec, consoleRec := newRecorder("FS01"), newRecorder("console")
			agentSide.Start(agentRec, nil)
			console.Start(consoleRec, nil)
			defer closeLink(console)

			var st pb.StatusResponse
			if err := console.Request(context.Background(), wire.MethodStatus, &pb.StatusRequest{}, &st); err != nil {
				t.Fatal(err)
			}
			if st.Hostname != "host-FS01" {
				t.Errorf("status hostname = %q", st.Hostname)
			}
			if err := agentSide.Notify("hello-event", nil); err != nil {
				t.Fatal(err)
			}
			if got := <-consoleRec.events; got != "hello-event" {
				t.Errorf("event = %q", got)
			}

			if !dialed.Peer().Dialed || accepted.Peer().Dialed {
				t.Error("Dialed flags wrong")
			}
			for _, l := range []*Link{dialed, accepted} {
				p := l.Peer()
				if p.Name != "FS01" || p.SSL != v.ssl || p.Version != wire.VersionMax {
					t.Errorf("peer = %+v", p)
				}
				if v.ssl != (p.Fingerprint != "") {
					t.Errorf("fingerprint %q with ssl=%v", p.Fingerprint, v.ssl)
				}
			}
			err = console.Request(context.Background(), "no-such-method", nil, nil)
			if re, ok := err.(*RequestError); !ok || re.Code != wire.ErrUnknownMethod {
				t.Errorf("unknown method: %v", err)
			}

			// Closing one end is seen at the other with the reason.
			console.Close(wire.CodeShuttingDown, "console stopping")
			select {
			case e := <-agentRec.closed:
				if e.Code != wire.CodeShuttingDown || !e.Remote {
					t.Errorf("agent saw close %+v", e)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("agent did not see the close")
			}
			if err := console.Close(wire.CodeNormal, "again"); err != nil {
				t.Error("second Close:", err)
			}
		})
	}
}

func TestWrongPasswordIsReportedOnBothSides(t *testing.T) {
	for _, v := range variants {
		t.Run(v.String(), func(t *testing.T) {
			srv, d, target := pair(t, v, "right", "wrong")
			_, err := d.Dial(context.Background(), target)
			e := wantCode(t, err, wire.CodeAuthFailed)
			if !e.Remote || !strings.Contains(e.Reason, "wrong management password") {
				t.Errorf("dialer reason: %q", e.Reason)
			}
			r := srv.nextRefusal(t, 5*time.Second)
			if r.Err.Code != wire.CodeAuthFailed || r.Name != "FS01" || !strings.Contains(r.Err.Reason, "wrong management password") {
				t.Errorf("listener refusal: %+v %v", r, r.Err)
			}
		})
	}
}

func TestSSLMismatchIsReportedOnBothSidesQuickly(t *testing.T) {
	for _, listenSSL := range []bool{true, false} {
		t.Run(fmt.Sprintf("listener-ssl=%v", listenSSL), func(t *testing.T) {
			agent := newIdentity(t, pb.Role_ROLE_AGENT)
			k := key(t, "FS01", "pw")
			srv := startServer(t, agent, Options{SSL: listenSSL}, &agentAuth{name: "FS01", key: k, management: true}, nil)
			d := &Dialer{Identity: newIdentity(t, pb.Role_ROLE_MASTER), Options: Options{SSL: !listenSSL}}
			start := time.Now()
			_, err := d.Dial(context.Background(), Target{Address: srv.addr(), Name: "FS01", Key: k, KDF: testKDF})
			e := wantCode(t, err, wire.CodeSSLMismatch)
			// Each end is told the safe way to match: SSL on where it is off.
			fix := map[bool]string{true: "turn SSL on there too", false: "turn SSL on here too"}
			for _, want := range []string{fmt.Sprintf("SSL is %s here but %s at", sslWord(!listenSSL), sslWord(listenSSL)), fix[!listenSSL]} {
				if !strings.Contains(e.Reason, want) {
					t.Errorf("dialer reason %q lacks %q", e.Reason, want)
				}
			}
			r := srv.nextRefusal(t, 2*time.Second)
			if r.Err.Code != wire.CodeSSLMismatch {
				t.Fatalf("listener: %v", r.Err)
			}
			// A plain hello names the slave it claims to be, and the
			// listener says so; a TLS ClientHello names none, and the
			// listener says that.
			wants := []string{"FS01, as it says, at 127.0.0.1:", "SSL is off there but on here", "turn SSL on there too"}
			wantName := "FS01"
			if !listenSSL {
				wants = []string{"SSL is off here but on at 127.0.0.1:", "carries no slave name", "turn SSL on here too"}
				wantName = ""
			}
			for _, want := range wants {
				if !strings.Contains(r.Err.Reason, want) {
					t.Errorf("listener reason %q lacks %q", r.Err.Reason, want)
				}
			}
			if r.Name != wantName {
				t.Errorf("refusal name = %q, want %q", r.Name, wantName)
			}
			if time.Since(start) > 2*time.Second {
				t.Errorf("mismatch took %s to report", time.Since(start))
			}
		})
	}
}

func TestTLS12IsRefused(t *testing.T) {
	srv := startServer(t, newIdentity(t, pb.Role_ROLE_AGENT), Options{SSL: true},
		&agentAuth{name: "FS01", key: key(t, "FS01", "pw"), management: true}, nil)
	client := newIdentity(t, pb.Role_ROLE_MASTER)
	c := tls.Client(rawDial(t, srv.addr()), &tls.Config{MaxVersion: tls.VersionTLS12,
		InsecureSkipVerify: true, Certificates: []tls.Certificate{client.Certificate}})
	if err := c.Handshake(); err == nil {
		t.Fatal("TLS 1.2 handshake succeeded")
	}
	r := srv.nextRefusal(t, 5*time.Second)
	if !strings.Contains(r.Err.Reason, "TLS 1.3") {
		t.Errorf("refusal reason %q does not say TLS 1.3 is required", r.Err.Reason)
	}
}

func TestChangedCertificateIsRefusedBeforeAnyProof(t *testing.T) {
	admitted := make(chan string, 1)
	srv := startServer(t, newIdentity(t, pb.Role_ROLE_AGENT), Options{SSL: true},
		&agentAuth{name: "FS01", key: key(t, "FS01", "pw"), management: true, admitted: admitted}, nil)
	d := &Dialer{Identity: newIdentity(t, pb.Role_ROLE_MASTER), Options: Options{SSL: true}}
	_, err := d.Dial(context.Background(), Target{Address: srv.addr(), Name: "FS01",
		Key: key(t, "FS01", "pw"), KDF: testKDF, PinnedCert: strings.Repeat("ab", 32)})
	e := wantCode(t, err, wire.CodeCertChanged)
	if !strings.Contains(e.Reason, "trust its new certificate") {
		t.Errorf("reason %q gives no fix", e.Reason)
	}
	srv.nextRefusal(t, 5*time.Second) // the listener saw the dialer hang up
	select {
	case <-admitted:
		t.Fatal("the dialer sent its hello to an unpinned certificate")
	default:
	}
}

// The agent's name is not told to a stranger: the dialer learns that the
// name it asked for is not the agent's, and the agent's own log has both.
func TestNameMismatchIsReportedWithoutRevealingTheName(t *testing.T) {
	srv := startServer(t, newIdentity(t, pb.Role_ROLE_AGENT), Options{},
		&agentAuth{name: "FS02", key: key(t, "FS02", "pw"), management: true}, nil)
	d := &Dialer{Identity: newIdentity(t, pb.Role_ROLE_MASTER)}
	_, err := d.Dial(context.Background(), Target{Address: srv.addr(), Name: "FS01", Key: key(t, "FS01", "pw"), KDF: testKDF})
	e := wantCode(t, err, wire.CodeNameMismatch)
	if strings.Contains(e.Reason, "FS02") || !strings.Contains(e.Reason, "is not named FS01") {
		t.Errorf("dialer reason %q: want the name it asked for, never the agent's", e.Reason)
	}
	r := srv.nextRefusal(t, 5*time.Second)
	if r.Err.Code != wire.CodeNameMismatch || !strings.Contains(r.Err.Reason, "FS01") || !strings.Contains(r.Err.Reason, "FS02") {
		t.Errorf("listener: %v", r.Err)
	}
}

func TestManagementDisabledIsSaidPlainly(t *testing.T) {
	srv := startServer(t, newIdentity(t, pb.Role_ROLE_AGENT), Options{},
		&agentAuth{name: "FS01", key: key(t, "FS01", "pw"), management: false}, nil)
	d := &Dialer{Identity: newIdentity(t, pb.Role_ROLE_MASTER)}
	_, err := d.Dial(context.Background(), Target{Address: srv.addr(), Name: "FS01", Key: key(t, "FS01", "pw"), KDF: testKDF})
	e := wantCode(t, err, wire.CodeManagementDisabled)
	if !strings.Contains(e.Reason, "does not accept remote management") {
		t.Errorf("reason %q", e.Reason)
	}
	srv.nextRefusal(t, 5*time.Second)
}

func TestTwoConsolesCannotLink(t *testing.T) {
	srv := startServer(t, newIdentity(t, pb.Role_ROLE_MASTER), Options{},
		&agentAuth{name: "FS01", key: key(t, "FS01", "pw"), management: true}, nil)
	d := &Dialer{Identity: newIdentity(t, pb.Role_ROLE_MASTER)}
	_, err := d.Dial(context.Background(), Target{Address: srv.addr(), Name: "FS01", Key: key(t, "FS01", "pw"), KDF: testKDF})
	wantCode(t, err, wire.CodeWrongRole)
	srv.nextRefusal(t, 5*time.Second)
}

// hello builds a raw hello as a hand-written client would.
func rawHello(t *testing.T, mutate func(*pb.Hello)) []byte {
	t.Helper()
	id := newIdentity(t, pb.Role_ROLE_MASTER)
	h := newHello(id, "FS01", testKDF, false)
	if mutate != nil {
		mutate(h)
	}
	payload, err := proto.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	return payload
}

func readClose(t *testing.T, c net.Conn) *pb.Close {
	t.Helper()
	m, err := readMagic(c)
	if err != nil || string(m) != wire.Magic {
		t.Fatalf("no magic before close: %q %v", m, err)
	}
	f, err := wire.ReadFrame(c, wire.MaxPreAuthFrame)
	if err != nil {
		t.Fatal(err)
	}
	if f.Kind != wire.KindClose {
		t.Fatalf("got %s, want close", f.Kind)
	}
	var cl pb.Close
	if err := proto.Unmarshal(f.Payload, &cl); err != nil {
		t.Fatal(err)
	}
	return &cl
}

func TestVersionUnsupportedNamesBothRanges(t *testing.T) {
	srv := startServer(t, newIdentity(t, pb.Role_ROLE_AGENT), Options{},
		&agentAuth{name: "FS01", key: key(t, "FS01", "pw"), management: true}, nil)
	c := rawDial(t, srv.addr())
	payload := rawHello(t, func(h *pb.Hello) { h.VersionMin, h.VersionMax = 5, 7 })
	_, _ = c.Write(append([]byte(wire.Magic), wire.AppendFrame(nil, wire.Frame{Kind: wire.KindHello, Payload: payload})...))
	cl := readClose(t, c)
	if cl.Code != string(wire.CodeVersionUnsupported) || !strings.Contains(cl.Reason, "v1") || !strings.Contains(cl.Reason, "v5–v7") {
		t.Errorf("close = %+v", cl)
	}
	r := srv.nextRefusal(t, 5*time.Second)
	if r.Err.Code != wire.CodeVersionUnsupported || !strings.Contains(r.Err.Reason, "v5–v7") {
		t.Errorf("refusal: %v", r.Err)
	}
}

func TestBadInputGetsALogLineAndAClose(t *testing.T) {
	hello := rawHello(t, nil)
	cases := []struct {
		name    string
		send    []byte
		halfway bool // close our side after sending
		want    string
	}{
		{"an HTTP request", []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), false, "HTTP request"},
		{"an SSH banner", []byte("SSH-2.0-OpenSSH_9.2\r\n"), false, "SSH client"},
		{"random bytes", []byte{0x01, 0x02, 0x03, 0x04, 0x05}, false, "not Lanyard"},
		{"an oversize length", append([]byte(wire.Magic), 0x7f, 0xff, 0xff, 0xff), false, "malformed or oversized"},
		{"a length below a header", append([]byte(wire.Magic), 0, 0, 0, 2), false, "malformed or oversized"},
		{"half a hello", append([]byte(wire.Magic), wire.AppendFrame(nil, wire.Frame{Kind: wire.KindHello, Payload: hello})[:20]...), true, "closed the connection"},
		{"a proof before a hello", append([]byte(wire.Magic), wire.AppendFrame(nil, wire.Frame{Kind: wire.KindProof, Payload: []byte{1}})...), false, "before its hello"},
		{"a hello that is not protobuf", append([]byte(wire.Magic), wire.AppendFrame(nil, wire.Frame{Kind: wire.KindHello, Payload: []byte{0xff, 0xff, 0xff}})...), false, "invalid hello"},
		{"a short nonce", append([]byte(wire.Magic), wire.AppendFrame(nil, wire.Frame{Kind: wire.KindHello,
			Payload: rawHello(t, func(h *pb.Hello) { h.Nonce = []byte{1} })})...), false, "invalid hello"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := startServer(t, newIdentity(t, pb.Role_ROLE_AGENT), Options{},
				&agentAuth{name: "FS01", key: key(t, "FS01", "pw"), management: true}, nil)
			c := rawDial(t, srv.addr())
			_, _ = c.Write(tc.send)
			if tc.halfway {
				_ = c.(*net.TCPConn).CloseWrite()
			}
			r := srv.nextRefusal(t, 5*time.Second)
			if !strings.Contains(r.Err.Reason, tc.want) {
				t.Errorf("refusal reason %q lacks %q", r.Err.Reason, tc.want)
			}
			// The listener hangs up; it never leaves us waiting.
			_, err := io.Copy(io.Discard, c)
			if err != nil {
				t.Logf("read after refusal: %v", err)
			}
		})
	}
}

// rawHandshake runs the dialer's side by hand up to sending proof.
func rawHandshake(t *testing.T, addr string, proofFor func(transcript []byte) []byte) (net.Conn, []byte) {
	t.Helper()
	c := rawDial(t, addr)
	hello := rawHello(t, nil)
	_, _ = c.Write(append([]byte(wire.Magic), wire.AppendFrame(nil, wire.Frame{Kind: wire.KindHello, Payload: hello})...))
	if _, err := readMagic(c); err != nil {
		t.Fatal(err)
	}
	f, err := wire.ReadFrame(c, wire.MaxPreAuthFrame)
	if err != nil || f.Kind != wire.KindHello {
		t.Fatalf("no hello: %v %v", f.Kind, err)
	}
	tr := auth.Transcript(hello, f.Payload, nil)
	mac := proofFor(tr)
	payload, _ := proto.Marshal(&pb.Proof{Mac: mac})
	_, _ = c.Write(wire.AppendFrame(nil, wire.Frame{Kind: wire.KindProof, Payload: payload}))
	return c, mac
}

func TestReplayedAndReflectedProofsAreRefused(t *testing.T) {
	k := key(t, "FS01", "pw")
	srv := startServer(t, newIdentity(t, pb.Role_ROLE_AGENT), Options{},
		&agentAuth{name: "FS01", key: k, management: true}, nil)

	// A genuine session, as a recorded conversation an attacker could have.
	c, recorded := rawHandshake(t, srv.addr(), func(tr []byte) []byte { return auth.ProofMAC(k, pb.Role_ROLE_MASTER, tr) })
	f, err := wire.ReadFrame(c, wire.MaxPreAuthFrame)
	if err != nil || f.Kind != wire.KindWelcome {
		t.Fatalf("genuine proof: %v %v", f.Kind, err)
	}
	closeLink(srv.nextLink(t))

	// Replayed into a new session: the acceptor's fresh nonce changes the
	// transcript, so the old proof no longer fits.
	c, _ = rawHandshake(t, srv.addr(), func([]byte) []byte { return recorded })
	if cl := readFrameClose(t, c); cl.Code != string(wire.CodeAuthFailed) {
		t.Errorf("replay: %+v", cl)
	}
	srv.nextRefusal(t, 5*time.Second)

	// Reflected: a MAC made for the acceptor's role is not a dialer's proof.
	c, _ = rawHandshake(t, srv.addr(), func(tr []byte) []byte { return auth.ProofMAC(k, pb.Role_ROLE_AGENT, tr) })
	if cl := readFrameClose(t, c); cl.Code != string(wire.CodeAuthFailed) {
		t.Errorf("reflection: %+v", cl)
	}
	srv.nextRefusal(t, 5*time.Second)
}

// readFrameClose reads a close frame (no magic: it has been read already).
func readFrameClose(t *testing.T, c net.Conn) *pb.Close {
	t.Helper()
	f, err := wire.ReadFrame(c, wire.MaxPreAuthFrame)
	if err != nil {
		t.Fatal(err)
	}
	if f.Kind != wire.KindClose {
		t.Fatalf("got %s, want close", f.Kind)
	}
	var cl pb.Close
	_ = proto.Unmarshal(f.Payload, &cl)
	return &cl
}

func TestFailuresAreRateLimitedBeforeTheProof(t *testing.T) {
	lim := auth.NewLimiter(auth.LimiterConfig{IPBurst: 2, NameBurst: 100})
	srv := startServer(t, newIdentity(t, pb.Role_ROLE_AGENT), Options{},
		&agentAuth{name: "FS01", key: key(t, "FS01", "right"), management: true}, lim)
	d := &Dialer{Identity: newIdentity(t, pb.Role_ROLE_MASTER)}
	target := Target{Address: srv.addr(), Name: "FS01", Key: key(t, "FS01", "wrong"), KDF: testKDF}
	for i := 0; i < 2; i++ {
		_, err := d.Dial(context.Background(), target)
		wantCode(t, err, wire.CodeAuthFailed)
		srv.nextRefusal(t, 5*time.Second)
	}
	_, err := d.Dial(context.Background(), target)
	e := wantCode(t, err, wire.CodeRateLimited)
	if e.RetryAfter <= 0 {
		t.Errorf("no retry-after: %+v", e)
	}
	// Even the right password is refused while the limit holds.
	target.Key = key(t, "FS01", "right")
	_, err = d.Dial(context.Background(), target)
	wantCode(t, err, wire.CodeRateLimited)
	srv.nextRefusal(t, 5*time.Second)
	srv.nextRefusal(t, 5*time.Second)
}

// The listener hands a link to its owner, which may take a moment to take
// it (the agent writes to its store). Closing the listener meanwhile, as a
// stopping agent or a settings change does, must leave that link open: it
// is the owner's to close, with its own reason (shutting_down), not
// "closed" because the listener still counted it as a handshake.
func TestAListenerClosedWhileItsOwnerTakesALinkLeavesThatLinkOpen(t *testing.T) {
	for _, ssl := range []bool{false, true} {
		t.Run(fmt.Sprintf("ssl=%v", ssl), func(t *testing.T) {
			opts := Options{SSL: ssl}
			master, agent := newIdentity(t, pb.Role_ROLE_MASTER), newIdentity(t, pb.Role_ROLE_AGENT)
			handed, release := make(chan *Link, 1), make(chan struct{})
			var ln *Listener
			stillPending := -1
			ln, err := Listen(ListenConfig{
				Address: "127.0.0.1:0", Identity: agent, Options: opts,
				Auth: &agentAuth{name: "FS01", key: key(t, "FS01", "secret"), management: true},
				OnLink: func(l *Link) {
					ln.mu.Lock()
					stillPending = len(ln.pending)
					ln.mu.Unlock()
					l.Start(newRecorder("FS01"), nil)
					handed <- l
					<-release
				},
			})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = ln.Close() })
			d := &Dialer{Identity: master, Options: opts}
			console, err := d.Dial(context.Background(), Target{Address: ln.Addr().String(), Name: "FS01", Key: key(t, "FS01", "secret"), KDF: testKDF})
			if err != nil {
				t.Fatal(err)
			}
			rec := newRecorder("console")
			console.Start(rec, nil)
			defer closeLink(console)
			var accepted *Link
			select {
			case accepted = <-handed:
			case <-time.After(10 * time.Second):
				t.Fatal("the listener handed out no link")
			}
			defer closeLink(accepted)
			if stillPending != 0 {
				t.Errorf("while its owner took the link the listener still held %d connection(s) to close", stillPending)
			}

			closed := make(chan error, 1)
			go func() { closed <- ln.Close() }()
			eventually(t, 10*time.Second, "the closed listener refuses new connections", func() bool {
				c, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second)
				if err != nil {
					return true
				}
				_ = c.Close()
				return false
			})
			close(release)
			select {
			case <-closed:
			case <-time.After(10 * time.Second):
				t.Fatal("Close did not return")
			}

			var st pb.StatusResponse
			if err := console.Request(context.Background(), wire.MethodStatus, &pb.StatusRequest{}, &st); err != nil {
				t.Fatalf("the link died with its listener: %v", err)
			}
			accepted.CloseWith(&Error{Code: wire.CodeShuttingDown, Reason: "the agent is shutting down"})
			select {
			case e := <-rec.closed:
				if e.Code != wire.CodeShuttingDown {
					t.Errorf("the console saw the link close with %s (%v), want shutting_down", e.Code, e)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("the console did not see the close")
			}
		})
	}
}

// Reconfigure changes SSL under a bound socket: the port is never let
// go, the links handed out stay up, a handshake begun under the old
// setting is aborted, and the next dialers meet the new setting.
func TestReconfigureSwitchesSSLWithoutLettingThePortGo(t *testing.T) {
	agent, master := newIdentity(t, pb.Role_ROLE_AGENT), newIdentity(t, pb.Role_ROLE_MASTER)
	k := key(t, "FS01", "pw")
	srv := startServer(t, agent, Options{}, &agentAuth{name: "FS01", key: k, management: true}, nil)
	target := Target{Address: srv.addr(), Name: "FS01", Key: k, KDF: testKDF}
	plain, tlsDialer := &Dialer{Identity: master}, &Dialer{Identity: master, Options: Options{SSL: true}}

	before, err := plain.Dial(context.Background(), target)
	if err != nil {
		t.Fatal(err)
	}
	defer closeLink(before)
	rec := newRecorder("console")
	before.Start(rec, nil)
	agentSide := srv.nextLink(t)
	agentSide.Start(newRecorder("FS01"), nil)
	defer closeLink(agentSide)

	// A dialer in the middle of its handshake: connected, hello not sent.
	midway := rawDial(t, srv.addr())
	srv.Reconfigure(Options{SSL: true})
	if !readUntilClosed(midway, time.Now().Add(10*time.Second)) {
		t.Error("a handshake begun without SSL was still open after the switch")
	}
	if r := srv.nextRefusal(t, 10*time.Second); r.Err.Code == "" {
		t.Errorf("the aborted handshake was reported without a code: %+v", r)
	}

	if _, err := plain.Dial(context.Background(), target); CodeOf(err) != wire.CodeSSLMismatch {
		t.Errorf("a plain dial after the switch: %v, want ssl_mismatch", err)
	}
	srv.nextRefusal(t, 10*time.Second)
	after, err := tlsDialer.Dial(context.Background(), target)
	if err != nil {
		t.Fatalf("a TLS dial after the switch: %v", err)
	}
	defer closeLink(after)
	if !after.Peer().SSL {
		t.Error("the new link is not TLS")
	}
	closeLink(srv.nextLink(t))

	// The link from before is the owner's to close: it still answers.
	var st pb.StatusResponse
	if err := before.Request(context.Background(), wire.MethodStatus, &pb.StatusRequest{}, &st); err != nil {
		t.Errorf("the link from before the switch: %v", err)
	}
}
