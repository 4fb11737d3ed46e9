// Command lanyard is the Lanyard console: with no arguments it opens the
// window; its commands (serve, settings, slave, log) run it headless or
// change its data. See README.md.
package main

import (
	"os"

	"github.com/lanyard/lanyard/app/console"
)

func main() { os.Exit(console.Run()) }
