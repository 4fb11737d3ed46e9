// Command middlebox is a "smart firewall" for the network lab's tests: a
// TCP proxy that rewrites the first bytes of every plain-text stream it
// forwards, in each direction (it lower-cases them, as an application
// gateway that takes them for a protocol it knows might), and passes TLS
// through untouched, as such boxes do with what they cannot read. Put in
// the path of a Lanyard link, it breaks links without SSL and leaves links
// with SSL alone.
//
//	middlebox -listen :7000 -upstream 203.0.113.10:16888
//
// It logs one JSON line per thing it does to standard error (events
// "listening", "rewrote", "passed_tls", "upstream_failed"), so a test can
// wait for it to listen and see what crossed it, and runs until killed.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
)

// headerLen is how many leading bytes of a plain stream are rewritten.
const headerLen = 4

// tlsRecord is the first byte of a TLS handshake record.
const tlsRecord = 0x16

var logger = slog.New(slog.NewJSONHandler(os.Stderr, nil))

func main() {
	listen := flag.String("listen", "", "address to accept connections on")
	upstream := flag.String("upstream", "", "address to forward them to")
	flag.Parse()
	if *listen == "" || *upstream == "" {
		fmt.Fprintln(os.Stderr, "usage: middlebox -listen HOST:PORT -upstream HOST:PORT")
		os.Exit(2)
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintln(os.Stderr, "middlebox:", err)
		os.Exit(1)
	}
	logger.Info(fmt.Sprintf("listening on %s, forwarding to %s", ln.Addr(), *upstream), "event", "listening")
	for {
		in, err := ln.Accept()
		if err != nil {
			fmt.Fprintln(os.Stderr, "middlebox:", err)
			os.Exit(1)
		}
		go forward(in, *upstream)
	}
}

func forward(in net.Conn, upstream string) {
	defer in.Close()
	from := in.RemoteAddr().String()
	out, err := net.Dial("tcp", upstream)
	if err != nil {
		logger.Warn(fmt.Sprintf("cannot reach %s: %v", upstream, err), "event", "upstream_failed", "remote", from)
		return
	}
	defer out.Close()
	done := make(chan struct{}, 2)
	go func() { pipe(out, in, from, "to the server"); done <- struct{}{} }()
	go func() { pipe(in, out, from, "from the server"); done <- struct{}{} }()
	<-done
	<-done
}

// pipe copies src to dst, rewriting the stream's first bytes unless it
// is TLS, then half-closes dst. It logs what it does with the stream as
// soon as it knows.
func pipe(dst, src net.Conn, from, which string) {
	defer func() {
		if tc, ok := dst.(*net.TCPConn); ok {
			_ = tc.CloseWrite()
		}
	}()
	head := make([]byte, headerLen)
	n, err := io.ReadFull(src, head)
	head = head[:n]
	switch {
	case n == 0:
	case head[0] == tlsRecord:
		logger.Info("passed TLS through "+which, "event", "passed_tls", "remote", from)
	default:
		logger.Info(fmt.Sprintf("rewrote a plain stream %s (%q → %q)", which, head, bytes.ToLower(head)), "event", "rewrote", "remote", from)
		head = bytes.ToLower(head)
	}
	if _, werr := dst.Write(head); werr != nil || err != nil {
		return
	}
	_, _ = io.Copy(dst, src)
}
