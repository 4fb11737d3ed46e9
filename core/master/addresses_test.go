package master

import (
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lanyard/lanyard/core/auth"
	"github.com/lanyard/lanyard/core/link"
	"github.com/lanyard/lanyard/core/store"
	"github.com/lanyard/lanyard/core/wire"
	"github.com/lanyard/lanyard/core/wire/pb"
	"github.com/lanyard/lanyard/internal/testkit"
)

// An agent behind NAT arrives from whatever address its router has today,
// through whichever of the office's forwarded ports its ISP lets through:
// the console knows it by name and installation, never by address.
func TestOneAgentArrivingFromAnotherAddressIsTheSameSlave(t *testing.T) {
	c := startConsole(t, true, nil)
	if _, err := c.AddSlave(SlaveSpec{Name: "FS01", Direction: store.Inbound, Password: []byte("pw")}); err != nil {
		t.Fatal(err)
	}
	k, err := auth.DeriveKey([]byte("pw"), "FS01", auth.DefaultKDF)
	if err != nil {
		t.Fatal(err)
	}
	id := testkit.Identity(t, testkit.Store(t, "agent", store.Options{}), pb.Role_ROLE_AGENT) // one installation, one boot
	var links sync.WaitGroup
	var opened []*link.Link
	t.Cleanup(func() {
		for _, l := range opened {
			l.CloseWith(&link.Error{Code: wire.CodeNormal})
		}
		links.Wait()
	})
	from := func(ip string) (*link.Link, error) {
		d := &link.Dialer{Identity: id, Options: link.Options{SSL: true}, LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		l, err := d.Dial(ctx, link.Target{Address: c.ListenAddr(), Name: "FS01", Key: k, KDF: auth.DefaultKDF})
		if err == nil {
			l.Start(quietHandler{}, &links)
			opened = append(opened, l)
		}
		return l, err
	}

	first, err := from("127.0.0.2")
	if err != nil {
		t.Fatal(err)
	}
	v := c.waitState(t, "FS01", StateConnected)
	if !strings.HasPrefix(v.Remote, "127.0.0.2:") {
		t.Fatalf("linked from %s, want 127.0.0.2", v.Remote)
	}

	// The same agent from another address while its link is up: the one
	// link rule refuses it as the same slave, not as a stranger.
	second, err := from("127.0.0.3")
	if err == nil {
		// The dialer is done at the welcome; the console decides after.
		select {
		case <-second.Done():
			err = second.Err()
		case <-time.After(10 * time.Second):
		}
	}
	if link.CodeOf(err) != wire.CodeDuplicateLink {
		t.Fatalf("a second link from another address: %v, want duplicate_link", err)
	}
	c.waitFor(t, "duplicate_link", kind("duplicate_link", "FS01"))
	if v, _ := c.Slave("FS01"); v.State != StateConnected || !strings.HasPrefix(v.Remote, "127.0.0.2:") {
		t.Errorf("the first link was disturbed: %+v", v)
	}

	// Its first link gone, it comes back from the other address: the same
	// entry, linked, and nothing taken for a second installation.
	first.CloseWith(&link.Error{Code: wire.CodeNormal, Reason: "the router got a new address"})
	c.waitFor(t, "disconnected", kind("disconnected", "FS01"))
	if _, err := from("127.0.0.3"); err != nil {
		t.Fatalf("the agent from its new address: %v", err)
	}
	v2 := c.waitState(t, "FS01", StateConnected)
	if v2.ID != v.ID || !strings.HasPrefix(v2.Remote, "127.0.0.3:") {
		t.Errorf("now %+v, want the same entry %s linked from 127.0.0.3", v2, v.ID)
	}
	if n := len(c.Slaves()); n != 1 {
		t.Errorf("%d slaves, want one", n)
	}
	events, err := c.db.Events(store.EventFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range events {
		if e.Kind == string(wire.CodeUnknownSlave) || e.Kind == string(wire.CodeDuplicateInstall) {
			t.Errorf("the agent from another address was taken for a stranger: %+v", e)
		}
	}
}
