package store

import (
	"testing"
	"time"
)

// A failure repeated within the quiet time is no news; another failure,
// the same one after the quiet time, or after the link was up, is.
func TestAFailureIsNewsOncePerQuietSpell(t *testing.T) {
	var r Repeats
	t0 := time.Date(2026, 12, 6, 22, 0, 0, 0, time.UTC)
	steps := []struct {
		key  string
		at   time.Duration
		news bool
	}{
		{"dial_failed\x00no route", 0, true},
		{"dial_failed\x00no route", time.Minute, false},
		{"dial_failed\x00no route", RepeatQuiet - time.Second, false},
		{"timeout\x00no answer", RepeatQuiet - time.Second, true},
		{"timeout\x00no answer", 2*RepeatQuiet - 2*time.Second, false},
		{"timeout\x00no answer", 2*RepeatQuiet - time.Second, true},
		{"timeout\x00no answer", 2 * RepeatQuiet, false},
	}
	for i, s := range steps {
		if got := r.News(s.key, t0.Add(s.at)); got != s.news {
			t.Fatalf("step %d (%q at %s): news %v, want %v", i, s.key, s.at, got, s.news)
		}
	}
	if !r.Quiet(t0.Add(2 * RepeatQuiet)) {
		t.Fatal("not quiet right after a failure was logged")
	}
	r.Reset()
	if r.Quiet(t0.Add(2*RepeatQuiet)) || !r.News("timeout\x00no answer", t0.Add(2*RepeatQuiet)) {
		t.Fatal("a failure after the link was up is not news")
	}
}
