// Package app holds the composition roots' shared parts: where data lives,
// opening the store, the installation's identity, logging, and reading a
// password without echo. It is free of Fyne so the headless agent can use
// it; the console's root is app/console.
package app
