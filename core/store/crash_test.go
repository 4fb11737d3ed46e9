package store

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// appendEnv makes the test binary, when re-executed by the crash test,
// append to the database named in it from many goroutines at once, the
// way a console logs a reconnect storm, and print "ack NAME" for every
// append that returned (was acknowledged as durable), until it is killed.
const appendEnv = "LANYARD_STORE_TEST_APPEND"

// appendStorm is the child's side: it never returns on its own.
func appendStorm(path string) int {
	db, err := Open(path, Options{Kind: "console"})
	if err != nil {
		fmt.Println("error:", err)
		return 1
	}
	run := os.Getenv(appendEnv + "_RUN")
	out := bufio.NewWriter(os.Stdout)
	var mu sync.Mutex
	ack := func(name string) {
		mu.Lock()
		fmt.Fprintln(out, "ack", name)
		_ = out.Flush() // acknowledged only once it left this process
		mu.Unlock()
	}
	fmt.Println("ready")
	var wg sync.WaitGroup
	for g := range 32 {
		wg.Go(func() {
			for i := 0; ; i++ {
				name := fmt.Sprintf("r%s-g%d-%d", run, g, i)
				// Half the records are only queued, as most of a console's
				// are; only what Append returned is promised.
				db.Record(Event{Slave: name + "-q", Kind: "connected", Severity: SeverityInfo, Reason: strings.Repeat("x", 120)})
				if err := db.Append(context.Background(), Event{Slave: name, Kind: "connected", Severity: SeverityInfo,
					Remote: "127.0.0.1:16888", Reason: strings.Repeat("y", 120)}); err != nil {
					fmt.Println("error:", err)
					os.Exit(1)
				}
				ack(name)
			}
		})
	}
	wg.Wait()
	return 0
}

// crashIterations is how many times the crash test kills its console:
// LANYARD_CONSOLE_CRASH_ITERATIONS (make test-crash-console: 20), else 3.
func crashIterations(t *testing.T) int {
	if v := os.Getenv("LANYARD_CONSOLE_CRASH_ITERATIONS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			t.Fatalf("LANYARD_CONSOLE_CRASH_ITERATIONS=%q: want a count", v)
		}
		return n
	}
	return 3
}

func TestKillingTheConsoleMidStormLosesNoAcknowledgedAppend(t *testing.T) {
	path := filepath.Join(t.TempDir(), "console.db")
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 13))
	total := 0
	for run := range crashIterations(t) {
		acked := killMidStorm(t, path, run, 50+rng.IntN(1500))
		total += len(acked)

		db, err := Open(path, Options{Kind: "console", LockTimeout: 5 * time.Second})
		if err != nil {
			t.Fatalf("run %d: the database does not open after kill -9: %v", run, err)
		}
		events, err := db.Events(EventFilter{})
		if err != nil {
			t.Fatalf("run %d: reading the log after kill -9: %v", run, err)
		}
		have := make(map[string]bool, len(events))
		for _, e := range events {
			have[e.Slave] = true
		}
		lost := 0
		for _, name := range acked {
			if !have[name] {
				lost++
				if lost <= 5 {
					t.Errorf("run %d: the acknowledged append %s is not in the log", run, name)
				}
			}
		}
		if lost > 0 {
			t.Fatalf("run %d: %d of %d acknowledged appends lost", run, lost, len(acked))
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("%d acknowledged appends over the kills, none lost", total)
}

// killMidStorm starts the appending child on path, kills it with SIGKILL
// once it has acknowledged after appends, and returns every append it
// acknowledged before it died.
func killMidStorm(t *testing.T, path string, run, after int) []string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), appendEnv+"="+path, appendEnv+"_RUN="+strconv.Itoa(run))
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	killed := false
	defer func() {
		if !killed {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	}()
	var acked []string
	deadline := time.AfterFunc(60*time.Second, func() { _ = cmd.Process.Kill() })
	defer deadline.Stop()
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		line := sc.Text()
		if name, ok := strings.CutPrefix(line, "ack "); ok {
			acked = append(acked, name)
			if len(acked) == after && !killed {
				_ = cmd.Process.Kill() // kill -9, mid-storm
				killed = true
			}
			continue
		}
		if strings.HasPrefix(line, "error:") {
			t.Fatalf("run %d: the appending console failed: %s", run, line)
		}
	}
	_ = cmd.Wait()
	if !killed {
		t.Fatalf("run %d: the appending console ended after %d acknowledged appends, before it was killed", run, len(acked))
	}
	killed = true
	return acked
}
