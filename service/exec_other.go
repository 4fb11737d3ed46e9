//go:build !windows

package service

import "os/exec"

func prepareCommand(*exec.Cmd, string, []string) {}
