// Package smtptest is a real SMTP server on loopback for tests
// (github.com/emersion/go-smtp): it keeps every message it accepts, can
// require a login, offer STARTTLS, or refuse recipients with a given
// reply, and stops when the test ends.
package smtptest

import (
	"crypto/tls"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Message is one accepted mail.
type Message struct {
	From string
	To   []string
	Data string // headers and body as received
}

// Subject is the message's Subject header, decoded.
func (m Message) Subject() string {
	msg, err := mail.ReadMessage(strings.NewReader(m.Data))
	if err != nil {
		return ""
	}
	s, err := new(mimeDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		return msg.Header.Get("Subject")
	}
	return s
}

// Text is the message's plain text, decoded: the text/plain part of a
// multipart message, or the body of a plain one ("" when it cannot be
// read).
func (m Message) Text() string {
	msg, err := mail.ReadMessage(strings.NewReader(m.Data))
	if err != nil {
		return ""
	}
	media, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || !strings.HasPrefix(media, "multipart/") {
		return decoded(msg.Body, msg.Header.Get("Content-Transfer-Encoding"))
	}
	parts := multipart.NewReader(msg.Body, params["boundary"])
	for {
		part, err := parts.NextPart() // decodes quoted-printable itself
		if err != nil {
			return ""
		}
		if strings.HasPrefix(part.Header.Get("Content-Type"), "text/plain") {
			return decoded(part, part.Header.Get("Content-Transfer-Encoding"))
		}
	}
}

// decoded reads r, undoing a quoted-printable transfer encoding.
func decoded(r io.Reader, encoding string) string {
	if strings.EqualFold(encoding, "quoted-printable") {
		r = quotedprintable.NewReader(r)
	}
	b, _ := io.ReadAll(r)
	return string(b)
}

// Options shape the server.
type Options struct {
	User, Password string      // when set, mail needs this login
	TLS            *tls.Config // when set, STARTTLS is offered
	// RefuseRcpt, when set, refuses every recipient with this reply.
	RefuseRcpt *smtp.SMTPError
}

// Server is a running test server.
type Server struct {
	Addr string
	srv  *smtp.Server
	o    Options

	mu       sync.Mutex
	messages []Message
	arrived  chan struct{}
}

// Start starts a server on 127.0.0.1; it stops when t ends.
func Start(t testing.TB, o Options) *Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Addr: ln.Addr().String(), o: o, arrived: make(chan struct{}, 64)}
	s.srv = smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &session{s: s}, nil }))
	s.srv.Domain = "localhost"
	s.srv.AllowInsecureAuth = true
	s.srv.TLSConfig = o.TLS
	s.srv.ReadTimeout, s.srv.WriteTimeout = 10*time.Second, 10*time.Second
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = s.srv.Serve(ln)
	}()
	t.Cleanup(func() {
		_ = s.srv.Close()
		<-done
	})
	return s
}

// Messages is every message accepted so far.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.messages...)
}

// Wait waits until a message satisfying ok has arrived, or fails t.
func (s *Server) Wait(t testing.TB, what string, ok func(Message) bool) Message {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		for _, m := range s.Messages() {
			if ok(m) {
				return m
			}
		}
		select {
		case <-s.arrived:
		case <-deadline:
			t.Fatalf("no mail %s arrived; got %d others", what, len(s.Messages()))
		}
	}
}

type session struct {
	s      *Server
	authed bool
	msg    Message
}

func (x *session) AuthMechanisms() []string {
	if x.s.o.User == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (x *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pw string) error {
		if user != x.s.o.User || pw != x.s.o.Password {
			return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "Authentication credentials invalid"}
		}
		x.authed = true
		return nil
	}), nil
}

func (x *session) Mail(from string, _ *smtp.MailOptions) error {
	if x.s.o.User != "" && !x.authed {
		return &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Authentication required"}
	}
	x.msg = Message{From: from}
	return nil
}

func (x *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if x.s.o.RefuseRcpt != nil {
		return x.s.o.RefuseRcpt
	}
	x.msg.To = append(x.msg.To, to)
	return nil
}

func (x *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	x.msg.Data = string(b)
	x.s.mu.Lock()
	x.s.messages = append(x.s.messages, x.msg)
	x.s.mu.Unlock()
	select {
	case x.s.arrived <- struct{}{}:
	default:
	}
	return nil
}

func (x *session) Reset()        { x.msg = Message{} }
func (x *session) Logout() error { return nil }

var _ smtp.AuthSession = (*session)(nil)
