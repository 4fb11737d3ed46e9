package link

import (
	"bytes"
	"io"
	"net"
	"testing"

	"github.com/lanyard/lanyard/core/wire"
)

// A dial records what the listener answered until TLS is done, for
// tlsError: a plain listener's magic and close frame are kept, and a TLS
// answer, on every dial that succeeds, is not copied at all.
func TestARecordingKeepsOnlyAPlainAnswer(t *testing.T) {
	for _, tc := range []struct {
		name   string
		answer []byte
		kept   bool
	}{
		{"plain magic and a close frame", append([]byte(wire.Magic), wire.AppendFrame(nil, wire.Frame{Kind: wire.KindClose, Payload: []byte("x")})...), true},
		{"a TLS record", append([]byte{wire.TLSHandshakeByte, 3, 3, 0, 4}, "abcd"...), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ours, theirs := net.Pipe()
			defer ours.Close()
			go func() {
				_, _ = theirs.Write(tc.answer)
				_ = theirs.Close()
			}()
			rec := &recordingConn{Conn: ours}
			got, err := io.ReadAll(rec)
			if err != nil || !bytes.Equal(got, tc.answer) {
				t.Fatalf("read %q, %v through the recording; want %q", got, err, tc.answer)
			}
			head := rec.stop()
			if tc.kept && !bytes.Equal(head, tc.answer) {
				t.Errorf("recorded %q; want the whole plain answer %q", head, tc.answer)
			}
			if !tc.kept && len(head) != 0 {
				t.Errorf("recorded %d bytes of a TLS answer; want none", len(head))
			}
		})
	}
}
