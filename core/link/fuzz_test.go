package link

import (
	"io"
	"net"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/lanyard/lanyard/core/auth"
	"github.com/lanyard/lanyard/core/wire"
	"github.com/lanyard/lanyard/core/wire/pb"
)

// FuzzAcceptorHandshake feeds arbitrary bytes to the acceptor's side of the
// handshake, as a stranger dialing in could. It must never panic, never
// authenticate without the key, and always return.
func FuzzAcceptorHandshake(f *testing.F) {
	id := newIdentity(f, pb.Role_ROLE_AGENT)
	k := key(f, "FS01", "pw")
	hello := func(mutate func(*pb.Hello)) []byte {
		h := newHello(newIdentity(f, pb.Role_ROLE_MASTER), "FS01", testKDF, false)
		if mutate != nil {
			mutate(h)
		}
		payload, _ := proto.Marshal(h)
		return append([]byte(wire.Magic), wire.AppendFrame(nil, wire.Frame{Kind: wire.KindHello, Payload: payload})...)
	}
	proof, _ := proto.Marshal(&pb.Proof{Mac: make([]byte, auth.MACSize)})
	f.Add(hello(nil))
	f.Add(append(hello(nil), wire.AppendFrame(nil, wire.Frame{Kind: wire.KindProof, Payload: proof})...))
	f.Add(hello(func(h *pb.Hello) { h.Name = "other" }))
	f.Add(hello(func(h *pb.Hello) { h.VersionMin, h.VersionMax = 9, 9 }))
	f.Add([]byte("GET / HTTP/1.1\r\n\r\n"))
	f.Add([]byte{wire.TLSHandshakeByte, 3, 1, 0, 5})
	f.Add([]byte(wire.Magic))
	f.Add([]byte{})

	l := &Listener{
		cfg: ListenConfig{Identity: id, Auth: &agentAuth{name: "FS01", key: k, management: true},
			Limiter: auth.NewLimiter(auth.LimiterConfig{IPBurst: 1 << 30, NameBurst: 1 << 30})},
		opts: Options{}.withDefaults(),
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		client, server := net.Pipe()
		done := make(chan struct{})
		go func() {
			defer close(done)
			_, _ = client.Write(data)
			// Hang up after sending: the acceptor must not wait for more.
			_ = client.Close()
		}()
		go func() { _, _ = io.Copy(io.Discard, client) }()
		lnk, _, err := l.handshake(server)
		_ = server.Close()
		<-done
		if err == nil {
			lnk.CloseWith(&Error{Code: wire.CodeNormal})
			t.Fatalf("a link was authenticated from fuzzed bytes %q", data)
		}
	})
}
