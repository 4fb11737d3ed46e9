package auth

import (
	"crypto/rand"
	"errors"
	"fmt"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/lanyard/lanyard/core/wire"
	"github.com/lanyard/lanyard/core/wire/pb"
)

// Sizes of the handshake's fixed-length fields.
const (
	InstallIDSize = 16
	BootIDSize    = 16
	NonceSize     = 32
	MACSize       = 32 // HMAC-SHA256
)

// MaxSoftwareLen bounds the hello's free-text software field: it is only
// for logs, and a bound keeps a hostile peer from filling them.
const MaxSoftwareLen = 64

// NewNonce returns NonceSize fresh random bytes for a hello. Each side's
// nonce makes the transcript, and so every proof, unique to one connection.
func NewNonce() []byte {
	b := make([]byte, NonceSize)
	// Since Go 1.24 crypto/rand.Read never returns an error: it crashes the
	// program instead, which is right for a broken system RNG.
	_, _ = rand.Read(b)
	return b
}

// NewID returns 16 fresh random bytes, for install and boot IDs.
func NewID() [16]byte {
	var id [16]byte
	_, _ = rand.Read(id[:])
	return id
}

// ErrMalformed is matched (errors.Is) by every error ValidateHello and the
// Parse functions return, so core/link can answer protocol_error without
// knowing the individual checks.
var ErrMalformed = errors.New("malformed handshake message")

// FieldError says which field of which handshake message is wrong. Peer
// strings in Reason are quoted and shortened, so the error is safe to log
// locally; it is too detailed to send to an unauthenticated peer.
type FieldError struct {
	Message string // "hello", "proof" or "welcome"
	Field   string // the field's name in lanyard.proto, or "" for the whole message
	Reason  string
	Err     error // the underlying error, if any (e.g. from ValidateName)
}

func (e *FieldError) Error() string {
	if e.Field == "" {
		return e.Message + ": " + e.Reason
	}
	return e.Message + "." + e.Field + ": " + e.Reason
}

// Unwrap exposes the underlying error, e.g. ErrInvalidName.
func (e *FieldError) Unwrap() error { return e.Err }

// Is makes every FieldError match ErrMalformed.
func (e *FieldError) Is(target error) bool { return target == ErrMalformed }

func fieldErr(msg, field, format string, args ...any) *FieldError {
	return &FieldError{Message: msg, Field: field, Reason: fmt.Sprintf(format, args...)}
}

// HelloParams is what NewHello needs to know about the local end.
type HelloParams struct {
	Role      pb.Role
	Name      string // the slave's name: the agent's own, or the console entry's
	InstallID [InstallIDSize]byte
	BootID    [BootIDSize]byte
	SSL       bool
	KDF       KDFParams // the parameters the local K was derived with
	Software  string    // e.g. "lanyard-agent 0.1.0"
}

// NewHello builds this build's hello with a fresh nonce and the local
// version range, and checks it with ValidateHello, so a misconfigured local
// end fails here with a clear error instead of at the peer.
func NewHello(p HelloParams) (*pb.Hello, error) {
	h := &pb.Hello{
		Magic:      wire.HelloMagic,
		VersionMin: wire.Local.Min,
		VersionMax: wire.Local.Max,
		Role:       p.Role,
		Name:       p.Name,
		InstallId:  append([]byte(nil), p.InstallID[:]...),
		BootId:     append([]byte(nil), p.BootID[:]...),
		Nonce:      NewNonce(),
		Ssl:        p.SSL,
		Kdf:        p.KDF.PB(),
		Software:   p.Software,
	}
	if err := ValidateHello(h); err != nil {
		return nil, err
	}
	return h, nil
}

// ValidateHello checks a peer's hello before anything else is done with it:
// the magic, a sane version range (1 <= min <= max; overlap with ours is
// core/link's version_unsupported, which needs both ranges), a role that is
// MASTER or AGENT, a valid name, exact lengths of install_id, boot_id and
// nonce, KDF parameters present and within bounds, and a software string of
// at most 64 printable ASCII bytes.
//
// Whether the role is the one expected (wrong_role) and the name the one
// expected (name_mismatch) is for the caller, who knows what it expects.
//
// The error is a *FieldError naming the field; it is safe to log locally.
func ValidateHello(h *pb.Hello) error {
	const msg = "hello"
	if h == nil {
		return fieldErr(msg, "", "missing")
	}
	if h.Magic != wire.HelloMagic {
		return fieldErr(msg, "magic", "got %s, want %q", wire.Quote(h.Magic), wire.HelloMagic)
	}
	if h.VersionMin < 1 {
		return fieldErr(msg, "version_min", "is 0; versions start at 1")
	}
	if h.VersionMin > h.VersionMax {
		return fieldErr(msg, "version_max", "%d is below version_min %d", h.VersionMax, h.VersionMin)
	}
	if h.Role != pb.Role_ROLE_MASTER && h.Role != pb.Role_ROLE_AGENT {
		return fieldErr(msg, "role", "%s is neither ROLE_MASTER nor ROLE_AGENT", roleName(h.Role))
	}
	if err := ValidateName(h.Name); err != nil {
		return &FieldError{Message: msg, Field: "name", Reason: err.Error(), Err: err}
	}
	if err := exactLen(msg, "install_id", h.InstallId, InstallIDSize); err != nil {
		return err
	}
	if err := exactLen(msg, "boot_id", h.BootId, BootIDSize); err != nil {
		return err
	}
	if err := exactLen(msg, "nonce", h.Nonce, NonceSize); err != nil {
		return err
	}
	if h.Kdf == nil {
		return fieldErr(msg, "kdf", "missing; the peer must say how its key was derived")
	}
	if err := KDFFromPB(h.Kdf).Validate(); err != nil {
		return &FieldError{Message: msg, Field: "kdf", Reason: err.Error(), Err: err}
	}
	if len(h.EarlyProof) != 0 {
		if err := exactLen(msg, "early_proof", h.EarlyProof, MACSize); err != nil {
			return err
		}
	}
	if len(h.Software) > MaxSoftwareLen {
		return fieldErr(msg, "software", "%d bytes, at most %d are allowed", len(h.Software), MaxSoftwareLen)
	}
	for i := 0; i < len(h.Software); i++ {
		if c := h.Software[i]; c < 0x20 || c > 0x7e {
			// Printable ASCII only: it goes into logs and the UI verbatim,
			// where control or bidi characters could disguise a line.
			return fieldErr(msg, "software", "%s has a byte 0x%02x that is not printable ASCII",
				wire.Quote(h.Software), c)
		}
	}
	return nil
}

// earlyProofField is the early proof's field in an encoded hello, the
// tag and length before its MACSize bytes.
var earlyProofField = func() []byte {
	num := (&pb.Hello{}).ProtoReflect().Descriptor().Fields().ByName("early_proof").Number()
	return protowire.AppendVarint(protowire.AppendTag(nil, num, protowire.BytesType), MACSize)
}()

// AppendEarlyProof ends an encoded hello with the early proof, mac, as
// its last field. Appending a field to an encoded message is how protobuf
// merges: a peer that does not know the field reads the hello as before.
func AppendEarlyProof(hello, mac []byte) []byte {
	if len(mac) != MACSize {
		panic(fmt.Sprintf("auth.AppendEarlyProof: a MAC of %d bytes, want %d", len(mac), MACSize))
	}
	out := make([]byte, 0, len(hello)+len(earlyProofField)+MACSize)
	return append(append(append(out, hello...), earlyProofField...), mac...)
}

// SplitEarlyProof finds the early proof at the end of an encoded hello
// h was parsed from: the bytes the proof covers (all before its field)
// and the proof. It reports false when the hello carries no early proof,
// or carries one that is not its last field, as this build never sends:
// such a hello is answered as one without.
func SplitEarlyProof(hello []byte, h *pb.Hello) (signed, mac []byte, ok bool) {
	suffix := len(earlyProofField) + MACSize
	if len(h.GetEarlyProof()) != MACSize || len(hello) < suffix {
		return nil, nil, false
	}
	at := len(hello) - suffix
	signed, field, mac := hello[:at], hello[at:at+len(earlyProofField)], hello[at+len(earlyProofField):]
	if string(field) != string(earlyProofField) || string(mac) != string(h.EarlyProof) {
		return nil, nil, false
	}
	return signed, mac, true
}

func exactLen(msg, field string, b []byte, want int) error {
	if len(b) != want {
		return fieldErr(msg, field, "%d bytes, want exactly %d", len(b), want)
	}
	return nil
}

// roleName prints a role that came off the wire: the enum's name when it has
// one, its number otherwise.
func roleName(r pb.Role) string {
	if _, ok := pb.Role_name[int32(r)]; ok {
		return r.String()
	}
	return fmt.Sprintf("role %d", int32(r))
}

// checkSize refuses a payload over the pre-authentication frame limit before
// any decoding, whatever the caller's reader allowed.
func checkSize(msg string, payload []byte) error {
	if len(payload) > wire.MaxPreAuthFrame {
		return fieldErr(msg, "", "%d bytes, over the %d-byte limit before authentication",
			len(payload), wire.MaxPreAuthFrame)
	}
	return nil
}

func unmarshal(msg string, payload []byte, m proto.Message) error {
	if err := checkSize(msg, payload); err != nil {
		return err
	}
	if err := proto.Unmarshal(payload, m); err != nil {
		return &FieldError{Message: msg, Reason: "not a valid protobuf message: " + err.Error(), Err: err}
	}
	return nil
}

// ParseHello decodes and validates a hello frame's payload. Keep the payload
// itself: the transcript is over the bytes as sent, not a re-encoding.
// Unknown fields from a newer peer are kept and ignored.
func ParseHello(payload []byte) (*pb.Hello, error) {
	h := new(pb.Hello)
	if err := unmarshal("hello", payload, h); err != nil {
		return nil, err
	}
	if err := ValidateHello(h); err != nil {
		return nil, err
	}
	return h, nil
}

// ParseProof decodes a proof frame's payload and returns its MAC, which is
// exactly MACSize bytes.
func ParseProof(payload []byte) ([]byte, error) {
	p := new(pb.Proof)
	if err := unmarshal("proof", payload, p); err != nil {
		return nil, err
	}
	if err := exactLen("proof", "mac", p.Mac, MACSize); err != nil {
		return nil, err
	}
	return p.Mac, nil
}

// Bounds on the liveness settings a welcome may carry. Zero means "use the
// default" (core/link's, 15 s / 45 s).
const (
	MinHeartbeat = 50 * time.Millisecond // low enough for tests of dead-peer detection
	MaxHeartbeat = 10 * time.Minute
	// MinDeadAfter and MaxDeadAfter follow from the heartbeat bounds: a link
	// must survive at least one lost ping at the fastest heartbeat, and at
	// the slowest one.
	MinDeadAfter = 2 * MinHeartbeat
	MaxDeadAfter = 6 * MaxHeartbeat
)

// ParseWelcome decodes and validates a welcome frame's payload: mac exactly
// MACSize bytes, version at least 1, heartbeat 0 or 1 s..10 min, dead_after 0
// or 2 s..1 h and at least twice the heartbeat when both are set (so one lost
// ping does not kill a link), max_frame 0 or at least the pre-auth limit.
// Whether version is the one negotiated is for the caller.
func ParseWelcome(payload []byte) (*pb.Welcome, error) {
	const msg = "welcome"
	w := new(pb.Welcome)
	if err := unmarshal(msg, payload, w); err != nil {
		return nil, err
	}
	if err := exactLen(msg, "mac", w.Mac, MACSize); err != nil {
		return nil, err
	}
	if w.Version < 1 {
		return nil, fieldErr(msg, "version", "is 0; versions start at 1")
	}
	hb := time.Duration(w.HeartbeatMs) * time.Millisecond
	dead := time.Duration(w.DeadAfterMs) * time.Millisecond
	if w.HeartbeatMs != 0 && (hb < MinHeartbeat || hb > MaxHeartbeat) {
		return nil, fieldErr(msg, "heartbeat_ms", "%v is out of range %v..%v", hb, MinHeartbeat, MaxHeartbeat)
	}
	if w.DeadAfterMs != 0 && (dead < MinDeadAfter || dead > MaxDeadAfter) {
		return nil, fieldErr(msg, "dead_after_ms", "%v is out of range %v..%v", dead, MinDeadAfter, MaxDeadAfter)
	}
	if w.HeartbeatMs != 0 && w.DeadAfterMs != 0 && dead < 2*hb {
		return nil, fieldErr(msg, "dead_after_ms", "%v is less than twice the heartbeat %v", dead, hb)
	}
	if w.MaxFrame != 0 && w.MaxFrame < wire.MaxPreAuthFrame {
		// Larger than our own MaxFrame is fine: the sender never exceeds its
		// own limit anyway. Smaller than a handshake frame is nonsense.
		return nil, fieldErr(msg, "max_frame", "%d bytes is below the %d-byte minimum", w.MaxFrame, wire.MaxPreAuthFrame)
	}
	return w, nil
}
