package health

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
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
	if r := NewReport(rows, noon, 24*time.Hour); r.WriteCSV(&csv) != nil || !strings.Contains(csv.String(), ",retry_at,muted_until,warnings,warning,damaged\n") ||
		!strings.Contains(csv.String(), ",2026-03-10T12:10:00Z,,,,\n") {
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
	if !strings.HasSuffix(lines[0], ",error,disconnected,dest_free,dest_total,space_low,retry_at,muted_until,warnings,warning,damaged") || !strings.HasPrefix(lines[2], "FS02,,mail,") ||
		!strings.HasSuffix(lines[2], ",true,,,,,,,,") || !strings.HasSuffix(lines[4], ",true,,,,,,,,") || !strings.HasSuffix(lines[1], ",false,,,,,,,,") {
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
	if !strings.Contains(csv.String(), ",85899345920,2199023255552,is 96 % full (80.0 GiB free of 2.0 TiB),,,,,\n") {
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
	if strings.Count(csv.String(), ",2026-03-10T15:00:00Z,,,\n") != 1 {
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
	r.NeverLinked = []string{"FS07 (wrong management password for FS07)", "FS09 (offline)"}
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
	only.Scope, only.NeverLinked = "Acme", []string{"FS07 (offline)"}
	if want := "Backups of Acme: no tasks; 1 server never linked"; only.Subject() != want {
		t.Errorf("a group whose one server never linked: subject %q, want %q", only.Subject(), want)
	}
	for i := range 25 {
		r.NeverLinked = append(r.NeverLinked, fmt.Sprintf("S%02d (offline)", i))
	}
	if line := r.neverLinkedLine(); strings.Count(line, "(") != maxNeverLinkedNamed || !strings.HasSuffix(line, "; and 7 more.") {
		t.Errorf("27 never linked: %q", line)
	}
}

// When every slave reported on is disconnected, or many are, the
// subject still says so in a few words.
func TestASubjectNamesAFewDisconnectedSlaves(t *testing.T) {
	held := func(names ...string) []Row {
		var rows []Row
		for _, n := range names {
			rows = append(rows, Row{SlaveID: n, Slave: n, Task: "docs", Eval: Eval{State: StateOverdue}, Disconnected: true})
		}
		return rows
	}
	r := NewReport(held("FS02"), noon, 0)
	r.Scope = "Acme"
	if want := "Backups of Acme: FS02 disconnected"; r.Subject() != want {
		t.Errorf("subject %q, want %q", r.Subject(), want)
	}
	r = NewReport(append(reportRows()[:1], held("fs04", "FS03", "FS05")...), noon, 0)
	if want := "Backups: all 1 task ok; FS03, fs04 and 1 more disconnected"; r.Subject() != want {
		t.Errorf("subject %q, want %q", r.Subject(), want)
	}
	if r = NewReport(nil, noon, 0); r.Subject() != "Backups: no tasks" {
		t.Errorf("an empty fleet's subject %q", r.Subject())
	}
}

func TestAFilesNameSaysItsFormat(t *testing.T) {
	for name, want := range map[string]string{"acme.html": FormatHTML, "Acme.CSV": FormatCSV, "r.json": FormatJSON,
		"r.txt": FormatText, "report": FormatHTML, "r.htm": FormatHTML} {
		if got := FormatOf(name); got != want {
			t.Errorf("FormatOf(%q) = %q, want %q", name, got, want)
		}
	}
}

// A run's warnings are in the JSON and the CSV a monitoring system reads:
// how many, and the first.
func TestTheReportCarriesALastRunsWarnings(t *testing.T) {
	row := Row{Slave: "FS01", Task: "docs", Eval: Eval{State: StateOK}, LastResult: backup.ResultWarnings, LastRun: noon,
		LastWarnings: 2, LastWarning: "verify: /docs/a.txt content differs from the manifest"}
	row.LastDamaged = 1
	if j := row.JSON(); j.Warnings != 2 || j.Warning != row.LastWarning || j.Damaged != 1 {
		t.Errorf("JSON: %d warnings, first %q", j.Warnings, j.Warning)
	}
	var csv bytes.Buffer
	r := NewReport([]Row{row}, noon, 24*time.Hour)
	if err := r.WriteCSV(&csv); err != nil || !strings.HasSuffix(csv.String(), ",2,verify: /docs/a.txt content differs from the manifest,1\n") {
		t.Errorf("CSV (%v):\n%s", err, csv.String())
	}
}

// Copies a run's verify found damaged have a section of their own, in the
// text and the HTML, before the tasks that are well, and the subject
// counts them: the daily summary tells of a failing disk.
func TestTheReportNamesTheTasksWithDamagedCopies(t *testing.T) {
	rows := []Row{{SlaveID: "a", Slave: "FS01", Task: "docs", Eval: Eval{State: StateOK}, LastResult: backup.ResultWarnings,
		LastRun: noon.Add(-30 * 24 * time.Hour), LastDamaged: 2}}
	r := NewReport(rows, noon, 24*time.Hour) // listed though its run is not recent
	if got := r.Subject(); got != "Backups: all 1 task ok; 1 task with damaged copies" {
		t.Errorf("subject %q", got)
	}
	want := "\nDAMAGED COPIES (1)\n  FS01 / docs: 2 copies found damaged (the destination's disk may be failing; the next run copies them afresh and mends the older snapshots)\n"
	if text := textOf(t, &r); !strings.Contains(text, want) {
		t.Errorf("the text lacks %q:\n%s", want, text)
	}
	var html bytes.Buffer
	if err := r.WriteHTML(&html, time.UTC); err != nil || !strings.Contains(html.String(), `<h3 style="color: #c62828">DAMAGED COPIES (1)</h3>`) {
		t.Errorf("HTML (%v):\n%s", err, html.String())
	}
}

// A run that completed with warnings other than damaged copies (a file it
// could not read) is no alert, but the daily summary lists it in a
// section of its own, after the damaged copies, with the agent's first
// warning quoted, and the subject counts it: nobody has to open the
// console to learn that a file is left out of every backup.
func TestTheReportNamesTheTasksThatCompletedWithWarnings(t *testing.T) {
	warned := Row{SlaveID: "a", Slave: "FS01", Task: "docs", Eval: Eval{State: StateOK}, LastResult: backup.ResultWarnings,
		LastRun: noon.Add(-8 * 24 * time.Hour), LastWarnings: 2, LastWarning: "/srv/docs/locked.pst: permission denied\nINJECTED"}
	damaged := Row{SlaveID: "b", Slave: "FS02", Task: "pics", Eval: Eval{State: StateOK}, LastResult: backup.ResultWarnings,
		LastRun: noon.Add(-time.Hour), LastWarnings: 1, LastWarning: "verify: x", LastDamaged: 1}
	clean := Row{SlaveID: "c", Slave: "FS03", Task: "mail", Eval: Eval{State: StateOK}, LastResult: backup.ResultCompleted,
		LastRun: noon.Add(-8 * 24 * time.Hour)}
	r := NewReport([]Row{warned, damaged, clean}, noon, 24*time.Hour) // listed though its run is not recent
	if got := r.Subject(); got != "Backups: all 3 tasks ok; 1 task with damaged copies; 1 task completed with warnings" {
		t.Errorf("subject %q", got)
	}
	if got := len(r.WithWarnings()); got != 1 {
		t.Errorf("%d rows with warnings, want FS01's alone (FS02's are damaged copies)", got)
	}
	text := textOf(t, &r)
	want := "\nCOMPLETED WITH WARNINGS (1)\n  FS01 / docs: last run 2026-03-02 12:00 completed, 2 warnings: \"/srv/docs/locked.pst: permission denied\\nINJECTED\"\n"
	if !strings.Contains(text, want) {
		t.Errorf("the text lacks %q:\n%s", want, text)
	}
	if strings.Index(text, "DAMAGED COPIES") > strings.Index(text, "COMPLETED WITH WARNINGS") || strings.Contains(text, "FS03") {
		t.Errorf("damaged copies come first, and a clean run of old is not listed:\n%s", text)
	}
	var html bytes.Buffer
	if err := r.WriteHTML(&html, time.UTC); err != nil || !strings.Contains(html.String(), `<h3 style="color: #e65100">COMPLETED WITH WARNINGS (1)</h3>`) {
		t.Errorf("HTML (%v):\n%s", err, html.String())
	}
}
