package service

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/sirupsen/logrus"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/lanyard/lanyard/app"
	"github.com/lanyard/lanyard/app/cmdline"
	"github.com/lanyard/lanyard/core/address"
	"github.com/lanyard/lanyard/core/fleetsim"
	"github.com/lanyard/lanyard/core/human"
	"github.com/lanyard/lanyard/core/slavefile"
	"github.com/lanyard/lanyard/core/version"
)

// simulateFlags are simulate's flags.
type simulateFlags struct {
	count       int
	first       int
	master      string
	listenBase  string
	ssl         string
	namePrefix  string
	sourceBase  string
	duration    time.Duration
	entriesOut  string
	entriesOnly bool
	seed        string
	jsonOut     bool
	child       bool
}

func simulateCmd(e *env) *cobra.Command {
	var f simulateFlags
	cmd := &cobra.Command{
		Use:   "simulate --count N (--master HOST:PORT | --listen-base HOST:PORT) [flags]",
		Short: "Run a simulated fleet of N agents on this machine, for load tests",
		Long: fmt.Sprintf(`Run a simulated fleet: N agents in this process, each the real agent with its
real request handlers, kept in memory (no database), each with its own
certificate and its own address on 127.0.0.0/8, dialing the console at
--master (its inbound slaves), or listening at --listen-base plus its number
for a console that dials them (outbound slaves).

Keys come from --seed, not from passwords: --entries-out writes the file the
console imports (lanyard slave import FILE) to know the whole fleet, with
keys, so it is owner-only. The same seed gives the same keys, certificates
and installations on every run: a fleet started again links to the
consoles that pinned it. With --entries-only it writes the file and
exits, so the console can have the entries before the fleet starts
dialing.

Every agent dials at once, as servers do after a power cut, but connects
only when this process can send its first TLS flight at once (at most %d
per core are between connecting and having sent it), as a server with a
CPU of its own would: the console's hello deadline then measures the
agents, not the queue for this machine's CPU. Run the fleet niced (nice -n
10) on the console's machine, so that the console gets the CPU first.

Each link holds one open file (two for a listening agent): simulate raises
its own open-file limit as far as the system allows and, when the fleet
needs more files than one process may open, spreads it over several
processes by itself. It runs until interrupted (Ctrl+C) or for --duration,
printing how many agents are linked.`, fleetsim.DialsPerCore),
		Example: `  lanyard-agent simulate --count 19000 --master 127.0.0.1:16888 --seed s1 --entries-out fleet.csv --entries-only
  lanyard slave import fleet.csv
  lanyard-agent simulate --count 19000 --master 127.0.0.1:16888 --seed s1
  lanyard-agent simulate --count 500 --listen-base 127.2.0.1:17000 --ssl off --duration 10m`,
		Args: cmdline.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return e.simulate(cmd.Context(), f) },
	}
	fl := cmd.Flags()
	fl.IntVar(&f.count, "count", 0, "how many agents")
	fl.StringVar(&f.master, "master", "", "the console every agent dials (HOST:PORT)")
	fl.StringVar(&f.listenBase, "listen-base", "", "agents listen here instead, agent i at this address plus i (HOST:PORT on 127.0.0.0/8)")
	fl.StringVar(&f.ssl, "ssl", "on", "SSL on or off (must match the console)")
	fl.StringVar(&f.namePrefix, "name-prefix", fleetsim.DefaultNamePrefix, "agent names: this prefix and a five-digit number")
	fl.StringVar(&f.sourceBase, "source-base", fleetsim.DefaultSourceBase.String(), "agent i dials from this address plus i (on 127.0.0.0/8)")
	fl.DurationVar(&f.duration, "duration", 0, "stop after this long (default: until interrupted)")
	fl.StringVar(&f.entriesOut, "entries-out", "", "write the console's import file for the fleet here (.csv or .json; with keys, owner-only)")
	fl.BoolVar(&f.entriesOnly, "entries-only", false, "write --entries-out and exit without running the fleet")
	fl.StringVar(&f.seed, "seed", "", "the secret the agents' keys are made from (default: a random one, printed)")
	fl.BoolVar(&f.jsonOut, "json", false, "report progress as JSON lines")
	// A process running its share of a fleet spread over several.
	fl.IntVar(&f.first, "first", 0, "number of the first agent (a share of a larger fleet)")
	fl.BoolVar(&f.child, "child", false, "run as one process of a fleet spread over several")
	_ = fl.MarkHidden("first")
	_ = fl.MarkHidden("child")
	return cmd
}

// simReport is one progress line: what the fleet (or one process's share
// of it) looks like now.
type simReport struct {
	ElapsedMs int64 `json:"elapsed_ms"`
	Agents    int   `json:"agents"`
	Linked    int   `json:"linked"`
	// Links counts every link the agents hold: above Linked, some agent
	// holds two links to its console.
	Links     int `json:"links"`
	Processes int `json:"processes"`
	// Started is set once every agent has been started (identities made).
	Started bool `json:"started"`
	// Done is set on the last line, when the fleet has stopped.
	Done bool `json:"done,omitempty"`
}

// simReportEvery is how often progress is reported.
const simReportEvery = 500 * time.Millisecond

func (e *env) simulate(ctx context.Context, f simulateFlags) error {
	cfg, err := f.config()
	if err != nil {
		return err
	}
	if f.entriesOut != "" && !f.child {
		if err := writeFleetEntries(f.entriesOut, cfg); err != nil {
			return err
		}
		if !f.jsonOut {
			fmt.Fprintf(e.stdout, "wrote the console's entries for %d agents to %s (with keys: keep it private)\n", cfg.Count, f.entriesOut)
		}
	}
	if f.entriesOnly {
		if f.entriesOut == "" {
			return cmdline.Usagef("--entries-only needs --entries-out FILE")
		}
		return nil
	}
	limit, err := app.RaiseFileLimit()
	if err != nil {
		return fmt.Errorf("cannot raise the open-file limit: %w", err)
	}
	perProcess := cfg.Count
	if limit > 0 {
		files := uint64(1)
		if cfg.ListenBase.IsValid() {
			files = 2 // its listener and the console's link
		}
		perProcess = int(app.LinksPermitted(limit) / files)
	}
	if perProcess <= 0 {
		return fmt.Errorf("%s: not enough for even one agent", app.FileLimitWords(limit))
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	if f.duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, f.duration)
		defer cancel()
	}
	out := newSimOutput(e.stdout, f.jsonOut)
	if !f.child {
		processes := (cfg.Count + perProcess - 1) / perProcess
		out.note(describeFleet(cfg, f, processes, limit))
		if processes > 1 {
			return e.simulateSpread(ctx, f, cfg, perProcess, out)
		}
	}
	return simulateHere(ctx, cfg, e.stderr, out)
}

// config turns the flags into the fleet's configuration.
func (f *simulateFlags) config() (fleetsim.Config, error) {
	var cfg fleetsim.Config
	if f.count <= 0 {
		return cfg, cmdline.Usagef("--count: give how many agents to simulate")
	}
	ssl, err := cmdline.ParseOnOff("--ssl", f.ssl)
	if err != nil {
		return cfg, err
	}
	if ssl == nil {
		return cfg, cmdline.Usagef("--ssl takes on or off")
	}
	switch {
	case (f.master == "") == (f.listenBase == ""):
		return cfg, cmdline.Usagef("give either --master HOST:PORT (the agents dial a console) or --listen-base HOST:PORT (a console dials them)")
	case f.listenBase != "":
		ap, err := netip.ParseAddrPort(f.listenBase)
		if err != nil || ap.Port() == 0 {
			return cfg, cmdline.Usagef("--listen-base %q: give an address on 127.0.0.0/8 and a port, such as 127.2.0.1:17000", f.listenBase)
		}
		cfg.ListenBase = ap
	default:
		addr, err := address.ParseDial(f.master)
		if err != nil {
			return cfg, cmdline.Usage(err)
		}
		cfg.Master = addr.String()
	}
	if cfg.SourceBase, err = netip.ParseAddr(f.sourceBase); err != nil {
		return cfg, cmdline.Usagef("--source-base %q is not an IPv4 address on 127.0.0.0/8", f.sourceBase)
	}
	if f.seed == "" {
		var b [16]byte
		_, _ = rand.Read(b[:])
		f.seed = hex.EncodeToString(b[:])
	}
	cfg.Count, cfg.First, cfg.NamePrefix, cfg.SSL, cfg.Seed = f.count, f.first, f.namePrefix, *ssl, []byte(f.seed)
	cfg.Software = "lanyard-agent " + version.String() + " (simulated)"
	// Entries validates the rest the way Start will.
	if _, err := fleetsim.Entries(cfg); err != nil {
		return cfg, cmdline.Usage(err)
	}
	return cfg, nil
}

func describeFleet(cfg fleetsim.Config, f simulateFlags, processes int, limit uint64) string {
	ssl := "without SSL"
	if cfg.SSL {
		ssl = "with SSL"
	}
	first, last := fleetsim.Name(cfg.NamePrefix, cfg.First), fleetsim.Name(cfg.NamePrefix, cfg.First+cfg.Count-1)
	where := "dialing " + cfg.Master
	if cfg.ListenBase.IsValid() {
		where = "listening at " + cfg.ListenBase.String() + " and up"
	}
	in := "in this process"
	if processes > 1 {
		in = fmt.Sprintf("in %d processes", processes)
	}
	return fmt.Sprintf("simulating %d agents (%s to %s) %s %s from %s and up, %s (%s); seed %q",
		cfg.Count, first, last, where, ssl, cfg.SourceBase, in, app.FileLimitWords(limit), f.seed)
}

// writeFleetEntries writes the console's import file, owner-only.
func writeFleetEntries(path string, cfg fleetsim.Config) error {
	rows, err := fleetsim.Entries(cfg)
	if err != nil {
		return err
	}
	file, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("cannot write the entries: %w", err)
	}
	if err := slavefile.Write(file, rows, slavefile.FormatOf(path)); err != nil {
		_ = file.Close()
		return fmt.Errorf("cannot write the entries to %s: %w", path, err)
	}
	return file.Close()
}

// simulateHere runs the whole fleet, or this process's share, until ctx
// ends, reporting as it goes.
func simulateHere(ctx context.Context, cfg fleetsim.Config, stderr io.Writer, out *simOutput) error {
	log := logrus.New()
	log.SetOutput(stderr)
	log.SetLevel(logrus.ErrorLevel)
	cfg.Logger = log
	start := time.Now()
	fleet, err := fleetsim.Start(context.WithoutCancel(ctx), cfg)
	if err != nil {
		return err
	}
	report := func(done bool) {
		out.report(simReport{ElapsedMs: time.Since(start).Milliseconds(), Agents: fleet.Count(), Linked: fleet.Linked(), Links: fleet.Links(),
			Processes: 1, Started: true, Done: done})
	}
	t := time.NewTicker(simReportEvery)
	defer t.Stop()
	for {
		report(false)
		select {
		case <-ctx.Done():
			err := fleet.Close()
			report(true)
			return err
		case <-t.C:
		}
	}
}

// simulateSpread runs the fleet in several child processes of this
// program, perProcess agents each, and reports their sum.
func (e *env) simulateSpread(ctx context.Context, f simulateFlags, cfg fleetsim.Config, perProcess int, out *simOutput) error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	n := (cfg.Count + perProcess - 1) / perProcess
	sf := &spreadFleet{cfg: cfg, start: time.Now(), latest: make([]simReport, n), children: make([]*exec.Cmd, 0, n)}
	for p := range n {
		first := cfg.First + p*perProcess
		count := min(perProcess, cfg.First+cfg.Count-first)
		cmd := exec.Command(exe, childArgs(f, cfg, first, count)...)
		cmd.Stderr = e.stderr
		stopWithParent(cmd)
		if err := sf.startChild(ctx, p, cmd, first, count); err != nil {
			return err
		}
	}
	ended := make(chan struct{})
	go func() { sf.wg.Wait(); close(ended) }()
	return sf.report(ctx, out, ended)
}

// spreadFleet is a fleet run in several child processes: the latest
// report of each, and why any of them stopped on its own.
type spreadFleet struct {
	cfg      fleetsim.Config
	start    time.Time
	children []*exec.Cmd
	wg       sync.WaitGroup // a goroutine per child, reading its reports

	mu     sync.Mutex
	latest []simReport // by child; under mu
	errs   []error     // under mu
}

// childArgs are the arguments of the child process that runs count
// agents from number first.
func childArgs(f simulateFlags, cfg fleetsim.Config, first, count int) []string {
	args := []string{"simulate", "--child", "--json", "--count", strconv.Itoa(count), "--first", strconv.Itoa(first),
		"--ssl", f.ssl, "--name-prefix", cfg.NamePrefix, "--source-base", f.sourceBase, "--seed", f.seed}
	if cfg.ListenBase.IsValid() {
		return append(args, "--listen-base", f.listenBase)
	}
	return append(args, "--master", cfg.Master)
}

// startChild starts cmd as child p, which runs count agents from number
// first, and reads its reports until it ends. When it cannot start, the
// children started before it are stopped.
func (sf *spreadFleet) startChild(ctx context.Context, p int, cmd *exec.Cmd, first, count int) error {
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		signalAll(sf.children, syscall.SIGTERM)
		return fmt.Errorf("cannot start process %d of the fleet: %w", p+1, err)
	}
	sf.children = append(sf.children, cmd)
	sf.wg.Go(func() {
		sf.readReports(p, stdout)
		if err := cmd.Wait(); err != nil && ctx.Err() == nil {
			sf.mu.Lock()
			sf.errs = append(sf.errs, fmt.Errorf("process %d of the fleet (%s and %d more) stopped: %w",
				p+1, fleetsim.Name(sf.cfg.NamePrefix, first), count-1, err))
			sf.mu.Unlock()
		}
	})
	return nil
}

// readReports keeps child p's latest report, until its output ends.
func (sf *spreadFleet) readReports(p int, stdout io.Reader) {
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		var r simReport
		if json.Unmarshal(sc.Bytes(), &r) == nil && r.Agents > 0 {
			sf.mu.Lock()
			sf.latest[p] = r
			sf.mu.Unlock()
		}
	}
}

// sum is the whole fleet's report: the children's added up.
func (sf *spreadFleet) sum(done bool) simReport {
	sf.mu.Lock()
	defer sf.mu.Unlock()
	r := simReport{ElapsedMs: time.Since(sf.start).Milliseconds(), Agents: sf.cfg.Count, Processes: len(sf.latest), Started: true, Done: done}
	for _, c := range sf.latest {
		r.Linked += c.Linked
		r.Links += c.Links
		r.Started = r.Started && c.Started
	}
	return r
}

// report prints the fleet's sum as it goes, until ctx ends (the children
// are stopped) or every child has ended on its own (ended is closed),
// which is an error.
func (sf *spreadFleet) report(ctx context.Context, out *simOutput, ended <-chan struct{}) error {
	t := time.NewTicker(simReportEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			signalAll(sf.children, syscall.SIGTERM)
			<-ended
			out.report(sf.sum(true))
			return nil
		case <-ended: // every child has ended on its own
			out.report(sf.sum(true))
			sf.mu.Lock()
			defer sf.mu.Unlock()
			return errors.Join(append(sf.errs, errors.New("every process of the fleet has stopped"))...)
		case <-t.C:
			out.report(sf.sum(false))
		}
	}
}

func signalAll(cmds []*exec.Cmd, sig os.Signal) {
	for _, c := range cmds {
		if c.Process != nil {
			_ = c.Process.Signal(sig)
		}
	}
}

// simOutput prints progress: JSON lines, or one line a person reads,
// rewritten in place at a terminal.
type simOutput struct {
	w        io.Writer
	json     bool
	terminal bool
	last     time.Time
	width    int // of the line last written in place, which the next covers
}

func newSimOutput(w io.Writer, jsonOut bool) *simOutput {
	f, ok := w.(*os.File)
	return &simOutput{w: w, json: jsonOut, terminal: ok && term.IsTerminal(int(f.Fd()))}
}

func (o *simOutput) note(s string) {
	if !o.json {
		fmt.Fprintln(o.w, s)
	}
}

func (o *simOutput) report(r simReport) {
	if o.json {
		b, _ := json.Marshal(r)
		fmt.Fprintf(o.w, "%s\n", b)
		return
	}
	// Off a terminal, a line every 5 seconds is plenty.
	if !o.terminal && !r.Done && time.Since(o.last) < 5*time.Second {
		return
	}
	o.last = time.Now()
	line := fmt.Sprintf("%s of %s agents linked (%d %%) after %s", human.Count(r.Linked), human.Count(r.Agents), 100*r.Linked/max(r.Agents, 1),
		human.Took(time.Duration(r.ElapsedMs)*time.Millisecond))
	switch {
	case r.Done:
		fmt.Fprintf(o.w, "\r%-*s\n", o.width, line+"; stopped")
	case o.terminal:
		// "1 min 59 s" then "2 min": spaces cover what the shorter
		// line does not.
		fmt.Fprintf(o.w, "\r%-*s", o.width, line+" ")
		o.width = max(o.width, len(line)+1)
	default:
		fmt.Fprintln(o.w, line)
	}
}
