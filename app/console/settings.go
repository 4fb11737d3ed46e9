package console

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/lanyard/lanyard/app"
	"github.com/lanyard/lanyard/app/cmdline"
	"github.com/lanyard/lanyard/core/address"
	"github.com/lanyard/lanyard/core/human"
	"github.com/lanyard/lanyard/core/link"
	"github.com/lanyard/lanyard/core/master"
	"github.com/lanyard/lanyard/core/store"
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
		Short: "Show the settings (of the running console, or in its data directory)",
		Args:  cmdline.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			v, err := e.readSettingsView(cmd.Context())
			if err != nil {
				return err
			}
			return e.printSettingsView(v, asJSON)
		},
	}
	show.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return show
}

// readSettingsView reads the settings of the running console, or in its
// data directory when none runs.
func (e *env) readSettingsView(ctx context.Context) (settingsView, error) {
	return runningOrStored(ctx, e, ctlRequest{Op: opConsoleSettings}, nil, settingsAnswer,
		func(db *store.DB) (settingsView, error) { return viewOf(dbHome{db}) })
}

// agentInitLine is the command that sets up the agent of a server named
// name (NAME when "") to dial this console: its addresses (public ones
// when set), SSL and certificate fingerprint.
func agentInitLine(s master.Settings, fp, name string) string {
	return master.AgentInitLine(name, s.AgentAddresses(master.LANAddresses(s.ListenAddress)), s.SSL, fp)
}

// settingsAnswer is the running console's settings in its answer.
func settingsAnswer(r ctlResponse) settingsView {
	if r.ConsoleSettings == nil {
		return settingsView{}
	}
	return *r.ConsoleSettings
}

func (e *env) printSettingsView(v settingsView, asJSON bool) error {
	if asJSON {
		return json.NewEncoder(e.stdout).Encode(v)
	}
	// One table, so the mail settings line up with the rest.
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	printSettings(tw, v.Settings, v.Fingerprint, v.ListenError)
	printMail(tw, v.Mail)
	return tw.Flush()
}

// settingsFlags are lanyard settings set's flags.
type settingsFlags struct {
	listen, ssl, public, publicPorts string
	noListen                         bool
	heartbeat                        int
	grace                            time.Duration
	mail                             mailFlags
}

// settingsSetCmd is lanyard settings set.
func settingsSetCmd(e *env) *cobra.Command {
	var f settingsFlags
	set := &cobra.Command{
		Use:   "set",
		Short: "Change the settings (of the running console at once, or in its data directory)",
		Example: `  lanyard settings set --listen :16888 --ssl on
  lanyard settings set --public office.example.com --public-ports 16888,50000
  lanyard settings set --no-listen
  lanyard settings set --smtp-server smtp.example.com:587 --smtp-from lanyard@example.com \
      --smtp-to ops@example.com --smtp-user ops --smtp-password-stdin --daily-report 07:30
  lanyard settings set --alert-grace 5m`,
		Args: cmdline.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ed, err := f.edit(cmd)
			if err != nil {
				return err
			}
			var pw []byte
			if ed.SetMailPassword {
				if pw, err = app.ReadPassword(e.stdin, e.stderr, false); err != nil {
					return err
				}
				defer clear(pw)
			}
			v, err := runningOrStored(cmd.Context(), e, ctlRequest{Op: opConsoleSettingsSet, Edit: &ed, Password: pw}, nil, settingsAnswer,
				func(db *store.DB) (settingsView, error) {
					password := string(pw)
					if err := applyEdit(dbHome{db}, ed, &password); err != nil {
						return settingsView{}, err
					}
					return viewOf(dbHome{db})
				})
			if err != nil {
				return err
			}
			return e.printSettingsView(v, false)
		},
	}
	fl := set.Flags()
	fl.StringVar(&f.listen, "listen", "", "listen for inbound slaves on HOST:PORT (e.g. :16888)")
	fl.BoolVar(&f.noListen, "no-listen", false, "stop listening for inbound slaves")
	fl.StringVar(&f.ssl, "ssl", "", "on or off; must match every slave")
	fl.IntVar(&f.heartbeat, "heartbeat", 0, "seconds between pings (default 15)")
	fl.StringVar(&f.public, "public", "", `where agents on the Internet find this console: the office router's public address or name ("" for none)`)
	fl.StringVar(&f.publicPorts, "public-ports", "", "the ports the router forwards to this console, in the order agents try them (e.g. 16888,50000; default the listening port)")
	fl.DurationVar(&f.grace, "alert-grace", 0, "how long a backup stays failed or overdue, or a slave offline, before a notification or mail says so (default 1m)")
	f.mail.register(set)
	return set
}

// edit is the change the flags ask for, checked as far as it can be
// without the settings it changes.
func (f *settingsFlags) edit(cmd *cobra.Command) (settingsEdit, error) {
	var ed settingsEdit
	changed := cmd.Flags().Changed
	if f.listen != "" && f.noListen {
		return ed, cmdline.Usagef("--listen and --no-listen contradict each other")
	}
	if f.listen != "" {
		if _, err := address.ParseListen(f.listen); err != nil {
			return ed, cmdline.Usage(err)
		}
		ed.Listen = &f.listen
	}
	if f.noListen {
		ed.Listen = new(string)
	}
	var err error
	if ed.SSL, err = cmdline.ParseOnOff("--ssl", f.ssl); err != nil {
		return ed, err
	}
	if changed("heartbeat") {
		ed.Heartbeat = &f.heartbeat
	}
	if changed("public") {
		public := strings.TrimSpace(f.public)
		ed.Public = &public
	}
	if changed("public-ports") {
		ports, err := master.ParsePorts(f.publicPorts)
		if err != nil {
			return ed, cmdline.Usage(err)
		}
		ed.PublicPorts = &ports
	}
	if changed("alert-grace") {
		if f.grace < time.Second || f.grace%time.Second != 0 {
			return ed, cmdline.Usagef("--alert-grace %s: give whole seconds, at least 1s (e.g. 90s, 5m)", f.grace)
		}
		seconds := int(f.grace / time.Second)
		ed.AlertGrace = &seconds
	}
	if f.mail.changed(cmd) {
		if ed.Mail, err = f.mail.edit(cmd); err != nil {
			return ed, err
		}
		ed.SetMailPassword = f.mail.passwordStdin
	}
	if !ed.touchesSettings() && ed.Mail == nil {
		return ed, cmdline.Usagef("nothing to change: give --listen HOST:PORT, --no-listen, --ssl on|off, --heartbeat SECONDS, --public HOST, --public-ports PORT,PORT, --alert-grace DURATION or --smtp-…")
	}
	return ed, nil
}

// printSettings prints the settings, with why the running console does
// not listen when listenErr is given, this console's certificate
// fingerprint when fp is given, where agents reach this console, and the
// command that sets up a new site's agent to dial it.
func printSettings(tw io.Writer, s master.Settings, fp, listenErr string) {
	listen := "off"
	if s.Listen {
		listen = "on, " + s.ListenAddress
	}
	if listenErr != "" {
		listen += " (NOT listening: " + listenErr + ")"
	}
	fmt.Fprintf(tw, "listen\t%s\n", listen)
	ssl := "on: " + link.SSLOnRisk
	if !s.SSL {
		ssl = "off: " + link.SSLOffRisk + "; " + link.SSLAdvice
	}
	fmt.Fprintf(tw, "ssl\t%s\n", ssl)
	fmt.Fprintf(tw, "heartbeat\t%s\n", human.Typed(s.Heartbeat()))
	fmt.Fprintf(tw, "alert grace\t%s\n", human.Typed(s.AlertGrace()))
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
	fmt.Fprintf(tw, "new site's agent\t%s\n", agentInitLine(s, fp, ""))
}
