package console

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/lanyard/lanyard/app"
	"github.com/lanyard/lanyard/app/cmdline"
	"github.com/lanyard/lanyard/core/human"
	"github.com/lanyard/lanyard/core/master"
	"github.com/lanyard/lanyard/core/store"
)

// The commands that manage a slave through the running console: status,
// agent-log, agent-settings, password set; and audit, which reads the
// audit through the console when it runs, else from its database.

// console dials the running console of this data directory.
func (e *env) console() (*consoleClient, error) {
	dir, err := e.dir()
	if err != nil {
		return nil, err
	}
	return dialConsole(dir)
}

// call sends one request to the running console and returns its answer.
func (e *env) call(ctx context.Context, req ctlRequest, onPart func(ctlResponse) error) (ctlResponse, error) {
	cc, err := e.console()
	if err != nil {
		return ctlResponse{}, err
	}
	return cc.do(ctx, req, onPart)
}

func slaveFlag(cmd *cobra.Command, slave *string) {
	cmd.Flags().StringVar(slave, "slave", "", "the slave (its name in this console)")
}

func needSlave(slave string) error {
	if strings.TrimSpace(slave) == "" {
		return cmdline.Usagef("which slave? give --slave NAME")
	}
	return nil
}

func statusCmd(e *env) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:               "status NAME [--json]",
		ValidArgsFunction: e.completeSlaveArg,
		Short:             "A slave's status, asked now through the running console",
		Long: `Ask a slave for its status now, through the running console (the window or
lanyard serve): its link, its backup tasks by state, host, agent version,
CPU, memory, every disk, and how far its clock is from this console's. A
slave that is not connected is refused at once with why; the exit code is
then 1.`,
		Args: cmdline.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := e.call(cmd.Context(), ctlRequest{Op: opStatus, Slave: args[0]}, nil)
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(e.stdout, r.Status)
			}
			printStatus(e.stdout, r.Status)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func printStatus(w io.Writer, s *statusJSON) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	defer tw.Flush()
	ssl := "SSL off"
	if s.SSL {
		ssl = "SSL"
	}
	fmt.Fprintf(tw, "Slave:\t%s, %s (%s, %s) from %s since %s\n", s.Slave, s.State, s.Direction, ssl,
		s.Remote, s.ConnectedSince.Local().Format("2006-01-02 15:04:05"))
	fmt.Fprintf(tw, "Round trip:\t%s\n", human.RoundTrip(human.FromMillis(s.RTTMillis)))
	fmt.Fprintf(tw, "Backups:\t%s\n", s.Backups.Line)
	fmt.Fprintf(tw, "Host:\t%s (%s %s/%s), up %s\n", s.Hostname, s.Platform, s.OS, s.Arch, human.Seconds(s.UptimeSeconds))
	fmt.Fprintf(tw, "Agent:\t%s, up %s; management %s, agent SSL %s\n", s.AgentVersion, human.Seconds(s.AgentUptimeSeconds),
		human.OnOff(s.Management), human.OnOff(s.AgentSSL))
	fmt.Fprintf(tw, "Clock:\t%s\n", master.DescribeSkew(human.FromMillis(s.ClockSkewMillis)))
	fmt.Fprintf(tw, "CPU:\t%.0f %%\n", s.CPUPercent)
	fmt.Fprintf(tw, "Memory:\t%s\n", cmdline.OrDash(human.Usage(s.MemoryUsed, s.MemoryTotal)))
	for i, d := range s.Disks {
		label := ""
		if i == 0 {
			label = "Disks:"
		}
		fmt.Fprintf(tw, "%s\t%s  %s  (%s, %s)\n", label, d.Mountpoint, cmdline.OrDash(human.Usage(d.Used, d.Total)), d.FSType, d.Device)
	}
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func agentLogCmd(e *env) *cobra.Command {
	var slave, level, since string
	var n int
	var follow, asJSON bool
	cmd := &cobra.Command{
		Use:   "agent-log --slave NAME [-n N] [-f] [--level L] [--since T]",
		Short: "A slave's agent log, through the running console",
		Long: `Print the last N lines (default 50, 0 for all) of a slave's agent log, read
through the running console, or those written since a time (--since 1h, or
2026-03-01T08:00). With -f, go on printing new lines as the agent writes
them until interrupted. --level keeps lines at that level and above: debug,
info, warning, error.`,
		Example: `  lanyard agent-log --slave FS01 -n 100
  lanyard agent-log --slave FS01 -f --level warning`,
		Args: cmdline.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := needSlave(slave); err != nil {
				return err
			}
			if n < 0 {
				return cmdline.Usagef("-n %d: give a number of lines, 0 for all", n)
			}
			switch level {
			case "", "debug", "info", "warning", "warn", "error":
			default:
				return cmdline.Usagef("--level %q: use debug, info, warning or error", level)
			}
			req := ctlRequest{Op: opAgentLog, Slave: slave, Lines: n, All: n == 0, Level: level, Follow: follow}
			if since != "" {
				t, err := parseSince(since, time.Now())
				if err != nil {
					return err
				}
				req.Since, req.All, req.Lines = t, false, 0
			}
			ctx := cmd.Context()
			if follow {
				var stop context.CancelFunc
				ctx, stop = signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
				defer stop()
			}
			enc := json.NewEncoder(e.stdout)
			_, err := e.call(ctx, req, func(part ctlResponse) error {
				for _, l := range part.Log {
					if asJSON {
						if err := enc.Encode(l); err != nil {
							return err
						}
						continue
					}
					if _, err := fmt.Fprintln(e.stdout, l.Text); err != nil {
						return err
					}
				}
				return nil
			})
			if follow && ctx.Err() != nil {
				return nil // interrupted: the normal end of -f
			}
			return err
		},
	}
	slaveFlag(cmd, &slave)
	cmd.Flags().IntVarP(&n, "lines", "n", 50, "print the last N lines (0: all)")
	cmd.Flags().BoolVarP(&follow, "follow", "f", false, "keep printing new lines as they are written")
	cmd.Flags().StringVar(&level, "level", "", "only lines at this level and above: debug, info, warning, error")
	cmd.Flags().StringVar(&since, "since", "", "only lines written since then: a duration (1h) or a time (2026-03-01T08:00)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "one JSON object per line: time, level, text")
	return cmd
}

// sinceOf reads --since when it was given; the zero time when not.
func sinceOf(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	return parseSince(s, time.Now())
}

// parseSince reads --since: a duration back from now, or a local time.
func parseSince(s string, now time.Time) (time.Time, error) {
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return now.Add(-d), nil
	}
	if t, ok := human.ParseStamp(s); ok {
		return t, nil
	}
	return time.Time{}, cmdline.Usagef("--since %q: give a duration (1h, 30m) or a time (2026-03-01T08:00)", s)
}

func agentSettingsCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "agent-settings",
		Short: "Show or change a slave's agent settings, through the running console",
	}
	var slave string
	var asJSON bool
	show := &cobra.Command{
		Use:   "show --slave NAME [--json]",
		Short: "A slave's agent settings: listen address, SSL, management, masters, linked consoles",
		Args:  cmdline.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := needSlave(slave); err != nil {
				return err
			}
			r, err := e.call(cmd.Context(), ctlRequest{Op: opSettingsShow, Slave: slave}, nil)
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(e.stdout, r.Settings)
			}
			printAgentSettings(e.stdout, r.Settings)
			return nil
		},
	}
	slaveFlag(show, &slave)
	show.Flags().BoolVar(&asJSON, "json", false, "print JSON")

	var setSlave, setGroup, listen, ssl, management string
	var follow bool
	var add, remove []string
	set := &cobra.Command{
		Use:   "set (--slave NAME | --group G) [--listen HOST:PORT|off] [--ssl on|off] [--management on|off] [--master-add HOST:PORT]… [--master-remove HOST:PORT]…",
		Short: "Change a slave's agent settings",
		Long: `Change a slave's agent settings at once, with the same checks and words as
lanyard-agent set and masters on the server. Some changes end this
console's link to the slave: SSL on or off (this console's SSL must then be
changed to match before it can link again), management off (no console can
manage it until someone runs lanyard-agent set management on there), and
removing this console from the slave's masters. A new listen port this
console dials the slave at is said; --follow makes this console dial it
at the new port too (not when a router forwards another port to it).

--group changes the masters of every slave of a group at once (a second
console, or the office's new address, for each customer's servers): only
--master-add and --master-remove, which cannot end this console's link.
One line per slave says what changed there; the exit code is 1 when any
slave was not changed.`,
		Example: `  lanyard agent-settings set --slave FS01 --listen :17000 --follow
  lanyard agent-settings set --slave FS02 --master-add 10.0.0.3:16888
  lanyard agent-settings set --group Acme --master-add office.example.com:16888,office.example.com:50000`,
		Args: cmdline.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if setGroup != "" {
				return e.setGroupMasters(cmd, setGroup, setSlave, add, remove)
			}
			if err := needSlave(setSlave); err != nil {
				return err
			}
			if follow && !cmd.Flags().Changed("listen") {
				return cmdline.Usagef("--follow goes with --listen: it makes this console dial the slave at its new port")
			}
			req := ctlRequest{Op: opSettingsSet, Slave: setSlave, MastersAdd: add, MastersRemove: remove, FollowListen: follow}
			if cmd.Flags().Changed("listen") {
				req.Listen = &listen
			}
			var err error
			if req.SSL, err = cmdline.ParseOnOff("--ssl", ssl); err != nil {
				return err
			}
			if req.Management, err = cmdline.ParseOnOff("--management", management); err != nil {
				return err
			}
			if req.Listen == nil && req.SSL == nil && req.Management == nil && len(add)+len(remove) == 0 {
				return cmdline.Usagef("nothing to change: give --listen, --ssl, --management, --master-add or --master-remove")
			}
			r, err := e.call(cmd.Context(), req, nil)
			if err != nil {
				return err
			}
			printChanges(e.stdout, setSlave, r.Changes)
			return nil
		},
	}
	slaveFlag(set, &setSlave)
	set.Flags().StringVar(&setGroup, "group", "", "change the masters of every slave of this group (case does not matter)")
	set.Flags().StringVar(&listen, "listen", "", "where the agent listens for consoles (HOST:PORT), or off")
	set.Flags().BoolVar(&follow, "follow", false, "with --listen: when this console dials the slave at the port it leaves, dial it at the new one")
	set.Flags().StringVar(&ssl, "ssl", "", "on or off")
	set.Flags().StringVar(&management, "management", "", "on or off")
	set.Flags().StringArrayVar(&add, "master-add", nil, "add a console for the agent to dial (repeatable)")
	set.Flags().StringArrayVar(&remove, "master-remove", nil, "remove a console from the agent's masters (repeatable)")
	cmd.AddCommand(show, set)
	return cmd
}

func printChanges(w io.Writer, slave string, changes []string) {
	if len(changes) == 0 {
		fmt.Fprintf(w, "%s: nothing to change\n", slave)
		return
	}
	for _, c := range changes {
		fmt.Fprintf(w, "%s: %s\n", slave, c)
	}
}

func printAgentSettings(w io.Writer, s *agentSettingsJSON) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	defer tw.Flush()
	listen := cmdline.OrDash(s.Listen)
	if s.Listen == "" {
		listen = "off"
	} else if s.ListenAddr != "" && s.ListenAddr != s.Listen {
		listen += " (bound " + s.ListenAddr + ")"
	}
	if s.ListenError != "" {
		listen += " (NOT listening: " + s.ListenError + ")"
	}
	fmt.Fprintf(tw, "Name:\t%s\n", s.Name)
	fmt.Fprintf(tw, "Listen:\t%s\n", listen)
	fmt.Fprintf(tw, "SSL:\t%s\n", human.OnOff(s.SSL))
	fmt.Fprintf(tw, "Management:\t%s\n", human.OnOff(s.Management))
	if len(s.Masters) == 0 {
		fmt.Fprintf(tw, "Masters:\tnone (it dials no console)\n")
	}
	now := time.Now()
	for i, m := range s.Masters {
		label := ""
		if i == 0 {
			label = "Masters:"
		}
		fmt.Fprintf(tw, "%s\t%s\n", label, master.DescribeMaster(m.info(), now))
	}
	for i, c := range s.Consoles {
		label := ""
		if i == 0 {
			label = "Consoles linked:"
		}
		fmt.Fprintf(tw, "%s\t%s\n", label, master.DescribeConsole(c.info(), now))
	}
}

func passwordCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "password",
		Short: "Change a slave's management password from the console",
	}
	var slave string
	var stdin bool
	set := &cobra.Command{
		Use:   "set --slave NAME --password-stdin",
		Short: "Give a slave a new management password, over its current SSL link",
		Long: `Give a slave a new management password through the running console: the key
is derived here (the password never crosses the network), sent over the
slave's current link, which must use SSL, and then saved in this console's
entry. This console's link stays up. Every other console that manages the
slave must be given the new password (lanyard slave edit NAME
--password-stdin there).`,
		Args: cmdline.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := needSlave(slave); err != nil {
				return err
			}
			if !stdin {
				return cmdline.Usagef("give --password-stdin: the password is read from standard input, never from the command line")
			}
			cc, err := e.console() // before asking for the password
			if err != nil {
				return err
			}
			pw, err := app.ReadPassword(e.stdin, e.stderr, true)
			if err != nil {
				return cmdline.Usage(err)
			}
			defer clear(pw)
			r, err := cc.do(cmd.Context(), ctlRequest{Op: opPasswordSet, Slave: slave, Password: pw}, nil)
			if err != nil {
				return err
			}
			printChanges(e.stdout, slave, r.Changes)
			fmt.Fprintf(e.stdout, "%s: saved in this console's entry; other consoles of %s need the new password\n", slave, slave)
			return nil
		},
	}
	slaveFlag(set, &slave)
	set.Flags().BoolVar(&stdin, "password-stdin", false, "read the new password from standard input")
	cmd.AddCommand(set)
	return cmd
}

func auditCmd(e *env) *cobra.Command {
	var slave, group, since string
	var n int
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "audit [--slave NAME] [--group G] [--since T] [-n N] [--json]",
		Short: "The commands this console sent to slaves, oldest first",
		Long: `Print the audit: every command this console sent that changes something on
a slave or starts work there (settings, password, tasks), with when, which
slave, from where (the window or the command line) and the result,
refusals included. --slave keeps one slave's, --group those of the slaves
in a group now, --since those sent since a time (--since 2026-11-01 for a
month's report to a customer, or a duration back: 24h). Reads pass
through the running console, or the database when none runs.`,
		Args: cmdline.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if n < 0 {
				return cmdline.Usagef("-n %d: give a number of records, 0 for all", n)
			}
			f := master.AuditFilter{Slave: slave, Group: group, Last: n}
			var err error
			if f.Since, err = sinceOf(since); err != nil {
				return err
			}
			recs, err := e.audit(cmd.Context(), f)
			if err != nil {
				return err
			}
			enc := json.NewEncoder(e.stdout)
			for _, r := range recs {
				if asJSON {
					if err := enc.Encode(r); err != nil {
						return err
					}
					continue
				}
				fmt.Fprintf(e.stdout, "%s  %-12s  %-12s  %s: %s\n", r.Time.Local().Format("2006-01-02 15:04:05"),
					r.Slave, cmdline.OrDash(r.Origin), r.Command, r.Result)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&slave, "slave", "", "only this slave's commands")
	cmd.Flags().StringVar(&group, "group", "", "only the commands of the slaves in this group now")
	cmd.Flags().StringVar(&since, "since", "", "only commands sent since then: a duration (24h) or a time (2026-11-01, 2026-11-01T08:00)")
	cmd.Flags().IntVarP(&n, "lines", "n", 0, "only the newest N records (0: all)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "one JSON object per line: time, slave, command, result, origin")
	return cmd
}

// audit reads the audit through the running console, or from the
// database when none runs.
func (e *env) audit(ctx context.Context, f master.AuditFilter) ([]store.AuditRecord, error) {
	return runningOrStored(ctx, e, ctlRequest{Op: opAudit, Slave: f.Slave, Group: f.Group, Since: f.Since, Last: f.Last}, nil,
		func(r ctlResponse) []store.AuditRecord { return r.Audit },
		func(db *store.DB) ([]store.AuditRecord, error) { return master.ReadAudit(db, f) })
}

// runningOrStored asks the running console, or, when none runs, reads
// the answer from its database (which the running console would hold
// locked). onPart, when not nil, takes the parts of a streamed answer.
func runningOrStored[T any](ctx context.Context, e *env, req ctlRequest, onPart func(ctlResponse) error, answer func(ctlResponse) T, read func(*store.DB) (T, error)) (T, error) {
	r, err := e.call(ctx, req, onPart)
	if err == nil {
		return answer(r), nil
	}
	var zero T
	if _, ok := err.(errNoConsole); !ok {
		return zero, err
	}
	db, err := e.openDB(nil)
	if err != nil {
		return zero, err
	}
	defer db.Close()
	return read(db)
}
