package service

import (
	"encoding/json"
	"fmt"

	"github.com/lanyard/lanyard/app/cmdline"
	"github.com/lanyard/lanyard/core/address"

	"github.com/spf13/cobra"

	"github.com/lanyard/lanyard/core/portcheck"
)

func portCheckCmd(e *env) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "port-check PORT",
		Short: "Say whether a TCP port is free here, and which process holds it if not",
		Long: `Say whether TCP port PORT is free on this machine. If it is not, name the
process that holds it (pid, name and command line; run as root or
Administrator to see other users' processes) and suggest a free port above
5000. Exit 0 when the port is free, 1 when it is not.`,
		Example: "  lanyard-agent port-check 16888",
		Args:    cmdline.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			port, err := address.ParsePort(args[0])
			if err != nil {
				return cmdline.Usage(err)
			}
			r, err := portcheck.CheckContext(cmd.Context(), port)
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(e.stdout)
				enc.SetIndent("", "  ")
				if err := enc.Encode(r); err != nil {
					return err
				}
			} else {
				fmt.Fprintln(e.stdout, r.String())
			}
			if !r.Free {
				return fmt.Errorf("port %d is not free", port)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON for scripts")
	return cmd
}
