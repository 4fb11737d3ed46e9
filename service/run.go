package service

import (
	"context"
	"errors"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"

	"github.com/lanyard/lanyard/app/cmdline"

	"github.com/kardianos/service"
	"github.com/sirupsen/logrus"
	"github.com/spf13/cobra"

	"github.com/lanyard/lanyard/app"
	"github.com/lanyard/lanyard/core/agent"
	"github.com/lanyard/lanyard/core/link"
	"github.com/lanyard/lanyard/core/store"
	"github.com/lanyard/lanyard/core/version"
	"github.com/lanyard/lanyard/core/wire/pb"
)

func runCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Run the agent (in the foreground, or as the service manager's service)",
		Long: `Run the agent: listen when set, dial each master, answer consoles. In a
terminal it runs in the foreground and logs to standard error and to its log
file; SIGINT or SIGTERM closes every link with shutting_down. The installed
service runs this same command (with --as-service): it then logs to the file
and the system log (journald/syslog, the Windows event log).`,
		Args: cmdline.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return e.run(cmd.Context()) },
	}
	cmd.Flags().BoolVar(&e.asService, "as-service", false, "run under the service manager (set by install)")
	_ = cmd.Flags().MarkHidden("as-service")
	return cmd
}

func (e *env) run(ctx context.Context) error {
	dir, err := e.dir()
	if err != nil {
		return err
	}
	logDir, err := e.logDirectory(dir)
	if err != nil {
		return err
	}
	// Under a service manager nothing goes to standard error: SysV keeps
	// it in an unrotated file, systemd would log every line twice.
	managed := e.asService || !service.Interactive()
	file, err := app.RotatedFile(logDir, app.AgentLogFile)
	if err != nil {
		return err
	}
	defer file.Close()
	var out io.Writer = file
	if !managed {
		out = io.MultiWriter(e.stderr, file)
	}
	log, err := app.NewLogger(out, e.logLevel, e.logJSON)
	if err != nil {
		return cmdline.Usage(err)
	}

	p := newProgram(nil, log)
	params := svcParams{Name: e.serviceName, DataDir: dir, LogDir: logDir, LogLevel: e.logLevel, LogJSON: e.logJSON}
	cfg := serviceConfig(params, service.Platform())
	// kardianos' Unix back ends wait for SIGTERM by default; wait for the
	// agent failing too, so a failed start ends the process (and the
	// manager restarts it).
	cfg.Option["RunWait"] = func() { waitForStop(ctx, p) }
	s, err := service.New(p, cfg)
	if err != nil && managed {
		return err
	}
	if managed && s != nil {
		// SystemLogger is what s.Logger(nil) returns under a service
		// manager; asked for directly because kardianos takes a SysV
		// service in a container for an interactive one.
		if sl, err := s.SystemLogger(nil); err == nil {
			log.AddHook(app.NewSystemLogHook(sl))
		} else {
			log.WithError(err).Warn("no system log to write to; the log file has every line")
		}
	}

	err = e.runAgent(ctx, log, dir, logDir, p, s, managed)
	var locked *store.LockedError
	switch {
	case err == nil:
	case !managed && errors.As(err, &locked):
		// Another agent runs with this directory and writes this log:
		// a refused second run in a terminal is no news of that one.
	case !managed:
		// In a terminal the command line says it on standard error:
		// there, only the log file gets it.
		fileOnly, _ := app.NewLogger(file, e.logLevel, e.logJSON)
		fileOnly.WithError(err).Error(stoppedWords(p))
	default:
		log.WithError(err).Error(stoppedWords(p))
	}
	return err
}

// stoppedWords is the log's line for a run that ended in an error: the
// agent stopped, or never started.
func stoppedWords(p *program) string {
	if p.agent == nil {
		return "the agent could not start"
	}
	return "the agent stopped"
}

func (e *env) runAgent(ctx context.Context, log *logrus.Logger, dir, logDir string, p *program, s service.Service, managed bool) error {
	if notExist(filepath.Join(dir, app.AgentDB)) {
		return agent.ErrNotInitialized // and a run creates no database for it
	}
	db, err := e.openDB(log)
	if err != nil {
		return err
	}
	defer db.Close()
	settings, _, err := agent.LoadSettings(db)
	if err != nil {
		return err
	}
	if !settings.Initialized() {
		return agent.ErrNotInitialized
	}
	id, err := app.LoadIdentity(db, pb.Role_ROLE_AGENT)
	if err != nil {
		return err
	}
	p.agent = agent.New(agent.Config{DB: db, Identity: id, Logger: log, Version: version.String(), DataDir: dir,
		// The CLI reaches the running agent through this socket.
		ControlDir: dir,
		// Consoles tail this file (their Log tab, lanyard agent-log).
		LogFile:        filepath.Join(logDir, app.AgentLogFile),
		WithoutMethods: withoutMethods()})
	p.onStarted = func() {
		log.WithField("fingerprint", link.ShortFingerprint(id.Fingerprint)).Infof("agent %s running", version.String())
	}
	if !managed || s == nil {
		err = runForeground(ctx, p)
	} else {
		err = runManaged(p, s)
	}
	if err != nil {
		return err
	}
	return db.Close()
}

// runForeground is `run` in a terminal: what kardianos does for an
// interactive service, plus stopping when the agent fails.
func runForeground(ctx context.Context, p *program) error {
	if err := p.Start(nil); err != nil {
		return err
	}
	waitForStop(ctx, p)
	return p.Stop(nil)
}

// runManaged hands the program to the service manager.
func runManaged(p *program, s service.Service) error {
	if runtime.GOOS == "windows" {
		// The Windows service manager stops a service only when asked:
		// ask it when the agent failed, so the service ends with the
		// error and its recovery action restarts it.
		finished := make(chan struct{})
		defer close(finished)
		go func() {
			select {
			case <-p.Failed():
				_ = s.Stop()
			case <-finished:
			}
		}()
	}
	return s.Run()
}

// waitForStop returns on SIGINT or SIGTERM, when ctx ends, or when the
// agent failed.
func waitForStop(ctx context.Context, p *program) {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sig)
	select {
	case <-sig:
	case <-ctx.Done():
	case <-p.Failed():
	}
}

// withoutMethodsEnv lists request methods the agent acts as if it did not
// know, comma-separated: end-to-end tests use it to play an older agent.
const withoutMethodsEnv = "LANYARD_AGENT_WITHOUT_METHODS"

func withoutMethods() []string {
	return strings.FieldsFunc(os.Getenv(withoutMethodsEnv), func(r rune) bool { return r == ',' || r == ' ' })
}
