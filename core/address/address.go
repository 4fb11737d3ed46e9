package address

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// DefaultPort is Lanyard's TCP port on both ends unless set otherwise.
const DefaultPort = 16888

// HostPort is an address as parsed. Host is a host name or an IP address,
// without brackets; "" only in a listen address, for every interface.
type HostPort struct {
	Host string
	Port int
}

// String is the address as host:port, an IPv6 address in brackets: the
// form Lanyard stores and dials.
func (a HostPort) String() string { return net.JoinHostPort(a.Host, strconv.Itoa(a.Port)) }

// ParseDial reads an address to dial: host:port, or a bare host, which gets
// DefaultPort. The host is a host name (letters, digits and '-' in dotted
// labels, RFC 1123) or an IP address; an IPv6 address needs brackets when a
// port follows ([::1]:16888). Spaces around it are dropped.
func ParseDial(s string) (HostPort, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return HostPort{}, errors.New("no address given: enter the host name or IP address, and the port")
	}
	if scheme, rest, ok := strings.Cut(s, "://"); ok && scheme != "" {
		return HostPort{}, urlGiven(s, rest)
	}
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		// A bare host: a name, an IPv4 address, or an IPv6 address with or
		// without brackets. Anything else with a colon or a bracket in it
		// ("host:1:2", "[host") is a mistyped host:port.
		host, port = s, strconv.Itoa(DefaultPort)
		if len(host) > 1 && host[0] == '[' && host[len(host)-1] == ']' {
			host = host[1 : len(host)-1]
		}
		if _, ipErr := netip.ParseAddr(host); ipErr != nil && strings.ContainsAny(host, ":[]") {
			return HostPort{}, fmt.Errorf("address %q is not host:port (for example fs01.example.lan:%d, or [::1]:%d for an IPv6 address)", s, DefaultPort, DefaultPort)
		}
	}
	p, err := ParsePort(port)
	if err != nil {
		return HostPort{}, err
	}
	if host == "" {
		return HostPort{}, fmt.Errorf("address %q has no host: enter a host name or IP address before the port", s)
	}
	if err := checkHost(host); err != nil {
		return HostPort{}, err
	}
	return HostPort{Host: host, Port: p}, nil
}

// urlGiven refuses s, a URL given for an address (rest is what follows
// its "://"), with the address it likely meant.
func urlGiven(s, rest string) error {
	hostPort, _, _ := strings.Cut(rest, "/")
	if _, after, ok := strings.Cut(hostPort, "@"); ok {
		hostPort = after // no user or password in an address
	}
	if _, _, err := net.SplitHostPort(hostPort); err != nil && hostPort != "" {
		hostPort = Join(hostPort, strconv.Itoa(DefaultPort))
	}
	if a, err := ParseDial(hostPort); err == nil {
		return fmt.Errorf("address %q is a URL: give the host and port alone, as in %s", s, a)
	}
	return fmt.Errorf("address %q is a URL: give the host and port alone, as in fs01.example.lan:%d", s, DefaultPort)
}

// ParseDialList reads the addresses of one peer, comma-separated, in the
// order to try them ("office.example:16888,office.example:50000": its name
// at two forwarded ports), each as ParseDial reads it. An address given
// twice, or an empty item, is refused.
func ParseDialList(s string) ([]HostPort, error) {
	var list []HostPort
	seen := map[string]bool{}
	for _, item := range strings.Split(s, ",") {
		if strings.TrimSpace(item) == "" && strings.Contains(s, ",") {
			return nil, fmt.Errorf("%q has an empty address between its commas: give each address once, separated by commas", strings.TrimSpace(s))
		}
		a, err := ParseDial(item)
		if err != nil {
			return nil, err
		}
		key := strings.ToLower(a.String())
		if seen[key] {
			return nil, fmt.Errorf("%s is given twice in %q: give each address once", a, strings.TrimSpace(s))
		}
		seen[key] = true
		list = append(list, a)
	}
	return list, nil
}

// ParseListen reads an address to listen on: ":port" (or the port
// alone) for every interface, or ip:port (localhost:port) for one. Port 0
// asks the system for any free port (tests, demos).
func ParseListen(s string) (HostPort, error) {
	s = strings.TrimSpace(s)
	if _, err := ParsePort(s); err == nil {
		s = ":" + s // the port alone, as people often give it
	}
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return HostPort{}, fmt.Errorf("listen address %q is not host:port (for example :%d, or 0.0.0.0:%d)", s, DefaultPort, DefaultPort)
	}
	p := 0
	if port != "0" {
		if p, err = ParsePort(port); err != nil {
			return HostPort{}, err
		}
	}
	if _, ipErr := netip.ParseAddr(host); ipErr != nil && host != "" && !strings.EqualFold(host, "localhost") {
		return HostPort{}, fmt.Errorf("listen host %q must be an IP address of this machine, or empty for all (for example :%d)", host, DefaultPort)
	}
	return HostPort{Host: host, Port: p}, nil
}

// ParsePort reads a TCP port: decimal digits, without sign or leading
// zero, from 1 to 65535.
func ParsePort(s string) (int, error) {
	p, err := strconv.Atoi(s)
	if err != nil || p < 1 || p > 65535 || strconv.Itoa(p) != s {
		return 0, fmt.Errorf("port %q is not a number from 1 to 65535 (use one above 5000, the same everywhere; the default is %d)", s, DefaultPort)
	}
	return p, nil
}

// checkHost accepts an IP address or an RFC 1123 host name whose last
// part is not all digits (RFC 3696: no top-level domain is, and
// "10.0.0.300" is an IPv4 address mistyped, not a name).
func checkHost(host string) error {
	if a, err := netip.ParseAddr(host); err == nil {
		// netip takes any zone; an interface's name or number is one.
		if z := a.Zone(); strings.Trim(z, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != "" {
			return fmt.Errorf("%q is not a valid IPv6 address: after %% comes a network interface's name or number (for example fe80::1%%eth0)", host)
		}
		return nil
	}
	if len(host) > 253 {
		return fmt.Errorf("host name %q is too long: at most 253 characters", host)
	}
	for _, label := range strings.Split(strings.TrimSuffix(host, "."), ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return fmt.Errorf("%q is not a valid host name or IP address (a name is dot-separated parts of 1 to 63 letters, digits and '-', not starting or ending with '-')", host)
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
				return fmt.Errorf("%q is not a valid host name or IP address (unexpected %q)", host, r)
			}
		}
	}
	labels := strings.Split(strings.TrimSuffix(host, "."), ".")
	if last := labels[len(labels)-1]; strings.Trim(last, "0123456789") == "" {
		if strings.Trim(host, "0123456789.") == "" {
			return fmt.Errorf("%q is not a valid IP address: an IPv4 address is four numbers from 0 to 255 (for example 192.0.2.10)", host)
		}
		return fmt.Errorf("%q is not a valid host name: its last part, %q, is all digits (check the name, or give the IP address)", host, last)
	}
	return nil
}

// Join is a host and a port as one address, an IPv6 address in brackets:
// what a form with a host field and a port field hands to ParseDial or
// ParseListen. It checks nothing.
func Join(host, port string) string {
	return net.JoinHostPort(strings.Trim(strings.TrimSpace(host), "[]"), strings.TrimSpace(port))
}

// Split is Join's inverse, for filling such a form: the host (without
// brackets) and the port of host:port, or the whole text as the host and
// no port when it has none ("fs01", "::1"). It checks nothing.
func Split(addr string) (host, port string) {
	addr = strings.TrimSpace(addr)
	if h, p, err := net.SplitHostPort(addr); err == nil {
		return h, p
	}
	return strings.Trim(addr, "[]"), ""
}
