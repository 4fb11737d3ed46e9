package master

import (
	"context"
	"fmt"
	"net"
	"strings"
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

// dialBack is an agent's end that, when its link closes, dials the console
// again at once, as a real agent soon does, and reports what it heard and
// whether the console's port took the new connection.
type dialBack struct {
	quietHandler
	addr  string
	heard chan dialedBack
}

type dialedBack struct {
	why  *link.Error
	dial error // nil: the port took the connection
}

func (d dialBack) HandleClose(_ *link.Link, err *link.Error) {
	c, derr := net.DialTimeout("tcp", d.addr, 5*time.Second)
	if derr == nil {
		_ = c.Close()
	}
	d.heard <- dialedBack{why: err, dial: derr}
}

// A stopping console shuts its door before it tells its slaves: a slave
// that dials straight back finds the port closed, instead of a handshake
// that the console would spend its stop on only to refuse it. Each link's
// end is kept in the connection log, and its slave's last-seen time in the
// store; the console's log says it once.
func TestAStoppingConsoleShutsItsDoorFirstAndLogsTheLinksEndOnce(t *testing.T) {
	log, hook := testkit.Logger()
	c := startConsoleWith(t, false, nil, func(cfg *Config) { cfg.Logger = log })
	names := []string{"FS01", "FS02", "FS03"}
	heard := make(chan dialedBack, len(names))
	agentID := testkit.Identity(t, testkit.Store(t, "agent", store.Options{}), pb.Role_ROLE_AGENT)
	for _, name := range names {
		if _, err := c.AddSlave(SlaveSpec{Name: name, Direction: store.Inbound, Password: []byte("pw")}); err != nil {
			t.Fatal(err)
		}
		d := &link.Dialer{Identity: agentID}
		l, err := d.Dial(context.Background(), link.Target{Address: c.ListenAddr(), Name: name,
			Key: testkit.Key(t, name, "pw", auth.DefaultKDF), KDF: auth.DefaultKDF})
		if err != nil {
			t.Fatal(err)
		}
		l.Start(dialBack{addr: c.ListenAddr(), heard: heard}, nil)
		c.waitState(t, name, StateConnected)
	}

	stopping := time.Now()
	c.stop()
	slaves, err := c.db.Slaves()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range slaves {
		if s.LastSeen.Before(stopping) {
			t.Errorf("%s: last seen %v, before the console stopped (%v)", s.Name, s.LastSeen, stopping)
		}
	}
	for range names {
		select {
		case h := <-heard:
			if h.why.Code != wire.CodeShuttingDown {
				t.Errorf("a slave heard %s (%s), want shutting_down", h.why.Code, h.why.Reason)
			}
			if h.dial == nil {
				t.Error("a slave that dialed back at once found the console's port still open")
			}
		case <-time.After(10 * time.Second):
			t.Fatal("a link stayed open after the console stopped")
		}
	}
	records, err := c.db.Events(store.EventFilter{})
	if err != nil {
		t.Fatal(err)
	}
	ended := map[string]bool{}
	for _, r := range records {
		if r.Kind == store.KindDisconnected && strings.Contains(r.Reason, string(wire.CodeShuttingDown)) {
			ended[r.Slave] = true
		}
	}
	if len(ended) != len(names) {
		t.Errorf("the connection log has the end of the links to %v, want all of %v", ended, names)
	}
	var lines []string
	for _, e := range hook.AllEntries() {
		if e.Data["event"] == store.KindDisconnected {
			lines = append(lines, fmt.Sprintf("%v %s", e.Data["links"], e.Message))
		}
	}
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "3 ") {
		t.Errorf("the console's log said of the links' end:\n%s\nwant one line for the 3 links", strings.Join(lines, "\n"))
	}
}
