package auth

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/lanyard/lanyard/core/wire"
	"github.com/lanyard/lanyard/core/wire/pb"
)

// The fuzz targets' seed corpora are committed under testdata/fuzz/<target>/
// (Go's corpus file format). The named seeds below are generated from the
// test messages; run
//
//	go test -run TestFuzzSeedCorpus ./core/auth/ -update-seeds
//
// after changing them. Entries with hash names were found by the fuzzer and
// are kept as regressions.
var updateSeeds = flag.Bool("update-seeds", false, "rewrite the named fuzz seed files under testdata/fuzz")

// checkSafeToLog asserts what the package promises about its errors: they
// match ErrMalformed and can go into a log line as they are.
func checkSafeToLog(t *testing.T, err error) {
	t.Helper()
	if !errors.Is(err, ErrMalformed) {
		t.Fatalf("error %q does not match ErrMalformed", err)
	}
	msg := err.Error()
	if !utf8.ValidString(msg) || len(msg) > 512 {
		t.Fatalf("error is not a short UTF-8 line: %q", msg)
	}
	for _, r := range msg {
		if r < 0x20 || r == 0x7f {
			t.Fatalf("error contains control character %q: %q", r, msg)
		}
	}
}

func FuzzParseHello(f *testing.F) {
	f.Fuzz(func(t *testing.T, payload []byte) {
		h, err := ParseHello(payload)
		if err != nil {
			if h != nil {
				t.Fatal("a hello was returned with an error")
			}
			checkSafeToLog(t, err)
			return
		}
		if len(payload) > wire.MaxPreAuthFrame {
			t.Fatalf("accepted a %d-byte payload", len(payload))
		}
		if err := ValidateHello(h); err != nil {
			t.Fatalf("ParseHello accepted what ValidateHello refuses: %v", err)
		}
		if signed, mac, ok := SplitEarlyProof(payload, h); ok && !bytes.Equal(AppendEarlyProof(signed, mac), payload) {
			t.Fatalf("an early proof split from %x does not put it back together", payload)
		}
		again, err := proto.Marshal(h)
		if err != nil {
			t.Fatalf("an accepted hello does not marshal: %v", err)
		}
		h2, err := ParseHello(again)
		if err != nil {
			t.Fatalf("an accepted hello, re-marshalled, is refused: %v", err)
		}
		if !proto.Equal(h, h2) {
			t.Fatalf("re-parse differs:\n%v\n%v", h, h2)
		}
	})
}

func FuzzParseProof(f *testing.F) {
	f.Fuzz(func(t *testing.T, payload []byte) {
		mac, err := ParseProof(payload)
		if err != nil {
			if mac != nil {
				t.Fatal("a mac was returned with an error")
			}
			checkSafeToLog(t, err)
			return
		}
		if len(mac) != MACSize {
			t.Fatalf("accepted a %d-byte mac", len(mac))
		}
		again, err := proto.Marshal(&pb.Proof{Mac: mac})
		if err != nil {
			t.Fatal(err)
		}
		if mac2, err := ParseProof(again); err != nil || !bytes.Equal(mac, mac2) {
			t.Fatalf("re-parse gave %x, %v", mac2, err)
		}
	})
}

func FuzzParseWelcome(f *testing.F) {
	f.Fuzz(func(t *testing.T, payload []byte) {
		w, err := ParseWelcome(payload)
		if err != nil {
			if w != nil {
				t.Fatal("a welcome was returned with an error")
			}
			checkSafeToLog(t, err)
			return
		}
		again, err := proto.Marshal(w)
		if err != nil {
			t.Fatal(err)
		}
		w2, err := ParseWelcome(again)
		if err != nil || !proto.Equal(w, w2) {
			t.Fatalf("re-parse gave %v, %v", w2, err)
		}
	})
}

// padToOversize appends an unknown length-delimited field so that an
// otherwise valid payload is just over the pre-authentication limit.
func padToOversize(valid []byte) []byte {
	// Field 1000's tag and a length under 16 KiB are 2 bytes each.
	pad := wire.MaxPreAuthFrame + 1 - len(valid) - 4
	b := protowire.AppendTag(bytes.Clone(valid), 1000, protowire.BytesType)
	return protowire.AppendBytes(b, bytes.Repeat([]byte{'x'}, pad))
}

func seedCorpus(t testing.TB) map[string]map[string][]byte {
	hello := marshal(t, testHello())
	master := testHello()
	master.Role = pb.Role_ROLE_MASTER
	master.Name = "console-entry.eu_1"
	master.Ssl = false
	master.Software = ""
	newer := testHello()
	newer.VersionMin, newer.VersionMax = 1, 3
	newerBytes := protowire.AppendTag(marshal(t, newer), 42, protowire.BytesType)
	newerBytes = protowire.AppendString(newerBytes, "a field from the future")

	proof := marshal(t, &pb.Proof{Mac: bytes.Repeat([]byte{0x55}, MACSize)})
	welcome := marshal(t, testWelcome())
	garbage := []byte("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03GET / HTTP/1.1\r\n\xff\xfe\x00")

	return map[string]map[string][]byte{
		"FuzzParseHello": {
			"valid-hello":          hello,
			"valid-master-hello":   marshal(t, master),
			"valid-newer-peer":     newerBytes,
			"valid-early-proof":    AppendEarlyProof(hello, bytes.Repeat([]byte{0x5a}, MACSize)),
			"empty":                {},
			"truncated":            hello[:len(hello)/2],
			"oversize":             padToOversize(hello),
			"garbage":              garbage,
			"frame-magic-not-body": []byte(wire.Magic),
		},
		"FuzzParseProof": {
			"valid-proof": proof,
			"empty":       {},
			"truncated":   proof[:len(proof)-1],
			"short-mac":   marshal(t, &pb.Proof{Mac: make([]byte, MACSize-1)}),
			"oversize":    padToOversize(proof),
			"garbage":     garbage,
		},
		"FuzzParseWelcome": {
			"valid-welcome":    welcome,
			"valid-defaults":   marshal(t, &pb.Welcome{Mac: make([]byte, MACSize), Version: 1}),
			"empty":            {},
			"truncated":        welcome[:len(welcome)-2],
			"oversize":         padToOversize(welcome),
			"garbage":          garbage,
			"dead-before-beat": marshal(t, &pb.Welcome{Mac: make([]byte, MACSize), Version: 1, HeartbeatMs: 10_000, DeadAfterMs: 10_000}),
		},
	}
}

func corpusFile(data []byte) []byte {
	return fmt.Appendf(nil, "go test fuzz v1\n[]byte(%q)\n", data)
}

// The committed seeds are what seedCorpus generates, so the "valid" seeds
// stay valid as the messages evolve, and they are what their names say.
func TestFuzzSeedCorpus(t *testing.T) {
	for target, seeds := range seedCorpus(t) {
		dir := filepath.Join("testdata", "fuzz", target)
		for name, data := range seeds {
			path := filepath.Join(dir, name)
			want := corpusFile(data)
			if *updateSeeds {
				if err := os.MkdirAll(dir, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, want, 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			got, err := os.ReadFile(path)
			if err != nil || !bytes.Equal(got, want) {
				t.Errorf("%s is missing or stale; run with -update-seeds (%v)", path, err)
			}
		}
	}
	// The names are promises: check them.
	seeds := seedCorpus(t)
	for _, name := range []string{"valid-hello", "valid-master-hello", "valid-newer-peer", "valid-early-proof"} {
		if _, err := ParseHello(seeds["FuzzParseHello"][name]); err != nil {
			t.Errorf("seed %s: %v", name, err)
		}
	}
	if _, err := ParseProof(seeds["FuzzParseProof"]["valid-proof"]); err != nil {
		t.Errorf("seed valid-proof: %v", err)
	}
	for _, name := range []string{"valid-welcome", "valid-defaults"} {
		if _, err := ParseWelcome(seeds["FuzzParseWelcome"][name]); err != nil {
			t.Errorf("seed %s: %v", name, err)
		}
	}
	for target, seeds := range seeds {
		if n := len(seeds["oversize"]); n != wire.MaxPreAuthFrame+1 {
			t.Errorf("%s oversize seed is %d bytes, want %d", target, n, wire.MaxPreAuthFrame+1)
		}
	}
}
