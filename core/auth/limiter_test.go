package auth

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/time/rate"
	"pgregory.net/rapid"
)

// fakeClock is a clock tests move by hand; it is safe for concurrent use.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newTestLimiter(cfg LimiterConfig) (*Limiter, *fakeClock) {
	clk := newFakeClock()
	cfg.Now = clk.Now
	return NewLimiter(cfg), clk
}

var (
	ipA = netip.MustParseAddr("192.0.2.1")
	ipB = netip.MustParseAddr("192.0.2.2")
)

// ipN returns the n-th of many distinct IPv4 addresses.
func ipN(n int) netip.Addr {
	return netip.AddrFrom4([4]byte{10, byte(n >> 16), byte(n >> 8), byte(n)})
}

// fail is one failed handshake: a reservation that is never given back.
func fail(t testing.TB, l *Limiter, ip netip.Addr, name string) {
	t.Helper()
	if _, err := l.Reserve(Attempt{Source: ip, Name: name}); err != nil {
		t.Fatalf("Reserve(%v, %q) refused a failure the test meant to count: %v", ip, name, err)
	}
}

// probe asks whether a handshake from ip for name would be let in now,
// without changing anything: it reserves and gives the tokens back without
// making the peer known.
func probe(l *Limiter, ip netip.Addr, name string) (time.Duration, bool) {
	t, err := l.Reserve(Attempt{Source: ip, Name: name})
	if err != nil {
		var le *LimitError
		if !errors.As(err, &le) {
			panic(err)
		}
		return le.RetryAfter, false
	}
	l.mu.Lock()
	for _, b := range t.buckets {
		if b.index >= 0 {
			l.take(b, l.now(), -1)
		}
	}
	l.mu.Unlock()
	return 0, true
}

func wantOK(t *testing.T, l *Limiter, ip netip.Addr, name string) {
	t.Helper()
	if d, ok := probe(l, ip, name); !ok {
		t.Fatalf("(%v, %q) refused with retryAfter %v; want allowed", ip, name, d)
	}
}

func wantRefused(t *testing.T, l *Limiter, ip netip.Addr, name string, retry time.Duration) {
	t.Helper()
	if d, ok := probe(l, ip, name); ok || d != retry {
		t.Fatalf("(%v, %q) = %v, %v; want refused with retryAfter %v", ip, name, d, ok, retry)
	}
}

func TestLimiterAllowsABurstOfFailuresThenRefusesWithTheRightRetryAfter(t *testing.T) {
	l, clk := newTestLimiter(LimiterConfig{})
	wantOK(t, l, ipA, "")
	for i := range DefaultIPBurst {
		wantOK(t, l, ipA, "")
		fail(t, l, ipA, fmt.Sprintf("name%d", i)) // distinct names: only the source's bucket empties
	}
	wantRefused(t, l, ipA, "", DefaultIPInterval)
	wantRefused(t, l, ipA, "name0", DefaultIPInterval)
	if err := l.CheckSource(ipA); err == nil {
		t.Fatal("CheckSource let in a source whose bucket is empty")
	}
	clk.Advance(2 * time.Second)
	wantRefused(t, l, ipA, "", 4*time.Second)
	clk.Advance(4 * time.Second)
	wantOK(t, l, ipA, "")
	if err := l.CheckSource(ipA); err != nil {
		t.Fatalf("CheckSource after the refill: %v", err)
	}
	fail(t, l, ipA, "")
	wantRefused(t, l, ipA, "", DefaultIPInterval)
	wantOK(t, l, ipB, "") // another source is not affected
}

func TestLimiterRecoversOverTimeAndForgetsRefilledBuckets(t *testing.T) {
	l, clk := newTestLimiter(LimiterConfig{})
	for range DefaultIPBurst {
		fail(t, l, ipA, "FS01")
	}
	wantRefused(t, l, ipA, "FS01", DefaultIPInterval)
	if n := l.Len(); n != 2 {
		t.Fatalf("Len = %d, want 2 (one source, one name)", n)
	}
	clk.Advance(DefaultIPBurst * DefaultIPInterval)
	if n := l.Len(); n != 0 {
		t.Fatalf("Len = %d after every bucket refilled, want 0", n)
	}
	// A whole burst is available again.
	for range DefaultIPBurst {
		wantOK(t, l, ipA, "FS01")
		fail(t, l, ipA, "FS01")
	}
	wantRefused(t, l, ipA, "FS01", DefaultIPInterval)
}

func TestLimiterLimitsANameAcrossSources(t *testing.T) {
	l, clk := newTestLimiter(LimiterConfig{})
	for i := range DefaultNameBurst {
		wantOK(t, l, ipN(i), "FS01")
		fail(t, l, ipN(i), "FS01")
	}
	fresh := ipN(1000)
	wantRefused(t, l, fresh, "FS01", DefaultNameInterval)
	wantRefused(t, l, fresh, "fs01", DefaultNameInterval) // names are compared case-insensitively
	wantOK(t, l, fresh, "")                               // the source itself is fine
	wantOK(t, l, fresh, "FS02")                           // and so is another name
	wantOK(t, l, ipN(0), "")                              // each source failed only once
	clk.Advance(DefaultNameInterval)
	wantOK(t, l, fresh, "FS01")
}

func TestLimiterRefusalSaysWhichCountRefused(t *testing.T) {
	l, _ := newTestLimiter(LimiterConfig{IPBurst: 1, NameBurst: 1, PerIP: rate.Every(time.Second), PerName: rate.Every(time.Minute)})
	fail(t, l, ipA, "FS01")
	var le *LimitError
	_, err := l.Reserve(Attempt{Source: ipA})
	if !errors.As(err, &le) || le.Name != "" || le.Source != netip.MustParsePrefix("192.0.2.1/32") || le.RetryAfter != time.Second {
		t.Fatalf("source refusal = %#v", err)
	}
	if got := err.Error(); got != "too many failed attempts from 192.0.2.1; retry in 1s" {
		t.Errorf("source refusal reads %q", got)
	}
	_, err = l.Reserve(Attempt{Source: ipB, Name: "FS01"})
	if !errors.As(err, &le) || le.Name != "fs01" || le.RetryAfter != time.Minute {
		t.Fatalf("name refusal = %#v", err)
	}
	if got := err.Error(); got != "too many failed attempts for the name fs01 from several addresses; retry in 1m" {
		t.Errorf("name refusal reads %q", got)
	}
	// Both refuse: the longer wait wins, and names its count.
	_, err = l.Reserve(Attempt{Source: ipA, Name: "FS01"})
	if !errors.As(err, &le) || le.Name != "fs01" || le.RetryAfter != time.Minute {
		t.Fatalf("both = %#v", err)
	}
}

func TestLimiterReservesAllOrNothing(t *testing.T) {
	l, _ := newTestLimiter(LimiterConfig{IPBurst: 5, NameBurst: 1})
	fail(t, l, ipA, "FS01")
	// The name is empty: a refusal must not take the source's token too.
	for range 20 {
		wantRefused(t, l, ipB, "FS01", DefaultNameInterval)
	}
	for i := range 5 {
		fail(t, l, ipB, fmt.Sprintf("FS%d", 10+i))
	}
	wantRefused(t, l, ipB, "", DefaultIPInterval)
}

// The reservation is what bounds a burst of parallel handshakes: however
// many start at once, at most the burst get past Reserve.
func TestLimiterLetsAtMostTheBurstOfParallelHandshakesThrough(t *testing.T) {
	l, _ := newTestLimiter(LimiterConfig{})
	var passed atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range 60 {
		wg.Go(func() {
			<-start
			if _, err := l.Reserve(Attempt{Source: ipA, Name: "FS01"}); err == nil {
				passed.Add(1)
			}
		})
	}
	close(start)
	wg.Wait()
	if n := passed.Load(); n != DefaultIPBurst {
		t.Fatalf("%d of 60 parallel handshakes were let through; want the burst, %d", n, DefaultIPBurst)
	}
}

func TestLimiterRefundIsExact(t *testing.T) {
	l, clk := newTestLimiter(LimiterConfig{IPBurst: 3, NameBurst: 100})
	fail(t, l, ipA, "FS01")
	fail(t, l, ipA, "FS01")
	tk, err := l.Reserve(Attempt{Source: ipA, Name: "FS01"})
	if err != nil {
		t.Fatal(err)
	}
	tk.Succeed()
	tk.Succeed() // a second call gives nothing more
	// Two failures stand: exactly one token is left.
	fail(t, l, ipA, "FS01")
	wantRefused(t, l, ipA, "", DefaultIPInterval)
	// A refund never lifts a bucket over its burst.
	clk.Advance(time.Hour)
	tk, _ = l.Reserve(Attempt{Source: ipA, Name: "FS01"})
	clk.Advance(time.Hour)
	tk.Succeed()
	for range 3 {
		fail(t, l, ipA, "FS01")
	}
	wantRefused(t, l, ipA, "", DefaultIPInterval)
}

func TestLimiterKnownPeersAreNotLockedOutByStrangers(t *testing.T) {
	for _, tc := range []struct {
		name  string
		known func(l *Limiter) Attempt // makes the peer known, returns its next attempt
	}{
		{"a peer that succeeded from this address", func(l *Limiter) Attempt {
			tk, _ := l.Reserve(Attempt{Source: ipA, Name: "FS01"})
			tk.Succeed()
			return Attempt{Source: ipA, Name: "FS01"}
		}},
		{"a peer that succeeded with this certificate, from a new address", func(l *Limiter) Attempt {
			tk, _ := l.Reserve(Attempt{Source: ipA, Name: "FS01", Fingerprint: "aa"})
			tk.Succeed()
			return Attempt{Source: ipB, Name: "FS01", Fingerprint: "aa"}
		}},
		{"a peer whose certificate is pinned", func(*Limiter) Attempt {
			return Attempt{Source: ipB, Name: "FS01", Fingerprint: "bb", Pinned: true}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, clk := newTestLimiter(LimiterConfig{})
			next := tc.known(l)
			for i := range 100 { // strangers from many addresses drain the name
				_, _ = l.Reserve(Attempt{Source: ipN(i), Name: "fs01"})
			}
			wantRefused(t, l, ipN(500), "FS01", DefaultNameInterval)
			if _, err := l.Reserve(next); err != nil {
				t.Fatalf("the known peer was refused: %v", err)
			}
			// Knowledge fades: a day later it is a stranger again.
			if !next.Pinned {
				clk.Advance(DefaultKnownFor - DefaultNameInterval*DefaultNameBurst)
				for i := range 100 {
					_, _ = l.Reserve(Attempt{Source: ipN(i), Name: "fs01"})
				}
				clk.Advance(DefaultNameInterval * DefaultNameBurst)
				for i := range 100 {
					_, _ = l.Reserve(Attempt{Source: ipN(i), Name: "fs01"})
				}
				if _, err := l.Reserve(next); err == nil {
					t.Fatal("still known after KnownFor")
				}
			}
		})
	}
}

func TestLimiterGroupsSources(t *testing.T) {
	tests := []struct {
		name       string
		fail, same netip.Addr
		other      netip.Addr
	}{
		{"an IPv4-mapped IPv6 address is its IPv4 address",
			netip.MustParseAddr("::ffff:192.0.2.1"), ipA, ipB},
		{"IPv6 addresses are grouped by /64",
			netip.MustParseAddr("2001:db8:0:1::1"), netip.MustParseAddr("2001:db8:0:1:ffff:ffff:ffff:ffff"), netip.MustParseAddr("2001:db8:0:2::1")},
		{"an IPv6 zone does not make a new source",
			netip.MustParseAddr("fe80::1%eth0"), netip.MustParseAddr("fe80::2%eth1"), netip.MustParseAddr("fe81::1")},
		{"invalid addresses share one bucket",
			netip.Addr{}, netip.Addr{}, ipA},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, _ := newTestLimiter(LimiterConfig{IPBurst: 1})
			l.Fail(tt.fail)
			wantRefused(t, l, tt.same, "", DefaultIPInterval)
			wantOK(t, l, tt.other, "")
		})
	}
}

func TestLimiterDoesNotTrackInvalidOrEmptyNames(t *testing.T) {
	l, _ := newTestLimiter(LimiterConfig{})
	fail(t, l, ipA, "")
	fail(t, l, ipA, "not a name")
	fail(t, l, ipA, string(make([]byte, 4000)))
	if n := l.Len(); n != 1 {
		t.Fatalf("Len = %d, want 1: only the source is tracked", n)
	}
}

func TestLimiterBoundsDebtFromFailuresPastTheLimit(t *testing.T) {
	l, _ := newTestLimiter(LimiterConfig{})
	// Connections that passed CheckSource together and then all sent
	// garbage: each counts, but only up to one extra burst.
	for range 1000 {
		l.Fail(ipA)
	}
	wantRefused(t, l, ipA, "", (DefaultIPBurst+1)*DefaultIPInterval)
}

func TestLimiterSucceedNeverRefillsASourceBeyondItsOwnToken(t *testing.T) {
	l, _ := newTestLimiter(LimiterConfig{})
	for range DefaultIPBurst - 1 {
		fail(t, l, ipA, "victim")
	}
	// An attacker with a valid key for its own slave succeeds from the same
	// source: its guesses against "victim" must stay counted.
	for range 5 {
		tk, err := l.Reserve(Attempt{Source: ipA, Name: "own-slave"})
		if err != nil {
			t.Fatal(err)
		}
		tk.Succeed()
	}
	fail(t, l, ipA, "victim")
	wantRefused(t, l, ipA, "", DefaultIPInterval)
}

func TestLimiterStaysWithinMaxKeysUnder100kSources(t *testing.T) {
	const maxKeys = 1000
	l, clk := newTestLimiter(LimiterConfig{MaxKeys: maxKeys})
	// A name the attacker has drained first …
	for i := range DefaultNameBurst {
		fail(t, l, ipN(i), "victim")
	}
	// … is not pushed out by 100,000 sources failing once each (with
	// random names, to churn the name table too).
	for i := range 100_000 {
		fail(t, l, ipN(DefaultNameBurst+i), fmt.Sprintf("n%d", i))
		if i%1000 == 0 {
			clk.Advance(time.Millisecond)
			if n := l.Len(); n > maxKeys {
				t.Fatalf("after %d sources Len = %d, over MaxKeys %d", i, n, maxKeys)
			}
		}
	}
	if n := l.Len(); n > maxKeys {
		t.Fatalf("Len = %d, over MaxKeys %d", n, maxKeys)
	}
	if len(l.ips)+len(l.names) != len(l.byFull) {
		t.Fatalf("maps (%d+%d) and heap (%d) disagree", len(l.ips), len(l.names), len(l.byFull))
	}
	if _, ok := probe(l, ipN(999_999), "victim"); ok {
		t.Fatal("the drained name was forgotten under churn")
	}
}

func TestLimiterBoundsTheKnownPeers(t *testing.T) {
	l, _ := newTestLimiter(LimiterConfig{MaxKnown: 50})
	for i := range 1000 {
		tk, err := l.Reserve(Attempt{Source: ipN(i), Name: "FS01", Fingerprint: fmt.Sprint(i)})
		if err != nil {
			t.Fatal(err)
		}
		tk.Succeed()
	}
	if n := len(l.known); n > 50 {
		t.Fatalf("%d known peers remembered, over MaxKnown 50", n)
	}
}

func TestLimiterIsSafeForConcurrentUse(t *testing.T) {
	const maxKeys = 200
	l, clk := newTestLimiter(LimiterConfig{MaxKeys: maxKeys, MaxKnown: 100})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(g), 1))
			for range 3000 {
				ip := ipN(r.IntN(500))
				name := fmt.Sprintf("s%d", r.IntN(50))
				switch r.IntN(4) {
				case 0:
					l.Fail(ip)
				case 1:
					if tk, err := l.Reserve(Attempt{Source: ip, Name: name}); err == nil && r.IntN(2) == 0 {
						tk.Succeed()
					}
				case 2:
					clk.Advance(time.Duration(r.IntN(100)) * time.Millisecond)
				default:
					_ = l.CheckSource(ip)
				}
			}
		})
	}
	wg.Wait()
	if n := l.Len(); n > maxKeys {
		t.Fatalf("Len = %d, over MaxKeys %d", n, maxKeys)
	}
}

func TestLimiterWithInfiniteRatesTracksNothing(t *testing.T) {
	l, _ := newTestLimiter(LimiterConfig{PerIP: rate.Inf, PerName: rate.Inf})
	for range 100 {
		fail(t, l, ipA, "FS01")
		l.Fail(ipA)
	}
	wantOK(t, l, ipA, "FS01")
	if l.Len() != 0 {
		t.Fatal("buckets were tracked")
	}
}

// Whatever happened before, a peer that was refused and comes back exactly
// after retryAfter, with no other failures in between, is let in; and a
// millisecond before then, it is not.
func TestLimiterRetryAfterIsExact(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		ipEvery := time.Duration(rapid.IntRange(1, 10_000).Draw(t, "ip ms")) * time.Millisecond
		nameEvery := time.Duration(rapid.IntRange(1, 10_000).Draw(t, "name ms")) * time.Millisecond
		l, clk := newTestLimiter(LimiterConfig{
			PerIP: rate.Every(ipEvery), IPBurst: rapid.IntRange(1, 20).Draw(t, "ip burst"),
			PerName: rate.Every(nameEvery), NameBurst: rapid.IntRange(1, 20).Draw(t, "name burst"),
		})
		ips := []netip.Addr{ipA, ipB}
		names := []string{"", "FS01", "FS02"}
		steps := rapid.IntRange(1, 60).Draw(t, "steps")
		for range steps {
			ip := rapid.SampledFrom(ips).Draw(t, "ip")
			name := rapid.SampledFrom(names).Draw(t, "name")
			switch rapid.IntRange(0, 2).Draw(t, "what") {
			case 0:
				_, _ = l.Reserve(Attempt{Source: ip, Name: name})
			case 1:
				l.Fail(ip)
			}
			clk.Advance(time.Duration(rapid.IntRange(0, 5000).Draw(t, "advance ms")) * time.Millisecond)
		}
		ip := rapid.SampledFrom(ips).Draw(t, "ip")
		name := rapid.SampledFrom(names).Draw(t, "name")
		d, ok := probe(l, ip, name)
		if ok {
			return
		}
		if d <= 0 || d%time.Millisecond != 0 {
			t.Fatalf("retryAfter %v is not a positive whole number of milliseconds", d)
		}
		clk.Advance(d - time.Millisecond)
		if _, ok := probe(l, ip, name); ok {
			t.Fatalf("allowed 1ms before retryAfter %v", d)
		}
		clk.Advance(time.Millisecond)
		if got, ok := probe(l, ip, name); !ok {
			t.Fatalf("refused again at retryAfter %v, now wait %v", d, got)
		}
	})
}
