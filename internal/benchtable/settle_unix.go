//go:build unix

package benchtable

import "syscall"

func settle() { syscall.Sync() }
