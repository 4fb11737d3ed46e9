package ui

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/lanyard/lanyard/core/master"
	"github.com/lanyard/lanyard/core/slavefile"
	"github.com/lanyard/lanyard/internal/testkit"
	"github.com/lanyard/lanyard/internal/testkit/mastertest"
)

func TestImportListsTheBadRowsAndAddsTheGoodOnesOnlyWhenAsked(t *testing.T) {
	noLeaksAfter(t)
	c := mastertest.Start(t, mastertest.Options{Listen: true})
	mw, q := openMainWindow(t, c, nil)
	rows, bad, err := slavefile.Read(strings.NewReader("name,direction,key\n"+
		"FS01,inbound,"+testkit.ExportedKey(1)+"\n"+
		"FS02,inbound,"+testkit.ExportedKey(2)+"\n"+
		"fs01,inbound,"+testkit.ExportedKey(3)+"\n"), slavefile.CSV)
	if err != nil {
		t.Fatal(err)
	}
	mw.importRows("fleet.csv", rows, bad, false)
	q.runUntil(t, "the list of bad rows", func() bool { return strings.Contains(overlayText(mw.win), "are refused") })
	text := overlayText(mw.win)
	for _, want := range []string{"1 of 3 rows of fleet.csv are refused, so nothing was added", "line 4: the name fs01 is on line 2 too"} {
		if !strings.Contains(text, want) {
			t.Errorf("the dialog does not say %q:\n%s", want, text)
		}
	}
	if n := len(c.Slaves()); n != 0 {
		t.Fatalf("%d slaves added while a row was bad", n)
	}
	tapButton(t, mw.win, "Add the 2 good ones")
	q.runUntil(t, "the import's result", func() bool { return strings.Contains(overlayText(mw.win), "Added 2 slaves from fleet.csv") })
	for _, o := range test.LaidOutObjects(mw.win.Canvas().Overlays().Top()) {
		if l, ok := o.(*widget.Label); ok && l.Selectable {
			t.Errorf("the import's result has a record view saying %q", l.Text)
		}
	}
	q.runUntil(t, "the two slaves in the tree", func() bool { return rowOf(mw, "FS01") != "" && rowOf(mw, "FS02") != "" })

	// The same file again: nothing in it is new, and nothing is offered.
	mw.win.Canvas().Overlays().Top().Hide()
	mw.importRows("fleet.csv", rows, bad, false)
	q.runUntil(t, "the file's rows refused", func() bool { return strings.Contains(overlayText(mw.win), "here already, so") })
	if text := overlayText(mw.win); !strings.Contains(text, "All 3 slaves in fleet.csv are here already, so nothing was added.") ||
		strings.Contains(text, "Fix them") || strings.Contains(text, "good one") {
		t.Errorf("importing the file twice says:\n%s", text)
	}
}

func TestTheHeadOfRefusedRowsSaysWhatCanBeDone(t *testing.T) {
	bad := func(errs ...error) []*slavefile.LineError {
		var out []*slavefile.LineError
		for i, err := range errs {
			out = append(out, &slavefile.LineError{Line: i + 2, Err: err})
		}
		return out
	}
	here := fmt.Errorf("a slave named fs01 is here already: %w", master.ErrHereAlready)
	wrong := errors.New("no password and no key")
	for _, c := range []struct {
		name string
		rows int
		rep  master.ImportReport
		want string
	}{
		{"some good", 3, master.ImportReport{Bad: bad(wrong), Ready: 2}, "1 of 3 rows of f.csv are refused, so nothing was added. Fix it and import again, or add the 2 good ones now."},
		{"one good", 2, master.ImportReport{Bad: bad(here), Ready: 1}, "1 of 2 rows of f.csv are refused, so nothing was added. Fix it and import again, or add the 1 good one now."},
		{"none good", 2, master.ImportReport{Bad: bad(wrong, here)}, "All 2 rows of f.csv are refused, so nothing was added. Fix them and import again."},
		{"the one row bad", 1, master.ImportReport{Bad: bad(wrong)}, "The 1 row of f.csv is refused, so nothing was added. Fix it and import again."},
		{"all here already", 2, master.ImportReport{Bad: bad(here, here)}, "All 2 slaves in f.csv are here already, so nothing was added."},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := badRowsHead("f.csv", c.rows, c.rep); got != c.want {
				t.Errorf("badRowsHead = %q,\nwant %q", got, c.want)
			}
		})
	}
}

// Why a row was refused is often longer than the dialog is wide: the list
// cuts it with an ellipsis, and the row selected (the first, at first) is
// read in full under the list, where it can be selected and copied.
func TestARefusedRowIsReadInFullUnderTheList(t *testing.T) {
	c := mastertest.Start(t, mastertest.Options{})
	mw, q := openMainWindow(t, c, nil)
	rows, bad, err := slavefile.Read(strings.NewReader("name,direction,password\n"+
		"FS01,inbound,pw\n"+"FS02,inbound,\n"), slavefile.CSV)
	if err != nil {
		t.Fatal(err)
	}
	mw.importRows("fleet.csv", rows, bad, false)
	q.runUntil(t, "the list of bad rows", func() bool { return strings.Contains(overlayText(mw.win), "are refused") })
	var cut, full *widget.Label
	for _, o := range test.LaidOutObjects(mw.win.Canvas().Overlays().Top()) {
		l, ok := o.(*widget.Label)
		if !ok || !strings.HasPrefix(l.Text, "line 3: no password and no key") {
			continue
		}
		if l.Selectable {
			full = l
		} else {
			cut = l
		}
	}
	if cut == nil || cut.Truncation != fyne.TextTruncateEllipsis {
		t.Error("the list's row is not cut with an ellipsis")
	}
	if full == nil || full.Wrapping != fyne.TextWrapWord {
		t.Fatalf("the refused row is not shown in full under the list:\n%s", overlayText(mw.win))
	}
	if !strings.Contains(full.Text, "or a key another console exported") {
		t.Errorf("the row in full says %q", full.Text)
	}
}

func TestAnExportWithKeysIsOwnerOnlyAndImportsElsewhere(t *testing.T) {
	noLeaksAfter(t)
	c := mastertest.Start(t, mastertest.Options{Listen: true})
	rows, _, _ := slavefile.Read(strings.NewReader("name,direction,key\nFS01,inbound,"+testkit.ExportedKey(1)+"\n"), slavefile.CSV)
	if _, err := c.ImportSlaves(t.Context(), rows, master.ImportOptions{}, "test"); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "fleet.json")
	w, err := storage.Writer(storage.NewFileURI(path))
	if err != nil {
		t.Fatal(err)
	}
	if n, inDoubt, err := exportTo(w, c, true); err != nil || n != 1 || inDoubt != nil {
		t.Fatalf("exportTo = %d, %q, %v", n, inDoubt, err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("a file with keys has mode %v, want 0600", fi.Mode().Perm())
	}
	b, _ := os.ReadFile(path)
	if !strings.Contains(string(b), testkit.ExportedKey(1)) {
		t.Errorf("the export lacks the key:\n%s", b)
	}
}

// An import's progress says how long is left as the Tasks tab's ETA does.
func TestAnImportsProgressSaysHowLongIsLeft(t *testing.T) {
	for _, tt := range []struct {
		done, total int
		elapsed     time.Duration
		want        string
	}{
		{0, 40, 0, "0 of 40 slaves ready"},
		{0, 1, 0, "0 of 1 slave ready"},
		{10, 40, 30 * time.Second, "10 of 40 slaves ready, about 1 min left"},
		{100, 19000, 20 * time.Second, "100 of 19,000 slaves ready, about 1 h 3 min left"},
		{40, 40, time.Minute, "40 of 40 slaves ready"},
	} {
		if got := progressText(tt.done, tt.total, tt.elapsed); got != tt.want {
			t.Errorf("progressText(%d, %d, %s) = %q, want %q", tt.done, tt.total, tt.elapsed, got, tt.want)
		}
	}
}
