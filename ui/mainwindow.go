package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/lanyard/lanyard/assets"
	"github.com/lanyard/lanyard/core/version"
)

// Title is the main window's title.
const Title = "Lanyard"

// Menu and card labels; the tests spell them out, as a user would read them.
const (
	menuFile         = "File"
	menuView         = "View"
	menuHelp         = "Help"
	itemQuit         = "Quit"
	itemLog          = "Remote Management Log"
	itemAbout        = "About"
	placeholderTitle = "Lanyard console"
)

// Icon returns the application icon as a Fyne resource, for the window and
// for fyne.App.SetIcon.
func Icon() fyne.Resource {
	return fyne.NewStaticResource("icon.png", assets.IconPNG)
}

// NewMainWindow builds the console's main window: title, icon, menus and,
// until the server tree lands, a placeholder card. The caller shows it.
func NewMainWindow(a fyne.App) fyne.Window {
	w := a.NewWindow(Title)
	w.SetIcon(Icon())
	w.SetMaster()
	w.SetMainMenu(mainMenu(a, w))
	w.SetContent(placeholder())
	w.Resize(fyne.NewSize(1000, 680))
	return w
}

// mainMenu returns File, View and Help. Items whose screens do not exist yet
// are present but disabled, so the menu already has its final shape.
func mainMenu(a fyne.App, w fyne.Window) *fyne.MainMenu {
	quit := fyne.NewMenuItem(itemQuit, a.Quit)
	quit.IsQuit = true

	connLog := fyne.NewMenuItem(itemLog, nil)
	connLog.Disabled = true

	about := fyne.NewMenuItem(itemAbout, func() { showAbout(w) })

	return fyne.NewMainMenu(
		fyne.NewMenu(menuFile, quit),
		fyne.NewMenu(menuView, connLog),
		fyne.NewMenu(menuHelp, about),
	)
}

// placeholder is the centred card shown where the server tree will be.
func placeholder() fyne.CanvasObject {
	// Inline code next to proportional text is mis-measured by Fyne 2.7
	// (spaces vanish or double), so the commands get a block of their own.
	body := widget.NewRichText(
		&widget.TextSegment{Style: widget.RichTextStyleParagraph, Text: "The server tree arrives in the next release."},
		&widget.TextSegment{Style: widget.RichTextStyleParagraph, Text: "Meanwhile use these from a terminal (see README):"},
		&widget.TextSegment{Style: widget.RichTextStyleCodeBlock, Text: "lanyard serve\nlanyard slave add"},
	)
	card := widget.NewCard(placeholderTitle, "", body)
	return container.NewCenter(container.NewVBox(iconImage(96), card))
}

// showAbout shows the product name, icon and version in a dialog over w.
func showAbout(w fyne.Window) {
	name := widget.NewLabelWithStyle("Lanyard", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	ver := widget.NewLabelWithStyle("Version "+version.String(), fyne.TextAlignCenter, fyne.TextStyle{})
	what := widget.NewLabelWithStyle("Centralized remote management console", fyne.TextAlignCenter, fyne.TextStyle{})
	content := container.NewVBox(iconImage(64), name, ver, what)
	dialog.ShowCustom("About Lanyard", "Close", content, w)
}

// iconImage returns the app icon drawn at size × size.
func iconImage(size float32) fyne.CanvasObject {
	img := canvas.NewImageFromResource(Icon())
	img.FillMode = canvas.ImageFillContain
	img.SetMinSize(fyne.NewSize(size, size))
	return container.NewCenter(img)
}
