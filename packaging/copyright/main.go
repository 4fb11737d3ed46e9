// Command copyright writes a Debian package's machine-readable copyright
// file (https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/)
// for Go programs, when the package is built: Lanyard's own files first,
// then the Go standard library and every module linked into the programs,
// each with the copyright lines and licence text of its own licence files,
// read from the module cache. Nothing in it is kept by hand, so a new or
// upgraded dependency is listed the next time the package is built.
//
//	go run ./packaging/copyright -o FILE [-goos linux] [-goarch amd64] [-cgo 0|1] [-years 2026] PACKAGE...
//
// A module whose licence files cannot be found or recognised stops the
// build with its name: a package must not ship with a licence unlisted.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"
)

func main() { os.Exit(run(os.Args[1:], os.Stderr)) }

func run(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("copyright", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("o", "", "file to write (required)")
	goos := fs.String("goos", "linux", "GOOS the programs are built for")
	goarch := fs.String("goarch", "", "GOARCH the programs are built for (default: go env GOARCH)")
	cgo := fs.String("cgo", "0", "CGO_ENABLED the programs are built with")
	years := fs.String("years", "", "the years of Lanyard's copyright, e.g. 2025-2026 (default: the year of SOURCE_DATE_EPOCH, else this year)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *out == "" || fs.NArg() == 0 {
		fmt.Fprintln(stderr, "usage: copyright -o FILE [-goos OS] [-goarch ARCH] [-cgo 0|1] [-years Y] PACKAGE...")
		return 2
	}
	if *years == "" {
		*years = strconv.Itoa(releaseTime().Year())
	}
	mods, err := linkedModules(listTarget{GOOS: *goos, GOARCH: *goarch, CGO: *cgo}, fs.Args())
	if err != nil {
		fmt.Fprintln(stderr, "copyright:", err)
		return 1
	}
	text, err := render(Project{Years: *years}, mods)
	if err != nil {
		fmt.Fprintln(stderr, "copyright:", err)
		return 1
	}
	if err := os.WriteFile(*out, []byte(text), 0o644); err != nil {
		fmt.Fprintln(stderr, "copyright:", err)
		return 1
	}
	return 0
}

// releaseTime is SOURCE_DATE_EPOCH, else now.
func releaseTime() time.Time {
	if s, err := strconv.ParseInt(os.Getenv("SOURCE_DATE_EPOCH"), 10, 64); err == nil {
		return time.Unix(s, 0).UTC()
	}
	return time.Now().UTC()
}
