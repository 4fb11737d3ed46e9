package master

import (
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/lanyard/lanyard/core/address"
	"github.com/lanyard/lanyard/core/store"
	"github.com/lanyard/lanyard/internal/testkit"
)

func TestForwardedPortsAreReadAsAPersonTypesThem(t *testing.T) {
	tests := []struct {
		name, in string
		want     []int
		err      string
	}{
		{"one port", "16888", []int{16888}, ""},
		{"two with a comma and a space", "16888, 50000", []int{16888, 50000}, ""},
		{"two with spaces only", "16888 50000", []int{16888, 50000}, ""},
		{"nothing, which means the listening port", "", nil, ""},
		{"a port out of range", "16888, 70000", nil, "65535"},
		{"a word", "16888, http", nil, "not a number"},
		{"a port twice", "16888, 16888", nil, "listed twice"},
		{"more than an agent needs", "1, 2, 3, 4, 5", nil, "at most 4"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParsePorts(tt.in)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("ParsePorts(%q) = %v, %v; want an error saying %q", tt.in, got, err, tt.err)
				}
				return
			}
			if err != nil || !slices.Equal(got, tt.want) {
				t.Fatalf("ParsePorts(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
			if back, _ := ParsePorts(FormatPorts(got)); !slices.Equal(back, got) {
				t.Errorf("FormatPorts(%v) = %q does not read back", got, FormatPorts(got))
			}
		})
	}
}

func TestThePublicAddressIsCheckedWithTheSettings(t *testing.T) {
	tests := []struct {
		name  string
		host  string
		ports []int
		err   string
	}{
		{"a name and two ports", "office.example.com", []int{16888, 50000}, ""},
		{"an address and no ports", "203.0.113.10", nil, ""},
		{"none at all", "", nil, ""},
		{"a name with a port in it", "office.example.com:16888", []int{16888}, "alone"},
		{"a name that is no name", "office example", nil, "public address"},
		{"ports without an address", "", []int{16888}, "public address or name too"},
		{"a port twice", "office.example.com", []int{50000, 50000}, "listed twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := DefaultSettings()
			s.PublicHost, s.PublicPorts = tt.host, tt.ports
			err := s.Validate()
			if tt.err == "" && err != nil {
				t.Fatalf("Validate: %v", err)
			}
			if tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)) {
				t.Fatalf("Validate: %v, want an error saying %q", err, tt.err)
			}
		})
	}
}

func TestANewSiteIsGivenThePublicAddressesElseTheLANOnes(t *testing.T) {
	lan := []string{"192.0.2.67:16888"}
	fp := strings.Repeat("ab", 32)
	tests := []struct {
		name  string
		s     Settings
		ssl   bool
		want  []string
		line  string
		lacks string
	}{
		{"no public address: the LAN", Settings{ListenAddress: ":16888"}, true, lan,
			"lanyard-agent init --name NAME --password-stdin --ssl on --master 192.0.2.67:16888=SHA256:abab", ""},
		{"a public name: at the listening port", Settings{ListenAddress: ":16888", PublicHost: "office.example.com"}, true,
			[]string{"office.example.com:16888"}, "--master office.example.com:16888=SHA256:", ""},
		{"a public name at two forwarded ports, in order", Settings{ListenAddress: ":16888", PublicHost: "office.example.com", PublicPorts: []int{16888, 50000}}, true,
			[]string{"office.example.com:16888", "office.example.com:50000"}, "--master office.example.com:16888,office.example.com:50000=SHA256:", ""},
		{"SSL off: no certificate to check", Settings{ListenAddress: ":16888", PublicHost: "203.0.113.10", PublicPorts: []int{16888, 50000}}, false,
			[]string{"203.0.113.10:16888", "203.0.113.10:50000"}, "--ssl off --master 203.0.113.10:16888,203.0.113.10:50000", "SHA256"},
		{"an IPv6 public address in brackets", Settings{ListenAddress: ":16888", PublicHost: "2001:db8::10"}, true,
			[]string{"[2001:db8::10]:16888"}, "--master [2001:db8::10]:16888=", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.s.AgentAddresses(lan)
			if !slices.Equal(got, tt.want) {
				t.Fatalf("AgentAddresses = %v, want %v", got, tt.want)
			}
			line := AgentInitLine("", got, tt.ssl, fp)
			if !strings.Contains(line, tt.line) || (tt.lacks != "" && strings.Contains(line, tt.lacks)) {
				t.Errorf("AgentInitLine = %q, want it to contain %q and not %q", line, tt.line, tt.lacks)
			}
			// What the line lists, the agent reads back as one console.
			list := strings.SplitN(strings.SplitN(line, "--master ", 2)[1], "=", 2)[0]
			if hps, err := address.ParseDialList(list); err != nil || len(hps) != len(got) {
				t.Errorf("the agent reads %q as %v, %v", list, hps, err)
			}
		})
	}
}

func TestTheLANAddressesAreThisComputersOwn(t *testing.T) {
	if got := LANAddresses("192.0.2.67:16888"); !slices.Equal(got, []string{"192.0.2.67:16888"}) {
		t.Errorf("listening on one address: %v, want that address", got)
	}
	for _, listen := range []string{":16888", "0.0.0.0:16888", "[::]:16888"} {
		for _, a := range LANAddresses(listen) {
			ap, err := netip.ParseAddrPort(a)
			if err != nil || ap.Port() != 16888 || ap.Addr().IsLoopback() || ap.Addr().IsUnspecified() || ap.Addr().IsLinkLocalUnicast() {
				t.Errorf("listening on %s, agents are told %q: want a routable address of this computer at 16888", listen, a)
			}
		}
	}
}

// A listening port given alone is kept as the address it means, so that
// what agents are told to dial is built from the port, not the port taken
// for a host ("16999:16888").
func TestAListeningPortGivenAloneIsKeptAsEveryAddress(t *testing.T) {
	db := testkit.Store(t, "console", store.Options{})
	if err := SaveSettings(db, Settings{Listen: true, ListenAddress: "16999"}); err != nil {
		t.Fatal(err)
	}
	s, err := LoadSettings(db)
	if err != nil || s.ListenAddress != ":16999" {
		t.Fatalf("saved %q, %v; want :16999", s.ListenAddress, err)
	}
	for _, a := range s.AgentAddresses([]string{"192.0.2.10:16999"}) {
		if strings.HasPrefix(a, "16999:") {
			t.Errorf("agents are told to dial %q", a)
		}
	}
}
