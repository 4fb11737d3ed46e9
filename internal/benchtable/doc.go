// Package benchtable is the one printer of `make bench`'s table, and its
// one reader.
//
// Every benchmark of the project measures its figure beside a baseline in
// the same run and hands both, with the figure's target, to Report, which
// prints one line per figure:
//
//	BENCH <name> <value> <unit> baseline=<value> ratio=<value> target=<…> ok|SHORT
//
// ratio is value/baseline; target says what the figure must reach, of the
// ratio ("<=1.15x") or of the value ("<=30s"); SHORT marks a figure that
// missed it. Parse reads such a line back; the benchjson command gathers
// them from `go test -bench` output into bench/results.json.
//
// Quick says whether BENCH_QUICK=1 asked for the quick forms (the whole
// table in under five minutes), which benchmarks scale down to. Settle,
// called before a measurement of latency or CPU, lets the disk writes of
// the benchmarks before it finish first.
//
// Only benchmarks (test files) and the benchjson command import it.
package benchtable
