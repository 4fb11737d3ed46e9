// Command lanyard is the Lanyard console: with no arguments it opens the
// window; its commands (serve, settings, slave, log) run it headless or
// change its data. See README.md.
package main

import (
	"os"

	"github.com/lanyard/lanyard/app/console"
	// Before Fyne reads the locale: no "Error parsing user locale C" under
	// C.UTF-8 (see the package's documentation).
	_ "github.com/lanyard/lanyard/app/locale"
)

func main() { os.Exit(console.Run()) }
