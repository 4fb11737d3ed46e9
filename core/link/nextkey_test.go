package link

import (
	"context"
	"testing"
	"time"

	"github.com/lanyard/lanyard/core/auth"
	"github.com/lanyard/lanyard/core/wire"
	"github.com/lanyard/lanyard/core/wire/pb"
)

// After a password change whose answer never came, the console holds the
// old key and the next one, and a link under either comes up and says
// which (nextkey.go).

func TestAnAcceptorTakesTheKeyOrTheNextOne(t *testing.T) {
	for _, ssl := range []bool{false, true} {
		opts := Options{SSL: ssl}
		next := &Secret{Key: key(t, "FS01", "new"), KDF: testKDF}
		srv := startServer(t, newIdentity(t, pb.Role_ROLE_MASTER), opts,
			&slaveTable{name: "FS01", key: key(t, "FS01", "old"), next: next}, nil)
		agent := &Dialer{Identity: newIdentity(t, pb.Role_ROLE_AGENT), Options: opts}
		for pw, wantNext := range map[string]bool{"old": false, "new": true} {
			dialed, err := agent.Dial(context.Background(), Target{Address: srv.addr(), Name: "FS01", Key: key(t, "FS01", pw), KDF: testKDF})
			if err != nil {
				t.Fatalf("ssl=%v, the agent holding the %s key: %v", ssl, pw, err)
			}
			accepted := srv.nextLink(t)
			if accepted.Peer().NextKey != wantNext || dialed.Peer().NextKey {
				t.Errorf("ssl=%v, the agent holding the %s key: the console's link says NextKey=%v, the agent's %v",
					ssl, pw, accepted.Peer().NextKey, dialed.Peer().NextKey)
			}
			closeLink(dialed)
			closeLink(accepted)
		}
		_, err := agent.Dial(context.Background(), Target{Address: srv.addr(), Name: "FS01", Key: key(t, "FS01", "neither"), KDF: testKDF})
		wantCode(t, err, wire.CodeAuthFailed)
		if r := srv.nextRefusal(t, 5*time.Second); r.Err.Code != wire.CodeAuthFailed {
			t.Errorf("ssl=%v: a third key was refused with %v", ssl, r.Err)
		}
	}
}

func TestADialerProvesTheNextKeyFirstThenTheKey(t *testing.T) {
	for _, ssl := range []bool{false, true} {
		opts := Options{SSL: ssl}
		console := &Dialer{Identity: newIdentity(t, pb.Role_ROLE_MASTER), Options: opts}
		for agentPW, want := range map[string]struct {
			next     bool
			refusals int
		}{"new": {true, 0}, "old": {false, 1}} {
			srv := startServer(t, newIdentity(t, pb.Role_ROLE_AGENT), opts,
				&agentAuth{name: "FS01", key: key(t, "FS01", agentPW), management: true}, nil)
			target := Target{Address: srv.addr(), Name: "FS01", Key: key(t, "FS01", "old"), KDF: testKDF,
				Next: &Secret{Key: key(t, "FS01", "new"), KDF: testKDF}}
			dialed, err := console.Dial(context.Background(), target)
			if err != nil {
				t.Fatalf("ssl=%v, the agent holding the %s key: %v", ssl, agentPW, err)
			}
			var accepted *Link
			select {
			case accepted = <-srv.links:
			case <-time.After(5 * time.Second):
				t.Fatalf("ssl=%v, the agent holding the %s key: no link on its side", ssl, agentPW)
			}
			for range want.refusals {
				select {
				case r := <-srv.refusals:
					if r.Err.Code != wire.CodeAuthFailed {
						t.Errorf("ssl=%v: the next key was refused with %v", ssl, r.Err)
					}
				case <-time.After(5 * time.Second):
					t.Errorf("ssl=%v, the agent holding the %s key: its refusal of the next key was not reported", ssl, agentPW)
				}
			}
			if len(srv.refusals) > 0 {
				t.Errorf("ssl=%v, the agent holding the %s key: refused %v", ssl, agentPW, (<-srv.refusals).Err)
			}
			if dialed.Peer().NextKey != want.next {
				t.Errorf("ssl=%v, the agent holding the %s key: NextKey=%v", ssl, agentPW, dialed.Peer().NextKey)
			}
			closeLink(dialed)
			closeLink(accepted)
		}
	}
}

func TestADialerHoldingNeitherKeyIsToldItsPasswordIsWrong(t *testing.T) {
	srv := startServer(t, newIdentity(t, pb.Role_ROLE_AGENT), Options{SSL: true},
		&agentAuth{name: "FS01", key: key(t, "FS01", "theirs"), management: true}, nil)
	console := &Dialer{Identity: newIdentity(t, pb.Role_ROLE_MASTER), Options: Options{SSL: true}}
	_, err := console.Dial(context.Background(), Target{Address: srv.addr(), Name: "FS01", Key: key(t, "FS01", "old"), KDF: testKDF,
		Next: &Secret{Key: key(t, "FS01", "new"), KDF: testKDF}})
	wantCode(t, err, wire.CodeAuthFailed)
	for range 2 { // one for each key
		if r := srv.nextRefusal(t, 5*time.Second); r.Err.Code != wire.CodeAuthFailed {
			t.Errorf("refused with %v", r.Err)
		}
	}
}

// A next key derived with other parameters (a later version's) links an
// agent that derives alike; the console states the parameters the agent
// uses in its hello.
func TestANextKeyDerivedOtherwiseLinksAnAgentDerivingAlike(t *testing.T) {
	stronger := auth.KDFParams{Time: 2, MemoryKiB: testKDF.MemoryKiB, Threads: testKDF.Threads}
	newKey, err := auth.DeriveKey([]byte("new"), "FS01", stronger)
	if err != nil {
		t.Fatal(err)
	}
	srv := startServer(t, newIdentity(t, pb.Role_ROLE_MASTER), Options{},
		&slaveTable{name: "FS01", key: key(t, "FS01", "old"), next: &Secret{Key: newKey, KDF: stronger}}, nil)
	agent := &Dialer{Identity: newIdentity(t, pb.Role_ROLE_AGENT)}
	for _, tc := range []struct {
		key      auth.Key
		kdf      auth.KDFParams
		wantNext bool
	}{{newKey, stronger, true}, {key(t, "FS01", "old"), testKDF, false}} {
		dialed, err := agent.Dial(context.Background(), Target{Address: srv.addr(), Name: "FS01", Key: tc.key, KDF: tc.kdf})
		if err != nil {
			t.Fatalf("deriving with %s: %v", tc.kdf, err)
		}
		accepted := srv.nextLink(t)
		if accepted.Peer().NextKey != tc.wantNext {
			t.Errorf("deriving with %s: NextKey=%v", tc.kdf, accepted.Peer().NextKey)
		}
		closeLink(dialed)
		closeLink(accepted)
	}
}
