//go:build linux

package netlab

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// RequireEnv names the environment variable that turns a skip into a
// failure: `make test-internet` sets it, so a machine that cannot build
// the lab says so instead of passing quietly.
const RequireEnv = "LANYARD_TEST_INTERNET"

// DocRanges are the only IPv4 networks a lab may use (RFC 5737).
var DocRanges = []netip.Prefix{
	netip.MustParsePrefix("192.0.2.0/24"),
	netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"),
}

// namePrefix starts every namespace a lab makes; runName reads the test
// process's pid back out of a name, for the sweep.
const namePrefix = "lanyard-t"

var runName = regexp.MustCompile(`^` + namePrefix + `(\d+)-\d+-`)

// netnsEtc is where `ip netns exec` finds per-namespace files it
// bind-mounts over /etc (hosts, resolv.conf).
const netnsEtc = "/etc/netns"

var (
	labs      atomic.Int64
	sweepOnce sync.Once
)

// Lab is the namespaces one test made. Its cleanup, registered by New,
// stops every process left in them, checks the guards, and removes them.
type Lab struct {
	t      testing.TB
	prefix string
	root   string // the host namespace's state before the lab

	mu  sync.Mutex
	nss []*Namespace
}

// Namespace is one network namespace of a lab: one "machine".
type Namespace struct {
	lab  *Lab
	name string // the short name the test gave
	// Name is the namespace's full name (the lab's prefix and the short name).
	Name string
}

// Available says why network namespaces cannot be made here, or nil.
func Available() error {
	if os.Geteuid() != 0 {
		return errors.New("network namespaces need root: run the test as root (make test-internet)")
	}
	for _, tool := range []struct{ bin, pkg string }{{"ip", "iproute2"}, {"nft", "nftables"}} {
		if _, err := exec.LookPath(tool.bin); err != nil {
			return fmt.Errorf("%s is not installed: apt-get install %s", tool.bin, tool.pkg)
		}
	}
	return nil
}

func skipOrFail(t testing.TB, err error) {
	t.Helper()
	if os.Getenv(RequireEnv) != "" {
		t.Fatalf("cannot build the network lab (%s is set, so this fails instead of skipping): %v", RequireEnv, err)
	}
	t.Skipf("skipped: cannot build the network lab: %v", err)
}

// New starts a lab for t, or skips t with the reason namespaces cannot be
// made here. The first lab of a process sweeps what dead test processes
// left behind.
func New(t testing.TB) *Lab {
	t.Helper()
	if err := Available(); err != nil {
		skipOrFail(t, err)
	}
	sweepOnce.Do(func() {
		if err := Sweep(); err != nil {
			t.Logf("sweeping the leftovers of earlier runs: %v", err)
		}
	})
	l := &Lab{t: t, prefix: fmt.Sprintf("%s%d-%d-", namePrefix, os.Getpid(), labs.Add(1)), root: rootState()}
	t.Cleanup(l.teardown)
	return l
}

// Prefix is what every name this lab makes starts with.
func (l *Lab) Prefix() string { return l.prefix }

// Namespace makes a namespace with loopback up, IPv6 off and the guard
// against traffic outside the documentation ranges.
func (l *Lab) Namespace(name string) *Namespace {
	l.t.Helper()
	full := l.prefix + name
	if out, err := exec.Command("ip", "netns", "add", full).CombinedOutput(); err != nil {
		err = fmt.Errorf("ip netns add %s: %v: %s", full, err, strings.TrimSpace(string(out)))
		l.mu.Lock()
		first := len(l.nss) == 0
		l.mu.Unlock()
		if first {
			skipOrFail(l.t, err)
		}
		l.t.Fatal(err)
	}
	n := &Namespace{lab: l, name: name, Name: full}
	l.mu.Lock()
	l.nss = append(l.nss, n)
	l.mu.Unlock()
	n.IP("link", "set", "lo", "up")
	n.Sysctl("net.ipv6.conf.all.disable_ipv6", "1")
	n.Sysctl("net.ipv6.conf.default.disable_ipv6", "1")
	n.Nft(guardRules)
	return n
}

// guardRules count and drop IPv4 packets bound anywhere but loopback and
// the documentation ranges, sent or forwarded: the lab has no route out,
// and this proves nothing tried.
const guardRules = `
table ip lanyard_guard {
	set allowed {
		type ipv4_addr; flags interval
		elements = { 127.0.0.0/8, 192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24 }
	}
	counter leaks { }
	chain outgoing {
		type filter hook output priority -150; policy accept
		ip daddr != @allowed counter name leaks drop
	}
	chain forwarded {
		type filter hook forward priority -150; policy accept
		ip daddr != @allowed counter name leaks drop
	}
}
`

// Wire joins a and b with a veth pair, made inside the two namespaces (so
// nothing appears in the host's): aIf with address aAddr in a, bIf with
// bAddr in b (CIDR, e.g. "192.0.2.1/26", inside the documentation ranges).
// Both ends come up.
func (l *Lab) Wire(a *Namespace, aIf, aAddr string, b *Namespace, bIf, bAddr string) {
	l.t.Helper()
	for _, cidr := range []string{aAddr, bAddr} {
		mustBeDoc(l.t, cidr)
	}
	l.run("ip", "link", "add", aIf, "netns", a.Name, "type", "veth", "peer", "name", bIf, "netns", b.Name)
	a.IP("addr", "add", aAddr, "dev", aIf)
	b.IP("addr", "add", bAddr, "dev", bIf)
	a.IP("link", "set", aIf, "up")
	b.IP("link", "set", bIf, "up")
}

func mustBeDoc(t testing.TB, cidr string) {
	t.Helper()
	if err := checkDoc(cidr); err != nil {
		t.Fatalf("netlab: %v", err)
	}
}

// checkDoc refuses an interface address outside the documentation ranges.
func checkDoc(cidr string) error {
	p, err := netip.ParsePrefix(cidr)
	if err != nil {
		return fmt.Errorf("%q is not an address with a prefix length: %v", cidr, err)
	}
	for _, d := range DocRanges {
		if d.Contains(p.Addr()) && p.Bits() >= d.Bits() {
			return nil
		}
	}
	return fmt.Errorf("%s is outside the documentation ranges (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24)", cidr)
}

func (l *Lab) run(name string, args ...string) string {
	l.t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		l.t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// IP runs `ip -n NAMESPACE args…`.
func (n *Namespace) IP(args ...string) string {
	n.lab.t.Helper()
	return n.lab.run("ip", append([]string{"-n", n.Name}, args...)...)
}

// Sysctl sets a sysctl inside the namespace (net.* is per namespace).
func (n *Namespace) Sysctl(key, value string) {
	n.lab.t.Helper()
	n.MustRun("sysctl", "-q", "-w", key+"="+value)
}

// Forwarding makes the namespace route between its interfaces: a router.
func (n *Namespace) Forwarding() {
	n.lab.t.Helper()
	n.Sysctl("net.ipv4.ip_forward", "1")
}

// DefaultRoute sends everything not on a local network to gw.
func (n *Namespace) DefaultRoute(gw string) {
	n.lab.t.Helper()
	n.IP("route", "add", "default", "via", gw)
}

// Nft loads nftables rules (nft -f syntax) into the namespace.
func (n *Namespace) Nft(rules string) {
	n.lab.t.Helper()
	cmd := exec.Command("ip", "netns", "exec", n.Name, "nft", "-f", "-")
	cmd.Stdin = strings.NewReader(rules)
	if out, err := cmd.CombinedOutput(); err != nil {
		n.lab.t.Fatalf("nft in %s: %v\n%s\nrules:\n%s", n.name, err, out, rules)
	}
}

// Counter reads the packets of a named nftables counter.
func (n *Namespace) Counter(family, table, counter string) (int, error) {
	out, err := exec.Command("ip", "netns", "exec", n.Name, "nft", "list", "counter", family, table, counter).CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("nft list counter %s %s %s in %s: %v: %s", family, table, counter, n.name, err, out)
	}
	m := regexp.MustCompile(`packets (\d+)`).FindSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("no packet count in %q", out)
	}
	return strconv.Atoi(string(m[1]))
}

// Command is a command that runs inside the namespace. It dies with the
// test process, even one killed outright.
func (n *Namespace) Command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command("ip", append([]string{"netns", "exec", n.Name, name}, args...)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	return cmd
}

// MustRun runs a command inside the namespace to completion and returns
// its output; a failure fails the test.
func (n *Namespace) MustRun(name string, args ...string) string {
	n.lab.t.Helper()
	out, err := n.Command(name, args...).CombinedOutput()
	if err != nil {
		n.lab.t.Fatalf("in %s: %s %s: %v\n%s", n.name, name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// SetHosts gives the namespace its own /etc/hosts (with these lines after
// localhost) and a resolv.conf that sends DNS to loopback, so a name
// missing from the file fails at once instead of leaving the lab. Programs
// started inside afterwards see them (`ip netns exec` mounts them over
// /etc); calling it again rewrites the file in place, so the programs
// already running see the change too.
func (n *Namespace) SetHosts(lines ...string) {
	n.lab.t.Helper()
	dir := filepath.Join(netnsEtc, n.Name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		n.lab.t.Fatal(err)
	}
	hosts := "127.0.0.1\tlocalhost\n" + strings.Join(lines, "\n") + "\n"
	// WriteFile truncates and writes the same inode: the bind mount in a
	// running program's namespace shows the new content.
	if err := os.WriteFile(filepath.Join(dir, "hosts"), []byte(hosts), 0o644); err != nil {
		n.lab.t.Fatal(err)
	}
	resolv := filepath.Join(dir, "resolv.conf")
	if _, err := os.Stat(resolv); errors.Is(err, os.ErrNotExist) {
		if err := os.WriteFile(resolv, []byte("nameserver 127.0.0.1\n"), 0o644); err != nil {
			n.lab.t.Fatal(err)
		}
	}
}

// teardown stops what runs in the lab's namespaces, checks the guards and
// removes everything, then checks nothing is left and the host's own
// namespace is as it was.
func (l *Lab) teardown() {
	l.mu.Lock()
	nss := slices.Clone(l.nss)
	l.mu.Unlock()
	for _, n := range nss {
		killAll(n.Name)
		if leaks, err := n.Counter("ip", "lanyard_guard", "leaks"); err != nil {
			l.t.Errorf("reading the guard of %s: %v", n.name, err)
		} else if leaks > 0 {
			l.t.Errorf("%s tried to send %d packets outside the documentation ranges (dropped)", n.name, leaks)
		}
	}
	for _, n := range nss {
		if err := remove(n.Name); err != nil {
			l.t.Errorf("removing namespace %s: %v", n.Name, err)
		}
	}
	if left := leftovers(func(name string) bool { return strings.HasPrefix(name, l.prefix) }); len(left) > 0 {
		l.t.Errorf("the lab left these behind: %s", strings.Join(left, ", "))
	}
	if now := rootState(); now != l.root {
		l.t.Errorf("the host's own network namespace changed during the test:\nbefore:\n%s\nafter:\n%s", l.root, now)
	}
}

// killAll kills every process left in a namespace (processes the test
// started there) and waits for each to end.
func killAll(ns string) {
	for range 3 {
		out, _ := exec.Command("ip", "netns", "pids", ns).Output()
		pids := strings.Fields(string(out))
		if len(pids) == 0 {
			return
		}
		for _, p := range pids {
			if pid, err := strconv.Atoi(p); err == nil && pid != os.Getpid() {
				killAndWait(pid)
			}
		}
	}
}

// killAndWait sends SIGKILL to pid and waits, up to 5 s, until it has
// ended (a pidfd becomes readable then, a zombie included).
func killAndWait(pid int) {
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		_ = unix.Kill(pid, unix.SIGKILL)
		return
	}
	defer unix.Close(fd)
	_ = unix.PidfdSendSignal(fd, unix.SIGKILL, nil, 0)
	_, _ = unix.Poll([]unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}, 5000)
}

// remove deletes a namespace (its veths and nftables rules go with it)
// and its files under /etc/netns.
func remove(ns string) error {
	var errs []error
	if out, err := exec.Command("ip", "netns", "del", ns).CombinedOutput(); err != nil && !strings.Contains(string(out), "No such file") {
		errs = append(errs, fmt.Errorf("ip netns del: %v: %s", err, strings.TrimSpace(string(out))))
	}
	if err := os.RemoveAll(filepath.Join(netnsEtc, ns)); err != nil {
		errs = append(errs, err)
	}
	// /etc/netns itself goes when nothing else is in it.
	_ = os.Remove(netnsEtc)
	return errors.Join(errs...)
}

// namespaces lists the named network namespaces.
func namespaces() []string {
	out, _ := exec.Command("ip", "netns", "list").Output()
	var names []string
	for _, line := range strings.Split(string(out), "\n") {
		if f := strings.Fields(line); len(f) > 0 {
			names = append(names, f[0])
		}
	}
	return names
}

// leftovers is every namespace and /etc/netns entry whose name matches.
func leftovers(match func(string) bool) []string {
	var left []string
	for _, name := range namespaces() {
		if match(name) {
			left = append(left, "namespace "+name)
		}
	}
	entries, _ := os.ReadDir(netnsEtc)
	for _, e := range entries {
		if match(e.Name()) {
			left = append(left, filepath.Join(netnsEtc, e.Name()))
		}
	}
	return left
}

// Sweep removes what labs of test processes that no longer run left
// behind (a test killed by its timeout runs no cleanup): their processes,
// namespaces and /etc/netns entries.
func Sweep() error {
	dead := func(name string) bool {
		m := runName.FindStringSubmatch(name)
		if m == nil {
			return false
		}
		pid, err := strconv.Atoi(m[1])
		return err == nil && pid != os.Getpid() && errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
	}
	var errs []error
	seen := map[string]bool{}
	for _, name := range namespaces() {
		if dead(name) {
			killAll(name)
			errs = append(errs, remove(name))
			seen[name] = true
		}
	}
	entries, _ := os.ReadDir(netnsEtc)
	for _, e := range entries {
		if dead(e.Name()) && !seen[e.Name()] {
			errs = append(errs, remove(e.Name()))
		}
	}
	return errors.Join(errs...)
}

// rootState describes the host's own network namespace: interfaces and
// their addresses, routes, and nftables rules.
func rootState() string {
	var b strings.Builder
	ifs, _ := net.Interfaces()
	for _, i := range ifs {
		addrs, _ := i.Addrs()
		fmt.Fprintf(&b, "%s %v\n", i.Name, addrs)
	}
	routes, _ := exec.Command("ip", "route", "show", "table", "all").Output()
	b.Write(routes)
	rules, _ := exec.Command("nft", "list", "ruleset").Output()
	b.Write(rules)
	return b.String()
}
