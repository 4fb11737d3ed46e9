package console

import (
	"context"
	"path/filepath"
	"sync"

	"github.com/sirupsen/logrus"

	"github.com/lanyard/lanyard/app"
	"github.com/lanyard/lanyard/core/master"
	"github.com/lanyard/lanyard/core/store"
	"github.com/lanyard/lanyard/core/wire/pb"
)

// runtime is a running console: its database and its fleet.
type runtime struct {
	db          *store.DB
	master      *master.Master
	log         logrus.FieldLogger
	stopControl func()
	stopMemory  context.CancelFunc
	once        sync.Once
	err         error
}

// startRuntime opens the database, loads the identity and starts the
// fleet: the listener when set, and a dialer per outbound slave.
func startRuntime(ctx context.Context, e *env, log logrus.FieldLogger) (*runtime, error) {
	// The database first: a console already running with it is said
	// before anything else.
	db, err := e.openDB(log)
	if err != nil {
		return nil, err
	}
	// Each link holds an open file: as many as the system allows.
	if limit, err := app.RaiseFileLimit(); err != nil {
		log.WithError(err).Warn("cannot raise the open-file limit")
	} else {
		log.WithField("event", "files").Info(app.FileLimitWords(limit))
	}
	app.SetMemoryLimit(log)
	id, err := app.LoadIdentity(db, pb.Role_ROLE_MASTER)
	if err != nil {
		_ = db.Close()
		return nil, err
	}
	m := master.New(master.Config{DB: db, Identity: id, Logger: log})
	if err := m.Start(ctx); err != nil {
		_ = db.Close()
		return nil, err
	}
	// The command line reaches the running console through this socket.
	dir, _ := e.dir()
	stop, err := openControl(dir, m, db)
	if err != nil {
		_ = m.Close()
		_ = db.Close()
		return nil, err
	}
	log.WithField("event", "control").Debugf("control socket at %s", filepath.Join(dir, ControlSocket))
	memCtx, stopMemory := context.WithCancel(ctx)
	go app.KeepMemory(memCtx, m.Linked, app.SettleAfter, log)
	return &runtime{db: db, master: m, log: log, stopControl: stop, stopMemory: stopMemory}, nil
}

// Close closes every link with shutting_down, flushes the log and closes
// the database. Idempotent.
func (r *runtime) Close() error {
	r.once.Do(func() {
		r.stopMemory()
		r.stopControl()
		r.err = r.master.Close()
		if err := r.db.Close(); r.err == nil {
			r.err = err
		}
	})
	return r.err
}
