package link

import (
	"context"
	"errors"
	"time"

	"github.com/cenkalti/backoff/v5"

	"github.com/lanyard/lanyard/core/wire"
)

// Redial timing, DESIGN §2.
const (
	RedialInitial    = time.Second
	RedialMax        = time.Minute
	RedialResetAfter = 30 * time.Second
	// RedialJitter spreads each wait over its interval ± this share.
	RedialJitter = 0.5
)

// LongestRedialWait is the longest a Redialer with the given Max (zero:
// RedialMax) waits between two dials: how long a peer that was down may
// take to come back once it is up again.
func LongestRedialWait(maxInterval time.Duration) time.Duration {
	if maxInterval <= 0 {
		maxInterval = RedialMax
	}
	return time.Duration(float64(maxInterval) * (1 + RedialJitter))
}

// Redialer keeps one outgoing link up: it dials, hands each new link to
// OnLink, waits until that link closes, and dials again after a jittered
// exponential backoff that honours a peer's retry-after. Both the console
// (outbound slaves) and the agent (its masters) use it.
type Redialer struct {
	// Dial makes one attempt; usually a Dialer's Dial. A function, so the
	// owner can change options such as SSL between attempts.
	Dial func(ctx context.Context, t Target) (*Link, error)
	// Target returns what to dial now; false ends Run (the entry is gone).
	Target func() (Target, bool)
	// OnAttempt is called before each dial. Optional.
	OnAttempt func(attempt int)
	// OnLink takes a new link. It returns false when it refused the link
	// (and closed it), which counts as a failure for the backoff.
	OnLink func(*Link) bool
	// OnFailure reports a failed dial and when the next one is due.
	OnFailure func(err error, retryIn time.Duration)
	// OnLinkEnd reports why a link OnLink kept has ended and when the next
	// dial is due. Optional.
	OnLinkEnd func(err error, retryIn time.Duration)
	// Kick, when it receives, cuts a wait short (a user's Connect button).
	Kick <-chan struct{}
	// Initial and Max override the backoff bounds (tests); zero = defaults.
	Initial, Max time.Duration
}

// Run dials until ctx ends or Target says stop.
func (r *Redialer) Run(ctx context.Context) {
	b := backoff.NewExponentialBackOff()
	b.InitialInterval = r.Initial
	if b.InitialInterval <= 0 {
		b.InitialInterval = RedialInitial
	}
	b.MaxInterval = r.Max
	if b.MaxInterval <= 0 {
		b.MaxInterval = RedialMax
	}
	b.Multiplier = 2
	b.RandomizationFactor = RedialJitter
	b.Reset()

	for attempt := 1; ; attempt++ {
		t, ok := r.Target()
		if !ok || ctx.Err() != nil {
			return
		}
		if r.OnAttempt != nil {
			r.OnAttempt(attempt)
		}
		l, err := r.Dial(ctx, t)
		var wait time.Duration
		if err == nil {
			if r.OnLink(l) {
				attempt = 0
				select {
				case <-l.Done():
				case <-ctx.Done():
					return
				}
				// A link that stayed up long enough starts the backoff
				// afresh; a flapping one keeps growing it.
				if time.Since(l.Since()) >= RedialResetAfter {
					b.Reset()
				}
				err = l.Err()
				wait = nextWait(b, err, b.InitialInterval)
				if r.OnLinkEnd != nil {
					r.OnLinkEnd(err, wait)
				}
				if !r.sleep(ctx, wait) {
					return
				}
				continue
			}
			err = l.Err()
		}
		if ctx.Err() != nil {
			return
		}
		wait = nextWait(b, err, b.InitialInterval)
		if r.OnFailure != nil {
			r.OnFailure(err, wait)
		}
		if !r.sleep(ctx, wait) {
			return
		}
	}
}

// nextWait is the backoff's next interval, or longer when the peer asked
// for it. Its request was capped when it was read (MaxRetryAfterBeforeAuth,
// MaxRetryAfterLinked), so no forged close can silence a dialer for long.
//
// A peer that turned the dialer away with rate_limited and a retry-after
// is not down, only busy, and it chose the moment to spread its load: the
// dialer comes back then (not sooner than floor), and its backoff does not
// grow.
func nextWait(b *backoff.ExponentialBackOff, err error, floor time.Duration) time.Duration {
	var e *Error
	if errors.As(err, &e) && e.Code == wire.CodeRateLimited && e.RetryAfter > 0 {
		return max(e.RetryAfter, floor)
	}
	wait := b.NextBackOff()
	if e != nil && e.RetryAfter > wait {
		wait = e.RetryAfter
	}
	return wait
}

func (r *Redialer) sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Kick:
		return true
	case <-ctx.Done():
		return false
	}
}
