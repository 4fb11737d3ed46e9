package agent

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/lanyard/lanyard/core/wire"
	"github.com/sirupsen/logrus"
)

func TestAReadAnsweredAtInfoLevelBuildsNoLogEntry(t *testing.T) {
	log := logrus.New()
	log.SetOutput(io.Discard)
	log.SetLevel(logrus.InfoLevel)
	a := New(Config{Settings: Settings{Name: "FS01", Management: true}, Logger: log.WithField("agent", "FS01"), Version: "test"})
	ctx := context.Background()
	a.status(ctx)
	a.probe.mu.Lock()
	a.probe.last.at = time.Now().Add(time.Hour) // no new reading during the count
	a.probe.mu.Unlock()
	direct := testing.AllocsPerRun(100, func() { _, _ = a.handleStatus(ctx, nil, nil) })
	served := testing.AllocsPerRun(100, func() { _, _ = a.serve(ctx, nil, wire.MethodStatus, nil) })
	if served > direct {
		t.Errorf("a status request served at info level made %.0f allocations, the handler alone %.0f: the log entry is built for nothing", served, direct)
	}
}
