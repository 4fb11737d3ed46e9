package link

import (
	"bytes"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/pem"
	"testing"
	"time"
)

// A certificate made from a seed is the same, byte for byte, every time:
// a peer that pinned it finds it again. Another seed, or a fresh
// certificate, is another one; either is a working TLS certificate.
func TestACertificateFromASeedIsTheSameEveryTime(t *testing.T) {
	seed := bytes.Repeat([]byte{7}, ed25519.SeedSize)
	epoch := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	fingerprint := func(certPEM, keyPEM []byte) string {
		t.Helper()
		_, fp, err := LoadCertificate(certPEM, keyPEM)
		if err != nil {
			t.Fatal(err)
		}
		return fp
	}
	c1, k1, err := CertificateFromSeed("lanyard agent sim00001", seed, epoch)
	if err != nil {
		t.Fatal(err)
	}
	c2, k2, err := CertificateFromSeed("lanyard agent sim00001", seed, epoch)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(c1, c2) || !bytes.Equal(k1, k2) || fingerprint(c1, k1) != fingerprint(c2, k2) {
		t.Error("one seed made two certificates")
	}
	block, _ := pem.Decode(c1)
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil || !cert.NotBefore.Equal(epoch) || cert.SerialNumber.Sign() <= 0 || cert.SerialNumber.BitLen() > 127 {
		t.Errorf("parsed %v: valid from %v, serial %v", err, cert.NotBefore, cert.SerialNumber)
	}

	other := bytes.Repeat([]byte{8}, ed25519.SeedSize)
	c3, k3, err := CertificateFromSeed("lanyard agent sim00001", other, epoch)
	if err != nil {
		t.Fatal(err)
	}
	c4, k4, err := NewCertificate("lanyard agent sim00001")
	if err != nil {
		t.Fatal(err)
	}
	c5, k5, err := NewCertificate("lanyard agent sim00001")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, fp := range []string{fingerprint(c1, k1), fingerprint(c3, k3), fingerprint(c4, k4), fingerprint(c5, k5)} {
		if seen[fp] {
			t.Errorf("fingerprint %s made twice", fp)
		}
		seen[fp] = true
	}
	if _, _, err := CertificateFromSeed("x", seed[:16], epoch); err == nil {
		t.Error("a seed of 16 bytes made a certificate")
	}
}

// A short fingerprint is how the whole one begins, so that a list's
// column and the agent's status line are compared by their start.
func TestAShortFingerprintIsTheStartOfTheWholeOne(t *testing.T) {
	fp := Fingerprint([]byte("a certificate"))
	short, whole := ShortFingerprint(fp), FormatFingerprint(fp)
	if want := whole[:len("SHA256:")+16] + "…"; short != want {
		t.Errorf("ShortFingerprint = %q, want %q (whole %q)", short, want, whole)
	}
	if got := ShortFingerprint(""); got != "" {
		t.Errorf("ShortFingerprint(\"\") = %q, want \"\"", got)
	}
}
