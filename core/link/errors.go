package link

import (
	"errors"
	"fmt"
	"time"

	"github.com/lanyard/lanyard/core/wire"
)

// Error is why a handshake failed or a link closed. It carries the close
// code both ends agree on and a reason in plain words for the local user.
type Error struct {
	Code       wire.Code
	Reason     string        // plain words, safe to show and log locally
	PeerReason string        // what the peer is told; "" sends a generic text
	Remote     bool          // the peer sent this code; we did not decide it
	RetryAfter time.Duration // with CodeRateLimited: when to try again
	Err        error         // the underlying error, if any
}

func (e *Error) Error() string {
	msg := string(e.Code)
	if e.Reason != "" {
		msg += ": " + e.Reason
	}
	if e.Err != nil && e.Reason == "" {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// Is matches another *Error by code, so errors.Is(err, ErrAuthFailed)
// works whatever the reason text says.
func (e *Error) Is(target error) bool {
	var t *Error
	if errors.As(target, &t) {
		return t.Code == e.Code
	}
	return false
}

// Sentinels for errors.Is.
var (
	ErrSSLMismatch        = &Error{Code: wire.CodeSSLMismatch}
	ErrAuthFailed         = &Error{Code: wire.CodeAuthFailed}
	ErrUnknownSlave       = &Error{Code: wire.CodeUnknownSlave}
	ErrDuplicateLink      = &Error{Code: wire.CodeDuplicateLink}
	ErrVersionUnsupported = &Error{Code: wire.CodeVersionUnsupported}
	ErrManagementDisabled = &Error{Code: wire.CodeManagementDisabled}
	ErrNameMismatch       = &Error{Code: wire.CodeNameMismatch}
	ErrWrongRole          = &Error{Code: wire.CodeWrongRole}
	ErrRateLimited        = &Error{Code: wire.CodeRateLimited}
	ErrShuttingDown       = &Error{Code: wire.CodeShuttingDown}
	ErrCertChanged        = &Error{Code: wire.CodeCertChanged}
	ErrProtocol           = &Error{Code: wire.CodeProtocolError}
	ErrTimeout            = &Error{Code: wire.CodeTimeout}
)

// Refuse builds the error an Authenticator returns to turn a peer away.
func Refuse(code wire.Code, format string, args ...any) *Error {
	return &Error{Code: code, Reason: fmt.Sprintf(format, args...)}
}

// CodeOf returns the close code of err, or "" when err is not a link error.
func CodeOf(err error) wire.Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// DialCode is CodeOf for a failed dial: CodeDialFailed when err carries
// no code (the dial never reached a handshake).
func DialCode(err error) wire.Code {
	if code := CodeOf(err); code != "" {
		return code
	}
	return wire.CodeDialFailed
}

// ErrClosed is returned by operations on a link closed by this side.
var ErrClosed = errors.New("link closed")
