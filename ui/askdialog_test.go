package ui

import (
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

// Dialogs open on one canvas share its keys as a stack: the newest has
// them; one that closes out of turn (a progress dialog that hides itself
// under a message) hands them to the newest still open, and the last
// gives them back to the window, once, however often it is told.
func TestDialogKeysFollowTheDialogsStillOpen(t *testing.T) {
	w := test.NewTempWindow(t, widget.NewLabel(""))
	c := w.Canvas()
	var got []string
	c.SetOnTypedKey(func(k *fyne.KeyEvent) { got = append(got, "window "+string(k.Name)) })
	press := func() { c.OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyEscape}) }
	giveA := dialogKeys(c, func() { got = append(got, "A") }, nil)
	giveB := dialogKeys(c, func() { got = append(got, "B") }, nil)
	press()
	giveA() // out of turn: B still has the keys
	press()
	giveB()
	press()
	giveB() // again: nothing changes
	giveA()
	press()
	if want := "B B window Escape window Escape"; strings.Join(got, " ") != want {
		t.Errorf("the keys went to %q, want %q", strings.Join(got, " "), want)
	}
}

// Fyne's own dialogs, as the console shows them (a message, an error,
// a question), keep the window's keys from acting behind them: Delete
// behind a message does not offer to remove the server. Escape closes
// each; Enter closes a message, never answers a question.
func TestFynesDialogsHoldTheWindowsKeysWhileOpen(t *testing.T) {
	mw, _ := openMainWindow(t, newFakeConsole(demoFleet()...), nil)
	mw.tree.Select("a2")
	mw.win.Canvas().Unfocus()
	overlays := func() int { return len(mw.win.Canvas().Overlays().List()) }

	showInfo(mw.win, "Snapshot verified", "Every file matches its manifest.")
	pressKey(mw.win, fyne.KeyDelete)
	if n := overlays(); n != 1 {
		t.Fatalf("Delete behind a message acted: %d dialogs:\n%s", n, overlayText(mw.win))
	}
	pressKey(mw.win, fyne.KeyReturn)
	if n := overlays(); n != 0 {
		t.Fatalf("Enter left the message open: %d dialogs", n)
	}

	showErr(mw.win, errors.New("the disk is full"))
	pressKey(mw.win, fyne.KeyEscape)
	if n := overlays(); n != 0 {
		t.Fatalf("Escape left the error open: %d dialogs", n)
	}

	answers := []bool{}
	showConfirm(mw.win, "Remove task", "Remove the task docs?", func(yes bool) { answers = append(answers, yes) })
	pressKey(mw.win, fyne.KeyReturn)
	pressKey(mw.win, fyne.KeyEscape)
	if overlays() != 0 || len(answers) != 1 || answers[0] {
		t.Fatalf("Enter then Escape on a question: answers %v, %d dialogs", answers, overlays())
	}

	// All closed: the window's keys act again.
	pressKey(mw.win, fyne.KeyDelete)
	if got := overlayText(mw.win); !strings.Contains(got, "Remove FS02") {
		t.Errorf("Delete after the dialogs closed opened %q", got)
	}
}

// The History and Snapshots views are dialogs too: Delete there does not
// offer to remove the task behind them, and Escape closes them.
func TestTheTaskViewsHoldTheWindowsKeys(t *testing.T) {
	for _, view := range []struct {
		name   string
		row    int // a task with two runs or snapshots in the fake agent
		button func(*tasksTab) *widget.Button
	}{{"History", 1, history}, {"Snapshots", 0, snapshots}} {
		t.Run(view.name, func(t *testing.T) {
			mw := openTaskView(t, view.row, view.button).mw
			mw.win.Canvas().Unfocus()
			pressKey(mw.win, fyne.KeyDelete)
			if txt := overlayText(mw.win); strings.Contains(txt, "Remove") {
				t.Fatalf("Delete acted behind the %s view:\n%s", view.name, txt)
			}
			pressKey(mw.win, fyne.KeyEscape)
			if top := mw.win.Canvas().Overlays().Top(); top != nil {
				t.Fatalf("Escape left the %s view open", view.name)
			}
		})
	}
}

// Every dialog the console opens goes through the helpers that guard
// the window's keys (showInfo, showErr, showConfirm, askDialog,
// dialogKeys, guardDialog): Fyne's dialog.Show… functions, which do not,
// are used nowhere else.
func TestNoDialogIsShownWithoutItsKeyGuard(t *testing.T) {
	files, _ := filepath.Glob("*.go")
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") || name == "askdialog.go" {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(fset, name, src, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			sel, ok := n.(*ast.SelectorExpr)
			if ok && strings.HasPrefix(sel.Sel.Name, "Show") {
				if id, ok := sel.X.(*ast.Ident); ok && id.Name == "dialog" {
					t.Errorf("%s: dialog.%s shows a dialog that leaves the window's keys acting behind it: use showInfo, showErr or showConfirm", fset.Position(sel.Pos()), sel.Sel.Name)
				}
			}
			return true
		})
	}
}
