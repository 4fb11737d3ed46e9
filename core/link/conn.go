package link

import (
	"net"
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
		return n, nil
	}
	return c.Conn.Read(p)
}

// looksLike names what a non-Lanyard first few bytes probably are, for a
// log line a person can act on.
func looksLike(head []byte) string {
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
