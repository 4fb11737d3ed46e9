//go:build unix

package control

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"syscall"
)

// checkDir refuses a data directory that another user could write: they
// could replace the socket with their own and read what the command line
// sends (a new password among it).
func checkDir(dir string) error {
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("cannot open the control socket in %s: %w", dir, err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("cannot open the control socket in %s: not a directory", dir)
	}
	if perm := fi.Mode().Perm(); perm&0o022 != 0 {
		return fmt.Errorf("the data directory %s can be written by other users (mode %04o), so one of them could replace the control socket: run chmod go-w %s", dir, perm, dir)
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		uid := uint64(os.Geteuid())
		if owner := uint64(st.Uid); owner != uid && owner != 0 {
			return fmt.Errorf("the data directory %s belongs to uid %d, not to this process's user (uid %d) or root: run chown %d %s", dir, owner, uid, uid, dir)
		}
	}
	return nil
}

// listenSocket binds the socket inside a fresh owner-only directory, makes
// it owner-only (0600, whatever the umask) and only then renames it into
// place, so nobody else can ever connect through a wider mode.
func listenSocket(path string) (*net.UnixListener, error) {
	tmp, err := os.MkdirTemp(filepath.Dir(path), bindDirPrefix)
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	if err := os.Chmod(tmp, 0o700); err != nil {
		return nil, err
	}
	bindPath := filepath.Join(tmp, "s")
	if err := checkSocketPath(bindPath); err != nil {
		return nil, err
	}
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: bindPath, Net: "unix"})
	if err != nil {
		return nil, err
	}
	// Close removes the file at its final path, and only if it is ours.
	ln.SetUnlinkOnClose(false)
	if err := os.Chmod(bindPath, 0o600); err != nil {
		_ = ln.Close()
		return nil, err
	}
	if err := os.Rename(bindPath, path); err != nil {
		_ = ln.Close()
		return nil, err
	}
	return ln, nil
}
