package link

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/lanyard/lanyard/core/auth"
	"github.com/lanyard/lanyard/core/wire"
)

// Step is one stage of a connection diagnosis.
type Step struct {
	Name string // "name lookup", "TCP", "SSL", "hello", "version", "password"
	OK   bool
	// Skipped: not checked, for want of what to check it with (no
	// password given); OK too, as nothing failed.
	Skipped bool
	Detail  string // what was found
	Fix     string // on failure: what to do, in plain words
	// Command is the command the fix says to run, when it names one
	// whole, for a Copy button.
	Command string
}

// DiagnoseOptions describe the link to test.
type DiagnoseOptions struct {
	Address  string // host:port
	Identity *Identity
	Options  Options
	// Target, when set with a name and key, runs the full handshake and
	// checks the password. Without it the probe introduces itself under a
	// name no agent has, so nothing is learned about the password.
	Target *Target
	// PinnedCert is the certificate the peer at Address must present (the
	// one pinned for it, or given by a person): a diagnosis sends no proof
	// to anything else. It overrides Target's. TrustFix is the command
	// that trusts a new one, for the message.
	PinnedCert string
	TrustFix   string
	// Unchecked says why there is no Target, for the password step a
	// diagnosis without one skips: "no password given" when empty.
	Unchecked string
}

// probeName is the name a password-less diagnosis asks for.
const probeName = "lanyard-diagnose"

// IsDiagnoseProbe reports whether a hello's name is the one a diagnosis
// without a password introduces itself with: a console refuses it as an
// unknown slave (which tells the diagnosis a console answered), but need
// not take it for a stranger asking to be added.
func IsDiagnoseProbe(name string) bool { return strings.EqualFold(name, probeName) }

// Diagnose tests a link step by step: name lookup, TCP, SSL, hello,
// version, password. It reports each step as it finishes and returns
// whether all the steps it ran passed. It stops at the first failure.
func Diagnose(ctx context.Context, o DiagnoseOptions, report func(Step)) bool {
	opts := o.Options.withDefaults()
	host, port, err := net.SplitHostPort(o.Address)
	if err != nil {
		report(Step{Name: "address", Detail: err.Error(), Fix: "give the address as HOST:PORT, for example 10.0.0.4:16888"})
		return false
	}
	if !lookUp(ctx, host, opts, report) {
		return false
	}
	// TCP, SSL, hello, version and password, from one real handshake: a
	// separate TCP probe would only add a connection the peer has to log.
	t := Target{Address: o.Address, Name: probeName, KDF: auth.DefaultKDF}
	withPassword := o.Target != nil && o.Target.Name != ""
	if withPassword {
		t = *o.Target
		t.Address = o.Address
	}
	if o.PinnedCert != "" {
		t.PinnedCert, t.TrustFix = o.PinnedCert, o.TrustFix
	}
	d := &Dialer{Identity: o.Identity, Options: o.Options}
	l, err := d.Dial(ctx, t)
	var le *Error
	errors.As(err, &le)
	if CodeOf(err) == wire.CodeDialFailed {
		report(Step{Name: "TCP", Detail: Brief(le) + ": " + le.Err.Error(), Fix: le.Reason})
		return false
	}
	report(Step{Name: "TCP", OK: true, Detail: fmt.Sprintf("connected to %s:%s", host, port)})
	if l != nil {
		l.CloseWith(&Error{Code: wire.CodeNormal, Reason: "diagnosis complete"})
	}
	reason := ""
	if le != nil {
		reason = le.Reason
	} else if err != nil {
		reason = err.Error()
	}
	if !reportTransport(opts.SSL, le, reason, report) {
		return false
	}
	return reportAuthentication(err, reason, withPassword, t, cmp.Or(o.Unchecked, "no password given"), report)
}

// lookUp is the name lookup step.
func lookUp(ctx context.Context, host string, opts Options, report func(Step)) bool {
	if ip := net.ParseIP(host); ip != nil {
		report(Step{Name: "name lookup", OK: true, Detail: host + " is an IP address; nothing to look up"})
		return true
	}
	lctx, cancel := context.WithTimeout(ctx, opts.HandshakeTimeout)
	addrs, err := net.DefaultResolver.LookupHost(lctx, host)
	cancel()
	if err != nil {
		report(Step{Name: "name lookup", Detail: err.Error(),
			Fix: fmt.Sprintf("check the spelling of %q, or use the machine's IP address (static IPs are best)", host)})
		return false
	}
	report(Step{Name: "name lookup", OK: true, Detail: fmt.Sprintf("the name %s resolves to %s", host, strings.Join(addrs, ", "))})
	return true
}

// reportTransport reports the SSL, hello and version steps from the
// handshake's outcome; false when one of them failed.
func reportTransport(ssl bool, le *Error, reason string, report func(Step)) bool {
	sslStep := Step{Name: "SSL", OK: true, Detail: "SSL is " + sslWord(ssl) + " at both ends"}
	code := wire.Code("")
	if le != nil {
		code = le.Code
	}
	switch code {
	case wire.CodeSSLMismatch:
		report(Step{Name: "SSL", Detail: reason, Fix: fmt.Sprintf("turn SSL %s at the other end, or %s here: both ends must match", sslWord(ssl), sslWord(!ssl))})
		return false
	case wire.CodeCertChanged:
		report(Step{Name: "SSL", Detail: reason, Fix: "if the peer was reinstalled, trust its new certificate; otherwise find out what answers at this address (no password was sent to it)"})
		return false
	case wire.CodeNotLanyard:
		// Not a step of the handshake failed, but the handshake itself:
		// whether SSL matches cannot be told.
		report(Step{Name: "hello", Detail: reason, Fix: fmt.Sprintf(
			"another program listens on this port: check the port number (Lanyard's own is %d), and that the agent or console runs there", DefaultPort)})
		return false
	case wire.CodeProtocolError, wire.CodeTimeout:
		if ssl && le.Err != nil && !errors.Is(le.Err, net.ErrClosed) && code == wire.CodeProtocolError && strings.Contains(reason, "TLS") {
			report(Step{Name: "SSL", Detail: reason, Fix: "the peer does not speak TLS 1.3 as Lanyard does; check the address and that it runs Lanyard"})
			return false
		}
		report(sslStep)
		fix := "this address does not answer like Lanyard: check the port, and that the agent or console there is running"
		if errors.Is(le, ErrAltered) {
			fix = "turn SSL on at both ends: a firewall or proxy that inspects traffic can neither read nor change an SSL link"
		}
		report(Step{Name: "hello", Detail: reason, Fix: fix})
		return false
	}
	report(sslStep)
	report(Step{Name: "hello", OK: true, Detail: "a Lanyard peer answered"})
	if code == wire.CodeVersionUnsupported {
		report(Step{Name: "version", Detail: reason, Fix: "upgrade the older side so both speak a common protocol version"})
		return false
	}
	report(Step{Name: "version", OK: true, Detail: "protocol " + wire.Local.String() + " is supported at both ends"})
	return true
}

// reportAuthentication is the password step of the handshake with t.
func reportAuthentication(err error, reason string, withPassword bool, t Target, unchecked string, report func(Step)) bool {
	notChecked := "not checked (" + unchecked + "); "
	switch code := CodeOf(err); {
	case err == nil:
		report(Step{Name: "password", OK: true, Detail: "the password matches; the link works"})
		return true
	case code == wire.CodeAuthFailed:
		// The reason's advice is the fix's, said once.
		report(Step{Name: "password", Detail: "wrong management password: the other end refused it", Fix: "enter the same management password on the console and on the agent (lanyard-agent password set); check its spelling and keyboard layout"})
	case code == wire.CodeNameMismatch && !withPassword:
		report(Step{Name: "password", OK: true, Skipped: true, Detail: notChecked + "an agent answered"})
		return true
	case code == wire.CodeNameMismatch:
		report(Step{Name: "password", Detail: fmt.Sprintf("the agent at %s is not named %s, and the name is part of the password check", t.Address, t.Name),
			Fix: "give the entry the agent's own name, which lanyard-agent status prints on that server"})
	case code == wire.CodeWrongRole && !withPassword:
		report(Step{Name: "password", OK: true, Skipped: true, Detail: notChecked + reason})
		return true
	case code == wire.CodeUnknownSlave && !withPassword:
		report(Step{Name: "password", OK: true, Skipped: true, Detail: notChecked + "a console answered"})
		return true
	case code == wire.CodeUnknownSlave:
		report(Step{Name: "password", Detail: reason,
			Fix: fmt.Sprintf("on that console add %s as an inbound slave with this server's password (Add Slave, or lanyard slave add %s --inbound --password-stdin), or check this server's name", t.Name, t.Name)})
	case code == wire.CodeManagementDisabled:
		report(Step{Name: "password", Detail: "the agent does not accept remote management", Fix: "on that server run: lanyard-agent set management on"})
	case code == wire.CodeRateLimited:
		report(Step{Name: "password", Detail: reason, Fix: "wait, then try again with the right password"})
	default:
		report(Step{Name: "password", Detail: reason, Fix: "see the Remote Management Log on both ends for details"})
	}
	return false
}
