package ui

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2/storage"
	"github.com/lanyard/lanyard/core/master"
)

// Save Report… writes the report of the group the window shows, every
// task of it, whatever the state and text filters; the file's extension
// picks the format, and the name offered says whose report it is.
func TestTheBackupsWindowSavesTheReportOfTheGroupShown(t *testing.T) {
	v, src, _, _ := openBackups(t)
	// A server of Acme's that never linked has no task, but the report
	// names it.
	src.set(master.SlaveView{ID: "c9", Name: "FS09", Group: "acme", State: master.StateError, LastError: "wrong management password for FS09"})
	v.group.SetSelected("Acme")
	v.state.SetSelected("failed") // a filter of the view, not of the report
	r := v.report()
	if got := reportFileName(r); got != "lanyard-backup-report-acme-"+fixedNow.Format("20060102")+".html" {
		t.Errorf("the name offered is %q", got)
	}
	dir := t.TempDir()
	save := func(name string) (string, string) {
		t.Helper()
		w, err := storage.Writer(storage.NewFileURI(filepath.Join(dir, name)))
		if err != nil {
			t.Fatal(err)
		}
		msg, err := saveReport(w, &r, v.o.loc)
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return msg, string(b)
	}
	msg, html := save("acme.html")
	// The whole path: the dialog showed only the folder it opened in.
	if want := "Saved to " + filepath.Join(dir, "acme.html") + ":\nBackups of Acme: 1 failed of 3 tasks; 1 server never linked."; msg != want {
		t.Errorf("message %q, want %q", msg, want)
	}
	for _, want := range []string{"<h2 style=\"margin-bottom: 4px\">Lanyard backup report for Acme</h2>", "<td>offsite</td>", "<td>spool</td>", "<td>docs</td>",
		"Never linked to this console, so their backups are not watched: FS09 (wrong management password for FS09)."} {
		if !strings.Contains(html, want) {
			t.Errorf("the HTML lacks %q", want)
		}
	}
	if strings.Contains(html, "NAS") || strings.Contains(html, "WEB") {
		t.Errorf("the report of Acme lists another group's servers:\n%s", html)
	}
	// As CSV, a line per task, then FS09's of its own.
	if _, csv := save("acme.csv"); !strings.HasPrefix(csv, "slave,group,task,state,") || strings.Count(csv, "\n") != 5 ||
		!strings.Contains(csv, "\nFS09,") || !strings.HasSuffix(csv, ",true\n") {
		t.Errorf("CSV:\n%s", csv)
	}

	// The servers without a group, and the whole fleet.
	v.group.SetSelected(backupsUngrouped)
	r = v.report()
	if _, text := save("ungrouped.txt"); !strings.HasPrefix(text, "Lanyard backup report for servers without a group,") || !strings.Contains(text, "WEB / site") ||
		strings.Contains(text, "FS09") {
		t.Errorf("text:\n%s", text)
	}
	v.group.SetSelected(backupsAllGroups)
	r = v.report()
	if got := reportFileName(r); got != "lanyard-backup-report-"+fixedNow.Format("20060102")+".html" {
		t.Errorf("the fleet's name offered is %q", got)
	}
	if r.Counts.Total() != 5 {
		t.Errorf("the fleet's report counts %d tasks, want 5", r.Counts.Total())
	}
}
