//go:build linux

package service

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lanyard/lanyard/internal/testkit"
)

// crashIterations is how many runs TestKillingTheAgentMidRunLosesNoSnapshot
// strikes: LANYARD_CRASH_ITERATIONS (make test-crash sets 20), else 3.
func crashIterations(t *testing.T) int {
	if s := os.Getenv("LANYARD_CRASH_ITERATIONS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 1000 {
			t.Fatalf("LANYARD_CRASH_ITERATIONS=%q: give 1 to 1000", s)
		}
		return n
	}
	return 3
}

// TestKillingTheAgentMidRunLosesNoSnapshot kills the real lanyard-agent
// with SIGKILL in the middle of backup runs, again and again: the run in a
// `task run` process (the agent not running) and the run inside a
// running agent (`run`), at random points of the copy, the finish and
// retention. Afterwards every snapshot still verifies, no final-named
// snapshot is incomplete, the killed runs are in the history as
// interrupted, and the next run succeeds and leaves nothing behind.
func TestKillingTheAgentMidRunLosesNoSnapshot(t *testing.T) {
	bin := testkit.AgentBinary(t)
	data := t.TempDir()
	mustRunBin(t, testPassword+"\n", bin, "init", "--data-dir", data, "--name", "FS01", "--password-stdin", "--listen", "127.0.0.1:0")
	root := t.TempDir()
	src, dest := filepath.Join(root, "src"), filepath.Join(root, "dest")
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	chacha := rand.NewChaCha8([32]byte{9})
	buf := make([]byte, 256<<10)
	write := func(i int) {
		_, _ = chacha.Read(buf)
		p := filepath.Join(src, fmt.Sprintf("d%02d", i%10), fmt.Sprintf("f%03d.bin", i))
		_ = os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, buf, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 300 { // 75 MiB
		write(i)
	}
	_ = os.MkdirAll(dest, 0o755)
	agentCLI := func(args ...string) (string, error) {
		return runBin(t, "", bin, append(args, "--data-dir", data)...)
	}
	if out, err := agentCLI("task", "add", "docs", "--source", src, "--dest", dest, "--keep-last", "4"); err != nil {
		t.Fatalf("task add: %v\n%s", err, out)
	}
	// The first run copies everything: how long it takes here says when
	// to strike later runs, which copy two thirds of it.
	begin := time.Now()
	if out, err := agentCLI("task", "run", "docs"); err != nil {
		t.Fatalf("the first run: %v\n%s", err, out)
	}
	full := time.Since(begin)

	n := crashIterations(t)
	killed := 0
	for i := range n {
		// Change two thirds of the files, so every run copies a while.
		for _, f := range rng.Perm(300)[:200] {
			write(f)
		}
		inAgent := i%2 == 1
		// Somewhere between the scan and the rename, most likely in the
		// copy, now and then in the finish (sync, manifest) or retention.
		// A run that beat the kill is tried again (files changed anew),
		// sooner, at most three times.
		at := full/20 + time.Duration(rng.Int64N(int64(full/2)))
		for attempt := 0; attempt < 3; attempt++ {
			if killRun(t, bin, data, inAgent, at) {
				killed++
				break
			}
			for _, f := range rng.Perm(300)[:200] {
				write(f)
			}
			at /= 2
		}
		if i%4 == 3 {
			// Now and then a run that finishes, so there are snapshots
			// to lose and retention to interrupt.
			if out, err := agentCLI("task", "run", "docs"); err != nil {
				t.Fatalf("a run between kills: %v\n%s", err, out)
			}
		}
	}

	// No final-named snapshot is incomplete, and every one verifies.
	checkSnapshots(t, bin, data, dest, true)
	out, err := agentCLI("task", "history", "docs", "--json", "-n", "0")
	if err != nil {
		t.Fatalf("history: %v\n%s", err, out)
	}
	var hist []struct {
		Result string `json:"result"`
	}
	if err := json.Unmarshal([]byte(out), &hist); err != nil {
		t.Fatal(err)
	}
	interrupted := 0
	for _, h := range hist {
		switch h.Result {
		case "running":
			t.Fatalf("a run is still recorded as running: %s", out)
		case "interrupted":
			interrupted++
		}
	}
	t.Logf("%d kills, %d before the run ended (a first run took %s); %d runs recorded as interrupted", n, killed, full.Round(time.Millisecond), interrupted)
	if interrupted < n/2 {
		t.Fatalf("only %d of %d kills caught a run in progress: the tree is too small for this machine", interrupted, n)
	}
	// The next run succeeds and cleans up what the kills left.
	if out, err := agentCLI("task", "run", "docs"); err != nil || !strings.Contains(out, "completed: snapshot") {
		t.Fatalf("the run after the kills: %v\n%s", err, out)
	}
	ents, _ := os.ReadDir(filepath.Join(dest, "docs"))
	for _, e := range ents {
		if strings.Contains(e.Name(), ".") && e.Name() != ".lanyard-owner" { // the server's claim on the folder stays
			t.Fatalf("%s is left after a successful run", e.Name())
		}
	}
	checkSnapshots(t, bin, data, dest, false)
}

// killRun starts a run and kills the process doing it with SIGKILL after
// the given time, unless the run completes first. It says whether it
// killed.
func killRun(t *testing.T, bin, data string, inAgent bool, after time.Duration) bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var agentProc *exec.Cmd
	if inAgent {
		agentProc = exec.CommandContext(ctx, bin, "run", "--data-dir", data)
		if err := agentProc.Start(); err != nil {
			t.Fatal(err)
		}
		defer func() { _ = agentProc.Wait() }()
		waitForSocket(t, filepath.Join(data, "control.sock"))
	}
	client := exec.CommandContext(ctx, bin, "task", "run", "docs", "--wait", "--data-dir", data)
	stdout, err := client.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := client.Start(); err != nil {
		t.Fatal(err)
	}
	victim := client.Process
	if inAgent {
		victim = agentProc.Process
	}
	ended := make(chan bool, 1) // true: the run ended before the kill
	go func() {
		lines := bufio.NewScanner(stdout)
		for lines.Scan() {
			if strings.HasPrefix(lines.Text(), "completed") {
				ended <- true
				for lines.Scan() {
				}
				return
			}
		}
		ended <- false
	}()
	timer := time.NewTimer(after)
	defer timer.Stop()
	select {
	case <-timer.C:
	case done := <-ended:
		if done {
			_ = client.Wait()
			if inAgent {
				_ = agentProc.Process.Signal(syscall.SIGKILL)
			}
			return false
		}
	}
	_ = victim.Signal(syscall.SIGKILL)
	_ = client.Wait()
	return true
}

// waitForSocket waits for the agent's control socket to answer.
func waitForSocket(t *testing.T, path string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
			_ = c.Close()
			return
		}
		timer := time.NewTimer(20 * time.Millisecond)
		<-timer.C
	}
	t.Fatalf("the agent did not open %s within 15 s", path)
}

// checkSnapshots checks that each final-named folder is a complete
// snapshot and, with verify, that every snapshot verifies.
func checkSnapshots(t *testing.T, bin, data, dest string, verify bool) {
	t.Helper()
	out, err := runBin(t, "", bin, "task", "snapshots", "docs", "--json", "--data-dir", data)
	if err != nil {
		t.Fatalf("snapshots: %v\n%s", err, out)
	}
	var snaps []struct {
		ID     string `json:"id"`
		Result string `json:"result"`
	}
	if err := json.Unmarshal([]byte(out), &snaps); err != nil || len(snaps) == 0 {
		t.Fatalf("snapshots: %v\n%s", err, out)
	}
	listed := map[string]bool{}
	for _, s := range snaps {
		listed[s.ID] = true
		if s.Result != "completed" {
			t.Fatalf("snapshot %s: %s", s.ID, s.Result)
		}
		if !verify {
			continue
		}
		if out, err := runBin(t, "", bin, "task", "verify", "docs", s.ID, "--data-dir", data); err != nil {
			t.Fatalf("snapshot %s does not verify: %v\n%s", s.ID, err, out)
		}
	}
	ents, _ := os.ReadDir(filepath.Join(dest, "docs"))
	for _, e := range ents {
		if !strings.Contains(e.Name(), ".") && !listed[e.Name()] {
			t.Fatalf("%s has a final name but is not a listed snapshot", e.Name())
		}
		if !strings.Contains(e.Name(), ".") {
			for _, f := range []string{".lanyard/manifest.jsonl", ".lanyard/snapshot.json"} {
				if _, err := os.Stat(filepath.Join(dest, "docs", e.Name(), f)); err != nil {
					t.Fatalf("final-named snapshot %s is incomplete: %v", e.Name(), err)
				}
			}
		}
	}
}
