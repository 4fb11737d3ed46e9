// Command lanyard-agent is the Lanyard agent: the headless service on each
// managed server. See `lanyard-agent --help` and README.md.
package main

import (
	"os"

	"github.com/lanyard/lanyard/service"
)

func main() { os.Exit(service.Run()) }
