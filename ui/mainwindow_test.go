package ui

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

func TestMainWindowIsTitledLanyard(t *testing.T) {
	w := NewMainWindow(test.NewTempApp(t))
	if got := w.Title(); got != "Lanyard" {
		t.Errorf("Title() = %q, want %q", got, "Lanyard")
	}
}

func TestMainMenuHasTheConsoleMenus(t *testing.T) {
	w := NewMainWindow(test.NewTempApp(t))
	menu := w.MainMenu()
	if menu == nil {
		t.Fatal("the main window has no main menu")
	}

	tests := []struct {
		menu, item string
		disabled   bool
	}{
		{"File", "Quit", false},
		{"View", "Remote Management Log", true},
		{"Help", "About", false},
	}
	for _, tt := range tests {
		t.Run(tt.menu+" has "+tt.item, func(t *testing.T) {
			item := findItem(menu, tt.menu, tt.item)
			if item == nil {
				t.Fatalf("no %s → %s item in %s", tt.menu, tt.item, describe(menu))
			}
			if item.Disabled != tt.disabled {
				t.Errorf("%s → %s disabled = %v, want %v", tt.menu, tt.item, item.Disabled, tt.disabled)
			}
			if !tt.disabled && item.Action == nil {
				t.Errorf("%s → %s has no action", tt.menu, tt.item)
			}
		})
	}

	if quit := findItem(menu, "File", "Quit"); quit != nil && !quit.IsQuit {
		t.Error("File → Quit is not marked IsQuit, so the desktop driver would add a second Quit")
	}
}

func TestMenusComeInTheOrderFileViewHelp(t *testing.T) {
	w := NewMainWindow(test.NewTempApp(t))
	var got []string
	for _, m := range w.MainMenu().Items {
		got = append(got, m.Label)
	}
	want := []string{"File", "View", "Help"}
	if len(got) != len(want) {
		t.Fatalf("menus = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("menus = %v, want %v", got, want)
		}
	}
}

func TestHelpAboutOpensADialog(t *testing.T) {
	w := NewMainWindow(test.NewTempApp(t))
	w.Show()
	if top := w.Canvas().Overlays().Top(); top != nil {
		t.Fatal("an overlay is already open before Help → About")
	}
	findItem(w.MainMenu(), "Help", "About").Action()
	if w.Canvas().Overlays().Top() == nil {
		t.Error("Help → About opened no dialog")
	}
}

func TestMainWindowShowsThePlaceholderCard(t *testing.T) {
	w := NewMainWindow(test.NewTempApp(t))
	var card *widget.Card
	walk(w.Content(), func(o fyne.CanvasObject) {
		if c, ok := o.(*widget.Card); ok {
			card = c
		}
	})
	if card == nil {
		t.Fatal("the main window shows no card")
	}
	if card.Title != "Lanyard console" {
		t.Errorf("card title = %q, want %q", card.Title, "Lanyard console")
	}
}

// findItem returns the item labelled item in the menu labelled menu, or nil.
func findItem(m *fyne.MainMenu, menu, item string) *fyne.MenuItem {
	for _, mm := range m.Items {
		if mm.Label != menu {
			continue
		}
		for _, it := range mm.Items {
			if it.Label == item {
				return it
			}
		}
	}
	return nil
}

// describe lists the menus and their items, for failure messages.
func describe(m *fyne.MainMenu) string {
	s := ""
	for _, mm := range m.Items {
		s += mm.Label + "["
		for i, it := range mm.Items {
			if i > 0 {
				s += ", "
			}
			s += it.Label
		}
		s += "] "
	}
	return s
}

// walk calls fn for o and every object inside it, through containers.
func walk(o fyne.CanvasObject, fn func(fyne.CanvasObject)) {
	fn(o)
	if c, ok := o.(*fyne.Container); ok {
		for _, child := range c.Objects {
			walk(child, fn)
		}
	}
}
