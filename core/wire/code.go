package wire

// Code names why a link was refused or closed. Codes travel as strings so a
// code from a newer peer is still printable.
type Code string

// Close codes, DESIGN §2.
const (
	CodeSSLMismatch        Code = "ssl_mismatch"
	CodeAuthFailed         Code = "auth_failed"
	CodeUnknownSlave       Code = "unknown_slave"
	CodeDuplicateLink      Code = "duplicate_link"
	CodeVersionUnsupported Code = "version_unsupported"
	CodeManagementDisabled Code = "management_disabled"
	CodeNameMismatch       Code = "name_mismatch"
	CodeWrongRole          Code = "wrong_role"
	CodeRateLimited        Code = "rate_limited"
	CodeShuttingDown       Code = "shutting_down"
	CodeCertChanged        Code = "cert_changed"
	CodeProtocolError      Code = "protocol_error"
	CodeTimeout            Code = "timeout"
	CodeRemoved            Code = "removed"
	CodeNormal             Code = "normal"
	CodeDisabled           Code = "disabled" // the console's user disconnected this slave
	CodeDuplicateInstall   Code = "duplicate_install"

	// CodeDialFailed is the event of a dial that never reached a
	// handshake. It never travels on the wire.
	CodeDialFailed Code = "dial_failed"
	// CodeSharedInstall is the event of two running agents of one
	// installation (a cloned server): the console keeps one and refuses
	// the other, which hears duplicate_install. It never travels on the
	// wire.
	CodeSharedInstall Code = "shared_install"
	// CodeNotLanyard is the event of a dial answered by another program
	// (a web or SSH server at the address and port given). It never
	// travels on the wire: there is no Lanyard peer to tell.
	CodeNotLanyard Code = "not_lanyard"
)

// NeedsPerson reports whether a link refused or closed with c stays down
// until a person fixes something (a password, SSL on one end, a name, a
// certificate, a version, a setting): the peer is shown in error, and
// retrying alone will not help. Any other code is something time may fix.
func (c Code) NeedsPerson() bool {
	switch c {
	case CodeAuthFailed, CodeSSLMismatch, CodeCertChanged, CodeVersionUnsupported, CodeNameMismatch,
		CodeManagementDisabled, CodeWrongRole, CodeUnknownSlave, CodeProtocolError, CodeDuplicateInstall,
		CodeSharedInstall, CodeNotLanyard:
		return true
	}
	return false
}

// Words names c in a few plain words, for a server's row in a tree or a
// list ("wrong password", "not Lanyard"); "" for a code that needs none
// (normal, removed, disabled) or one from a newer peer.
func (c Code) Words() string {
	switch c {
	case CodeAuthFailed:
		return "wrong password"
	case CodeSSLMismatch:
		return "SSL setting differs"
	case CodeCertChanged:
		return "certificate changed"
	case CodeDuplicateInstall:
		return "another installation"
	case CodeSharedInstall:
		return "a copy of this server"
	case CodeNameMismatch:
		return "name differs"
	case CodeManagementDisabled:
		return "management is off"
	case CodeVersionUnsupported:
		return "incompatible version"
	case CodeUnknownSlave:
		return "not set up"
	case CodeWrongRole:
		return "wrong role"
	case CodeNotLanyard:
		return "not Lanyard"
	case CodeProtocolError:
		return "protocol error"
	case CodeRateLimited:
		return "too many attempts"
	case CodeTimeout:
		return "timed out"
	case CodeDuplicateLink:
		return "already linked"
	case CodeShuttingDown:
		return "peer shut down"
	case CodeDialFailed:
		return "unreachable"
	}
	return ""
}

// Response error codes.
const (
	ErrUnknownMethod = "unknown_method"
	ErrBadRequest    = "bad_request"
	ErrInternal      = "internal"
	ErrBusy          = "busy" // the link serves as many requests as it may; try again
)

// Known reports whether c is one of the codes above. A code from a newer
// peer is shown as the peer's words (Quote), never taken for one of ours.
func (c Code) Known() bool {
	switch c {
	case CodeSSLMismatch, CodeAuthFailed, CodeUnknownSlave, CodeDuplicateLink, CodeVersionUnsupported,
		CodeManagementDisabled, CodeNameMismatch, CodeWrongRole, CodeRateLimited, CodeShuttingDown,
		CodeCertChanged, CodeProtocolError, CodeTimeout, CodeRemoved, CodeNormal, CodeDisabled, CodeDuplicateInstall:
		return true
	}
	return false
}
