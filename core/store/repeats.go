package store

import "time"

// RepeatQuiet is how long a failure is not logged again when it repeats
// the last one logged.
const RepeatQuiet = 10 * time.Minute

// Repeats keeps a link that stays down from writing the same failure to
// the connection log at every retry: the console's of a slave, the
// agent's of a console it dials. A failure told apart by its key is news
// once per RepeatQuiet; what the link is doing meanwhile shows in its
// state, not in the log. The zero value has logged nothing. Its owner's
// lock guards it.
type Repeats struct {
	key string
	at  time.Time
}

// News reports whether the failure key, at now, is worth logging, and
// notes it as the last one logged when it is.
func (r *Repeats) News(key string, now time.Time) bool {
	if r.Quiet(now) && key == r.key {
		return false
	}
	r.key, r.at = key, now
	return true
}

// Quiet reports whether a failure was logged within RepeatQuiet of now:
// a retry of it is no news either.
func (r *Repeats) Quiet(now time.Time) bool {
	return r.key != "" && now.Sub(r.at) < RepeatQuiet
}

// Reset forgets the last failure: the link is up.
func (r *Repeats) Reset() { *r = Repeats{} }
