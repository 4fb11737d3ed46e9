package wire_test

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/lanyard/lanyard/core/wire"
)

// FuzzReadFrame feeds ReadFrame arbitrary bytes with the pre-auth limit, as
// a stranger's first frame would arrive. The seed corpus is in
// testdata/fuzz/FuzzReadFrame.
func FuzzReadFrame(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		r := bytes.NewReader(data)
		fr, err := wire.ReadFrame(r, wire.MaxPreAuthFrame)
		if err != nil {
			switch {
			case err == io.EOF:
				if len(data) != 0 {
					t.Fatalf("io.EOF after %d bytes: only an empty stream ends cleanly", len(data))
				}
			case err == io.ErrUnexpectedEOF,
				errors.Is(err, wire.ErrMalformedFrame),
				errors.Is(err, wire.ErrFrameTooLarge):
			default:
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		consumed := len(data) - r.Len()
		if consumed > wire.MaxPreAuthFrame+4 {
			t.Fatalf("consumed %d bytes, more than the limit allows", consumed)
		}
		if enc := wire.AppendFrame(nil, fr); !bytes.Equal(enc, data[:consumed]) {
			t.Fatalf("re-encoded frame %x differs from the %d bytes consumed %x", enc, consumed, data[:consumed])
		}
	})
}
