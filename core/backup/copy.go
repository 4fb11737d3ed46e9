package backup

import (
	"cmp"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/zeebo/blake3"
	"golang.org/x/time/rate"
)

// bufSize is the copy buffer: large enough that a typical file is one
// read and one write, small enough that Stop is noticed within a
// millisecond or so between two of them.
const bufSize = 1 << 20

var bufPool = sync.Pool{New: func() any { b := make([]byte, bufSize); return &b }}

// copier is one worker's reusable buffer and hasher.
type copier struct {
	buf  *[]byte
	h    *blake3.Hasher
	wrap func(io.Writer) io.Writer
	pace *rate.Limiter // the task's speed limit, shared by the run's workers; nil: none
}

func newCopier(wrap func(io.Writer) io.Writer, pace *rate.Limiter) *copier {
	return &copier{buf: bufPool.Get().(*[]byte), h: blake3.New(), wrap: wrap, pace: pace}
}

func (c *copier) release() { bufPool.Put(c.buf) }

// copied is what copyFile read.
type copied struct {
	size    int64
	mtime   int64
	mode    fs.FileMode
	uid     int
	gid     int
	owned   bool
	hash    string
	changed bool // the source changed while it was read
}

// copyFile copies src to a new file dst in one pass, hashing what it
// reads, and gives the copy the mode, time and (as root) owner the source
// had when it was opened. A source that cannot be read is an ordinary
// error (a warning for the run); a destination that cannot be written is
// a *destError; a cancelled ctx returns its cause. dst is removed unless
// the copy succeeded.
func (c *copier) copyFile(ctx context.Context, open func(string) (*os.File, error), src, dst string, done *atomic.Int64) (res copied, err error) {
	in, err := open(src)
	if err != nil {
		return res, sourceErr(src, err)
	}
	defer in.Close()
	fi, err := in.Stat()
	if err != nil {
		return res, sourceErr(src, err)
	}
	if !fi.Mode().IsRegular() {
		return res, fmt.Errorf("%s is no longer a regular file: skipped", src)
	}
	res.mtime, res.mode = fi.ModTime().UnixNano(), fi.Mode()
	res.uid, res.gid, res.owned = ownerOf(fi)
	out, err := createExcl(dst)
	if err != nil {
		return res, destErr(err)
	}
	closed, ok := false, false
	defer func() {
		if !ok {
			if !closed {
				_ = out.Close()
			}
			_ = os.Remove(dst)
		}
	}()
	if err := c.copyData(ctx, src, in, out, &res, done); err != nil {
		return res, err
	}
	closed = true
	meta := item{mode: res.mode, mtime: res.mtime, uid: res.uid, gid: res.gid, owned: res.owned}
	if err := closeWithMeta(out, &meta); err != nil {
		return res, destErr(err)
	}
	ok = true
	res.hash = c.sum()
	if after, err := in.Stat(); err == nil && (after.Size() != res.size || after.ModTime().UnixNano() != res.mtime) {
		res.changed = true
	} else if fi.Size() != res.size {
		res.changed = true
	}
	return res, nil
}

// copyData reads in (src) to its end through the worker's buffer, feeding both
// the hash and out, and counts the bytes in res and done.
func (c *copier) copyData(ctx context.Context, src string, in, out *os.File, res *copied, done *atomic.Int64) error {
	var w io.Writer = out
	if c.wrap != nil {
		w = c.wrap(out)
	}
	n, rerr, werr := c.pump(ctx, in, w, done)
	res.size += n
	switch {
	case werr != nil:
		return destErr(werr)
	case rerr != nil && ctx.Err() == nil:
		return fmt.Errorf("%s could not be read to the end: %v: skipped", src, plainErr(rerr))
	}
	return rerr
}

// pump reads in to its end at the copier's pace through its buffer,
// feeding the hash (sum) and, unless out is nil, out, and counts the bytes
// in done unless it is nil. It returns how many bytes it read and what
// stopped it first: a failed read, or the cause of a cancelled ctx
// (rerr), or a failed write (werr). Copies, hashes and restores all read
// through it.
func (c *copier) pump(ctx context.Context, in io.Reader, out io.Writer, done *atomic.Int64) (n int64, rerr, werr error) {
	c.h.Reset()
	buf := *c.buf
	for {
		if ctx.Err() != nil {
			return n, context.Cause(ctx), nil
		}
		m, err := in.Read(buf)
		if m > 0 && c.pace != nil {
			if err := c.pace.WaitN(ctx, m); err != nil {
				return n, cmp.Or(context.Cause(ctx), err), nil // stopped while it waited
			}
		}
		if m > 0 {
			_, _ = c.h.Write(buf[:m])
			if out != nil {
				if _, werr := out.Write(buf[:m]); werr != nil {
					return n, nil, werr
				}
			}
			n += int64(m)
			if done != nil {
				done.Add(int64(m))
			}
		}
		if err == io.EOF {
			return n, nil, nil
		}
		if err != nil {
			return n, err, nil
		}
	}
}

// sum is the hex BLAKE3 of what the copier last pumped.
func (c *copier) sum() string { return hex.EncodeToString(c.h.Sum(nil)) }

// sourceErr words a failure to open or read a source file.
func sourceErr(src string, err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%s vanished during the backup", src)
	case errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("%s cannot be read: permission denied", src)
	}
	return fmt.Errorf("%s cannot be read: %v", src, plainErr(err))
}

// isTooManyLinks: the file has as many hard links as the file system
// allows; copy it instead.
func isTooManyLinks(err error) bool { return errors.Is(err, syscall.EMLINK) }

// hashFile is the hex BLAKE3 of the file at path, opened with open and
// read at the copier's pace.
func (c *copier) hashFile(ctx context.Context, open func(string) (*os.File, error), path string, done *atomic.Int64) (string, int64, error) {
	f, err := open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	n, err, _ := c.pump(ctx, f, nil, done)
	if err != nil {
		return "", n, err
	}
	return c.sum(), n, nil
}
