package service

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"time"

	"github.com/lanyard/lanyard/app/cmdline"

	"github.com/sirupsen/logrus"
	"github.com/spf13/cobra"

	"github.com/lanyard/lanyard/app"
)

// followInterval is how often `logs -f` looks for new lines.
const followInterval = 250 * time.Millisecond

func logsCmd(e *env) *cobra.Command {
	var follow bool
	var level string
	var n int
	cmd := &cobra.Command{
		Use:   "logs [-f] [--level L] [-n N]",
		Short: "Print or follow the agent's log",
		Long: `Print the last N lines of the agent's log file (lanyard-agent.log in the log
directory), or follow it as it grows (-f, through rotations) until
interrupted. --level keeps lines at that level and above: debug, info,
warning, error. Text and JSON lines are both understood.`,
		Example: `  lanyard-agent logs -n 100
  lanyard-agent logs -f --level warning`,
		Args: cmdline.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			min := logrus.TraceLevel
			if level != "" {
				var err error
				if min, err = logrus.ParseLevel(level); err != nil {
					return cmdline.Usagef("--level %q: use debug, info, warning or error", level)
				}
			}
			if n < 0 {
				return cmdline.Usagef("-n %d: give a number of lines, 0 for all", n)
			}
			dir, err := e.dir()
			if err != nil {
				return err
			}
			logDir, err := e.logDirectory(dir)
			if err != nil {
				return err
			}
			t := &tailer{path: filepath.Join(logDir, app.AgentLogFile), filter: levelFilter{min: min}, out: e.stdout, interval: followInterval,
				holdOpen: runtime.GOOS != "windows"}
			return t.run(cmd.Context(), n, follow)
		},
	}
	cmd.Flags().BoolVarP(&follow, "follow", "f", false, "keep printing new lines as they are written")
	cmd.Flags().StringVar(&level, "level", "", "only lines at this level and above: debug, info, warning, error")
	cmd.Flags().IntVarP(&n, "lines", "n", 50, "print the last N lines (0: all)")
	return cmd
}

// levelFilter keeps lines at min and above. A line without a level (a
// panic's stack trace, say) goes with the line before it.
type levelFilter struct {
	min  logrus.Level
	last bool // whether the previous line was kept
}

func (f *levelFilter) keep(line []byte) bool {
	if lvl, ok := lineLevel(line); ok {
		f.last = lvl <= f.min
	} else if f.min == logrus.TraceLevel {
		f.last = true
	}
	return f.last
}

var textLevelRE = regexp.MustCompile(`(?:^|\s)level=("?)([a-zA-Z]+)("?)(?:\s|$)`)

// lineLevel finds the level of a logrus line: JSON's "level" field, or
// level=... in a text line.
func lineLevel(line []byte) (logrus.Level, bool) {
	trimmed := bytes.TrimSpace(line)
	if len(trimmed) > 0 && trimmed[0] == '{' {
		var v struct {
			Level string `json:"level"`
		}
		if json.Unmarshal(trimmed, &v) == nil && v.Level != "" {
			if lvl, err := logrus.ParseLevel(v.Level); err == nil {
				return lvl, true
			}
		}
		return 0, false
	}
	m := textLevelRE.FindSubmatch(trimmed)
	if m == nil {
		return 0, false
	}
	lvl, err := logrus.ParseLevel(string(m[2]))
	return lvl, err == nil
}

// tailer prints the end of a log file and follows it through rotation
// (the file renamed and a new one created) and truncation.
type tailer struct {
	path     string
	filter   levelFilter
	out      io.Writer
	interval time.Duration
	// holdOpen keeps the file open while following (everywhere but
	// Windows).
	holdOpen bool
}

func (t *tailer) run(ctx context.Context, n int, follow bool) error {
	f, err := os.Open(t.path)
	if errors.Is(err, os.ErrNotExist) && follow {
		// Not written yet: wait for it.
		f, err = t.waitForFile(ctx)
		if f == nil {
			return err
		}
	} else if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("no log at %s yet: the agent has not run with this log directory (see --data-dir, --log-dir)", t.path)
	}
	if err != nil {
		return err
	}
	defer func() { _ = f.Close() }()
	offset, err := t.printLast(f, n)
	if err != nil || !follow {
		return err
	}
	return t.follow(ctx, f, offset)
}

// printLast prints the last n kept lines (all when n is 0) and returns
// where the next line will start.
func (t *tailer) printLast(f *os.File, n int) (int64, error) {
	r := bufio.NewReader(f)
	var ring [][]byte
	var offset int64
	for {
		line, err := r.ReadBytes('\n')
		if len(line) > 0 && line[len(line)-1] == '\n' {
			offset += int64(len(line))
			if t.filter.keep(line) {
				if n > 0 && len(ring) == n {
					ring = append(ring[:0], ring[1:]...)
				}
				ring = append(ring, line)
			}
		}
		if err == io.EOF {
			break // a partial last line is printed when it is complete
		}
		if err != nil {
			return 0, err
		}
	}
	for _, l := range ring {
		if _, err := t.out.Write(l); err != nil {
			return 0, err
		}
	}
	_, err := f.Seek(offset, io.SeekStart)
	return offset, err
}

func (t *tailer) waitForFile(ctx context.Context) (*os.File, error) {
	tick := time.NewTicker(t.interval)
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

// follow prints lines as they are appended from offset on, until ctx
// ends. When the path names another file (rotation) it finishes the old
// one and reopens; when the file shrinks (truncation) it starts over.
//
// On Windows the file is not kept open between looks: a file open there
// cannot be renamed, and the agent's log rotation renames it. Lines
// written to the old file after the last look are then not shown.
func (t *tailer) follow(ctx context.Context, f *os.File, offset int64) error {
	var partial []byte
	buf := make([]byte, 32*1024)
	tick := time.NewTicker(t.interval)
	defer tick.Stop()
	defer func() {
		if f != nil {
			_ = f.Close() // the file open now, after rotations
		}
	}()
	drain := func() error {
		for {
			k, err := f.Read(buf)
			if k > 0 {
				offset += int64(k)
				partial = append(partial, buf[:k]...)
				for {
					i := bytes.IndexByte(partial, '\n')
					if i < 0 {
						break
					}
					line := partial[:i+1]
					if t.filter.keep(line) {
						if _, err := t.out.Write(line); err != nil {
							return err
						}
					}
					partial = partial[i+1:]
				}
			}
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
		}
	}
	var last os.FileInfo // the file read last, when it is not kept open
	for {
		if f != nil {
			if err := drain(); err != nil {
				return err
			}
			if !t.holdOpen {
				last, _ = f.Stat()
				_ = f.Close()
				f = nil
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		if !t.holdOpen {
			nf, err := os.Open(t.path)
			if err != nil {
				continue // between the rename and the new file
			}
			fi, err := nf.Stat()
			if err != nil {
				_ = nf.Close()
				return err
			}
			if last == nil || !os.SameFile(last, fi) || fi.Size() < offset {
				offset, partial = 0, nil // rotated or truncated: from the start
			}
			if _, err := nf.Seek(offset, io.SeekStart); err != nil {
				_ = nf.Close()
				return err
			}
			f = nf
			continue
		}
		cur, err := f.Stat()
		if err != nil {
			return err
		}
		now, err := os.Stat(t.path)
		switch {
		case err == nil && !os.SameFile(cur, now):
			// Rotated: finish the old file, then read the new one from
			// its start.
			if err := drain(); err != nil {
				return err
			}
			nf, err := os.Open(t.path)
			if err != nil {
				continue // between the rename and the new file
			}
			_ = f.Close()
			f, offset, partial = nf, 0, nil
		case err == nil && now.Size() < offset:
			// Truncated in place.
			if _, err := f.Seek(0, io.SeekStart); err != nil {
				return err
			}
			offset, partial = 0, nil
		}
	}
}
