// Command lanyard-agent writes the agent's manual pages and shell
// completions from its command tree (see package gendocs):
//
//	go run ./packaging/gendocs/lanyard-agent -out DIR -version V
package main

import (
	"os"

	"github.com/lanyard/lanyard/packaging/gendocs"
	"github.com/lanyard/lanyard/service"
)

func main() { os.Exit(gendocs.Main(service.Command(), "Lanyard", os.Args[1:], os.Stderr)) }
