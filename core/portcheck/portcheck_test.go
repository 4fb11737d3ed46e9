package portcheck

import (
	"errors"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/lanyard/lanyard/internal/freeport"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// listen opens a loopback listener the test owns and returns its port.
func listen(t *testing.T) (net.Listener, int) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	return ln, ln.Addr().(*net.TCPAddr).Port
}

func TestAPortThisTestListensOnNamesThisProcessAndSuggestsAnother(t *testing.T) {
	_, port := listen(t)
	r, err := Check(port)
	if err != nil {
		t.Fatal(err)
	}
	if r.Free {
		t.Fatalf("port %d reported free while this test listens on it: %+v", port, r)
	}
	var me *Holder
	for i, h := range r.Holders {
		if h.PID == int32(os.Getpid()) {
			me = &r.Holders[i]
		}
	}
	if me == nil {
		t.Fatalf("holders of port %d = %+v, want this test's pid %d", port, r.Holders, os.Getpid())
	}
	exe, _ := os.Executable()
	if me.Name == "" || !strings.Contains(exe, me.Name) {
		t.Errorf("holder name %q is not this test binary (%s)", me.Name, exe)
	}
	if me.Cmdline == "" {
		t.Error("holder has no command line")
	}
	if r.Suggested <= SuggestAbove || r.Suggested == port {
		t.Errorf("suggested port %d, want a port above %d other than %d", r.Suggested, SuggestAbove, port)
	}
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(r.Suggested)))
	if err != nil {
		t.Errorf("the suggested port %d does not bind: %v", r.Suggested, err)
	} else {
		_ = ln.Close()
	}
	s := r.String()
	for _, want := range []string{"is not free", "pid " + strconv.Itoa(os.Getpid()), "can be used instead"} {
		if !strings.Contains(s, want) {
			t.Errorf("String() = %q, lacks %q", s, want)
		}
	}
}

// freePort is a port nothing holds, below the ephemeral range: on a busy
// machine another process's connection may take a just-closed ephemeral
// port.
func freePort(t *testing.T) int {
	t.Helper()
	addr, err := freeport.Addr()
	if err != nil {
		t.Skip(err)
	}
	ap := netip.MustParseAddrPort(addr)
	return int(ap.Port())
}

func TestAPortNobodyHoldsIsFree(t *testing.T) {
	port := freePort(t)
	r, err := Check(port)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Free || len(r.Holders) != 0 || r.Suggested != 0 {
		t.Fatalf("Check(%d) after closing its listener = %+v, want free with no holder or suggestion", port, r)
	}
	if !strings.Contains(r.String(), "is free") {
		t.Errorf("String() = %q", r.String())
	}
}

func TestPortsOutsideTheRangeAreRefused(t *testing.T) {
	for _, port := range []int{-1, 0, 65536, 100000} {
		if _, err := Check(port); !errors.Is(err, ErrPortRange) {
			t.Errorf("Check(%d) error = %v, want ErrPortRange", port, err)
		}
	}
}

func TestStringSaysWhatWasFoundInPlainWords(t *testing.T) {
	for _, tc := range []struct {
		name string
		r    Result
		want []string
	}{
		{"a free high port says only that", Result{Port: 16888, Free: true}, []string{"Port 16888 is free"}},
		{"a free low port advises a high one", Result{Port: 80, Free: true}, []string{"Port 80 is free", "above 5000"}},
		{"a held port names the process and its command line", Result{Port: 16888, Holders: []Holder{{PID: 42, Name: "nginx", Cmdline: "nginx -g daemon off;"}}, Suggested: 16889},
			[]string{"Port 16888 is not free", "nginx (pid 42)", `"nginx -g daemon off;"`, "Port 16889 is free and can be used instead"}},
		{"two holders are both named", Result{Port: 16888, Holders: []Holder{{PID: 1, Name: "a"}, {PID: 2, Name: "b"}}},
			[]string{"a (pid 1)", "and by b (pid 2)"}},
		{"a holder the system hid says how to see it", Result{Port: 16888, Holders: []Holder{{}}}, []string{"run this as root or Administrator"}},
		{"a privileged port says who may use it", Result{Port: 80, Problem: "only administrators (root) may listen on port 80", Suggested: 5001},
			[]string{"only administrators", "Port 5001 is free"}},
		{"an unseen holder says how to see it", Result{Port: 16888}, []string{"did not say which process"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.r.String()
			for _, w := range tc.want {
				if !strings.Contains(s, w) {
					t.Errorf("String() = %q, lacks %q", s, w)
				}
			}
		})
	}
}
