// Command lanyard writes the console's manual pages and shell completions
// from its command tree (see package gendocs). It links the console, so
// it is a cgo build like the console itself:
//
//	go run ./packaging/gendocs/lanyard -out DIR -version V
package main

import (
	"os"

	"github.com/lanyard/lanyard/app/console"
	"github.com/lanyard/lanyard/packaging/gendocs"
)

func main() { os.Exit(gendocs.Main(console.Command(), "Lanyard", os.Args[1:], os.Stderr)) }
