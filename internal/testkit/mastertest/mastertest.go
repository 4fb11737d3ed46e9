// Package mastertest starts a live console (*master.Master) for the tests
// of the packages above core/master (ui, service, app): on a store in the
// test's temporary directory, with the test timings of package testkit.
package mastertest

import (
	"context"
	"testing"

	"github.com/lanyard/lanyard/core/auth"
	"github.com/lanyard/lanyard/core/master"
	"github.com/lanyard/lanyard/core/store"
	"github.com/lanyard/lanyard/core/wire/pb"
	"github.com/lanyard/lanyard/internal/testkit"
)

// Options describe a live console.
type Options struct {
	DB     *store.DB // nil: a fresh console.db
	Listen bool      // listen for inbound slaves on a loopback port
	SSL    bool
	// Tune changes the configuration before the console starts.
	Tune func(*master.Config)
}

// Start starts a real console and closes it when the test ends. Every
// agent in a test dials from 127.0.0.1, so one address's failure budget is
// raised: unrelated failures must not throttle the test's own links.
func Start(t testing.TB, o Options) *master.Master {
	t.Helper()
	db := o.DB
	if db == nil {
		db = testkit.Store(t, "console", store.Options{})
	}
	if err := master.SaveSettings(db, master.Settings{Listen: o.Listen, ListenAddress: "127.0.0.1:0", SSL: o.SSL}); err != nil {
		t.Fatal(err)
	}
	log, _ := testkit.Logger()
	cfg := master.Config{DB: db, Identity: testkit.Identity(t, db, pb.Role_ROLE_MASTER), Logger: log,
		Limiter:   auth.NewLimiter(auth.LimiterConfig{IPBurst: 1000, NameBurst: 1000}),
		Heartbeat: testkit.Heartbeat, DeadAfter: testkit.DeadAfter,
		RedialInitial: testkit.RedialInitial, RedialMax: testkit.RedialMax}
	if o.Tune != nil {
		o.Tune(&cfg)
	}
	m := master.New(cfg)
	if err := m.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Close() })
	return m
}
