package auth

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"sync"
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

func wantOK(t *testing.T, l *Limiter, ip netip.Addr, name string) {
	t.Helper()
	if d, ok := l.Check(ip, name); !ok || d != 0 {
		t.Fatalf("Check(%v, %q) = %v, %v; want allowed", ip, name, d, ok)
	}
}

func wantRefused(t *testing.T, l *Limiter, ip netip.Addr, name string, retry time.Duration) {
	t.Helper()
	if d, ok := l.Check(ip, name); ok || d != retry {
		t.Fatalf("Check(%v, %q) = %v, %v; want refused with retryAfter %v", ip, name, d, ok, retry)
	}
}

func TestLimiterAllowsABurstOfFailuresThenRefusesWithTheRightRetryAfter(t *testing.T) {
	l, clk := newTestLimiter(LimiterConfig{})
	wantOK(t, l, ipA, "")
	for i := range DefaultIPBurst {
		wantOK(t, l, ipA, "")
		l.Fail(ipA, fmt.Sprintf("name%d", i)) // distinct names: only the source's bucket empties
	}
	wantRefused(t, l, ipA, "", DefaultIPInterval)
	wantRefused(t, l, ipA, "name0", DefaultIPInterval)
	clk.Advance(2 * time.Second)
	wantRefused(t, l, ipA, "", 4*time.Second)
	clk.Advance(4 * time.Second)
	wantOK(t, l, ipA, "")
	l.Fail(ipA, "")
	wantRefused(t, l, ipA, "", DefaultIPInterval)
	wantOK(t, l, ipB, "") // another source is not affected
}

func TestLimiterRecoversOverTimeAndForgetsRefilledBuckets(t *testing.T) {
	l, clk := newTestLimiter(LimiterConfig{})
	for range DefaultIPBurst {
		l.Fail(ipA, "FS01")
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
		l.Fail(ipA, "FS01")
	}
	wantRefused(t, l, ipA, "FS01", DefaultIPInterval)
}

func TestLimiterLimitsANameAcrossSources(t *testing.T) {
	l, clk := newTestLimiter(LimiterConfig{})
	for i := range DefaultNameBurst {
		wantOK(t, l, ipN(i), "FS01")
		l.Fail(ipN(i), "FS01")
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

func TestLimiterReportsTheLongerWaitWhenBothBucketsRefuse(t *testing.T) {
	l, _ := newTestLimiter(LimiterConfig{IPBurst: 1, NameBurst: 1, PerIP: rate.Every(time.Second), PerName: rate.Every(time.Minute)})
	l.Fail(ipA, "FS01")
	wantRefused(t, l, ipA, "", time.Second)
	wantRefused(t, l, ipB, "FS01", time.Minute)
	wantRefused(t, l, ipA, "FS01", time.Minute)
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
			l.Fail(tt.fail, "")
			wantRefused(t, l, tt.same, "", DefaultIPInterval)
			wantOK(t, l, tt.other, "")
		})
	}
}

func TestLimiterDoesNotTrackInvalidOrEmptyNames(t *testing.T) {
	l, _ := newTestLimiter(LimiterConfig{})
	l.Fail(ipA, "")
	l.Fail(ipA, "not a name")
	l.Fail(ipA, string(make([]byte, 4000)))
	if n := l.Len(); n != 1 {
		t.Fatalf("Len = %d, want 1: only the source is tracked", n)
	}
}

func TestLimiterBoundsDebtFromFailuresPastTheLimit(t *testing.T) {
	l, _ := newTestLimiter(LimiterConfig{})
	// Handshakes that passed Check together and then all failed: each
	// counts, but only up to one extra burst.
	for range 1000 {
		l.Fail(ipA, "")
	}
	wantRefused(t, l, ipA, "", (DefaultIPBurst+1)*DefaultIPInterval)
}

func TestLimiterSucceedNeverRefillsASource(t *testing.T) {
	l, _ := newTestLimiter(LimiterConfig{})
	for range DefaultIPBurst {
		l.Fail(ipA, "victim")
	}
	// An attacker with a valid key for its own slave succeeds from the same
	// source: its guesses against "victim" must stay counted.
	l.Succeed(ipA, "own-slave")
	l.Succeed(ipA, "victim")
	wantRefused(t, l, ipA, "", DefaultIPInterval)
}

func TestLimiterSucceedForgetsANameOnlyWhenAllItsFailuresCameFromThatSource(t *testing.T) {
	t.Run("failures from the succeeding source are forgotten", func(t *testing.T) {
		l, _ := newTestLimiter(LimiterConfig{IPBurst: 100, NameBurst: 3})
		for range 3 {
			l.Fail(ipA, "FS01")
		}
		wantRefused(t, l, ipB, "FS01", DefaultNameInterval)
		l.Succeed(ipA, "fs01")
		wantOK(t, l, ipB, "FS01")
	})
	t.Run("failures from another source stay counted", func(t *testing.T) {
		l, _ := newTestLimiter(LimiterConfig{IPBurst: 100, NameBurst: 3})
		l.Fail(ipB, "FS01")
		l.Fail(ipA, "FS01")
		l.Fail(ipA, "FS01")
		l.Succeed(ipA, "FS01")
		wantRefused(t, l, ipA, "FS01", DefaultNameInterval)
	})
	t.Run("a success from another source changes nothing", func(t *testing.T) {
		l, _ := newTestLimiter(LimiterConfig{IPBurst: 100, NameBurst: 3})
		for range 3 {
			l.Fail(ipA, "FS01")
		}
		l.Succeed(ipB, "FS01")
		wantRefused(t, l, ipB, "FS01", DefaultNameInterval)
	})
	t.Run("the source is remembered afresh once the bucket has refilled", func(t *testing.T) {
		l, clk := newTestLimiter(LimiterConfig{IPBurst: 100, NameBurst: 3, MaxKeys: 100})
		l.Fail(ipB, "FS01")
		clk.Advance(DefaultNameInterval)
		for range 3 {
			l.Fail(ipA, "FS01")
		}
		l.Succeed(ipA, "FS01")
		wantOK(t, l, ipB, "FS01")
	})
}

func TestLimiterStaysWithinMaxKeysUnder100kSources(t *testing.T) {
	const maxKeys = 1000
	l, clk := newTestLimiter(LimiterConfig{MaxKeys: maxKeys})
	// A name the attacker has drained first …
	for i := range DefaultNameBurst {
		l.Fail(ipN(i), "victim")
	}
	// … is not pushed out by 100,000 sources failing once each (with
	// random names, to churn the name table too).
	for i := range 100_000 {
		l.Fail(ipN(DefaultNameBurst+i), fmt.Sprintf("n%d", i))
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
	if _, ok := l.Check(ipN(999_999), "victim"); ok {
		t.Fatal("the drained name was forgotten under churn")
	}
}

func TestLimiterIsSafeForConcurrentUse(t *testing.T) {
	const maxKeys = 200
	l, clk := newTestLimiter(LimiterConfig{MaxKeys: maxKeys})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(g), 1))
			for range 3000 {
				ip := ipN(r.IntN(500))
				name := fmt.Sprintf("s%d", r.IntN(50))
				switch r.IntN(4) {
				case 0:
					l.Fail(ip, name)
				case 1:
					l.Succeed(ip, name)
				case 2:
					clk.Advance(time.Duration(r.IntN(100)) * time.Millisecond)
				default:
					if d, ok := l.Check(ip, name); ok != (d == 0) {
						t.Errorf("Check = %v, %v", d, ok)
					}
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
		l.Fail(ipA, "FS01")
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
			if rapid.Bool().Draw(t, "fail") {
				l.Fail(ip, name)
			}
			clk.Advance(time.Duration(rapid.IntRange(0, 5000).Draw(t, "advance ms")) * time.Millisecond)
		}
		ip := rapid.SampledFrom(ips).Draw(t, "ip")
		name := rapid.SampledFrom(names).Draw(t, "name")
		d, ok := l.Check(ip, name)
		if ok {
			return
		}
		if d <= 0 || d%time.Millisecond != 0 {
			t.Fatalf("retryAfter %v is not a positive whole number of milliseconds", d)
		}
		clk.Advance(d - time.Millisecond)
		if _, ok := l.Check(ip, name); ok {
			t.Fatalf("allowed 1ms before retryAfter %v", d)
		}
		clk.Advance(time.Millisecond)
		if got, ok := l.Check(ip, name); !ok {
			t.Fatalf("refused again at retryAfter %v, now wait %v", d, got)
		}
	})
}
