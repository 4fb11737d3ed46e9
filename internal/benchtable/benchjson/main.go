// Command benchjson reads `go test -bench` output on standard input,
// passes the table's lines (and any failure) through to standard output,
// and writes the table with the machine it ran on to a JSON file:
//
//	go test -run '^$' -bench . ./... | go run ./internal/benchtable/benchjson -o bench/results.json
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"runtime"
	"strings"
	"time"

	"github.com/lanyard/lanyard/internal/benchtable"
)

// results is bench/results.json.
type results struct {
	Date    string            `json:"date"`
	Quick   bool              `json:"quick"`
	Machine machine           `json:"machine"`
	Figures []benchtable.Line `json:"figures"`
	Short   int               `json:"short"`
	Failed  bool              `json:"failed"`
}

type machine struct {
	CPUs     int    `json:"cpus"`
	CPUModel string `json:"cpu_model"`
	MemMiB   int64  `json:"mem_mib"`
	OS       string `json:"os"`
	Arch     string `json:"arch"`
	Go       string `json:"go"`
}

// failure is a line worth showing beside the table.
var failure = regexp.MustCompile(`^(--- FAIL|--- SKIP|FAIL|panic:|fatal error:)|^\s+\S+_test\.go:\d+:`)

func main() {
	outPath := flag.String("o", "bench/results.json", "where to write the table as JSON")
	flag.Parse()
	res, err := collect(os.Stdin, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchjson:", err)
		os.Exit(1)
	}
	var data strings.Builder
	enc := json.NewEncoder(&data)
	enc.SetEscapeHTML(false) // targets read "<=30s"
	enc.SetIndent("", "  ")
	_ = enc.Encode(res)
	if err := os.WriteFile(*outPath, []byte(data.String()), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "benchjson:", err)
		os.Exit(1)
	}
	verdict := "all met their targets"
	if res.Short > 0 {
		verdict = fmt.Sprintf("%d SHORT of their targets", res.Short)
	}
	if res.Failed {
		verdict += "; SOME BENCHMARKS FAILED (see above and bin/bench.txt)"
	}
	fmt.Printf("\n%d figures, %s; written to %s\n", len(res.Figures), verdict, *outPath)
}

func collect(in io.Reader, out io.Writer) (*results, error) {
	res := &results{Date: time.Now().UTC().Format(time.RFC3339), Quick: benchtable.Quick(), Machine: thisMachine(), Figures: []benchtable.Line{}}
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		s := sc.Text()
		if l, err := benchtable.Parse(s); err == nil {
			res.Figures = append(res.Figures, l)
			if !l.OK {
				res.Short++
			}
			fmt.Fprintln(out, s)
			continue
		} else if strings.HasPrefix(s, "BENCH ") {
			return nil, err
		}
		if failure.MatchString(s) {
			if !strings.HasPrefix(s, "--- SKIP") {
				res.Failed = res.Failed || strings.HasPrefix(strings.TrimSpace(s), "FAIL") || strings.HasPrefix(s, "--- FAIL") || strings.HasPrefix(s, "panic:")
			}
			fmt.Fprintln(out, s)
		}
	}
	return res, sc.Err()
}

func thisMachine() machine {
	m := machine{CPUs: runtime.NumCPU(), OS: runtime.GOOS, Arch: runtime.GOARCH, Go: runtime.Version()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPUModel = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kib int64
		for _, line := range strings.Split(string(b), "\n") {
			if _, err := fmt.Sscanf(line, "MemTotal: %d kB", &kib); err == nil {
				m.MemMiB = kib >> 10
				break
			}
		}
	}
	return m
}
