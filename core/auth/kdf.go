package auth

import (
	"crypto/subtle"
	"errors"
	"fmt"

	"golang.org/x/crypto/argon2"

	"github.com/lanyard/lanyard/core/wire/pb"
)

// KDFParams are the Argon2id parameters a key was derived with. They are
// stored beside the key and sent in the hello, so a later version can raise
// them without breaking peers that still hold keys derived with older ones.
type KDFParams struct {
	Time      uint32 // passes over memory
	MemoryKiB uint32 // memory in KiB
	Threads   uint32 // lanes
}

// DefaultKDF is RFC 9106's second recommended parameter set (§4: 3 passes,
// 64 MiB, 4 lanes), meant for machines where the larger first set is too
// heavy. It costs well under a second here, once, when a password is
// entered; it is never run per connection.
var DefaultKDF = KDFParams{Time: 3, MemoryKiB: 64 * 1024, Threads: 4}

// Bounds on KDF parameters. They come from the peer's hello, so they must
// bound what a hostile peer could make us allocate should a caller ever
// derive from them, and must refuse parameters too weak to matter.
const (
	MinKDFTime      = 1
	MaxKDFTime      = 16
	MinKDFMemoryKiB = 8 * 1024
	MaxKDFMemoryKiB = 4 * 1024 * 1024
	MinKDFThreads   = 1
	MaxKDFThreads   = 64 // also keeps the value inside argon2's uint8
)

// Validate reports whether p is within sane bounds: Time 1..16, MemoryKiB
// 8 MiB..4 GiB, Threads 1..64. The error names the field.
func (p KDFParams) Validate() error {
	switch {
	case p.Time < MinKDFTime || p.Time > MaxKDFTime:
		return fmt.Errorf("argon2id time (passes) %d is out of range %d..%d", p.Time, MinKDFTime, MaxKDFTime)
	case p.MemoryKiB < MinKDFMemoryKiB || p.MemoryKiB > MaxKDFMemoryKiB:
		return fmt.Errorf("argon2id memory %s is out of range %s..%s",
			kib(p.MemoryKiB), kib(MinKDFMemoryKiB), kib(MaxKDFMemoryKiB))
	case p.Threads < MinKDFThreads || p.Threads > MaxKDFThreads:
		return fmt.Errorf("argon2id threads (lanes) %d is out of range %d..%d", p.Threads, MinKDFThreads, MaxKDFThreads)
	}
	return nil
}

// PB converts p to its wire form.
func (p KDFParams) PB() *pb.KDFParams {
	return &pb.KDFParams{Time: p.Time, MemoryKib: p.MemoryKiB, Threads: p.Threads}
}

// KDFFromPB converts the wire form back. A nil message gives the zero
// KDFParams, which Validate refuses, so a missing field cannot slip through
// as "use some default".
func KDFFromPB(m *pb.KDFParams) KDFParams {
	return KDFParams{Time: m.GetTime(), MemoryKiB: m.GetMemoryKib(), Threads: m.GetThreads()}
}

// String gives the form used in logs and the UI: "argon2id t=3 m=64MiB p=4".
func (p KDFParams) String() string {
	return fmt.Sprintf("argon2id t=%d m=%s p=%d", p.Time, kib(p.MemoryKiB), p.Threads)
}

// kib prints a size in KiB in the largest unit that shows it exactly.
func kib(n uint32) string {
	switch {
	case n != 0 && n%(1024*1024) == 0:
		return fmt.Sprintf("%dGiB", n/(1024*1024))
	case n != 0 && n%1024 == 0:
		return fmt.Sprintf("%dMiB", n/1024)
	}
	return fmt.Sprintf("%dKiB", n)
}

// KeySize is the length of a derived key: a full HMAC-SHA256 key.
const KeySize = 32

// Key is K, the secret both ends of a slave's links hold. It is an array so
// it copies by value and compares with ==; use Equal where timing matters.
type Key [KeySize]byte

// String keeps K out of logs: fmt's %v, %s, %x and %q print this instead of
// the bytes. Use k[:] where the bytes are really wanted (the store).
func (k Key) String() string { return "auth.Key(redacted)" }

// GoString does the same for %#v.
func (k Key) GoString() string { return "auth.Key(redacted)" }

// Equal compares two keys in constant time.
func (k Key) Equal(o Key) bool { return subtle.ConstantTimeCompare(k[:], o[:]) == 1 }

// IsZero reports whether k is all zeros: an unset key, never a derived one.
func (k Key) IsZero() bool { return k == Key{} }

// saltPrefix versions the salt: a future scheme uses a new prefix, so its
// keys can never coincide with these.
const saltPrefix = "lanyard/v1/"

// ErrEmptyPassword is returned by DeriveKey for an empty password.
var ErrEmptyPassword = errors.New("the management password is empty")

// DeriveKey computes K = Argon2id(password, salt = "lanyard/v1/" +
// lower(slaveName), p), 32 bytes. The name is the salt, so each slave's key
// is distinct even when passwords are reused, and lower-casing it keeps
// "FS01" and "fs01" one slave, as everywhere else.
//
// It validates the name, the password (non-empty) and p before spending the
// memory. It is slow by design (tens of milliseconds to seconds): call it
// when a password is entered, never per connection.
func DeriveKey(password []byte, slaveName string, p KDFParams) (Key, error) {
	if err := ValidateName(slaveName); err != nil {
		return Key{}, err
	}
	if len(password) == 0 {
		return Key{}, ErrEmptyPassword
	}
	if err := p.Validate(); err != nil {
		return Key{}, err
	}
	var k Key
	copy(k[:], argon2.IDKey(password, kdfSalt(slaveName), p.Time, p.MemoryKiB, uint8(p.Threads), KeySize))
	return k, nil
}

func kdfSalt(slaveName string) []byte { return []byte(saltPrefix + NormalizeName(slaveName)) }
