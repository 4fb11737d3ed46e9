package fleetsim

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/lanyard/lanyard/core/master"
	"github.com/lanyard/lanyard/core/slavefile"
	"github.com/lanyard/lanyard/core/store"
	"github.com/lanyard/lanyard/core/wire/pb"
	"github.com/lanyard/lanyard/internal/testkit"
)

// console is a real core/master console on a fresh database holding the
// entries of the fleet, listening on 127.0.0.1 when listen is set.
func console(t testing.TB, rows []slavefile.Row, ssl, listen bool) *master.Master {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "console.db"), store.Options{Kind: "console"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	var entries []store.Slave
	for _, r := range rows {
		k, p, err := slavefile.ParseKey(r.Key)
		if err != nil {
			t.Fatal(err)
		}
		entries = append(entries, store.Slave{Name: r.Name, Direction: store.Direction(r.Direction), Address: r.Address,
			Key: k[:], KDF: store.KDFParams{Time: p.Time, MemoryKiB: p.MemoryKiB, Threads: p.Threads}})
	}
	if _, err := db.AddSlaves(entries); err != nil {
		t.Fatal(err)
	}
	if err := master.SaveSettings(db, master.Settings{Listen: listen, ListenAddress: "127.0.0.1:0", SSL: ssl}); err != nil {
		t.Fatal(err)
	}
	log := logrus.New()
	log.SetLevel(logrus.WarnLevel)
	m := master.New(master.Config{DB: db, Logger: log, Identity: testkit.Identity(t, nil, pb.Role_ROLE_MASTER),
		RedialInitial: 20 * time.Millisecond, RedialMax: 200 * time.Millisecond})
	if err := m.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Close() })
	return m
}

// waitLinked waits until every slave of the console is connected and
// returns their remote addresses.
func waitLinked(t *testing.T, m *master.Master, n int) []string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var remotes []string
		for _, v := range m.Slaves() {
			if v.State == master.StateConnected {
				remotes = append(remotes, v.Remote)
			}
		}
		if len(remotes) == n {
			return remotes
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d slaves linked within 30s: %+v", len(remotes), n, m.Slaves())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestAFleetThatDialsLinksToARealConsoleEachFromItsOwnAddress(t *testing.T) {
	cfg := Config{Count: 6, First: 10, Seed: []byte("test seed"), SSL: true, SourceBase: netip.MustParseAddr("127.1.200.1"),
		RedialInitial: 20 * time.Millisecond, RedialMax: 200 * time.Millisecond}
	rows, err := Entries(Config{Count: cfg.Count, First: cfg.First, Seed: cfg.Seed, Master: "x:1"})
	if err != nil {
		t.Fatal(err)
	}
	if rows[0].Name != "sim00011" || rows[0].Direction != "inbound" || rows[0].Address != "" {
		t.Fatalf("first entry %+v, want inbound sim00011", rows[0])
	}
	m := console(t, rows, true, true)
	cfg.Master = m.ListenAddr()
	f, err := Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	remotes := waitLinked(t, m, cfg.Count)
	seen := map[string]bool{}
	for _, r := range remotes {
		ap := netip.MustParseAddrPort(r)
		if !strings.HasPrefix(ap.Addr().String(), "127.1.200.") {
			t.Errorf("a slave linked from %s, outside the fleet's source addresses", r)
		}
		seen[ap.Addr().String()] = true
	}
	if len(seen) != cfg.Count {
		t.Errorf("%d agents linked from %d addresses, want one each: %v", cfg.Count, len(seen), remotes)
	}
	deadline := time.Now().Add(10 * time.Second)
	for f.Linked() != cfg.Count && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if f.Linked() != cfg.Count || f.Links() != cfg.Count {
		t.Errorf("the fleet counts %d linked with %d links, want %d and one link each", f.Linked(), f.Links(), cfg.Count)
	}
}

func TestAFleetThatListensIsDialedByARealConsoleAtItsAddresses(t *testing.T) {
	base := netip.MustParseAddrPort("127.1.201.1:0")
	// Port 0 would give each agent another port; the entries need one.
	base = netip.AddrPortFrom(base.Addr(), freePort(t, base.Addr()))
	cfg := Config{Count: 4, Seed: []byte("another seed"), ListenBase: base, SSL: false}
	rows, err := Entries(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if rows[3].Direction != "outbound" || rows[3].Address != netip.AddrPortFrom(netip.MustParseAddr("127.1.201.4"), base.Port()).String() {
		t.Fatalf("fourth entry %+v, want outbound at 127.1.201.4", rows[3])
	}
	f, err := Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m := console(t, rows, false, false)
	waitLinked(t, m, cfg.Count)
}

func TestAFleetIsRefusedWhereItWouldLeaveLoopbackOrHasNoConsole(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"no console and no listen address", Config{Count: 1, Seed: []byte("s")}, "either the console"},
		{"addresses running out of 127/8", Config{Count: 10, Seed: []byte("s"), Master: "127.0.0.1:1", SourceBase: netip.MustParseAddr("127.255.255.250")}, "loopback"},
		{"a source outside loopback", Config{Count: 1, Seed: []byte("s"), Master: "127.0.0.1:1", SourceBase: netip.MustParseAddr("10.0.0.1")}, "loopback"},
		{"a prefix that makes bad names", Config{Count: 1, Seed: []byte("s"), Master: "127.0.0.1:1", NamePrefix: "a b"}, "--name-prefix"},
		{"no agents", Config{Seed: []byte("s"), Master: "127.0.0.1:1"}, "at least one"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Start(context.Background(), tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Start: %v, want an error that says %q", err, tt.want)
			}
		})
	}
}

// A fleet stopped and started again with the same seed is the same
// installations: the console that pinned their certificates links them
// again, and pins nothing new.
func TestAFleetStartedAgainIsTheInstallationItsConsolePinned(t *testing.T) {
	cfg := Config{Count: 3, Seed: []byte("test seed"), SSL: true, SourceBase: netip.MustParseAddr("127.1.201.1"),
		RedialInitial: 20 * time.Millisecond, RedialMax: 200 * time.Millisecond}
	rows, err := Entries(Config{Count: cfg.Count, Seed: cfg.Seed, Master: "x:1"})
	if err != nil {
		t.Fatal(err)
	}
	m := console(t, rows, true, true)
	cfg.Master = m.ListenAddr()
	pinned := func() map[string]string {
		out := map[string]string{}
		for _, v := range m.Slaves() {
			out[v.Name] = v.PinnedCert
		}
		return out
	}
	f, err := Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	waitLinked(t, m, cfg.Count)
	first := pinned()
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	waitLinked(t, m, 0)

	again, err := Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	waitLinked(t, m, cfg.Count)
	if now := pinned(); fmt.Sprint(now) != fmt.Sprint(first) || first["sim00001"] == "" {
		t.Errorf("pinned %v, then %v", first, now)
	}
}

func TestTheSameSeedGivesTheSameKeys(t *testing.T) {
	a, b := Key([]byte("seed"), "SIM00001"), Key([]byte("seed"), "sim00001")
	if a != b {
		t.Error("a name's case changed its key")
	}
	if Key([]byte("other"), "sim00001") == a {
		t.Error("another seed gave the same key")
	}
}

// freePort is a port free at addr now.
func freePort(t *testing.T, addr netip.Addr) uint16 {
	t.Helper()
	ln, err := net.Listen("tcp", netip.AddrPortFrom(addr, 0).String())
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return uint16(ln.Addr().(*net.TCPAddr).Port)
}
