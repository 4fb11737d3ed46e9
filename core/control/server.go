package control

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"
)

// MaxRequest bounds one request line.
const MaxRequest = 64 << 10

// DefaultTimeout bounds the arrival of a request, and a whole exchange
// that is not a stream.
const DefaultTimeout = 30 * time.Second

// replyTimeout bounds writing one answer line to a client that stopped
// reading.
const replyTimeout = 5 * time.Second

// DefaultDenied is what a user who may not use the socket is told.
const DefaultDenied = "permission denied: run as root or as the same user"

// Config says where a Server listens and how it words its refusals.
type Config struct {
	// Dir is the data directory the socket lives in; File its name there.
	Dir, File string
	// Owner names the process in messages, e.g. "lanyard-agent".
	Owner string
	// Denied is what a user who may not use the socket is told; default
	// DefaultDenied.
	Denied string
	// Timeout bounds the arrival of a request; default DefaultTimeout.
	Timeout time.Duration
	// OnRefused, when set, hears of a peer refused before its request was
	// read (another user), for the process's log.
	OnRefused func(error)
}

// Handler answers one request. req is the request line without its
// newline; it is zeroed after Handler returns (it may carry a password),
// so keep nothing that points into it. ctx ends when the server closes,
// or, once w.Watch was called, when the client hangs up.
type Handler func(ctx context.Context, req []byte, w *Writer)

// Server accepts control connections on the socket until Close.
type Server struct {
	cfg  Config
	ln   *net.UnixListener
	path string
	file os.FileInfo // the socket as created, so Close removes only ours

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
	once   sync.Once
}

// Path is the socket's path.
func (s *Server) Path() string { return s.path }

// SocketPath is where the socket named file lives in dir.
func SocketPath(dir, file string) string { return filepath.Join(dir, file) }

// Listen binds the socket (after checking the directory and clearing a
// stale socket). Nothing is answered until Serve.
func Listen(cfg Config) (*Server, error) {
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Denied == "" {
		cfg.Denied = DefaultDenied
	}
	path := SocketPath(cfg.Dir, cfg.File)
	if err := checkDir(cfg.Dir); err != nil {
		return nil, err
	}
	if err := clearStale(path, cfg.Owner); err != nil {
		return nil, err
	}
	ln, err := listenSocket(path)
	if err != nil {
		return nil, fmt.Errorf("cannot open the control socket %s: %w", path, err)
	}
	fi, err := os.Lstat(path)
	if err != nil {
		_ = ln.Close()
		return nil, fmt.Errorf("cannot open the control socket %s: %w", path, err)
	}
	s := &Server{cfg: cfg, ln: ln, path: path, file: fi, conns: map[net.Conn]struct{}{}}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	return s, nil
}

// Serve answers requests with h until Close; it returns once every
// connection it accepted is done.
func (s *Server) Serve(h Handler) {
	defer s.wg.Wait()
	for {
		c, err := s.ln.AcceptUnix()
		if err != nil {
			if s.ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			// Out of file descriptors and the like: wait, then go on.
			t := time.NewTimer(50 * time.Millisecond)
			select {
			case <-s.ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
			continue
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			_ = c.Close()
			return
		}
		s.conns[c] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go s.handle(c, h)
	}
}

// Close stops accepting, ends the connections in progress and removes the
// socket file if it is still ours. It does not wait for Serve to return.
// Idempotent.
func (s *Server) Close() {
	s.once.Do(func() {
		s.mu.Lock()
		s.closed = true
		for c := range s.conns {
			_ = c.Close()
		}
		s.mu.Unlock()
		s.cancel()
		_ = s.ln.Close()
		if fi, err := os.Lstat(s.path); err == nil && os.SameFile(fi, s.file) {
			_ = os.Remove(s.path)
		}
	})
}

var errRequestTooLarge = fmt.Errorf("the request is larger than %d KiB", MaxRequest>>10)

// errorLine is the answer to a request that never reached the handler.
type errorLine struct {
	OK      bool     `json:"ok"`
	Changes []string `json:"changes"`
	Error   string   `json:"error"`
}

func (s *Server) handle(c *net.UnixConn, h Handler) {
	w := &Writer{c: c}
	defer func() {
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
		_ = c.Close()
		w.stopWatch()
		s.wg.Done()
	}()
	refuse := func(msg string) { _ = w.Send(errorLine{Changes: []string{}, Error: msg}) }
	// The request must arrive within the timeout; each answer line gets
	// its own short deadline, so a late request is still told why.
	_ = c.SetReadDeadline(time.Now().Add(s.cfg.Timeout))
	if err := peerAllowed(c, s.cfg.Denied); err != nil {
		if s.cfg.OnRefused != nil {
			s.cfg.OnRefused(err)
		}
		refuse(err.Error())
		return
	}
	buf := make([]byte, MaxRequest+1)
	defer clear(buf)
	n, err := readRequest(c, buf)
	switch {
	case n == 0 && errors.Is(err, io.EOF):
		return // a probe (Dial) or a client that gave up
	case errors.Is(err, errRequestTooLarge):
		refuse(err.Error())
		return
	case err != nil:
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			err = fmt.Errorf("the request did not arrive within %s", s.cfg.Timeout)
		}
		refuse(err.Error())
		return
	}
	_ = c.SetReadDeadline(time.Time{})
	ctx, cancel := context.WithCancel(s.ctx)
	defer cancel()
	w.cancel = cancel
	h(ctx, buf[:n], w)
}

// readRequest reads one request, up to a newline or the end of the
// stream, into buf; a request that does not fit is refused.
func readRequest(c net.Conn, buf []byte) (int, error) {
	n := 0
	for {
		if n == len(buf) {
			return n, errRequestTooLarge
		}
		m, err := c.Read(buf[n:])
		if i := bytes.IndexByte(buf[n:n+m], '\n'); i >= 0 {
			return n + i, nil
		}
		n += m
		if errors.Is(err, io.EOF) {
			if n == 0 {
				return 0, io.EOF
			}
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

// Writer sends answer lines to one client.
type Writer struct {
	c      *net.UnixConn
	mu     sync.Mutex
	cancel context.CancelFunc

	watchOnce sync.Once
	watchDone chan struct{}
}

// Send writes v as one JSON line. It fails when the client is gone or
// does not read within a few seconds.
func (w *Writer) Send(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("cannot encode the answer: %w", err)
	}
	return w.WriteLine(b)
}

// WriteLine writes b, which must be one line of JSON without its newline.
func (w *Writer) WriteLine(b []byte) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	_ = w.c.SetWriteDeadline(time.Now().Add(replyTimeout))
	if _, err := w.c.Write(b); err != nil {
		return err
	}
	_, err := w.c.Write([]byte{'\n'})
	return err
}

// Watch makes the handler's context end when the client hangs up (closes
// its end, or sends anything more). Call it for a stream that may wait a
// long time between lines (a log being followed); the client then must
// not half-close its side after the request (Client.Stream does not).
func (w *Writer) Watch() {
	w.watchOnce.Do(func() {
		w.watchDone = make(chan struct{})
		go func() {
			defer close(w.watchDone)
			var b [1]byte
			_, _ = w.c.Read(b[:])
			w.cancel()
		}()
	})
}

// stopWatch ends the watcher once the connection is closed.
func (w *Writer) stopWatch() {
	if w.watchDone != nil {
		<-w.watchDone
	}
}

// clearStale makes way for a new socket at path: a socket nobody answers
// on was left by a process that crashed and is removed; one that answers
// belongs to a running process and is left alone.
func clearStale(path, owner string) error {
	// A bind interrupted by a crash leaves its private directory behind.
	if entries, err := os.ReadDir(filepath.Dir(path)); err == nil {
		for _, e := range entries {
			if isBindDir(e) {
				_ = os.RemoveAll(filepath.Join(filepath.Dir(path), e.Name()))
			}
		}
	}
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("cannot check the control socket %s: %w", path, err)
	}
	if runtime.GOOS != "windows" && fi.Mode().Type() != fs.ModeSocket {
		return fmt.Errorf("%s is in the way of the control socket and is not a socket: move it aside", path)
	}
	if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
		_ = c.Close()
		return fmt.Errorf("another %s already answers on %s: stop it first, or give this one another data directory", owner, path)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("cannot remove the stale control socket %s: %w", path, err)
	}
	return nil
}

// bindDirPrefix names the private directory a socket is bound in before
// it is moved into place (socket_unix.go).
const bindDirPrefix = ".lsock"

func isBindDir(e fs.DirEntry) bool {
	rest, ok := strings.CutPrefix(e.Name(), bindDirPrefix)
	if !ok || rest == "" || !e.IsDir() {
		return false
	}
	return strings.Trim(rest, "0123456789") == ""
}

// checkSocketPath refuses a path longer than a Unix socket address holds,
// in words rather than as "invalid argument".
func checkSocketPath(path string) error {
	limit := 104 // macOS and the BSDs, with the terminating NUL
	if runtime.GOOS == "linux" || runtime.GOOS == "android" || runtime.GOOS == "windows" {
		limit = 108
	}
	if len(path) >= limit {
		return fmt.Errorf("the path %s is too long for a socket (at most %d bytes): use a data directory with a shorter path", path, limit-1)
	}
	return nil
}
