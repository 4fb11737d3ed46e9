package auth

import (
	"container/heap"
	"fmt"
	"math"
	"net/netip"
	"sync"
	"time"

	"github.com/lanyard/lanyard/core/human"
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
	// KnownFor is how long a success makes its peer known (see Limiter);
	// default 24 hours. MaxKnown bounds the peers remembered; default
	// 100,000.
	KnownFor time.Duration
	MaxKnown int
	Now      func() time.Time // default time.Now; tests inject a fake clock
}

// Defaults for LimiterConfig. A source gets 10 failures at once and then one
// per 6 s (10 a minute); a name 20 at once and one per 3 s, more than one
// source because strangers guessing one name from many addresses share it.
const (
	DefaultIPInterval   = 6 * time.Second
	DefaultIPBurst      = 10
	DefaultNameInterval = 3 * time.Second
	DefaultNameBurst    = 20
	DefaultMaxKeys      = 10_000
	DefaultKnownFor     = 24 * time.Hour
	DefaultMaxKnown     = 100_000
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

// Limiter limits failed handshakes with token buckets
// (golang.org/x/time/rate): one per source address, which every handshake
// from that address is subject to, and one per slave name, which only
// strangers are subject to.
//
// The acceptor calls CheckSource when a connection arrives, before it gives
// the connection a handshake slot. Once the peer's hello has named the slave,
// Reserve takes a token from each bucket the peer is subject to, and refuses
// (with a *LimitError saying which count refused and when to retry) when one
// is empty, before any proof is read. Only failures keep their tokens: a
// Ticket's Succeed gives them back. Reserving before the proof is checked,
// rather than counting after, is what keeps a burst of parallel handshakes
// from being checked past the limit. Fail counts a failure no ticket covers
// (a connection that sent garbage or nothing before its hello).
//
// Known peers. A peer that authenticated for a name recently (KnownFor) from
// the same source, or with the same certificate, or whose certificate the
// acceptor has pinned for that name (Attempt.Pinned), is known: it is not
// subject to the name's bucket, so strangers guessing a name from other
// addresses cannot lock out the console or agent that really owns it. A
// source's bucket applies to known peers too: it is checked before the
// peer can say who it is.
//
// Sources are keyed by address, with IPv4-mapped IPv6 addresses unmapped
// and IPv6 grouped by /64 (IPv6PrefixLen); an invalid address (a
// non-IP transport) has one shared bucket. Names are keyed in normal
// (lower-case) form; an empty name, or one ValidateName refuses, has no
// bucket, since no slave can have it and so there is no password to guess.
//
// Memory is bounded by MaxKeys and MaxKnown. A bucket that has refilled is
// forgotten (a fresh bucket is full, so nothing is lost); when the bound is
// reached with none full, the bucket that would refill soonest goes first: it
// holds the least information. An attacker churning through more sources
// than the bound, each failing a few times, fills the table with buckets
// that refill within seconds, and those go before a name bucket it has
// drained, which takes a minute; such sources escape their own limits, but
// not the name's.
//
// Only failures count, so slaves sharing one address (behind NAT) are
// unaffected by each other unless their failures together empty the
// source's bucket; then every handshake from that address waits.
//
// A Limiter is safe for concurrent use.
type Limiter struct {
	now      func() time.Time
	ipCls    class
	nameCls  class
	maxKeys  int
	knownFor time.Duration
	maxKnown int

	mu     sync.Mutex
	ips    map[netip.Prefix]*bucket
	names  map[string]*bucket
	byFull fullHeap             // every bucket, earliest fullAt first
	known  map[string]time.Time // knownKey → until when
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
	// One reservation may add a source and a name; room for both keeps the
	// bound meaningful without evicting the key just added.
	cfg.MaxKeys = max(cfg.MaxKeys, 2)
	if cfg.KnownFor <= 0 {
		cfg.KnownFor = DefaultKnownFor
	}
	if cfg.MaxKnown <= 0 {
		cfg.MaxKnown = DefaultMaxKnown
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Limiter{
		now:      cfg.Now,
		ipCls:    class{cfg.PerIP, cfg.IPBurst},
		nameCls:  class{cfg.PerName, cfg.NameBurst},
		maxKeys:  cfg.MaxKeys,
		knownFor: cfg.KnownFor,
		maxKnown: cfg.MaxKnown,
		ips:      make(map[netip.Prefix]*bucket),
		names:    make(map[string]*bucket),
		known:    make(map[string]time.Time),
	}
}

// Attempt is one handshake as the limiter sees it.
type Attempt struct {
	Source      netip.Addr
	Name        string // the slave's name from the peer's hello
	Fingerprint string // the peer certificate's; "" without SSL
	// Pinned says the acceptor holds Fingerprint pinned for Name (the
	// console's inbound entries): the peer is known.
	Pinned bool
}

// LimitError says which count refused a handshake and when to retry.
type LimitError struct {
	RetryAfter time.Duration // rounded up to a whole millisecond, the wire's unit
	Source     netip.Prefix  // the address (or IPv6 /64) whose failures were counted
	Name       string        // set when the name's count refused, in normal form
}

func (e *LimitError) Error() string {
	if e.Name != "" {
		return fmt.Sprintf("too many failed attempts for the name %s from several addresses; retry in %s",
			e.Name, human.Typed(e.RetryAfter))
	}
	return fmt.Sprintf("too many failed attempts from %s; retry in %s", sourceString(e.Source), human.Typed(e.RetryAfter))
}

func sourceString(p netip.Prefix) string {
	switch {
	case !p.IsValid():
		return "this address"
	case p.Addr().Is4():
		return p.Addr().String()
	}
	return p.String()
}

// CheckSource reports whether a connection from ip may take a handshake
// slot: nil, or a *LimitError when the source's failures have emptied its
// bucket. It takes no token.
func (l *Limiter) CheckSource(ip netip.Addr) error {
	src := sourceKey(ip)
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	l.prune(now)
	if b := l.ips[src]; b != nil {
		if d, limited := b.wait(now); limited {
			return &LimitError{RetryAfter: d, Source: src}
		}
	}
	return nil
}

// Ticket is a reservation taken for one handshake. Succeed gives its tokens
// back; a handshake that fails, or never ends, keeps them spent.
type Ticket struct {
	l       *Limiter
	src     netip.Prefix
	known   []string // knownKeys to remember on success
	buckets []*bucket
	once    sync.Once
}

// Reserve takes a token for a handshake from every bucket a is subject to
// (the source's; the name's unless the peer is known), all or none. It
// returns a *LimitError, with the longer wait when both refuse, when one is
// empty.
func (l *Limiter) Reserve(a Attempt) (*Ticket, error) {
	src := sourceKey(a.Source)
	nk, named := nameKey(a.Name)
	t := &Ticket{l: l, src: src}
	if named {
		t.known = append(t.known, knownKey(nk, src.String()))
		if a.Fingerprint != "" {
			t.known = append(t.known, knownKey(nk, "cert "+a.Fingerprint))
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	l.prune(now)
	var refused *LimitError
	if !l.ipCls.off() {
		b := l.ips[src]
		if b == nil {
			b = l.add(&bucket{cls: l.ipCls, ip: src})
			l.ips[src] = b
		}
		if d, limited := b.wait(now); limited {
			refused = &LimitError{RetryAfter: d, Source: src}
		}
		t.buckets = append(t.buckets, b)
	}
	if named && !l.nameCls.off() && !a.Pinned && !l.isKnownLocked(t.known, now) {
		b := l.names[nk]
		if b == nil {
			b = l.add(&bucket{cls: l.nameCls, isName: true, name: nk})
			l.names[nk] = b
		}
		if d, limited := b.wait(now); limited && (refused == nil || d > refused.RetryAfter) {
			refused = &LimitError{RetryAfter: d, Source: src, Name: nk}
		}
		t.buckets = append(t.buckets, b)
	}
	if refused != nil {
		return nil, refused
	}
	for _, b := range t.buckets {
		l.take(b, now, 1)
	}
	return t, nil
}

// Succeed gives the ticket's tokens back and makes its peer known for the
// name, from its source and by its certificate. Later calls do nothing.
//
// A source's token comes back only because this handshake took it: a peer
// holding one valid key (of a slave it controls) gains nothing towards
// guessing another's by succeeding in between.
func (t *Ticket) Succeed() {
	t.once.Do(func() {
		l := t.l
		l.mu.Lock()
		defer l.mu.Unlock()
		now := l.now()
		for _, b := range t.buckets {
			if b.index >= 0 { // not forgotten meanwhile
				l.take(b, now, -1)
			}
		}
		for _, k := range t.known {
			l.rememberLocked(k, now)
		}
	})
}

// Fail records a failure that no ticket covers: a connection from ip that
// sent garbage, or nothing, before naming a slave. It takes a token from the
// source's bucket, which may go into debt down to minus its burst, so
// failures of connections that passed CheckSource together all count but
// cannot push retryAfter out without end.
func (l *Limiter) Fail(ip netip.Addr) {
	if l.ipCls.off() {
		return
	}
	src := sourceKey(ip)
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	l.prune(now)
	b := l.ips[src]
	if b == nil {
		b = l.add(&bucket{cls: l.ipCls, ip: src})
		l.ips[src] = b
	}
	l.take(b, now, 1)
}

// Len returns how many sources and names are tracked: at most MaxKeys,
// and none once every bucket has refilled.
func (l *Limiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.prune(l.now())
	return len(l.byFull)
}

func knownKey(name, by string) string { return name + "\x00" + by }

func (l *Limiter) isKnownLocked(keys []string, now time.Time) bool {
	for _, k := range keys {
		if until, ok := l.known[k]; ok {
			if now.Before(until) {
				return true
			}
			delete(l.known, k)
		}
	}
	return false
}

func (l *Limiter) rememberLocked(k string, now time.Time) {
	if _, ok := l.known[k]; !ok && len(l.known) >= l.maxKnown {
		for k2, until := range l.known {
			if !now.Before(until) {
				delete(l.known, k2)
			}
		}
		// Still full: forget any one. Only successes add entries, so this
		// takes a fleet larger than MaxKnown, not an attacker.
		for k2 := range l.known {
			if len(l.known) < l.maxKnown {
				break
			}
			delete(l.known, k2)
		}
	}
	l.known[k] = now.Add(l.knownFor)
}

// take consumes n tokens of b at now, or gives -n back. A bucket may go
// into debt down to minus its burst (see Fail); a refund never lifts it
// above its burst.
func (l *Limiter) take(b *bucket, now time.Time, n int) {
	burst := float64(b.cls.burst)
	tokens := b.lim.TokensAt(now)
	if n < 0 || tokens-float64(n) >= -burst-tokenSlop {
		// A negative reservation gives tokens back; x/time/rate caps the
		// count at the burst when it next reads it (TestLimiterRefundIsExact).
		b.lim.ReserveN(now, n)
		tokens = min(b.lim.TokensAt(now), burst)
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
	b.fullAt = l.now()
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
	// Until the token is there but for half the slop: at that moment the
	// check above lets the peer in, whatever float noise the refill
	// carries, and a whole millisecond earlier it does not.
	d := tokenTime(1-tokenSlop/2-tokens, b.cls.limit)
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

// SourceKey maps an address to the source it counts as: the address itself
// for IPv4 (after unmapping ::ffff:a.b.c.d, so a dual-stack listener does
// not give one client two), its /64 for IPv6, and the zero Prefix for an
// invalid address. Whatever counts or caps connections per source uses it.
func SourceKey(ip netip.Addr) netip.Prefix { return sourceKey(ip) }

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
