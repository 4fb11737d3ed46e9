//go:build !unix

package control

import (
	"fmt"
	"net"
	"os"
)

// checkDir: on Windows the data directory's ACL (owner-only, set when it
// is created) is what keeps other users off the socket; mode bits mean
// nothing there.
func checkDir(dir string) error {
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("cannot open the control socket in %s: %w", dir, err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("cannot open the control socket in %s: not a directory", dir)
	}
	return nil
}

// listenSocket binds the socket where it belongs; the file inherits the
// data directory's ACL.
func listenSocket(path string) (*net.UnixListener, error) {
	if err := checkSocketPath(path); err != nil {
		return nil, err
	}
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return nil, err
	}
	ln.SetUnlinkOnClose(false)
	return ln, nil
}
