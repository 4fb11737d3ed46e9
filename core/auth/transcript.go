package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math"

	"github.com/lanyard/lanyard/core/wire/pb"
)

// TLSExporterLabel is the label both ends pass to
// tls.ConnectionState.ExportKeyingMaterial(label, nil, 32). The exporter is
// unique to one TLS session, so binding it into the transcript stops a
// proof from being relayed into another session by a man in the middle.
const TLSExporterLabel = "EXPORTER-lanyard-auth"

// TLSExporterSize is how many bytes to export.
const TLSExporterSize = 32

// TranscriptSize is the length of a transcript: a SHA-256 digest.
const TranscriptSize = sha256.Size

// Domain-separation labels: versioned, and distinct per use, so a hash or
// MAC computed for one purpose can never be accepted for another.
const (
	transcriptLabel      = "lanyard-v1 transcript"
	earlyTranscriptLabel = "lanyard-v1 early transcript"
	proofLabel           = "lanyard-v1 proof"
)

// Transcript binds both hellos, as the exact bytes sent on the wire, and the
// TLS exporter (nil or empty when SSL is off):
//
//	SHA-256("lanyard-v1 transcript" ‖ len(d) ‖ d ‖ len(a) ‖ a ‖ len(x) ‖ x)
//
// with each len a uint32, big-endian. Length prefixes make the encoding
// injective: moving bytes from the end of one part to the start of the next
// changes the hash. Hashing the received bytes, not a re-encoding, means
// both ends hash the same input whatever protobuf library or version each
// uses, and that fields this build does not know are covered too.
//
// It panics if a part is 4 GiB or longer, which handshake frames (at most
// 4 KiB) and exporters (32 bytes) never are.
func Transcript(helloDialer, helloAcceptor, tlsExporter []byte) []byte {
	return transcript(transcriptLabel, helloDialer, helloAcceptor, tlsExporter)
}

// EarlyTranscript is what the dialer's early proof covers, with SSL: its
// own hello up to the proof (see SplitEarlyProof) and the TLS exporter,
//
//	SHA-256("lanyard-v1 early transcript" ‖ len(d) ‖ d ‖ len(x) ‖ x)
//
// encoded as Transcript is. The exporter is what makes it fresh: unique
// to one TLS session, it stands in for the acceptor's nonce, which the
// dialer has not seen yet. Without TLS there is no exporter, and no early
// proof: a recorded one could be replayed.
func EarlyTranscript(helloDialer, tlsExporter []byte) []byte {
	return transcript(earlyTranscriptLabel, helloDialer, tlsExporter)
}

func transcript(label string, parts ...[]byte) []byte {
	h := sha256.New()
	h.Write([]byte(label))
	for _, part := range parts {
		if uint64(len(part)) > math.MaxUint32 {
			panic(fmt.Sprintf("auth.Transcript: part of %d bytes does not fit a uint32 length", len(part)))
		}
		var n [4]byte
		binary.BigEndian.PutUint32(n[:], uint32(len(part)))
		h.Write(n[:])
		h.Write(part)
	}
	return h.Sum(nil)
}

// ProofMAC computes HMAC-SHA256(K, "lanyard-v1 proof" ‖ byte(role) ‖
// transcript), where role is the role of the peer that produces the proof.
//
// Binding the prover's role stops reflection: the acceptor's proof is over
// its own role, so it can never be replayed as the dialer's, provided the two
// peers have different roles. core/link must refuse a peer of its own role
// (wrong_role) before any proof is sent; ProofMAC cannot check that.
//
// It panics on a role other than ROLE_MASTER or ROLE_AGENT: the role is the
// caller's own, so anything else is a programming error, and byte(role) of
// an arbitrary int32 could alias a valid one.
func ProofMAC(k Key, role pb.Role, transcript []byte) []byte {
	if !validRole(role) {
		panic(fmt.Sprintf("auth.ProofMAC: invalid role %s", roleName(role)))
	}
	return proofMAC(k, role, transcript)
}

func proofMAC(k Key, role pb.Role, transcript []byte) []byte {
	m := hmac.New(sha256.New, k[:])
	m.Write([]byte(proofLabel))
	m.Write([]byte{byte(role)})
	m.Write(transcript)
	return m.Sum(nil)
}

// VerifyProof reports whether mac is the proof that a peer of the given role
// holding K would produce over transcript. The comparison is constant time
// (hmac.Equal). A mac of the wrong length or an invalid role is false, not a
// panic: both can come from a peer.
func VerifyProof(k Key, role pb.Role, transcript, mac []byte) bool {
	if len(mac) != MACSize || !validRole(role) {
		return false
	}
	return hmac.Equal(proofMAC(k, role, transcript), mac)
}

func validRole(r pb.Role) bool { return r == pb.Role_ROLE_MASTER || r == pb.Role_ROLE_AGENT }
