package control

import (
	"fmt"
	"net"
	"os"
	"syscall"
)

// peerAllowed lets only the process's own user and root use the socket,
// going by the credentials the kernel recorded when the peer connected
// (SO_PEERCRED). denied starts the refusal.
func peerAllowed(c *net.UnixConn, denied string) error {
	raw, err := c.SyscallConn()
	if err != nil {
		return fmt.Errorf("cannot tell who is asking: %w", err)
	}
	var cred *syscall.Ucred
	var credErr error
	if err := raw.Control(func(fd uintptr) {
		cred, credErr = syscall.GetsockoptUcred(int(fd), syscall.SOL_SOCKET, syscall.SO_PEERCRED)
	}); err != nil {
		return fmt.Errorf("cannot tell who is asking: %w", err)
	}
	if credErr != nil {
		return fmt.Errorf("cannot tell who is asking: %w", credErr)
	}
	self := os.Geteuid()
	if cred.Uid == 0 || int(cred.Uid) == self {
		return nil
	}
	return fmt.Errorf("%s (uid %d), not uid %d (pid %d)", denied, self, cred.Uid, cred.Pid)
}
