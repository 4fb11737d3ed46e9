package console

import (
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/lanyard/lanyard/app/cmdline"
	"github.com/lanyard/lanyard/core/address"

	"github.com/spf13/cobra"

	"github.com/lanyard/lanyard/app"
	"github.com/lanyard/lanyard/core/link"
	"github.com/lanyard/lanyard/core/mail"
	"github.com/lanyard/lanyard/core/master"
	"github.com/lanyard/lanyard/core/wire/pb"
)

func settingsCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "settings", Short: "Show or change the Remote Management Settings"}
	cmd.AddCommand(settingsShowCmd(e), settingsSetCmd(e), testMailCmd(e))
	return cmd
}

// settingsShowCmd is lanyard settings show.
func settingsShowCmd(e *env) *cobra.Command {
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
				ms, err := mail.Load(db)
				if err != nil {
					return err
				}
				return json.NewEncoder(e.stdout).Encode(struct {
					master.Settings
					Fingerprint string   `json:"fingerprint"`
					Mail        mailJSON `json:"mail"`
				}{s, id.Fingerprint, mailJSON{ms, mail.HasPassword(db)}})
			}
			printSettings(e, s, id.Fingerprint)
			return printMail(e, db)
		},
	}
	show.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return show
}

// settingsSetCmd is lanyard settings set.
func settingsSetCmd(e *env) *cobra.Command {
	var listen, ssl, public, publicPorts string
	var noListen bool
	var heartbeat int
	var grace time.Duration
	var mf mailFlags
	set := &cobra.Command{
		Use:   "set",
		Short: "Change the settings",
		Example: `  lanyard settings set --listen :16888 --ssl on
  lanyard settings set --public office.example.com --public-ports 16888,50000
  lanyard settings set --no-listen
  lanyard settings set --smtp-server smtp.example.com:587 --smtp-from lanyard@example.com \
      --smtp-to ops@example.com --smtp-user ops --smtp-password-stdin --daily-report 07:30
  lanyard settings set --alert-grace 5m`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if listen != "" && noListen {
				return cmdline.Usagef("--listen and --no-listen contradict each other")
			}
			changed := func(flag string) bool { return cmd.Flags().Changed(flag) }
			mailChanged := mf.changed(cmd)
			if !changed("listen") && !noListen && ssl == "" && !changed("heartbeat") && !changed("public") && !changed("public-ports") &&
				!changed("alert-grace") && !mailChanged {
				return cmdline.Usagef("nothing to change: give --listen HOST:PORT, --no-listen, --ssl on|off, --heartbeat SECONDS, --public HOST, --public-ports PORT,PORT, --alert-grace DURATION or --smtp-…")
			}
			sslOn, err := cmdline.ParseOnOff("--ssl", ssl)
			if err != nil {
				return err
			}
			var ports []int
			if changed("public-ports") {
				if ports, err = master.ParsePorts(publicPorts); err != nil {
					return cmdline.Usage(err)
				}
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
			if changed("public") {
				s.PublicHost = strings.TrimSpace(public)
				if s.PublicHost == "" && !changed("public-ports") {
					s.PublicPorts = nil // no public address, no ports forwarded to it
				}
			}
			if changed("public-ports") {
				s.PublicPorts = ports
			}
			if changed("alert-grace") {
				if grace < time.Second || grace%time.Second != 0 {
					return cmdline.Usagef("--alert-grace %s: give whole seconds, at least 1s (e.g. 90s, 5m)", grace)
				}
				s.AlertGraceSeconds = int(grace / time.Second)
			}
			if err := master.SaveSettings(db, s); err != nil {
				return cmdline.Usage(err)
			}
			if mailChanged {
				if err := mf.apply(cmd, e, db); err != nil {
					return err
				}
			}
			id, err := app.LoadIdentity(db, pb.Role_ROLE_MASTER)
			if err != nil {
				return err
			}
			printSettings(e, s, id.Fingerprint)
			return printMail(e, db)
		},
	}
	set.Flags().StringVar(&listen, "listen", "", "listen for inbound slaves on HOST:PORT (e.g. :16888)")
	set.Flags().BoolVar(&noListen, "no-listen", false, "stop listening for inbound slaves")
	set.Flags().StringVar(&ssl, "ssl", "", "on or off; must match every slave")
	set.Flags().IntVar(&heartbeat, "heartbeat", 0, "seconds between pings (default 15)")
	set.Flags().StringVar(&public, "public", "", `where agents on the Internet find this console: the office router's public address or name ("" for none)`)
	set.Flags().StringVar(&publicPorts, "public-ports", "", "the ports the router forwards to this console, in the order agents try them (e.g. 16888,50000; default the listening port)")
	set.Flags().DurationVar(&grace, "alert-grace", 0, "how long a backup stays failed or overdue, or a slave offline, before a notification or mail says so (default 1m)")
	mf.register(set)
	return set
}

// printSettings prints the settings, with this console's certificate
// fingerprint when fp is given, where agents reach this console, and the
// command that sets up a new site's agent to dial it.
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
	fmt.Fprintf(tw, "alert grace\t%s\n", s.AlertGrace())
	if fp != "" {
		fmt.Fprintf(tw, "certificate\t%s\n", link.FormatFingerprint(fp))
		fmt.Fprintf(tw, "\t(give it to an agent that dials this console: lanyard-agent masters add HOST:PORT=SHA256:…)\n")
	}
	lan := master.LANAddresses(s.ListenAddress)
	fmt.Fprintf(tw, "on this network\t%s\n", strings.Join(lan, ", "))
	public := "none (set one with --public HOST --public-ports 16888,50000 for agents on the Internet)"
	if pub := s.PublicAddresses(); len(pub) > 0 {
		public = strings.Join(pub, ", ")
	}
	fmt.Fprintf(tw, "from the Internet\t%s\n", public)
	fmt.Fprintf(tw, "new site's agent\t%s\n", master.AgentInitLine(s.AgentAddresses(lan), s.SSL, fp))
	_ = tw.Flush()
}
