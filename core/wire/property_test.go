package wire_test

import (
	"bytes"
	"io"
	"testing"

	"pgregory.net/rapid"

	"github.com/lanyard/lanyard/core/wire"
)

// frameGen draws any frame WriteFrame accepts: every kind byte, known or
// not, any ID, and payloads mostly small with now and then one of the
// largest allowed.
func frameGen() *rapid.Generator[wire.Frame] {
	return rapid.Custom(func(t *rapid.T) wire.Frame {
		f := wire.Frame{
			Kind: wire.Kind(rapid.Uint8().Draw(t, "kind")),
			ID:   rapid.Uint64().Draw(t, "id"),
		}
		// Large payloads are rare: they cost time under -race, and the
		// table tests cover the exact limit.
		var size int
		switch class := rapid.IntRange(0, 31).Draw(t, "class"); {
		case class == 31:
			size = rapid.IntRange(maxPayload-16, maxPayload).Draw(t, "size")
		case class >= 24:
			size = rapid.IntRange(0, 4096).Draw(t, "size")
		default:
			size = rapid.IntRange(0, 64).Draw(t, "size")
		}
		if size > 0 {
			// Cheap for large sizes: one drawn byte pattern repeated.
			seed := rapid.SliceOfN(rapid.Byte(), 1, 32).Draw(t, "pattern")
			f.Payload = bytes.Repeat(seed, size/len(seed)+1)[:size]
		}
		return f
	})
}

func TestAnySequenceOfWrittenFramesReadsBackInOrder(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		frames := rapid.SliceOfN(frameGen(), 0, 8).Draw(t, "frames")
		var buf bytes.Buffer
		for _, f := range frames {
			if err := wire.WriteFrame(&buf, f); err != nil {
				t.Fatalf("WriteFrame(%s, %d bytes): %v", f.Kind, len(f.Payload), err)
			}
		}
		for i, want := range frames {
			got, err := wire.ReadFrame(&buf, wire.MaxFrame)
			if err != nil {
				t.Fatalf("frame %d: %v", i, err)
			}
			if got.Kind != want.Kind || got.ID != want.ID || !bytes.Equal(got.Payload, want.Payload) {
				t.Fatalf("frame %d: got %s/%d/%d bytes, want %s/%d/%d bytes", i,
					got.Kind, got.ID, len(got.Payload), want.Kind, want.ID, len(want.Payload))
			}
		}
		if _, err := wire.ReadFrame(&buf, wire.MaxFrame); err != io.EOF {
			t.Fatalf("after %d frames: err = %v, want io.EOF", len(frames), err)
		}
	})
}
