package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"

	"github.com/lanyard/lanyard/core/health"
	"github.com/lanyard/lanyard/core/master"
)

// The server tree's state marks differ in shape as well as colour, so they
// read on a monochrome screen and for colour-blind users: a filled dot
// (connected), a ring of dots (connecting), a ring (offline), a cross
// (error) and a bar (disabled). Only fills are drawn: Fyne recolours fills,
// not strokes.
const (
	svgConnected  = `<circle cx="12" cy="12" r="7.5"/>`
	svgConnecting = `<circle cx="19" cy="12" r="1.7"/><circle cx="16.95" cy="16.95" r="1.7"/>` +
		`<circle cx="12" cy="19" r="1.7"/><circle cx="7.05" cy="16.95" r="1.7"/><circle cx="5" cy="12" r="1.7"/>` +
		`<circle cx="7.05" cy="7.05" r="1.7"/><circle cx="12" cy="5" r="1.7"/><circle cx="16.95" cy="7.05" r="1.7"/>`
	svgOffline  = `<path d="M12 4a8 8 0 1 1 0 16a8 8 0 1 1 0-16zM12 6.6a5.4 5.4 0 1 0 0 10.8a5.4 5.4 0 1 0 0-10.8z"/>`
	svgError    = `<path d="M6.2 4.1L12 9.9l5.8-5.8l2.1 2.1L14.1 12l5.8 5.8l-2.1 2.1L12 14.1l-5.8 5.8l-2.1-2.1L9.9 12L4.1 6.2z"/>`
	svgDisabled = `<rect x="4.5" y="10.4" width="15" height="3.2" rx="1.6"/>`
	// A closed padlock (the link is TLS) and an open one (plain TCP).
	svgLocked = `<path d="M7 10V7.5a5 5 0 0 1 10 0V10h-2.4V7.5a2.6 2.6 0 0 0-5.2 0V10z"/>` +
		`<rect x="4.5" y="10" width="15" height="11" rx="2"/>`
	svgUnlocked = `<path d="M7 10V7.5a5 5 0 0 1 9.6-2l-2.2 1a2.6 2.6 0 0 0-5 1V10z"/>` +
		`<rect x="4.5" y="10" width="15" height="11" rx="2"/>`
)

// svgIcon is a resource called name: shapes drawn on a 24 × 24 grid, in
// the theme colour c.
func svgIcon(name, shapes string, c fyne.ThemeColorName) fyne.Resource {
	doc := `<svg xmlns="http://www.w3.org/2000/svg" width="24" height="24" viewBox="0 0 24 24">` + shapes + `</svg>`
	return theme.NewColoredResource(fyne.NewStaticResource(name, []byte(doc)), c)
}

// stateIcon is the mark of a state.
func stateIcon(s master.State) fyne.Resource {
	// Fyne caches rendered images by resource name: one name per shape and
	// colour.
	switch s {
	case master.StateConnected:
		return svgIcon("state-connected.svg", svgConnected, theme.ColorNameSuccess)
	case master.StateConnecting:
		return svgIcon("state-connecting.svg", svgConnecting, theme.ColorNamePrimary)
	case master.StateError:
		return svgIcon("state-error.svg", svgError, theme.ColorNameError)
	case master.StateDisabled:
		return svgIcon("state-disabled.svg", svgDisabled, theme.ColorNameDisabled)
	default:
		return svgIcon("state-offline.svg", svgOffline, theme.ColorNameWarning)
	}
}

// stateLooks keeps one icon resource per state, so that widgets that
// compare resources (widget.Icon) see the same one each time.
type stateLooks map[master.State]fyne.Resource

func (l stateLooks) of(s master.State) fyne.Resource {
	if r, ok := l[s]; ok {
		return r
	}
	r := stateIcon(s)
	l[s] = r
	return r
}

// lockIcon is the SSL badge: a closed padlock for TLS, an open one for
// plain TCP.
func lockIcon(ssl bool) fyne.Resource {
	if ssl {
		return svgIcon("ssl-on.svg", svgLocked, theme.ColorNameSuccess)
	}
	return svgIcon("ssl-off.svg", svgUnlocked, theme.ColorNameWarning)
}

// The backup marks stand beside the link's in the server tree and in the
// Backups view, and differ from them in shape: a tick (ok), a diamond
// (failed), an hourglass (overdue), a play triangle (running) and a
// hollow square (unknown).
const (
	svgBackupOK      = `<path d="M3.5 12.6l2.3-2.3l3.9 3.9l8.5-8.5l2.3 2.3L9.7 18.8z"/>`
	svgBackupFailed  = `<path d="M12 2.5L21.5 12L12 21.5L2.5 12z"/>`
	svgBackupOverdue = `<path d="M6 3h12v2.4l-4.6 6.6l4.6 6.6V21H6v-2.4l4.6-6.6L6 5.4z"/>`
	svgBackupRunning = `<path d="M7 4.5v15l12.5-7.5z"/>`
	svgBackupUnknown = `<path d="M5 5h14v14H5zM7.6 7.6v8.8h8.8V7.6z"/>`
)

// backupIcon is the mark of a backup state, grey when it is last known;
// nil for "" (no tasks).
func backupIcon(s health.State, lastKnown bool) fyne.Resource {
	var path string
	var color fyne.ThemeColorName
	switch s {
	case health.StateOK:
		path, color = svgBackupOK, theme.ColorNameSuccess
	case health.StateFailed:
		path, color = svgBackupFailed, theme.ColorNameError
	case health.StateOverdue:
		path, color = svgBackupOverdue, theme.ColorNameWarning
	case health.StateRunning:
		path, color = svgBackupRunning, theme.ColorNamePrimary
	case health.StateUnknown:
		path, color = svgBackupUnknown, theme.ColorNameDisabled
	default:
		return nil
	}
	name := "backup-" + string(s)
	if lastKnown {
		name, color = name+"-last-known", theme.ColorNameDisabled
	}
	return svgIcon(name+".svg", path, color)
}
