// Package ui holds the console's Fyne windows, widgets and dialogs.
//
// It draws and reacts; it never opens sockets or databases. The console's
// domain (core/master) reaches it through small interfaces and an event
// stream wired up in the app package, so every screen can be tested with
// the fyne.io/fyne/v2/test driver and a fake, without a display or cgo.
package ui
