package agent_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/lanyard/lanyard/core/agent"
	"github.com/lanyard/lanyard/core/auth"
	"github.com/lanyard/lanyard/core/link"
	"github.com/lanyard/lanyard/core/wire"
	"github.com/lanyard/lanyard/core/wire/pb"
	"github.com/sirupsen/logrus"
)

// events is a console's handler that records what the agent pushes.
type events struct {
	*handler
	mu      sync.Mutex
	got     []string
	changed chan struct{}
}

func newEvents() *events {
	return &events{handler: newHandler(), changed: make(chan struct{})}
}

func (e *events) HandleEvent(_ *link.Link, typ string, _ []byte) {
	e.mu.Lock()
	e.got = append(e.got, typ)
	close(e.changed)
	e.changed = make(chan struct{})
	e.mu.Unlock()
}

// wait waits for an event of type typ, counting from the start.
func (e *events) wait(t *testing.T, typ string) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		e.mu.Lock()
		for _, g := range e.got {
			if g == typ {
				e.mu.Unlock()
				return
			}
		}
		ch := e.changed
		e.mu.Unlock()
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("no %q event within 10s", typ)
		}
	}
}

// linkWith links c to a with h as its handler.
func (c *console) linkWith(t *testing.T, a *runningAgent, ssl bool, h link.Handler) *link.Link {
	t.Helper()
	l, err := c.dial(t, a.ListenAddr(), ssl, slaveName, keyFor(t, slaveName, password))
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	l.Start(h, nil)
	if _, err := status(t, l); err != nil {
		t.Fatalf("first request on a new link: %v", err)
	}
	return l
}

func request(t *testing.T, l *link.Link, method string, req, resp proto.Message) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return l.Request(ctx, method, req, resp)
}

func TestStatusCarriesTheAgentsClockAndItsDisks(t *testing.T) {
	a := startAgent(t, false, true)
	l, _ := newConsole(t).link(t, a, false)
	before := time.Now()
	st, err := status(t, l)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Unix(0, st.TimeUnixNano)
	if at.Before(before.Add(-time.Second)) || at.After(time.Now().Add(time.Second)) {
		t.Fatalf("the agent's clock says %s, the test's %s", at, before)
	}
	if len(st.Disks) == 0 {
		t.Fatal("no disks")
	}
	for _, d := range st.Disks {
		if d.Total == 0 || d.Mountpoint == "" || d.Fstype == "tmpfs" || d.Fstype == "proc" {
			t.Fatalf("disk %+v", d)
		}
	}
}

func TestAMethodThisVersionLacksIsAnsweredUnknownWithTheVersion(t *testing.T) {
	db := initializedDB(t)
	mustInit(t, db, agent.InitOptions{Listen: ptr("127.0.0.1:0"), SSL: ptr(false)})
	a := newAgentWith(t, db, func(c *agent.Config) { c.WithoutMethods = []string{wire.MethodLogTail} })
	if err := a.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	l, _ := newConsole(t).link(t, a, false)
	err := l.Stream(context.Background(), wire.MethodLogTail, &pb.LogTailRequest{Lines: 1}, func([]byte) error { return nil }, nil)
	var re *link.RequestError
	if !errors.As(err, &re) || re.Code != wire.ErrUnknownMethod || !strings.Contains(re.Message, "test-1.2.3") {
		t.Fatalf("log.tail on an agent without it: %v", err)
	}
	for _, m := range a.Methods() {
		if m == wire.MethodLogTail {
			t.Fatal("Methods lists the method the agent acts as if it lacked")
		}
	}
}

// logAgent is an agent whose log file is path.
func logAgent(t *testing.T, path string) *runningAgent {
	t.Helper()
	db := initializedDB(t)
	mustInit(t, db, agent.InitOptions{Listen: ptr("127.0.0.1:0"), SSL: ptr(false)})
	a := newAgentWith(t, db, func(c *agent.Config) {
		c.LogFile = path
		c.LogTailInterval = 5 * time.Millisecond
	})
	if err := a.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	return a
}

func logLine(i int, level string) string {
	return fmt.Sprintf("time=\"2026-03-04 05:06:07.%03d\" level=%s msg=\"line %d %s\"\n", i%1000, level, i, strings.Repeat("x", 150))
}

func TestTheLogBacklogArrivesInChunksUnder16KiB(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lanyard-agent.log")
	var b strings.Builder
	const n = 5000 // about 1 MB
	for i := range n {
		b.WriteString(logLine(i, map[bool]string{true: "warning", false: "info"}[i%10 == 0]))
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	a := logAgent(t, path)
	l, _ := newConsole(t).link(t, a, false)

	for _, tc := range []struct {
		name string
		req  *pb.LogTailRequest
		want int
		last int
	}{
		{"the whole backlog", &pb.LogTailRequest{All: true}, n, n - 1},
		{"the last 10 lines", &pb.LogTailRequest{Lines: 10}, 10, n - 1},
		{"warnings only", &pb.LogTailRequest{All: true, MinLevel: "warning"}, n / 10, n - 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var lines []*pb.LogLine
			chunks := 0
			var resp pb.LogTailResponse
			err := l.Stream(context.Background(), wire.MethodLogTail, tc.req, func(chunk []byte) error {
				if len(chunk) > wire.MaxChunk {
					return fmt.Errorf("a chunk of %d bytes", len(chunk))
				}
				chunks++
				var ll pb.LogLines
				if err := proto.Unmarshal(chunk, &ll); err != nil {
					return err
				}
				lines = append(lines, ll.Lines...)
				return nil
			}, &resp)
			if err != nil {
				t.Fatal(err)
			}
			if len(lines) != tc.want || resp.File != path {
				t.Fatalf("%d lines in %d chunks from %q, want %d from %q", len(lines), chunks, resp.File, tc.want, path)
			}
			last := lines[len(lines)-1]
			if !strings.Contains(last.Text, fmt.Sprintf("line %d ", tc.last)) {
				t.Fatalf("the last line is %q", last.Text)
			}
			if last.TimeUnixNano == 0 || last.Level == "" {
				t.Fatalf("the last line's time and level were not read: %+v", last)
			}
		})
	}
}

func TestAFollowedLogBringsNewLinesUntilTheConsoleStops(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lanyard-agent.log")
	if err := os.WriteFile(path, []byte(logLine(0, "info")), 0o600); err != nil {
		t.Fatal(err)
	}
	a := logAgent(t, path)
	l, _ := newConsole(t).link(t, a, false)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	got := make(chan string, 100)
	done := make(chan error, 1)
	go func() {
		done <- l.Stream(ctx, wire.MethodLogTail, &pb.LogTailRequest{Lines: 5, Follow: true, MinLevel: "info"}, func(chunk []byte) error {
			var ll pb.LogLines
			if err := proto.Unmarshal(chunk, &ll); err != nil {
				return err
			}
			for _, x := range ll.Lines {
				got <- x.Text
			}
			return nil
		}, nil)
	}()
	next := func(want string) {
		t.Helper()
		select {
		case s := <-got:
			if !strings.Contains(s, want) {
				t.Fatalf("got %q, want %q", s, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%q did not arrive", want)
		}
	}
	next("line 0 ")
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = f.WriteString(logLine(1, "debug") + logLine(2, "error"))
	_ = f.Close()
	next("line 2 ") // the debug line is filtered out
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Stream after cancel: %v", err)
	}
	// The agent's handler ended: the link serves another request.
	if _, err := status(t, l); err != nil {
		t.Fatal(err)
	}
}

func TestSettingsAreReadAndChangedOverTheLink(t *testing.T) {
	a := startAgent(t, false, true)
	c := newConsole(t)
	l, _ := c.link(t, a, false)
	other := newEvents()
	c.linkWith(t, a, false, other)

	var s pb.AgentSettings
	if err := request(t, l, wire.MethodSettingsGet, &pb.SettingsGetRequest{}, &s); err != nil {
		t.Fatal(err)
	}
	you := 0
	for _, ci := range s.Consoles {
		if ci.You {
			you++
		}
	}
	if s.Name != slaveName || s.Ssl || !s.Management || s.ListenAddr != a.ListenAddr() || len(s.Consoles) != 2 || you != 1 {
		t.Fatalf("settings %+v", &s)
	}
	// The consoles in the order they linked, each with its round trip
	// (from the handshake, before any ping).
	if !s.Consoles[0].You || s.Consoles[0].SinceUnixNano > s.Consoles[1].SinceUnixNano ||
		s.Consoles[0].RttMs <= 0 || s.Consoles[1].RttMs <= 0 {
		t.Fatalf("consoles linked %+v, want the asking one (linked first) first, each with a round trip", s.Consoles)
	}

	master := listenAsConsole(t, false)
	var resp pb.SettingsSetResponse
	err := request(t, l, wire.MethodSettingsSet, &pb.SettingsSetRequest{MastersAdd: []string{master.Addr().String()}}, &resp)
	if err != nil {
		t.Fatal(err)
	}
	wantChanges(t, resp.Changes, "masters: added "+master.Addr().String())
	if len(resp.Settings.GetMasters()) != 1 {
		t.Fatalf("settings after adding a master: %+v", resp.Settings)
	}
	// Every console hears that the agent changed.
	other.wait(t, wire.EventStatus)

	// A mistake is the console's: nothing changes.
	err = request(t, l, wire.MethodSettingsSet, &pb.SettingsSetRequest{Listen: ptr("not an address")}, &resp)
	var re *link.RequestError
	if !errors.As(err, &re) || re.Code != wire.ErrBadRequest {
		t.Fatalf("a bad listen address: %v", err)
	}
}

func TestAChangeThatCutsTheAskingConsoleIsAnsweredBeforeTheLinkCloses(t *testing.T) {
	for _, tc := range []struct {
		name string
		req  *pb.SettingsSetRequest
		want string
		code wire.Code
	}{
		{"SSL on", &pb.SettingsSetRequest{Ssl: ptr(true)}, "ssl: off → on", wire.CodeNormal},
		{"management off", &pb.SettingsSetRequest{Management: ptr(false)}, "management: on → off", wire.CodeManagementDisabled},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := startAgent(t, false, true)
			l, h := newConsole(t).link(t, a, false)
			var resp pb.SettingsSetResponse
			if err := request(t, l, wire.MethodSettingsSet, tc.req, &resp); err != nil {
				t.Fatalf("the change was not answered: %v", err)
			}
			wantChanges(t, resp.Changes, tc.want)
			if err := h.waitClosed(t); err.Code != tc.code {
				t.Fatalf("the link closed with %s (%s), want %s", err.Code, err.Reason, tc.code)
			}
		})
	}
}

func TestAPasswordChangeNeedsSSLAndKeepsTheAskingLink(t *testing.T) {
	plain := startAgent(t, false, true)
	l, _ := newConsole(t).link(t, plain, false)
	newKey := keyFor(t, slaveName, "a-new-password")
	req := &pb.PasswordSetRequest{Key: newKey[:], Kdf: auth.DefaultKDF.PB()}
	err := request(t, l, wire.MethodPasswordSet, req, nil)
	if err == nil || !strings.Contains(err.Error(), "needs SSL") {
		t.Fatalf("a password change over a plain link: %v", err)
	}

	a := startAgent(t, true, true)
	c := newConsole(t)
	asker, askerH := c.link(t, a, true)
	_, otherH := c.link(t, a, true)
	var resp pb.PasswordSetResponse
	if err := request(t, asker, wire.MethodPasswordSet, &pb.PasswordSetRequest{Key: newKey[:], Kdf: auth.DefaultKDF.PB()}, &resp); err != nil {
		t.Fatal(err)
	}
	wantChanges(t, resp.Changes, "password: changed")
	// The other console must log in again; the one that asked goes on.
	if err := otherH.waitClosed(t); !strings.Contains(err.Reason, "password") {
		t.Fatalf("the other console's link closed with %v", err)
	}
	if _, err := status(t, asker); err != nil {
		t.Fatalf("the asking console's link after the change: %v", err)
	}
	select {
	case err := <-askerH.closed:
		t.Fatalf("the asking console's link closed: %v", err)
	default:
	}
	if _, err := c.dial(t, a.ListenAddr(), true, slaveName, keyFor(t, slaveName, password)); link.CodeOf(err) != wire.CodeAuthFailed {
		t.Fatalf("the old password: %v, want auth_failed", err)
	}
	if _, err := c.dial(t, a.ListenAddr(), true, slaveName, newKey); err != nil {
		t.Fatalf("the new password: %v", err)
	}
}

func TestAReadAnsweredIsLoggedAtDebugLevelOnly(t *testing.T) {
	db := initializedDB(t)
	ssl, management := false, true
	mustInit(t, db, agent.InitOptions{Listen: ptr("127.0.0.1:0"), SSL: &ssl, Management: &management})
	var logger *logrus.Logger
	a := newAgentWith(t, db, func(c *agent.Config) { logger = c.Logger.(*logrus.Logger) })
	if err := a.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	l, _ := newConsole(t).link(t, a, false)
	answered := func() int {
		n := 0
		for _, e := range a.log.AllEntries() {
			if e.Data["event"] == "manage" && e.Data["method"] == wire.MethodStatus && strings.Contains(e.Message, "answered") {
				n++
			}
		}
		return n
	}
	for _, level := range []logrus.Level{logrus.DebugLevel, logrus.InfoLevel} {
		logger.SetLevel(level)
		before := answered()
		if _, err := status(t, l); err != nil {
			t.Fatal(err)
		}
		got, want := answered()-before, 0
		if level == logrus.DebugLevel {
			want = 1
		}
		if got != want {
			t.Errorf("at level %s, a status request answered was logged %d times, want %d", level, got, want)
		}
	}
}
