package console

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"

	"github.com/lanyard/lanyard/app/cmdline"
	"github.com/lanyard/lanyard/core/address"

	"github.com/spf13/cobra"

	"github.com/lanyard/lanyard/app"
	"github.com/lanyard/lanyard/core/link"
	"github.com/lanyard/lanyard/core/master"
	"github.com/lanyard/lanyard/core/wire/pb"
)

func settingsCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "settings", Short: "Show or change the Remote Management Settings"}
	var asJSON bool
	show := &cobra.Command{
		Use:   "show",
		Short: "Show the settings",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			db, err := e.openDB(nil)
			if err != nil {
				return err
			}
			defer db.Close()
			s, err := master.LoadSettings(db)
			if err != nil {
				return err
			}
			id, err := app.LoadIdentity(db, pb.Role_ROLE_MASTER)
			if err != nil {
				return err
			}
			if asJSON {
				return json.NewEncoder(e.stdout).Encode(struct {
					master.Settings
					Fingerprint string `json:"fingerprint"`
				}{s, id.Fingerprint})
			}
			printSettings(e, s, id.Fingerprint)
			return nil
		},
	}
	show.Flags().BoolVar(&asJSON, "json", false, "print JSON")

	var listen, ssl string
	var noListen bool
	var heartbeat int
	set := &cobra.Command{
		Use:   "set",
		Short: "Change the settings",
		Example: `  lanyard settings set --listen :16888 --ssl on
  lanyard settings set --no-listen`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if listen != "" && noListen {
				return cmdline.Usagef("--listen and --no-listen contradict each other")
			}
			if !cmd.Flags().Changed("listen") && !noListen && ssl == "" && !cmd.Flags().Changed("heartbeat") {
				return cmdline.Usagef("nothing to change: give --listen HOST:PORT, --no-listen, --ssl on|off or --heartbeat SECONDS")
			}
			sslOn, err := cmdline.ParseOnOff("--ssl", ssl)
			if err != nil {
				return err
			}
			if listen != "" {
				if _, err := address.ParseListen(listen); err != nil {
					return cmdline.Usage(err)
				}
			}
			db, err := e.openDB(nil)
			if err != nil {
				return err
			}
			defer db.Close()
			s, err := master.LoadSettings(db)
			if err != nil {
				return err
			}
			if listen != "" {
				s.Listen, s.ListenAddress = true, listen
			}
			if noListen {
				s.Listen = false
			}
			if sslOn != nil {
				s.SSL = *sslOn
			}
			if cmd.Flags().Changed("heartbeat") {
				s.HeartbeatSeconds = heartbeat
			}
			if err := master.SaveSettings(db, s); err != nil {
				return cmdline.Usage(err)
			}
			printSettings(e, s, "")
			return nil
		},
	}
	set.Flags().StringVar(&listen, "listen", "", "listen for inbound slaves on HOST:PORT (e.g. :16888)")
	set.Flags().BoolVar(&noListen, "no-listen", false, "stop listening for inbound slaves")
	set.Flags().StringVar(&ssl, "ssl", "", "on or off; must match every slave")
	set.Flags().IntVar(&heartbeat, "heartbeat", 0, "seconds between pings (default 15)")
	cmd.AddCommand(show, set)
	return cmd
}

// printSettings prints the settings, with this console's certificate
// fingerprint when fp is given.
func printSettings(e *env, s master.Settings, fp string) {
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	listen := "off"
	if s.Listen {
		listen = "on, " + s.ListenAddress
	}
	fmt.Fprintf(tw, "listen\t%s\n", listen)
	ssl := "on: " + link.SSLOnRisk
	if !s.SSL {
		ssl = "off: " + link.SSLOffRisk + "; " + link.SSLAdvice
	}
	fmt.Fprintf(tw, "ssl\t%s\n", ssl)
	fmt.Fprintf(tw, "heartbeat\t%s\n", s.Heartbeat())
	if fp != "" {
		fmt.Fprintf(tw, "certificate\t%s\n", link.FormatFingerprint(fp))
		fmt.Fprintf(tw, "\t(give it to an agent that dials this console: lanyard-agent masters add HOST:PORT=SHA256:…)\n")
	}
	_ = tw.Flush()
}
