package agent

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/sirupsen/logrus"
	"google.golang.org/protobuf/proto"

	"github.com/lanyard/lanyard/core/human"
	"github.com/lanyard/lanyard/core/link"
	"github.com/lanyard/lanyard/core/logtail"
	"github.com/lanyard/lanyard/core/wire"
	"github.com/lanyard/lanyard/core/wire/pb"
)

// The agent's log over the link: the backlog and then the live lines,
// read from the log file (core/logtail) and sent as LogLines chunks under
// wire.MaxChunk.

// MaxLogLine is where a log line sent to a console is cut.
const MaxLogLine = 4 << 10

// maxBacklog bounds the lines a console may ask for by count.
const maxBacklog = 100_000

func (a *Agent) handleLogTail(ctx context.Context, l *link.Link, body []byte) (proto.Message, error) {
	var req pb.LogTailRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	if a.cfg.LogFile == "" {
		return nil, errors.New("this agent writes no log file (it runs without one): its output goes to the terminal that started it")
	}
	min := logrus.TraceLevel
	if req.MinLevel != "" {
		lvl, err := logrus.ParseLevel(req.MinLevel)
		if err != nil {
			return nil, badRequest("unknown level %s: use debug, info, warning or error", wire.Quote(req.MinLevel))
		}
		min = lvl
	}
	o := logtail.Options{All: req.All, Last: int(min32(req.Lines, maxBacklog)), MinLevel: min,
		Follow: req.Follow, HoldOpen: logtail.DefaultHoldOpen, Interval: a.cfg.LogTailInterval}
	if req.SinceUnixNano > 0 {
		o.Since = time.Unix(0, req.SinceUnixNano)
	}
	w, err := l.Chunks(ctx)
	if err != nil {
		return nil, err
	}
	var chunk pb.LogLines
	size := 0
	flush := func() error {
		if len(chunk.Lines) == 0 {
			return nil
		}
		err := w.SendMsg(ctx, &chunk)
		chunk.Lines, size = chunk.Lines[:0], 0
		return err
	}
	err = logtail.Tail(ctx, a.cfg.LogFile, o, func(lines []logtail.Line) error {
		for _, ln := range lines {
			pl := logLine(ln)
			n := proto.Size(pl) + 4 // the field's tag and length
			if size+n > wire.MaxChunk {
				if err := flush(); err != nil {
					return err
				}
			}
			chunk.Lines = append(chunk.Lines, pl)
			size += n
		}
		return flush()
	})
	if errors.Is(err, logtail.ErrNoLog) {
		return nil, errors.New("the agent has written no log yet at " + a.cfg.LogFile)
	}
	if err != nil {
		return nil, err
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	return &pb.LogTailResponse{File: a.cfg.LogFile}, nil
}

// logLine is a line as the console receives it: valid UTF-8 (protobuf
// strings must be), cut at MaxLogLine.
func logLine(l logtail.Line) *pb.LogLine {
	s := strings.ToValidUTF8(human.Shorten(string(l.Text), MaxLogLine), "\uFFFD")
	out := &pb.LogLine{Text: s}
	if l.HasLevel {
		out.Level = levelName(l.Level)
	}
	if !l.Time.IsZero() {
		out.TimeUnixNano = l.Time.UnixNano()
	}
	return out
}

// levelName is a level as the console's filter names it.
func levelName(l logrus.Level) string {
	switch l {
	case logrus.PanicLevel, logrus.FatalLevel, logrus.ErrorLevel:
		return "error"
	case logrus.WarnLevel:
		return "warning"
	case logrus.InfoLevel:
		return "info"
	}
	return "debug"
}

func min32(v uint32, limit int) uint32 {
	if int(v) > limit {
		return uint32(limit)
	}
	return v
}
