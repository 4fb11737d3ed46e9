package health

import (
	"cmp"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lanyard/lanyard/core/backup"
	"github.com/lanyard/lanyard/core/human"
	"github.com/lanyard/lanyard/core/wire"
)

// Formats a report is written in.
const (
	FormatText = "text"
	FormatCSV  = "csv"
	FormatJSON = "json"
	FormatHTML = "html"
)

// Formats lists them, as the command line names them.
var Formats = []string{FormatText, FormatCSV, FormatJSON, FormatHTML}

// FormatOf is the format a file's name asks for by its extension: .csv,
// .json, .txt; HTML for any other.
func FormatOf(name string) string {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".csv":
		return FormatCSV
	case ".json":
		return FormatJSON
	case ".txt", ".text":
		return FormatText
	}
	return FormatHTML
}

// Report is the fleet's backup health at one moment: what `lanyard
// report` prints and the daily mail says.
type Report struct {
	Generated time.Time
	// Since: tasks that are well (ok, running) are listed only when their
	// last run ended within it; 0 lists every task. Problems (failed,
	// overdue, unknown) are always listed.
	Since  time.Duration
	Rows   []Row // listed, by state (worst first), slave, task
	Counts Counts
	Slaves int
	// Ran counts the runs that ended within Since (all when 0) by
	// whether they succeeded.
	RanOK, RanFailed int
	// Scope names what the report covers when it is not the whole fleet
	// (a group, a server), for its title and subject; "" for the fleet.
	Scope string
	// Disconnected counts the tasks of the slaves the console's user
	// disconnected, named in DisconnectedSlaves (sorted). They are
	// listed, all of them, but left out of the counts above, as nothing
	// of such a slave is announced: it is not watched.
	Disconnected       int
	DisconnectedSlaves []string
	// Muted are the slaves whose alerts the user muted at the report's
	// time, by name (sorted): counted as any other, but nobody is told
	// of them until the mute ends.
	Muted []MutedSlave
	// NeverLinked are the slaves that have never linked to this console:
	// none of their tasks is known, so nothing of their backups is in the
	// report, and nothing is watched. The text names them, the JSON and
	// CSV give each a record of its own. The report's maker sets it
	// (master.NeverLinkedNotes).
	NeverLinked []NeverLinkedSlave
}

// NeverLinkedSlave is a slave that never linked to this console, and why
// when it is known ("wrong management password …", "its agent has not
// dialed in yet").
type NeverLinkedSlave struct {
	Name, Group, Why string
}

// String is the slave as the report's text names it: "FS07 (wrong
// management password …)".
func (n NeverLinkedSlave) String() string {
	if n.Why == "" {
		return n.Name
	}
	return n.Name + " (" + n.Why + ")"
}

// MutedSlave is a slave whose alerts are muted, and until when.
type MutedSlave struct {
	Name  string
	Until time.Time
}

// NewReport makes the report of rows at now.
func NewReport(rows []Row, now time.Time, since time.Duration) Report {
	r := Report{Generated: now, Since: since}
	slaves, held, muted := map[string]bool{}, map[string]string{}, map[string]MutedSlave{}
	for _, row := range rows {
		if !row.Disconnected && row.MutedUntil.After(now) {
			muted[row.SlaveID] = MutedSlave{row.Slave, row.MutedUntil}
		}
		if row.Disconnected {
			r.Disconnected++
			held[row.SlaveID] = row.Slave
			r.Rows = append(r.Rows, row)
			continue
		}
		r.Counts.Add(row.State, 1)
		slaves[row.SlaveID] = true
		recent := since <= 0 || !row.LastRun.IsZero() && now.Sub(row.LastRun) <= since
		if recent && !row.LastRun.IsZero() {
			if row.LastResult.Succeeded() {
				r.RanOK++
			} else if Failure(row.LastResult) {
				r.RanFailed++
			}
		}
		if recent || row.State == StateFailed || row.State == StateOverdue || row.State == StateUnknown || row.Dest.Low() != "" || row.LastDamaged > 0 || row.Warned() {
			r.Rows = append(r.Rows, row)
		}
	}
	r.Slaves = len(slaves)
	r.DisconnectedSlaves = slices.SortedFunc(maps.Values(held), human.CompareNames)
	r.Muted = slices.SortedFunc(maps.Values(muted), func(a, b MutedSlave) int {
		return human.CompareNames(a.Name, b.Name)
	})
	slices.SortFunc(r.Rows, func(a, b Row) int {
		return cmp.Or(b.State.rank()-a.State.rank(), human.CompareNames(a.Slave, b.Slave), human.CompareNames(a.Task, b.Task))
	})
	return r
}

// Of is the listed rows in state s, of the slaves counted.
func (r *Report) Of(s State) []Row {
	var out []Row
	for _, row := range r.Rows {
		if row.State == s && !row.Disconnected {
			out = append(out, row)
		}
	}
	return out
}

// ShortOfRoom is the listed rows, of the slaves counted, whose
// destination may not take the next runs (DestSpace.Low).
func (r *Report) ShortOfRoom() []Row {
	var out []Row
	for _, row := range r.Rows {
		if !row.Disconnected && row.Dest.Low() != "" {
			out = append(out, row)
		}
	}
	return out
}

// WithDamage is the listed rows, of the slaves counted, whose last run's
// verify found copies damaged (Row.LastDamaged).
func (r *Report) WithDamage() []Row {
	var out []Row
	for _, row := range r.Rows {
		if !row.Disconnected && row.LastDamaged > 0 {
			out = append(out, row)
		}
	}
	return out
}

// WithWarnings is the listed rows, of the slaves counted, whose last run
// completed with warnings other than damaged copies (Row.Warned).
func (r *Report) WithWarnings() []Row {
	var out []Row
	for _, row := range r.Rows {
		if !row.Disconnected && row.Warned() {
			out = append(out, row)
		}
	}
	return out
}

// WithWarningsWords counts n tasks whose last run completed with
// warnings, as the report's subject and the overview say it.
func WithWarningsWords(n int) string {
	return human.Plural(n, "task", "tasks") + " completed with warnings"
}

// WithDamageWords counts n tasks with damaged copies, as the report's
// subject says it.
func WithDamageWords(n int) string {
	return human.Plural(n, "task", "tasks") + " with damaged copies"
}

// NearlyFull counts n tasks whose destination is short of room, as the
// report's subject and lanyard check say it.
func NearlyFull(n int) string {
	return human.Plural(n, "task's destination", "tasks' destinations") + " nearly full"
}

// OfDisconnected is the rows of the slaves the user disconnected.
func (r *Report) OfDisconnected() []Row {
	var out []Row
	for _, row := range r.Rows {
		if row.Disconnected {
			out = append(out, row)
		}
	}
	return out
}

// subjectNames is how many disconnected slaves a subject names.
const subjectNames = 2

// heldWords names the disconnected slaves, the first most by name.
func (r *Report) heldWords(most int) string {
	return human.List(r.DisconnectedSlaves[:min(most, len(r.DisconnectedSlaves))], len(r.DisconnectedSlaves))
}

// Subject is a mail subject that says it all: "Backups: 2 failed, 1
// overdue of 42 tasks", "Backups of Acme: all 42 tasks ok; FS02
// disconnected".
func (r *Report) Subject() string {
	head := "Backups"
	if r.Scope != "" {
		head += " of " + r.Scope
	}
	var bad []string
	for _, s := range []State{StateFailed, StateOverdue, StateUnknown} {
		if n := r.Counts.Of(s); n > 0 {
			bad = append(bad, human.Count(n)+" "+string(s))
		}
	}
	total := r.Counts.Total()
	var counted string
	switch {
	case len(bad) > 0:
		counted = strings.Join(bad, ", ") + " of " + human.Plural(total, "task", "tasks")
	case total > 0:
		counted = "all " + human.Plural(total, "task", "tasks") + " ok"
	case r.Disconnected == 0:
		counted = "no tasks"
	}
	if n := len(r.WithDamage()); n > 0 && counted != "" {
		counted += "; " + WithDamageWords(n)
	}
	if n := len(r.ShortOfRoom()); n > 0 && counted != "" {
		counted += "; " + NearlyFull(n)
	}
	if n := len(r.WithWarnings()); n > 0 && counted != "" {
		counted += "; " + WithWarningsWords(n)
	}
	if n := len(r.NeverLinked); n > 0 {
		counted = strings.TrimPrefix(counted+"; "+NeverLinkedWords(n), "; ")
	}
	if len(r.DisconnectedSlaves) > 0 {
		held := r.heldWords(subjectNames) + " disconnected"
		if counted == "" {
			return head + ": " + held
		}
		counted += "; " + held
	}
	return head + ": " + counted
}

// Write writes the report in format.
func (r *Report) Write(w io.Writer, format string, loc *time.Location) error {
	switch format {
	case FormatText, "":
		return r.WriteText(w, loc)
	case FormatCSV:
		return r.WriteCSV(w)
	case FormatJSON:
		return r.WriteJSON(w)
	case FormatHTML:
		return r.WriteHTML(w, loc)
	}
	return fmt.Errorf("%q is not a report format: use text, csv, json or html", format)
}

// TaskJSON is one task in a JSON or CSV report.
type TaskJSON struct {
	Slave                string     `json:"slave"`
	Group                string     `json:"group"`
	Task                 string     `json:"task"`
	State                State      `json:"state"`
	LastResult           string     `json:"last_result"`
	LastRun              *time.Time `json:"last_run"`
	LastSuccess          *time.Time `json:"last_success"`
	FailuresSinceSuccess int        `json:"failures_since_success"`
	NextRun              *time.Time `json:"next_run"`
	Overdue              bool       `json:"overdue"`
	Running              bool       `json:"running"`
	Error                string     `json:"error,omitempty"`
	// RetryAt: when the agent tries the failed last run again (at or
	// before last_run: once it is back); absent when it does not.
	RetryAt *time.Time `json:"retry_at,omitempty"`
	// LastKnown: the slave is not linked; this is what was known at Seen.
	LastKnown bool       `json:"last_known"`
	Seen      *time.Time `json:"seen"`
	// Disconnected: the user disconnected the slave; nothing of it is
	// announced until it is connected again.
	Disconnected bool `json:"disconnected"`
	// MutedUntil: the user muted the slave's alerts until then; absent
	// when they are not.
	MutedUntil *time.Time `json:"muted_until,omitempty"`
	// DestFree and DestTotal: the destination disk's free and total
	// bytes after the last successful run; absent when not known.
	DestFree  uint64 `json:"dest_free,omitempty"`
	DestTotal uint64 `json:"dest_total,omitempty"`
	// SpaceLow says how the destination may not take the next runs
	// ("is 96 % full (80.0 GiB free of 2.0 TiB)"); absent when it may.
	SpaceLow string `json:"space_low,omitempty"`
	// Warnings counts the last run's warnings, and Warning is the first
	// (a file it could not read, a copy its verify found damaged); absent
	// when it had none.
	Warnings int    `json:"warnings,omitempty"`
	Warning  string `json:"warning,omitempty"`
	// Damaged counts the copies the last run's verify found missing or
	// changed; absent when it found none (or did not verify).
	Damaged int `json:"damaged,omitempty"`
	// NeverLinked: the record is of a slave that never linked to this
	// console, not of a task (Task is empty, State unknown, and Error
	// says why when it is known); absent for a task.
	NeverLinked bool `json:"never_linked,omitempty"`
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

// JSON is row as a report lists it.
func (row *Row) JSON() TaskJSON {
	return TaskJSON{Slave: row.Slave, Group: row.Group, Task: row.Task, State: row.State, LastResult: string(row.LastResult),
		LastRun: timePtr(row.LastRun), LastSuccess: timePtr(row.LastSuccess), FailuresSinceSuccess: row.FailuresSinceSuccess,
		NextRun: timePtr(row.NextRun), Overdue: row.Overdue, Running: row.Running, Error: row.LastError, RetryAt: timePtr(row.RetryAt),
		LastKnown: row.LastKnown, Seen: timePtr(row.Seen), Disconnected: row.Disconnected, MutedUntil: timePtr(row.MutedUntil),
		DestFree: row.Dest.Free, DestTotal: row.Dest.Total, SpaceLow: row.Dest.Low(), Warnings: row.LastWarnings, Warning: row.LastWarning,
		Damaged: row.LastDamaged}
}

// JSON is the record of a slave that never linked, as a report lists it
// after the tasks': nothing of its tasks is known.
func (n NeverLinkedSlave) JSON() TaskJSON {
	return TaskJSON{Slave: n.Name, Group: n.Group, State: StateUnknown, Error: n.Why, NeverLinked: true}
}

// records are the report's JSON and CSV records: one per listed task,
// then one per slave that never linked.
func (r *Report) records() []TaskJSON {
	out := make([]TaskJSON, 0, len(r.Rows)+len(r.NeverLinked))
	for i := range r.Rows {
		out = append(out, r.Rows[i].JSON())
	}
	for _, n := range r.NeverLinked {
		out = append(out, n.JSON())
	}
	return out
}

// WriteJSON writes one JSON object per line: per listed task, then per
// slave that never linked (TaskJSON.NeverLinked).
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	for _, j := range r.records() {
		if err := enc.Encode(j); err != nil {
			return err
		}
	}
	return nil
}

var csvHeader = []string{"slave", "group", "task", "state", "last_result", "last_run", "last_success",
	"failures_since_success", "next_run", "overdue", "running", "last_known", "seen", "error", "disconnected",
	"dest_free", "dest_total", "space_low", "retry_at", "muted_until", "warnings", "warning", "damaged", "never_linked"}

func rfc(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.Format(time.RFC3339)
}

// WriteCSV writes a header and the records WriteJSON writes, a line
// each: the columns of TaskJSON, those added later at the end, so that a
// script reading them by position goes on working. Its text cells are
// kept from running as spreadsheet formulas (human.SpreadsheetCell).
func (r *Report) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader); err != nil {
		return err
	}
	for _, j := range r.records() {
		text := human.SpreadsheetCell
		if err := cw.Write([]string{text(j.Slave), text(j.Group), text(j.Task), string(j.State), text(j.LastResult), rfc(j.LastRun), rfc(j.LastSuccess),
			strconv.Itoa(j.FailuresSinceSuccess), rfc(j.NextRun), strconv.FormatBool(j.Overdue), strconv.FormatBool(j.Running),
			strconv.FormatBool(j.LastKnown), rfc(j.Seen), text(j.Error), strconv.FormatBool(j.Disconnected),
			uintOrEmpty(j.DestFree), uintOrEmpty(j.DestTotal), text(j.SpaceLow), rfc(j.RetryAt), rfc(j.MutedUntil),
			uintOrEmpty(uint64(j.Warnings)), text(j.Warning), uintOrEmpty(uint64(j.Damaged)), strconv.FormatBool(j.NeverLinked)}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// uintOrEmpty is n in a CSV cell, empty for 0 (not known).
func uintOrEmpty(n uint64) string {
	if n == 0 {
		return ""
	}
	return strconv.FormatUint(n, 10)
}

// When is t as a report shows it, in loc: "never" for the zero time.
func When(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return "never"
	}
	return t.In(loc).Format("2006-01-02 15:04")
}

// Age is how long ago something was, in words: "just now", "12 min",
// "3 h 5 min", "2 d 4 h" (core/human).
func Age(d time.Duration) string {
	if d < time.Minute {
		return "just now"
	}
	return human.Duration(d)
}

// Detail is what a report says of a problem row, in one line.
func (row *Row) Detail(now time.Time, loc *time.Location) string {
	var b strings.Builder
	switch row.State {
	case StateFailed:
		fmt.Fprintf(&b, "%s %s", row.LastResult, When(row.LastRun, loc))
		if w := backup.RetryWords(row.PendingRetry(now), row.LastRun, loc); w != "" {
			b.WriteString(", " + w)
		}
		fmt.Fprintf(&b, "; last success %s", When(row.LastSuccess, loc))
		if row.FailuresSinceSuccess > 1 {
			fmt.Fprintf(&b, "; %s failures since", human.Count(row.FailuresSinceSuccess))
		}
		if row.LastError != "" {
			// The agent's words, quoted, as all a peer says is: a newline
			// of theirs would make a report line of its own.
			fmt.Fprintf(&b, ": %s", wire.QuoteUpTo(row.LastError, maxErrorText+len("…")))
		}
	case StateOverdue:
		fmt.Fprintf(&b, "last success %s", When(row.LastSuccess, loc))
		if !row.LastSuccess.IsZero() {
			fmt.Fprintf(&b, " (%s ago)", Age(now.Sub(row.LastSuccess)))
		}
	default:
		fmt.Fprintf(&b, "last run %s", When(row.LastRun, loc))
		if row.LastResult != "" {
			fmt.Fprintf(&b, " (%s)", row.LastResult)
		}
	}
	switch {
	case row.Disconnected:
		fmt.Fprintf(&b, " [last known: %s was disconnected by the console's user, last heard from %s]", row.Slave, When(row.Seen, loc))
	case row.LastKnown:
		fmt.Fprintf(&b, " [last known: %s is offline, last heard from %s]", row.Slave, When(row.Seen, loc))
	}
	return b.String()
}

// title is "Lanyard backup report", "… for Acme" with a scope.
func (r *Report) title() string {
	if r.Scope == "" {
		return "Lanyard backup report"
	}
	return "Lanyard backup report for " + r.Scope
}

func (r *Report) headline() string {
	return fmt.Sprintf("%s on %s: %s", human.Plural(r.Counts.Total(), "backup task", "backup tasks"),
		human.Plural(r.Slaves, "slave", "slaves"), r.Counts)
}

// heldLine says which tasks the counts leave out, "" when none.
func (r *Report) heldLine() string {
	if r.Disconnected == 0 {
		return ""
	}
	return fmt.Sprintf("Not counted: %s of %s, disconnected by the console's user.",
		human.Plural(r.Disconnected, "task", "tasks"), r.heldWords(len(r.DisconnectedSlaves)))
}

// mutedLine says whose alerts are muted, and until when; "" for nobody's.
func (r *Report) mutedLine(loc *time.Location) string {
	if len(r.Muted) == 0 {
		return ""
	}
	names := make([]string, len(r.Muted))
	for i, m := range r.Muted {
		names[i] = m.Name + " until " + When(m.Until, loc)
	}
	return "Alerts muted (maintenance): " + human.List(names, len(names)) + "."
}

// NeverLinkedWords counts n slaves that never linked, as the report's
// subject says it: "2 servers never linked".
func NeverLinkedWords(n int) string { return human.Plural(n, "server", "servers") + " never linked" }

// maxNeverLinkedNamed bounds the slaves a report's line names as never
// linked; the line counts the rest.
const maxNeverLinkedNamed = 20

// neverLinkedLine names the slaves that never linked, and why; "" when
// every one has.
func (r *Report) neverLinkedLine() string {
	if len(r.NeverLinked) == 0 {
		return ""
	}
	named := make([]string, min(len(r.NeverLinked), maxNeverLinkedNamed))
	for i := range named {
		named[i] = r.NeverLinked[i].String()
	}
	line := "Never linked to this console, so their backups are not watched: " + strings.Join(named, "; ")
	if more := len(r.NeverLinked) - len(named); more > 0 {
		line += "; and " + human.Count(more) + " more"
	}
	return line + "."
}

// ranLine sums up the tasks' last runs: those that ended within Since,
// or, with no Since, every task's.
func (r *Report) ranLine() string {
	what := "Each task's last run"
	if r.Since > 0 {
		what = "Runs that ended in the last " + human.Typed(r.Since)
	}
	return fmt.Sprintf("%s: %s succeeded, %s failed.", what, human.Count(r.RanOK), human.Count(r.RanFailed))
}

// WriteText writes the report for people: the counts, then every failed,
// overdue and unknown task, then the rest listed.
func (r *Report) WriteText(w io.Writer, loc *time.Location) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s, %s\n%s\n%s\n", r.title(), When(r.Generated, loc), r.headline(), r.ranLine())
	for _, line := range []string{r.heldLine(), r.mutedLine(loc), r.neverLinkedLine()} {
		if line != "" {
			fmt.Fprintln(&b, line)
		}
	}
	for _, sec := range r.sections() {
		fmt.Fprintf(&b, "\n%s (%s)\n", strings.ToUpper(sec.name), human.Count(len(sec.rows)))
		for i := range sec.rows {
			row := &sec.rows[i]
			fmt.Fprintf(&b, "  %s / %s%s: %s\n", row.Slave, row.Task, sec.state(row), sec.detail(row, r.Generated, loc))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// section is a part of the report's list: the rows in one state, the
// rows whose destination is short of room, or the disconnected slaves'
// rows, whose lines say their state.
type section struct {
	name string
	rows []Row
	held bool
	room bool // the lines say how the destination is short of room
	harm bool // the lines say what the last run's verify found damaged
	warn bool // the lines say the last run's warnings
}

// detail is what the section's line says of row.
func (sec *section) detail(row *Row, now time.Time, loc *time.Location) string {
	switch {
	case sec.room:
		return "the destination " + row.Dest.Low()
	case sec.harm:
		return DamagedWords(row.LastDamaged)
	case sec.warn:
		return warnedDetail(row, loc)
	}
	return row.Detail(now, loc)
}

// warnedDetail is a warned row's line: "last run 2026-12-07 02:00
// completed, 2 warnings: "/srv/docs/locked.pst: permission denied"", the
// agent's words quoted as its errors are.
func warnedDetail(row *Row, loc *time.Location) string {
	first := ""
	if row.LastWarning != "" {
		first = wire.QuoteUpTo(row.LastWarning, maxErrorText+len("…"))
	}
	return fmt.Sprintf("last run %s %s", When(row.LastRun, loc), WarnedWords(row.LastWarnings, first))
}

// state is " (overdue)" after a disconnected slave's task, "" elsewhere.
func (sec *section) state(row *Row) string {
	if !sec.held {
		return ""
	}
	return " (" + string(row.State) + ")"
}

// Names of the report's sections of destinations short of room, of
// damaged copies and of runs with warnings.
const (
	shortOfRoom = "destination nearly full"
	withDamage  = "damaged copies"
	withWarning = "completed with warnings"
)

// sections are the report's list, worst first, then the damaged copies,
// the destinations short of room and the runs with warnings before the
// tasks that are well, the disconnected last.
func (r *Report) sections() []section {
	var out []section
	for _, s := range States {
		if s == StateRunning {
			if rows := r.WithDamage(); len(rows) > 0 {
				out = append(out, section{name: withDamage, rows: rows, harm: true})
			}
			if rows := r.ShortOfRoom(); len(rows) > 0 {
				out = append(out, section{name: shortOfRoom, rows: rows, room: true})
			}
			if rows := r.WithWarnings(); len(rows) > 0 {
				out = append(out, section{name: withWarning, rows: rows, warn: true})
			}
		}
		if rows := r.Of(s); len(rows) > 0 {
			out = append(out, section{name: string(s), rows: rows})
		}
	}
	if rows := r.OfDisconnected(); len(rows) > 0 {
		out = append(out, section{name: "disconnected", rows: rows, held: true})
	}
	return out
}

var htmlReport = template.Must(template.New("report").Parse(`<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{{.Subject}}</title></head>
<body style="font-family: sans-serif; font-size: 14px; color: #222">
<h2 style="margin-bottom: 4px">{{.Title}}</h2>
<p style="margin-top: 0; color: #555">{{.When}}</p>
<p><b>{{.Headline}}</b><br>{{.Ran}}{{with .Held}}<br>{{.}}{{end}}{{with .Muted}}<br>{{.}}{{end}}{{with .NeverLinked}}<br>{{.}}{{end}}</p>
{{range .Sections}}
<h3 style="color: {{.Colour}}">{{.Name}} ({{len .Rows}})</h3>
<table cellpadding="4" cellspacing="0" style="border-collapse: collapse">
<tr style="background: #eee; text-align: left"><th>Slave</th><th>Group</th><th>Task</th><th>Details</th></tr>
{{range .Rows}}<tr style="border-top: 1px solid #ddd"><td>{{.Slave}}</td><td>{{.Group}}</td><td>{{.Task}}</td><td>{{.Detail}}</td></tr>
{{end}}</table>
{{end}}
</body></html>
`))

type htmlRow struct{ Slave, Group, Task, Detail string }

type htmlSection struct {
	Name, Colour string
	Rows         []htmlRow
}

// htmlColours are the sections' headings' colours, by their names.
var htmlColours = map[string]string{string(StateFailed): "#c62828", string(StateOverdue): "#e65100", string(StateUnknown): "#616161",
	string(StateRunning): "#1565c0", string(StateOK): "#2e7d32", "disconnected": "#616161", shortOfRoom: "#e65100",
	withDamage: "#c62828", withWarning: "#e65100"}

// WriteHTML writes the report as an HTML page (the daily mail's HTML
// part): the same sections as the text.
func (r *Report) WriteHTML(w io.Writer, loc *time.Location) error {
	data := struct {
		Subject, Title, When, Headline, Ran, Held, Muted, NeverLinked string
		Sections                                                      []htmlSection
	}{Subject: r.Subject(), Title: r.title(), When: When(r.Generated, loc), Headline: r.headline(), Ran: r.ranLine(), Held: r.heldLine(),
		Muted: r.mutedLine(loc), NeverLinked: r.neverLinkedLine()}
	for _, sec := range r.sections() {
		h := htmlSection{Name: strings.ToUpper(sec.name), Colour: htmlColours[sec.name]}
		for i := range sec.rows {
			row := &sec.rows[i]
			detail := sec.detail(row, r.Generated, loc)
			if state := sec.state(row); state != "" {
				detail = string(row.State) + ": " + detail
			}
			h.Rows = append(h.Rows, htmlRow{Slave: row.Slave, Group: row.Group, Task: row.Task, Detail: detail})
		}
		data.Sections = append(data.Sections, h)
	}
	return htmlReport.Execute(w, data)
}
