// Package netsim simulates network faults on loopback for tests: a proxy
// that forwards TCP until told to drop everything while keeping both
// connections open, as a peer behind a pulled cable or a power cut looks
// from the other end; and free loopback addresses that stay free until
// the test binds them (FreeAddr). Only tests import it.
package netsim
