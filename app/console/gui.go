package console

import (
	"context"

	"github.com/lanyard/lanyard/app/cmdline"

	fyneapp "fyne.io/fyne/v2/app"

	"github.com/lanyard/lanyard/core/portcheck"
	"github.com/lanyard/lanyard/ui"
)

// appID matches FyneApp.toml; Fyne keys preferences by it.
const appID = "dev.lanyard.console"

// runGUI opens the window with the fleet running behind it. Closing the
// window closes every link cleanly.
func runGUI(ctx context.Context, e *env) error {
	log, err := e.logger()
	if err != nil {
		return cmdline.Usage(err)
	}
	rt, err := startRuntime(ctx, e, log)
	if err != nil {
		return err
	}
	defer rt.Close()
	dir, _ := e.dir() // the runtime has opened the database in it
	a := fyneapp.NewWithID(appID)
	a.SetIcon(ui.Icon())
	m := rt.master
	w := ui.NewMainWindow(a, m, checkPort, dir)
	// Notifications and the tray menu start with the app, on its thread.
	stop := func() {}
	a.Lifecycle().SetOnStarted(func() {
		stop = ui.StartNotifier(a, m,
			func() { w.Show(); w.RequestFocus() },
			func() { ui.ShowLogWindow(a, m, m) },
			func(name string) { w.Show(); ui.ShowSlaveDialog(w, m, nil, name) })
	})
	w.ShowAndRun()
	stop()
	return rt.Close()
}

// checkPort is the settings dialog's Check port: core/portcheck, in the
// words the dialog shows.
func checkPort(port int) ui.PortReport {
	r, err := portcheck.Check(port)
	if err != nil {
		return ui.PortReport{Err: err}
	}
	return ui.PortReport{Free: r.Free, Text: r.String(), Suggested: r.Suggested}
}
