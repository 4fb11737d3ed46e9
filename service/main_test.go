package service

import (
	"testing"

	"go.uber.org/goleak"
)

// lumberjack v2.2.1 starts one goroutine per log writer for compression
// and never stops it (Close does not): the agent has one writer for its
// life, but tests that run `run` in-process leave one behind each.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreTopFunction("gopkg.in/natefinch/lumberjack%2ev2.(*Logger).millRun"))
}
