package logtail

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"runtime"
	"time"

	"github.com/sirupsen/logrus"
)

// DefaultInterval is how often a follower looks for new lines.
const DefaultInterval = 250 * time.Millisecond

// backlogBatch is how many backlog lines go to emit at once.
const backlogBatch = 256

// Line is one line of the log.
type Line struct {
	Text     []byte // without its newline; the caller may keep it
	Level    logrus.Level
	HasLevel bool
	Time     time.Time // zero when the line has none
}

// Options say which lines to read.
type Options struct {
	// The backlog: every line (All), those written from Since on, or the
	// last Last lines (0: none).
	All   bool
	Since time.Time
	Last  int
	// MinLevel keeps lines at this level and above; logrus.TraceLevel
	// (the zero value is Panic: set it) keeps every line.
	MinLevel logrus.Level
	// Follow goes on with new lines until the context ends.
	Follow bool
	// Interval between looks for new lines; default DefaultInterval.
	Interval time.Duration
	// HoldOpen keeps the file open while following (everywhere but
	// Windows, where an open file cannot be renamed by the rotation).
	HoldOpen bool
}

// DefaultHoldOpen is HoldOpen's right value on this system.
var DefaultHoldOpen = runtime.GOOS != "windows"

// ErrNoLog: the file does not exist (and Follow was not asked).
var ErrNoLog = errors.New("no log yet")

// Tail reads path as o says and hands the lines to emit in batches, in
// order: the backlog, then (Follow) what each look finds, until ctx ends
// (nil) or emit fails (its error).
func Tail(ctx context.Context, path string, o Options, emit func([]Line) error) error {
	if o.Interval <= 0 {
		o.Interval = DefaultInterval
	}
	t := &tailer{path: path, o: o, filter: filter{min: o.MinLevel, since: o.Since}, emit: emit}
	return t.run(ctx)
}

// filter keeps lines at min and above, from since on. A line without a
// level or time goes with the line before it.
type filter struct {
	min   logrus.Level
	since time.Time
	last  bool // whether the previous line was kept
}

func (f *filter) keep(l *Line) bool {
	switch {
	case l.HasLevel:
		f.last = l.Level <= f.min && (f.since.IsZero() || l.Time.IsZero() || !l.Time.Before(f.since))
	case !l.Time.IsZero():
		f.last = !l.Time.Before(f.since)
	case f.min == logrus.TraceLevel && f.since.IsZero():
		f.last = true
	}
	return f.last
}

var (
	textLevelRE = regexp.MustCompile(`(?:^|\s)level=("?)([a-zA-Z]+)("?)(?:\s|$)`)
	textTimeRE  = regexp.MustCompile(`^time="([^"]+)"`)
)

// textTimeLayouts are the time formats of a text line: the agent's own
// (app.NewLogger), then logrus's default.
var textTimeLayouts = []string{"2006-01-02 15:04:05.000", time.RFC3339Nano, time.RFC3339}

// Parse reads the level and time of one logrus line (text or JSON).
func Parse(text []byte) Line {
	l := Line{Text: text}
	trimmed := bytes.TrimSpace(text)
	if len(trimmed) > 0 && trimmed[0] == '{' {
		var v struct {
			Level string `json:"level"`
			Time  string `json:"time"`
		}
		if json.Unmarshal(trimmed, &v) == nil {
			if lvl, err := logrus.ParseLevel(v.Level); err == nil && v.Level != "" {
				l.Level, l.HasLevel = lvl, true
			}
			if t, err := time.Parse(time.RFC3339Nano, v.Time); err == nil {
				l.Time = t
			}
		}
		return l
	}
	if m := textLevelRE.FindSubmatch(trimmed); m != nil {
		if lvl, err := logrus.ParseLevel(string(m[2])); err == nil {
			l.Level, l.HasLevel = lvl, true
		}
	}
	if m := textTimeRE.FindSubmatch(trimmed); m != nil {
		for _, layout := range textTimeLayouts {
			if t, err := time.ParseInLocation(layout, string(m[1]), time.Local); err == nil {
				l.Time = t
				break
			}
		}
	}
	return l
}

type tailer struct {
	path   string
	o      Options
	filter filter
	emit   func([]Line) error
}

func (t *tailer) run(ctx context.Context) error {
	f, err := os.Open(t.path)
	if errors.Is(err, os.ErrNotExist) && t.o.Follow {
		// Not written yet: wait for it.
		f, err = t.waitForFile(ctx)
		if f == nil {
			return err
		}
	} else if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("%w at %s", ErrNoLog, t.path)
	}
	if err != nil {
		return err
	}
	defer func() { _ = f.Close() }()
	offset, err := t.backlog(f)
	if err != nil || !t.o.Follow {
		return err
	}
	return t.follow(ctx, f, offset)
}

// backlog emits the kept lines the options ask for and returns where the
// next line will start.
func (t *tailer) backlog(f *os.File) (int64, error) {
	r := bufio.NewReader(f)
	var ring []Line // the last o.Last lines, when that is the rule
	var batch []Line
	ringMode := !t.o.All && t.o.Since.IsZero()
	var offset int64
	for {
		raw, err := r.ReadBytes('\n')
		if len(raw) > 0 && raw[len(raw)-1] == '\n' {
			offset += int64(len(raw))
			l := Parse(raw[:len(raw)-1])
			if t.filter.keep(&l) {
				switch {
				case !ringMode:
					if batch = append(batch, l); len(batch) == backlogBatch {
						if err := t.emit(batch); err != nil {
							return 0, err
						}
						batch = nil
					}
				case t.o.Last > 0:
					if len(ring) == t.o.Last {
						ring = append(ring[:0], ring[1:]...)
					}
					ring = append(ring, l)
				}
			}
		}
		if err == io.EOF {
			break // a partial last line is emitted when it is complete
		}
		if err != nil {
			return 0, err
		}
	}
	if ringMode {
		batch = ring
	}
	for len(batch) > 0 {
		n := min(len(batch), backlogBatch)
		if err := t.emit(batch[:n]); err != nil {
			return 0, err
		}
		batch = batch[n:]
	}
	_, err := f.Seek(offset, io.SeekStart)
	return offset, err
}

func (t *tailer) waitForFile(ctx context.Context) (*os.File, error) {
	tick := time.NewTicker(t.o.Interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil, nil
		case <-tick.C:
		}
		f, err := os.Open(t.path)
		if err == nil {
			return f, nil
		}
		if !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
	}
}

// follow emits lines as they are appended from offset on, until ctx
// ends. When the path names another file (rotation) it finishes the old
// one and reopens; when the file shrinks (truncation) it starts over.
//
// Without HoldOpen the file is not kept open between looks, and lines
// written to the old file after the last look are then not shown.
func (t *tailer) follow(ctx context.Context, f *os.File, offset int64) error {
	fl := &follower{t: t, f: f, offset: offset, buf: make([]byte, 32*1024)}
	defer fl.close()
	tick := time.NewTicker(t.o.Interval)
	defer tick.Stop()
	for {
		if fl.f != nil {
			if err := fl.drain(); err != nil {
				return err
			}
			if !t.o.HoldOpen {
				fl.release()
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		var err error
		if t.o.HoldOpen {
			err = fl.checkRotation()
		} else {
			err = fl.reopen()
		}
		if err != nil {
			return err
		}
	}
}

// follower is the state of one follow: the file open now (nil between
// looks without HoldOpen), where its next byte is, and the start of a
// line not yet complete.
type follower struct {
	t       *tailer
	f       *os.File
	offset  int64
	partial []byte
	buf     []byte
	last    os.FileInfo // the file read last, when it is not kept open
}

// close closes the file open now, the one after any rotations.
func (fl *follower) close() {
	if fl.f != nil {
		_ = fl.f.Close()
	}
}

// drain emits the kept lines from the offset to the end of the file.
func (fl *follower) drain() error {
	var batch []Line
	for {
		k, err := fl.f.Read(fl.buf)
		batch = fl.lines(fl.buf[:k], batch)
		if len(batch) >= backlogBatch || (err != nil && len(batch) > 0) {
			if err := fl.t.emit(batch); err != nil {
				return err
			}
			batch = nil
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// lines appends to batch the kept lines that the bytes p complete; the
// rest waits in partial for its newline.
func (fl *follower) lines(p []byte, batch []Line) []Line {
	fl.offset += int64(len(p))
	fl.partial = append(fl.partial, p...)
	for {
		i := bytes.IndexByte(fl.partial, '\n')
		if i < 0 {
			return batch
		}
		l := Parse(bytes.Clone(fl.partial[:i]))
		if fl.t.filter.keep(&l) {
			batch = append(batch, l)
		}
		fl.partial = fl.partial[i+1:]
	}
}

// restart reads from the start of the file: it was rotated or truncated.
func (fl *follower) restart() {
	fl.offset, fl.partial = 0, nil
}

// release closes the file between looks (without HoldOpen), remembering
// which file it was.
func (fl *follower) release() {
	fl.last, _ = fl.f.Stat()
	_ = fl.f.Close()
	fl.f = nil
}

// reopen opens the path again for a look (without HoldOpen): from the
// offset when it is the file read last, from its start when it was
// rotated or truncated. Between the rename and the new file it leaves f
// nil and the next look tries again.
func (fl *follower) reopen() error {
	nf, err := os.Open(fl.t.path)
	if err != nil {
		return nil // between the rename and the new file
	}
	fi, err := nf.Stat()
	if err != nil {
		_ = nf.Close()
		return err
	}
	if fl.last == nil || !os.SameFile(fl.last, fi) || fi.Size() < fl.offset {
		fl.restart()
	}
	if _, err := nf.Seek(fl.offset, io.SeekStart); err != nil {
		_ = nf.Close()
		return err
	}
	fl.f = nf
	return nil
}

// checkRotation compares the open file with the path (with HoldOpen).
// Rotated: it finishes the old file, then reads the new one from its
// start. Truncated in place: it reads the file again from its start.
func (fl *follower) checkRotation() error {
	cur, err := fl.f.Stat()
	if err != nil {
		return err
	}
	now, err := os.Stat(fl.t.path)
	switch {
	case err == nil && !os.SameFile(cur, now):
		if err := fl.drain(); err != nil {
			return err
		}
		nf, err := os.Open(fl.t.path)
		if err != nil {
			return nil // between the rename and the new file
		}
		_ = fl.f.Close()
		fl.f = nf
		fl.restart()
	case err == nil && now.Size() < fl.offset:
		if _, err := fl.f.Seek(0, io.SeekStart); err != nil {
			return err
		}
		fl.restart()
	}
	return nil
}
