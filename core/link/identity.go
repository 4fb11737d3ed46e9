package link

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"math/big"
	"strings"
	"sync"
	"time"

	"github.com/lanyard/lanyard/core/auth"
	"github.com/lanyard/lanyard/core/wire"
	"github.com/lanyard/lanyard/core/wire/pb"
)

// Identity is who this process is on every link it makes.
type Identity struct {
	Role      pb.Role
	InstallID [16]byte // fixed per installation
	BootID    [16]byte // new at every process start
	Software  string   // "lanyard 0.1.0", for the peer's logs

	// Certificate is presented on every TLS link, in both directions.
	Certificate tls.Certificate
	// Fingerprint is the hex SHA-256 of Certificate's leaf.
	Fingerprint string

	// One TLS configuration per side, built once: every tls.Conn keeps a
	// pointer to its config, so one per link would cost memory per link.
	clientOnce, serverOnce sync.Once
	client, server         *tls.Config
}

// NewIdentity is this process's identity for role: its installation's ID,
// certificate and key as the store keeps them, and a boot ID new at every
// call (so a restarted process is told from its old links). Every identity
// is built here: the console's and the agent's (app.LoadIdentity), a
// throwaway one (NewThrowawayIdentity), and the tests'.
func NewIdentity(role pb.Role, software string, installID [16]byte, certPEM, keyPEM []byte) (*Identity, error) {
	cert, fp, err := LoadCertificate(certPEM, keyPEM)
	if err != nil {
		return nil, err
	}
	return &Identity{Role: role, InstallID: installID, BootID: auth.NewID(), Software: software,
		Certificate: cert, Fingerprint: fp}, nil
}

// NewThrowawayIdentity is the identity of an installation that is never
// kept: `lanyard-agent diagnose` run without an agent set up, and tests.
func NewThrowawayIdentity(role pb.Role, software string) (*Identity, error) {
	certPEM, keyPEM, err := NewCertificate(software)
	if err != nil {
		return nil, err
	}
	return NewIdentity(role, software, auth.NewID(), certPEM, keyPEM)
}

// clientTLS is the configuration for links this process dials.
func (id *Identity) clientTLS() *tls.Config {
	id.clientOnce.Do(func() {
		id.client = &tls.Config{
			MinVersion:   tls.VersionTLS13,
			Certificates: []tls.Certificate{id.Certificate},
			// Certificates are self-signed and pinned by fingerprint after
			// the handshake, not checked against a CA. crypto/tls still
			// verifies that the peer holds the certificate's private key.
			InsecureSkipVerify: true, //nolint:gosec // pinned, see above
			// Sessions resume (resume.go): a relink costs no signatures.
			ClientSessionCache: tls.NewLRUClientSessionCache(sessionCacheSize(id.Role)),
		}
	})
	return id.client
}

// serverTLS is the configuration for links this process accepts.
func (id *Identity) serverTLS() *tls.Config {
	id.serverOnce.Do(func() {
		id.server = &tls.Config{
			MinVersion:   tls.VersionTLS13,
			Certificates: []tls.Certificate{id.Certificate},
			// Any certificate: peers are pinned by fingerprint, not by CA.
			ClientAuth: tls.RequireAnyClientCert,
		}
		// Tickets whose keys survive a restart (resume.go).
		if r := newTicketRotation(id.Certificate, id.server); r != nil {
			id.server.GetConfigForClient = r.getConfigForClient
		}
	})
	return id.server
}

// NewCertificate makes the self-signed certificate an installation keeps
// for life. Peers pin it on first success rather than trusting a CA, so its
// subject and validity only serve humans reading it.
func NewCertificate(commonName string) (certPEM, keyPEM []byte, err error) {
	seed := make([]byte, ed25519.SeedSize)
	_, _ = rand.Read(seed) // never fails (crypto/rand crashes the program instead)
	return CertificateFromSeed(commonName, seed, time.Now().Add(-time.Hour))
}

// CertificateFromSeed is NewCertificate with its key made from seed
// (ed25519.SeedSize bytes) and its validity from notBefore: the same
// arguments give the same certificate, byte for byte, and so the same
// fingerprint. The simulated fleet uses it, so that a simulator started
// again is the installation its consoles pinned.
func CertificateFromSeed(commonName string, seed []byte, notBefore time.Time) (certPEM, keyPEM []byte, err error) {
	if len(seed) != ed25519.SeedSize {
		return nil, nil, fmt.Errorf("a certificate's seed has %d bytes, want %d", len(seed), ed25519.SeedSize)
	}
	priv := ed25519.NewKeyFromSeed(seed)
	pub := priv.Public().(ed25519.PublicKey)
	// The serial only tells certificates apart for humans: the key's
	// digest, cut to 127 bits, is as unique as the key.
	sum := sha256.Sum256(pub)
	serial := new(big.Int).Rsh(new(big.Int).SetBytes(sum[:16]), 1)
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: commonName, Organization: []string{"Lanyard"}},
		NotBefore:    notBefore,
		NotAfter:     notBefore.AddDate(100, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, priv)
	if err != nil {
		return nil, nil, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, nil, err
	}
	certPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	return certPEM, keyPEM, nil
}

// LoadCertificate parses a stored certificate and key and returns them with
// the certificate's fingerprint.
func LoadCertificate(certPEM, keyPEM []byte) (tls.Certificate, string, error) {
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return tls.Certificate{}, "", fmt.Errorf("stored TLS certificate is unreadable: %w", err)
	}
	return cert, Fingerprint(cert.Certificate[0]), nil
}

// Fingerprint is the hex SHA-256 of a DER certificate: what peers pin.
func Fingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:])
}

// FingerprintPrefix starts a fingerprint as people read and type it.
const FingerprintPrefix = "SHA256:"

// FormatFingerprint is a fingerprint as it is shown for a person to compare
// or copy: "SHA256:" and the 64 hex digits ("" stays "").
func FormatFingerprint(fp string) string {
	if fp == "" {
		return ""
	}
	return FingerprintPrefix + fp
}

// ParseFingerprint reads an expected fingerprint a person typed or pasted:
// "SHA256:" (optional, any case) and 64 hex digits, which may be grouped
// with colons or spaces (as openssl prints them). It returns the form peers
// are pinned by: 64 lower-case hex digits.
func ParseFingerprint(s string) (string, error) {
	t := strings.TrimSpace(s)
	if len(t) >= len(FingerprintPrefix) && strings.EqualFold(t[:len(FingerprintPrefix)], FingerprintPrefix) {
		t = t[len(FingerprintPrefix):]
	}
	t = strings.NewReplacer(":", "", " ", "").Replace(strings.ToLower(t))
	if _, err := hex.DecodeString(t); err != nil || len(t) != 2*sha256.Size {
		return "", fmt.Errorf("%s is not a certificate fingerprint: give SHA256: and the 64 hex digits the other side prints (lanyard-agent status, or Remote Management Settings on the console)",
			wire.Quote(s))
	}
	return t, nil
}

// ShortFingerprint is a fingerprint cut for a list or a message:
// "SHA256:" and its first 16 hex digits, then "…". It is how the whole
// fingerprint begins as FormatFingerprint shows it (lanyard-agent status,
// Remote Management Settings), so the two are compared at a glance.
func ShortFingerprint(fp string) string {
	if len(fp) <= 16 {
		return FormatFingerprint(fp)
	}
	return FingerprintPrefix + fp[:16] + "…"
}
