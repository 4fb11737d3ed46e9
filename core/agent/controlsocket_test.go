package agent_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lanyard/lanyard/core/agent"
	"github.com/lanyard/lanyard/core/store"
	"github.com/lanyard/lanyard/internal/testkit"
)

// startControlled is an initialised agent listening on loopback with its
// control socket in its data directory (the directory of its database).
func startControlled(t *testing.T, configure func(*agent.Config)) (*runningAgent, string) {
	t.Helper()
	db := initializedDB(t)
	mustInit(t, db, agent.InitOptions{Listen: ptr("127.0.0.1:0"), SSL: ptr(false)})
	dir := filepath.Dir(db.Path())
	a := newAgentWith(t, db, func(c *agent.Config) {
		c.ControlDir = dir
		if configure != nil {
			configure(c)
		}
	})
	if err := a.Start(context.Background()); err != nil {
		t.Fatalf("Start: %v", err)
	}
	return a, dir
}

func dialControl(t *testing.T, dir string) *agent.ControlClient {
	t.Helper()
	c, err := agent.DialControl(dir)
	if err != nil {
		t.Fatalf("DialControl: %v", err)
	}
	return c
}

// rawRequest sends body on a fresh control connection and decodes the
// answer.
func rawRequest(t *testing.T, dir, body string) agent.ControlResponse {
	t.Helper()
	conn, err := net.Dial("unix", agent.ControlSocketPath(dir))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(conn, body); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(conn).ReadBytes('\n')
	if err != nil {
		t.Fatalf("reading the answer: %v", err)
	}
	var resp agent.ControlResponse
	if err := json.Unmarshal(line, &resp); err != nil {
		t.Fatalf("the answer %q is not JSON: %v", line, err)
	}
	return resp
}

func TestTheControlSocketAnswersStatus(t *testing.T) {
	a, dir := startControlled(t, nil)
	st, err := dialControl(t, dir).Status()
	if err != nil {
		t.Fatalf("Status: %v", err)
	}
	if !st.Running || st.Name != slaveName || st.ListenAddr != a.ListenAddr() || st.SSL || !st.Management ||
		st.Masters == nil || st.Consoles == nil {
		t.Fatalf("status %+v", st)
	}
	fi, err := os.Lstat(agent.ControlSocketPath(dir))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Type() != fs.ModeSocket || fi.Mode().Perm() != 0o600 {
		t.Fatalf("the control socket is %s, want a socket with mode 0600", fi.Mode())
	}

	// The wire format, as a script or another tool would speak it.
	resp := rawRequest(t, dir, `{"op":"status"}`+"\n")
	if !resp.OK || resp.Status == nil || resp.Status.Name != slaveName || resp.Changes == nil {
		t.Fatalf("raw status answer %+v", resp)
	}
	// A request without its newline, ended by closing the write side.
	conn, err := net.DialUnix("unix", nil, &net.UnixAddr{Name: agent.ControlSocketPath(dir), Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_, _ = io.WriteString(conn, `{"op":"masters_list"}`)
	_ = conn.CloseWrite()
	var r agent.ControlResponse
	if err := json.NewDecoder(conn).Decode(&r); err != nil || !r.OK {
		t.Fatalf("answer to a request ended by EOF: %+v, %v", r, err)
	}
}

func TestEveryControlOperationTakesEffectAtOnce(t *testing.T) {
	a, dir := startControlled(t, nil)
	c := dialControl(t, dir)
	cons := listenAsConsole(t, true)
	master := cons.Addr().String()
	newAddr := freeAddr(t)
	console := newConsole(t)

	steps := []struct {
		name  string
		do    func() ([]string, error)
		want  []string
		check func(t *testing.T)
	}{
		{"set_listen moves the listener", func() ([]string, error) { return c.SetListen(newAddr) },
			[]string{"listen: 127.0.0.1:0 → " + newAddr}, func(t *testing.T) {
				if a.ListenAddr() != newAddr {
					t.Fatalf("listening on %s", a.ListenAddr())
				}
			}},
		{"set_ssl turns SSL on", func() ([]string, error) { return c.SetSSL(true) },
			[]string{"ssl: off → on"}, func(t *testing.T) { console.link(t, a, true) }},
		{"masters_add dials the master", func() ([]string, error) { return c.AddMaster(master) },
			[]string{"masters: added " + master, "dialing " + master}, func(t *testing.T) { linkedMaster(t, cons) }},
		{"masters_list shows it linked", func() ([]string, error) {
			ms, err := c.Masters()
			if err == nil && (len(ms) != 1 || ms[0].Address != master || ms[0].State != agent.MasterConnected) {
				t.Fatalf("masters %+v, want %s connected", ms, master)
			}
			return []string{}, err
		}, nil, nil},
		{"set_management off refuses consoles", func() ([]string, error) { return c.SetManagement(false) },
			[]string{"management: on → off"}, func(t *testing.T) {
				if a.Snapshot().Management || a.Links() != 0 {
					t.Fatalf("management still on, or %d links left", a.Links())
				}
			}},
		{"set_management on dials again", func() ([]string, error) { return c.SetManagement(true) },
			[]string{"management: off → on", "dialing 1 master"}, func(t *testing.T) { linkedMaster(t, cons) }},
		{"masters_remove stops dialing it", func() ([]string, error) { return c.RemoveMaster(master) },
			[]string{"masters: removed " + master}, func(t *testing.T) {
				if len(a.Snapshot().Masters) != 0 {
					t.Fatal("the master is still there")
				}
			}},
		{"set_listen off stops listening", func() ([]string, error) { return c.SetListen("off") },
			[]string{"listen: " + newAddr + " → off"}, func(t *testing.T) {
				if a.ListenAddr() != "" {
					t.Fatal("still listening")
				}
			}},
		{"password_set changes the key", func() ([]string, error) {
			pw := []byte(newPassword)
			defer clear(pw)
			return c.SetPassword(pw)
		}, []string{"password: changed"}, func(t *testing.T) {
			want := keyFor(t, slaveName, newPassword)
			if s := stored(t, a.db); string(s.Key) != string(want[:]) {
				t.Fatal("the stored key is not the new password's")
			}
		}},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			changes, err := s.do()
			if err != nil {
				t.Fatal(err)
			}
			wantChanges(t, changes, s.want...)
			if s.check != nil {
				s.check(t)
			}
		})
	}
	// The password went over the socket only: it is in no log line.
	for _, e := range a.log.AllEntries() {
		if strings.Contains(e.Message, newPassword) {
			t.Fatalf("the password was logged: %q", e.Message)
		}
	}
}

func TestControlUsageErrorsAreFlaggedAndWordedAsOffline(t *testing.T) {
	const master = "console.example.lan:7000"
	a, dir := startControlled(t, nil)
	if _, err := a.AddMaster(master); err != nil {
		t.Fatal(err)
	}
	// An agent that is not running, with the same settings.
	offline := initializedDB(t)
	mustInit(t, offline, agent.InitOptions{Listen: ptr("127.0.0.1:0"), SSL: ptr(false), Masters: []string{master}})
	c := dialControl(t, dir)
	cases := []struct {
		name    string
		req     agent.ControlRequest
		mention string
	}{
		{"a listen address without a port", agent.ControlRequest{Op: agent.OpSetListen, Value: "localhost"}, "host:port"},
		{"ssl neither on nor off", agent.ControlRequest{Op: agent.OpSetSSL, Value: "maybe"}, `ssl takes on or off, not "maybe"`},
		{"management without a value", agent.ControlRequest{Op: agent.OpSetManagement}, "management takes on or off"},
		{"a malformed master", agent.ControlRequest{Op: agent.OpMastersAdd, Value: "a b:1"}, "not a valid host"},
		{"a master already in the list", agent.ControlRequest{Op: agent.OpMastersAdd, Value: "CONSOLE.example.lan:7000"}, "already has " + master},
		{"a master not in the list", agent.ControlRequest{Op: agent.OpMastersRemove, Value: "other:7000"}, "the list has " + master},
		{"an empty password", agent.ControlRequest{Op: agent.OpPasswordSet}, "password is empty"},
		{"an unknown operation", agent.ControlRequest{Op: "reboot"}, `unknown control operation "reboot"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.Do(tc.req)
			var ce *agent.ControlError
			if !errors.As(err, &ce) || !ce.Usage || !strings.Contains(ce.Message, tc.mention) {
				t.Fatalf("err = %v, want a usage error mentioning %q", err, tc.mention)
			}
			_, offErr := agent.ApplyOffline(offline, tc.req)
			if offErr == nil || offErr.Error() != err.Error() || !agent.IsUsage(offErr) {
				t.Fatalf("offline the same request says %v (usage %v), running %q", offErr, agent.IsUsage(offErr), err)
			}
		})
	}

	// A failure that is not the request's fault is not a usage error.
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	_, err = c.SetListen(taken.Addr().String())
	var ce *agent.ControlError
	if !errors.As(err, &ce) || ce.Usage || !strings.Contains(ce.Message, "already in use") {
		t.Fatalf("a port in use: %v, want a plain failure", err)
	}
}

func TestTheControlSocketRefusesAnOversizeRequest(t *testing.T) {
	_, dir := startControlled(t, nil)
	conn, err := net.Dial("unix", agent.ControlSocketPath(dir))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	written := make(chan struct{})
	go func() {
		defer close(written)
		// Fails once the agent has had enough and closed; that is the point.
		_, _ = conn.Write([]byte(`{"op":"set_listen","value":"` + strings.Repeat("x", agent.MaxControlRequest) + `"}` + "\n"))
	}()
	var resp agent.ControlResponse
	if err := json.NewDecoder(conn).Decode(&resp); err != nil {
		t.Fatalf("no answer to an oversize request: %v", err)
	}
	<-written
	if resp.OK || !strings.Contains(resp.Error, "larger than 64 KiB") {
		t.Fatalf("answer %+v, want a refusal naming the limit", resp)
	}
	if resp := rawRequest(t, dir, "{not json\n"); resp.OK || !strings.Contains(resp.Error, "malformed control request") {
		t.Fatalf("answer to garbage: %+v", resp)
	}
}

func TestAControlConnectionHasADeadline(t *testing.T) {
	_, dir := startControlled(t, func(c *agent.Config) { c.ControlTimeout = 100 * time.Millisecond })
	conn, err := net.Dial("unix", agent.ControlSocketPath(dir))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	// Send a part of a request, then nothing.
	if _, err := io.WriteString(conn, `{"op":`); err != nil {
		t.Fatal(err)
	}
	var resp agent.ControlResponse
	if err := json.NewDecoder(conn).Decode(&resp); err != nil {
		t.Fatalf("the agent did not answer a stalled request: %v", err)
	}
	if resp.OK || !strings.Contains(resp.Error, "did not arrive within 100ms") {
		t.Fatalf("answer %+v", resp)
	}
}

func TestCloseRemovesTheControlSocket(t *testing.T) {
	a, dir := startControlled(t, nil)
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(agent.ControlSocketPath(dir)); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("the socket is still there after Close: %v", err)
	}
	if _, err := agent.DialControl(dir); !errors.Is(err, agent.ErrNotRunning) {
		t.Fatalf("DialControl after Close: %v, want ErrNotRunning", err)
	}
}

func TestAStaleControlSocketIsReplaced(t *testing.T) {
	db := initializedDB(t)
	dir := filepath.Dir(db.Path())
	path := agent.ControlSocketPath(dir)
	// What an agent that crashed leaves: a socket file nobody answers on,
	// and the private directory of a bind cut short.
	stale, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	stale.SetUnlinkOnClose(false)
	_ = stale.Close()
	leftover := filepath.Join(dir, ".lsock12345")
	if err := os.Mkdir(leftover, 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := agent.DialControl(dir); !errors.Is(err, agent.ErrNotRunning) || !strings.Contains(err.Error(), path) {
		t.Fatalf("DialControl on a stale socket: %v, want ErrNotRunning naming %s", err, path)
	}

	a := newAgentWith(t, db, func(c *agent.Config) { c.ControlDir = dir })
	if err := a.Start(context.Background()); err != nil {
		t.Fatalf("Start beside a stale socket: %v", err)
	}
	if _, err := dialControl(t, dir).Status(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(leftover); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("the leftover bind directory is still there: %v", err)
	}
}

func TestStartRefusesToTakeOverALiveControlSocket(t *testing.T) {
	db := initializedDB(t)
	dir := filepath.Dir(db.Path())
	path := agent.ControlSocketPath(dir)
	live, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	a := newAgentWith(t, db, func(c *agent.Config) { c.ControlDir = dir })
	err = a.Start(context.Background())
	if err == nil || !strings.Contains(err.Error(), "already answers on "+path) {
		t.Fatalf("Start beside a live socket: %v", err)
	}
	if _, err := os.Lstat(path); err != nil {
		t.Fatalf("the live socket was removed: %v", err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestStartRefusesAFileInThePlaceOfTheControlSocket(t *testing.T) {
	db := initializedDB(t)
	dir := filepath.Dir(db.Path())
	if err := os.WriteFile(agent.ControlSocketPath(dir), []byte("mine"), 0o600); err != nil {
		t.Fatal(err)
	}
	a := newAgentWith(t, db, func(c *agent.Config) { c.ControlDir = dir })
	if err := a.Start(context.Background()); err == nil || !strings.Contains(err.Error(), "not a socket") {
		t.Fatalf("Start: %v", err)
	}
	if a.ListenAddr() != "" {
		t.Fatal("an agent that failed to start is listening")
	}
}

func TestDialControlWithNoAgentIsErrNotRunning(t *testing.T) {
	for name, dir := range map[string]string{
		"an empty data directory":    t.TempDir(),
		"a missing data directory":   filepath.Join(t.TempDir(), "missing"),
		"a data directory with a DB": filepath.Dir(initializedDB(t).Path()),
	} {
		t.Run(name, func(t *testing.T) {
			c, err := agent.DialControl(dir)
			if !errors.Is(err, agent.ErrNotRunning) || c != nil {
				t.Fatalf("DialControl: %v, want ErrNotRunning", err)
			}
		})
	}
}

func TestConfigureReachesTheRunningAgent(t *testing.T) {
	a, dir := startControlled(t, nil)
	r, err := agent.Configure(dir, agent.ControlRequest{Op: agent.OpSetManagement, Value: "off"})
	if err != nil {
		t.Fatal(err)
	}
	wantChanges(t, r.Changes, "management: on → off")
	if !r.Status.Running || r.Status.Management || a.Snapshot().Management {
		t.Fatalf("status %+v; the agent's management is %v", r.Status, a.Snapshot().Management)
	}
}

func TestConfigureEditsTheDatabaseWhenNoAgentRuns(t *testing.T) {
	db := initializedDB(t)
	dir := filepath.Dir(db.Path())
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		req  agent.ControlRequest
		want []string
	}{
		{agent.ControlRequest{Op: agent.OpSetListen, Value: ":16888"}, []string{"listen: off → :16888"}},
		{agent.ControlRequest{Op: agent.OpSetSSL, Value: "off"}, []string{"ssl: on → off"}},
		{agent.ControlRequest{Op: agent.OpSetManagement, Value: "off"}, []string{"management: on → off"}},
		{agent.ControlRequest{Op: agent.OpMastersAdd, Value: "console.example.lan"}, []string{"masters: added console.example.lan:16888"}},
		{agent.ControlRequest{Op: agent.OpMastersAdd, Value: "10.0.0.2:7000"}, []string{"masters: added 10.0.0.2:7000"}},
		{agent.ControlRequest{Op: agent.OpMastersRemove, Value: "CONSOLE.example.lan"}, []string{"masters: removed console.example.lan:16888"}},
		{agent.ControlRequest{Op: agent.OpPasswordSet, Password: []byte(newPassword)}, []string{"password: changed"}},
		{agent.ControlRequest{Op: agent.OpSetSSL, Value: "off"}, nil},
	}
	for _, s := range steps {
		r, err := agent.Configure(dir, s.req)
		if err != nil {
			t.Fatalf("%s %q: %v", s.req.Op, s.req.Value, err)
		}
		if r.Status.Running {
			t.Fatalf("%s: the status says the agent runs", s.req.Op)
		}
		if len(s.want) == 0 && len(r.Changes) != 0 {
			t.Fatalf("%s %q: changes %q, want none", s.req.Op, s.req.Value, r.Changes)
		}
		wantChanges(t, r.Changes, s.want...)
	}
	r, err := agent.Configure(dir, agent.ControlRequest{Op: agent.OpStatus})
	if err != nil {
		t.Fatal(err)
	}
	st := r.Status
	if st.Name != slaveName || st.Listen != ":16888" || st.SSL || st.Management || len(st.Masters) != 1 ||
		st.Masters[0].Address != "10.0.0.2:7000" || st.Masters[0].State != agent.MasterOffline {
		t.Fatalf("status after the changes: %+v", st)
	}
	db = testkit.StoreAt(t, filepath.Join(dir, agent.DBFile), "agent", store.Options{})
	want := keyFor(t, slaveName, newPassword)
	if s := stored(t, db); string(s.Key) != string(want[:]) {
		t.Fatal("the stored key is not the new password's")
	}
}

func TestConfigureSaysSoWhenAnAgentHoldsTheDatabaseWithoutASocket(t *testing.T) {
	db := initializedDB(t) // held open, as a running agent would
	dir := filepath.Dir(db.Path())
	start := time.Now()
	_, err := agent.Configure(dir, agent.ControlRequest{Op: agent.OpSetSSL, Value: "off"})
	if !errors.Is(err, store.ErrAlreadyRunning) || !strings.Contains(err.Error(), "does not answer on its control socket") ||
		!strings.Contains(err.Error(), fmt.Sprintf("pid %d", os.Getpid())) {
		t.Fatalf("err = %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("Configure took %s: the lock made it wait", d)
	}
	if s := stored(t, db); !s.SSL {
		t.Fatal("SSL was changed")
	}
}

func TestConfigureBeforeInit(t *testing.T) {
	dir := t.TempDir()
	r, err := agent.Configure(dir, agent.ControlRequest{Op: agent.OpStatus})
	if err != nil || r.Status.Name != "" || r.Status.Running {
		t.Fatalf("status before init: %+v, %v", r.Status, err)
	}
	_, err = agent.Configure(dir, agent.ControlRequest{Op: agent.OpMastersAdd, Value: "console:7000"})
	if !errors.Is(err, agent.ErrNotInitialized) {
		t.Fatalf("masters add before init: %v, want ErrNotInitialized", err)
	}
	if _, err := os.Stat(filepath.Join(dir, agent.DBFile)); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a database was created: %v", err)
	}
	// An initialised directory whose settings are absent says the same.
	_, err = agent.ApplyOffline(openDB(t), agent.ControlRequest{Op: agent.OpSetSSL, Value: "on"})
	if !errors.Is(err, agent.ErrNotInitialized) {
		t.Fatalf("set ssl on an empty database: %v", err)
	}
}
