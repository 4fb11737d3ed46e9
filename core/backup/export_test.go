//go:build unix

package backup

import (
	"io"
	"os"
)

// Test seams: a writer wrapped around every file the run writes, a hook
// called before each file or link is stored, and the function that opens
// source files.

func WithWriterWrap(o Options, f func(io.Writer) io.Writer) Options {
	o.wrapWriter = f
	return o
}

func WithBeforeFile(o Options, f func(rel string)) Options {
	o.beforeFile = f
	return o
}

func WithOpenSource(o Options, f func(string) (*os.File, error)) Options {
	o.openSource = f
	return o
}

var RelRoot = relRoot
