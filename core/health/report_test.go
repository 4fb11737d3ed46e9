package health

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lanyard/lanyard/core/backup"
)

func reportRows() []Row {
	return []Row{
		{SlaveID: "1", Slave: "FS01", Group: "Acme", Task: "docs", Eval: Eval{State: StateOK, NextRun: noon.Add(14 * time.Hour)},
			LastResult: backup.ResultCompleted, LastRun: ago(10 * time.Hour), LastSuccess: ago(10 * time.Hour)},
		{SlaveID: "1", Slave: "FS01", Group: "Acme", Task: "offsite", Eval: Eval{State: StateFailed},
			LastResult: backup.ResultFailed, LastRun: ago(9 * time.Hour), LastSuccess: ago(33 * time.Hour), FailuresSinceSuccess: 2,
			LastError: "destination /mnt/nas is not writable"},
		{SlaveID: "2", Slave: "FS02", Task: "mail", Eval: Eval{State: StateOverdue, Overdue: true},
			LastResult: backup.ResultCompleted, LastRun: ago(80 * time.Hour), LastSuccess: ago(80 * time.Hour), LastKnown: true, Seen: ago(70 * time.Hour)},
		{SlaveID: "2", Slave: "FS02", Task: "weekly", Eval: Eval{State: StateOK},
			LastResult: backup.ResultCompleted, LastRun: ago(5 * 24 * time.Hour), LastSuccess: ago(5 * 24 * time.Hour)},
	}
}

// Without --since the runs counted are every task's last one, and the
// report says so; with it, the time is as it was typed.
func TestAReportOverAllTimeCountsEachTasksLastRun(t *testing.T) {
	r := NewReport(reportRows(), noon, 0)
	var text bytes.Buffer
	if err := r.Write(&text, FormatText, time.UTC); err != nil {
		t.Fatal(err)
	}
	if want := "Each task's last run: 3 succeeded, 1 failed."; !strings.Contains(text.String(), want) {
		t.Errorf("the text lacks %q:\n%s", want, text.String())
	}
	text.Reset()
	r = NewReport(reportRows(), noon, 90*time.Minute)
	if err := r.Write(&text, FormatText, time.UTC); err != nil {
		t.Fatal(err)
	}
	if want := "Runs that ended in the last 1h30m: "; !strings.Contains(text.String(), want) {
		t.Errorf("--since 90m: the text lacks %q:\n%s", want, text.String())
	}
}

func TestTheReportListsEveryProblemAndCountsTheRest(t *testing.T) {
	r := NewReport(reportRows(), noon, 24*time.Hour)
	if r.Subject() != "Backups: 1 failed, 1 overdue of 4 tasks" {
		t.Fatalf("subject %q", r.Subject())
	}
	// The weekly task ran five days ago: counted, not listed.
	if len(r.Rows) != 3 || r.Rows[0].Task != "offsite" || r.Rows[1].Task != "mail" || r.Rows[2].Task != "docs" {
		t.Fatalf("rows %+v", r.Rows)
	}
	var text bytes.Buffer
	if err := r.Write(&text, FormatText, time.UTC); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"4 backup tasks on 2 slaves: 2 ok · 1 failed · 1 overdue",
		"Runs that ended in the last 24h: 1 succeeded, 1 failed.",
		"FAILED (1)\n  FS01 / offsite: failed 2026-03-10 03:00; last success 2026-03-09 03:00; 2 failures since: \"destination /mnt/nas is not writable\"",
		"OVERDUE (1)\n  FS02 / mail: last success 2026-03-07 04:00 (3 d 8 h ago) [last known: FS02 is offline, last heard from 2026-03-07 14:00]",
	} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("the text lacks %q:\n%s", want, text.String())
		}
	}
	var js bytes.Buffer
	if err := r.Write(&js, FormatJSON, time.UTC); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(js.String()), "\n")
	var first map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil || len(lines) != 3 {
		t.Fatalf("%d lines, %v", len(lines), err)
	}
	for _, k := range []string{"slave", "task", "state", "last_result", "last_run", "last_success", "failures_since_success", "next_run"} {
		if _, ok := first[k]; !ok {
			t.Errorf("a JSON task lacks %q: %v", k, first)
		}
	}
	if first["state"] != "failed" || first["failures_since_success"] != 2.0 || first["next_run"] != nil {
		t.Errorf("the failed task in JSON: %v", first)
	}
	var csv, html bytes.Buffer
	if err := r.Write(&csv, FormatCSV, time.UTC); err != nil || !strings.HasPrefix(csv.String(), "slave,group,task,state,") || strings.Count(csv.String(), "\n") != 4 {
		t.Fatalf("csv %v:\n%s", err, csv.String())
	}
	r.Rows[0].Task = "<script>"
	if err := r.Write(&html, FormatHTML, time.UTC); err != nil || strings.Contains(html.String(), "<script>") || !strings.Contains(html.String(), "&lt;script&gt;") {
		t.Fatalf("html %v: escaped? %s", err, html.String())
	}
	if err := r.Write(&html, "xml", time.UTC); err == nil {
		t.Fatal("an unknown format was taken")
	}
}

// The CSV's text cells are what the agents said, so one that a
// spreadsheet would read as a formula is kept as text; the same words stay
// as they were in JSON, for scripts.
func TestTheReportsCSVKeepsAnAgentsWordsFromRunningAsAFormula(t *testing.T) {
	rows := reportRows()
	rows[1].LastError = `=HYPERLINK("http://198.51.100.7/x","the share is not mounted")`
	r := NewReport(rows, noon, 24*time.Hour)
	var out bytes.Buffer
	if err := r.WriteCSV(&out); err != nil {
		t.Fatal(err)
	}
	cells, err := csv.NewReader(&out).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := slices.Index(cells[0], "error")
	var got []string
	for _, row := range cells[1:] {
		if row[col] != "" {
			got = append(got, row[col])
		}
	}
	if want := "'" + rows[1].LastError; len(got) != 1 || got[0] != want {
		t.Errorf("the error cells read %q, want only %q", got, want)
	}
	if j := rows[1].JSON(); j.Error != rows[1].LastError {
		t.Errorf("in JSON the error reads %q, want it as the agent said it", j.Error)
	}
}

// A failed task the agent tries again says when, until that time.
func TestTheReportSaysWhenAFailedTaskIsTriedAgain(t *testing.T) {
	rows := reportRows()
	rows[1].RetryAt = noon.Add(10 * time.Minute)
	want := "FS01 / offsite: failed 2026-03-10 03:00, tried again at 12:10; last success"
	if got := NewReport(rows, noon, 24*time.Hour); !strings.Contains(textOf(t, &got), want) {
		t.Errorf("before its retry, the text lacks %q:\n%s", want, textOf(t, &got))
	}
	if j := rows[1].JSON(); j.RetryAt == nil || !j.RetryAt.Equal(rows[1].RetryAt) || (rows[0].JSON()).RetryAt != nil {
		t.Errorf("in JSON: retry_at %v, and %v for a task not tried again", j.RetryAt, rows[0].JSON().RetryAt)
	}
	var csv bytes.Buffer
	if r := NewReport(rows, noon, 24*time.Hour); r.WriteCSV(&csv) != nil || !strings.Contains(csv.String(), ",retry_at,muted_until,warnings,warning,damaged,never_linked\n") ||
		!strings.Contains(csv.String(), ",2026-03-10T12:10:00Z,,,,,false\n") {
		t.Errorf("in CSV, no retry_at:\n%s", csv.String())
	}
	if got := NewReport(rows, noon.Add(time.Hour), 24*time.Hour); strings.Contains(textOf(t, &got), "tried again") {
		t.Errorf("past its retry's time, the text still promises it:\n%s", textOf(t, &got))
	}
	rows[1].RetryAt = rows[1].LastRun // cut short by its agent's end
	if got := NewReport(rows, noon.Add(time.Hour), 24*time.Hour); !strings.Contains(textOf(t, &got), "failed 2026-03-10 03:00, tried again once its agent is back;") {
		t.Errorf("waiting for its agent, the text lacks it:\n%s", textOf(t, &got))
	}
}

// textOf is the report as text, in UTC.
func textOf(t *testing.T, r *Report) string {
	t.Helper()
	var b bytes.Buffer
	if err := r.Write(&b, FormatText, time.UTC); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestAllWellSaysSo(t *testing.T) {
	r := NewReport(reportRows()[:1], noon, 0)
	if r.Subject() != "Backups: all 1 task ok" || len(r.Rows) != 1 {
		t.Fatalf("%q, %d rows", r.Subject(), len(r.Rows))
	}
}

func TestAnAgentsErrorIsQuotedInTheReport(t *testing.T) {
	rows := reportRows()
	rows[1].LastError = "disk full\nOK (4)\n  FS01 / offsite: completed"
	var text bytes.Buffer
	r := NewReport(rows, noon, 0)
	if err := r.Write(&text, FormatText, time.UTC); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text.String(), `: "disk full\nOK (4)\n  FS01 / offsite: completed"`) || strings.Contains(text.String(), "\nOK (4)\n") {
		t.Errorf("the agent's error made lines of its own:\n%s", text.String())
	}
}

func TestAReportOfThousandsReadsWithSeparators(t *testing.T) {
	rows := make([]Row, 0, 1201)
	for i := range 1200 {
		rows = append(rows, Row{SlaveID: fmt.Sprint("id", i%400), Slave: fmt.Sprint("FS", i%400), Task: fmt.Sprint("t", i), Eval: Eval{State: StateOverdue}})
	}
	rows = append(rows, Row{SlaveID: "id0", Slave: "FS0", Task: "docs", Eval: Eval{State: StateOK}})
	r := NewReport(rows, noon, 24*time.Hour)
	if got := r.Subject(); got != "Backups: 1,200 overdue of 1,201 tasks" {
		t.Fatalf("subject %q", got)
	}
	var b strings.Builder
	if err := r.WriteText(&b, time.UTC); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"1,201 backup tasks on 400 slaves: 1 ok · 1,200 overdue", "\nOVERDUE (1,200)\n"} {
		if !strings.Contains(b.String(), want) {
			t.Fatalf("no %q in\n%.400s", want, b.String())
		}
	}
}

func TestAReportOfOneGroupSaysSo(t *testing.T) {
	r := NewReport(reportRows(), noon, 24*time.Hour)
	r.Scope = "Acme"
	var text, html bytes.Buffer
	if err := r.WriteText(&text, time.UTC); err != nil || !strings.HasPrefix(text.String(), "Lanyard backup report for Acme, 2026-03-10 12:00\n") {
		t.Errorf("text %v:\n%s", err, &text)
	}
	if err := r.WriteHTML(&html, time.UTC); err != nil || !strings.Contains(html.String(), "<h2 style=\"margin-bottom: 4px\">Lanyard backup report for Acme</h2>") ||
		!strings.Contains(html.String(), "<title>Backups of Acme: 1 failed, 1 overdue of 4 tasks</title>") {
		t.Errorf("html %v:\n%s", err, &html)
	}
}

// A slave the user disconnected is not watched: its tasks are listed,
// in a section of their own that says each one's state, and left out of
// the counts and the subject's problems, which name the slave instead.
func TestTheReportSaysWhichSlavesWereDisconnected(t *testing.T) {
	rows := reportRows()
	rows[2].Disconnected, rows[3].Disconnected = true, true // FS02: its mail overdue, its weekly ok
	r := NewReport(rows, noon, 24*time.Hour)
	if want := "Backups: 1 failed of 2 tasks; FS02 disconnected"; r.Subject() != want {
		t.Errorf("subject %q, want %q", r.Subject(), want)
	}
	var text, js, csv, html bytes.Buffer
	for f, w := range map[string]*bytes.Buffer{FormatText: &text, FormatJSON: &js, FormatCSV: &csv, FormatHTML: &html} {
		if err := r.Write(w, f, time.UTC); err != nil {
			t.Fatal(err)
		}
	}
	for _, want := range []string{
		"2 backup tasks on 1 slave: 1 ok · 1 failed\n",
		"Not counted: 2 tasks of FS02, disconnected by the console's user.\n",
		"\nDISCONNECTED (2)\n  FS02 / mail (overdue): last success 2026-03-07 04:00 (3 d 8 h ago) [last known: FS02 was disconnected by the console's user, last heard from 2026-03-07 14:00]\n  FS02 / weekly (ok): last run 2026-03-05 12:00 (completed)",
	} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("the text lacks %q:\n%s", want, text.String())
		}
	}
	if strings.Contains(text.String(), "OVERDUE") {
		t.Errorf("the disconnected slave's overdue task is counted as overdue:\n%s", text.String())
	}
	for _, want := range []string{"<title>Backups: 1 failed of 2 tasks; FS02 disconnected</title>", "Not counted: 2 tasks of FS02",
		">DISCONNECTED (2)</h3>", "<td>overdue: last success 2026-03-07 04:00"} {
		if !strings.Contains(html.String(), want) {
			t.Errorf("the HTML lacks %q:\n%s", want, html.String())
		}
	}
	if !strings.Contains(js.String(), `"task":"mail"`) || strings.Count(js.String(), `"disconnected":true`) != 2 {
		t.Errorf("JSON:\n%s", js.String())
	}
	lines := strings.Split(strings.TrimSpace(csv.String()), "\n")
	if !strings.HasSuffix(lines[0], ",error,disconnected,dest_free,dest_total,space_low,retry_at,muted_until,warnings,warning,damaged,never_linked") || !strings.HasPrefix(lines[2], "FS02,,mail,") ||
		!strings.HasSuffix(lines[2], ",true,,,,,,,,,false") || !strings.HasSuffix(lines[4], ",true,,,,,,,,,false") || !strings.HasSuffix(lines[1], ",false,,,,,,,,,false") {
		t.Errorf("CSV:\n%s", csv.String())
	}
}

// A destination that may not take the next runs is named in a section
// of its own, before the tasks that are well, and in the subject, so
// that it is freed before the backups fail; JSON and CSV carry the space.
func TestTheReportNamesTheDestinationsNearlyFull(t *testing.T) {
	rows := reportRows()
	rows[0].Dest = DestSpace{Free: 80 << 30, Total: 2 << 40, Wrote: 1 << 30}  // FS01 docs, ok: 96 % full
	rows[3].Dest = DestSpace{Free: 900 << 30, Total: 2 << 40, Wrote: 1 << 30} // FS02 weekly: room
	r := NewReport(rows, noon, time.Hour)                                     // docs ran before the hour: listed for its disk
	if want := "Backups: 1 failed, 1 overdue of 4 tasks; 1 task's destination nearly full"; r.Subject() != want {
		t.Errorf("subject %q, want %q", r.Subject(), want)
	}
	var text, js, csv, html bytes.Buffer
	for f, w := range map[string]*bytes.Buffer{FormatText: &text, FormatJSON: &js, FormatCSV: &csv, FormatHTML: &html} {
		if err := r.Write(w, f, time.UTC); err != nil {
			t.Fatal(err)
		}
	}
	want := "\nDESTINATION NEARLY FULL (1)\n  FS01 / docs: the destination is 96 % full (80.0 GiB free of 2.0 TiB)\n"
	if !strings.Contains(text.String(), want) || strings.Index(text.String(), want) > strings.Index(text.String(), "\nOK (") {
		t.Errorf("the text lacks %q before the tasks that are ok:\n%s", want, text.String())
	}
	if !strings.Contains(html.String(), ">DESTINATION NEARLY FULL (1)</h3>") {
		t.Errorf("HTML:\n%s", html.String())
	}
	if !strings.Contains(js.String(), `"dest_free":85899345920,"dest_total":2199023255552,"space_low":"is 96 % full (80.0 GiB free of 2.0 TiB)"`) ||
		strings.Count(js.String(), `"space_low"`) != 1 {
		t.Errorf("JSON:\n%s", js.String())
	}
	if !strings.Contains(csv.String(), ",85899345920,2199023255552,is 96 % full (80.0 GiB free of 2.0 TiB),,,,,,false\n") {
		t.Errorf("CSV:\n%s", csv.String())
	}
}

// A slave whose alerts are muted is counted as any other; the report
// says whose alerts are muted, and until when, so that a failure nobody
// was told of is explained.
func TestTheReportSaysWhoseAlertsAreMuted(t *testing.T) {
	rows := reportRows()
	for i := range rows {
		if rows[i].Slave == "FS02" {
			rows[i].MutedUntil = noon.Add(3 * time.Hour)
		}
	}
	r := NewReport(rows, noon, 24*time.Hour)
	var text, js, csv, html bytes.Buffer
	for f, w := range map[string]*bytes.Buffer{FormatText: &text, FormatJSON: &js, FormatCSV: &csv, FormatHTML: &html} {
		if err := r.Write(w, f, time.UTC); err != nil {
			t.Fatal(err)
		}
	}
	want := "Alerts muted (maintenance): FS02 until 2026-03-10 15:00."
	if !strings.Contains(text.String(), want+"\n") || !strings.Contains(html.String(), want) || !strings.Contains(text.String(), "\nOVERDUE (1)\n  FS02 / mail") {
		t.Errorf("the report lacks %q, or leaves FS02's overdue task out:\n%s", want, text.String())
	}
	if strings.Count(js.String(), `"muted_until":"2026-03-10T15:00:00Z"`) != 1 { // FS02 / mail; its weekly, ok and not recent, is not listed
		t.Errorf("JSON:\n%s", js.String())
	}
	if strings.Count(csv.String(), ",2026-03-10T15:00:00Z,,,,false\n") != 1 {
		t.Errorf("CSV:\n%s", csv.String())
	}
	if r := NewReport(rows, noon.Add(4*time.Hour), 24*time.Hour); len(r.Muted) != 0 {
		t.Errorf("after the mute's end the report says %+v", r.Muted)
	}
}

// A slave that never linked has no task in the report: the report
// names it, with why, in its text, its HTML and its subject, so that a
// server added whose agent never came up is not simply absent.
func TestTheReportNamesTheSlavesThatNeverLinked(t *testing.T) {
	r := NewReport(reportRows(), noon, 24*time.Hour)
	r.NeverLinked = []NeverLinkedSlave{{"FS07", "Globex", "wrong management password for FS07"}, {"FS09", "", "offline"}}
	var text, html bytes.Buffer
	if err := r.WriteText(&text, time.UTC); err != nil {
		t.Fatal(err)
	}
	if err := r.WriteHTML(&html, time.UTC); err != nil {
		t.Fatal(err)
	}
	want := "Never linked to this console, so their backups are not watched: FS07 (wrong management password for FS07); FS09 (offline)."
	if !strings.Contains(text.String(), want+"\n") || !strings.Contains(html.String(), want) {
		t.Errorf("the report lacks %q:\n%s", want, text.String())
	}
	if !strings.HasSuffix(r.Subject(), "; 2 servers never linked") {
		t.Errorf("subject %q", r.Subject())
	}
	only := NewReport(nil, noon, 0)
	only.Scope, only.NeverLinked = "Acme", []NeverLinkedSlave{{"FS07", "Acme", "offline"}}
	if want := "Backups of Acme: no tasks; 1 server never linked"; only.Subject() != want {
		t.Errorf("a group whose one server never linked: subject %q, want %q", only.Subject(), want)
	}
	for i := range 25 {
		r.NeverLinked = append(r.NeverLinked, NeverLinkedSlave{Name: fmt.Sprintf("S%02d", i), Why: "offline"})
	}
	if line := r.neverLinkedLine(); strings.Count(line, "(") != maxNeverLinkedNamed || !strings.HasSuffix(line, "; and 7 more.") {
		t.Errorf("27 never linked: %q", line)
	}
}

// The JSON and CSV reports, a record per task, give a slave that never
// linked a record of its own after the tasks', marked so, with why: a
// script reading them finds it as the text's reader does.
func TestJSONAndCSVReportsListTheSlavesThatNeverLinked(t *testing.T) {
	r := NewReport(reportRows(), noon, 24*time.Hour)
	r.NeverLinked = []NeverLinkedSlave{{"FS07", "Globex", "wrong management password for FS07"}, {Name: "FS09"}}
	var jsonOut, csvOut bytes.Buffer
	if err := r.WriteJSON(&jsonOut); err != nil {
		t.Fatal(err)
	}
	if err := r.WriteCSV(&csvOut); err != nil {
		t.Fatal(err)
	}

	var records []TaskJSON
	for dec := json.NewDecoder(&jsonOut); dec.More(); {
		var j TaskJSON
		if err := dec.Decode(&j); err != nil {
			t.Fatal(err)
		}
		records = append(records, j)
	}
	if len(records) != len(r.Rows)+2 || slices.ContainsFunc(records[:len(r.Rows)], func(j TaskJSON) bool { return j.NeverLinked }) {
		t.Fatalf("JSON: want %d task records, then 2 never linked: %+v", len(r.Rows), records)
	}
	want := TaskJSON{Slave: "FS07", Group: "Globex", State: StateUnknown, Error: "wrong management password for FS07", NeverLinked: true}
	if got := records[len(r.Rows)]; !reflect.DeepEqual(got, want) {
		t.Errorf("FS07's record %+v, want %+v", got, want)
	}

	table, err := csv.NewReader(&csvOut).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	last := len(csvHeader) - 1
	fs09 := table[len(table)-1]
	if len(table) != len(r.Rows)+3 || table[0][last] != "never_linked" || table[1][last] != "false" ||
		fs09[0] != "FS09" || fs09[2] != "" || fs09[3] != "unknown" || fs09[last] != "true" {
		t.Errorf("CSV: %q", table)
	}
}
