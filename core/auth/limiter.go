package auth

import (
	"container/heap"
	"math"
	"net/netip"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// LimiterConfig tunes a Limiter. Zero fields take the defaults.
type LimiterConfig struct {
	PerIP     rate.Limit // refill of a source's bucket; default rate.Every(6 * time.Second); rate.Inf turns it off
	IPBurst   int        // default 10
	PerName   rate.Limit // refill of a name's bucket; default rate.Every(3 * time.Second); rate.Inf turns it off
	NameBurst int        // default 20
	// MaxKeys bounds the sources plus names tracked at once; default 10,000,
	// at least 2. At the bound the bucket that would have refilled soonest is
	// forgotten first (see Limiter).
	MaxKeys int
	Now     func() time.Time // default time.Now; tests inject a fake clock
}

// Defaults for LimiterConfig. A source gets 10 failures at once and then one
// per 6 s (10 a minute); a name 20 at once and one per 3 s, more than one
// source because a fleet behind one name (a slave re-added, a password being
// changed) legitimately fails from several places.
const (
	DefaultIPInterval   = 6 * time.Second
	DefaultIPBurst      = 10
	DefaultNameInterval = 3 * time.Second
	DefaultNameBurst    = 20
	DefaultMaxKeys      = 10_000
)

// IPv6PrefixLen is how IPv6 sources are grouped: one bucket per /64. A
// single host is usually handed a whole /64, so per-address buckets would
// give an attacker 2^64 fresh ones.
const IPv6PrefixLen = 64

// maxWait caps computed durations so float arithmetic on extreme rates
// cannot overflow a time.Duration.
const maxWait = 365 * 24 * time.Hour

// tokenSlop absorbs float rounding in the token arithmetic, so that a peer
// retrying exactly after the retryAfter it was given is let in.
const tokenSlop = 1e-9

// Limiter limits failed handshakes per source and per slave name with token
// buckets (golang.org/x/time/rate). Only failures consume tokens: Check
// never does, so a source that always authenticates is never limited.
//
// The acceptor calls Check(ip, "") when a connection arrives and
// Check(ip, name) once the hello is read, answering rate_limited with
// retryAfter, before reading a proof, when it refuses; then Fail or Succeed
// with the outcome.
//
// Sources are keyed by address, with IPv4-mapped IPv6 addresses unmapped
// and IPv6 grouped by /64 (IPv6PrefixLen); an invalid address (a
// non-IP transport) has one shared bucket. Names are keyed in normal
// (lower-case) form; an empty name, or one ValidateName refuses, has no
// bucket, since no slave can have it and so there is no password to guess.
//
// Memory is bounded by MaxKeys. A bucket that has refilled is forgotten (a
// fresh bucket is full, so nothing is lost); when the bound is reached with
// none full, the bucket that would refill soonest goes first: it holds the
// least information. An attacker churning through more sources than the
// bound, each failing a few times, fills the table with buckets that refill
// within seconds, and those go before a name bucket it has drained, which
// takes a minute; such sources escape their own limits, but not the name's.
//
// Only failures count, so slaves sharing one address (behind NAT) are
// unaffected by each other unless their failures together empty the
// source's bucket; then every handshake from that address waits.
//
// A Limiter is safe for concurrent use.
type Limiter struct {
	now     func() time.Time
	ipCls   class
	nameCls class
	maxKeys int

	mu     sync.Mutex
	ips    map[netip.Prefix]*bucket
	names  map[string]*bucket
	byFull fullHeap // every bucket, earliest fullAt first
}

// class is one kind of bucket's parameters.
type class struct {
	limit rate.Limit
	burst int
}

func (c class) off() bool { return c.limit == rate.Inf }

type bucket struct {
	lim    *rate.Limiter
	cls    class
	fullAt time.Time // when lim will hold burst tokens again if nothing more fails
	index  int       // position in Limiter.byFull

	// The bucket's key, to delete it from its map on eviction.
	isName bool
	ip     netip.Prefix
	name   string

	// For name buckets: the one source every failure since the bucket was
	// last full came from, and whether any came from another (see Succeed).
	source netip.Prefix
	mixed  bool
}

// NewLimiter returns a Limiter with cfg's zero fields set to the defaults.
func NewLimiter(cfg LimiterConfig) *Limiter {
	if cfg.PerIP <= 0 {
		cfg.PerIP = rate.Every(DefaultIPInterval)
	}
	if cfg.IPBurst <= 0 {
		cfg.IPBurst = DefaultIPBurst
	}
	if cfg.PerName <= 0 {
		cfg.PerName = rate.Every(DefaultNameInterval)
	}
	if cfg.NameBurst <= 0 {
		cfg.NameBurst = DefaultNameBurst
	}
	if cfg.MaxKeys <= 0 {
		cfg.MaxKeys = DefaultMaxKeys
	}
	// One Fail may add a source and a name; room for both keeps the bound
	// meaningful without evicting the key just added.
	cfg.MaxKeys = max(cfg.MaxKeys, 2)
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Limiter{
		now:     cfg.Now,
		ipCls:   class{cfg.PerIP, cfg.IPBurst},
		nameCls: class{cfg.PerName, cfg.NameBurst},
		maxKeys: cfg.MaxKeys,
		ips:     make(map[netip.Prefix]*bucket),
		names:   make(map[string]*bucket),
	}
}

// Check reports whether a handshake from ip for name may proceed. When it
// may not, retryAfter is how long until it may (rounded up to a whole
// millisecond, the wire's unit), the longer of the two buckets' waits. name
// may be "" before the hello is read.
func (l *Limiter) Check(ip netip.Addr, name string) (retryAfter time.Duration, ok bool) {
	src := sourceKey(ip)
	nk, named := nameKey(name)
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	l.prune(now)
	ok = true
	if b := l.ips[src]; b != nil {
		if d, limited := b.wait(now); limited {
			ok, retryAfter = false, max(retryAfter, d)
		}
	}
	if named {
		if b := l.names[nk]; b != nil {
			if d, limited := b.wait(now); limited {
				ok, retryAfter = false, max(retryAfter, d)
			}
		}
	}
	return retryAfter, ok
}

// Fail records a failed handshake from ip for name: it takes a token from
// both buckets. A bucket may go into debt (negative tokens), down to minus
// its burst: failures of handshakes that passed Check together all count,
// but failures past that (a caller that skipped Check) cannot push
// retryAfter out without end.
func (l *Limiter) Fail(ip netip.Addr, name string) {
	src := sourceKey(ip)
	nk, named := nameKey(name)
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	l.prune(now)
	if !l.ipCls.off() {
		b := l.ips[src]
		if b == nil {
			b = l.add(&bucket{cls: l.ipCls, ip: src})
			l.ips[src] = b
		}
		l.take(b, now, src)
	}
	if named && !l.nameCls.off() {
		b := l.names[nk]
		if b == nil {
			b = l.add(&bucket{cls: l.nameCls, isName: true, name: nk})
			l.names[nk] = b
		}
		l.take(b, now, src)
	}
}

// Succeed records a successful handshake from ip for name.
//
// It never gives tokens back to the source's bucket: a source's bucket
// counts guesses from that source against every name, and an attacker
// holding one valid key (say, of a slave it controls) could otherwise
// alternate one success with each guess and guess without limit.
//
// It forgets the name's bucket only when every failure counted in it came
// from this same source. Then the failures were most likely the
// succeeding peer's own (an old password, a retry storm after a change), and
// forgetting them gives nothing to an attacker: one at that source is still
// held by the source's bucket, which Succeed never refills and which, with
// the defaults, is the stricter of the two. Failures from any other source
// stay counted, so a distributed guesser cannot have a legitimate peer's
// success reset the name's limit for it.
func (l *Limiter) Succeed(ip netip.Addr, name string) {
	nk, named := nameKey(name)
	if !named {
		return
	}
	src := sourceKey(ip)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.prune(l.now())
	if b := l.names[nk]; b != nil && !b.mixed && b.source == src {
		l.remove(b)
	}
}

// Len returns how many sources and names are tracked: at most MaxKeys,
// and none once every bucket has refilled.
func (l *Limiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.prune(l.now())
	return len(l.byFull)
}

// take consumes one token of b at now on behalf of src.
func (l *Limiter) take(b *bucket, now time.Time, src netip.Prefix) {
	burst := float64(b.cls.burst)
	tokens := b.lim.TokensAt(now)
	if b.isName {
		switch {
		case tokens >= burst-tokenSlop:
			b.source, b.mixed = src, false
		case b.source != src:
			b.mixed = true
		}
	}
	if tokens-1 >= -burst-tokenSlop {
		b.lim.ReserveN(now, 1)
		tokens = b.lim.TokensAt(now)
	}
	b.fullAt = now.Add(tokenTime(burst-tokens, b.cls.limit))
	heap.Fix(&l.byFull, b.index)
}

// add tracks a new, full bucket, first making room under maxKeys.
func (l *Limiter) add(b *bucket) *bucket {
	for len(l.byFull) >= l.maxKeys {
		l.remove(l.byFull[0])
	}
	b.lim = rate.NewLimiter(b.cls.limit, b.cls.burst)
	heap.Push(&l.byFull, b)
	return b
}

func (l *Limiter) remove(b *bucket) {
	heap.Remove(&l.byFull, b.index)
	if b.isName {
		delete(l.names, b.name)
	} else {
		delete(l.ips, b.ip)
	}
}

// prune forgets every bucket that has refilled by now: a missing bucket
// behaves exactly like a full one.
func (l *Limiter) prune(now time.Time) {
	for len(l.byFull) > 0 && !l.byFull[0].fullAt.After(now) {
		l.remove(l.byFull[0])
	}
}

// wait reports whether b refuses a handshake at now, and for how long.
func (b *bucket) wait(now time.Time) (time.Duration, bool) {
	tokens := b.lim.TokensAt(now)
	if tokens >= 1-tokenSlop {
		return 0, false
	}
	d := tokenTime(1-tokens, b.cls.limit)
	// Round up to the millisecond: retry_after travels in ms, and a peer
	// told to come back a little early would only be refused again.
	if r := d % time.Millisecond; r != 0 {
		d += time.Millisecond - r
	}
	return d, true
}

// tokenTime is how long limit takes to refill n tokens, rounded up to the
// nanosecond but forgiving float noise (a relative 1e-12), so that an
// interval of exactly 6 s comes out as 6 s and not 6 s + 1 ns.
func tokenTime(n float64, limit rate.Limit) time.Duration {
	if n <= 0 {
		return 0
	}
	ns := n / float64(limit) * float64(time.Second)
	if ns >= float64(maxWait) || math.IsNaN(ns) {
		return maxWait
	}
	return time.Duration(math.Ceil(ns * (1 - 1e-12)))
}

// sourceKey maps an address to its bucket's key: the address itself for
// IPv4 (after unmapping ::ffff:a.b.c.d, so a dual-stack listener does not
// give one client two buckets), its /64 for IPv6, and the zero Prefix for an
// invalid address.
func sourceKey(ip netip.Addr) netip.Prefix {
	ip = ip.Unmap()
	switch {
	case !ip.IsValid():
		return netip.Prefix{}
	case ip.Is4():
		return netip.PrefixFrom(ip, 32)
	}
	p, _ := ip.WithZone("").Prefix(IPv6PrefixLen) // cannot fail for a valid IPv6 address
	return p
}

// nameKey returns a name's bucket key, and false for names that get none.
func nameKey(name string) (string, bool) {
	if name == "" || ValidateName(name) != nil {
		return "", false
	}
	return NormalizeName(name), true
}

// fullHeap orders buckets by fullAt, earliest first: the front is the bucket
// that loses least when forgotten.
type fullHeap []*bucket

func (h fullHeap) Len() int           { return len(h) }
func (h fullHeap) Less(i, j int) bool { return h[i].fullAt.Before(h[j].fullAt) }
func (h fullHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *fullHeap) Push(x any) {
	b := x.(*bucket)
	b.index = len(*h)
	*h = append(*h, b)
}
func (h *fullHeap) Pop() any {
	old := *h
	b := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	b.index = -1
	return b
}
