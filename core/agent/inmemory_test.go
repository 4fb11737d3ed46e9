package agent_test

import (
	"context"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/lanyard/lanyard/core/agent"
	"github.com/lanyard/lanyard/core/store"
	"github.com/lanyard/lanyard/core/wire/pb"
)

// inMemoryAgent is an agent without a database, listening on loopback, as
// lanyard-agent simulate runs them.
func inMemoryAgent(t *testing.T, ssl bool, probe *agent.HostProbe) *runningAgent {
	t.Helper()
	k := keyFor(t, slaveName, password)
	return newAgentWith(t, nil, func(c *agent.Config) {
		c.Settings = agent.Settings{Name: slaveName, Key: k[:], KDF: store.KDFParams{Time: 3, MemoryKiB: 64 * 1024, Threads: 4},
			Listen: "127.0.0.1:0", SSL: ssl, Management: true}
		c.DataDir = ""
		c.Probe = probe
	})
}

func TestAnAgentWithoutADatabaseLinksAndAnswersFromMemory(t *testing.T) {
	a := inMemoryAgent(t, true, nil)
	if err := a.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	c := newConsole(t)
	l, _ := c.link(t, a, true)
	st, err := status(t, l)
	if err != nil {
		t.Fatal(err)
	}
	if st.Name != slaveName || st.Hostname == "" || st.DataDir != "/" {
		t.Errorf("status = name %q, host %q, data dir %q; want %s, this host, /", st.Name, st.Hostname, st.DataDir, slaveName)
	}
	if st.UptimeSeconds == 0 || (runtime.GOOS == "linux" && st.Platform == "") {
		t.Errorf("status = uptime %d s, platform %q; want this host's", st.UptimeSeconds, st.Platform)
	}
	tasks, err := a.Tasks().List(context.Background())
	if err != nil || len(tasks) != 0 {
		t.Errorf("tasks = %v, %v; want none and no error", tasks, err)
	}
	if _, err := a.SetSSL(false); err == nil || !strings.Contains(err.Error(), "in memory") {
		t.Errorf("SetSSL on an agent in memory: %v, want a refusal that says it runs in memory", err)
	}
	if a.Links() != 1 {
		t.Errorf("%d links, want 1", a.Links())
	}
}

func TestAgentsSharingAProbeReadTheHostOnceASecond(t *testing.T) {
	probe := &agent.HostProbe{}
	c := newConsole(t)
	var answers []*pb.StatusResponse
	start := time.Now()
	for range 2 {
		a := inMemoryAgent(t, false, probe)
		if err := a.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		l, _ := c.link(t, a, false)
		st, err := status(t, l)
		if err != nil {
			t.Fatal(err)
		}
		answers = append(answers, st)
	}
	if time.Since(start) >= time.Second {
		t.Skip("the machine is too slow to ask twice within a second")
	}
	if a, b := answers[0], answers[1]; a.MemoryUsed != b.MemoryUsed || a.CpuPercent != b.CpuPercent || a.UptimeSeconds != b.UptimeSeconds {
		t.Errorf("two agents sharing a probe answered within a second with different readings: %v / %v", a, b)
	}
}
