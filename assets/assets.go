// Package assets holds the files compiled into the console binary: for now
// the application icon, a 512x512 PNG, as raw bytes.
//
// The package imports no GUI toolkit, so any binary may use it; the ui
// package wraps the bytes into a Fyne resource.
package assets

import _ "embed"

// IconPNG is the application icon, a 512x512 PNG (icon.png in this folder,
// also named by FyneApp.toml for `fyne package`).
//
//go:embed icon.png
var IconPNG []byte
