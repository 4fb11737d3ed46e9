package link

import (
	"bytes"
	"errors"
	"net"
	"strings"
	"time"

	"github.com/lanyard/lanyard/core/wire"
)

// sniffedConn replays bytes already read from a connection before reading
// on, so a listener can look at the first bytes and still hand the whole
// stream to crypto/tls.
type sniffedConn struct {
	net.Conn
	head    []byte
	wroteAt time.Time // when the first write began: the listener's first TLS flight
}

func (c *sniffedConn) Write(p []byte) (int, error) {
	if c.wroteAt.IsZero() {
		c.wroteAt = time.Now()
	}
	return c.Conn.Write(p)
}

func (c *sniffedConn) Read(p []byte) (int, error) {
	if len(c.head) > 0 {
		n := copy(p, c.head)
		c.head = c.head[n:]
		if len(c.head) == 0 {
			// An empty tail still holds the whole record (a ClientHello,
			// about 2.5 KiB) for as long as the link lives: let it go.
			c.head = nil
		}
		return n, nil
	}
	return c.Conn.Read(p)
}

// ErrAltered is the cause of a protocol_error whose stream arrived
// changed on the way: Lanyard's greeting with its letters rewritten, as a
// firewall or proxy that inspects plain traffic does.
var ErrAltered = errors.New("the Lanyard greeting was altered on the way")

// altered reports whether head is Lanyard's magic, changed on the way in a
// way such boxes change text (letter case).
func altered(head []byte) bool {
	return len(head) == len(wire.Magic) && string(head) != wire.Magic && bytes.EqualFold(head, []byte(wire.Magic))
}

// looksLike names what a non-Lanyard first few bytes probably are, for a
// log line a person can act on.
func looksLike(head []byte) string {
	if altered(head) {
		return "Lanyard's greeting " + AlteredOnTheWay
	}
	s := string(head)
	for _, m := range []string{"GET ", "POST", "HEAD", "PUT ", "OPTI", "DELE", "PATC", "CONN"} {
		if len(s) >= 4 && s[:4] == m {
			return "an HTTP request (a web browser or proxy pointed at the management port?)"
		}
	}
	if len(s) >= 4 && s[:4] == "SSH-" {
		return "an SSH client"
	}
	return "data that is not Lanyard's protocol (a port scanner or another program?)"
}

// answeredBy names the program a non-Lanyard answer to a dial probably
// came from, by its first bytes, or "" when they do not tell.
func answeredBy(head []byte) string {
	s := string(head)
	switch lower := strings.ToLower(s[:min(len(s), 16)]); {
	case strings.HasPrefix(s, "HTTP/"), strings.HasPrefix(lower, "<!doctype html"), strings.HasPrefix(lower, "<html"):
		return "a web server"
	case strings.HasPrefix(s, "SSH-"):
		return "an SSH server"
	case strings.HasPrefix(s, "220"):
		return "a mail or FTP server"
	}
	return ""
}

// firstLine is head up to its first line break, for quoting: the first
// line of an answer is the one that names it.
func firstLine(head []byte) string {
	if i := bytes.IndexAny(head, "\r\n"); i >= 0 {
		head = head[:i]
	}
	return string(head)
}

// heldConn holds what is written through it, while holding, until the
// next read or release, and then writes it all at once. The dialer's TLS
// handshake ends with a write (its certificate and Finished) that its
// hello follows at once; the acceptor's, with a session ticket that its
// hello (and, after an early proof, its welcome) follows as soon as the
// dialer's hello is checked. Held together they go out as one segment,
// one write and one wake-up of the peer fewer on every handshake. Every
// read sends what is held first, so nothing held ever waits for an
// answer to it (a HelloRetryRequest, the acceptor's hello).
type heldConn struct {
	net.Conn
	held    []byte
	holding bool
}

func (c *heldConn) Write(p []byte) (int, error) {
	if !c.holding {
		return c.Conn.Write(p)
	}
	c.held = append(c.held, p...)
	return len(p), nil
}

func (c *heldConn) Read(p []byte) (int, error) {
	if err := c.flush(); err != nil {
		return 0, err
	}
	return c.Conn.Read(p)
}

// flush writes what is held.
func (c *heldConn) flush() error {
	if len(c.held) == 0 {
		return nil
	}
	_, err := c.Conn.Write(c.held)
	c.held = c.held[:0]
	return err
}

// release writes what is held and stops holding: from now on every write
// goes straight through.
func (c *heldConn) release() error {
	err := c.flush()
	c.held, c.holding = nil, false
	return err
}
