package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"strconv"
	"strings"
	"syscall"
	"time"

	gomail "github.com/wneessen/go-mail"
	mailsmtp "github.com/wneessen/go-mail/smtp"

	"github.com/lanyard/lanyard/core/address"
	"github.com/lanyard/lanyard/core/human"
	"github.com/lanyard/lanyard/core/version"
	"github.com/lanyard/lanyard/core/wire"
)

// Message is one mail: a subject, a plain-text body and, optionally, an
// HTML alternative.
type Message struct {
	Subject string
	Text    string
	HTML    string
}

// Sender sends mail with a set of settings.
type Sender struct {
	Settings Settings
	Password string
	// TLSConfig, when set, checks the server's certificate (tests give a
	// private root); nil uses the system's roots and the server's name.
	TLSConfig *tls.Config
	Timeout   time.Duration // default 30 s
}

// maxRefusal is where a server's words are cut when shown.
const maxRefusal = 300

// Send sends msg to every recipient. A refusal names the step and quotes
// the server.
func (s *Sender) Send(ctx context.Context, msg Message) error {
	st := s.Settings
	if !st.Configured() {
		return errors.New("mail is not set up: give the SMTP server, a sender and a recipient (Remote Management Settings, or lanyard settings set --smtp-server …)")
	}
	hp, err := address.ParseDial(st.Server)
	if err != nil {
		return err
	}
	opts := []gomail.Option{gomail.WithPort(hp.Port), gomail.WithTimeout(cmpDur(s.Timeout, 30*time.Second)),
		gomail.WithoutNoop()}
	switch st.Security {
	case SecurityTLS:
		opts = append(opts, gomail.WithSSL())
	case SecurityNone:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	}
	tc := s.TLSConfig
	if tc == nil {
		tc = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	tc = tc.Clone()
	if tc.ServerName == "" {
		tc.ServerName = hp.Host
	}
	opts = append(opts, gomail.WithTLSConfig(tc))
	if st.User != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthPlain), gomail.WithUsername(st.User), gomail.WithPassword(s.Password))
	}
	c, err := gomail.NewClient(hp.Host, opts...)
	if err != nil {
		return fmt.Errorf("mail settings: %w", err)
	}
	m := gomail.NewMsg()
	if err := m.From(st.From); err != nil {
		return fmt.Errorf("sender %q: %w", st.From, err)
	}
	if err := m.To(st.To...); err != nil {
		return fmt.Errorf("recipients: %w", err)
	}
	m.Subject(msg.Subject)
	m.SetUserAgent("Lanyard " + version.String())
	m.SetDate()
	m.SetBodyString(gomail.TypeTextPlain, msg.Text)
	if msg.HTML != "" {
		m.AddAlternativeString(gomail.TypeTextHTML, msg.HTML)
	}
	// Dialed apart from the send, so that a failure before the mail
	// session began (unreached) is told apart from one in it.
	client, err := c.DialToSMTPClientWithContext(ctx)
	if err != nil {
		if e := unreached(st, cmpDur(s.Timeout, 30*time.Second), err); e != nil {
			return e
		}
		return failed(st, err)
	}
	err = c.SendWithSMTPClient(client, m)
	if cerr := c.CloseWithSMTPClient(client); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		return failed(st, err)
	}
	return nil
}

// failed words a mail session that failed: what to change when the
// server lacks what the settings ask of it, else its refusal.
func failed(st Settings, err error) error {
	if e := unsupported(st, err); e != nil {
		return e
	}
	return refusal(st.Server, err)
}

// unsupported words a mail session that failed because the server lacks
// what the settings ask of it (STARTTLS, a login) in what to change; nil
// for any other failure. The mail library words these without a type,
// so two are known by their words (a test pins them).
func unsupported(st Settings, err error) error {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "does not support STARTTLS"):
		return fmt.Errorf("%s does not offer STARTTLS: choose TLS if it is port 465, or none only for a relay inside your own network", st.Server)
	case errors.Is(err, mailsmtp.ErrUnencrypted):
		return fmt.Errorf("%s would be sent the mail password unencrypted, so it was not: choose STARTTLS (port 587) or TLS (port 465)", st.Server)
	case strings.Contains(msg, "does not support SMTP AUTH"):
		return fmt.Errorf("%s takes no login here (user %s): leave the user empty if it relays mail without one; most servers take a login only over STARTTLS or TLS",
			st.Server, wire.QuoteUpTo(st.User, 64))
	}
	return nil
}

// portAdvice is where mail servers take mail from a program like this one.
const portAdvice = "mail from programs goes to port 587 with STARTTLS, or to 465 with TLS"

// unreached words a dial that never began a mail session, in what to do
// rather than the network's terms; nil for any other failure.
func unreached(st Settings, timeout time.Duration, err error) error {
	var dnsErr *net.DNSError
	var ne net.Error
	var rhe tls.RecordHeaderError
	switch {
	case errors.As(err, &dnsErr) && dnsErr.IsNotFound:
		return fmt.Errorf("the mail server's name in %s is not found: check its spelling", st.Server)
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Errorf("nothing is listening on %s: check the mail server's address and port (%s)", st.Server, portAdvice)
	case errors.As(err, &rhe):
		return fmt.Errorf("%s does not answer with TLS: TLS is for port 465; for port 587 choose STARTTLS", st.Server)
	case errors.As(err, &ne) && ne.Timeout():
		return fmt.Errorf("%s did not answer as a mail server within %s: check the port (%s), or whether a firewall drops the connection",
			st.Server, human.Duration(timeout), portAdvice)
	case errors.Is(err, io.EOF):
		return fmt.Errorf("%s closed the connection before a mail session began: check the port (%s)", st.Server, portAdvice)
	}
	return nil
}

func cmpDur(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// refusal words a failed send: the server's own reply when it answered,
// quoted and cut.
func refusal(server string, err error) error {
	var tp *textproto.Error
	if errors.As(err, &tp) {
		return fmt.Errorf("the mail server %s refused: %s", server, wire.QuoteUpTo(strconv.Itoa(tp.Code)+" "+tp.Msg, maxRefusal))
	}
	var se *gomail.SendError
	if errors.As(err, &se) && se.ErrorCode() != 0 {
		return fmt.Errorf("the mail server %s refused: %s", server, wire.QuoteUpTo(se.Error(), maxRefusal))
	}
	return fmt.Errorf("could not send mail through %s: %s", server, wire.QuoteUpTo(err.Error(), maxRefusal))
}
