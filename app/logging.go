package app

import (
	"io"

	"github.com/sirupsen/logrus"
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
