// Package netsim simulates network faults on loopback for tests: Proxy
// forwards TCP to one address and can add latency, cap bandwidth, go
// silent while keeping both connections open (as a peer behind a pulled
// cable or a power cut looks from the other end), reset every connection,
// and refuse new ones. Only tests import it.
package netsim
