package backup

import (
	"testing"
	"time"
)

// The rate a progress update shows is one measured over the last
// seconds, never the assumption its first ETA starts from: a run of a few
// milliseconds has no rate to show, and one that stalls shows none.
func TestProgressShowsOnlyAMeasuredRate(t *testing.T) {
	m := newMeter("docs", nil, 10<<20) // the last run went at 10 MiB/s
	m.setPhase(PhaseCopying)
	m.filesTotal.Store(10)
	m.bytesTotal.Store(100 << 20)
	t0 := m.started

	s := m.status(t0)
	if s.Rate != 0 || s.ETA != 10*time.Second {
		t.Errorf("at the start: rate %.0f, ETA %s; want none, and 10 s at the last run's rate", s.Rate, s.ETA)
	}
	m.bytesDone.Store(40 << 20)
	m.filesDone.Store(4)
	s = m.status(t0.Add(2 * time.Second))
	// 40 MiB in 2 s: 60 MiB left take 3 s; 4 files in 2 s: 6 left take 3 s.
	if s.Rate != 20<<20 || s.ETA != 6*time.Second {
		t.Errorf("after 2 s: rate %.0f, ETA %s; want 20 MiB/s and 6 s", s.Rate, s.ETA)
	}
	s = m.status(t0.Add(8 * time.Second)) // nothing moved for 6 s
	if s.Rate != 0 {
		t.Errorf("stalled: rate %.0f, want none", s.Rate)
	}
}
