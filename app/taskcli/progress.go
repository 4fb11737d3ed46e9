package taskcli

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/lanyard/lanyard/core/agent"
	"github.com/lanyard/lanyard/core/backup"
	"github.com/lanyard/lanyard/core/human"
)

// progressView shows a run's, verify's, restore's or search's progress: a
// progress bar when the output is a terminal, else a plain line at most
// every plainEvery (for logs and scripts), unless barOnly.
type progressView struct {
	out     io.Writer
	barOnly bool
	bar     *progressbar.ProgressBar
	max     int64
	bytes   bool // the bar counts bytes, else files
	last    time.Time
	line    string
	shown   bool
}

const plainEvery = time.Second

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func newProgress(out io.Writer) *progressView {
	p := &progressView{out: out}
	if isTerminal(out) {
		p.bar = progressbar.NewOptions64(-1,
			progressbar.OptionSetWriter(out),
			progressbar.OptionSetWidth(30),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionShowElapsedTimeOnFinish(),
			progressbar.OptionSetPredictTime(false),
			progressbar.OptionClearOnFinish(),
			progressbar.OptionSpinnerType(14),
		)
	}
	return p
}

// newBarOnly is newProgress showing nothing when out is no terminal.
func newBarOnly(out io.Writer) *progressView {
	p := newProgress(out)
	p.barOnly = true
	return p
}

// event takes a task event; only progress is shown.
func (p *progressView) event(ev agent.TaskEvent) {
	if ev.Kind == agent.EventProgress && ev.Status != nil {
		p.update(*ev.Status)
	}
}

func (p *progressView) update(s backup.Status) {
	if p.bar == nil {
		if p.barOnly || time.Since(p.last) < plainEvery && s.FilesDone < s.FilesTotal {
			return
		}
		if line := plainProgress(s); line != p.line {
			p.last, p.line = time.Now(), line
			fmt.Fprintln(p.out, line)
		}
		return
	}
	useBytes := s.BytesTotal > 0
	max := s.FilesTotal
	done := s.FilesDone
	if useBytes {
		max, done = s.BytesTotal, s.BytesDone
	}
	if max != p.max || useBytes != p.bytes {
		p.max, p.bytes = max, useBytes
		p.bar.ChangeMax64(max)
	}
	desc := fmt.Sprintf("%-9s %d/%d %s", s.Phase, s.FilesDone, s.FilesTotal, s.Counted())
	if useBytes {
		desc += fmt.Sprintf("  %s/%s", human.Bytes(s.BytesDone), human.Bytes(s.BytesTotal))
	}
	if s.Rate > 0 {
		desc += fmt.Sprintf("  %s/s", human.Bytes(int64(s.Rate)))
	}
	p.bar.Describe(desc + "  ETA " + eta(s.ETA))
	_ = p.bar.Set64(done)
	p.shown = true
}

// done clears the bar before the result is printed.
func (p *progressView) done() {
	if p.bar != nil && p.shown {
		_ = p.bar.Finish()
		_ = p.bar.Clear()
	}
}

// plainProgress is one progress line for a log or a script.
func plainProgress(s backup.Status) string {
	line := fmt.Sprintf("%s %d/%d %s", s.Phase, s.FilesDone, s.FilesTotal, s.Counted())
	if s.BytesTotal > 0 {
		line += fmt.Sprintf(", %s/%s", human.Bytes(s.BytesDone), human.Bytes(s.BytesTotal))
	}
	if s.Rate > 0 { // measured, after a second of copying
		line += fmt.Sprintf(", %s/s", human.Bytes(int64(s.Rate)))
	}
	if s.ETA > 0 { // known once there is a rate, and not at the end
		line += ", ETA " + eta(s.ETA)
	}
	if s.Current != "" {
		line += ", " + s.Current
	}
	return line
}

// eta is how long a run has left as the other durations a person reads
// here are written ("2m", "1h5m"), or "-" while it is not known.
func eta(d time.Duration) string {
	if d <= 0 {
		return "-"
	}
	return human.Typed(d)
}
