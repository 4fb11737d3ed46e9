package ui

import (
	"fmt"
	"strings"
	"time"
	"unicode"

	"fyne.io/fyne/v2"

	"github.com/lanyard/lanyard/core/health"
	"github.com/lanyard/lanyard/core/master"
)

// The Backups window's Save Report…: the report `lanyard report` prints,
// of the group the window shows (every group: the fleet), to a file
// whose extension names its format (.html, .csv, .json or .txt), to send
// a customer or keep.

// askSaveReport asks where to save the report, then saves it off the
// Fyne thread and says how it went.
func (v *backupsView) askSaveReport() {
	r := v.report()
	askSaveFile(v.win, reportFileName(r), []string{".html", ".csv", ".json", ".txt"}, func(w fyne.URIWriteCloser) {
		v.wg.Go(func() {
			msg, err := saveReport(w, &r, v.o.loc)
			v.o.do(func() {
				if err != nil {
					showErr(v.win, err)
					return
				}
				showInfo(v.win, "Report saved", msg)
			})
		})
	}, func(err error) { showErr(v.win, err) })
}

// report is the report of the group shown, with its servers that never
// linked, which have no task to show.
func (v *backupsView) report() health.Report {
	v.mu.Lock()
	r := v.model.report(v.o.now())
	group := v.model.group
	v.mu.Unlock()
	r.NeverLinked = master.NeverLinkedNotes(v.src.Slaves(), func(s *master.SlaveView) bool { return inBackupsGroup(group, s.Group) })
	return r
}

// saveReport writes r to w, in the format w's name asks for and with
// times in loc, closes w, and says what it saved.
func saveReport(w fyne.URIWriteCloser, r *health.Report, loc *time.Location) (string, error) {
	name := whereSaved(w.URI())
	err := r.Write(w, health.FormatOf(name), loc)
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", fmt.Errorf("could not save the report to %s: %w", name, err)
	}
	return fmt.Sprintf("Saved to %s:\n%s.", name, r.Subject()), nil
}

// reportFileName is the name offered: lanyard-backup-report-acme-20261203.html.
func reportFileName(r health.Report) string {
	slug := strings.Map(func(c rune) rune {
		if unicode.IsLetter(c) || unicode.IsDigit(c) {
			return unicode.ToLower(c)
		}
		return '-'
	}, r.Scope)
	parts := []string{"lanyard-backup-report"}
	if slug = strings.Trim(slug, "-"); slug != "" {
		parts = append(parts, slug)
	}
	parts = append(parts, r.Generated.Format("20060102"))
	return strings.Join(parts, "-") + ".html"
}
