package ui

import (
	"image/color"
	"runtime"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"
)

// Help → Keyboard Shortcuts (F1): every key of the console in one list,
// by where it acts. A test holds it to the keys the menus carry.

const itemKeys = "Keyboard Shortcuts"

// keyHelp is one key and what it does.
type keyHelp struct{ keys, does string }

// keyPlace is the keys that act in one place.
type keyPlace struct {
	where string
	keys  []keyHelp
}

func keyboardShortcuts() []keyPlace {
	return []keyPlace{
		{"Main window", []keyHelp{
			{"Ctrl+N", "Add a server (to the group selected, or the selected server's)"},
			{"Ctrl+E", "Edit the selected server"},
			{"Del", "Remove the selected server (asks first)"},
			{"Ctrl+F", "Go to the filter; Escape there clears it, then selects nothing"},
			{"F5", "Read everything again, and try the selected server now"},
			{"Ctrl+R", "Run the selected task"},
			{"Ctrl+Shift+R", "Run the selected task, reading every file"},
			{"Ctrl+Shift+F", "Find a file in the selected server's backups"},
			{"Menu", "The selected row's menu, as a right click opens it"},
			{"Escape", "All servers: select nothing, and see the whole fleet's summary"},
			{"Ctrl+L", "Remote Management Log"},
			{"Ctrl+B", "Backups window"},
			{"Ctrl+Shift+A", "Command Audit"},
			{"F1", "This list"},
			{"Ctrl+Q", "Quit"},
		}},
		{"Tasks tab", []keyHelp{
			{"Enter", "Edit the selected task"},
			{"Del", "Remove the selected task (asks first)"},
			{"F5", "Read the tasks again"},
			{"Escape", "Select no task; again, all servers"},
			{"Ctrl+R", "Run the selected task"},
			{"Ctrl+Shift+R", "Run it reading every file"},
		}},
		{"History and Snapshots views", []keyHelp{
			{"F5", "Read the list again"},
			{"Del", "Delete the snapshot selected (Snapshots; asks first)"},
			{"Escape", "Close the view"},
		}},
		{"Log, Backups and Command Audit windows", []keyHelp{
			{"Ctrl+F", "Go to the filter or search (Backups, Command Audit)"},
			{"Ctrl+S", "Save Report… (Backups), Export CSV… (Command Audit)"},
			{"Ctrl+C", "Copy the records selected (Log)"},
			{"Escape, Ctrl+W", "Close the window (Escape in a search clears it first)"},
		}},
		{"Dialogs and folder pickers", []keyHelp{
			{"Escape", "Cancel or close"},
			{"Arrows, Space, Enter", "Move, select, choose (folder pickers, files found)"},
		}},
	}
}

// shownKeys is how this system writes a key: Cmd for Ctrl on macOS.
func shownKeys(keys string) string {
	if runtime.GOOS == "darwin" {
		return strings.ReplaceAll(keys, "Ctrl+", "Cmd+")
	}
	return keys
}

// showKeyboardShortcuts lists every key over w.
func showKeyboardShortcuts(w fyne.Window) {
	places := keyboardShortcuts()
	// Every place's keys in one column as wide as the widest key.
	var keys [][]*widget.Label
	var width float32
	for _, place := range places {
		var ls []*widget.Label
		for _, k := range place.keys {
			l := widget.NewLabelWithStyle(shownKeys(k.keys), fyne.TextAlignTrailing, fyne.TextStyle{Monospace: true})
			width = max(width, l.MinSize().Width)
			ls = append(ls, l)
		}
		keys = append(keys, ls)
	}
	list := container.NewVBox()
	for i, place := range places {
		if i > 0 {
			list.Add(widget.NewSeparator())
		}
		list.Add(widget.NewLabelWithStyle(place.where, fyne.TextAlignLeading, fyne.TextStyle{Bold: true}))
		form := container.New(layout.NewFormLayout())
		for j, k := range place.keys {
			column := canvas.NewRectangle(color.Transparent)
			column.SetMinSize(fyne.NewSize(width, 0))
			form.Add(container.NewStack(column, keys[i][j]))
			does := widget.NewLabel(k.does)
			does.Wrapping = fyne.TextWrapWord
			form.Add(does)
		}
		list.Add(form)
	}
	d := dialog.NewCustom(itemKeys, "Close", container.NewVScroll(list), w)
	guardDialog(w, d, d.Hide, d.Hide)
	d.Resize(dialogSize(w, 640, 720))
	d.Show()
}

// showKeys opens the list of keys, unless a dialog is open: F1 behind
// one does not stack another over it.
func (mw *mainWindow) showKeys() {
	if mw.win.Canvas().Overlays().Top() != nil {
		return
	}
	showKeyboardShortcuts(mw.win)
}
