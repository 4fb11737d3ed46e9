// Package netlab builds small networks out of Linux network namespaces for
// end-to-end tests: namespaces joined by veth pairs, routes, nftables rules
// (NAT, port forwarding, firewalls) and a hosts file per namespace, so a
// test can run the real programs as if on separate machines across the
// Internet, on one machine.
//
// Everything a Lab makes carries a prefix unique to the test process
// ("lanyard-t<pid>-<n>-"), is removed by the test's cleanup even when the
// test fails, and is swept by the next Lab when a test process died before
// cleaning up. Veth pairs are created directly inside their namespaces, so
// nothing ever appears in the host's own namespace; every namespace gets a
// guard that counts and drops IPv4 traffic to addresses outside loopback
// and the documentation ranges (RFC 5737), and has IPv6 turned off.
//
// It needs root, iproute2's ip and nftables' nft; New skips the test with
// the reason when any is missing, unless the environment variable named by
// RequireEnv is set, in which case it fails it. Only tests import it.
//
// cmd/middlebox is a "smart firewall" to put in a lab's path: a proxy that
// rewrites the start of plain streams and passes TLS through.
package netlab
