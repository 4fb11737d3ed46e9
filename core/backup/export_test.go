//go:build unix

package backup

import (
	"context"
	"io"
	"os"
)

// Test seams: a writer wrapped around every file the run writes, hooks
// called before each file or link is stored or restored, the function
// that opens source files, and the one that reads the destination's free
// space (a nearly full disk).

func WithWriterWrap(o Options, f func(io.Writer) io.Writer) Options {
	o.wrapWriter = f
	return o
}

func WithBeforeFile(o Options, f func(rel string)) Options {
	o.beforeFile = f
	return o
}

func WithBeforeRestore(o Options, f func(rel string)) Options {
	o.beforeRestore = f
	return o
}

func WithOpenSource(o Options, f func(string) (*os.File, error)) Options {
	o.openSource = f
	return o
}

func WithSpace(o Options, f func(ctx context.Context, dest string) (free, total uint64)) Options {
	o.space = f
	return o
}

var RelRoot = relRoot

var OriginalPathOn = originalPathOn

var FindHint = findHint

// PatternMatches reads pattern as an agent on goos does, and says
// whether it is valid and whether it matches the snapshot path rel.
func PatternMatches(goos, pattern string, fold bool, rel string) (valid, match bool) {
	p := compilePattern(goos, pattern, fold)
	return p.valid(), p.match(rel)
}
