package service

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/lanyard/lanyard/app/cmdline"

	"github.com/kardianos/service"
	"github.com/spf13/cobra"

	"github.com/lanyard/lanyard/app"
	"github.com/lanyard/lanyard/core/agent"
	"github.com/lanyard/lanyard/core/store"
)

// needsAdmin is the refusal for a command run without administrator
// rights.
func needsAdmin(what string) error {
	if runtime.GOOS == "windows" {
		return cmdline.Usagef("%s needs administrator rights: run it in a PowerShell or command prompt opened with \"Run as administrator\"", what)
	}
	return cmdline.Usagef("%s needs root: run it with sudo (sudo lanyard-agent %s)", what, what)
}

// serviceParams is the service this command works on: its name, and the
// data and log directories the installed service runs with.
func (e *env) serviceParams() (svcParams, error) {
	dir, err := e.dir()
	if err != nil {
		return svcParams{}, err
	}
	logDir, err := e.logDirectory(dir)
	if err != nil {
		return svcParams{}, err
	}
	return svcParams{Name: e.serviceName, DataDir: dir, LogDir: logDir, LogLevel: e.logLevel, LogJSON: e.logJSON}, nil
}

// checkServicePaths refuses directories the service files cannot carry
// safely (the SysV script quotes them for the shell).
func checkServicePaths(paths ...string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	for _, p := range paths {
		if strings.ContainsAny(p, "\"$`\\\n") {
			return cmdline.Usagef("%q: a service directory may not contain \", $, `, \\ or a line break", p)
		}
	}
	return nil
}

func (e *env) runner() runner {
	if e.firewall != nil {
		return e.firewall
	}
	return execRunner
}

func installCmd(e *env) *cobra.Command {
	var noFirewall, upgrade bool
	cmd := &cobra.Command{
		Use:   "install [--no-firewall | --upgrade-unit]",
		Short: "Install the agent as a system service that starts at boot",
		Long: `Install the agent as a system service (systemd, SysV init, launchd or the
Windows service manager, whichever this system has) that starts at boot and
restarts after a failure. It runs "lanyard-agent run" with this data
directory. Run init first; install needs root or Administrator.

Where the system has a firewall lanyard-agent can drive (Windows, ufw or
firewalld when active), install allows inbound TCP on the listen port;
otherwise it prints the command to run. --no-firewall skips that.

--upgrade-unit rewrites the systemd unit of a service installed by an older
version as this version writes it (restart 5 s after a failure, the start
limit, the hardening), keeping the program, data and log directories and
log settings it runs with, and reloads systemd; restart the service to run
under it. The Debian package does this on upgrade.`,
		Example: `  sudo lanyard-agent install
  sudo lanyard-agent start`,
		Args: cmdline.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if upgrade {
				return e.upgradeUnit(cmd.Context())
			}
			return e.install(cmd.Context(), noFirewall)
		},
	}
	cmd.Flags().BoolVar(&noFirewall, "no-firewall", false, "do not add a firewall rule")
	cmd.Flags().BoolVar(&upgrade, "upgrade-unit", false, "rewrite an installed service's systemd unit for this version, keeping its directories")
	cmd.MarkFlagsMutuallyExclusive("no-firewall", "upgrade-unit")
	return cmd
}

// upgradeUnit is install --upgrade-unit.
func (e *env) upgradeUnit(ctx context.Context) error {
	if !e.isPrivileged() {
		return needsAdmin("install")
	}
	path := systemdUnitPath(e.serviceName)
	p, changed, err := upgradeUnit(ctx, e.runner(), path)
	switch {
	case errors.Is(err, errNoUnit):
		fmt.Fprintf(e.stdout, "The %s service has no systemd unit (%s): nothing to upgrade\n", e.serviceName, path)
		return nil
	case err != nil && !changed:
		return err
	case !changed:
		fmt.Fprintf(e.stdout, "The systemd unit %s is this version's already\n", path)
		return nil
	}
	if err != nil {
		fmt.Fprintln(e.stderr, "warning:", err)
	}
	fmt.Fprintf(e.stdout, "Rewrote the systemd unit %s for this version; it runs %s with data directory %s and log directory %s.\nRestart the service to run under it: lanyard-agent%s restart\n",
		path, p.Executable, p.DataDir, p.LogDir, e.serviceFlag())
	return nil
}

func (e *env) install(ctx context.Context, noFirewall bool) error {
	p, s, state, err := e.managedService("install", func(p svcParams) error { return checkServicePaths(p.DataDir, p.LogDir) })
	if err != nil {
		return err
	}
	if state != StateNotInstalled {
		return cmdline.Usagef("the %s service is already installed (%s). To run it with changed settings: lanyard-agent restart; to install it afresh: lanyard-agent uninstall, then install", p.Name, state)
	}
	settings, err := readSettings(p.DataDir)
	if err != nil {
		return err
	}
	if !settings.Initialized() {
		return cmdline.Usagef("the agent is not initialised (no name or password in %s): run `lanyard-agent init --name NAME --password-stdin` first", p.DataDir)
	}
	if err := app.EnsurePrivateDir(p.LogDir); err != nil {
		return err
	}
	if err := service.Control(s, "install"); err != nil {
		// Take back whatever the service manager got half-way through.
		_ = s.Uninstall()
		if s.Platform() == platformSysV {
			_ = removeSysVLeftovers(p.Name)
		}
		return fmt.Errorf("installing the service failed: %w", err)
	}
	if err := afterInstall(p.Name); err != nil {
		fmt.Fprintln(e.stderr, "warning:", err)
	}
	exe, _ := os.Executable()
	fmt.Fprintf(e.stdout, "Installed the %s service (%s); it starts at boot and runs:\n  %s %s\n",
		p.Name, s.Platform(), exe, strings.Join(p.runArguments(), " "))
	if noFirewall {
		fmt.Fprintln(e.stdout, "firewall: left alone (--no-firewall)")
	} else {
		openFirewall(ctx, e.stdout, runtime.GOOS, e.runner(), p.Name, settings.Listen, p.DataDir, exe)
	}
	fmt.Fprintf(e.stdout, "Start it now: lanyard-agent%s start\n", e.serviceFlag())
	return nil
}

// serviceFlag repeats a non-default --service-name in suggested commands.
func (e *env) serviceFlag() string {
	if e.serviceName == DefaultServiceName {
		return ""
	}
	return " --service-name " + e.serviceName
}

// readSettings reads the agent's settings without creating anything: a
// data directory without agent.db has none. A running agent holds the
// database: that is an error here.
func readSettings(dataDir string) (agent.Settings, error) {
	path := filepath.Join(dataDir, app.AgentDB)
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return agent.Settings{}, nil
	}
	db, err := store.Open(path, store.Options{Kind: "agent"})
	if err != nil {
		return agent.Settings{}, err
	}
	defer db.Close()
	s, _, err := agent.LoadSettings(db)
	return s, err
}

func uninstallCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "uninstall",
		Short: "Stop the service and remove it (the data directory is kept)",
		Long: `Stop the agent's service and remove it from the service manager, with the
firewall rule install added. The data directory (name, key, certificate,
settings) and the log directory are kept: install again to use them, or
delete them to remove every trace.`,
		Args: cmdline.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return e.uninstall(cmd.Context()) },
	}
}

func (e *env) uninstall(ctx context.Context) error {
	p, s, state, err := e.managedService("uninstall", nil)
	if err != nil {
		return err
	}
	if state == StateNotInstalled {
		return cmdline.Usagef("the %s service is not installed", p.Name)
	}
	if state == StateRunning {
		if err := service.Control(s, "stop"); err != nil {
			return fmt.Errorf("stopping the service before removing it failed: %w", err)
		}
		fmt.Fprintf(e.stdout, "Stopped the %s service\n", p.Name)
	}
	if err := service.Control(s, "uninstall"); err != nil {
		return fmt.Errorf("removing the service failed: %w", err)
	}
	if s.Platform() == platformSysV {
		if err := removeSysVLeftovers(p.Name); err != nil {
			fmt.Fprintln(e.stderr, "warning: removing the runlevel links:", err)
		}
	}
	fmt.Fprintf(e.stdout, "Removed the %s service (%s)\n", p.Name, s.Platform())
	closeFirewall(ctx, e.stdout, runtime.GOOS, e.runner(), p.DataDir)
	fmt.Fprintf(e.stdout, "Kept the data directory %s and the log directory %s: install again to use them, or delete them to remove every trace.\n", p.DataDir, p.LogDir)
	return nil
}

// controlCmd is start, stop or restart.
func controlCmd(e *env, action string) *cobra.Command {
	short := map[string]string{
		"start":   "Start the installed service",
		"stop":    "Stop the service: every console link is closed with shutting_down",
		"restart": "Restart the service",
	}[action]
	return &cobra.Command{
		Use:   action,
		Short: short,
		Args:  cmdline.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return e.control(cmd.Context(), action) },
	}
}

func (e *env) control(ctx context.Context, action string) error {
	p, s, state, err := e.managedService(action, nil)
	if err != nil {
		return err
	}
	switch {
	case state == StateNotInstalled:
		return cmdline.Usagef("the %s service is not installed: run lanyard-agent install first", p.Name)
	case action == "start" && state == StateRunning:
		fmt.Fprintf(e.stdout, "The %s service is already running\n", p.Name)
		return nil
	case action == "stop" && state != StateRunning:
		fmt.Fprintf(e.stdout, "The %s service is not running\n", p.Name)
		return nil
	}
	if s.Platform() == platformSystemd {
		err = systemctl(ctx, e.runner(), action, p.Name)
	} else {
		err = service.Control(s, action)
	}
	if err != nil {
		return fmt.Errorf("%w; see lanyard-agent logs -n 20%s", err, e.serviceFlag())
	}
	state, err = serviceState(s, p.Name)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "The %s service is %s\n", p.Name, state)
	if action != "stop" && state != StateRunning {
		return fmt.Errorf("the service did not stay up; see lanyard-agent logs -n 20%s", e.serviceFlag())
	}
	return nil
}

// systemctl starts, stops or restarts the agent's systemd unit. A start
// or restart first clears the unit's failed state (systemctl
// reset-failed): once the agent failed startLimitBurst times within
// startLimitInterval, systemd refuses every start, even one a person asks
// for after fixing the cause, until that is done. Its failure (the unit
// had not failed) is no reason not to start.
func systemctl(ctx context.Context, run runner, action, name string) error {
	unit := name + ".service"
	if action == "start" || action == "restart" {
		_, _ = run(ctx, "systemctl", "reset-failed", unit)
	}
	if out, err := run(ctx, "systemctl", action, unit); err != nil {
		if out = strings.TrimSpace(out); out != "" {
			return fmt.Errorf("systemctl %s %s failed: %w: %s", action, unit, err, out)
		}
		return fmt.Errorf("systemctl %s %s failed: %w", action, unit, err)
	}
	return nil
}

// managedService checks the privileges action needs and asks the service
// manager about the agent's service: the first steps of install,
// uninstall, start, stop and restart. check, when set, runs on the
// parameters before the service manager is asked.
func (e *env) managedService(action string, check func(svcParams) error) (svcParams, service.Service, State, error) {
	if !e.isPrivileged() {
		return svcParams{}, nil, "", needsAdmin(action)
	}
	p, err := e.serviceParams()
	if err != nil {
		return svcParams{}, nil, "", err
	}
	if check != nil {
		if err := check(p); err != nil {
			return svcParams{}, nil, "", err
		}
	}
	s, err := newService(nil, p)
	if err != nil {
		return svcParams{}, nil, "", err
	}
	state, err := serviceState(s, p.Name)
	if err != nil {
		return svcParams{}, nil, "", fmt.Errorf("cannot ask the service manager (%s) about %s: %w", s.Platform(), p.Name, err)
	}
	return p, s, state, nil
}
