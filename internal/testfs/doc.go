// Package testfs holds test helpers that change files on disk as the
// world does to a backup: a failing disk that damages a copy in place.
// It imports nothing of Lanyard's, so that any package's tests may use it.
package testfs
