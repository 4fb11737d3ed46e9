package app

import (
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"

	"github.com/sirupsen/logrus"
	"gopkg.in/natefinch/lumberjack.v2"
)

// NewLogger returns a logrus logger writing text lines with full
// timestamps, or JSON when asked, at the given level.
func NewLogger(w io.Writer, level string, json bool) (*logrus.Logger, error) {
	log := logrus.New()
	log.SetOutput(w)
	lvl, err := logrus.ParseLevel(level)
	if err != nil {
		return nil, err
	}
	log.SetLevel(lvl)
	if json {
		log.SetFormatter(&logrus.JSONFormatter{})
	} else {
		log.SetFormatter(&logrus.TextFormatter{FullTimestamp: true, TimestampFormat: "2006-01-02 15:04:05.000"})
	}
	return log, nil
}

// AgentLogFile is the agent's log file inside its log directory; rotated
// copies sit beside it as lanyard-agent-<time>.log.gz.
const AgentLogFile = "lanyard-agent.log"

// Rotation of the agent's log file: a new file past LogMaxSizeMB, the
// newest LogMaxBackups old ones kept, compressed.
const (
	LogMaxSizeMB  = 10
	LogMaxBackups = 5
)

// RotatedFile returns a writer that appends to dir/name (created private
// to its owner, like dir) and rotates it at LogMaxSizeMB, keeping
// LogMaxBackups compressed copies. Close it when done. (lumberjack keeps
// one goroutine per writer for compression, for the life of the process.)
func RotatedFile(dir, name string) (io.WriteCloser, error) {
	if err := EnsurePrivateDir(dir); err != nil {
		return nil, err
	}
	return &lumberjack.Logger{
		Filename:   filepath.Join(dir, name),
		MaxSize:    LogMaxSizeMB,
		MaxBackups: LogMaxBackups,
		Compress:   true,
	}, nil
}

// SystemLog is the part of a system logger the hook uses: journald or
// syslog on Unix, the Windows event log. kardianos/service's Logger has
// these methods.
type SystemLog interface {
	Error(v ...any) error
	Warning(v ...any) error
	Info(v ...any) error
}

// SystemLogHook copies log entries to the system log: error and worse as
// errors, warnings as warnings, info as info. Debug and trace stay in the
// file. A system log that fails is ignored: the file has every line.
type SystemLogHook struct {
	log SystemLog
}

// NewSystemLogHook returns a hook writing to sl.
func NewSystemLogHook(sl SystemLog) *SystemLogHook { return &SystemLogHook{log: sl} }

// Levels are the levels the hook receives.
func (h *SystemLogHook) Levels() []logrus.Level {
	return []logrus.Level{logrus.PanicLevel, logrus.FatalLevel, logrus.ErrorLevel, logrus.WarnLevel, logrus.InfoLevel}
}

// Fire writes one entry: its message, then its fields as key=value in
// name order (the system log adds its own time stamp).
func (h *SystemLogHook) Fire(e *logrus.Entry) error {
	line := SystemLogLine(e)
	switch e.Level {
	case logrus.PanicLevel, logrus.FatalLevel, logrus.ErrorLevel:
		_ = h.log.Error(line)
	case logrus.WarnLevel:
		_ = h.log.Warning(line)
	default:
		_ = h.log.Info(line)
	}
	return nil
}

// SystemLogLine is how an entry reads in the system log.
func SystemLogLine(e *logrus.Entry) string {
	var b strings.Builder
	b.WriteString(e.Message)
	keys := make([]string, 0, len(e.Data))
	for k := range e.Data {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := e.Data[k]
		if err, ok := v.(error); ok {
			v = err.Error()
		}
		s := fmt.Sprint(v)
		if s == "" || strings.ContainsAny(s, " \"=\t\n") {
			s = fmt.Sprintf("%q", s)
		}
		fmt.Fprintf(&b, " %s=%s", k, s)
	}
	return b.String()
}
