package console

import (
	"context"
	"io"
	"os"

	"github.com/lanyard/lanyard/app/cmdline"

	"github.com/sirupsen/logrus"
	"github.com/spf13/cobra"

	"github.com/lanyard/lanyard/app"
	"github.com/lanyard/lanyard/core/store"
	"github.com/lanyard/lanyard/core/version"
)

// env is what every command shares.
type env struct {
	dataDir  string
	logLevel string
	logJSON  bool
	stdin    io.Reader
	stdout   io.Writer
	stderr   io.Writer
}

func (e *env) dir() (string, error) {
	if e.dataDir != "" {
		return e.dataDir, nil
	}
	return app.ConsoleDataDir()
}

func (e *env) logger() (*logrus.Logger, error) {
	return app.NewLogger(e.stderr, e.logLevel, e.logJSON)
}

// openDB opens the console's database; a running console holding it
// produces the store's "already running" error, never a hang.
func (e *env) openDB(log logrus.FieldLogger) (*store.DB, error) {
	dir, err := e.dir()
	if err != nil {
		return nil, err
	}
	return app.OpenStore(dir, "console", log)
}

// Main runs the console's command line and returns the exit code.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := rootCmd(&env{stdin: stdin, stdout: stdout, stderr: stderr})
	return cmdline.Execute(context.Background(), root, args, stderr)
}

// Command is the console's command tree as the binary runs it, so its
// manual pages and shell completions can be generated from it when the
// packages are built (packaging/gendocs).
func Command() *cobra.Command {
	return rootCmd(&env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr})
}

func rootCmd(e *env) *cobra.Command {
	root := &cobra.Command{
		Use:   "lanyard",
		Short: "Lanyard console: manage many servers running lanyard-agent",
		Long: `Lanyard console. With no command it opens the window.

settings, log, audit, report, slave (add, edit, remove, connect,
disconnect, mute, trust, list, import, export) and group (list, rename)
work through the running console (the window or lanyard serve), or on
the data directory when none runs. serve needs the console stopped.
status, agent-log, agent-settings, password and task manage slaves
through the running console; check asks it how the fleet is, for a
monitoring system.`,
		Version:       version.String(),
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.NoArgs,
		RunE:          func(cmd *cobra.Command, _ []string) error { return runGUI(cmd.Context(), e) },
	}
	root.SetIn(e.stdin)
	root.SetOut(e.stdout)
	root.SetErr(e.stderr)
	root.PersistentFlags().StringVar(&e.dataDir, "data-dir", "", "data directory (default: the user's config dir + /lanyard)")
	root.PersistentFlags().StringVar(&e.logLevel, "log-level", "info", "log level: debug, info, warning, error")
	root.PersistentFlags().BoolVar(&e.logJSON, "log-json", false, "log JSON lines instead of text")
	root.SetFlagErrorFunc(cmdline.FlagError)
	root.AddCommand(serveCmd(e), settingsCmd(e), slaveCmd(e), groupCmd(e), logCmd(e),
		statusCmd(e), agentLogCmd(e), agentSettingsCmd(e), passwordCmd(e), auditCmd(e), taskCmd(e), reportCmd(e), checkCmd(e))
	e.addNameCompletions(root)
	return root
}

// Run is main's body for the console binary.
func Run() int {
	defer app.ProfileFromEnv("lanyard")()
	return Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
}
