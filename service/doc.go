// Package service is the agent's outer shell: the `lanyard-agent` command
// line and the kardianos/service wrapper that runs core/agent under
// systemd, SysV init, launchd or the Windows service manager.
//
// The wrapper (program) follows the kardianos contract: Start launches the
// agent in a goroutine owned by a context and returns at once; Stop closes
// every console link with shutting_down and returns within seconds;
// neither calls os.Exit. install/uninstall/start/stop/restart go through
// service.Control; `run` is what the service manager executes, and in a
// terminal it runs in the foreground. Around it: status, logs (print or
// follow the rotated log file), port-check (core/portcheck) and the
// firewall rule install adds (firewall.go: pure command builders, an
// injectable runner).
//
// It has no GUI and no cgo.
package service
