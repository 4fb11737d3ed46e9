// Package netsim simulates network faults on loopback for tests: a proxy
// that forwards TCP until told to drop everything while keeping both
// connections open, as a peer behind a pulled cable or a power cut looks
// from the other end. Only tests import it.
package netsim
