//go:build linux

package netlab

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestOnlyDocumentationAddressesAreAccepted(t *testing.T) {
	for _, tc := range []struct {
		cidr string
		ok   bool
	}{
		{"192.0.2.1/26", true},
		{"198.51.100.7/24", true},
		{"203.0.113.10/32", true},
		{"10.0.0.3/24", false},
		{"192.0.2.1/16", false}, // a prefix wider than the range spills out of it
		{"8.8.8.8/32", false},
		{"192.0.2.1", false},
	} {
		if err := checkDoc(tc.cidr); (err == nil) != tc.ok {
			t.Errorf("checkDoc(%q) = %v, want ok=%v", tc.cidr, err, tc.ok)
		}
	}
}

func TestALabLeavesNothingBehindAndItsGuardCountsEscapes(t *testing.T) {
	var prefix string
	var waited chan struct{}
	t.Run("lab", func(t *testing.T) {
		l := New(t)
		prefix = l.Prefix()
		a, b := l.Namespace("a"), l.Namespace("b")
		l.Wire(a, "eth0", "192.0.2.1/24", b, "eth0", "192.0.2.2/24")
		a.DefaultRoute("192.0.2.2")
		a.SetHosts("192.0.2.2\tb.example")
		if out := a.MustRun("getent", "hosts", "b.example"); !strings.HasPrefix(out, "192.0.2.2") {
			t.Errorf("b.example resolves to %q inside a", out)
		}
		// A connection to an address outside the ranges is dropped and
		// counted; the counter is reset so the teardown's check passes.
		_ = a.Command("timeout", "1", "bash", "-c", "exec 3<>/dev/tcp/10.1.2.3/80").Run()
		if n, err := a.Counter("ip", "lanyard_guard", "leaks"); err != nil || n == 0 {
			t.Errorf("the guard counted %d escaping packets (%v), want some", n, err)
		}
		a.MustRun("nft", "reset", "counter", "ip", "lanyard_guard", "leaks")
		// A process still running at the end is stopped by the teardown.
		sleeper := b.Command("sleep", "600")
		if err := sleeper.Start(); err != nil {
			t.Fatal(err)
		}
		waited = make(chan struct{})
		go func() { _ = sleeper.Wait(); close(waited) }()
	})
	if waited != nil {
		<-waited
	}
	if left := leftovers(func(name string) bool { return strings.HasPrefix(name, prefix) }); len(left) > 0 {
		t.Errorf("left behind: %v", left)
	}
}

func TestSweepRemovesWhatADeadTestProcessLeft(t *testing.T) {
	if err := Available(); err != nil {
		t.Skip(err)
	}
	gone := exec.Command("true")
	if err := gone.Run(); err != nil {
		t.Fatal(err)
	}
	name := namePrefix + strconv.Itoa(gone.Process.Pid) + "-1-office"
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		t.Skipf("cannot make a namespace here: %v: %s", err, out)
	}
	t.Cleanup(func() { _ = remove(name) })
	if err := os.MkdirAll(filepath.Join(netnsEtc, name), 0o755); err != nil {
		t.Fatal(err)
	}
	mine := New(t).Namespace("mine") // a live run's namespace stays
	if err := Sweep(); err != nil {
		t.Fatal(err)
	}
	left := leftovers(func(n string) bool { return n == name || n == mine.Name })
	if len(left) != 1 || left[0] != "namespace "+mine.Name {
		t.Errorf("after the sweep: %v, want only the live lab's namespace", left)
	}
}
