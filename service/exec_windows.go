//go:build windows

package service

import (
	"os/exec"
	"syscall"
)

// prepareCommand gives the process the exact command line netsh expects
// (name="Lanyard agent"): Go would quote the whole argument instead.
func prepareCommand(cmd *exec.Cmd, name string, args []string) {
	cmd.SysProcAttr = &syscall.SysProcAttr{CmdLine: windowsCommandLine(append([]string{name}, args...))}
}
