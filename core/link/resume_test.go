package link

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/lanyard/lanyard/core/wire"
	"github.com/lanyard/lanyard/core/wire/pb"
)

// dialOnce dials target, waits for the acceptor's side of the link and
// returns both ends' view of their peer, closing the link.
func dialOnce(t *testing.T, srv *server, d *Dialer, target Target) (dialed, accepted Peer) {
	t.Helper()
	l, err := d.Dial(context.Background(), target)
	if err != nil {
		t.Fatal(err)
	}
	a := srv.nextLink(t)
	dialed, accepted = l.Peer(), a.Peer()
	closeLink(l)
	closeLink(a)
	return dialed, accepted
}

// A relink resumes the TLS session (no certificate signatures), and both
// ends still see, and pin, the certificate first presented.
func TestARelinkResumesTheTLSSessionAndKeepsThePin(t *testing.T) {
	for _, v := range variants {
		if !v.ssl {
			continue
		}
		t.Run(v.String(), func(t *testing.T) {
			srv, d, target := pair(t, v, "pw", "pw")
			first, firstAccepted := dialOnce(t, srv, d, target)
			if first.Resumed || firstAccepted.Resumed {
				t.Fatalf("the first link says it resumed a session: %+v / %+v", first, firstAccepted)
			}
			target.PinnedCert = first.Fingerprint
			again, againAccepted := dialOnce(t, srv, d, target)
			if !again.Resumed || !againAccepted.Resumed {
				t.Fatalf("the relink did not resume: dialer %v, acceptor %v", again.Resumed, againAccepted.Resumed)
			}
			if again.Fingerprint != first.Fingerprint || againAccepted.Fingerprint != firstAccepted.Fingerprint {
				t.Errorf("fingerprints changed on resumption: %s→%s, %s→%s",
					first.Fingerprint, again.Fingerprint, firstAccepted.Fingerprint, againAccepted.Fingerprint)
			}
		})
	}
}

// listenAt is startServer on a given address: an acceptor started again
// where it listened before, as a restarted console is.
func listenAt(t *testing.T, addr string, id *Identity, a Authenticator) *server {
	t.Helper()
	s := &server{links: make(chan *Link, 8), refusals: make(chan Refusal, 64)}
	ln, err := Listen(ListenConfig{Address: addr, Identity: id, Options: Options{SSL: true}, Auth: a,
		OnLink: func(l *Link) { s.links <- l }, OnRefused: func(r Refusal) { s.refusals <- r }})
	if err != nil {
		t.Fatal(err)
	}
	s.Listener = ln
	t.Cleanup(func() { _ = ln.Close() })
	return s
}

// The acceptor's ticket keys come from its installation's key, so a
// console started again (a new process, the same stored identity) resumes
// the sessions its previous run gave out; one reinstalled (a new key)
// cannot, and its new certificate is refused as on a full handshake.
func TestSessionsResumeAcrossARestartButNotAReinstall(t *testing.T) {
	certPEM, keyPEM, err := NewCertificate("console")
	if err != nil {
		t.Fatal(err)
	}
	stored := func() *Identity {
		id, err := NewIdentity(pb.Role_ROLE_MASTER, "test", [16]byte{1}, certPEM, keyPEM)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	slaves := &slaveTable{name: "FS01", key: key(t, "FS01", "pw")}
	d := &Dialer{Identity: newIdentity(t, pb.Role_ROLE_AGENT), Options: Options{SSL: true}}

	srv := listenAt(t, "127.0.0.1:0", stored(), slaves)
	addr := srv.addr()
	target := Target{Address: addr, Name: "FS01", Key: key(t, "FS01", "pw"), KDF: testKDF}
	first, _ := dialOnce(t, srv, d, target)
	target.PinnedCert = first.Fingerprint
	_ = srv.Close()

	restarted := listenAt(t, addr, stored(), slaves)
	again, accepted := dialOnce(t, restarted, d, target)
	if !again.Resumed || !accepted.Resumed {
		t.Fatalf("no resumption after a restart: dialer %v, acceptor %v", again.Resumed, accepted.Resumed)
	}
	_ = restarted.Close()

	reinstalled := listenAt(t, addr, newIdentity(t, pb.Role_ROLE_MASTER), slaves)
	_, err = d.Dial(context.Background(), target)
	wantCode(t, err, wire.CodeCertChanged)
	reinstalled.nextRefusal(t, 5*time.Second)
}

// Ticket keys turn over once a day: today's seals, the six days before
// still open; another installation's keys are its own.
func TestTicketKeysTurnOverDaily(t *testing.T) {
	seed := bytes.Repeat([]byte{7}, 32)
	day := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	today, err := ticketKeys(seed, day)
	if err != nil {
		t.Fatal(err)
	}
	tomorrow, _ := ticketKeys(seed, day.Add(24*time.Hour))
	later, _ := ticketKeys(seed, day.Add(11*time.Hour)) // the same UTC day
	other, _ := ticketKeys(bytes.Repeat([]byte{8}, 32), day)
	if len(today) != ticketKeyDays {
		t.Fatalf("%d keys, want %d", len(today), ticketKeyDays)
	}
	if tomorrow[1] != today[0] || tomorrow[ticketKeyDays-1] != today[ticketKeyDays-2] {
		t.Error("tomorrow's keys do not carry today's on")
	}
	if tomorrow[0] == today[0] {
		t.Error("the sealing key did not change with the day")
	}
	if later[0] != today[0] {
		t.Error("the sealing key changed within a day")
	}
	for i := range today {
		if other[i] == today[i] {
			t.Errorf("two installations share ticket key %d", i)
		}
	}
}
