package gendocs

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/spf13/cobra"
)

// Main is the body of a generator program for one command tree:
//
//	PROG-docs -out DIR [-version V] [-date UNIX-SECONDS]
//
// -date defaults to SOURCE_DATE_EPOCH, then to now.
func Main(root *cobra.Command, product string, args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet(root.Name()+" docs", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "", "directory to write usr/share/… under (required)")
	ver := fs.String("version", root.Version, "version the pages name")
	date := fs.String("date", os.Getenv("SOURCE_DATE_EPOCH"), "the release's date, in seconds since 1970 (default: SOURCE_DATE_EPOCH, else now)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *out == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "usage: -out DIR [-version V] [-date SECONDS]")
		return 2
	}
	when := time.Now()
	if *date != "" {
		secs, err := strconv.ParseInt(*date, 10, 64)
		if err != nil {
			fmt.Fprintf(stderr, "-date %q: want seconds since 1970\n", *date)
			return 2
		}
		when = time.Unix(secs, 0)
	}
	h := Header{Source: product + " " + *ver, Manual: product + " Manual", Date: when}
	if err := Write(root, *out, h); err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	return 0
}
