package console

import (
	"context"

	fyneapp "fyne.io/fyne/v2/app"

	"github.com/lanyard/lanyard/ui"
)

// appID matches FyneApp.toml; Fyne keys preferences by it.
const appID = "dev.lanyard.console"

// runGUI opens the window with the fleet running behind it. Closing the
// window closes every link cleanly.
func runGUI(ctx context.Context, e *env) error {
	log, err := e.logger()
	if err != nil {
		return usageError{err}
	}
	rt, err := startRuntime(ctx, e, log)
	if err != nil {
		return err
	}
	defer rt.Close()
	a := fyneapp.NewWithID(appID)
	a.SetIcon(ui.Icon())
	w := ui.NewMainWindow(a)
	w.ShowAndRun()
	return rt.Close()
}
