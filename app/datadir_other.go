//go:build !windows

package app

import "os"

func isPrivileged() bool { return os.Geteuid() == 0 }

func makePrivate(dir string) error { return os.Chmod(dir, 0o700) }
