package service

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/lanyard/lanyard/app/cmdline"

	"github.com/spf13/cobra"

	"github.com/lanyard/lanyard/app"
	"github.com/lanyard/lanyard/core/address"
	"github.com/lanyard/lanyard/core/agent"
	"github.com/lanyard/lanyard/core/human"
	"github.com/lanyard/lanyard/core/link"
)

// configCmds are the commands that change settings: through the running
// agent's control socket when it runs (taking effect at once), else in the
// database.
func configCmds(e *env) []*cobra.Command {
	return []*cobra.Command{mastersCmd(e), setCmd(e), passwordCmd(e)}
}

// configure applies one change and says what changed and where.
func (e *env) configure(req agent.ControlRequest) error {
	_, err := e.configured(req)
	return err
}

// configured is configure, with the result.
func (e *env) configured(req agent.ControlRequest) (agent.Result, error) {
	dir, err := e.dir()
	if err != nil {
		return agent.Result{}, err
	}
	res, err := agent.Configure(dir, req)
	if err != nil {
		return res, err
	}
	if len(res.Changes) == 0 {
		fmt.Fprintln(e.stdout, "nothing to change")
		return res, nil
	}
	for _, c := range res.Changes {
		fmt.Fprintln(e.stdout, c)
	}
	if res.Status.Running {
		fmt.Fprintln(e.stdout, "applied to the running agent")
	} else {
		fmt.Fprintln(e.stdout, "saved; the agent uses it when it starts")
	}
	return res, nil
}

// movedListenerNote warns, after the listen address changed, of the
// consoles that dialed this agent at the old one and are linked now:
// they stay linked, but reach it again only once their entries have the
// new address. "" when none is.
func movedListenerNote(st agent.StatusSnapshot) string {
	n := len(st.Consoles)
	if n == 0 {
		return ""
	}
	who := human.Plural(n, "console", "consoles") + " linked now dialed this agent at its old address"
	one := n == 1
	pick := func(single, plural string) string {
		if one {
			return single
		}
		return plural
	}
	if st.Listen == "" {
		return fmt.Sprintf("note: %s: %s linked, but cannot reach %s again once %s, as %s no longer listens",
			who, pick("it stays", "they stay"), st.Name, pick("the link ends", "their links end"), st.Name)
	}
	_, port := address.Split(cmp.Or(st.ListenAddr, st.Listen))
	return fmt.Sprintf("note: %s: %s linked, but %s %s again only once %s there %s the new port (in %s: lanyard slave edit %s --address HOST:%s, or Edit Slave)",
		who, pick("it stays", "they stay"), pick("reaches", "reach"), st.Name, pick("its entry", "their entries"), pick("has", "have"),
		pick("that console", "each"), st.Name, port)
}

func mastersCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "masters",
		Short: "List, add, remove, trust or retry the consoles this agent dials",
		Args:  cmdline.NoArgs,
	}
	cmd.AddCommand(mastersListCmd(e), mastersAddCmd(e), mastersRemoveCmd(e), mastersTrustCmd(e), mastersRetryCmd(e))
	return cmd
}

func mastersListCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the consoles this agent dials, with each link's state",
		Args:  cmdline.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			dir, err := e.dir()
			if err != nil {
				return err
			}
			res, err := agent.Configure(dir, agent.ControlRequest{Op: agent.OpMastersList})
			if err != nil {
				return err
			}
			return e.printMasters(res.Status)
		},
	}
}

// printMasters is masters list's table: each console, its link's state
// and last error, then why the other addresses of a linked console failed.
func (e *env) printMasters(st agent.StatusSnapshot) error {
	if len(st.Masters) == 0 {
		fmt.Fprintln(e.stdout, "no masters: this agent dials no console (lanyard-agent masters add HOST:PORT)")
		return nil
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "MASTER\tSTATE\tSINCE\tCERTIFICATE\tLAST ERROR")
	var notes []string
	for _, m := range st.Masters {
		state, since := string(m.State), "-"
		if !st.Running {
			state = "not running"
		} else if !m.Since.IsZero() {
			since = m.Since.Local().Format(time.DateTime)
		}
		if m.Via != "" && len(m.Addresses) > 1 {
			state += " through " + place(m, m.Via)
		}
		cert := "the next one seen"
		if m.Fingerprint != "" {
			cert = link.ShortFingerprint(m.Fingerprint)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", m.Address, state, since, cert, lastErrorCell(m, time.Now()))
		notes = append(notes, otherAddressNotes(m)...)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(notes) > 0 {
		fmt.Fprintln(e.stdout, "\nLinked through one address; the others failed at their last try:")
		for _, n := range notes {
			fmt.Fprintln(e.stdout, n)
		}
	}
	return nil
}

// otherAddressNotes says, for a console linked through one of its
// addresses, why each of the others failed at its last try. A console not
// linked has none: its last error already says why each address failed.
func otherAddressNotes(m agent.MasterStatus) []string {
	if m.Via == "" || len(m.AddressErrors) == 0 {
		return nil
	}
	notes := []string{fmt.Sprintf("  %s (linked through %s):", m.Address, place(m, m.Via))}
	for _, ae := range m.AddressErrors {
		notes = append(notes, fmt.Sprintf("    %s, at %s: %s", place(m, ae.Address), ae.At.Local().Format(time.TimeOnly), ae.Error))
	}
	return notes
}

// place names one of a console's addresses: "port 50000" when they all
// share one host, the whole address otherwise.
func place(m agent.MasterStatus, addr string) string {
	if l := m.Label(addr); l != addr {
		return "port " + l
	}
	return addr
}

func mastersAddCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "add HOST:PORT[,HOST:PORT…][=SHA256:…]",
		Short: "Dial another console (the port defaults to 16888)",
		Long: `Dial another console. The port defaults to 16888. A console reached at several
addresses (its name at two forwarded ports, in case an ISP blocks one; a LAN
and a public address) is one master: give them all, separated by commas, in
the order to try. When one cannot be reached the agent tries the next at
once, and once linked it tries the address that worked first. Give the
console's certificate fingerprint after = (Remote Management Settings on the
console shows it) and the first contact is checked against it, at every
address; without it, the first certificate seen is trusted and pinned.`,
		Example: "  lanyard-agent masters add console.example.lan:16888\n" +
			"  lanyard-agent masters add billsit.example.com:16888,billsit.example.com:50000\n" +
			"  lanyard-agent masters add console.example.lan:16888=SHA256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
		Args: cmdline.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			return e.configure(agent.ControlRequest{Op: agent.OpMastersAdd, Value: args[0]})
		},
	}
}

func mastersTrustCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:               "trust HOST:PORT[=SHA256:…]",
		ValidArgsFunction: e.completeMaster,
		Short:             "Trust a console's new certificate (after it was reinstalled)",
		Long: `Trust the certificate the console at HOST:PORT presents next, after the
console was reinstalled and its certificate changed (cert_changed). Check
first that it was: otherwise something else answers at that address. With
=SHA256:… the console must present exactly that certificate instead.`,
		Example: "  lanyard-agent masters trust console.example.lan:16888",
		Args:    cmdline.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			return e.configure(agent.ControlRequest{Op: agent.OpMastersTrust, Value: args[0]})
		},
	}
}

func mastersRetryCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:               "retry [HOST:PORT]",
		ValidArgsFunction: e.completeMaster,
		Short:             "Dial a console (or every one) now instead of after its wait",
		Args:              cmdline.RangeArgs(0, 1),
		RunE: func(_ *cobra.Command, args []string) error {
			req := agent.ControlRequest{Op: agent.OpMastersRetry}
			if len(args) == 1 {
				req.Value = args[0]
			}
			return e.configure(req)
		},
	}
}

func mastersRemoveCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:               "remove HOST:PORT",
		ValidArgsFunction: e.completeMaster,
		Short:             "Stop dialing a console (given by any of its addresses)",
		Args:              cmdline.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			return e.configure(agent.ControlRequest{Op: agent.OpMastersRemove, Value: args[0]})
		},
	}
}

func setCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "set",
		Short: "Change the listen address, SSL or management",
		Args:  cmdline.NoArgs,
	}
	one := func(use, short, op string, example string) *cobra.Command {
		return &cobra.Command{
			Use:     use,
			Short:   short,
			Example: example,
			Args:    cmdline.ExactArgs(1),
			RunE: func(_ *cobra.Command, args []string) error {
				res, err := e.configured(agent.ControlRequest{Op: op, Value: args[0]})
				if err != nil {
					return err
				}
				if op == agent.OpSetSSL && strings.EqualFold(strings.TrimSpace(args[0]), "off") {
					fmt.Fprintf(e.stderr, "warning: %s; %s\n", link.SSLOffRisk, link.SSLAdvice)
				}
				if op == agent.OpSetListen && res.Status.Running && len(res.Changes) > 0 {
					if note := movedListenerNote(res.Status); note != "" {
						fmt.Fprintln(e.stderr, note)
					}
				}
				return nil
			},
		}
	}
	cmd.AddCommand(
		one("listen HOST:PORT|off", "Accept consoles on HOST:PORT, or stop listening", agent.OpSetListen,
			"  lanyard-agent set listen :16888\n  lanyard-agent set listen off"),
		one("ssl on|off", "Turn SSL on or off (must match every console)", agent.OpSetSSL, "  lanyard-agent set ssl on"),
		one("management on|off", "Accept remote management, or refuse every console", agent.OpSetManagement,
			"  lanyard-agent set management off"),
	)
	return cmd
}

func passwordCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "password",
		Short: "Change the management password",
		Args:  cmdline.NoArgs,
	}
	set := &cobra.Command{
		Use:   "set [--password-stdin]",
		Short: "Set a new management password, read from standard input",
		Long: `Set a new management password, read from standard input (typed twice
without echo at a terminal). Every console must then be given the same
password; linked consoles are disconnected and must log in again.`,
		Example: `  printf '%s\n' "$PW" | lanyard-agent password set --password-stdin
  lanyard-agent password set   # at a terminal: Enter generates a password`,
		Args: cmdline.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			// An agent never set up is said before a password is asked
			// for (typed twice, for nothing).
			if dir, err := e.dir(); err == nil && notExist(filepath.Join(dir, app.AgentDB)) {
				return agent.ErrNotInitialized
			}
			pw, err := app.ReadNewPassword(e.stdin, e.stderr)
			if err != nil {
				return cmdline.Usage(err)
			}
			defer clear(pw)
			return e.configure(agent.ControlRequest{Op: agent.OpPasswordSet, Password: pw})
		},
	}
	// As init and the console's password set take it; the password is
	// read from standard input with it or without.
	set.Flags().Bool("password-stdin", false, "read the new password from standard input (it is read from there either way)")
	cmd.AddCommand(set)
	return cmd
}

// liveStatusFromControl fills a status report from the running agent.
func liveStatusFromControl(dataDir string) func(ctx context.Context, r *StatusReport) error {
	return func(_ context.Context, r *StatusReport) error {
		c, err := agent.DialControl(dataDir)
		if err != nil {
			if errors.Is(err, agent.ErrNotRunning) {
				return nil
			}
			return err
		}
		st, err := c.Status()
		if err != nil {
			return err
		}
		masters := make([]string, 0, len(st.Masters))
		for _, m := range st.Masters {
			masters = append(masters, m.Address)
			r.Links = append(r.Links, LinkReport{Peer: m.Address, Direction: "dialed", State: string(m.State),
				Since: m.Since, RTTMillis: m.RTTMillis, LastError: m.LastError, NextTry: m.NextTry, Via: m.Via, AddressErrors: m.AddressErrors, labels: m.Label})
		}
		for _, cs := range st.Consoles {
			r.Links = append(r.Links, LinkReport{Peer: cs.Remote, Direction: "accepted", State: "connected", Since: cs.Since,
				RTTMillis: cs.RTTMillis})
		}
		listen := st.ListenAddr
		if listen == "" {
			listen = st.Listen
		}
		r.Settings = &SettingsReport{Name: st.Name, Listen: listen, SSL: st.SSL, Management: st.Management, Masters: masters,
			Fingerprint: st.Fingerprint, MasterCerts: masterCerts(st.Masters)}
		r.SettingsError = ""
		if r.State != StateRunning {
			// Running in the foreground (lanyard-agent run), not as a service.
			r.StateError = "the agent is running in the foreground, not as a service"
		}
		return nil
	}
}

// masterCerts maps each master to the certificate fingerprint it must
// present; masters that trust the next one seen are left out.
func masterCerts(ms []agent.MasterStatus) map[string]string {
	certs := map[string]string{}
	for _, m := range ms {
		if m.Fingerprint != "" {
			certs[m.Address] = m.Fingerprint
		}
	}
	return certs
}

// lastErrorCell is a master's last error in masters list, with when it
// happened: it is kept after a later success, and "connected" beside an
// undated "nothing is listening" reads as if both were true now.
func lastErrorCell(m agent.MasterStatus, now time.Time) string {
	if m.LastError == "" {
		return "-"
	}
	if m.LastErrorAt.IsZero() {
		return m.LastError
	}
	at := m.LastErrorAt.Local()
	when := at.Format(time.TimeOnly)
	if y, mo, d := at.Date(); y != now.Local().Year() || mo != now.Local().Month() || d != now.Local().Day() {
		when = at.Format("2006-01-02 15:04")
	}
	// A linked console's error from before its link is history, said so
	// beside "connected".
	if m.State == agent.MasterConnected && m.LastErrorAt.Before(m.Since) {
		return "before this link, at " + when + ": " + m.LastError
	}
	return "at " + when + ": " + m.LastError
}

// completeMaster offers the consoles this agent dials, by each of their
// addresses, with the link's state, as a command's one argument.
func (e *env) completeMaster(_ *cobra.Command, args []string, typed string) ([]cobra.Completion, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	dir, err := e.dir()
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	res, err := agent.Configure(dir, agent.ControlRequest{Op: agent.OpMastersList})
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var addrs, states []string
	for _, m := range res.Status.Masters {
		for _, a := range m.Addresses {
			addrs, states = append(addrs, a), append(states, string(m.State))
		}
	}
	if !res.Status.Running {
		states = nil // not running: no link has a state
	}
	about := func(i int) string {
		if states == nil {
			return ""
		}
		return states[i]
	}
	return cmdline.Offer(typed, addrs, about), cobra.ShellCompDirectiveNoFileComp
}
