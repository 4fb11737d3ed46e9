// Package service is the agent's outer shell: the `lanyard-agent` command
// line (init, run, diagnose) and, in a later step, the kardianos/service
// wrapper that runs core/agent under systemd, launchd or the Windows
// service manager. It has no GUI and no cgo.
package service
