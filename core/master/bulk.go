package master

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lanyard/lanyard/core/auth"
	"github.com/lanyard/lanyard/core/human"
	"github.com/lanyard/lanyard/core/link"
	"github.com/lanyard/lanyard/core/slavefile"
	"github.com/lanyard/lanyard/core/store"
)

// Importing and exporting entries in bulk (core/slavefile). An import
// checks every row first and reports every bad one by its line (a name or
// address used twice, in the file or by a slave already here, a bad
// address, a damaged key, neither a password nor a key); then, unless it
// is a dry run, it adds the good rows in one transaction. Keys exported
// by another console are taken as they are; passwords are turned into keys
// by a pool of workers, Argon2id bounding the time (64 MiB and about a
// fifth of a second each).

// ImportOptions tune an import.
type ImportOptions struct {
	// DryRun checks and derives everything and adds nothing.
	DryRun bool
	// SkipBad adds the good rows even when some are bad; otherwise one bad
	// row means nothing is added.
	SkipBad bool
	// Workers derive keys from passwords at once; default one per core.
	Workers int
	// Progress is told how many rows are done, of how many, as they are;
	// called from the workers, one call at a time.
	Progress func(done, total int)
}

// ImportReport says what an import did.
type ImportReport struct {
	Rows    int                    // rows read
	Bad     []*slavefile.LineError // the rows refused, by line
	Derived int                    // keys derived from passwords
	// Added are the entries added (none on a dry run, and none when a row
	// was bad without SkipBad); Ready are those that would be.
	Added []store.Slave
	Ready int
}

// ErrBadRows is returned (errors.Is) when rows were refused and, without
// SkipBad, nothing was added.
var ErrBadRows = errors.New("some rows are refused")

// ErrHereAlready is a row refused because its slave is here already, by
// name or address (errors.Is): a file imported twice has every row so
// refused.
var ErrHereAlready = errors.New("the slave is here already")

// hereAlready is a refusal that is ErrHereAlready, in its own words.
type hereAlready struct{ error }

func (hereAlready) Is(target error) bool { return target == ErrHereAlready }

// HereAlready is how many rows were refused because their slave is here
// already.
func (r ImportReport) HereAlready() int {
	n := 0
	for _, b := range r.Bad {
		if errors.Is(b, ErrHereAlready) {
			n++
		}
	}
	return n
}

// RefusedWords says which rows of file an import refused, of rows in all,
// when bad were refused, ready could be added, and hereAlready of the bad
// ones are slaves here already: "2 of 5 rows of F are refused", "all 3
// rows of F are refused", or, for a file imported twice, "all 3 slaves in
// F are here already".
func RefusedWords(file string, rows, bad, ready, hereAlready int) string {
	switch {
	case ready == 0 && bad == hereAlready && rows == 1:
		return "the 1 slave in " + file + " is here already"
	case ready == 0 && bad == hereAlready:
		return "all " + human.Count(rows) + " slaves in " + file + " are here already"
	case ready == 0 && rows == 1:
		return "the 1 row of " + file + " is refused"
	case ready == 0:
		return "all " + human.Count(rows) + " rows of " + file + " are refused"
	}
	return human.Count(bad) + " of " + human.Count(rows) + " rows of " + file + " are refused"
}

// ImportSlaves checks rows, derives their keys and adds them to db (see
// above). ctx stops the key derivations.
func ImportSlaves(ctx context.Context, db *store.DB, rows []slavefile.Row, o ImportOptions) (ImportReport, error) {
	rep := ImportReport{Rows: len(rows)}
	existing, err := db.Slaves()
	if err != nil {
		return rep, err
	}
	prepared, bad := checkRows(rows, existing)
	rep.Bad = bad
	entries, derived, bad, err := makeKeys(ctx, prepared, o, len(rows), len(rows)-len(prepared))
	rep.Bad = sortedBad(append(rep.Bad, bad...))
	rep.Derived = derived
	if err != nil {
		return rep, err
	}
	rep.Ready = len(entries)
	switch {
	case len(rep.Bad) > 0 && !o.SkipBad:
		return rep, fmt.Errorf("%w: %d of %d; nothing was added", ErrBadRows, len(rep.Bad), len(rows))
	case o.DryRun || len(entries) == 0:
		return rep, nil
	}
	if rep.Added, err = db.AddSlaves(entries); err != nil {
		return rep, err
	}
	return rep, nil
}

// preparedRow is a row that passed the cheap checks, waiting for its key.
type preparedRow struct {
	line     int
	entry    store.Slave
	password string
}

// checkRows makes the checks that cost nothing: the values, and names and
// addresses used twice, in the file or already.
func checkRows(rows []slavefile.Row, existing []store.Slave) ([]preparedRow, []*slavefile.LineError) {
	names, addrs := map[string]claim{}, map[string]claim{}
	for _, e := range existing {
		names[strings.ToLower(e.Name)] = claim{slave: e.Name}
		if e.Direction == store.Outbound {
			addrs[strings.ToLower(e.Address)] = claim{slave: e.Name}
		}
	}
	var out []preparedRow
	var bad []*slavefile.LineError
	for _, r := range rows {
		p, err := prepareRow(r)
		if err == nil {
			if by, ok := names[strings.ToLower(p.entry.Name)]; ok {
				err = by.nameTaken(p.entry.Name)
			} else if by, ok := addrs[strings.ToLower(p.entry.Address)]; ok && p.entry.Direction == store.Outbound {
				err = by.addressTaken(p.entry.Address)
			}
		}
		if err != nil {
			bad = append(bad, &slavefile.LineError{Line: r.Line, Err: err})
			continue
		}
		names[strings.ToLower(p.entry.Name)] = claim{line: r.Line}
		if p.entry.Direction == store.Outbound {
			addrs[strings.ToLower(p.entry.Address)] = claim{line: r.Line}
		}
		out = append(out, p)
	}
	return out, bad
}

// claim is who holds a name or an address first: a slave already here, or
// an earlier line of the file.
type claim struct {
	slave string // the slave already here, or ""
	line  int    // else the file's line
}

func (c claim) nameTaken(name string) error {
	if c.slave != "" {
		return hereAlready{fmt.Errorf("a slave named %s is here already: give this row another name, or leave it out", c.slave)}
	}
	return fmt.Errorf("the name %s is on line %d too: give one of them another name", name, c.line)
}

// addressTaken: one console never holds two links to one slave, so two
// entries never dial one address.
func (c claim) addressTaken(addr string) error {
	if c.slave != "" {
		return hereAlready{fmt.Errorf("slave %s here already has the address %s: one server needs one entry, so leave this row out", c.slave, addr)}
	}
	return fmt.Errorf("the address %s is on line %d too: one server needs one entry, so leave one of them out", addr, c.line)
}

// prepareRow checks one row's values and reads its key, if it has one.
func prepareRow(r slavefile.Row) (preparedRow, error) {
	p := preparedRow{line: r.Line, password: r.Password}
	dir := store.Direction(strings.ToLower(r.Direction))
	if dir == "" {
		dir = store.Inbound
		if r.Address != "" {
			dir = store.Outbound
		}
	}
	spec := SlaveSpec{Name: r.Name, Group: r.Group, Direction: dir, Address: r.Address, Notes: r.Notes, Fingerprint: r.Fingerprint}
	if dir == store.Inbound && r.Address != "" {
		return p, fmt.Errorf("%s is inbound (it dials the console), so it has no address: clear the address or make it outbound", r.Name)
	}
	if err := spec.validate(false); err != nil {
		return p, err
	}
	switch {
	case r.Key != "" && r.Password != "":
		return p, errors.New("give a password or a key, not both")
	case r.Key == "" && r.Password == "":
		return p, errors.New("no password and no key: give the management password set on the agent, or a key another console exported")
	}
	p.entry = store.Slave{Name: spec.Name, Group: spec.Group, Direction: spec.Direction, Address: spec.Address,
		Notes: spec.Notes, PinnedCert: spec.Fingerprint}
	if r.Key != "" {
		k, kdf, err := slavefile.ParseKey(r.Key)
		if err != nil {
			return p, err
		}
		p.entry.Key, p.entry.KDF = k[:], storeKDF(kdf)
	}
	return p, nil
}

// makeKeys derives the keys of the rows that have a password, on
// o.Workers workers, and reports progress over total rows, done of which
// are done already.
func makeKeys(ctx context.Context, rows []preparedRow, o ImportOptions, total, done int) ([]store.Slave, int, []*slavefile.LineError, error) {
	var (
		mu       sync.Mutex
		bad      []*slavefile.LineError
		progress atomic.Int64
		derived  atomic.Int64
	)
	progress.Store(int64(done))
	report := func() {
		if o.Progress != nil {
			mu.Lock()
			o.Progress(int(progress.Add(1)), total)
			mu.Unlock()
		} else {
			progress.Add(1)
		}
	}
	ok := make([]bool, len(rows))
	workers := o.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	forEach(ctx, len(rows), workers, func(i int) {
		r := &rows[i]
		if r.password != "" {
			k, err := auth.DeriveKey([]byte(r.password), r.entry.Name, auth.DefaultKDF)
			r.password = ""
			if err != nil {
				mu.Lock()
				bad = append(bad, &slavefile.LineError{Line: r.line, Err: err})
				mu.Unlock()
				report()
				return
			}
			r.entry.Key, r.entry.KDF = k[:], storeKDF(auth.DefaultKDF)
			derived.Add(1)
		}
		ok[i] = true
		report()
	})
	if err := ctx.Err(); err != nil {
		return nil, int(derived.Load()), bad, fmt.Errorf("stopped before every key was derived: %w", err)
	}
	entries := make([]store.Slave, 0, len(rows))
	for i, r := range rows {
		if ok[i] {
			entries = append(entries, r.entry)
		}
	}
	return entries, int(derived.Load()), bad, nil
}

func sortedBad(bad []*slavefile.LineError) []*slavefile.LineError {
	slices.SortStableFunc(bad, func(a, b *slavefile.LineError) int { return cmp.Compare(a.Line, b.Line) })
	return bad
}

// ExportRows is every entry of db as rows of the slave list file, by name;
// with keys, each row carries its key (the file is then as secret as the
// passwords), and inDoubt names the entries whose key may not be the one
// their agent holds: a password change awaits its answer (ChangePassword),
// and the row has the key from before it.
func ExportRows(db *store.DB, withKeys bool) (rows []slavefile.Row, inDoubt []string, err error) {
	entries, err := db.Slaves()
	if err != nil {
		return nil, nil, err
	}
	rows = make([]slavefile.Row, len(entries))
	for i, e := range entries {
		rows[i] = slavefile.Row{Name: e.Name, Direction: string(e.Direction), Address: e.Address, Group: e.Group,
			Fingerprint: link.FormatFingerprint(e.PinnedCert), Notes: e.Notes}
		if withKeys {
			rows[i].Key = slavefile.FormatKey(entryKey(e), authKDF(e.KDF))
			if e.PasswordInDoubt() {
				inDoubt = append(inDoubt, e.Name)
			}
		}
	}
	return rows, inDoubt, nil
}

// InDoubtWarning says what an export with keys means for the entries
// ExportRows named in doubt; "" when there are none.
func InDoubtWarning(inDoubt []string) string {
	if len(inDoubt) == 0 {
		return ""
	}
	return fmt.Sprintf("a password change to %s has not been answered yet: the file holds the key from before it, which the agent may no longer take. Export again once the slave has linked (the Remote Management Log says which password it has)",
		strings.Join(inDoubt, ", "))
}

// ExportSlaves is every entry as rows of the slave list file (ExportRows).
func (m *Master) ExportSlaves(withKeys bool) ([]slavefile.Row, []string, error) {
	return ExportRows(m.cfg.DB, withKeys)
}

// ImportSlaves imports rows (see the package function) and starts linking
// the new slaves; the log gets one record for the whole import.
func (m *Master) ImportSlaves(ctx context.Context, rows []slavefile.Row, o ImportOptions, from string) (ImportReport, error) {
	rep, err := ImportSlaves(ctx, m.cfg.DB, rows, o)
	if len(rep.Added) == 0 {
		return rep, err
	}
	now := time.Now()
	m.mu.Lock()
	for _, e := range rep.Added {
		s := newSlave(e, now)
		m.slaves[e.ID] = s
		m.byName[strings.ToLower(e.Name)] = s
		if e.Direction == store.Outbound {
			m.startDialerLocked(s)
		}
	}
	m.mu.Unlock()
	m.record(recordArgs{kind: store.KindAdded, severity: store.SeverityInfo,
		reason: human.Plural(len(rep.Added), "slave", "slaves") + " imported from " + from})
	m.hub.publish(Event{Time: now, Kind: EventResync})
	return rep, err
}
