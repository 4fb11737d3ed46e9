package master

import (
	"context"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lanyard/lanyard/core/proto/pb"
	"github.com/lanyard/lanyard/core/store"
)

// blackhole forwards TCP until frozen, then drops everything while keeping
// both connections open: the network view of a machine that lost power.
type blackhole struct {
	ln     net.Listener
	target string
	frozen atomic.Bool
	wg     sync.WaitGroup
	mu     sync.Mutex
	conns  []net.Conn
}

func newBlackhole(t *testing.T, target string) *blackhole {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &blackhole{ln: ln, target: target}
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			out, err := net.Dial("tcp", target)
			if err != nil {
				_ = in.Close()
				continue
			}
			b.mu.Lock()
			b.conns = append(b.conns, in, out)
			b.mu.Unlock()
			b.wg.Add(2)
			go b.pipe(in, out)
			go b.pipe(out, in)
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		b.mu.Lock()
		for _, c := range b.conns {
			_ = c.Close()
		}
		b.mu.Unlock()
		b.wg.Wait()
	})
	return b
}

func (b *blackhole) pipe(dst, src net.Conn) {
	defer b.wg.Done()
	buf := make([]byte, 4096)
	for {
		n, err := src.Read(buf)
		if err != nil {
			return
		}
		if !b.frozen.Load() {
			if _, err := dst.Write(buf[:n]); err != nil {
				return
			}
		}
	}
}

func TestRestartedAgentReplacesItsGhostLinkAtOnce(t *testing.T) {
	db := openDB(t, "console")
	if err := SaveSettings(db, Settings{Listen: true, ListenAddress: "127.0.0.1:0"}); err != nil {
		t.Fatal(err)
	}
	log, _ := quiet()
	// A long heartbeat: the ghost must be replaced long before it could be
	// declared dead.
	m := New(Config{DB: db, Identity: identity(t, db, pb.Role_ROLE_MASTER), Logger: log,
		Heartbeat: 5 * time.Second, DeadAfter: 15 * time.Second})
	events, cancel := m.Subscribe(1024)
	defer cancel()
	if err := m.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	c := &console{Master: m, db: db, events: events}
	if _, err := c.AddSlave(SlaveSpec{Name: "FS01", Direction: store.Inbound, Password: []byte("pw")}); err != nil {
		t.Fatal(err)
	}

	// The agent reaches the console through a path that will go dark.
	hole := newBlackhole(t, c.ListenAddr())
	agentDB := openDB(t, "agent")
	first := startAgentOn(t, agentDB, "FS01", "pw", false, false, hole.ln.Addr().String())
	ghost := c.waitState(t, "FS01", StateConnected)

	// Power cut: the path goes dark, the agent process ends.
	hole.frozen.Store(true)
	_ = first.Close()

	// It boots again (new boot ID, same installation) on a working path.
	if err := agentDB.ReplaceMasters([]store.Master{{Address: c.ListenAddr()}}); err != nil {
		t.Fatal(err)
	}
	restartedAt := time.Now()
	startAgentOn(t, agentDB, "FS01", "pw", false, false)
	c.waitFor(t, "the ghost replaced", func(e Event) bool {
		return e.Kind == "duplicate_link" && strings.Contains(e.Reason, "restarted")
	})
	if took := time.Since(restartedAt); took > 3*time.Second {
		t.Errorf("ghost replaced after %s; the dead-peer window is 15s", took)
	}
	v := c.waitState(t, "FS01", StateConnected)
	if v.Remote == ghost.Remote {
		t.Errorf("still on the ghost link from %s", v.Remote)
	}
}
