package master

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/lanyard/lanyard/core/auth"
	"github.com/lanyard/lanyard/core/link"
	"github.com/lanyard/lanyard/core/store"
	"github.com/lanyard/lanyard/core/wire"
	"github.com/lanyard/lanyard/core/wire/pb"
	"github.com/lanyard/lanyard/internal/testkit"
)

// closeWatcher is an agent's end that notes why its link closed.
type closeWatcher struct {
	quietHandler
	closed chan *link.Error
}

func (w closeWatcher) HandleClose(_ *link.Link, err *link.Error) { w.closed <- err }

// A console that stops tells every slave so, outbound and inbound alike,
// and so a slave's log says "the console is shutting down" rather than
// "connection lost".
func TestCloseTellsEverySlaveTheConsoleIsShuttingDown(t *testing.T) {
	for _, ssl := range []bool{false, true} {
		t.Run(fmt.Sprintf("ssl=%v", ssl), func(t *testing.T) {
			agentID := testkit.Identity(t, testkit.Store(t, "agent", store.Options{}), pb.Role_ROLE_AGENT)
			k1, err := auth.DeriveKey([]byte("pw"), "FS01", auth.DefaultKDF)
			if err != nil {
				t.Fatal(err)
			}
			k2, err := auth.DeriveKey([]byte("pw"), "FS02", auth.DefaultKDF)
			if err != nil {
				t.Fatal(err)
			}
			out := closeWatcher{closed: make(chan *link.Error, 1)}
			ln, err := link.Listen(link.ListenConfig{Address: "127.0.0.1:0", Identity: agentID, Options: link.Options{SSL: ssl},
				Auth: quietAgent{k1}, OnLink: func(l *link.Link) { l.Start(out, nil) }})
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()

			c := startConsole(t, ssl, nil)
			if _, err := c.AddSlave(SlaveSpec{Name: "FS01", Direction: store.Outbound, Address: ln.Addr().String(), Password: []byte("pw")}); err != nil {
				t.Fatal(err)
			}
			if _, err := c.AddSlave(SlaveSpec{Name: "FS02", Direction: store.Inbound, Password: []byte("pw")}); err != nil {
				t.Fatal(err)
			}
			d := &link.Dialer{Identity: agentID, Options: link.Options{SSL: ssl}}
			inLink, err := d.Dial(context.Background(), link.Target{Address: c.ListenAddr(), Name: "FS02", Key: k2, KDF: auth.DefaultKDF})
			if err != nil {
				t.Fatal(err)
			}
			in := closeWatcher{closed: make(chan *link.Error, 1)}
			inLink.Start(in, nil)
			c.waitState(t, "FS01", StateConnected)
			c.waitState(t, "FS02", StateConnected)

			c.stop()
			for name, w := range map[string]closeWatcher{"outbound FS01": out, "inbound FS02": in} {
				select {
				case e := <-w.closed:
					if e.Code != wire.CodeShuttingDown || !e.Remote {
						t.Errorf("%s: the link closed with %s (%s), want the console's shutting_down", name, e.Code, e.Reason)
					}
				case <-time.After(10 * time.Second):
					t.Errorf("%s: the link stayed open after the console stopped", name)
				}
			}
		})
	}
}
