package auth

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"testing"

	"pgregory.net/rapid"

	"github.com/lanyard/lanyard/core/wire/pb"
)

func TestTranscriptMatchesItsSpecification(t *testing.T) {
	d, a, x := []byte("dialer"), []byte("acceptor"), []byte("exporter")
	var in []byte
	in = append(in, "lanyard-v1 transcript"...)
	for _, p := range [][]byte{d, a, x} {
		in = binary.BigEndian.AppendUint32(in, uint32(len(p)))
		in = append(in, p...)
	}
	want := sha256.Sum256(in)
	if got := Transcript(d, a, x); !bytes.Equal(got, want[:]) || len(got) != TranscriptSize {
		t.Fatalf("Transcript = %x, want %x", got, want)
	}
	if !bytes.Equal(Transcript(d, a, nil), Transcript(d, a, []byte{})) {
		t.Error("nil and empty exporters differ; both mean SSL off")
	}
}

// The early transcript is encoded as the transcript, under its own label:
// an early proof can never pass for a proof after both hellos.
func TestEarlyTranscriptMatchesItsSpecification(t *testing.T) {
	d, x := []byte("dialer"), []byte("exporter")
	var in []byte
	in = append(in, "lanyard-v1 early transcript"...)
	for _, p := range [][]byte{d, x} {
		in = binary.BigEndian.AppendUint32(in, uint32(len(p)))
		in = append(in, p...)
	}
	want := sha256.Sum256(in)
	if got := EarlyTranscript(d, x); !bytes.Equal(got, want[:]) {
		t.Fatalf("EarlyTranscript = %x, want %x", got, want)
	}
	if bytes.Equal(EarlyTranscript(d, x), Transcript(d, nil, x)) || bytes.Equal(EarlyTranscript(d, x), Transcript(d, x, nil)) {
		t.Error("an early transcript equals a transcript of the same parts")
	}
	if bytes.Equal(EarlyTranscript(d, x), EarlyTranscript(d, []byte("another session"))) {
		t.Error("the early transcript does not depend on the TLS session")
	}
}

func TestTranscriptDiffersWhenAnyPartChanges(t *testing.T) {
	base := Transcript([]byte("ab"), []byte("cd"), []byte("ef"))
	tests := []struct {
		name    string
		d, a, x string
	}{
		{"a changed dialer hello", "aX", "cd", "ef"},
		{"a changed acceptor hello", "ab", "cX", "ef"},
		{"a changed exporter", "ab", "cd", "eX"},
		{"no exporter (SSL off)", "ab", "cd", ""},
		{"swapped hellos", "cd", "ab", "ef"},
		{"a byte moved from the dialer's hello to the acceptor's", "a", "bcd", "ef"},
		{"a byte moved from the acceptor's hello to the exporter", "ab", "c", "def"},
		{"everything in the dialer's part", "abcdef", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if bytes.Equal(Transcript([]byte(tt.d), []byte(tt.a), []byte(tt.x)), base) {
				t.Fatal("transcript did not change")
			}
		})
	}
}

// Any two different splits of any byte strings into three parts give
// different transcripts: the length prefixes make the encoding injective.
func TestTranscriptIsInjectiveOverPartBoundaries(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := rapid.SliceOfN(rapid.Byte(), 0, 64).Draw(t, "bytes")
		cut := func(label string) (int, int) {
			i := rapid.IntRange(0, len(s)).Draw(t, label+"1")
			j := rapid.IntRange(i, len(s)).Draw(t, label+"2")
			return i, j
		}
		i1, j1 := cut("first")
		i2, j2 := cut("second")
		// A second string, sometimes equal to the first, so that both
		// "same bytes, other split" and "other bytes" are covered.
		s2 := s
		if rapid.Bool().Draw(t, "other bytes") {
			s2 = rapid.SliceOfN(rapid.Byte(), len(s), len(s)).Draw(t, "bytes2")
		}
		t1 := Transcript(s[:i1], s[i1:j1], s[j1:])
		t2 := Transcript(s2[:i2], s2[i2:j2], s2[j2:])
		same := i1 == i2 && j1 == j2 && bytes.Equal(s, s2)
		if same != bytes.Equal(t1, t2) {
			t.Fatalf("splits (%d,%d) of %x and (%d,%d) of %x: same=%v but transcripts equal=%v",
				i1, j1, s, i2, j2, s2, same, !same)
		}
	})
}

func TestProofVerification(t *testing.T) {
	k := mustDerive(t, "pw", "fs01", fastKDF)
	other := mustDerive(t, "pw2", "fs01", fastKDF)
	tr := Transcript([]byte("hello d"), []byte("hello a"), nil)
	otherTr := Transcript([]byte("hello d"), []byte("hello a'"), nil)
	mac := ProofMAC(k, pb.Role_ROLE_MASTER, tr)
	if len(mac) != MACSize {
		t.Fatalf("mac is %d bytes", len(mac))
	}
	tests := []struct {
		name string
		k    Key
		role pb.Role
		tr   []byte
		mac  []byte
		want bool
	}{
		{"the right key, role and transcript verify", k, pb.Role_ROLE_MASTER, tr, mac, true},
		{"a wrong key fails", other, pb.Role_ROLE_MASTER, tr, mac, false},
		{"the other role fails, so a proof cannot be reflected", k, pb.Role_ROLE_AGENT, tr, mac, false},
		{"another transcript fails, so a proof cannot be replayed into another session", k, pb.Role_ROLE_MASTER, otherTr, mac, false},
		{"a truncated mac fails", k, pb.Role_ROLE_MASTER, tr, mac[:MACSize-1], false},
		{"an empty mac fails", k, pb.Role_ROLE_MASTER, tr, nil, false},
		{"a mac with a flipped bit fails", k, pb.Role_ROLE_MASTER, tr, flip(mac), false},
		{"an invalid role fails instead of panicking", k, pb.Role(257), tr, mac, false},
		{"the unspecified role fails", k, pb.Role_ROLE_UNSPECIFIED, tr, mac, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := VerifyProof(tt.k, tt.role, tt.tr, tt.mac); got != tt.want {
				t.Fatalf("VerifyProof = %v, want %v", got, tt.want)
			}
		})
	}
	if bytes.Equal(ProofMAC(k, pb.Role_ROLE_MASTER, tr), ProofMAC(k, pb.Role_ROLE_AGENT, tr)) {
		t.Error("the master's and the agent's proofs over one transcript are equal")
	}
}

func flip(b []byte) []byte {
	c := bytes.Clone(b)
	c[len(c)-1] ^= 1
	return c
}

func TestProofMACPanicsOnAnInvalidLocalRole(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("no panic for ROLE_UNSPECIFIED")
		}
	}()
	ProofMAC(Key{}, pb.Role_ROLE_UNSPECIFIED, nil)
}
