package service

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"

	"github.com/sirupsen/logrus"
	"github.com/spf13/cobra"

	"github.com/lanyard/lanyard/app"
	"github.com/lanyard/lanyard/app/cmdline"
	"github.com/lanyard/lanyard/core/logtail"
)

func logsCmd(e *env) *cobra.Command {
	var follow bool
	var level string
	var n int
	cmd := &cobra.Command{
		Use:   "logs [-f] [--level L] [-n N]",
		Short: "Print or follow the agent's log",
		Long: `Print the last N lines of the agent's log file (lanyard-agent.log in the log
directory), or follow it as it grows (-f, through rotations) until
interrupted. --level keeps lines at that level and above: debug, info,
warning, error. Text and JSON lines are both understood.`,
		Example: `  lanyard-agent logs -n 100
  lanyard-agent logs -f --level warning`,
		Args: cmdline.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			min := logrus.TraceLevel
			if level != "" {
				var err error
				if min, err = logrus.ParseLevel(level); err != nil {
					return cmdline.Usagef("--level %q: use debug, info, warning or error", level)
				}
			}
			if n < 0 {
				return cmdline.Usagef("-n %d: give a number of lines, 0 for all", n)
			}
			dir, err := e.dir()
			if err != nil {
				return err
			}
			logDir, err := e.logDirectory(dir)
			if err != nil {
				return err
			}
			return printLog(cmd.Context(), filepath.Join(logDir, app.AgentLogFile), logtail.Options{
				All: n == 0, Last: n, MinLevel: min, Follow: follow, HoldOpen: logtail.DefaultHoldOpen,
			}, e.stdout)
		},
	}
	cmd.Flags().BoolVarP(&follow, "follow", "f", false, "keep printing new lines as they are written")
	cmd.Flags().StringVar(&level, "level", "", "only lines at this level and above: debug, info, warning, error")
	cmd.Flags().IntVarP(&n, "lines", "n", 50, "print the last N lines (0: all)")
	return cmd
}

// printLog prints the lines of the log at path that o asks for.
func printLog(ctx context.Context, path string, o logtail.Options, out io.Writer) error {
	err := logtail.Tail(ctx, path, o, func(lines []logtail.Line) error {
		for _, l := range lines {
			if _, err := out.Write(append(l.Text, '\n')); err != nil {
				return err
			}
		}
		return nil
	})
	if errors.Is(err, logtail.ErrNoLog) {
		return fmt.Errorf("no log at %s yet: the agent has not run with this log directory (see --data-dir, --log-dir)", path)
	}
	return err
}
