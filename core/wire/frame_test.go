package wire_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"testing"
	"testing/iotest"

	"github.com/lanyard/lanyard/core/wire"
)

// maxPayload is the largest payload a frame may carry after authentication.
const maxPayload = wire.MaxFrame - (wire.HeaderSize - 4)

// allKinds lists every kind this build knows.
var allKinds = []wire.Kind{
	wire.KindHello, wire.KindProof, wire.KindWelcome, wire.KindRequest,
	wire.KindResponse, wire.KindEvent, wire.KindChunk, wire.KindCancel,
	wire.KindPing, wire.KindPong, wire.KindClose, wire.KindCredit,
}

// lengthField encodes only a frame's length field.
func lengthField(n uint32) []byte { return binary.BigEndian.AppendUint32(nil, n) }

// header encodes a length field, a kind and an ID, with no payload.
func header(n uint32, k wire.Kind, id uint64) []byte {
	return binary.BigEndian.AppendUint64(append(lengthField(n), byte(k)), id)
}

func TestFrameRoundTrip(t *testing.T) {
	type tc struct {
		name  string
		frame wire.Frame
	}
	var cases []tc
	for _, k := range allKinds {
		cases = append(cases,
			tc{fmt.Sprintf("a %s frame with a payload comes back as it went", k), wire.Frame{Kind: k, ID: 42, Payload: []byte("payload of " + k.String())}},
			tc{fmt.Sprintf("a %s frame with no payload comes back as it went", k), wire.Frame{Kind: k, ID: 7}},
		)
	}
	big := bytes.Repeat([]byte{0xa5}, maxPayload)
	cases = append(cases,
		tc{"a frame of the largest allowed size comes back as it went", wire.Frame{Kind: wire.KindChunk, ID: 1, Payload: big}},
		tc{"a frame of an unknown kind comes back with its kind intact", wire.Frame{Kind: 200, ID: 3, Payload: []byte{1, 2, 3}}},
		tc{"an ID of zero comes back as zero", wire.Frame{Kind: wire.KindPing}},
		tc{"the largest ID comes back whole", wire.Frame{Kind: wire.KindResponse, ID: ^uint64(0), Payload: []byte("x")}},
	)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			enc := wire.AppendFrame(nil, c.frame)
			if want := wire.HeaderSize + len(c.frame.Payload); len(enc) != want {
				t.Fatalf("encoded %d bytes, want %d", len(enc), want)
			}
			if got := binary.BigEndian.Uint32(enc); int(got) != len(enc)-4 {
				t.Fatalf("length field %d does not count the %d bytes after it", got, len(enc)-4)
			}
			r := bytes.NewReader(enc)
			got, err := wire.ReadFrame(r, wire.MaxFrame)
			if err != nil {
				t.Fatal(err)
			}
			assertFrame(t, got, c.frame)
			if r.Len() != 0 {
				t.Fatalf("%d bytes left unread", r.Len())
			}
			// The same bytes dribbled in one at a time make the same frame.
			got, err = wire.ReadFrame(iotest.OneByteReader(bytes.NewReader(enc)), wire.MaxFrame)
			if err != nil {
				t.Fatalf("one byte at a time: %v", err)
			}
			assertFrame(t, got, c.frame)
		})
	}
}

func assertFrame(t *testing.T, got, want wire.Frame) {
	t.Helper()
	if got.Kind != want.Kind || got.ID != want.ID || !bytes.Equal(got.Payload, want.Payload) {
		t.Fatalf("got kind %s id %d payload %d bytes, want kind %s id %d payload %d bytes",
			got.Kind, got.ID, len(got.Payload), want.Kind, want.ID, len(want.Payload))
	}
}

func TestAppendFrameKeepsWhatIsAlreadyInTheBuffer(t *testing.T) {
	dst := []byte("prefix")
	out := wire.AppendFrame(dst, wire.Frame{Kind: wire.KindEvent, ID: 9, Payload: []byte("e")})
	if !bytes.HasPrefix(out, []byte("prefix")) {
		t.Fatalf("prefix lost: %q", out)
	}
	f, err := wire.ReadFrame(bytes.NewReader(out[len("prefix"):]), wire.MaxFrame)
	if err != nil {
		t.Fatal(err)
	}
	assertFrame(t, f, wire.Frame{Kind: wire.KindEvent, ID: 9, Payload: []byte("e")})
}

func TestReadFrameOwnsNoCallerMemory(t *testing.T) {
	enc := wire.AppendFrame(nil, wire.Frame{Kind: wire.KindRequest, ID: 1, Payload: []byte("abc")})
	f, err := wire.ReadFrame(bytes.NewReader(enc), wire.MaxFrame)
	if err != nil {
		t.Fatal(err)
	}
	enc[wire.HeaderSize] = 'X'
	if string(f.Payload) != "abc" {
		t.Fatalf("payload %q changed with the input buffer", f.Payload)
	}
}

// tripwire serves data but fails the test, and the read, if asked for a
// byte at or past limit: it proves how far ReadFrame reads.
type tripwire struct {
	t     *testing.T
	data  []byte
	limit int
	off   int
}

var errTripped = errors.New("read past the tripwire")

func (r *tripwire) Read(p []byte) (int, error) {
	if r.off >= r.limit {
		r.t.Errorf("ReadFrame read past byte %d", r.limit)
		return 0, errTripped
	}
	n := copy(p, r.data[r.off:min(r.limit, len(r.data))])
	r.off += n
	return n, nil
}

func TestReadFrameRefusesBadLengthsBeforeReadingTheBody(t *testing.T) {
	// Each stream goes on with plenty of bytes, so only the length field
	// can stop ReadFrame; the tripwire sits right after the header.
	body := bytes.Repeat([]byte{0xee}, wire.MaxFrame+64)
	cases := []struct {
		name   string
		length uint32
		max    int
		want   error
	}{
		{"a length of zero is malformed", 0, wire.MaxFrame, wire.ErrMalformedFrame},
		{"a length of eight is one byte short of a header and malformed", 8, wire.MaxFrame, wire.ErrMalformedFrame},
		{"a length one above the pre-auth limit is too large", wire.MaxPreAuthFrame + 1, wire.MaxPreAuthFrame, wire.ErrFrameTooLarge},
		{"a length one above the frame limit is too large", wire.MaxFrame + 1, wire.MaxFrame, wire.ErrFrameTooLarge},
		{"the largest length field is too large", ^uint32(0), wire.MaxFrame, wire.ErrFrameTooLarge},
		{"a negative limit admits nothing", 9, -1, wire.ErrFrameTooLarge},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			data := append(lengthField(c.length), body...)
			r := &tripwire{t: t, data: data, limit: wire.HeaderSize}
			_, err := wire.ReadFrame(r, c.max)
			if !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
			if errors.Is(err, errTripped) {
				t.Fatal("the tripwire error leaked out")
			}
		})
	}
}

func TestReadFrameAcceptsLengthsAtTheLimits(t *testing.T) {
	cases := []struct {
		name   string
		length uint32
		max    int
	}{
		{"a length of nine is a header with an empty payload", 9, wire.MaxPreAuthFrame},
		{"a length equal to the pre-auth limit is allowed", wire.MaxPreAuthFrame, wire.MaxPreAuthFrame},
		{"a length equal to the frame limit is allowed", wire.MaxFrame, wire.MaxFrame},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			data := append(header(c.length, wire.KindChunk, 5), make([]byte, c.length-9)...)
			f, err := wire.ReadFrame(bytes.NewReader(data), c.max)
			if err != nil {
				t.Fatal(err)
			}
			if len(f.Payload) != int(c.length)-9 {
				t.Fatalf("payload %d bytes, want %d", len(f.Payload), c.length-9)
			}
		})
	}
}

func TestReadFrameTellsACleanEndFromACutFrame(t *testing.T) {
	whole := wire.AppendFrame(nil, wire.Frame{Kind: wire.KindRequest, ID: 77, Payload: []byte("hello, agent")})
	cases := []struct {
		name string
		data []byte
		want error
	}{
		{"an empty stream is a clean end", nil, io.EOF},
		{"one byte of a length field is a cut frame", whole[:1], io.ErrUnexpectedEOF},
		{"three bytes of a length field is a cut frame", whole[:3], io.ErrUnexpectedEOF},
		{"a length field alone is a cut frame", whole[:4], io.ErrUnexpectedEOF},
		{"a header cut inside the ID is a cut frame", whole[:9], io.ErrUnexpectedEOF},
		{"a whole header without its payload is a cut frame", whole[:wire.HeaderSize], io.ErrUnexpectedEOF},
		{"a payload one byte short is a cut frame", whole[:len(whole)-1], io.ErrUnexpectedEOF},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := wire.ReadFrame(bytes.NewReader(c.data), wire.MaxFrame)
			if err != c.want { // exactly, not wrapped: callers compare with ==
				t.Fatalf("err = %v, want %v", err, c.want)
			}
		})
	}
}

func TestReadFramePassesOtherReadErrorsThrough(t *testing.T) {
	boom := errors.New("connection reset")
	whole := wire.AppendFrame(nil, wire.Frame{Kind: wire.KindEvent, ID: 1, Payload: []byte("body")})
	for _, cut := range []int{0, 2, 4, wire.HeaderSize, len(whole) - 1} {
		t.Run(fmt.Sprintf("an error after %d bytes is returned as is", cut), func(t *testing.T) {
			r := io.MultiReader(bytes.NewReader(whole[:cut]), iotest.ErrReader(boom))
			if _, err := wire.ReadFrame(r, wire.MaxFrame); !errors.Is(err, boom) {
				t.Fatalf("err = %v, want %v", err, boom)
			}
		})
	}
}

func TestReadFrameReadsOneFrameAndNoMore(t *testing.T) {
	a := wire.Frame{Kind: wire.KindPing, ID: 1, Payload: []byte("a")}
	b := wire.Frame{Kind: wire.KindPong, ID: 2, Payload: []byte("bb")}
	r := bytes.NewReader(wire.AppendFrame(wire.AppendFrame(nil, a), b))
	for _, want := range []wire.Frame{a, b} {
		got, err := wire.ReadFrame(r, wire.MaxFrame)
		if err != nil {
			t.Fatal(err)
		}
		assertFrame(t, got, want)
	}
	if _, err := wire.ReadFrame(r, wire.MaxFrame); err != io.EOF {
		t.Fatalf("after the last frame: err = %v, want io.EOF", err)
	}
}

// countingWriter counts Write calls.
type countingWriter struct {
	bytes.Buffer
	writes int
}

func (w *countingWriter) Write(p []byte) (int, error) {
	w.writes++
	return w.Buffer.Write(p)
}

func TestWriteFrame(t *testing.T) {
	cases := []struct {
		name    string
		payload int
		wantErr error
	}{
		{"an empty payload is written in one call", 0, nil},
		{"a small payload is written in one call", 100, nil},
		{"the largest payload is written in one call", maxPayload, nil},
		{"a payload one byte over the limit is refused and nothing is written", maxPayload + 1, wire.ErrFrameTooLarge},
		{"a payload far over the limit is refused and nothing is written", 4 * wire.MaxFrame, wire.ErrFrameTooLarge},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var w countingWriter
			f := wire.Frame{Kind: wire.KindChunk, ID: 11, Payload: bytes.Repeat([]byte{'z'}, c.payload)}
			err := wire.WriteFrame(&w, f)
			if !errors.Is(err, c.wantErr) {
				t.Fatalf("err = %v, want %v", err, c.wantErr)
			}
			if c.wantErr != nil {
				if w.writes != 0 || w.Len() != 0 {
					t.Fatalf("%d writes, %d bytes after a refusal", w.writes, w.Len())
				}
				return
			}
			if w.writes != 1 {
				t.Fatalf("%d Write calls, want 1", w.writes)
			}
			if !bytes.Equal(w.Bytes(), wire.AppendFrame(nil, f)) {
				t.Fatal("WriteFrame and AppendFrame disagree")
			}
		})
	}
}

func TestWriteFrameReturnsTheWritersError(t *testing.T) {
	boom := errors.New("broken pipe")
	err := wire.WriteFrame(failingWriter{boom}, wire.Frame{Kind: wire.KindPing})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want %v", err, boom)
	}
}

type failingWriter struct{ err error }

func (w failingWriter) Write([]byte) (int, error) { return 0, w.err }

func TestKind(t *testing.T) {
	cases := []struct {
		kind  wire.Kind
		name  string
		known bool
	}{
		{0, "kind(0)", false},
		{wire.KindHello, "hello", true},
		{wire.KindProof, "proof", true},
		{wire.KindWelcome, "welcome", true},
		{wire.KindRequest, "request", true},
		{wire.KindResponse, "response", true},
		{wire.KindEvent, "event", true},
		{wire.KindChunk, "chunk", true},
		{wire.KindCancel, "cancel", true},
		{wire.KindPing, "ping", true},
		{wire.KindPong, "pong", true},
		{wire.KindClose, "close", true},
		{wire.KindCredit, "credit", true},
		{13, "kind(13)", false},
		{255, "kind(255)", false},
	}
	for _, c := range cases {
		verb := "is known"
		if !c.known {
			verb = "is unknown"
		}
		t.Run(fmt.Sprintf("kind %d is called %s and %s", uint8(c.kind), c.name, verb), func(t *testing.T) {
			if got := c.kind.String(); got != c.name {
				t.Errorf("String() = %q, want %q", got, c.name)
			}
			if got := c.kind.Known(); got != c.known {
				t.Errorf("Known() = %v, want %v", got, c.known)
			}
		})
	}
}

func TestEveryKnownKindHasAName(t *testing.T) {
	for k := 0; k < 256; k++ {
		kind := wire.Kind(k)
		if kind.Known() && kind.String() == fmt.Sprintf("kind(%d)", k) {
			t.Errorf("kind %d is known but has no name", k)
		}
		if !kind.Known() && kind.String() != fmt.Sprintf("kind(%d)", k) {
			t.Errorf("kind %d is unknown but is called %q", k, kind)
		}
	}
	if len(allKinds) != int(wire.KindCredit) {
		t.Fatalf("allKinds lists %d kinds; update it", len(allKinds))
	}
}
