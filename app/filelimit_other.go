//go:build !unix

package app

// RaiseFileLimit does nothing where open files are not limited per
// process this way (Windows); 0 means no such limit.
func RaiseFileLimit() (uint64, error) { return 0, nil }
