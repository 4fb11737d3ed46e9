package ui

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/lanyard/lanyard/core/human"
	"github.com/lanyard/lanyard/core/master"
	"github.com/lanyard/lanyard/core/slavefile"
)

// File > Import Slaves… and Export Slaves…: the same as `lanyard slave
// import` and `export`, for the running console. An import shows its
// progress and the time left (passwords cost about a fifth of a second
// each), can be cancelled, and lists every bad row by its line before
// anything is added.

const (
	itemImport      = "Import Slaves…"
	itemExport      = "Export Slaves…"
	importTitle     = "Import slaves"
	exportTitle     = "Export slaves"
	exportKeysLabel = "Include each slave's key, so another console needs no passwords"
	exportKeysWarn  = "A file with keys is as secret as the passwords: anyone who has it can manage these servers. It is written readable by you only; move it only over an encrypted channel and delete it once imported."
)

// importSlaves asks for a file and imports it.
func (mw *mainWindow) importSlaves() {
	open := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil {
			mw.showError("Could not open the file", err)
			return
		}
		if r == nil {
			return // cancelled
		}
		name := r.URI().Name()
		rows, bad, err := slavefile.Read(r, slavefile.FormatOf(name))
		_ = r.Close()
		if err != nil {
			mw.showError("Could not import "+name, err)
			return
		}
		mw.importRows(name, rows, bad, false)
	}, mw.win)
	open.SetFilter(storage.NewExtensionFileFilter([]string{".csv", ".json"}))
	open.Resize(fileDialogSize)
	guardDialog(mw.win, open, open.Hide, nil)
	open.Show()
}

// importRows imports rows read from the file called name, of which bad
// could not be read, showing its progress. Unless skipBad, any bad row
// means nothing is added and the rows are listed.
func (mw *mainWindow) importRows(name string, rows []slavefile.Row, bad []*slavefile.LineError, skipBad bool) {
	ctx, cancel := context.WithCancel(context.Background())
	label := widget.NewLabel("Checking " + human.Plural(len(rows), "slave", "slaves") + "…")
	bar := widget.NewProgressBar()
	progress := dialog.NewCustom(importTitle, "Cancel", container.NewVBox(label, bar), mw.win)
	progress.SetOnClosed(cancel)
	guardDialog(mw.win, progress, nil, nil) // Cancel stops it; Escape is too easy to press
	progress.Resize(fyne.NewSize(460, 0))
	progress.Show()

	o := master.ImportOptions{SkipBad: skipBad, DryRun: len(bad) > 0 && !skipBad}
	start := time.Now()
	var last time.Time
	o.Progress = func(done, total int) {
		if now := time.Now(); now.Sub(last) >= 100*time.Millisecond || done == total {
			last = now
			text := progressText(done, total, now.Sub(start))
			mw.opts.do(func() {
				bar.SetValue(float64(done) / float64(max(total, 1)))
				label.SetText(text)
			})
		}
	}
	var rep master.ImportReport
	spawnCancellable(mw, ctx, cancel, func(ctx context.Context) (err error) {
		rep, err = mw.c.ImportSlaves(ctx, rows, o, name)
		rep.Bad = append(bad, rep.Bad...)
		return err
	}, func(err error, cancelled bool) {
		progress.Hide()
		switch {
		case cancelled:
			showInfo(mw.win, importTitle, "The import was cancelled; nothing was added.")
		case errors.Is(err, master.ErrBadRows) || len(bad) > 0 && !skipBad:
			mw.showBadRows(name, rows, bad, rep)
		case err != nil:
			mw.showError("Could not import "+name, err)
		default:
			showInfo(mw.win, importTitle, fmt.Sprintf("Added %s from %s (%s derived from passwords) in %s.",
				human.Plural(len(rep.Added), "slave", "slaves"), name, human.Plural(rep.Derived, "key", "keys"), human.Took(time.Since(start))))
		}
	})
}

// progressText says how far an import is, and how long is left.
func progressText(done, total int, elapsed time.Duration) string {
	text := human.Count(done) + " of " + human.Plural(total, "slave", "slaves") + " ready"
	if done > 0 && done < total && elapsed > time.Second {
		left := time.Duration(float64(elapsed) / float64(done) * float64(total-done))
		text += ", about " + human.Duration(left) + " left"
	}
	return text
}

// badRowPickHint stands under the list of refused rows.
const badRowPickHint = "Select a row to read in full here why it was refused."

// showBadRows lists every refused row; the good ones can be added on
// their own.
func (mw *mainWindow) showBadRows(name string, rows []slavefile.Row, readBad []*slavefile.LineError, rep master.ImportReport) {
	lines := make([]string, len(rep.Bad))
	for i, b := range rep.Bad {
		lines[i] = b.Error()
	}
	list := widget.NewList(func() int { return len(lines) },
		func() fyne.CanvasObject {
			l := widget.NewLabel("")
			l.Truncation = fyne.TextTruncateEllipsis
			return l
		},
		func(i widget.ListItemID, o fyne.CanvasObject) { o.(*widget.Label).SetText(lines[i]) })
	// What a row says is often longer than the dialog is wide: the row
	// selected is read in full (and copied) under the list.
	full, fullView := newRecordView(badRowPickHint, 3)
	list.OnSelected = func(i widget.ListItemID) { showRecord(full, lines[i], badRowPickHint) }
	list.OnUnselected = func(widget.ListItemID) { showRecord(full, "", badRowPickHint) }
	head := widget.NewLabel(badRowsHead(name, len(rows)+len(readBad), rep))
	head.Wrapping = fyne.TextWrapWord
	body := container.NewBorder(head, container.NewVBox(widget.NewSeparator(), fullView), nil, nil, list)
	if len(lines) > 0 {
		list.Select(0)
	}
	var d *dialog.CustomDialog
	closeBtn := widget.NewButton("Close", func() { d.Hide() })
	buttons := []fyne.CanvasObject{closeBtn}
	if rep.Ready > 0 {
		addGood := widget.NewButtonWithIcon("Add the "+goodOnes(rep.Ready), theme.ContentAddIcon(), func() {
			d.Hide()
			mw.importRows(name, rows, readBad, true)
		})
		addGood.Importance = widget.HighImportance
		buttons = append(buttons, addGood)
	}
	d = dialog.NewCustomWithoutButtons(importTitle, body, mw.win)
	d.SetButtons(buttons)
	guardDialog(mw.win, d, d.Hide, nil)
	d.Resize(fyne.NewSize(720, 460))
	d.Show()
}

// badRowsHead says which of the rows rows of the file called name were
// refused, and what can be done: fix them, add the good ones, or nothing
// when every slave is here already.
func badRowsHead(name string, rows int, rep master.ImportReport) string {
	head := capitalize(master.RefusedWords(name, rows, len(rep.Bad), rep.Ready, rep.HereAlready())) + ", so nothing was added."
	fix := " Fix them and import again"
	if len(rep.Bad) == 1 {
		fix = " Fix it and import again"
	}
	switch {
	case rep.Ready > 0:
		return head + fix + ", or add the " + goodOnes(rep.Ready) + " now."
	case len(rep.Bad) == rep.HereAlready():
		return head
	}
	return head + fix + "."
}

// goodOnes is "1 good one" or "3 good ones".
func goodOnes(n int) string { return human.Plural(n, "good one", "good ones") }

// exportSlaves asks whether to include the keys, then where to save.
func (mw *mainWindow) exportSlaves() {
	keys := newDialogCheck(mw.win.Canvas(), exportKeysLabel, nil)
	warn := widget.NewLabel(exportKeysWarn)
	warn.Wrapping = fyne.TextWrapWord
	warn.Importance = widget.DangerImportance
	warn.Hide()
	keys.OnChanged = func(on bool) {
		if on {
			warn.Show()
		} else {
			warn.Hide()
		}
	}
	body := container.NewVBox(widget.NewLabel("Every slave is written to a CSV or JSON file that lanyard slave import, or File > Import Slaves on another console, reads."), keys, warn)
	showCustomConfirm(mw.win, exportTitle, "Choose the file…", "Cancel", body, func(ok bool) {
		if ok {
			mw.chooseExportFile(keys.Checked)
		}
	})
}

func (mw *mainWindow) chooseExportFile(withKeys bool) {
	askSaveFile(mw.win, "lanyard-slaves-"+time.Now().Format("20060102")+".csv", []string{".csv", ".json"}, func(w fyne.URIWriteCloser) {
		n, inDoubt, err := exportTo(w, mw.c, withKeys)
		if err != nil {
			mw.showError("Could not export to "+whereSaved(w.URI()), err)
			return
		}
		msg := fmt.Sprintf("Wrote %s to %s.", human.Plural(n, "slave", "slaves"), whereSaved(w.URI()))
		if withKeys {
			msg += "\n\n" + exportKeysWarn
		}
		if warn := master.InDoubtWarning(inDoubt); warn != "" {
			msg += "\n\n" + capitalize(warn) + "."
		}
		showInfo(mw.win, exportTitle, msg)
	}, func(err error) { mw.showError("Could not save", err) })
}

// exportTo writes every slave to w and closes it, and returns how many,
// and those whose key may be stale. A file with keys is made owner-only
// before anything is written to it.
func exportTo(w fyne.URIWriteCloser, c SlaveFiles, withKeys bool) (int, []string, error) {
	rows, inDoubt, err := c.ExportSlaves(withKeys)
	if err == nil && withKeys {
		if w.URI().Scheme() != "file" {
			err = errors.New("a file with keys must be saved on this computer, where it can be made readable by you only")
		} else {
			err = os.Chmod(w.URI().Path(), 0o600)
		}
	}
	if err == nil {
		err = slavefile.Write(w, rows, slavefile.FormatOf(w.URI().Name()))
	}
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	return len(rows), inDoubt, err
}
