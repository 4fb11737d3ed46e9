package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Magic opens every Lanyard stream in both directions. A TLS listener that
// reads it knows the peer has SSL off; a TLS client that finds it in a
// record header knows the listener has SSL off.
const Magic = "LNYD"

// TLSHandshakeByte is the first byte of a TLS ClientHello record.
const TLSHandshakeByte = 0x16

const (
	// HeaderSize is the length field, the kind and the ID.
	HeaderSize = 4 + 1 + 8
	// MaxPreAuthFrame bounds every frame read before authentication.
	MaxPreAuthFrame = 4 << 10
	// MaxFrame bounds every frame after authentication; bulk data is
	// streamed in chunks well below it.
	MaxFrame = 1 << 20
	// MaxChunk bounds a stream chunk's payload, so that a chunk frame
	// stays under 16 KiB and no reader's buffer grows past that.
	MaxChunk = 16<<10 - 256
	// StreamWindow is how many chunks of one stream may be on their way
	// before the receiver grants more with KindCredit.
	StreamWindow = 4
	// minBody is kind + id: the smallest legal value of the length field.
	minBody = 1 + 8
)

// Kind says what a frame carries.
type Kind uint8

// Frame kinds. Hello, Proof and Welcome are only valid during the handshake;
// Close is valid at any time.
const (
	KindHello    Kind = 1
	KindProof    Kind = 2
	KindWelcome  Kind = 3
	KindRequest  Kind = 4
	KindResponse Kind = 5
	KindEvent    Kind = 6
	KindChunk    Kind = 7
	KindCancel   Kind = 8
	KindPing     Kind = 9
	KindPong     Kind = 10
	KindClose    Kind = 11
	// KindCredit lets the sender of a stream send one more chunk: the
	// receiver sends one for each chunk it has consumed (same ID).
	KindCredit Kind = 12
)

var kindNames = [...]string{
	KindHello: "hello", KindProof: "proof", KindWelcome: "welcome",
	KindRequest: "request", KindResponse: "response", KindEvent: "event",
	KindChunk: "chunk", KindCancel: "cancel", KindPing: "ping",
	KindPong: "pong", KindClose: "close", KindCredit: "credit",
}

func (k Kind) String() string {
	if int(k) < len(kindNames) && kindNames[k] != "" {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Known reports whether this version of Lanyard understands the kind. A
// frame of an unknown kind from a newer peer is skipped, not fatal.
func (k Kind) Known() bool { return k >= KindHello && k <= KindCredit }

// Frame is one unit on the wire.
type Frame struct {
	Kind    Kind
	ID      uint64
	Payload []byte
}

// ErrFrameTooLarge reports a length field above the reader's limit. The
// stream cannot be resynchronised after it.
var ErrFrameTooLarge = errors.New("frame larger than allowed")

// ErrMalformedFrame reports a length field too small to hold a frame header.
var ErrMalformedFrame = errors.New("malformed frame")

// ReadFrame reads one frame whose length field is at most max. The payload
// is freshly allocated and owned by the caller. An error other than io.EOF
// means the stream is unusable.
func ReadFrame(r io.Reader, max int) (Frame, error) {
	var hdr [HeaderSize]byte
	if _, err := io.ReadFull(r, hdr[:4]); err != nil {
		return Frame{}, err
	}
	n := binary.BigEndian.Uint32(hdr[:4])
	if n < minBody {
		return Frame{}, fmt.Errorf("%w: length %d is shorter than a header", ErrMalformedFrame, n)
	}
	// Compared as int64: a negative max must refuse every frame, not turn
	// into a huge unsigned limit.
	if int64(n) > int64(max) {
		return Frame{}, fmt.Errorf("%w: %d bytes, limit %d", ErrFrameTooLarge, n, max)
	}
	if _, err := io.ReadFull(r, hdr[4:]); err != nil {
		return Frame{}, unexpected(err)
	}
	f := Frame{Kind: Kind(hdr[4]), ID: binary.BigEndian.Uint64(hdr[5:])}
	if n > minBody {
		f.Payload = make([]byte, n-minBody)
		if _, err := io.ReadFull(r, f.Payload); err != nil {
			return Frame{}, unexpected(err)
		}
	}
	return f, nil
}

// unexpected turns a clean EOF inside a frame into io.ErrUnexpectedEOF.
func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// AppendFrame appends the encoded frame to dst.
func AppendFrame(dst []byte, f Frame) []byte {
	dst = binary.BigEndian.AppendUint32(dst, uint32(minBody+len(f.Payload)))
	dst = append(dst, byte(f.Kind))
	dst = binary.BigEndian.AppendUint64(dst, f.ID)
	return append(dst, f.Payload...)
}

// WriteFrame writes f with a single Write call.
func WriteFrame(w io.Writer, f Frame) error {
	if minBody+len(f.Payload) > MaxFrame {
		return fmt.Errorf("%w: %d bytes, limit %d", ErrFrameTooLarge, minBody+len(f.Payload), MaxFrame)
	}
	_, err := w.Write(AppendFrame(make([]byte, 0, HeaderSize+len(f.Payload)), f))
	return err
}
