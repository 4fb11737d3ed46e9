//go:build unix

package app

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// RaiseFileLimit raises this process's open-file limit as far as the
// system lets it: the hard limit to the kernel's maximum where the process
// may (root, or a service manager that allows it), else the soft limit to
// the hard one. It returns the limit in force afterwards. Each link holds
// one open file, so this bounds the links one process can hold.
func RaiseFileLimit() (uint64, error) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, err
	}
	if ceiling := kernelFileMax(); ceiling > lim.Max {
		want := syscall.Rlimit{Cur: ceiling, Max: ceiling}
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &want); err == nil {
			return ceiling, nil
		} else if !errors.Is(err, syscall.EPERM) && !errors.Is(err, syscall.EINVAL) {
			return lim.Cur, err
		}
	}
	if lim.Cur < lim.Max {
		want := syscall.Rlimit{Cur: lim.Max, Max: lim.Max}
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &want); err != nil {
			return lim.Cur, err
		}
		lim.Cur = lim.Max
	}
	return lim.Cur, nil
}

// kernelFileMax is the most open files the kernel allows one process
// (Linux: /proc/sys/fs/nr_open), 0 when unknown.
func kernelFileMax() uint64 {
	b, err := os.ReadFile("/proc/sys/fs/nr_open")
	if err != nil {
		return 0
	}
	n, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		return 0
	}
	return n
}
