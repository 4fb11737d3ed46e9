//go:build !unix

package benchtable

func settle() {}
