// Package app holds the composition roots' shared parts: where data lives,
// opening the store, the installation's identity, logging, reading a
// password without echo, and raising the open-file limit that bounds the
// links one process can hold (filelimit*.go). It is free of Fyne so the headless agent can use
// it; the console's root is app/console.
package app
