package link

import (
	"bytes"
	"errors"
	"net"

	"github.com/lanyard/lanyard/core/wire"
)

// sniffedConn replays bytes already read from a connection before reading
// on, so a listener can look at the first bytes and still hand the whole
// stream to crypto/tls.
type sniffedConn struct {
	net.Conn
	head []byte
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
