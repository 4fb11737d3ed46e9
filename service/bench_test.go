//go:build linux

package service

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lanyard/lanyard/internal/benchtable"
)

// idleFor is how long each process sits idle before its memory is read.
const idleFor = 2 * time.Second

// BenchmarkAgentIdleRSS: the resident memory of the real agent binary,
// initialised and listening on loopback with SSL, idle for two seconds,
// against a Go program that only blocks on a signal (the runtime's own
// floor). Target: ≤ 20 MB. Also the size of the agent binary as `make
// dist` builds it (-trimpath -s -w) against that trivial program's.
func BenchmarkAgentIdleRSS(b *testing.B) {
	if testing.Short() {
		b.Skip("builds and runs the real lanyard-agent")
	}
	dir := b.TempDir()
	agentBin := filepath.Join(dir, "lanyard-agent")
	goBuild(b, "", agentBin, "github.com/lanyard/lanyard/service/lanyard-agent")
	baseBin := filepath.Join(dir, "idle")
	src := filepath.Join(dir, "idle-src")
	writeFile(b, filepath.Join(src, "go.mod"), "module idle\n\ngo 1.26\n")
	writeFile(b, filepath.Join(src, "main.go"), `package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	c := make(chan os.Signal, 1)
	signal.Notify(c, os.Interrupt, syscall.SIGTERM)
	fmt.Fprintln(os.Stderr, "ready")
	<-c
}
`)
	goBuild(b, src, baseBin, ".")

	data := filepath.Join(dir, "data")
	mustRunBin(b, testPassword+"\n", agentBin, "init", "--data-dir", data, "--name", "FS01", "--password-stdin", "--listen", "127.0.0.1:0", "--ssl", "on")

	agentRSS := idleRSS(b, "listening for consoles on", agentBin, "run", "--data-dir", data)
	baseRSS := idleRSS(b, "ready", baseBin)
	agentSize, baseSize := fileMB(b, agentBin), fileMB(b, baseBin)

	benchtable.Report(b,
		benchtable.Figure{Name: "agent-idle-rss", Value: agentRSS, Unit: "MB", Baseline: baseRSS, Target: benchtable.AtMost(20, "MB")},
		benchtable.Figure{Name: "agent-binary-size", Value: agentSize, Unit: "MB", Baseline: baseSize})
}

// goBuild builds pkg (in dir, "" for this module) the way make dist does.
func goBuild(b *testing.B, dir, out, pkg string) {
	b.Helper()
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", out, pkg)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if o, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("go build %s: %v\n%s", pkg, err, o)
	}
}

func writeFile(b *testing.B, path, text string) {
	b.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		b.Fatal(err)
	}
}

func fileMB(b *testing.B, path string) float64 {
	b.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	return float64(fi.Size()) / 1e6
}

// idleRSS starts a program, waits for it to write ready on standard
// error, lets it sit idle, and returns its VmRSS in MB.
func idleRSS(b *testing.B, ready, bin string, args ...string) float64 {
	b.Helper()
	cmd := exec.Command(bin, args...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
	}()
	up := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stderr)
		signalled := false
		for sc.Scan() { // read to the end, so the program never blocks on a full pipe
			if !signalled && strings.Contains(sc.Text(), ready) {
				close(up)
				signalled = true
			}
		}
	}()
	select {
	case <-up:
	case <-time.After(30 * time.Second):
		b.Fatalf("%s did not say %q within 30s", filepath.Base(bin), ready)
	}
	idle := time.NewTimer(idleFor)
	<-idle.C
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", cmd.Process.Pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, err := strconv.ParseFloat(f[1], 64)
			if err != nil {
				b.Fatal(err)
			}
			return kb * 1024 / 1e6
		}
	}
	b.Fatalf("no VmRSS in /proc/%d/status", cmd.Process.Pid)
	return 0
}
