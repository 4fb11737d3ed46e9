package backup

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Phases a Status reports.
const (
	PhaseScanning  = "scanning"
	PhaseCopying   = "copying"
	PhaseFinishing = "finishing"
	PhaseVerifying = "verifying"
	PhaseRestoring = "restoring"
	PhaseSearching = "searching" // a search of the snapshots (Engine.Find)
)

// Status is one progress update of a run, verify, restore or search. A
// search counts snapshots in FilesDone and FilesTotal (Counted says so),
// and the bytes of their manifests in BytesDone and BytesTotal.
type Status struct {
	Task       string    `json:"task"`
	Phase      string    `json:"phase"`
	Started    time.Time `json:"started"`
	FilesDone  int64     `json:"files_done"`
	FilesTotal int64     `json:"files_total"`
	// BytesDone and BytesTotal count the bytes that must be read: for a
	// run, the files it copies (files it links are free).
	BytesDone  int64         `json:"bytes_done"`
	BytesTotal int64         `json:"bytes_total"`
	Current    string        `json:"current,omitempty"` // the path being worked on
	Rate       float64       `json:"rate"`              // bytes per second over the last few seconds; 0 until measured
	ETA        time.Duration `json:"eta"`               // 0 when done or unknown
}

// Counted is what FilesDone and FilesTotal count: "files", or for a
// search "snapshots".
func (s Status) Counted() string {
	if s.Phase == PhaseSearching {
		return "snapshots"
	}
	return "files"
}

// Progress receives Status updates: at most MaxUpdates a second while
// work goes on, and a last one when it ends. Calls come from one goroutine
// at a time and must return quickly.
type Progress interface {
	Progress(Status)
}

// ProgressFunc adapts a function to Progress.
type ProgressFunc func(Status)

// Progress calls f.
func (f ProgressFunc) Progress(s Status) { f(s) }

// MaxUpdates is how many progress updates a second the engine sends at most.
const MaxUpdates = 10

// DefaultRate is the rate an ETA assumes before anything was measured
// (Options.RateHint overrides it, e.g. with the last run's rate).
const DefaultRate = 50 << 20

// meter counts work with atomics, so workers never wait for it, and sends
// throttled updates from its own goroutine.
type meter struct {
	task    string
	started time.Time
	hint    float64

	phase      atomic.Pointer[string]
	current    atomic.Pointer[string]
	filesDone  atomic.Int64
	filesTotal atomic.Int64
	bytesDone  atomic.Int64
	bytesTotal atomic.Int64

	p    Progress
	stop chan struct{}
	done chan struct{}
	once sync.Once

	// rate: samples of (time, bytes) over the last few seconds.
	samples []sample
}

type sample struct {
	t    time.Time
	b, f int64
}

// defaultFileRate is the files per second an ETA assumes before anything
// was measured (linking an unchanged file costs a few system calls).
const defaultFileRate = 2000

func newMeter(task string, p Progress, hint float64) *meter {
	m := &meter{task: task, started: time.Now(), hint: hint, p: p, stop: make(chan struct{}), done: make(chan struct{})}
	if m.hint <= 0 {
		m.hint = DefaultRate
	}
	ph := ""
	m.phase.Store(&ph)
	m.current.Store(&ph)
	if p == nil {
		close(m.done)
		return m
	}
	go m.loop()
	return m
}

func (m *meter) setPhase(p string) { m.phase.Store(&p) }
func (m *meter) setCurrent(p string) {
	m.current.Store(&p)
}

func (m *meter) loop() {
	defer close(m.done)
	t := time.NewTicker(time.Second / MaxUpdates)
	defer t.Stop()
	var last Status
	var lastSent time.Time
	for {
		select {
		case <-m.stop:
			if *m.phase.Load() != "" {
				// The last update; a run that failed before its first
				// phase (no destination) has no progress to show.
				m.p.Progress(m.status(time.Now()))
			}
			return
		case now := <-t.C:
			if *m.phase.Load() == PhaseScanning && now.Sub(m.started) < time.Second {
				// A quick scan is not worth a line: the first update
				// comes with the totals and an ETA.
				continue
			}
			s := m.status(now)
			if s.FilesDone != last.FilesDone || s.BytesDone != last.BytesDone || s.Phase != last.Phase ||
				s.FilesTotal != last.FilesTotal || s.Current != last.Current || now.Sub(lastSent) >= time.Second {
				// Unchanged work is still reported once a second: a
				// heartbeat for whoever streams it.
				m.p.Progress(s)
				last, lastSent = s, now
			}
		}
	}
}

// close sends the last update and stops the goroutine. Idempotent.
func (m *meter) close() {
	m.once.Do(func() { close(m.stop) })
	<-m.done
}

func (m *meter) status(now time.Time) Status {
	s := Status{Task: m.task, Phase: *m.phase.Load(), Started: m.started, Current: *m.current.Load(),
		FilesDone: m.filesDone.Load(), FilesTotal: m.filesTotal.Load(),
		BytesDone: m.bytesDone.Load(), BytesTotal: m.bytesTotal.Load()}
	m.samples = append(m.samples, sample{now, s.BytesDone, s.FilesDone})
	for len(m.samples) > 2 && now.Sub(m.samples[1].t) >= 5*time.Second {
		m.samples = m.samples[1:]
	}
	// The ETA assumes the hint's rates until there are rates to measure;
	// the rate shown is only ever a measured one.
	rate, fileRate := m.hint, float64(defaultFileRate)
	if first := m.samples[0]; now.Sub(first.t) >= time.Second {
		secs := now.Sub(first.t).Seconds()
		if s.BytesDone > first.b {
			rate = float64(s.BytesDone-first.b) / secs
			s.Rate = rate
		}
		if s.FilesDone > first.f {
			fileRate = float64(s.FilesDone-first.f) / secs
		}
	}
	// The sum of the two: the bytes left to copy, and the files left to
	// link or copy.
	eta := float64(max(s.BytesTotal-s.BytesDone, 0))/rate + float64(max(s.FilesTotal-s.FilesDone, 0))/fileRate
	if s.Phase != PhaseScanning && s.FilesDone < s.FilesTotal {
		s.ETA = max(time.Duration(eta*float64(time.Second)).Round(time.Second), time.Second)
	}
	return s
}

// phaseTimes notes how long each phase of a run took, for the debug log:
// where the time went when a run is slow.
type phaseTimes struct {
	last time.Time
	took []string
}

func (p *phaseTimes) start() { p.last = time.Now() }

// mark ends the phase called name.
func (p *phaseTimes) mark(name string) {
	now := time.Now()
	p.took = append(p.took, fmt.Sprintf("%s %.2fs", name, now.Sub(p.last).Seconds()))
	p.last = now
}

func (p *phaseTimes) String() string { return strings.Join(p.took, ", ") }
