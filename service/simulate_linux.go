package service

import (
	"os/exec"
	"syscall"
)

// stopWithParent has the kernel end cmd when this process ends, however it
// ends (a simulated fleet's processes must not outlive the one that spread
// it, even after a kill -9).
func stopWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}
