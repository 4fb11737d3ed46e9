package console

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/lanyard/lanyard/app/cmdline"
	"github.com/lanyard/lanyard/core/human"
	"github.com/lanyard/lanyard/core/master"
	"github.com/lanyard/lanyard/core/slavefile"
	"github.com/lanyard/lanyard/core/store"
)

// withKeysWarning is said whenever keys are written to a file.
const withKeysWarning = "the file holds every slave's key: anyone who has it can manage those servers, as with the passwords themselves. Keep it owner-only, move it only over an encrypted channel, and delete it once imported"

func slaveImportCmd(e *env) *cobra.Command {
	var dryRun, skipBad bool
	var format string
	var workers int
	cmd := &cobra.Command{
		Use:   "import FILE",
		Short: "Add the slaves listed in a CSV or JSON file",
		Long: `Add every slave listed in FILE (CSV with a header line, or a JSON array;
the format follows the file name, .json or anything else for CSV, unless
--format says). Columns: name, direction (outbound or inbound; default
outbound when an address is given), address (HOST:PORT, outbound), group,
notes, fingerprint (SHA256:…, checked at the first contact), and either
password (the management password set on the agent) or key (as lanyard slave
export --with-keys writes it, from another console).

Every row is checked first and every bad one is listed with its line and
why; then all are added at once, or none unless --skip-bad. Keys are taken
as they are; passwords are turned into keys as when adding one slave, about
a fifth of a second each, on every core, with a progress bar and the time
left. --dry-run does all of it and adds nothing.

With the console running (the window or lanyard serve) the import is done
by it, and the new slaves are linked at once; the console reads FILE
itself, so it must be readable by the console's user. File > Import
Slaves… does the same in the window.`,
		Example: `  lanyard slave import fleet.csv --dry-run
  lanyard slave import fleet.csv
  lanyard slave import other-console.json --skip-bad`,
		Args: cmdline.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := fileFormat(format, args[0])
			if err != nil {
				return err
			}
			return e.importSlaves(cmd.Context(), args[0], f, master.ImportOptions{DryRun: dryRun, SkipBad: skipBad, Workers: workers})
		},
	}
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "check every row and derive every key, add nothing")
	cmd.Flags().BoolVar(&skipBad, "skip-bad", false, "add the good rows even when some are bad")
	cmd.Flags().StringVar(&format, "format", "", "csv or json (default: from the file name)")
	cmd.Flags().IntVar(&workers, "workers", 0, "passwords turned into keys at once (default: one per core; each takes 64 MiB)")
	return cmd
}

func fileFormat(flag, path string) (slavefile.Format, error) {
	switch strings.ToLower(flag) {
	case "":
		return slavefile.FormatOf(path), nil
	case "csv":
		return slavefile.CSV, nil
	case "json":
		return slavefile.JSON, nil
	}
	return "", cmdline.Usagef("--format %q: use csv or json", flag)
}

// opSlaveImport is slave import through the running console.
const opSlaveImport = "slave_import"

// importResult is what an import did, as the command reports it; the
// running console sends it back whole.
type importResult struct {
	Rows    int      `json:"rows"`
	Bad     []string `json:"bad,omitempty"` // each row refused: its line and why
	Derived int      `json:"derived"`
	Added   int      `json:"added"`
	Ready   int      `json:"ready"`
	// Refused: rows were bad and, without --skip-bad, nothing was added.
	Refused bool `json:"refused,omitempty"`
	// HereAlready of the rows refused are slaves here already.
	HereAlready int `json:"here_already,omitempty"`
}

// importProgress is how many rows an import has checked, of how many.
type importProgress struct {
	Done  int `json:"done"`
	Total int `json:"total"`
}

// importSlaves imports the file at path: through the running console,
// which links the new slaves at once, or into its data directory when
// none runs. Either way the progress shows here, with the time left.
func (e *env) importSlaves(ctx context.Context, path string, f slavefile.Format, o master.ImportOptions) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return cmdline.Usage(fmt.Errorf("cannot read %s: %w", path, err))
	}
	bar := newCountBar(e.stderr, "rows checked")
	o.Progress = bar.set
	start := time.Now()
	req := ctlRequest{Op: opSlaveImport, File: abs, Format: string(f), DryRun: o.DryRun, SkipBad: o.SkipBad, Workers: o.Workers}
	res, err := runningOrStored(ctx, e, req,
		func(r ctlResponse) error {
			if r.Progress != nil {
				bar.set(r.Progress.Done, r.Progress.Total)
			}
			return nil
		},
		func(r ctlResponse) importResult { return deref(r.Import) },
		func(db *store.DB) (importResult, error) {
			return importFile(ctx, path, f, o, func(ctx context.Context, rows []slavefile.Row, o master.ImportOptions) (master.ImportReport, error) {
				return master.ImportSlaves(ctx, db, rows, o)
			})
		})
	bar.done()
	for _, b := range res.Bad {
		fmt.Fprintf(e.stderr, "%s: %s\n", path, b)
	}
	took := human.Took(time.Since(start))
	switch {
	case err != nil:
		return err
	case res.Refused:
		words := master.RefusedWords(path, res.Rows, len(res.Bad), res.Ready, res.HereAlready)
		switch {
		case res.Ready > 0:
			return cmdline.Usagef("%s (listed above); nothing was added: fix them and run again, or add the others with --skip-bad", words)
		case len(res.Bad) == res.HereAlready:
			return cmdline.Usagef("%s; nothing was added", words)
		}
		return cmdline.Usagef("%s (listed above); nothing was added: fix them and run again", words)
	case o.DryRun:
		fmt.Fprintf(e.stdout, "dry run: %s of %s would be added (%s derived from passwords, in %s); nothing was added\n", human.Count(res.Ready), human.Plural(res.Rows, "slave", "slaves"), human.Plural(res.Derived, "key", "keys"), took)
	default:
		fmt.Fprintf(e.stdout, "added %s of %s (%s derived from passwords) in %s\n", human.Count(res.Added), human.Plural(res.Rows, "slave", "slaves"), human.Plural(res.Derived, "key", "keys"), took)
	}
	return nil
}

// importFile reads the file at path and imports its rows with add (the
// running console's import, or the one on its database). Every row is
// checked and every bad one listed; a bad row without SkipBad makes it a
// dry run, so that all the mistakes are found at once.
func importFile(ctx context.Context, path string, f slavefile.Format, o master.ImportOptions,
	add func(context.Context, []slavefile.Row, master.ImportOptions) (master.ImportReport, error)) (importResult, error) {
	file, err := os.Open(path)
	if err != nil {
		return importResult{}, cmdline.Usage(fmt.Errorf("cannot read %s: %w", path, err))
	}
	rows, bad, err := slavefile.Read(file, f)
	_ = file.Close()
	if err != nil {
		return importResult{}, cmdline.Usage(fmt.Errorf("%s: %w", path, err))
	}
	refused := len(bad) > 0 && !o.SkipBad
	if refused {
		o.DryRun = true
	}
	rep, err := add(ctx, rows, o)
	if errors.Is(err, master.ErrBadRows) {
		refused, err = true, nil
	}
	res := importResult{Rows: rep.Rows + len(bad), Derived: rep.Derived, Added: len(rep.Added), Ready: rep.Ready, Refused: refused,
		HereAlready: rep.HereAlready()}
	for _, b := range append(bad, rep.Bad...) {
		res.Bad = append(res.Bad, b.Error())
	}
	return res, err
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func slaveExportCmd(e *env) *cobra.Command {
	var withKeys bool
	var format string
	cmd := &cobra.Command{
		Use:   "export FILE",
		Short: "Write every slave to a CSV or JSON file (- for standard output)",
		Long: `Write every slave to FILE, in the format lanyard slave import reads (CSV, or
JSON when the name ends in .json or --format json says): name, direction,
address, group, notes and the pinned certificate's fingerprint.

With --with-keys each row also has the slave's key, so another console
imports the whole fleet without the passwords being typed again. Such a
file is as secret as the passwords: it is written readable by its owner
only, and the command says so.`,
		Example: `  lanyard slave export fleet.csv
  lanyard slave export --with-keys /media/usb/fleet.json`,
		Args: cmdline.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := fileFormat(format, args[0])
			if err != nil {
				return err
			}
			return e.exportSlaves(cmd.Context(), args[0], f, withKeys)
		},
	}
	cmd.Flags().BoolVar(&withKeys, "with-keys", false, "include every slave's key (the file is then as secret as the passwords)")
	cmd.Flags().StringVar(&format, "format", "", "csv or json (default: from the file name)")
	return cmd
}

// exportSlaves writes every entry, of the running console or in its data
// directory, to path.
func (e *env) exportSlaves(ctx context.Context, path string, f slavefile.Format, withKeys bool) error {
	type exported struct {
		rows    []slavefile.Row
		inDoubt []string
	}
	x, err := runningOrStored(ctx, e, ctlRequest{Op: opSlaveExport, WithKeys: withKeys}, nil,
		func(r ctlResponse) exported { return exported{r.Export, r.ExportInDoubt} },
		func(db *store.DB) (exported, error) {
			rows, inDoubt, err := master.ExportRows(db, withKeys)
			return exported{rows, inDoubt}, err
		})
	if err != nil {
		return err
	}
	rows := x.rows
	if path == "-" {
		err = slavefile.Write(e.stdout, rows, f)
	} else {
		err = writeFileAtomically(path, func(w io.Writer) error { return slavefile.Write(w, rows, f) })
	}
	if err != nil {
		return err
	}
	if withKeys {
		fmt.Fprintln(e.stderr, "warning: "+withKeysWarning)
	}
	if w := master.InDoubtWarning(x.inDoubt); w != "" {
		fmt.Fprintln(e.stderr, "warning: "+w)
	}
	if path != "-" {
		fmt.Fprintf(e.stdout, "wrote %s to %s\n", human.Plural(len(rows), "slave", "slaves"), path)
	}
	return nil
}

// writeFileAtomically writes path through a temporary owner-only file in
// the same directory and a rename: a reader never sees half a file, and
// a file of keys is never readable by others, not even for a moment.
func writeFileAtomically(path string, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(dirOf(path), ".lanyard-export-*")
	if err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if err := write(tmp); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		_ = tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	return nil
}

func dirOf(path string) string {
	if i := strings.LastIndexAny(path, `/\`); i >= 0 {
		return path[:i+1]
	}
	return "."
}

// countBar shows how many of a known number of things are done: a bar with
// the time left at a terminal, else a line every few seconds.
type countBar struct {
	out  io.Writer
	what string
	bar  *progressbar.ProgressBar
	last time.Time
}

func newCountBar(out io.Writer, what string) *countBar {
	return &countBar{out: out, what: what, last: time.Now()}
}

func (b *countBar) set(done, total int) {
	f, terminal := b.out.(*os.File)
	terminal = terminal && term.IsTerminal(int(f.Fd()))
	if b.bar == nil && terminal {
		b.bar = progressbar.NewOptions(total, progressbar.OptionSetWriter(b.out), progressbar.OptionSetWidth(30),
			progressbar.OptionSetDescription(b.what), progressbar.OptionShowCount(), progressbar.OptionSetPredictTime(true),
			progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionClearOnFinish())
	}
	if b.bar != nil {
		_ = b.bar.Set(done)
		return
	}
	if time.Since(b.last) >= 5*time.Second || done == total {
		b.last = time.Now()
		fmt.Fprintf(b.out, "%s: %s of %s\n", b.what, human.Count(done), human.Count(total))
	}
}

func (b *countBar) done() {
	if b.bar != nil {
		_ = b.bar.Finish()
	}
}
