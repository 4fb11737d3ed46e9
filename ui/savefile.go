package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
)

// fileDialogSize is the file dialogs' size (open and save): room for
// long paths.
var fileDialogSize = fyne.NewSize(880, 560)

// askSaveFile asks where to save a file, offering name and the files
// ending in one of exts. save gets the file chosen (and must close it);
// fail the dialog's own error. Nothing is called when it is cancelled.
func askSaveFile(win fyne.Window, name string, exts []string, save func(fyne.URIWriteCloser), fail func(error)) {
	d := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
		switch {
		case err != nil:
			fail(err)
		case w != nil:
			save(w)
		}
	}, win)
	d.SetFileName(name)
	d.SetFilter(storage.NewExtensionFileFilter(exts))
	d.Resize(fileDialogSize)
	guardDialog(win, d, d.Hide, nil)
	d.Show()
}

// whereSaved is how a message names the file just saved: its whole path
// when it is on this computer, so that it can be found again (the dialog
// named only the folder it opened in), else its name.
func whereSaved(u fyne.URI) string {
	if u.Scheme() == "file" && u.Path() != "" {
		return u.Path()
	}
	return u.Name()
}
