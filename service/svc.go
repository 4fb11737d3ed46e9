package service

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/kardianos/service"
)

// What the service manager knows the agent as.
const (
	DefaultServiceName = "lanyard-agent"
	serviceDisplayName = "Lanyard agent"
	serviceDescription = "Lets Lanyard consoles manage this server: listens for them or dials them, and answers their requests."
	// nofileLimit is the open-file limit the unit raises (systemd
	// LimitNOFILE, ulimit -n in the SysV script).
	nofileLimit = 65536
	// systemd restarts a failed agent after restartSec seconds, and gives
	// up when it has started it startLimitBurst times within
	// startLimitInterval seconds: an agent that dies within about 20 s of
	// every start is a crash loop to stop, one that runs longer between
	// failures is restarted for ever.
	restartSec         = 5
	startLimitInterval = 120
	startLimitBurst    = 5
)

// Platforms kardianos picks (service.ChosenSystem().String()).
const (
	platformSystemd = "linux-systemd"
	platformSysV    = "unix-systemv"
)

var serviceNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$`)

// validServiceName checks a --service-name: it ends up in file names and
// in the SysV script.
func validServiceName(name string) error {
	if !serviceNameRE.MatchString(name) {
		return fmt.Errorf("service name %q: use 1–63 letters, digits, '-', '_' or '.', starting with a letter or digit", name)
	}
	return nil
}

// svcParams is what the installed service runs with.
type svcParams struct {
	Name     string
	DataDir  string // absolute
	LogDir   string // absolute
	LogLevel string
	LogJSON  bool
	// Executable is the binary the service runs; "" means this one.
	Executable string
}

func (p svcParams) displayName() string {
	if p.Name == DefaultServiceName {
		return serviceDisplayName
	}
	return serviceDisplayName + " (" + p.Name + ")"
}

// runArguments are the arguments the service manager starts the agent
// with: `run` and where its data and log live, so it does not depend on
// the environment the manager gives it.
func (p svcParams) runArguments() []string {
	args := []string{"run", "--data-dir", p.DataDir, "--log-dir", p.LogDir}
	if p.LogLevel != "" && p.LogLevel != "info" {
		args = append(args, "--log-level", p.LogLevel)
	}
	if p.LogJSON {
		args = append(args, "--log-json")
	}
	if p.Name != DefaultServiceName {
		args = append(args, "--service-name", p.Name)
	}
	return append(args, "--as-service")
}

// serviceConfig is the kardianos configuration for the agent on platform.
func serviceConfig(p svcParams, platform string) *service.Config {
	c := &service.Config{
		Name:        p.Name,
		DisplayName: p.displayName(),
		Description: serviceDescription,
		Arguments:   p.runArguments(),
		Executable:  p.Executable,
		Option: service.KeyValue{
			// systemd: the unit is ours (systemdUnit) when the executable
			// is known, else kardianos' own with these two settings.
			"LimitNOFILE": nofileLimit,
			"Restart":     "on-failure",
			// SysV: the agent's own output (only a crash writes there)
			// goes beside its log; the script is ours, see sysvScript.
			"LogDirectory": p.LogDir,
			"SysvScript":   sysvScript(p.Name),
			// launchd: start at boot and keep running.
			"RunAtLoad": true,
			"KeepAlive": true,
			// Windows: start at boot, restart 5 s after a failure.
			"StartType":              "automatic",
			"OnFailure":              "restart",
			"OnFailureDelayDuration": "5s",
			"OnFailureResetPeriod":   60,
		},
	}
	if platform == platformSystemd {
		// Only systemd reads these as unit lines; Windows would take them
		// for the names of services to depend on. systemdUnit writes its
		// own; they serve kardianos' unit when ours cannot be written.
		c.Dependencies = []string{"After=network-online.target", "Wants=network-online.target"}
		if exe, err := p.executable(); err == nil {
			c.Option["SystemdScript"] = systemdUnit(p, exe)
		}
	}
	return c
}

// executable is the absolute path of the binary the service runs, found
// the way kardianos finds it.
func (p svcParams) executable() (string, error) {
	if p.Executable != "" {
		return filepath.Abs(p.Executable)
	}
	return os.Executable()
}

// systemdUnit is the agent's systemd unit, running exe. It is complete
// text: kardianos passes text without "{{" through its template engine
// unchanged, so what is quoted here is what systemd reads. Beside
// kardianos' own unit it restarts a failed agent after 5 s rather than
// 120 s, limits the start rate in the [Unit] section where systemd reads
// it, quotes the command line by systemd's rules (%, $, \ and " too),
// and adds the hardening that does not get in an agent's way: it runs as
// root and must read everything it backs up, so it gets no capability
// bounding or ProtectHome; /usr, /boot and /etc are read-only
// (ProtectSystem=full keeps /var, /srv, /opt and /mnt writable, and a
// write there fails plainly), and no child gains privileges. It gets no
// PrivateTmp: a restore into /tmp or /var/tmp would land in a /tmp of
// its own, out of its user's sight and emptied when it stops. Its data
// and log directories are named writable, so a --data-dir under /etc or
// /usr still works.
func systemdUnit(p svcParams, exe string) string {
	var b strings.Builder
	line := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	line("[Unit]")
	line("Description=%s", systemdSpecifierEscape(serviceDescription))
	line("Documentation=man:lanyard-agent(1)")
	line("ConditionFileIsExecutable=%s", systemdSpecifierEscape(exe))
	line("After=network-online.target")
	line("Wants=network-online.target")
	line("StartLimitIntervalSec=%d", startLimitInterval)
	line("StartLimitBurst=%d", startLimitBurst)
	line("")
	line("[Service]")
	args := []string{systemdQuote(exe, false)}
	for _, a := range p.runArguments() {
		args = append(args, systemdQuote(a, true))
	}
	line("ExecStart=%s", strings.Join(args, " "))
	line("Restart=on-failure")
	line("RestartSec=%d", restartSec)
	line("LimitNOFILE=%d", nofileLimit)
	line("NoNewPrivileges=yes")
	line("ProtectSystem=full")
	// "-": a directory that does not exist yet is no reason not to start
	// (the agent creates it).
	line("ReadWritePaths=-%s", systemdQuote(p.DataDir, false))
	if p.LogDir != p.DataDir {
		line("ReadWritePaths=-%s", systemdQuote(p.LogDir, false))
	}
	line("EnvironmentFile=-/etc/default/%s", p.Name)
	line("EnvironmentFile=-/etc/sysconfig/%s", p.Name)
	line("")
	line("[Install]")
	line("WantedBy=multi-user.target")
	return b.String()
}

// systemdQuote quotes s as one word of a systemd setting: in double
// quotes, with backslashes before quotes and backslashes, and %% for a
// literal %. In a command's arguments (arg) $ is doubled too, so systemd
// does not expand it as a variable. (checkUnit refuses control
// characters: a unit cannot hold them all.)
func systemdQuote(s string, arg bool) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '%':
			b.WriteString("%%")
		case r == '$' && arg:
			b.WriteString("$$")
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// systemdSpecifierEscape makes s literal in a setting that expands %
// specifiers but does not unquote (a description, a condition's path).
func systemdSpecifierEscape(s string) string { return strings.ReplaceAll(s, "%", "%%") }

// newService builds the kardianos service for p around i (nil for a
// service that is only controlled, not run).
func newService(i service.Interface, p svcParams) (service.Service, error) {
	if i == nil {
		i = noProgram{}
	}
	c := serviceConfig(p, service.Platform())
	if err := checkUnit(p, c); err != nil {
		return nil, err
	}
	s, err := service.New(i, c)
	if err != nil {
		return nil, fmt.Errorf("this system's service manager is not supported (%v): run `lanyard-agent run` under your init system instead", err)
	}
	return s, nil
}

// checkUnit refuses what a systemd unit cannot say: kardianos takes "{{"
// for the start of a template action, a unit is read line by line, and
// systemd runs no executable whose path has quotes or backslashes.
func checkUnit(p svcParams, c *service.Config) error {
	if _, ok := c.Option["SystemdScript"]; !ok {
		return nil
	}
	exe, _ := p.executable()
	bad := func(s string) bool {
		return strings.Contains(s, "{{") || strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f })
	}
	if bad(exe) || bad(p.DataDir) || bad(p.LogDir) || strings.ContainsAny(exe, `"'\`) {
		return fmt.Errorf(`a systemd service cannot run %q with data directory %q and log directory %q: use paths without control characters or "{{", and an executable path without quotes or backslashes`, exe, p.DataDir, p.LogDir)
	}
	return nil
}

// noProgram is the Interface of a service that this process only
// installs, starts or queries.
type noProgram struct{}

func (noProgram) Start(service.Service) error { return nil }
func (noProgram) Stop(service.Service) error  { return nil }

// State is what the service manager says about the agent's service.
type State string

const (
	StateRunning      State = "running"
	StateStopped      State = "stopped"
	StateNotInstalled State = "not installed"
	StateFailed       State = "failed"
	StateUnknown      State = "unknown"
)

// serviceState asks the service manager, smoothing over what kardianos
// leaves unsaid: its SysV back end reports a stopped service as an error
// (the script exits 3, as LSB says), and systemd's failed state as one.
func serviceState(s service.Service, name string) (State, error) {
	st, err := s.Status()
	switch {
	case err == nil && st == service.StatusRunning:
		return StateRunning, nil
	case err == nil && st == service.StatusStopped:
		return StateStopped, nil
	case errors.Is(err, service.ErrNotInstalled):
		return StateNotInstalled, nil
	}
	if s.Platform() == platformSysV {
		if _, statErr := os.Stat(sysvScriptPath(name)); statErr != nil {
			return StateNotInstalled, nil
		}
		return StateStopped, nil
	}
	if err != nil && strings.Contains(err.Error(), "failed state") {
		return StateFailed, nil
	}
	if err == nil {
		err = fmt.Errorf("the service manager gave status %d", st)
	}
	return StateUnknown, err
}

func sysvScriptPath(name string) string { return "/etc/init.d/" + name }

// sysvLeftovers are the files kardianos' SysV install makes and its
// uninstall leaves: the runlevel links.
func sysvLeftovers(name string) []string {
	var paths []string
	for _, rl := range []string{"0", "1", "6"} {
		paths = append(paths, filepath.Join("/etc", "rc"+rl+".d", "K02"+name))
	}
	for _, rl := range []string{"2", "3", "4", "5"} {
		paths = append(paths, filepath.Join("/etc", "rc"+rl+".d", "S50"+name))
	}
	return append(paths, "/var/run/"+name+".pid")
}

// removeSysVLeftovers removes the runlevel links that point at the
// (removed) init script, and a stale pid file.
func removeSysVLeftovers(name string) error {
	var errs []error
	for _, p := range sysvLeftovers(name) {
		fi, err := os.Lstat(p)
		if err != nil {
			continue
		}
		if fi.Mode()&os.ModeSymlink != 0 {
			if target, err := os.Readlink(p); err != nil || target != sysvScriptPath(name) {
				continue // not ours
			}
		} else if !strings.HasSuffix(p, ".pid") {
			continue
		}
		if err := os.Remove(p); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// sysvScript is the init script for SysV systems (kardianos' template
// syntax). It differs from kardianos' own in ways that matter here: the
// arguments are passed as words, not re-split; a zombie (a dead agent its
// parent has not reaped, as in containers whose pid 1 does not) counts as
// stopped; stop waits in tenths of a second, not whole seconds; start
// checks that the agent is still alive half a second later; the status
// exit codes follow LSB (0 running, 3 stopped); the open-file limit is
// raised.
func sysvScript(name string) string {
	r := strings.NewReplacer("@NAME@", name, "@NOFILE@", fmt.Sprint(nofileLimit))
	return r.Replace(sysvTemplate)
}

const sysvTemplate = `#!/bin/sh
### BEGIN INIT INFO
# Provides:          @NAME@
# Required-Start:    $network $remote_fs $syslog
# Required-Stop:     $network $remote_fs $syslog
# Default-Start:     2 3 4 5
# Default-Stop:      0 1 6
# Short-Description: {{DisplayName}}
# Description:       {{Description}}
### END INIT INFO
# chkconfig: 2345 99 01
# description: {{Description}}
#
# Written by lanyard-agent install; lanyard-agent uninstall removes it.

name=@NAME@
pid_file="/var/run/$name.pid"
out_log="{{LogDirectory}}/$name.out"

{{range EnvVars}}{{.}}
{{end}}[ -r /etc/default/$name ] && . /etc/default/$name
[ -r /etc/sysconfig/$name ] && . /etc/sysconfig/$name

launch() {
    {{if WorkingDirectory}}cd '{{WorkingDirectory}}' || exit 1
    {{end}}ulimit -n @NOFILE@ 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
    exec "{{Path}}"{{range Arguments}} {{. | cmd}}{{end}}
}

# is_running: the pid file names a live process. A zombie is not alive.
is_running() {
    [ -f "$pid_file" ] || return 1
    pid=$(cat "$pid_file" 2>/dev/null)
    [ -n "$pid" ] && [ -r "/proc/$pid/stat" ] || return 1
    state=$(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f1)
    [ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

# wait_stopped TENTHS: wait up to TENTHS tenths of a second for the exit.
wait_stopped() {
    i=0
    while is_running; do
        [ "$i" -ge "$1" ] && return 1
        sleep 0.1
        i=$((i + 1))
    done
    return 0
}

do_start() {
    if is_running; then
        echo "Already running"
        return 0
    fi
    echo "Starting $name"
    mkdir -p "{{LogDirectory}}"
    launch >>"$out_log" 2>&1 </dev/null &
    echo $! >"$pid_file"
    sleep 0.5
    if ! is_running; then
        rm -f "$pid_file"
        echo "$name stopped at once; see $out_log and the log beside it (lanyard-agent logs)"
        return 1
    fi
}

do_stop() {
    if ! is_running; then
        rm -f "$pid_file"
        echo "Not running"
        return 0
    fi
    echo "Stopping $name"
    kill "$pid" 2>/dev/null
    if ! wait_stopped 100; then
        echo "$name did not stop within 10 s; killing it"
        kill -9 "$pid" 2>/dev/null
        wait_stopped 20 || { echo "$name did not stop"; return 1; }
    fi
    rm -f "$pid_file"
    echo "Stopped"
}

case "$1" in
    start)
        do_start
        ;;
    stop)
        do_stop
        ;;
    restart|force-reload)
        do_stop && do_start
        ;;
    status)
        if is_running; then
            echo "Running"
            exit 0
        fi
        echo "Stopped"
        exit 3
        ;;
    *)
        echo "Usage: $0 {start|stop|restart|status}"
        exit 2
        ;;
esac
`
