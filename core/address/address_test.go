package address

import (
	"fmt"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const portWords = " is not a number from 1 to 65535 (use one above 5000, the same everywhere; the default is 16888)"

// Every form a person may type, for both kinds of address, with what it
// becomes or the exact words that refuse it.
func TestEveryAddressFormIsAcceptedOrRefusedInPlainWords(t *testing.T) {
	cases := []struct {
		name   string
		listen bool
		in     string
		want   string // the normalised address; "" when refused
		err    string
	}{
		// Dial: accepted.
		{name: "a bare host name gets the default port", in: "console.example.lan", want: "console.example.lan:16888"},
		{name: "a host name with a port keeps it", in: "console.example.lan:7000", want: "console.example.lan:7000"},
		{name: "spaces around the address are dropped", in: "  console:7000\t", want: "console:7000"},
		{name: "a one-label host name is accepted", in: "fs01", want: "fs01:16888"},
		{name: "a host name with digits before its last part is accepted", in: "10-0-0-3.customer7.example", want: "10-0-0-3.customer7.example:16888"},
		{name: "a last part of digits and letters is accepted", in: "fs01.example.x1", want: "fs01.example.x1:16888"},
		{name: "a host name with a trailing dot is accepted", in: "fs01.example.", want: "fs01.example.:16888"},
		{name: "a bare IPv4 address gets the default port", in: "10.0.0.1", want: "10.0.0.1:16888"},
		{name: "an IPv4 address with a port keeps it", in: "10.0.0.1:7000", want: "10.0.0.1:7000"},
		{name: "a bare IPv6 address gets brackets and the default port", in: "::1", want: "[::1]:16888"},
		{name: "a bracketed IPv6 address gets the default port", in: "[fe80::1]", want: "[fe80::1]:16888"},
		{name: "a bracketed IPv6 address with a port keeps it", in: "[::1]:7000", want: "[::1]:7000"},
		{name: "an IPv6 address with its interface keeps it", in: "[fe80::1%eth0]:7000", want: "[fe80::1%eth0]:7000"},
		{name: "the highest port is accepted", in: "console:65535", want: "console:65535"},

		// Dial: refused.
		{name: "an empty address is refused", in: "", err: "no address given: enter the host name or IP address, and the port"},
		{name: "an address of spaces is refused", in: "   ", err: "no address given: enter the host name or IP address, and the port"},
		{name: "a port above 65535 is refused", in: "console:99999", err: `port "99999"` + portWords},
		{name: "port zero is refused", in: "[::1]:0", err: `port "0"` + portWords},
		{name: "port zero after a name is refused", in: "console:0", err: `port "0"` + portWords},
		{name: "an empty port is refused", in: "console:", err: `port ""` + portWords},
		{name: "a word for a port is refused", in: "console:http", err: `port "http"` + portWords},
		{name: "a port with a plus sign is refused", in: "console:+7000", err: `port "+7000"` + portWords},
		{name: "a port with a leading zero is refused", in: "console:07000", err: `port "07000"` + portWords},
		{name: "a negative port is refused", in: "console:-1", err: `port "-1"` + portWords},
		{name: "an address without a host is refused", in: ":7000", err: `address ":7000" has no host: enter a host name or IP address before the port`},
		{name: "an IPv4 address with a number above 255 is refused", in: "10.0.0.300", err: `"10.0.0.300" is not a valid IP address: an IPv4 address is four numbers from 0 to 255 (for example 192.0.2.10)`},
		{name: "an IPv4 address with a part missing is refused", in: "10.0.1:7000", err: `"10.0.1" is not a valid IP address: an IPv4 address is four numbers from 0 to 255 (for example 192.0.2.10)`},
		{name: "a host name ending in digits is refused", in: "fs01.example.123", err: `"fs01.example.123" is not a valid host name: its last part, "123", is all digits (check the name, or give the IP address)`},
		{name: "a one-label host name of digits is refused", in: "12345", err: `"12345" is not a valid IP address: an IPv4 address is four numbers from 0 to 255 (for example 192.0.2.10)`},
		{name: "a host with a space is refused", in: "a b:1", err: `"a b" is not a valid host name or IP address (unexpected ' ')`},
		{name: "a host name with an underscore is refused", in: "my_host", err: `"my_host" is not a valid host name or IP address (unexpected '_')`},
		{name: "user info is refused", in: "root@console:7000", err: `"root@console" is not a valid host name or IP address (unexpected '@')`},
		{name: "a path is refused", in: "console/x:7000", err: `"console/x" is not a valid host name or IP address (unexpected '/')`},
		{name: "a label starting with a dash is refused", in: "-fs01", err: `"-fs01" is not a valid host name or IP address (a name is dot-separated parts of 1 to 63 letters, digits and '-', not starting or ending with '-')`},
		{name: "an empty label is refused", in: "fs01..example", err: `"fs01..example" is not a valid host name or IP address (a name is dot-separated parts of 1 to 63 letters, digits and '-', not starting or ending with '-')`},
		{name: "a label of 64 characters is refused", in: "a234567890123456789012345678901234567890123456789012345678901234", err: `"a234567890123456789012345678901234567890123456789012345678901234" is not a valid host name or IP address (a name is dot-separated parts of 1 to 63 letters, digits and '-', not starting or ending with '-')`},
		{name: "a URL is refused with the address it holds", in: "http://10.0.0.1", err: `address "http://10.0.0.1" is a URL: give the host and port alone, as in 10.0.0.1:16888`},
		{name: "a URL with a port and a path", in: "https://admin@fs01.example:7000/status", err: `address "https://admin@fs01.example:7000/status" is a URL: give the host and port alone, as in fs01.example:7000`},
		{name: "a URL of nothing", in: "tcp://", err: `address "tcp://" is a URL: give the host and port alone, as in fs01.example.lan:16888`},
		{name: "an IPv6 zone that is no interface is refused", in: "::%[0", err: `"::%[0" is not a valid IPv6 address: after % comes a network interface's name or number (for example fe80::1%eth0)`},
		{name: "two ports are refused", in: "console:7000:8000", err: `address "console:7000:8000" is not host:port (for example fs01.example.lan:16888, or [::1]:16888 for an IPv6 address)`},
		{name: "colons that make no IPv6 address are refused", in: "a:b:c", err: `address "a:b:c" is not host:port (for example fs01.example.lan:16888, or [::1]:16888 for an IPv6 address)`},
		{name: "an unclosed bracket is refused", in: "[console", err: `address "[console" is not host:port (for example fs01.example.lan:16888, or [::1]:16888 for an IPv6 address)`},

		// Listen: accepted.
		{name: "listening on every interface", listen: true, in: ":16888", want: ":16888"},
		{name: "listening on one interface", listen: true, in: "127.0.0.1:16888", want: "127.0.0.1:16888"},
		{name: "listening on localhost", listen: true, in: "localhost:7000", want: "localhost:7000"},
		{name: "listen port zero picks a free port", listen: true, in: "127.0.0.1:0", want: "127.0.0.1:0"},
		{name: "listening on an IPv6 address", listen: true, in: "[::1]:0", want: "[::1]:0"},
		{name: "spaces around a listen address are dropped", listen: true, in: " :7000 ", want: ":7000"},
		{name: "a listen port alone is every interface", listen: true, in: "16888", want: ":16888"},
		{name: "a listen port alone with spaces", listen: true, in: " 7000 ", want: ":7000"},

		// Listen: refused.
		{name: "a listen port alone above 65535 is refused", listen: true, in: "99999", err: `listen address "99999" is not host:port (for example :16888, or 0.0.0.0:16888)`},
		{name: "a listen address without a port is refused", listen: true, in: "localhost", err: `listen address "localhost" is not host:port (for example :16888, or 0.0.0.0:16888)`},

		{name: "an empty listen address is refused", listen: true, in: "", err: `listen address "" is not host:port (for example :16888, or 0.0.0.0:16888)`},
		{name: "a listen port above 65535 is refused", listen: true, in: ":99999", err: `port "99999"` + portWords},
		{name: "a listen port with a leading zero is refused", listen: true, in: ":080", err: `port "080"` + portWords},
		{name: "a listen host name is refused", listen: true, in: "fs01.example.lan:16888", err: `listen host "fs01.example.lan" must be an IP address of this machine, or empty for all (for example :16888)`},
		{name: "a listen host with a space is refused", listen: true, in: "a b:1", err: `listen host "a b" must be an IP address of this machine, or empty for all (for example :16888)`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			parse := ParseDial
			if c.listen {
				parse = ParseListen
			}
			got, err := parse(c.in)
			if c.want != "" {
				if err != nil || got.String() != c.want {
					t.Fatalf("%q = %q, %v; want %q", c.in, got, err, c.want)
				}
				return
			}
			if err == nil || err.Error() != c.err {
				t.Fatalf("%q = %q, %v; want the error\n%s", c.in, got, err, c.err)
			}
		})
	}
}

func TestAPortIsDigitsFromOneTo65535(t *testing.T) {
	for in, want := range map[string]int{"1": 1, "16888": 16888, "65535": 65535} {
		if p, err := ParsePort(in); err != nil || p != want {
			t.Errorf("ParsePort(%q) = %d, %v", in, p, err)
		}
	}
	for _, in := range []string{"", "0", "65536", "080", "+80", "-1", " 80", "8o"} {
		if _, err := ParsePort(in); err == nil || err.Error() != "port "+quote(in)+portWords {
			t.Errorf("ParsePort(%q) = %v", in, err)
		}
	}
}

func quote(s string) string { return `"` + s + `"` }

func TestAFormsHostAndPortFieldsJoinAndSplit(t *testing.T) {
	cases := []struct{ addr, host, port string }{
		{"fs01:16888", "fs01", "16888"},
		{":16888", "", "16888"},
		{"[::1]:7000", "::1", "7000"},
		{"fs01", "fs01", ""},
		{"::1", "::1", ""},
		{"[fe80::1]", "fe80::1", ""},
	}
	for _, c := range cases {
		if h, p := Split(c.addr); h != c.host || p != c.port {
			t.Errorf("Split(%q) = %q, %q; want %q, %q", c.addr, h, p, c.host, c.port)
		}
		if c.port == "" {
			continue
		}
		if got := Join(c.host, c.port); got != c.addr {
			t.Errorf("Join(%q, %q) = %q, want %q", c.host, c.port, got, c.addr)
		}
	}
	if got := Join(" [::1] ", " 7000 "); got != "[::1]:7000" {
		t.Errorf("Join trims and unbrackets: %q", got)
	}
}

func TestOnePeersAddressesAreReadInOrderOrRefusedInPlainWords(t *testing.T) {
	for _, tc := range []struct {
		name, in, want, err string
	}{
		{name: "one address is a list of one", in: "office.example", want: "[office.example:16888]"},
		{name: "two ports of one name keep their order", in: "office.example:16888, office.example:50000",
			want: "[office.example:16888 office.example:50000]"},
		{name: "a LAN and a public address", in: "10.0.0.3,[2001:db8::3]:50000", want: "[10.0.0.3:16888 [2001:db8::3]:50000]"},
		{name: "an address given twice is refused", in: "a:1,A:1", err: `A:1 is given twice in "a:1,A:1": give each address once`},
		{name: "an empty item is refused", in: "a:1,,b:1", err: `"a:1,,b:1" has an empty address between its commas: give each address once, separated by commas`},
		{name: "a trailing comma is refused", in: "a:1,", err: `"a:1," has an empty address between its commas: give each address once, separated by commas`},
		{name: "a bad address in the list is refused with its own words", in: "a:1,b:99999", err: `port "99999"` + portWords},
		{name: "nothing is refused", in: "", err: "no address given: enter the host name or IP address, and the port"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			list, err := ParseDialList(tc.in)
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Fatalf("ParseDialList(%q) = %v, %v; want the error %q", tc.in, list, err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseDialList(%q): %v", tc.in, err)
			}
			var got []string
			for _, a := range list {
				got = append(got, a.String())
			}
			if fmt.Sprint(got) != tc.want {
				t.Errorf("ParseDialList(%q) = %v, want %s", tc.in, got, tc.want)
			}
		})
	}
}
