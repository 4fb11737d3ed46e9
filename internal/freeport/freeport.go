package freeport

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
)

// Addr returns a loopback address (127.0.0.1:PORT) that nothing
// listens on, for a test that binds it later or wants a dial refused.
//
// A port from "127.0.0.1:0" would do only until the test binds it: the
// kernel hands out the same ports to every outgoing connection on the
// machine, and on a busy one another connection takes it in between. So
// the port is drawn below the kernel's ephemeral range, where only a
// program that asks for that very port gets it, and checked free.
func Addr() (string, error) {
	low := ephemeralLow()
	const from = 10000
	if low <= from+1000 {
		return "", fmt.Errorf("the ephemeral port range starts at %d: no room below it", low)
	}
	for range 100 {
		port := from + rand.IntN(low-from)
		if port == 16888 { // Lanyard's default port: a real agent may hold it
			continue
		}
		ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			continue
		}
		addr := ln.Addr().String()
		if err := ln.Close(); err != nil {
			return "", err
		}
		return addr, nil
	}
	return "", errors.New("no free port below the ephemeral range after 100 tries")
}

// Closed is Addr for a test that wants a dial refused: a loopback
// address nothing listens on, which no other test's listener or
// connection takes meanwhile. It fails tb when there is none.
func Closed(tb testing.TB) string {
	tb.Helper()
	addr, err := Addr()
	if err != nil {
		tb.Fatal(err)
	}
	return addr
}

// ephemeralLow is the first port of the kernel's ephemeral range.
func ephemeralLow() int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 {
			if n, err := strconv.Atoi(f[0]); err == nil {
				return n
			}
		}
	}
	return 32768 // Linux's default; other systems start higher
}
