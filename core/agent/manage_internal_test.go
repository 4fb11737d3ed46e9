package agent

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/lanyard/lanyard/core/wire"
	"github.com/lanyard/lanyard/core/wire/pb"
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
	atOnce := testing.AllocsPerRun(100, func() { _, _, _ = a.AnswerAtOnce(nil, wire.MethodStatus, nil) })
	if atOnce > direct {
		t.Errorf("a status answered at once at info level made %.0f allocations, the handler alone %.0f: the log entry is built for nothing", atOnce, direct)
	}
}

// A status is answered on the link's reader only while the host's reading
// is at hand; the first, which must take one, and whatever this agent acts
// as if it did not know go to the request's own goroutine.
func TestOnlyAReadingAtHandIsAnsweredAtOnce(t *testing.T) {
	host := newSlowHost()
	a := New(Config{Settings: Settings{Name: "FS01", Management: true}, Version: "test"})
	a.probe.readHost = host.read
	if _, answered, _ := a.AnswerAtOnce(nil, wire.MethodStatus, nil); answered {
		t.Fatal("a status was answered at once before any reading of the host")
	}
	host.land <- struct{}{}
	first := a.status(context.Background())
	resp, answered, err := a.AnswerAtOnce(nil, wire.MethodStatus, nil)
	if !answered || err != nil {
		t.Fatalf("a status with a fresh reading: answered %v, %v; want answered", answered, err)
	}
	if st := resp.(*pb.StatusResponse); st.UptimeSeconds != first.UptimeSeconds || st.TimeUnixNano < first.TimeUnixNano {
		t.Errorf("answered at once: uptime %d at %d; want the reading's %d, after %d", st.UptimeSeconds, st.TimeUnixNano, first.UptimeSeconds, first.TimeUnixNano)
	}

	// Stale, with no reading under way: the request would take one.
	a.probe.mu.Lock()
	a.probe.last.at = time.Now().Add(-time.Hour)
	a.probe.mu.Unlock()
	if _, answered, _ := a.AnswerAtOnce(nil, wire.MethodStatus, nil); answered {
		t.Error("a status was answered at once from a stale reading with none under way")
	}
	// Other methods, and a status this agent acts as if it did not know.
	if _, answered, _ := a.AnswerAtOnce(nil, wire.MethodSettingsGet, nil); answered {
		t.Error("settings.get was answered at once")
	}
	b := New(Config{Settings: Settings{Name: "FS02"}, Version: "test", WithoutMethods: []string{wire.MethodStatus}})
	b.status(context.Background())
	if _, answered, _ := b.AnswerAtOnce(nil, wire.MethodStatus, nil); answered {
		t.Error("a status was answered at once by an agent acting as if it did not know the method")
	}
}
