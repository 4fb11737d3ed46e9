package console

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/lanyard/lanyard/app/cmdline"
	"github.com/lanyard/lanyard/core/health"
	"github.com/lanyard/lanyard/core/master"
	"github.com/lanyard/lanyard/core/store"
)

// lanyard report: the fleet's backup health, through the running console
// (which knows what its slaves are doing now) or, when none runs, from
// its database (every slave's last known state).

const (
	opReport     = "report"
	opReportSend = "report_send"
	// opReportSendGroup mails one group's report: an operation of its
	// own, so that a running console too old to know it says so rather
	// than mail the whole fleet's.
	opReportSendGroup = "report_send_group"
)

func reportCmd(e *env) *cobra.Command {
	var since time.Duration
	var format string
	var send bool
	var scope fleetScope
	cmd := &cobra.Command{
		Use:   "report [--since 24h] [--format text|csv|json|html] [--group G] [--slave NAME] [--send]",
		Short: "The fleet's backup health: every failed and overdue task, the rest counted",
		Long: `Print the backup health of every task of every slave: its state (ok,
failed, overdue, running, unknown), its last result and when, its last
success, the failures since, and its next run. Failed, overdue and unknown
tasks are always listed; with --since, ok and running tasks only when their
last run ended within that time. A slave that never linked has no task to
list: the text and html reports name it, with why.

--format json prints one object per task with slave, group, task, state,
last_result, last_run, last_success, failures_since_success, next_run,
overdue, running, last_known, seen, error and disconnected (the user
disconnected the slave).

Through the running console, or from its database when none runs (then
every slave is "last known"). --group reports on one group (one customer),
--slave on one server. --send mails the report (the daily summary's
form) through the running console: the whole fleet's to the addresses in
the mail settings; with --group, that group's to its own recipients (the
Group summaries setting), or to those of the mail settings when it has
none.`,
		Args: cmdline.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !slices.Contains(health.Formats, format) {
				return cmdline.Usagef("--format %q: use %s", format, strings.Join(health.Formats, ", "))
			}
			if since < 0 {
				return cmdline.Usagef("--since %s: give a duration such as 24h", since)
			}
			if send && scope.slave != "" {
				return cmdline.Usagef("--send mails the fleet's report, or a group's (--group): leave out --slave, or print the server's report and send it yourself")
			}
			if send {
				req := ctlRequest{Op: opReportSend, ReportSince: since}
				if scope.group != "" {
					req.Op, req.ReportGroup = opReportSendGroup, scope.group
				}
				r, err := e.call(cmd.Context(), req, nil)
				if err != nil {
					return err
				}
				fmt.Fprintln(e.stdout, strings.Join(r.Changes, "\n"))
				return nil
			}
			rows, err := e.backupRows(cmd.Context())
			if err != nil {
				return err
			}
			slaves, err := readSlaves(cmd.Context(), e)
			if err != nil {
				return err
			}
			if rows, scope, err = rowsIn(rows, slaves, scope); err != nil {
				return err
			}
			rep := health.NewReport(rows, time.Now(), since)
			rep.Scope = scope.String()
			rep.NeverLinked = master.NeverLinkedNotes(slaveViews(slaves), func(v *master.SlaveView) bool { return scope.in(v.Name, v.Group) })
			return rep.Write(e.stdout, format, time.Local)
		},
	}
	cmd.Flags().DurationVar(&since, "since", 0, "list ok and running tasks only when their last run ended within this time, e.g. 24h (0: all)")
	cmd.Flags().StringVar(&format, "format", health.FormatText, "text, csv, json (one object per task) or html")
	cmd.Flags().BoolVar(&send, "send", false, "mail the report now, through the running console")
	cmd.Flags().StringVar(&scope.group, "group", "", "report on the servers of this group only (case does not matter)")
	cmd.Flags().StringVar(&scope.slave, "slave", "", "report on this server only (case does not matter)")
	return cmd
}

// rowsIn keeps the rows of the servers in scope, of slaves, and returns
// the scope with its names as the entries spell them. A scope with no
// server in it is a mistake in the command (a misspelt group would
// otherwise print an empty report); one whose servers have no task is
// not.
func rowsIn(rows []health.Row, slaves []slaveJSON, scope fleetScope) ([]health.Row, fleetScope, error) {
	if scope == (fleetScope{}) {
		return rows, scope, nil
	}
	i := slices.IndexFunc(slaves, func(s slaveJSON) bool { return scope.in(s.Name, s.Group) })
	if i < 0 {
		return nil, scope, cmdline.Usage(scope.empty())
	}
	if scope.group != "" {
		scope.group = slaves[i].Group
	}
	if scope.slave != "" {
		scope.slave = slaves[i].Name
	}
	return slices.DeleteFunc(rows, func(r health.Row) bool { return !scope.in(r.Slave, r.Group) }), scope, nil
}

// backupRows reads the fleet's backup health through the running
// console, or from the database when none runs.
func (e *env) backupRows(ctx context.Context) ([]health.Row, error) {
	return runningOrStored(ctx, e, ctlRequest{Op: opReport}, nil,
		func(r ctlResponse) []health.Row { return r.Rows },
		func(db *store.DB) ([]health.Row, error) { return master.ReadBackupRows(db, time.Now()) })
}

// sendReport mails the report now (lanyard report --send).
func (h *ctlHandler) sendReport(ctx context.Context, req *ctlRequest) ctlResponse {
	msg, err := h.m.SendReport(ctx, req.ReportSince, req.ReportGroup)
	if err != nil {
		return failure(err)
	}
	return ctlResponse{Changes: []string{msg}}
}
