package link

import (
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/sha256"
	"crypto/tls"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/lanyard/lanyard/core/wire/pb"
)

// TLS session resumption. A relink storm (every slave back at once after
// a power cut or a restart of the console) is bound by CPU, and a third of
// a TLS handshake's is the certificates: a signature by each side and its
// check by the other. A resumed TLS 1.3 session skips them and keeps the
// rest: a fresh key exchange (psk_dhe_ke, the only mode crypto/tls speaks,
// so forward secrecy holds), the peer's certificate as first presented
// (carried in the ticket, so the pin is checked as on a full handshake),
// and Lanyard's own proofs, which are bound to the new session's exporter.
//
// The acceptor's ticket keys must outlive the process, or a console
// started again after a crash would have no tickets to resume. Rather than
// keep another secret on disk, they are derived (HKDF-SHA256) from the
// installation's private key, which the store keeps already, one key per
// UTC day: today's seals new tickets, the six days before it still open
// theirs (crypto/tls refuses any ticket older than seven days). Whoever
// holds the private key can impersonate the installation anyway, so the
// derived keys expose nothing more. An identity whose key is not Ed25519
// (none that this package makes) keeps crypto/tls's own keys, which live
// as long as the process.

const (
	ticketKeyDays   = 7
	ticketKeyPeriod = 24 * time.Hour
)

// sessionCacheSize is how many peers' sessions a dialer keeps: an agent
// dials a few consoles, a console may dial thousands of slaves (each
// session holds the peer's parsed certificate, about 3 KiB).
func sessionCacheSize(role pb.Role) int {
	if role == pb.Role_ROLE_MASTER {
		return 4096
	}
	return 16
}

// ticketKeys are the session ticket keys for the period containing now:
// that period's first, then the ones before it.
func ticketKeys(seed []byte, now time.Time) ([][32]byte, error) {
	period := now.Unix() / int64(ticketKeyPeriod/time.Second)
	keys := make([][32]byte, ticketKeyDays)
	for i := range keys {
		k, err := hkdf.Key(sha256.New, seed, nil, fmt.Sprintf("lanyard TLS session ticket key, day %d", period-int64(i)), 32)
		if err != nil {
			return nil, err
		}
		copy(keys[i][:], k)
	}
	return keys, nil
}

// ticketRotation keeps a server configuration's ticket keys those of the
// current period: it is called with every ClientHello and derives new
// keys only when the period has changed since the last call.
type ticketRotation struct {
	seed   []byte
	config *tls.Config
	period atomic.Int64
	now    func() time.Time
}

// newTicketRotation sets config's ticket keys from the identity's private
// key, or returns nil when the key is not one it can derive them from.
func newTicketRotation(cert tls.Certificate, config *tls.Config) *ticketRotation {
	priv, ok := cert.PrivateKey.(ed25519.PrivateKey)
	if !ok {
		return nil
	}
	r := &ticketRotation{seed: priv.Seed(), config: config, now: time.Now}
	r.period.Store(-1)
	r.rotate()
	return r
}

func (r *ticketRotation) rotate() {
	now := r.now()
	period := now.Unix() / int64(ticketKeyPeriod/time.Second)
	if r.period.Swap(period) == period {
		return
	}
	keys, err := ticketKeys(r.seed, now)
	if err != nil {
		return // crypto/tls's own keys stay: sessions still resume until the process ends
	}
	r.config.SetSessionTicketKeys(keys)
}

// getConfigForClient is the configuration's hook: it rotates the keys if
// due and leaves the configuration as it is.
func (r *ticketRotation) getConfigForClient(*tls.ClientHelloInfo) (*tls.Config, error) {
	r.rotate()
	return nil, nil
}
