package console

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/lanyard/lanyard/app/cmdline"
	"github.com/lanyard/lanyard/core/human"

	"github.com/spf13/cobra"
)

func serveCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "serve",
		Short: "Run the console without a window",
		Long: `Run the console without a window: listen for inbound slaves when set,
dial every outbound slave, keep the links up and log every connection event
to standard error. SIGINT or SIGTERM stops it cleanly: links are closed with
shutting_down and the log is flushed.`,
		Args: cmdline.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log, err := e.logger()
			if err != nil {
				return cmdline.Usage(err)
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			rt, err := startRuntime(ctx, e, log)
			if err != nil {
				return err
			}
			defer rt.Close()
			s := rt.master.Settings()
			listening := "not listening for inbound slaves"
			if addr := rt.master.ListenAddr(); addr != "" {
				listening = "listening on " + addr
			} else if lerr := rt.master.ListenError(); lerr != nil {
				listening = "NOT listening: " + lerr.Error()
			}
			ssl := "SSL off"
			if s.SSL {
				ssl = "SSL on"
			}
			log.Infof("console running with %s; %s; %s", human.Plural(len(rt.master.Slaves()), "slave", "slaves"), listening, ssl)
			<-ctx.Done()
			log.Info("stopping: closing every link")
			if err := rt.Close(); err != nil {
				return fmt.Errorf("stopping: %w", err)
			}
			log.Info("stopped")
			return nil
		},
	}
}
