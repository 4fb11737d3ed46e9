package ui

import (
	"context"
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/lanyard/lanyard/core/backup"
	"github.com/lanyard/lanyard/core/human"
)

// The folder picker: a server's own folders, read over its link as they
// are opened, to choose a task's sources (folders and files ticked), its
// destination or where to restore (one folder selected) without typing
// paths blind. It opens at the path the field holds.

const (
	fpChoose    = "Choose"
	fpBrowse    = "Browse…"
	fpNewFolder = "New Folder…"
)

type folderPicker struct {
	d      *dialog.CustomDialog
	ft     *folderTree
	many   bool
	chosen string // the folder selected (one folder)
	status *widget.Label
	said   string // the status's last line of what is chosen
	choose *widget.Button
	make   *widget.Button // New Folder… (one folder chosen)
	cancel context.CancelFunc
}

// showFolderPicker opens slave's folders under title. many: tick folders
// and files (sources); otherwise select one folder. at is where to open
// the tree (the field's path, "" for the top); done gets what was chosen.
func showFolderPicker(win fyne.Window, r runner, rm Remote, slave, title string, many bool, at string, done func(paths []string)) *folderPicker {
	fp := &folderPicker{many: many}
	ctx, cancel := context.WithCancel(context.Background())
	fp.cancel = cancel
	fp.status = widget.NewLabel("")
	fp.status.Wrapping = fyne.TextWrapWord
	list := func(ctx context.Context, dir, after string) (backup.BrowsePage, error) {
		return rm.ListFolder(ctx, slave, dir, after, backup.BrowseMaxEntries)
	}
	fp.ft = newFolderTree(win.Canvas(), r, ctx, list, fp.status.SetText)
	fp.ft.ticks, fp.ft.dirsOnly, fp.ft.onTicked = many, !many, fp.showState
	fp.ft.tree.OnSelected = func(id string) {
		if !many && fp.ft.isBranch(id) {
			fp.chosen = id
			fp.showState()
		}
	}
	fp.choose = widget.NewButtonWithIcon(fpChoose, theme.ConfirmIcon(), func() {
		paths := fp.ft.paths()
		if !many {
			paths = []string{fp.chosen}
		}
		fp.close()
		done(paths)
	})
	fp.choose.Importance = widget.HighImportance
	cancelBtn := widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), fp.close)
	hint := "Select a folder on " + slave + "."
	if many {
		hint = "Tick the folders and files on " + slave + " to back up; a folder ticked takes everything in it."
	}
	note := lowNote(hint)
	fp.d = dialog.NewCustomWithoutButtons(title, container.NewBorder(note, fp.status, nil, nil, fp.ft.tree), win)
	buttons := []fyne.CanvasObject{cancelBtn, fp.choose}
	if !many {
		fp.make = widget.NewButtonWithIcon(fpNewFolder, theme.FolderNewIcon(), func() { fp.askNewFolder(win, r, rm, slave) })
		buttons = append([]fyne.CanvasObject{fp.make}, buttons...)
	}
	fp.d.SetButtons(buttons)
	// Enter chooses what is chosen (Space selects a folder in the tree).
	giveKeysBack := dialogKeys(win.Canvas(), fp.close, func() {
		if !fp.choose.Disabled() {
			fp.choose.OnTapped()
		}
	})
	fp.d.SetOnClosed(func() { cancel(); giveKeysBack() })
	fp.d.Resize(dialogSize(win, 600, 660))
	fp.d.Show()
	fp.ft.reset()
	fp.ft.reveal(cleanServerPath(strings.TrimSpace(at))) // the folder the field held
	fp.showState()
	return fp
}

func (fp *folderPicker) close() {
	fp.cancel()
	fp.d.Hide()
}

// showState enables Choose once something is chosen, and says what
// (the line goes once nothing is; a problem reading a folder stays).
func (fp *folderPicker) showState() {
	var words string
	switch {
	case fp.many && len(fp.ft.ticked) > 0:
		paths := fp.ft.paths()
		shown := make([]string, len(paths))
		for i, p := range paths {
			shown[i] = shownPath(p)
		}
		words = fmt.Sprintf("%s chosen: %s", human.Plural(len(paths), "path", "paths"), strings.Join(shown, ", "))
	case !fp.many && fp.chosen != "":
		words = "Chosen: " + shownPath(fp.chosen)
	}
	if fp.make != nil {
		if fp.chosen == "" {
			fp.make.Disable()
		} else {
			fp.make.Enable()
		}
	}
	if words == "" {
		fp.choose.Disable()
		if fp.status.Text == fp.said {
			fp.status.SetText("")
		}
		return
	}
	fp.choose.Enable()
	fp.said = words
	fp.status.SetText(words)
}

// askNewFolder asks for the name of a folder to make in the one chosen,
// makes it on the server, and selects it once the tree shows it.
func (fp *folderPicker) askNewFolder(win fyne.Window, r runner, rm Remote, slave string) {
	parent := fp.chosen
	name := newDialogEntry(win.Canvas())
	name.SetPlaceHolder("its name")
	problem := problemLine()
	content := container.NewVBox(widget.NewLabel("A new folder in "+shownPath(parent)+" on "+slave+":"), name, problem)
	d, ok := askDialog(win, "New Folder", content, "Create", theme.FolderNewIcon(), widget.HighImportance, func() bool {
		if why := folderNameProblem(name.Text); why != "" {
			problem.SetText(why)
			problem.Show()
			return false
		}
		dir := joinServerPath(parent, name.Text)
		r.spawn(func(ctx context.Context) {
			_, err := rm.MakeFolder(ctx, slave, dir)
			r.do(func() {
				if err != nil {
					showErr(win, fmt.Errorf("could not create %s on %s: %w", shownPath(dir), slave, err))
					return
				}
				fp.ft.reread(parent)
				fp.ft.reveal(dir) // selected once its folder is read again
			})
		})
		return true
	})
	name.OnSubmitted = func(string) { ok.OnTapped() }
	d.Resize(fyne.NewSize(460, d.MinSize().Height))
	d.Show()
	win.Canvas().Focus(name)
}

// folderNameProblem says what is wrong with name as a new folder's, or "".
func folderNameProblem(name string) string {
	switch {
	case strings.TrimSpace(name) == "":
		return "Type the new folder's name."
	case strings.ContainsAny(name, `/\`):
		return "A name cannot hold / or \\: make one folder at a time."
	case name == "." || name == "..":
		return name + " is not a name for a folder."
	}
	return ""
}

// cleanServerPath is p without a trailing separator, as the tree names
// folders (/srv/backup, C:\Data), tops aside (/, C:\).
func cleanServerPath(p string) string {
	if t := strings.TrimRight(p, `/\`); t != "" && !strings.HasSuffix(t, ":") {
		return t
	}
	return p
}

// browseButton is a field's Browse… button, which opens a folder picker.
func browseButton(open func()) *widget.Button {
	return widget.NewButtonWithIcon(fpBrowse, theme.FolderOpenIcon(), open)
}
