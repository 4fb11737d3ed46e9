package control

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"time"
)

// MaxLine bounds one answer line the client reads (a status with
// thousands of entries fits).
const MaxLine = 16 << 20

// ErrNotRunning: nothing answers on the socket (it is missing, or left
// behind by a process that stopped).
var ErrNotRunning = errors.New("nothing answers on the control socket")

// NotRunningError says which socket nobody answers on.
type NotRunningError struct {
	Path string
	Err  error
}

func (e *NotRunningError) Error() string {
	return fmt.Sprintf("nothing answers on %s", e.Path)
}
func (e *NotRunningError) Unwrap() []error { return []error{ErrNotRunning, e.Err} }

// PermissionError: the socket is there, but this user may not use it.
type PermissionError struct {
	Path string
	Err  error
}

func (e *PermissionError) Error() string { return fmt.Sprintf("cannot use %s: %v", e.Path, e.Err) }
func (e *PermissionError) Unwrap() error { return e.Err }

// Client talks to the process serving the socket at Path; each call is
// one connection.
type Client struct {
	Path string
	// Timeout bounds an exchange made with Call; default DefaultTimeout
	// plus a margin for the server's own work.
	Timeout time.Duration
}

// Dial checks that something answers on the socket at path. The error is
// a *NotRunningError or a *PermissionError.
func Dial(path string) (*Client, error) {
	c, err := dial(path)
	if err != nil {
		return nil, err
	}
	_ = c.Close()
	return &Client{Path: path, Timeout: DefaultTimeout + 5*time.Second}, nil
}

func dial(path string) (*net.UnixConn, error) {
	c, err := net.DialTimeout("unix", path, 5*time.Second)
	if err == nil {
		return c.(*net.UnixConn), nil
	}
	if errors.Is(err, fs.ErrPermission) {
		return nil, &PermissionError{Path: path, Err: err}
	}
	// Missing, refused (a socket left by a process that stopped), or not
	// a socket at all: nobody to talk to.
	return nil, &NotRunningError{Path: path, Err: err}
}

// Call sends req (one line of JSON, without its newline; the caller may
// zero it afterwards) and returns the one answer line. The write side is
// closed after the request, so a server may also read a request ended by
// the end of the stream.
func (c *Client) Call(req []byte) ([]byte, error) {
	conn, err := dial(c.Path)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout + 5*time.Second
	}
	_ = conn.SetDeadline(time.Now().Add(timeout))
	werr := writeRequest(conn, req)
	if werr == nil {
		_ = conn.CloseWrite()
	}
	// Read even after a failed write: the server may have answered (and
	// closed) before reading everything, to refuse.
	line, err := readLine(bufio.NewReader(conn))
	if err != nil {
		if werr != nil {
			err = werr
		}
		return nil, fmt.Errorf("no answer on %s: %w", c.Path, err)
	}
	return line, nil
}

// Stream sends req and hands each answer line to onLine, in order, until
// the server ends the stream (nil), onLine fails (its error), or ctx ends
// (ctx.Err(); the server sees the client hang up). The write side stays
// open, so the server can tell a hang-up from the end of the request.
func (c *Client) Stream(ctx context.Context, req []byte, onLine func([]byte) error) error {
	conn, err := dial(c.Path)
	if err != nil {
		return err
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer stop()
	_ = conn.SetWriteDeadline(time.Now().Add(replyTimeout))
	if err := writeRequest(conn, req); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("cannot send to %s: %w", c.Path, err)
	}
	r := bufio.NewReader(conn)
	for {
		line, err := readLine(r)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("the answer on %s was cut: %w", c.Path, err)
		}
		if err := onLine(line); err != nil {
			return err
		}
	}
}

func writeRequest(conn net.Conn, req []byte) error {
	// One write of request and newline, so the server's first read
	// usually has all of it; the copy is zeroed like the caller's.
	buf := make([]byte, len(req)+1)
	copy(buf, req)
	buf[len(req)] = '\n'
	_, err := conn.Write(buf)
	clear(buf)
	return err
}

var errLineTooLong = fmt.Errorf("an answer line is longer than %d MiB", MaxLine>>20)

// readLine reads one line without its newline; io.EOF only at a clean end
// between lines (a last line without a newline is still a line).
func readLine(r *bufio.Reader) ([]byte, error) {
	var line []byte
	for {
		chunk, err := r.ReadSlice('\n')
		line = append(line, chunk...)
		if len(line) > MaxLine {
			return nil, errLineTooLong
		}
		switch {
		case err == nil:
			return line[:len(line)-1], nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF) && len(line) > 0:
			return line, nil
		default:
			return nil, err
		}
	}
}
