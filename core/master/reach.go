package master

import (
	"cmp"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/lanyard/lanyard/core/address"
	"github.com/lanyard/lanyard/core/human"
	"github.com/lanyard/lanyard/core/link"
)

// Where agents reach this console. An agent on the office's own network
// dials this computer's address; an agent at a customer's site dials the
// office router's public address or name, at the ports the router
// forwards to this console: the usual one and, because some ISPs block
// some ports, a second one (an agent tries its addresses in order and
// keeps the one that worked).

// MaxPublicPorts bounds the ports forwarded to the console that a new
// site's agent is given.
const MaxPublicPorts = 4

// ParsePorts reads the forwarded ports as a person types them:
// "16888, 50000" (commas or spaces between them).
func ParsePorts(s string) ([]int, error) {
	var ports []int
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
		p, err := address.ParsePort(f)
		if err != nil {
			return nil, err
		}
		if slices.Contains(ports, p) {
			return nil, fmt.Errorf("port %d is listed twice", p)
		}
		ports = append(ports, p)
	}
	if len(ports) > MaxPublicPorts {
		return nil, fmt.Errorf("%d forwarded ports is more than an agent needs: list at most %d (the usual port and one an ISP is unlikely to block, such as 50000)", len(ports), MaxPublicPorts)
	}
	return ports, nil
}

// FormatPorts is ParsePorts' inverse: "16888, 50000".
func FormatPorts(ports []int) string {
	s := make([]string, len(ports))
	for i, p := range ports {
		s[i] = strconv.Itoa(p)
	}
	return strings.Join(s, ", ")
}

// ValidatePublic checks the public address and its ports.
func (s Settings) ValidatePublic() error {
	if s.PublicHost == "" {
		if len(s.PublicPorts) > 0 {
			return fmt.Errorf("forwarded ports without a public address: give the office router's public address or name too")
		}
		return nil
	}
	if _, err := netip.ParseAddr(s.PublicHost); err != nil && strings.ContainsAny(s.PublicHost, ":[]") {
		return fmt.Errorf("public address %q: give the address or name alone; the forwarded ports are given apart (Forwarded ports, or --public-ports)", s.PublicHost)
	}
	if _, err := address.ParseDial(address.Join(s.PublicHost, strconv.Itoa(address.DefaultPort))); err != nil {
		return fmt.Errorf("public address: %w", err)
	}
	_, err := ParsePorts(FormatPorts(s.PublicPorts))
	return err
}

// publicPorts are the ports forwarded to this console: the ones given,
// else the port it listens on.
func (s Settings) publicPorts() []int {
	if len(s.PublicPorts) > 0 {
		return s.PublicPorts
	}
	_, port := address.Split(s.ListenAddress)
	if p, err := address.ParsePort(port); err == nil {
		return []int{p}
	}
	return []int{address.DefaultPort}
}

// PublicAddresses is where agents on the Internet reach this console
// (the public name at each forwarded port), none when no public address
// is set.
func (s Settings) PublicAddresses() []string {
	if s.PublicHost == "" {
		return nil
	}
	var addrs []string
	for _, p := range s.publicPorts() {
		addrs = append(addrs, address.Join(s.PublicHost, strconv.Itoa(p)))
	}
	return addrs
}

// AgentAddresses is what the agent at a new site should be given: the
// public addresses when there are any, else the addresses on this
// computer's own networks (lan).
func (s Settings) AgentAddresses(lan []string) []string {
	if pub := s.PublicAddresses(); len(pub) > 0 {
		return pub
	}
	return lan
}

// AgentInitLine is the command that sets up the agent called name (""
// writes NAME, for the server's name) at a new site to dial this console
// at addrs, tried in order. With SSL it carries this console's
// certificate fingerprint, so the agent's first contact is checked
// instead of trusted. At a terminal the command asks for the password
// (Enter generates one).
func AgentInitLine(name string, addrs []string, ssl bool, fingerprint string) string {
	line := "lanyard-agent init --name " + cmp.Or(name, "NAME") + " --password-stdin --ssl " + human.OnOff(ssl)
	if len(addrs) == 0 {
		return line
	}
	master := strings.Join(addrs, ",")
	if ssl && fingerprint != "" {
		master += "=" + link.FormatFingerprint(fingerprint)
	}
	return line + " --master " + master
}

// LANAddresses is where agents on this computer's own networks reach a
// listener at listenAddress: that address when it names a host, else
// each address of this computer's running network interfaces, loopback
// and link-local ones left out, with the port.
func LANAddresses(listenAddress string) []string {
	host, port := address.Split(listenAddress)
	if port == "" {
		port = strconv.Itoa(address.DefaultPort)
	}
	if a, err := netip.ParseAddr(host); host != "" && (err != nil || !a.IsUnspecified()) {
		return []string{address.Join(host, port)}
	}
	ifaces, err := net.Interfaces()
	if err != nil {
		return nil
	}
	var addrs []string
	for _, ifc := range ifaces {
		if ifc.Flags&net.FlagUp == 0 || ifc.Flags&net.FlagLoopback != 0 {
			continue
		}
		ifAddrs, err := ifc.Addrs()
		if err != nil {
			continue
		}
		for _, ia := range ifAddrs {
			p, err := netip.ParsePrefix(ia.String())
			if err != nil {
				continue
			}
			a := p.Addr()
			if a.IsLoopback() || a.IsLinkLocalUnicast() || a.IsMulticast() {
				continue
			}
			addrs = append(addrs, address.Join(a.String(), port))
		}
	}
	return addrs
}

// LANAddresses is where agents on this computer's own networks would
// reach this console listening at listenAddress (package LANAddresses).
func (m *Master) LANAddresses(listenAddress string) []string { return LANAddresses(listenAddress) }
