//go:build !windows

package service

func afterInstall(string) error { return nil }
