package auth

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/lanyard/lanyard/core/wire"
	"github.com/lanyard/lanyard/core/wire/pb"
)

// testHello is a valid hello with fixed bytes, so its encoding is stable
// (the fuzz seed corpus is built from it).
func testHello() *pb.Hello {
	return &pb.Hello{
		Magic:      wire.HelloMagic,
		VersionMin: 1,
		VersionMax: 1,
		Role:       pb.Role_ROLE_AGENT,
		Name:       "FS01",
		InstallId:  bytes.Repeat([]byte{0x11}, InstallIDSize),
		BootId:     bytes.Repeat([]byte{0x22}, BootIDSize),
		Nonce:      bytes.Repeat([]byte{0x33}, NonceSize),
		Ssl:        true,
		Kdf:        DefaultKDF.PB(),
		Software:   "lanyard-agent 0.1.0",
	}
}

func marshal(t testing.TB, m proto.Message) []byte {
	t.Helper()
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestValidHelloIsAccepted(t *testing.T) {
	if err := ValidateHello(testHello()); err != nil {
		t.Fatal(err)
	}
	h, err := ParseHello(marshal(t, testHello()))
	if err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(h, testHello()) {
		t.Fatalf("parsed %v", h)
	}
}

func TestValidateHelloRejectsEachBadField(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(h *pb.Hello)
		field  string // expected FieldError.Field
		want   string // substring of the message
	}{
		{"a wrong magic is refused", func(h *pb.Hello) { h.Magic = "LNYD" }, "magic", `got "LNYD", want "lanyard"`},
		{"a missing magic is refused", func(h *pb.Hello) { h.Magic = "" }, "magic", `got ""`},
		{"version 0 is refused", func(h *pb.Hello) { h.VersionMin = 0 }, "version_min", "versions start at 1"},
		{"an inverted version range is refused", func(h *pb.Hello) { h.VersionMin, h.VersionMax = 3, 2 }, "version_max", "2 is below version_min 3"},
		{"an unspecified role is refused", func(h *pb.Hello) { h.Role = pb.Role_ROLE_UNSPECIFIED }, "role", "ROLE_UNSPECIFIED"},
		{"an unknown role is refused", func(h *pb.Hello) { h.Role = 258 }, "role", "role 258"},
		{"an invalid name is refused", func(h *pb.Hello) { h.Name = "a b" }, "name", "has a space"},
		{"an empty name is refused", func(h *pb.Hello) { h.Name = "" }, "name", "empty"},
		{"a short install ID is refused", func(h *pb.Hello) { h.InstallId = h.InstallId[:15] }, "install_id", "15 bytes, want exactly 16"},
		{"a missing boot ID is refused", func(h *pb.Hello) { h.BootId = nil }, "boot_id", "0 bytes"},
		{"a long nonce is refused", func(h *pb.Hello) { h.Nonce = append(h.Nonce, 0) }, "nonce", "33 bytes, want exactly 32"},
		{"missing KDF parameters are refused", func(h *pb.Hello) { h.Kdf = nil }, "kdf", "missing"},
		{"weak KDF parameters are refused", func(h *pb.Hello) { h.Kdf.MemoryKib = 1 }, "kdf", "memory"},
		{"a huge KDF memory is refused", func(h *pb.Hello) { h.Kdf.MemoryKib = 1 << 31 }, "kdf", "memory"},
		{"an early proof of the wrong size is refused", func(h *pb.Hello) { h.EarlyProof = make([]byte, MACSize-1) }, "early_proof", "31 bytes, want exactly 32"},
		{"a long software string is refused", func(h *pb.Hello) { h.Software = strings.Repeat("x", 65) }, "software", "65 bytes"},
		{"a control character in software is refused", func(h *pb.Hello) { h.Software = "agent\n1.0" }, "software", "0x0a"},
		{"non-ASCII software is refused", func(h *pb.Hello) { h.Software = "agent\u202e" }, "software", "0xe2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := testHello()
			tt.mutate(h)
			err := ValidateHello(h)
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("ValidateHello = %v, want a *FieldError", err)
			}
			if fe.Message != "hello" || fe.Field != tt.field {
				t.Errorf("error names %s.%s, want hello.%s", fe.Message, fe.Field, tt.field)
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "hello."+tt.field+": ") {
				t.Errorf("error %q, want hello.%s: …%s…", err, tt.field, tt.want)
			}
			if !errors.Is(err, ErrMalformed) {
				t.Error("error does not match ErrMalformed")
			}
			// The same through ParseHello, from the wire.
			if _, err := ParseHello(marshal(t, h)); !errors.As(err, &fe) || fe.Field != tt.field {
				t.Errorf("ParseHello = %v, want an error about %s", err, tt.field)
			}
		})
	}
	if err := ValidateHello(nil); !errors.Is(err, ErrMalformed) {
		t.Errorf("ValidateHello(nil) = %v", err)
	}
}

func TestValidateHelloAcceptsEdgeValues(t *testing.T) {
	for name, mutate := range map[string]func(*pb.Hello){
		"a master's hello is valid":                  func(h *pb.Hello) { h.Role = pb.Role_ROLE_MASTER },
		"an empty software string is valid":          func(h *pb.Hello) { h.Software = "" },
		"64 bytes of software is valid":              func(h *pb.Hello) { h.Software = strings.Repeat("~", 64) },
		"a version range from a newer peer is valid": func(h *pb.Hello) { h.VersionMin, h.VersionMax = 2, 9 },
	} {
		t.Run(name, func(t *testing.T) {
			h := testHello()
			mutate(h)
			if err := ValidateHello(h); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestParseHelloRefusesBadPayloads(t *testing.T) {
	valid := marshal(t, testHello())
	oversize := append(bytes.Clone(valid), protowire.AppendTag(nil, 99, protowire.BytesType)...)
	oversize = protowire.AppendBytes(oversize, make([]byte, wire.MaxPreAuthFrame))
	tests := []struct {
		name    string
		payload []byte
		want    string
	}{
		{"an empty payload is refused", nil, "hello.magic"},
		{"a truncated hello is refused", valid[:len(valid)-3], "not a valid protobuf message"},
		{"garbage is refused", []byte{0xff, 0xff, 0xff, 0xff}, "not a valid protobuf message"},
		{"a payload over the pre-auth limit is refused before decoding", oversize, "over the 4096-byte limit"},
		{"invalid UTF-8 in a string field is refused", append(protowire.AppendTag(nil, 5, protowire.BytesType), 1, 0xff), "not a valid protobuf message"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := ParseHello(tt.payload)
			if err == nil || h != nil {
				t.Fatalf("ParseHello = %v, %v; want an error", h, err)
			}
			if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want ErrMalformed mentioning %q", err, tt.want)
			}
		})
	}
}

func TestParseHelloKeepsUnknownFieldsFromANewerPeer(t *testing.T) {
	payload := marshal(t, testHello())
	payload = protowire.AppendTag(payload, 200, protowire.VarintType)
	payload = protowire.AppendVarint(payload, 7)
	h, err := ParseHello(payload)
	if err != nil {
		t.Fatalf("an unknown field made the hello invalid: %v", err)
	}
	if len(h.ProtoReflect().GetUnknown()) == 0 {
		t.Error("the unknown field was dropped")
	}
}

func TestNewHelloBuildsAValidHelloWithAFreshNonce(t *testing.T) {
	p := HelloParams{Role: pb.Role_ROLE_MASTER, Name: "FS01", InstallID: NewID(), BootID: NewID(), KDF: DefaultKDF, Software: "lanyard 0.1"}
	a, err := NewHello(p)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := NewHello(p)
	if bytes.Equal(a.Nonce, b.Nonce) {
		t.Error("two hellos share a nonce")
	}
	if a.VersionMin != wire.Local.Min || a.VersionMax != wire.Local.Max || a.Magic != wire.HelloMagic {
		t.Errorf("hello %v does not carry this build's magic and versions", a)
	}
	p.Name = "bad name"
	if _, err := NewHello(p); err == nil {
		t.Error("NewHello accepted an invalid name")
	}
}

func TestNewIDAndNonceAreRandom(t *testing.T) {
	if a, b := NewID(), NewID(); a == b {
		t.Error("two IDs are equal")
	}
	if n := NewNonce(); len(n) != NonceSize || bytes.Equal(n, NewNonce()) {
		t.Error("nonces are not fresh 32-byte values")
	}
}

func testWelcome() *pb.Welcome {
	return &pb.Welcome{Mac: bytes.Repeat([]byte{0x44}, MACSize), Version: 1, HeartbeatMs: 15_000, DeadAfterMs: 45_000, MaxFrame: wire.MaxFrame}
}

func TestParseProof(t *testing.T) {
	mac := bytes.Repeat([]byte{0x55}, MACSize)
	got, err := ParseProof(marshal(t, &pb.Proof{Mac: mac}))
	if err != nil || !bytes.Equal(got, mac) {
		t.Fatalf("ParseProof = %x, %v", got, err)
	}
	for name, payload := range map[string][]byte{
		"an empty proof is refused":      nil,
		"a truncated mac is refused":     marshal(t, &pb.Proof{Mac: mac[:31]}),
		"a long mac is refused":          marshal(t, &pb.Proof{Mac: append(mac, 0)}),
		"garbage is refused":             {0x0a, 0xff},
		"an oversize payload is refused": make([]byte, wire.MaxPreAuthFrame+1),
	} {
		t.Run(name, func(t *testing.T) {
			if m, err := ParseProof(payload); err == nil || m != nil || !errors.Is(err, ErrMalformed) {
				t.Fatalf("ParseProof = %x, %v; want ErrMalformed", m, err)
			}
		})
	}
}

func TestParseWelcome(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(w *pb.Welcome)
		want   string // "" means valid
	}{
		{"a full welcome is valid", func(*pb.Welcome) {}, ""},
		{"zero heartbeat and dead-after mean the defaults", func(w *pb.Welcome) { w.HeartbeatMs, w.DeadAfterMs, w.MaxFrame = 0, 0, 0 }, ""},
		{"a dead-after alone is valid", func(w *pb.Welcome) { w.HeartbeatMs = 0 }, ""},
		{"the slowest heartbeat with twice its dead-after is valid", func(w *pb.Welcome) { w.HeartbeatMs, w.DeadAfterMs = 600_000, 1_200_000 }, ""},
		{"a missing mac is refused", func(w *pb.Welcome) { w.Mac = nil }, "welcome.mac"},
		{"a truncated mac is refused", func(w *pb.Welcome) { w.Mac = w.Mac[:16] }, "welcome.mac: 16 bytes"},
		{"version 0 is refused", func(w *pb.Welcome) { w.Version = 0 }, "welcome.version"},
		{"a heartbeat under 50 ms is refused", func(w *pb.Welcome) { w.HeartbeatMs = 49 }, "welcome.heartbeat_ms: 49ms is out of range 50ms..10m0s"},
		{"a heartbeat over ten minutes is refused", func(w *pb.Welcome) { w.HeartbeatMs, w.DeadAfterMs = 600_001, 0 }, "welcome.heartbeat_ms"},
		{"a dead-after under twice the heartbeat is refused", func(w *pb.Welcome) { w.DeadAfterMs = 29_999 }, "less than twice the heartbeat 15s"},
		{"a tiny dead-after alone is refused", func(w *pb.Welcome) { w.HeartbeatMs, w.DeadAfterMs = 0, 1 }, "welcome.dead_after_ms"},
		{"a dead-after over an hour is refused", func(w *pb.Welcome) { w.DeadAfterMs = 3_600_001 }, "welcome.dead_after_ms"},
		{"a max frame below a handshake frame is refused", func(w *pb.Welcome) { w.MaxFrame = 100 }, "welcome.max_frame"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := testWelcome()
			tt.mutate(w)
			got, err := ParseWelcome(marshal(t, w))
			if tt.want == "" {
				if err != nil || !proto.Equal(got, w) {
					t.Fatalf("ParseWelcome = %v, %v", got, err)
				}
				return
			}
			if err == nil || !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ParseWelcome error %v, want ErrMalformed mentioning %q", err, tt.want)
			}
		})
	}
	if _, err := ParseWelcome(make([]byte, wire.MaxPreAuthFrame+1)); !errors.Is(err, ErrMalformed) {
		t.Errorf("an oversize welcome: %v", err)
	}
}

// An early proof is the hello's last field: the acceptor finds it there
// and the bytes it covers before it, and a parser that knows nothing of
// it reads the hello as before.
func TestAnEarlyProofEndsTheHelloAndIsFoundThere(t *testing.T) {
	plain := marshal(t, testHello())
	mac := bytes.Repeat([]byte{0x5a}, MACSize)
	sent := AppendEarlyProof(plain, mac)

	h, err := ParseHello(sent)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(h.EarlyProof, mac) {
		t.Fatalf("early_proof read as %x", h.EarlyProof)
	}
	signed, got, ok := SplitEarlyProof(sent, h)
	if !ok || !bytes.Equal(signed, plain) || !bytes.Equal(got, mac) {
		t.Fatalf("SplitEarlyProof = %x, %x, %v; want the hello before the proof, and the proof", signed, got, ok)
	}
	h.EarlyProof = nil
	if !proto.Equal(h, testHello()) {
		t.Errorf("the early proof changed the rest of the hello: %v", h)
	}

	// A build from before early proofs keeps the field as unknown bytes,
	// which the transcript covers as sent.
	var old pb.Hello
	if err := (proto.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(sent, &old); err != nil || old.Name != "FS01" {
		t.Fatalf("an older parser: %v, %v", &old, err)
	}
}

func TestOnlyAnEarlyProofThatEndsTheHelloIsTaken(t *testing.T) {
	first, last := bytes.Repeat([]byte{0x5a}, MACSize), bytes.Repeat([]byte{0x01}, MACSize)
	for name, payload := range map[string][]byte{
		"no early proof": marshal(t, testHello()),
		"a field after the proof": protowire.AppendString(protowire.AppendTag(
			AppendEarlyProof(marshal(t, testHello()), first), 11, protowire.BytesType), "x"),
	} {
		t.Run(name, func(t *testing.T) {
			h, err := ParseHello(payload)
			if err != nil {
				t.Fatal(err)
			}
			if _, _, ok := SplitEarlyProof(payload, h); ok {
				t.Error("an early proof was taken")
			}
		})
	}
	// Twice: protobuf keeps the last, and so does the split, which then
	// covers the first as part of the hello.
	twice := AppendEarlyProof(AppendEarlyProof(marshal(t, testHello()), first), last)
	h, err := ParseHello(twice)
	if err != nil {
		t.Fatal(err)
	}
	if _, got, ok := SplitEarlyProof(twice, h); !ok || !bytes.Equal(got, last) {
		t.Errorf("two proofs: took %x, %v; want the last", got, ok)
	}
}
