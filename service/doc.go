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
// `task …` (taskcmds.go) manages backup tasks through core/agent's
// TaskControl: the running agent over its control socket, or the
// database and the backup engine in this process when none runs. A run,
// verify or restore shows a progress bar in a terminal and a plain line a
// second otherwise (progress.go); `task run` exits 3 when the run
// completed with warnings. crash_linux_test.go kills the real binary in
// the middle of runs (make test-crash).
//
// `simulate` (simulate.go) runs a simulated fleet for load tests
// (core/fleetsim): it raises its open-file limit and, when the fleet needs
// more open files than one process may have, spreads it over child
// processes of itself, which die with it, and sums their progress.
//
// It has no GUI and no cgo.
package service
